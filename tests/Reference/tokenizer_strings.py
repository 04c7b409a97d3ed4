"""The test strings for tokenizer conformance fixtures: hand-picked categories plus seeded mixes.

Deterministic: the same list every run, so fixtures can be regenerated and diffed.
"""
import random

ENGLISH = [
    "Once upon a time, there was a little girl named Lily.",
    "The quick brown fox jumps over the lazy dog.",
    "Hello world", "hello", "HELLO WORLD!!!", "a", "I", " ", "",
    "It's a beautiful day, isn't it?", "She said: \"No way.\"",
    "Mr. Smith went to Washington D.C. in 1999.",
    "Tokenization is the first step of every language model.",
    "What's up?! Not much... just coding :)",
]
ACCENTED = [
    "Héllo wörld", "café naïve façade", "Ångström Straße", "Œuvre déjà vu",
    "São Paulo, Curaçao, Zürich", "El niño comió piñata", "Ça va? Très bien!",
    "ŁÓDŹ gęślą jaźń", "čeština ŽLUŤOUČKÝ kůň", "İstanbul ılık", "Ærøskøbing",
]
CJK = [
    "世界", "你好，世界！", "我爱自然语言处理。", "日本語のテキストです。", "こんにちは、カタカナ、ひらがな",
    "東京都渋谷区", "한국어 문장입니다.", "안녕하세요 세계", "中文English混合text", "漢字かなカナ한글",
]
OTHER_SCRIPTS = [
    "مرحبا بالعالم", "السلام عليكم ورحمة الله", "שלום עולם", "Привет, мир!", "Καλημέρα κόσμε",
    "नमस्ते दुनिया", "สวัสดีชาวโลก", "Γειά σου 123", "Здравствуйте, как дела?", "ქართული ენა",
]
EMOJI = [
    "👍", "😀😃😄", "👨‍👩‍👧‍👦 family", "🇺🇸🇯🇵🇫🇷", "👋🏽 hi", "1️⃣2️⃣", "❤️‍🔥", "🏳️‍🌈",
    "I ❤ NY", "emoji at end 🎉", "🤖: beep boop", "☃ ☂ ★ ✓ ✗",
]
WHITESPACE = [
    "a  b", "a   b    c", "   leading", "trailing   ", "\t\ttabs", "tab\there", "\n\n\nnewlines",
    "line1\nline2", "line1\r\nline2", " \t \n mixed", "\n", "\t", "  ", "    four", "x\n\n\ny",
    "ends with newline\n", "spaces before newline   \nnext", "\u00a0nbsp\u00a0here", "\u3000ideographic space",
]
DIGITS = [
    "1234567890", "3.14159", "1,000,000", "2026-11-22", "0x1F", "42", "007", "1e-5",
    "+49 (0) 30 1234567", "$12.99", "99.9%", "12:30:45", "v1.2.3", "1/2 + 3/4 = 5/4",
]
CODE = [
    "def f(x):\n    return x * 2\n",
    "for (int i = 0; i < n; i++) { sum += a[i]; }",
    "public static void Main(string[] args) => Console.WriteLine(\"hi\");",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
    "<div class=\"x\">Hello &amp; bye</div>",
    "SELECT * FROM users WHERE id = 42;",
    "if x <= 0 && y != 1 || !z: pass",
    "#include <stdio.h>\nint main() { printf(\"%d\\n\", 1); }",
    "const re = /^[a-z]+\\d*$/gi;",
    "x += 1; y -= 2; z *= 3; w /= 4;",
    "    indented code\n        more indented",
    "fn main() { let v: Vec<u8> = vec![]; }",
    "a->b->c; p::q::r",
]
URLS = [
    "https://example.com/path?query=1&b=2#frag", "http://localhost:8080/api/v1",
    "user@example.com", "www.github.com/huggingface/tokenizers", "ftp://files.example.org/a_b-c.txt",
    "C:\\Program Files\\dotnet\\dotnet.exe", "/usr/local/cuda/lib64",
]
CONTRACTIONS = [
    "don't", "I'm", "you're", "they'll", "we've", "he'd", "DON'T", "I'M", "It'S",
    "can't won't shouldn't", "'s 't 're 've 'm 'll 'd", "rock 'n' roll", "O'Brien's",
]
ZERO_WIDTH = [
    "a\u200bb", "zero\u200dwidth", "\ufeffBOM start", "e\u0301", "a\u0308o\u0308u\u0308", "n\u0303",
    "ﬁ ligature", "ＡＢＣ fullwidth", "① ② ③", "x\u00adsoft hyphen", "Å vs Å", "\u2028line sep",
    "combining\u0336strike", "ｶﾀｶﾅ halfwidth",
]

COMMON = (ENGLISH + ACCENTED + CJK + OTHER_SCRIPTS + EMOJI + WHITESPACE + DIGITS + CODE + URLS
          + CONTRACTIONS + ZERO_WIDTH)


def strings(special_tokens):
    """All strings for one tokenizer: common ones, special-token text, and seeded mixes."""
    out = list(COMMON)
    for s in special_tokens:
        out += [s, "before " + s + " after", s + s, "x" + s + "y", " " + s + " ", s + "\n" + "text"]
    rng = random.Random(20261122)
    pool = COMMON + special_tokens
    seps = ["", " ", "  ", "\n", "\t", ", ", " - ", "\n\n"]
    while len(out) < 460:
        k = rng.randint(2, 5)
        parts = [rng.choice(pool) for _ in range(k)]
        out.append("".join(p + rng.choice(seps) for p in parts))
    # Long-ish inputs exercise the BPE on long words and long whitespace runs.
    out.append("supercalifragilisticexpialidocious" * 3)
    out.append(" " * 40 + "x")
    out.append("\n" * 17)
    out.append("".join(COMMON[:40]))
    return out
