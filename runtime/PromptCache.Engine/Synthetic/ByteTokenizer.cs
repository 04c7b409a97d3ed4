using System.Text;
using PromptCache.Tokenizers;

namespace PromptCache.Engine.Synthetic;

/// <summary>
/// A byte-level tokenizer built in code, for the synthetic default model: one token per UTF-8 byte
/// (ids 0–255), then <c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;pad&gt;</c> and
/// the ChatML role tokens <c>&lt;|im_start|&gt;</c> / <c>&lt;|im_end|&gt;</c>. It carries a ChatML
/// chat template so that PML role tags map to real role markers, exactly as for a Qwen model.
/// </summary>
/// <remarks>Needs no file, so the quickstart runs on a fresh clone. Every character is at least one
/// token, so schemas cost as many positions as they have bytes.</remarks>
public sealed class ByteTokenizer : Tokenizer
{
    /// <summary>Id of <c>&lt;unk&gt;</c>.</summary>
    public const int Unk = 256;

    /// <summary>Id of <c>&lt;s&gt;</c> (BOS).</summary>
    public const int Bos = 257;

    /// <summary>Id of <c>&lt;/s&gt;</c> (EOS).</summary>
    public const int Eos = 258;

    /// <summary>Id of <c>&lt;pad&gt;</c>.</summary>
    public const int Pad = 259;

    /// <summary>Id of <c>&lt;|im_start|&gt;</c>.</summary>
    public const int ImStart = 260;

    /// <summary>Id of <c>&lt;|im_end|&gt;</c>.</summary>
    public const int ImEnd = 261;

    /// <summary>Number of ids.</summary>
    public const int Size = 262;

    private static readonly string[] Specials = ["<unk>", "<s>", "</s>", "<pad>", "<|im_start|>", "<|im_end|>"];

    // Only the role markers are matched inside text: "<s>" typed by a user stays four bytes.
    private static readonly (string Text, int Id)[] Matched = [("<|im_start|>", ImStart), ("<|im_end|>", ImEnd)];

    /// <summary>Creates the tokenizer.</summary>
    public ByteTokenizer()
    {
        BosId = Bos;
        EosId = Eos;
        UnkId = Unk;
        PadId = Pad;
        ChatTemplate = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}" +
                       "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
    }

    /// <inheritdoc />
    public override int VocabularySize => Size;

    /// <inheritdoc />
    public override IReadOnlyList<int> EncodeToIds(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length + 1);
        if (addSpecialTokens) ids.Add(Bos);
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            foreach (var (special, id) in Matched)
            {
                if (string.CompareOrdinal(text, i, special, 0, special.Length) != 0) continue;
                AddBytes(ids, text, start, i);
                ids.Add(id);
                i += special.Length - 1;
                start = i + 1;
                break;
            }
        }
        AddBytes(ids, text, start, text.Length);
        return ids;
    }

    private static void AddBytes(List<int> ids, string text, int from, int to)
    {
        if (to <= from) return;
        foreach (byte b in Encoding.UTF8.GetBytes(text.Substring(from, to - from))) ids.Add(b);
    }

    /// <inheritdoc />
    public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (id is >= 0 and < 256)
            {
                bytes.Add((byte)id);
                continue;
            }
            text.Append(Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
            if (!skipSpecialTokens && id >= Unk && id < Size) text.Append(Specials[id - Unk]);
        }
        text.Append(Encoding.UTF8.GetString(bytes.ToArray()));
        return text.ToString();
    }

    /// <inheritdoc />
    public override string? IdToToken(int id) => id switch
    {
        >= 0 and < 256 => $"<0x{id:X2}>",
        >= Unk and < Size => Specials[id - Unk],
        _ => null,
    };

    /// <inheritdoc />
    public override int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        int special = Array.IndexOf(Specials, token);
        if (special >= 0) return Unk + special;
        if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token.EndsWith('>') &&
            int.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out int b)) return b;
        return null;
    }

    /// <inheritdoc />
    public override bool IsSpecialToken(int id) => id >= Unk && id < Size;
}
