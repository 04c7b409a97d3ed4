using System;
using System.Collections.Generic;
using System.Text;
using System.Text.RegularExpressions;
using PromptCache.Tokenizers.Decoders;
using PromptCache.Tokenizers.Json;
using PromptCache.Tokenizers.Normalizers;
using PromptCache.Tokenizers.PostProcessors;
using PromptCache.Tokenizers.PreTokenizers;

namespace PromptCache.Tokenizers.Loading
{
    /// <summary>
    /// Builds normalizers, pre-tokenizers, decoders and post-processors from their
    /// <c>tokenizer.json</c> objects. An unknown <c>type</c> is an error naming the field and the
    /// supported values: silently skipping a stage would produce wrong token ids.
    /// </summary>
    internal static class HfComponentFactory
    {
        private const string SupportedNormalizers = "NFC, NFD, NFKC, NFKD, Sequence, Prepend, Replace, Lowercase";
        private const string SupportedPreTokenizers = "ByteLevel, Split, Sequence, Metaspace, Digits";
        private const string SupportedDecoders = "ByteLevel, Sequence, Replace, ByteFallback, Fuse, Strip, Metaspace";
        private const string SupportedPostProcessors = "TemplateProcessing, ByteLevel, Sequence, BertProcessing, RobertaProcessing";

        public static Normalizer? Normalizer(JsonNode? node, string field)
        {
            if (node == null || node.IsNull) return null;
            string type = TypeOf(node, field);
            switch (type)
            {
                case "NFC": return new UnicodeFormNormalizer(NormalizationForm.FormC);
                case "NFD": return new UnicodeFormNormalizer(NormalizationForm.FormD);
                case "NFKC": return new UnicodeFormNormalizer(NormalizationForm.FormKC);
                case "NFKD": return new UnicodeFormNormalizer(NormalizationForm.FormKD);
                case "Lowercase": return new LowercaseNormalizer();
                case "Prepend": return new PrependNormalizer(RequiredString(node, "prepend", field));
                case "Replace":
                {
                    string content = RequiredString(node, "content", field);
                    ReadPattern(node, field, out string? literal, out Regex? regex);
                    return new ReplaceNormalizer(literal, regex, content);
                }
                case "Sequence":
                {
                    var stages = new List<Normalizer>();
                    List<JsonNode> items = RequiredArray(node, "normalizers", field);
                    for (int i = 0; i < items.Count; i++)
                    {
                        Normalizer? stage = Normalizer(items[i], field + ".normalizers[" + i + "]");
                        if (stage != null) stages.Add(stage);
                    }
                    return new SequenceNormalizer(stages.ToArray());
                }
                default:
                    throw Unsupported(field, type, SupportedNormalizers);
            }
        }

