#!/usr/bin/env bash
# The xunit GPU tests (tests/PromptCache.Cuda.Tests: HF parity of the tiny fixtures, the asynchronous K/V
# write-back with CUDA graphs) on the GPU machine, which has no .NET SDK. The test project uses xunit v3,
# so its self-contained publish is its own runner. Made on a machine with the SDK (~29 MB; the test
# platform's own files are left out, the xunit runner does not load them):
#
#   dotnet publish tests/PromptCache.Cuda.Tests -c Release -r linux-x64 --self-contained -o .device/cudatests
#   tar --exclude=CodeCoverage --exclude='*.pdb' --exclude='*.xml' --exclude='Microsoft.CodeCoverage*' \
#       --exclude='Microsoft.VisualStudio.*' --exclude='Microsoft.TestPlatform.*' --exclude='Mono.Cecil*' \
#       --exclude=Newtonsoft.Json.dll --exclude=Microsoft.ApplicationInsights.dll \
#       -C .device -cf - cudatests | xz -9 > .device/cudatests.tar.xz
#
# Then, from the repository root on the GPU machine (the tests find their fixtures above .device):
#   bash benchmarks/Cuda/tests_on_device.sh            # extra arguments go to the xunit runner
set -uo pipefail
export LD_LIBRARY_PATH="/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PROMPTCACHE_CUDA_CACHE="${PROMPTCACHE_CUDA_CACHE:-/tmp/promptcache-cuda-kernels}"
tar -C .device -xJf .device/cudatests.tar.xz || exit 1
.device/cudatests/PromptCache.Cuda.Tests -noColor "$@" 2>&1 | tee "${OUT:-/tmp}/cuda-tests.log"
exit "${PIPESTATUS[0]}"
