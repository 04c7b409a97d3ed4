set -uo pipefail
HF=1 bash benchmarks/Cuda/run_on_device.sh all --profile > $OUT/all.log 2>&1; echo "all rc $?"
grep -E "CHECKS|FAIL |Tuned prefill|Profile of prefill|128-key attention steps:|^row|uncached prefill |cached \(|host tier|decode step \(" $OUT/cuda-bench.log | head -60
grep -E "full prefill|decode after" $OUT/hf-reference.log
mkdir -p /tmp/cli && tar -C /tmp/cli -xJf .device/cli.tar.xz
export LD_LIBRARY_PATH=/usr/local/cuda/lib64
for s in 7b 8b; do /tmp/cli/cli/promptcache bench ttft --backend cuda --shape $s --tokens 4096,8100 --reps 30 --uncached-reps 3 --kv f16 --rehearse 30 > $OUT/engine_$s.log 2>&1; echo "engine $s rc $?"; tail -12 $OUT/engine_$s.log; done
