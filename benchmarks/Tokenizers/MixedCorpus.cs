using System.Text;

namespace PromptCache.Benchmarks.Tokenizers;

/// <summary>
/// A deterministic mixed corpus (English prose, source code, Chinese and Japanese text, a little
/// accented Latin and emoji), built from a seeded SplitMix64 generator so every machine and .NET
/// version produces the same bytes. Write it with --write-corpus and give the file to hf_bench.py.
/// </summary>
internal static class MixedCorpus
{
    private static readonly string[] EnglishWords =
    (
        "the of and to in a is that for it as was with be by on not he I this are or his from at which but have an they you were her " +
        "she there been one all we their has would when if so what can no more about time people into only other new some could these " +
        "two may first then do any like my now over such our man me even most made after also did many before must through back years " +
        "where much your way well down should because each just those how too little state good very make world still own see men work " +
        "long get here between both life being under never day same another know while last might us great old year off come since " +
        "tokenizer cache attention prompt module schema runtime compiler throughput latency benchmark gradient transformer layer vector"
    ).Split(' ');

    private static readonly string[] CodeLines =
    {
        "public static int Add(int left, int right) => left + right;",
        "for (int i = 0; i < items.Count; i++) { total += items[i].Price * items[i].Quantity; }",
        "if (cache.TryGetValue(key, out var value)) return value;",
        "def tokenize(text: str) -> list[int]:",
        "    return [vocab.get(piece, unk_id) for piece in pattern.findall(text)]",
        "const result = await fetch(`https://api.example.com/v1/items?page=${page}&limit=50`);",
        "SELECT id, name, created_at FROM users WHERE status = 'active' ORDER BY created_at DESC LIMIT 100;",
        "    var tokens = tokenizer.EncodeToIds(prompt, addSpecialTokens: true);",
        "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }",
        "let xs: Vec<u32> = (0..1024).map(|x| x * x % 65521).collect();",
        "    throw new InvalidDataException($\"'{path}': line {line}: expected ':' after a key\");",
        "<div class=\"container\"><span id=\"title\">Hello &amp; welcome</span></div>",
    };

    private const string ChineseChars =
        "的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又定见只主没公从";

    private static readonly string[] JapanesePhrases =
    {
        "こんにちは、世界。", "トークナイザーの速度を測ります。", "キャッシュは再利用されます。", "東京は日本の首都です。", "ありがとうございました！",
    };

    private static readonly string[] Extras =
    {
        "Crème brûlée, naïve café, Ångström, Straße, Ærøskøbing.", "Emoji: 🎉🚀👍🏽 and flags 🇫🇷🇯🇵, ZWJ 👩‍💻.", "Ελληνικά κείμενα και Русский текст.",
        "Numbers: 3.14159, 2,718,281, 1e-9, 0x7FFF_FFFF, 12:45:00.",
    };

    public static string Generate(int targetBytes, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var sb = new StringBuilder(targetBytes);
        int bytes = 0;
        while (bytes < targetBytes)
        {
            int before = sb.Length;
            ulong kind = rng.Next() % 10;
            if (kind < 5) AppendEnglish(sb, rng);
            else if (kind < 7) AppendCode(sb, rng);
            else if (kind < 9) AppendCjk(sb, rng);
            else sb.Append(Extras[rng.Next() % (ulong)Extras.Length]).Append('\n');
            bytes += Encoding.UTF8.GetByteCount(sb.ToString(before, sb.Length - before));
        }
        return sb.ToString();
    }

    private static void AppendEnglish(StringBuilder sb, SplitMix64 rng)
    {
        int sentences = 2 + (int)(rng.Next() % 5);
        for (int s = 0; s < sentences; s++)
        {
            int words = 6 + (int)(rng.Next() % 14);
            for (int w = 0; w < words; w++)
            {
                // A quarter of the words are made-up (random syllables), so the word cache misses
                // as it would on real text with names, identifiers and rare words.
                string word = rng.Next() % 4 == 0 ? MadeUpWord(rng) : EnglishWords[rng.Next() % (ulong)EnglishWords.Length];
                if (w == 0) word = char.ToUpperInvariant(word[0]) + word.Substring(1);
                sb.Append(word);
                if (w < words - 1) sb.Append(rng.Next() % 12 == 0 ? ", " : " ");
            }
            sb.Append(rng.Next() % 6 == 0 ? "? " : ". ");
        }
        sb.Append("\n\n");
    }

    private static readonly string[] Syllables = "ka lo mi ne ra tu ves bor qui zan el on st th ch pr ex ing ment tion ly ous ab".Split(' ');

    private static string MadeUpWord(SplitMix64 rng)
    {
        int count = 1 + (int)(rng.Next() % 4);
        var sb = new StringBuilder();
        for (int i = 0; i < count; i++) sb.Append(Syllables[rng.Next() % (ulong)Syllables.Length]);
        return sb.ToString();
    }

    private static void AppendCode(StringBuilder sb, SplitMix64 rng)
    {
        int lines = 2 + (int)(rng.Next() % 6);
        for (int l = 0; l < lines; l++)
        {
            int indent = (int)(rng.Next() % 3) * 4;
            sb.Append(' ', indent).Append(CodeLines[rng.Next() % (ulong)CodeLines.Length]).Append('\n');
        }
        sb.Append('\n');
    }

    private static void AppendCjk(StringBuilder sb, SplitMix64 rng)
    {
        if (rng.Next() % 3 == 0)
        {
            int phrases = 2 + (int)(rng.Next() % 4);
            for (int p = 0; p < phrases; p++) sb.Append(JapanesePhrases[rng.Next() % (ulong)JapanesePhrases.Length]);
        }
        else
        {
            int sentences = 1 + (int)(rng.Next() % 4);
            for (int s = 0; s < sentences; s++)
            {
                int chars = 8 + (int)(rng.Next() % 30);
                for (int c = 0; c < chars; c++) sb.Append(ChineseChars[(int)(rng.Next() % (ulong)ChineseChars.Length)]);
                sb.Append(rng.Next() % 2 == 0 ? "，" : "。");
            }
        }
        sb.Append('\n');
    }

    /// <summary>SplitMix64: tiny, fast, and identical everywhere (unlike a platform Random).</summary>
    private sealed class SplitMix64
    {
        private ulong _state;

        public SplitMix64(ulong seed) => _state = seed;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
