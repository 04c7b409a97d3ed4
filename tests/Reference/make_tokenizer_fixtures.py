"""Reference ids from HF `tokenizers` (run on the GPU machine, which has tokenizers 0.23).

Usage: python3 make_tokenizer_fixtures.py TOKENIZERS_DIR OUT_DIR
Writes OUT_DIR/{gpt2,qwen3,mistral7b}.jsonl: one JSON object per line with the text, the ids with
and without special tokens, the tokens and the decoded text.
"""
import json, os, sys
import tokenizers
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, AddedToken
from tokenizer_strings import strings

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)


def gpt2():
    bpe = models.BPE.from_file(os.path.join(src, "gpt2/encoder.json"), os.path.join(src, "gpt2/vocab.bpe"))
    tok = Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=False)])
    return tok


cases = {
    "gpt2": (gpt2(), ["<|endoftext|>"]),
    "qwen3": (Tokenizer.from_file(os.path.join(src, "qwen3/tokenizer.json")),
              ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>"]),
    "mistral7b": (Tokenizer.from_file(os.path.join(src, "mistral7b/tokenizer.json")), ["<s>", "</s>", "<unk>"]),
}
for name, (tok, specials) in cases.items():
    rows = 0
    with open(os.path.join(out, name + ".jsonl"), "w", encoding="utf-8") as f:
        for text in strings(specials):
            plain = tok.encode(text, add_special_tokens=False)
            special = tok.encode(text, add_special_tokens=True)
            row = {
                "text": text,
                "ids": plain.ids,
                "ids_special": special.ids,
                "tokens": plain.tokens,
                "decoded": tok.decode(plain.ids, skip_special_tokens=False),
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            rows += 1
    print(f"{name}: {rows} strings (tokenizers {tokenizers.__version__})")
