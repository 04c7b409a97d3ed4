#!/usr/bin/env bash
# Interleaved same-machine comparison, for a shared machine whose speed drifts by 10-20 % within
# minutes: ours and llama.cpp alternate, one prompt length at a time, ROUNDS rounds each (one
# repetition per round), and the table reports each side's median over the rounds and their ratio.
# Our side is the NativeAOT build (as `AOT=1 run.sh`), which also reports peak RSS and its prefill GFLOP/s (this
# machine's ceilings, benchmarks/RESULTS.md "Session 3": FMA ~227 GFLOP/s, Debian OpenBLAS sgemm 185-198).
# Decode is also judged against its floor: the weight bytes a step reads over the memory read rate that our
# side measures right after its decode timing (benchmarks/Inference/ReadBandwidth.cs), and both engines'
# weight GB/s are printed next to that rate.
# Usage: benchmarks/Inference/llamacpp/interleaved.sh [models=llama-110m,llama-1b] [lengths=512,2048] [rounds=3]
# DECODE=N sets the decode tokens per round (default 16), THREADS the llama.cpp threads (default 2).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${PROMPTCACHE_BENCH_DIR:-/tmp/promptcache-bench}"
models="${1:-llama-110m,llama-1b}"; lengths="${2:-512,2048}"; rounds="${3:-3}"
cd "$here"
[ -d node_modules/node-llama-cpp ] || NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --omit=optional --no-audit --no-fund
dotnet publish "$here/.." -c Release -r linux-x64 -p:NativeAot=true -o "$dir/aot" >/dev/null
ours="$dir/aot/PromptCache.Benchmarks.Inference"
tok="$here/../../../../shared/models/stories260K/stories260K.gguf"
extra=(); [ -f "$tok" ] && extra=(--tokenizer "$tok")
log="$(mktemp)"
for m in ${models//,/ }; do
  t=f32; [ "$m" = llama-1b ] && t=f16
  for n in ${lengths//,/ }; do
    for r in $(seq 1 "$rounds"); do
      # | model | dtype | prompt | prefill ms | prefill tok/s | GFLOP/s | decode ms/tok | decode tok/s | suffix ms | weights | K/V | peak RSS | RSS ratio | RSS before | decode GB/s | read GB/s | ...
      "$ours" --dir "$dir" "${extra[@]}" --models "$m" --lengths "$n" --reps 1 --decode "${DECODE:-16}" 2>/dev/null |
        awk -F'|' -v m="$m" -v n="$n" '$2 ~ m { print "ours", m, n, $6+0, $9+0, $10+0, $14+0, $7+0, $16+0, $17+0 }' >> "$log"
      # | engine | model | prompt | prefill ms | prefill tok/s | decode ms/tok | decode tok/s | suffix ms |
      node "$here/bench.mjs" --model "$dir/$m-v512-$t.gguf" --lengths "$n" --reps 1 --decode "${DECODE:-16}" --threads "${THREADS:-2}" 2>/dev/null |
        awk -F'|' -v m="$m" -v n="$n" '$2 ~ /llama.cpp/ { print "peer", m, n, $6+0, $8+0, $9+0, 0, 0, 0, 0 }' >> "$log"
    done
  done
done
echo "| model | prompt | rounds | ours prefill tok/s | llama.cpp prefill tok/s | prefill ratio | ours prefill GFLOP/s | ours decode tok/s | llama.cpp decode tok/s | decode ratio | ours cached suffix ms | llama.cpp cached suffix ms | ours peak RSS / (weights + K/V) | ours decode weight GB/s | llama.cpp decode weight GB/s | read ceiling GB/s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
python3 - "$log" "$rounds" <<'PY'
import sys, statistics as st, collections
rows = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    side, m, n, prefill, decode, suffix, rss, gflops, gbps, ceiling = line.split()
    for k, v in (("prefill", prefill), ("decode", decode), ("suffix", suffix), ("rss", rss), ("gflops", gflops), ("gbps", gbps), ("ceiling", ceiling)):
        rows[(m, int(n))][side + k].append(float(v))
for (m, n), r in rows.items():
    med = lambda k: st.median(r[k]) if r[k] else float("nan")
    print(f"| {m} | {n} | {sys.argv[2]} | {med('oursprefill'):.1f} | {med('peerprefill'):.1f} | {med('oursprefill') / med('peerprefill'):.2f}x | {med('oursgflops'):.1f} "
          f"| {med('oursdecode'):.1f} | {med('peerdecode'):.1f} | {med('oursdecode') / med('peerdecode'):.2f}x "
          f"| {med('ourssuffix'):.0f} | {med('peersuffix'):.0f} | {max(r['oursrss']):.2f} "
          # Same bytes per token on both sides, so llama.cpp's rate is ours scaled by the tok/s ratio.
          f"| {med('oursgbps'):.1f} | {med('oursgbps') * med('peerdecode') / med('oursdecode'):.1f} | {med('oursceiling'):.1f} |")
PY
echo "raw rounds: $log"
