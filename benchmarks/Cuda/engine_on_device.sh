#!/usr/bin/env bash
# The Prompt Cache engine on the GPU, through the user-facing tool (`--backend cuda`), in one device call:
#   1. stories260K (a real trained model): the same typed prompt run on the CPU and on CUDA, greedy;
#      the continuations are printed side by side (bf16 on the GPU vs f32 on the CPU may part late).
#   2. `promptcache bench ttft --backend cuda`: cached vs uncached TTFT of the engine on a synthetic shape.
# Expects, made on a machine with the .NET SDK:
#   dotnet publish runtime/PromptCache.Cli -c Release -r linux-x64 --self-contained -o .device/cli
#   cp ../shared/models/stories260K/stories260K.gguf .device/models/
# and runs from the repository root on the GPU machine: bash benchmarks/Cuda/engine_on_device.sh [shape] [tokens]
set -uo pipefail
export LD_LIBRARY_PATH="/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PROMPTCACHE_CUDA_CACHE="${PROMPTCACHE_CUDA_CACHE:-/tmp/promptcache-cuda-kernels}"
CLI="${CLI:-.device/cli/promptcache}"
MODEL="${MODEL:-.device/models/stories260K.gguf}"
SHAPE="${1:-110m}"
TOKENS="${2:-1024,4096}"
chmod +x "$CLI" 2>/dev/null || true
work=$(mktemp -d)

cat > "$work/story.pml" <<'PML'
<schema name="story">
  <module name="opening">Once upon a time, there was a little girl named Lily.</module>
  <module name="friend">One day, she met a <parameter name="animal" length="3" scaffold="dog"/>.</module>
  <union><module name="park">She went to the park with her mom.</module><module name="sea">She loved to swim in the sea.</module></union>
</schema>
PML
cat > "$work/prompt.pml" <<'PML'
<prompt schema="story"><opening/><friend animal="cat"/><sea/> Then</prompt>
PML

status=0
for backend in cpu cuda; do
  echo "== stories260K, --backend $backend"
  "$CLI" run --model "$MODEL" --schema "$work/story.pml" --prompt "$work/prompt.pml" --max-tokens 24 --temperature 0 --backend "$backend" \
    > "$work/$backend.txt" 2> "$work/$backend.err" || status=1
  cat "$work/$backend.txt"; grep -v "^promptcache run: warmed" "$work/$backend.err"
done
if cmp -s "$work/cpu.txt" "$work/cuda.txt"; then echo "CPU and CUDA continuations: identical"; else echo "CPU and CUDA continuations: DIFFER"; fi

echo "== bench ttft --backend cuda --shape $SHAPE --tokens $TOKENS"
"$CLI" bench ttft --backend cuda --shape "$SHAPE" --tokens "$TOKENS" --reps 5 --uncached-reps 3 --kv f16 || status=1
exit "$status"
