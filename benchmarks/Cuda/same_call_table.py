"""The issue's acceptance table from ONE device call: PromptCache.Cuda.Bench's TTFT rows next to the HF transformers
figures that hf_reference.py measured in the same call (the bench's own `HF ms` column holds the issue's figures of
2026-11-22, not this call's). run_on_device.sh runs it after both when HF=1; by hand:

    python3 benchmarks/Cuda/same_call_table.py cuda-bench.log hf-reference.log

Prints one markdown table per shape (ours, HF, HF / ours, floor, ours / floor, the target and whether this call met
it) and exits 0; a missing row prints as `–`.
"""
import re
import sys

SHAPES = {"llama2-7b": "7B", "llama3-8b": "8B"}

# Uncached rows: at least this many times faster than HF's full prefill, at every size and shape.
PREFILL_SPEEDUP = 1.35


def read_bench(path):
    """{shape: {(row, tokens): (wall ms, floor ms)}} from the bench's `TTFT, <shape> shape` tables."""
    rows, shape = {}, None
    row_re = re.compile(r"^(?P<row>[a-z][A-Za-z0-9 ,()+\-]*?)\s+(?P<tokens>\d+)\s+(?P<wall>[\d.]+)\s+(?P<gpu>[\d.]+|NaN)\s+(?P<floor>[\d.]+)\s")
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            header = re.match(r"^TTFT, (\S+) shape", line)
            if header:
                shape = header.group(1)
                rows.setdefault(shape, {})
                continue
            if shape is None:
                continue
            m = row_re.match(line)
            if m:
                rows[shape][(m.group("row").strip(), int(m.group("tokens")))] = (float(m.group("wall")), float(m.group("floor")))
            elif line.startswith("Tuned GEMM") or not line.strip():
                shape = None
    return rows


def read_hf(path):
    """{shape: {"full": {n: ms}, "reuse": {n: ms}, "decode": ms}} from hf_reference.py's lines."""
    hf = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^HF (\S+) shape\s+tokens\s+(\d+)\s+full prefill\s+([\d.]+) ms\s+prefix reuse \(\d+ new\)\s+([\d.]+) ms", line)
            if m:
                s = hf.setdefault(m.group(1), {"full": {}, "reuse": {}, "decode": None})
                s["full"][int(m.group(2))] = float(m.group(3))
                s["reuse"][int(m.group(2))] = float(m.group(4))
                continue
            m = re.match(r"^HF (\S+) shape\s+decode after \d+ cached tokens: ([\d.]+) ms/token", line)
            if m:
                hf.setdefault(m.group(1), {"full": {}, "reuse": {}, "decode": None})["decode"] = float(m.group(2))
    return hf


def fmt(x, spec="{:.2f}"):
    return "–" if x is None else spec.format(x)


def verdict(ok):
    return "–" if ok is None else ("yes" if ok else "**no**")


def table(shape, ours, hf):
    lines = [f"### {SHAPES.get(shape, shape)} ({shape})", "",
             "| row | ours ms | HF ms (this call) | HF / ours | floor ms | ours / floor | target | met |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    full, reuse = hf.get("full", {}), hf.get("reuse", {})
    for (row, tokens), (wall, floor) in ours.items():
        hf_ms, ratio, target, ok = None, None, "", None
        if row == "uncached prefill":
            hf_ms = full.get(tokens)
            ratio = hf_ms / wall if hf_ms else None
            limit = 95 if shape == "llama2-7b" and tokens == 4096 else None  # the absolute bound, 7B at 4096 only
            target = f"≥ {PREFILL_SPEEDUP}× HF" + (f", ≤ {limit} ms" if limit else "")
            ok = None if ratio is None else ratio >= PREFILL_SPEEDUP and (limit is None or wall <= limit)
        elif row.startswith("cached (") and "HBM" in row:
            # The issue holds the 4096 row to ≤ 8 ms and to 16× HF's full prefill and 4× its prefix reuse; 8192 to ≤ 10 ms.
            context = 4096 if tokens < 6000 else 8192
            hf_ms = reuse.get(context)
            ratio = hf_ms / wall if hf_ms else None
            if context == 4096:
                full_ratio = full[context] / wall if full.get(context) else None
                target = f"≤ 8 ms, ≥ 16× HF full ({fmt(full_ratio, '{:.1f}')}×), ≥ 4× HF reuse"
                ok = None if ratio is None or full_ratio is None else wall <= 8 and full_ratio >= 16 and ratio >= 4
            else:
                target, ok = "≤ 10 ms", wall <= 10
        elif row == "host tier overlapped":
            target, ok = "≤ 50 ms", wall <= 50
        elif row.startswith("decode step (after 4096"):
            hf_ms = hf.get("decode")
            ratio = hf_ms / wall if hf_ms else None
            target = f"tokens/s: ours {1000 / wall:.1f}" + (f", HF {1000 / hf_ms:.1f}" if hf_ms else "")
        elif row.startswith("decode step") or row == "host tier load-then-run":
            pass
        else:
            continue
        lines.append(f"| {row}, {tokens} | {wall:.2f} | {fmt(hf_ms)} | {fmt(ratio, '{:.2f}×')} | {floor:.2f} | {wall / floor:.2f} | {target} | {verdict(ok)} |")
    return "\n".join(lines)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    bench, hf = read_bench(argv[1]), read_hf(argv[2])
    if not bench:
        print(f"no `TTFT, <shape> shape` table in {argv[1]}", file=sys.stderr)
        return 1
    for shape, ours in bench.items():
        print(table(shape, ours, hf.get(shape, {})))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
