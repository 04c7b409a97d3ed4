#!/usr/bin/env bash
# Nsight Compute on one launch of the wgmma attention kernel (8192-row causal prefill, head dim 128; the
# harness's ATTN_PROFILE mode), then a count of the kernel's memory, barrier and wgmma instructions in its
# SASS: where the session-5 layout findings (wasted sectors, bank conflicts) came from.
# GPU machine, repository root: bash benchmarks/Cuda/KernelCheck/profile.sh
NVCC=/usr/local/cuda/bin/nvcc
$NVCC -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -lineinfo -DHEAD_DIM=128 -DWGMMA_ATTENTION=1 -o /tmp/prof benchmarks/Cuda/KernelCheck/attention_check.cu || exit 1
ATTN_PROFILE=1 /usr/local/cuda/bin/ncu --kernel-name regex:attention_wgmma --section WarpStateStats --section SourceCounters --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis_Tables /tmp/prof 2>&1 | grep -v "^==PROF==" | head -150
/usr/local/cuda/bin/cuobjdump -sass /tmp/prof | awk '/Function : attention_wgmma$/,/Function : attention_pipelined_wide/' | grep -E "LDL|STL|LDC|LDG|HGMMA|WARPGROUP|BAR|LDGSTS|DEPBAR" | sort | uniq -c | sort -rn | head -40
