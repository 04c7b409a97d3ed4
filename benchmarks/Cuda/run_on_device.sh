#!/usr/bin/env bash
# One device call: GPU correctness checks + TTFT benchmarks of the CUDA backend, optionally the HF
# transformers reference on the same shapes. Run from the repository root on the GPU machine:
#
#   benchmarks/Cuda/run_on_device.sh all --profile           # checks + timings, both shapes (about a minute)
#   benchmarks/Cuda/run_on_device.sh check                   # correctness only
#   HF=1 benchmarks/Cuda/run_on_device.sh bench              # timings, then HF's on the same shapes (+ HF decode);
#                                                            # without the checks every fused path is off: the baseline
#
# Expects the self-contained publish in .device/cuda (override with BIN=...), made on a machine
# with the .NET SDK by:
#   dotnet publish benchmarks/Cuda/PromptCache.Cuda.Bench.csproj -c Release -r linux-x64 -o .device/cuda
set -uo pipefail
export LD_LIBRARY_PATH="/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PROMPTCACHE_CUDA_CACHE="${PROMPTCACHE_CUDA_CACHE:-/tmp/promptcache-cuda-kernels}"
BIN="${BIN:-.device/cuda/PromptCache.Cuda.Bench}"
LOG_DIR="${OUT:-/tmp}"

nvidia-smi --query-gpu=name,driver_version,memory.used,memory.total,clocks.sm,clocks.max.sm --format=csv 2>/dev/null || echo "(nvidia-smi unavailable)"
chmod +x "$BIN" 2>/dev/null || true

# A larger HF-saved model (head_dim 128, 640 positions) for the parity check, made here with
# transformers on the CPU (~20 s); HF_PARITY=0 skips it.
EXTRA=()
if [ "${HF_PARITY:-1}" = "1" ] && [ "${1:-all}" != "bench" ]; then
  if python3 benchmarks/Cuda/hf_parity_model.py /tmp/hf-parity/llama-hd128 2>&1 | tail -2; then
    EXTRA=(--hf-model /tmp/hf-parity/llama-hd128)
  else
    echo "(hf_parity_model.py failed; continuing without it)"
  fi
fi

"$BIN" "$@" ${EXTRA[@]+"${EXTRA[@]}"} 2>&1 | tee "$LOG_DIR/cuda-bench.log"
rc=${PIPESTATUS[0]}
echo "bench exit code: $rc"

if [ "${HF:-0}" = "1" ]; then
  python3 benchmarks/Cuda/hf_reference.py 2>&1 | tee "$LOG_DIR/hf-reference.log"
  # The targets against this call's HF figures.
  python3 benchmarks/Cuda/same_call_table.py "$LOG_DIR/cuda-bench.log" "$LOG_DIR/hf-reference.log" | tee "$LOG_DIR/same-call-table.md"
fi
exit "$rc"
