#!/usr/bin/env bash
# Builds and runs attention_check.cu with nvcc for head dims 128 and 64, then gemm_check.cu and skinny_check.cu (GPU machine,
# repository root), printing ptxas's register and spill report for each kernel.
set -uo pipefail
NVCC="${NVCC:-/usr/local/cuda/bin/nvcc}"
rc=0
for hd in ${HEAD_DIMS:-128 64}; do
  out="/tmp/attention_check_$hd"
  "$NVCC" -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -Xptxas -v -DHEAD_DIM=$hd -DWGMMA_ATTENTION=1 \
    -o "$out" benchmarks/Cuda/KernelCheck/attention_check.cu -lcuda > "/tmp/nvcc_$hd.log" 2>&1
  grep -E "error|warning|Performance Loss|Compiling entry|Used [0-9]+ registers|spill" "/tmp/nvcc_$hd.log" | grep -v "^$" | head -40
  [ -x "$out" ] || { echo "build failed for HEAD_DIM=$hd"; rc=1; continue; }
  "$out" || rc=1
done
# The SwiGLU GEMM (gemm_wgmma.cu) against cuBLAS + silu_mul.
rm -f /tmp/gemm_check
"$NVCC" -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -Xptxas -v -DWGMMA_GEMM=1 \
  -o /tmp/gemm_check benchmarks/Cuda/KernelCheck/gemm_check.cu -lcublas -lcuda > /tmp/nvcc_gemm.log 2>&1
grep -E "error|warning|Performance Loss|Compiling entry function 'swiglu|Used [0-9]+ registers|spill" /tmp/nvcc_gemm.log | head -4
if [ -x /tmp/gemm_check ]; then /tmp/gemm_check || rc=1; else echo "build failed for gemm_check"; rc=1; fi
# The wgmma skinny GEMM (skinny_wgmma.cu) against cuBLAS, per group and over a 32-layer model's weights.
rm -f /tmp/skinny_check
"$NVCC" -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -Xptxas -v -DWGMMA_GEMM=1 \
  -o /tmp/skinny_check benchmarks/Cuda/KernelCheck/skinny_check.cu -lcublas -lcuda > /tmp/nvcc_skinny.log 2>&1
grep -E "error|warning|Performance Loss|Compiling entry function 'skinny_wgmma_n(8|48)|spill" /tmp/nvcc_skinny.log | head -20
if [ -x /tmp/skinny_check ]; then /tmp/skinny_check || rc=1; else echo "build failed for skinny_check"; rc=1; fi
exit $rc
