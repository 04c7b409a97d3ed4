#!/usr/bin/env bash
# Per-kernel GPU time of one call of each prefill and cached row, by Nsight Compute (ncu, on the GPU machine): the bench
# runs with --kernel-trace, which puts one call of each row between cuProfilerStart and cuProfilerStop, and ncu measures
# only the kernels in those ranges (each on its own, serialised: their sum leaves out the overlap of dependent launches
# and the gaps between kernels, which the bench's TTFT rows include). From the repository root:
#
#   bash benchmarks/Cuda/kernel_trace.sh all --prefill 4096,8192 --cached 4096 --no-host-tier --decode 0 --reps 3
#
# Arguments go to the bench (the publish in .device/cuda, as for run_on_device.sh); `all` keeps the checks, without
# which every fused path is off. Writes $OUT/kernel-trace.csv and $OUT/kernel-trace.log, then prints the summary.
set -uo pipefail
export LD_LIBRARY_PATH="/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PROMPTCACHE_CUDA_CACHE="${PROMPTCACHE_CUDA_CACHE:-/tmp/promptcache-cuda-kernels}"
BIN="${BIN:-.device/cuda/PromptCache.Cuda.Bench}"
NCU="${NCU:-$(command -v ncu || echo /usr/local/cuda/bin/ncu)}"
LOG_DIR="${OUT:-/tmp}"
chmod +x "$BIN" 2>/dev/null || true
"$NCU" --profile-from-start off --clock-control none --metrics gpu__time_duration.sum --csv --print-units base \
  --log-file "$LOG_DIR/kernel-trace.csv" "$BIN" "$@" --kernel-trace > "$LOG_DIR/kernel-trace.log" 2>&1
rc=$?
echo "bench under ncu exit code: $rc"
grep -E "CHECKS|FAIL" "$LOG_DIR/kernel-trace.log" | head -20
python3 benchmarks/Cuda/kernel_trace.py "$LOG_DIR/kernel-trace.csv" "$LOG_DIR/kernel-trace.log"
exit "$rc"