        public static PreTokenizer? PreTokenizer(JsonNode? node, string field)
        {
            if (node == null || node.IsNull) return null;
            string type = TypeOf(node, field);
            switch (type)
            {
                case "ByteLevel":
                    return new ByteLevelPreTokenizer(
                        addPrefixSpace: OptionalBool(node, "add_prefix_space", true),
                        useRegex: OptionalBool(node, "use_regex", true));
                case "Split":
                {
                    ReadPatternSource(node, field, out string? literal, out string? regexSource);
                    SplitScanner scanner = literal != null ? new RegexScanner(Regex.Escape(literal)) : SplitScanner.ForRegex(regexSource!);
                    string behavior = OptionalString(node, "behavior") ?? "Isolated";
                    SplitBehavior parsed;
                    switch (behavior)
                    {
                        case "Removed": parsed = SplitBehavior.Removed; break;
                        case "Isolated": parsed = SplitBehavior.Isolated; break;
                        case "MergedWithPrevious": parsed = SplitBehavior.MergedWithPrevious; break;
                        case "MergedWithNext": parsed = SplitBehavior.MergedWithNext; break;
                        case "Contiguous": parsed = SplitBehavior.Contiguous; break;
                        default: throw Unsupported(field + ".behavior", behavior, "Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
                    }
                    return new SplitPreTokenizer(scanner, parsed, OptionalBool(node, "invert", false));
                }
                case "Metaspace":
                {
                    string replacement = OptionalString(node, "replacement") ?? "\u2581";
                    if (replacement.Length != 1) throw new TokenizerFormatException($"{field}.replacement must be one character, found '{replacement}'.");
                    return new MetaspacePreTokenizer(replacement[0], ReadPrependScheme(node, field), OptionalBool(node, "split", true));
                }
                case "Digits":
                    return new DigitsPreTokenizer(OptionalBool(node, "individual_digits", false));
                case "Sequence":
                {
                    var stages = new List<PreTokenizer>();
                    List<JsonNode> items = RequiredArray(node, "pretokenizers", field);
                    for (int i = 0; i < items.Count; i++)
                    {
                        PreTokenizer? stage = PreTokenizer(items[i], field + ".pretokenizers[" + i + "]");
                        if (stage != null) stages.Add(stage);
                    }
                    return new SequencePreTokenizer(stages.ToArray());
                }
                default:
                    throw Unsupported(field, type, SupportedPreTokenizers);
            }
        }

        public static TokenDecoder? Decoder(JsonNode? node, string field)
        {
            if (node == null || node.IsNull) return null;
            string type = TypeOf(node, field);
            switch (type)
            {
                case "ByteLevel": return new ByteLevelDecoder();
                case "ByteFallback": return new ByteFallbackDecoder();
                case "Fuse": return new FuseDecoder();
                case "Replace":
                {
                    ReadPattern(node, field, out string? literal, out Regex? _);
                    if (literal == null) throw new TokenizerFormatException($"{field}: a Replace decoder with a Regex pattern is not supported (supported: a String pattern).");
                    return new ReplaceDecoder(literal, RequiredString(node, "content", field));
                }
                case "Strip":
                {
                    string content = RequiredString(node, "content", field);
                    if (content.Length != 1) throw new TokenizerFormatException($"{field}.content must be one character, found '{content}'.");
                    return new StripDecoder(content[0], (int)(node["start"]?.AsLong() ?? 0), (int)(node["stop"]?.AsLong() ?? 0));
                }
                case "Metaspace":
                {
                    string replacement = OptionalString(node, "replacement") ?? "\u2581";
                    if (replacement.Length != 1) throw new TokenizerFormatException($"{field}.replacement must be one character, found '{replacement}'.");
                    return new MetaspaceDecoder(replacement[0], ReadPrependScheme(node, field) != PrependScheme.Never);
                }
                case "Sequence":
                {
                    var stages = new List<TokenDecoder>();
                    List<JsonNode> items = RequiredArray(node, "decoders", field);
                    for (int i = 0; i < items.Count; i++)
                    {
                        TokenDecoder? stage = Decoder(items[i], field + ".decoders[" + i + "]");
                        if (stage != null) stages.Add(stage);
                    }
                    return new SequenceDecoder(stages.ToArray());
                }
                default:
                    throw Unsupported(field, type, SupportedDecoders);
            }
        }

        public static PostProcessor? PostProcessor(JsonNode? node, string field)
        {
            if (node == null || node.IsNull) return null;
            string type = TypeOf(node, field);
            switch (type)
            {
                case "ByteLevel":
                    return null; // only adjusts offsets; ids are unchanged
                case "TemplateProcessing":
                    return Template(node, field);
                case "BertProcessing":
                case "RobertaProcessing":
                {
                    // Both hold [token, id] pairs for the opening (cls) and closing (sep) tokens.
                    int[] cls = { PairId(node["cls"], field + ".cls") };
                    int[] sep = { PairId(node["sep"], field + ".sep") };
                    return new TemplatePostProcessor(new[] { new TemplatePiece(cls), new TemplatePiece(null), new TemplatePiece(sep) });
                }
                case "Sequence":
                {
                    var stages = new List<PostProcessor>();
                    List<JsonNode> items = RequiredArray(node, "processors", field);
                    for (int i = 0; i < items.Count; i++)
                    {
                        PostProcessor? stage = PostProcessor(items[i], field + ".processors[" + i + "]");
                        if (stage != null) stages.Add(stage);
                    }
                    return stages.Count == 1 ? stages[0] : new SequencePostProcessor(stages.ToArray());
                }
                default:
                    throw Unsupported(field, type, SupportedPostProcessors);
            }
        }

        private static TemplatePostProcessor Template(JsonNode node, string field)
        {
            // special_tokens: { "<s>": { "id": "<s>", "ids": [1], "tokens": ["<s>"] } }
            var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
            JsonNode? specialNode = node["special_tokens"];
            if (specialNode?.Members != null)
            {
                foreach (KeyValuePair<string, JsonNode> entry in specialNode.Members)
                {
                    List<JsonNode> idNodes = RequiredArray(entry.Value, "ids", field + ".special_tokens." + entry.Key);
                    var ids = new int[idNodes.Count];
                    for (int k = 0; k < ids.Length; k++)
                        ids[k] = (int)(idNodes[k].AsLong() ?? throw new TokenizerFormatException($"{field}.special_tokens.{entry.Key}.ids[{k}] is not an integer."));
                    specials[entry.Key] = ids;
                }
            }
            var pieces = new List<TemplatePiece>();
            List<JsonNode> single = RequiredArray(node, "single", field);
            for (int i = 0; i < single.Count; i++)
            {
                JsonNode item = single[i];
                JsonNode? special = item["SpecialToken"];
                if (special != null)
                {
                    string id = RequiredString(special, "id", field + ".single[" + i + "].SpecialToken");
                    if (!specials.TryGetValue(id, out int[]? ids))
                        throw new TokenizerFormatException($"{field}.single[{i}] names special token '{id}', which is not in {field}.special_tokens.");
                    pieces.Add(new TemplatePiece(ids));
                }
                else if (item["Sequence"] != null)
                {
                    pieces.Add(new TemplatePiece(null));
                }
                else
                {
                    throw new TokenizerFormatException($"{field}.single[{i}] must be a SpecialToken or a Sequence.");
                }
            }
            return new TemplatePostProcessor(pieces.ToArray());
        }

        private static int PairId(JsonNode? pair, string field)
        {
            if (pair?.Items == null || pair.Items.Count != 2 || pair.Items[1].AsLong() == null)
                throw new TokenizerFormatException($"{field} must be a [token, id] pair.");
            return (int)pair.Items[1].AsLong()!.Value;
        }

        private static PrependScheme ReadPrependScheme(JsonNode node, string field)
        {
            string? scheme = OptionalString(node, "prepend_scheme");
            if (scheme == null)
            {
                // Older files: add_prefix_space (default true) instead of prepend_scheme.
                return OptionalBool(node, "add_prefix_space", true) ? PrependScheme.Always : PrependScheme.Never;
            }
            switch (scheme)
            {
                case "always": return PrependScheme.Always;
                case "first": return PrependScheme.First;
                case "never": return PrependScheme.Never;
                default: throw Unsupported(field + ".prepend_scheme", scheme, "always, first, never");
            }
        }

        private static void ReadPattern(JsonNode node, string field, out string? literal, out Regex? regex) =>
            ReadPattern(node, field, out literal, out regex, out _);

        /// <summary>Reads a pattern without compiling it (Split picks a hand-written scanner for the known regexes).</summary>
        private static void ReadPatternSource(JsonNode node, string field, out string? literal, out string? regexSource)
        {
            JsonNode? pattern = node["pattern"];
            literal = null;
            regexSource = null;
            if (pattern?.Members != null)
            {
                literal = pattern["String"]?.AsString();
                regexSource = pattern["Regex"]?.AsString();
            }
            if (literal == null && regexSource == null) throw new TokenizerFormatException($"{field}.pattern must be {{\"String\": ...}} or {{\"Regex\": ...}}.");
        }

        private static void ReadPattern(JsonNode node, string field, out string? literal, out Regex? regex, out string? regexSource)
        {
            ReadPatternSource(node, field, out literal, out regexSource);
            regex = null;
            if (literal != null) return;
            try
            {
                regex = new Regex(regexSource!, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException e)
            {
                throw new TokenizerFormatException($"{field}.pattern.Regex '{regexSource}' does not compile in .NET: {e.Message}", e);
            }
        }

        internal static string TypeOf(JsonNode node, string field)
        {
            string? type = node["type"]?.AsString();
            if (type == null) throw new TokenizerFormatException($"{field} has no \"type\".");
            return type;
        }

        internal static TokenizerFormatException Unsupported(string field, string value, string supported) =>
            new TokenizerFormatException($"{field}: type '{value}' is not supported (supported: {supported}).");

        internal static string RequiredString(JsonNode node, string name, string field) =>
            node[name]?.AsString() ?? throw new TokenizerFormatException($"{field}.{name} is missing or not a string.");

        internal static string? OptionalString(JsonNode node, string name) => node[name]?.AsString();

        internal static bool OptionalBool(JsonNode node, string name, bool fallback) => node[name]?.AsBool() ?? fallback;

        internal static List<JsonNode> RequiredArray(JsonNode node, string name, string field) =>
            node[name]?.Items ?? throw new TokenizerFormatException($"{field}.{name} is missing or not an array.");
    }
}
