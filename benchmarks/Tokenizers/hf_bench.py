"""Times HF `tokenizers` (Rust) single-threaded on the same text as the .NET benchmark.

Usage:
  dotnet run -c Release --project benchmarks/Tokenizers -- --tokenizer TOKENIZER_JSON --write-corpus corpus.txt
  python3 benchmarks/Tokenizers/hf_bench.py --tokenizer TOKENIZER_JSON --text corpus.txt [--runs 7]

Single thread: RAYON_NUM_THREADS=1 and TOKENIZERS_PARALLELISM=false are set before the library is
imported, and only `encode` is called (never `encode_batch`, which is the parallel path). The
whole text is encoded in one call, as the .NET benchmark does. The first encode (cold cache) is
reported separately; the table gives the median of the following runs.
"""
import argparse
import os
import statistics
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import tokenizers  # noqa: E402  (after the environment is set)
from tokenizers import Tokenizer  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokenizer", required=True, help="path to tokenizer.json")
    parser.add_argument("--text", required=True, help="UTF-8 text file (the corpus written by the .NET benchmark)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    runs = max(5, args.runs)

    with open(args.text, "r", encoding="utf-8", newline="") as f:
        text = f.read()
    text_bytes = len(text.encode("utf-8"))

    load_ms = []
    tok = None
    for _ in range(runs + 1):
        start = time.perf_counter()
        tok = Tokenizer.from_file(args.tokenizer)
        load_ms.append((time.perf_counter() - start) * 1000)
    first_load = load_ms.pop(0)

    start = time.perf_counter()
    tokens = len(tok.encode(text, add_special_tokens=False).ids)
    cold_ms = (time.perf_counter() - start) * 1000

    encode_ms = []
    for _ in range(runs):
        start = time.perf_counter()
        n = len(tok.encode(text, add_special_tokens=False).ids)
        encode_ms.append((time.perf_counter() - start) * 1000)
        assert n == tokens, "non-deterministic token count"

    mb = text_bytes / (1024 * 1024)
    median = statistics.median(encode_ms)
    print(f"tokenizer: {args.tokenizer}")
    print(f"text: {args.text}, {text_bytes:,} bytes, {len(text):,} code points, {tokens:,} tokens")
    print(f"runtime: HF tokenizers {tokenizers.__version__}, single thread (RAYON_NUM_THREADS=1)")
    print()
    print("| metric | value |")
    print("|---|---|")
    print(f"| load time, first (ms) | {first_load:.1f} |")
    print(f"| load time, median of {runs} (ms) | {statistics.median(load_ms):.1f} |")
    print(f"| encode, first call, empty cache (MB/s) | {mb / (cold_ms / 1000):.2f} |")
    print(f"| encode, median of {runs} (ms) | {median:.1f} |")
    print(f"| encode, median (MB/s) | {mb / (median / 1000):.2f} |")
    print(f"| encode, median (tokens/s) | {tokens / (median / 1000):,.0f} |")
    print(f"| encode, min..max (ms) | {min(encode_ms):.1f}..{max(encode_ms):.1f} |")


if __name__ == "__main__":
    main()
