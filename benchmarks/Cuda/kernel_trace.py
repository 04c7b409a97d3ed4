"""Sums ncu's per-kernel times (kernel_trace.sh) for each traced call, named by the bench's "Kernel trace:" lines.

Usage: kernel_trace.py kernel-trace.csv kernel-trace.log

A traced call is one forward: it starts with its embedding kernel (embed_bf16), so the kernels are cut into calls there.
Prints, per call, the kernels' total time and each kernel name's count, total and share, largest first.
"""
import csv
import sys
from collections import defaultdict


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    csv_path, log_path = sys.argv[1], sys.argv[2]
    with open(log_path, encoding="utf-8", errors="replace") as f:
        titles = [line.split("Kernel trace:", 1)[1].strip() for line in f if line.startswith("Kernel trace:")]
    with open(csv_path, encoding="utf-8", errors="replace") as f:
        rows = list(csv.DictReader(line for line in f if line.startswith('"')))
    kernels = [(r["Kernel Name"].split("(")[0], float(r["Metric Value"].replace(",", "")))
               for r in rows if r.get("Metric Name") == "gpu__time_duration.sum"]
    if not kernels:
        print(f"no kernel times in {csv_path}")
        return 1
    calls: list[list[tuple[str, float]]] = []
    for name, ns in kernels:
        if name == "embed_bf16" or not calls:
            calls.append([])
        calls[-1].append((name, ns))
    if len(calls) != len(titles):
        print(f"(found {len(calls)} calls in the trace and {len(titles)} 'Kernel trace' lines in the log; naming them in order)")
    for i, call in enumerate(calls):
        title = titles[i] if i < len(titles) else f"call {i + 1}"
        total = sum(ns for _, ns in call)
        by_name: dict[str, list[float]] = defaultdict(list)
        for name, ns in call:
            by_name[name].append(ns)
        print(f"\n### {title}: {len(call)} kernels, {total / 1e6:.3f} ms of kernel time (each kernel alone, serialised)\n")
        print("| kernel | launches | total ms | mean µs | share |")
        print("|---|---:|---:|---:|---:|")
        for name, times in sorted(by_name.items(), key=lambda kv: -sum(kv[1])):
            s = sum(times)
            print(f"| {name} | {len(times)} | {s / 1e6:.3f} | {s / len(times) / 1e3:.1f} | {100 * s / total:.1f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
