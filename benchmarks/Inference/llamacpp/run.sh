#!/usr/bin/env bash
# Same-run comparison: the .NET benchmark writes the GGUFs and measures itself, then llama.cpp runs the
# same files with the same thread count. Never run two benchmarks at once on the 2-core machine.
# Usage: [AOT=1] benchmarks/Inference/llamacpp/run.sh [model-args for both, e.g. --models llama-110m --lengths 128,512 --reps 5]
# AOT=1 runs our side as a NativeAOT build of the benchmark instead of under the JIT.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${PROMPTCACHE_BENCH_DIR:-/tmp/promptcache-bench}"
cd "$here"
[ -d node_modules/node-llama-cpp ] || NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --omit=optional --no-audit --no-fund
if [ "${AOT:-0}" = "1" ]; then
  # Ours compiled ahead of time (NativeAOT, for this CPU): no JIT in the process, so peak RSS is the
  # model's memory plus ours, without the ~30 MiB of JIT runtime.
  dotnet publish "$here/.." -c Release -r linux-x64 -p:NativeAot=true -o "$dir/aot" >/dev/null
  # The published binary lives outside the repository, so it is told where the shared tokenizer is.
  tok="$here/../../../../shared/models/stories260K/stories260K.gguf"
  extra=(); [ -f "$tok" ] && [[ " $* " != *" --tokenizer "* ]] && extra=(--tokenizer "$tok")
  "$dir/aot/PromptCache.Benchmarks.Inference" --dir "$dir" "${extra[@]}" "$@"
else
  dotnet run -c Release --project "$here/.." -- --dir "$dir" "$@"
fi
lengths=128,512,2048; reps=5; models="llama-110m llama-1b"; dtype=f16
while [ $# -gt 0 ]; do
  case "$1" in
    --lengths) lengths="$2"; shift 2;; --reps) reps="$2"; shift 2;;
    --models) models="${2//,/ }"; shift 2;; --dtype) dtype="$2"; shift 2;; *) shift 2;;
  esac
done
for m in $models; do
  t=f32; [ "$m" = llama-1b ] && t="$dtype"
  node "$here/bench.mjs" --model "$dir/$m-v512-$t.gguf" --lengths "$lengths" --reps "$reps" --threads "${THREADS:-2}"
done
