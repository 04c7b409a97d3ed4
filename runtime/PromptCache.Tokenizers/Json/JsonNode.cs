using System;
using System.Collections.Generic;
using System.Globalization;

namespace PromptCache.Tokenizers.Json
{
    /// <summary>The kind of a <see cref="JsonNode"/>.</summary>
    internal enum JsonKind : byte
    {
        Null,
        False,
        True,
        Number,
        String,
        Array,
        Object,
    }

    /// <summary>
    /// A minimal JSON document node. We own this instead of using System.Text.Json because the
    /// netstandard2.0 build (linked by the source generator) must not depend on any package.
    /// Objects keep their members in file order as a list: tokenizer files have small objects
    /// (looked up linearly) and one huge one (the vocabulary), which is only ever enumerated.
    /// </summary>
    internal sealed class JsonNode
    {
        internal static readonly JsonNode NullNode = new JsonNode(JsonKind.Null);
        internal static readonly JsonNode TrueNode = new JsonNode(JsonKind.True);
        internal static readonly JsonNode FalseNode = new JsonNode(JsonKind.False);

        private JsonNode(JsonKind kind) => Kind = kind;

        public JsonKind Kind { get; }

        /// <summary>The text of a string, or the raw literal of a number.</summary>
        public string? Text { get; private set; }

        /// <summary>Array items (Array only).</summary>
        public List<JsonNode>? Items { get; private set; }

        /// <summary>Object members in file order (Object only).</summary>
        public List<KeyValuePair<string, JsonNode>>? Members { get; private set; }

        public static JsonNode String(string text) => new JsonNode(JsonKind.String) { Text = text };

        public static JsonNode Number(string literal) => new JsonNode(JsonKind.Number) { Text = literal };

        public static JsonNode Array(List<JsonNode> items) => new JsonNode(JsonKind.Array) { Items = items };

        public static JsonNode Object(List<KeyValuePair<string, JsonNode>> members) => new JsonNode(JsonKind.Object) { Members = members };

        public bool IsNull => Kind == JsonKind.Null;

        /// <summary>The member named <paramref name="name"/>, or null when absent (a JSON null is returned as <see cref="NullNode"/>).</summary>
        public JsonNode? this[string name]
        {
            get
            {
                if (Members == null) return null;
                for (int i = 0; i < Members.Count; i++)
                {
                    if (string.Equals(Members[i].Key, name, StringComparison.Ordinal)) return Members[i].Value;
                }
                return null;
            }
        }

        /// <summary>The string value, or null when this is not a string.</summary>
        public string? AsString() => Kind == JsonKind.String ? Text : null;

        public bool? AsBool() => Kind == JsonKind.True ? true : Kind == JsonKind.False ? false : (bool?)null;

        public long? AsLong()
        {
            if (Kind != JsonKind.Number || Text == null) return null;
            if (long.TryParse(Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) return v;
            if (double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d == Math.Floor(d)) return (long)d;
            return null;
        }

        public double? AsDouble()
        {
            if (Kind != JsonKind.Number || Text == null) return null;
            return double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : (double?)null;
        }

        public override string ToString() => Kind switch
        {
            JsonKind.String => "\"" + Text + "\"",
            JsonKind.Number => Text ?? "",
            JsonKind.Array => "[" + Items!.Count + " items]",
            JsonKind.Object => "{" + Members!.Count + " members}",
            _ => Kind.ToString().ToLowerInvariant(),
        };
    }
}
