// Where a cached call's short-query attention loses time against its bandwidth floor (H100, nvcc on the GPU machine):
//   stream  the same K/V tiles copied into shared memory with nothing computed, through the kernel's own copy routine,
//           in the segments' layout (a token's kv heads side by side) and in a head-major one, with a ring of 2 or 4 stages;
//   attend  attention_wgmma on 48 rows (or 1) over 4096 module keys + the causal new rows, then attention_combine,
//           checked against attention_simple.
// L2 is flushed before every timed launch (a layer's K/V is not in L2 when a model reaches it). Findings (s19-2, in
// RESULTS.md): the layout makes no difference, a deeper ring only helps the copy alone, and the kernel takes 1.4× (MHA)
// to 2.2× (GQA 32/8) the time of the copy alone.
//
//   nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -DHEAD_DIM=128 -DWGMMA_ATTENTION=1 \
//        -o /tmp/sqp benchmarks/Cuda/KernelCheck/short_query_probe.cu -lcuda && /tmp/sqp
#include <cuda.h>
#include <cuda_runtime.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../../runtime/PromptCache.Cuda/Kernels/common.cuh"
#include "../../../runtime/PromptCache.Cuda/Kernels/attention.cu"
#include "../../../runtime/PromptCache.Cuda/Kernels/attention_pipelined.cu"
#include "../../../runtime/PromptCache.Cuda/Kernels/attention_wgmma.cu"
#include "check_util.h"

// Copies this block's key range of one kv head's K and V, tile by tile, through a STAGES-deep cp.async ring.
// headStride: elements between kv heads' first keys; stride: between consecutive keys.
template <int STAGES>
__global__ void __launch_bounds__(128) stream_kv(const bf16_t* k, const bf16_t* v, int keys, int stride, int headStride, int heads, int kvheads,
    int splits, float* sink)
{
    extern __shared__ uint4 probe_smem[];
    bf16_t* smem = (bf16_t*)((char*)probe_smem + ((1024u - (shared_address(probe_smem) & 1023u)) & 1023u));
    const int kvh = blockIdx.x / (heads / kvheads), split = blockIdx.z, tiles = (keys + WKT - 1) / WKT;
    const int begin = (int)((long)tiles * split / splits), end = (int)((long)tiles * (split + 1) / splits);
    const bf16_t* K = k + (long)kvh * headStride;
    const bf16_t* V = v + (long)kvh * headStride;
    for (int p = 0; p < STAGES - 1; p++)
    {
        if (begin + p < end)
        {
            wgmma_load_rows<128>(smem + p * 2 * WTILE, K, stride, (begin + p) * WKT, keys, threadIdx.x);
            wgmma_load_rows<128>(smem + p * 2 * WTILE + WTILE, V, stride, (begin + p) * WKT, keys, threadIdx.x);
        }
        cp_async_commit();
    }
    float acc = 0;
    for (int t = begin, i = 0; t < end; t++, i++)
    {
        cp_async_wait<STAGES - 2>();
        __syncthreads();
        if (t + STAGES - 1 < end)
        {
            bf16_t* nk = smem + ((i + STAGES - 1) % STAGES) * 2 * WTILE;
            wgmma_load_rows<128>(nk, K, stride, (t + STAGES - 1) * WKT, keys, threadIdx.x);
            wgmma_load_rows<128>(nk + WTILE, V, stride, (t + STAGES - 1) * WKT, keys, threadIdx.x);
        }
        cp_async_commit();
        acc += bf16_to_f32(smem[(i % STAGES) * 2 * WTILE + threadIdx.x]);
    }
    cp_async_wait<0>();
    if (acc == 12345.0f) sink[0] = acc; // keeps the reads
}

static char* flushBuffer;
template <class Call>
static double timed_us(int reps, const Call& call)
{
    return 1e3 * median_ms([] { CHECK(cudaMemsetAsync(flushBuffer, 0, 128 << 20)); }, call, reps);
}

int main()
{
    const int heads = 32, modules = 4096, maxRows = 48, tokens = modules + maxRows, reps = 15;
    printf("short-query probe, HEAD_DIM %d\n", HEAD_DIM);
    CHECK(cudaMalloc(&flushBuffer, 128 << 20));
    size_t kvElems = (size_t)tokens * heads * HEAD_DIM;
    bf16_t *k, *v, *kh, *vh;
    float *q, *out, *part, *sink;
    CHECK(cudaMalloc(&k, kvElems * 2));
    CHECK(cudaMalloc(&v, kvElems * 2));
    CHECK(cudaMalloc(&kh, kvElems * 2));
    CHECK(cudaMalloc(&vh, kvElems * 2));
    CHECK(cudaMalloc(&q, (size_t)maxRows * heads * HEAD_DIM * 4));
    CHECK(cudaMalloc(&out, (size_t)maxRows * heads * HEAD_DIM * 4));
    CHECK(cudaMalloc(&part, (size_t)32 * maxRows * heads * (HEAD_DIM + 2) * 4));
    CHECK(cudaMalloc(&sink, 4));
    {
        srand(7);
        std::vector<unsigned short> h(kvElems);
        for (auto& x : h) x = host_bf16(rand() / (float)RAND_MAX - 0.5f);
        CHECK(cudaMemcpy(k, h.data(), kvElems * 2, cudaMemcpyHostToDevice));
        CHECK(cudaMemcpy(kh, h.data(), kvElems * 2, cudaMemcpyHostToDevice));
        for (auto& x : h) x ^= 0x0040;
        CHECK(cudaMemcpy(v, h.data(), kvElems * 2, cudaMemcpyHostToDevice));
        CHECK(cudaMemcpy(vh, h.data(), kvElems * 2, cudaMemcpyHostToDevice));
        std::vector<float> qh((size_t)maxRows * heads * HEAD_DIM);
        for (auto& x : qh) x = (rand() / (float)RAND_MAX - 0.5f) * 4.0f;
        CHECK(cudaMemcpy(q, qh.data(), qh.size() * 4, cudaMemcpyHostToDevice));
    }
    const int ring2 = 2 * 2 * WTILE * 2 + 1024, ring4 = 4 * 2 * WTILE * 2 + 1024;
    CHECK(cudaFuncSetAttribute(stream_kv<2>, cudaFuncAttributeMaxDynamicSharedMemorySize, ring2));
    CHECK(cudaFuncSetAttribute(stream_kv<4>, cudaFuncAttributeMaxDynamicSharedMemorySize, ring4));
    const int attnShared = (WG_STAGES * 2 + 1) * WTILE * 2 + 1024;
    CHECK(cudaFuncSetAttribute(attention_wgmma, cudaFuncAttributeMaxDynamicSharedMemorySize, attnShared));
    bool ok = true;

    for (int kvheads : {32, 8})
    {
        const int stride = kvheads * HEAD_DIM;
        const double bytes = 2.0 * modules * kvheads * HEAD_DIM * 2, floorUs = bytes / 3.35e12 * 1e6;
        printf("\n%d kv heads: module K/V %.1f MB, floor %.1f us at 3.35 TB/s\n", kvheads, bytes / 1e6, floorUs);
        printf("%-34s %7s %9s %8s %9s\n", "what", "splits", "us", "TB/s", "x floor");
        for (int splits : {4, 8, 16})
        {
            auto row = [&](const char* what, double us) { printf("%-34s %7d %9.1f %8.2f %9.2f\n", what, splits, us, bytes / us / 1e6, us / floorUs); };
            row("stream, segment layout, 2 stages", timed_us(reps, [&] { stream_kv<2><<<dim3(heads, 1, splits), 128, ring2>>>(k, v, modules, stride, HEAD_DIM, heads, kvheads, splits, sink); }));
            row("stream, segment layout, 4 stages", timed_us(reps, [&] { stream_kv<4><<<dim3(heads, 1, splits), 128, ring4>>>(k, v, modules, stride, HEAD_DIM, heads, kvheads, splits, sink); }));
            row("stream, head-major, 2 stages", timed_us(reps, [&] { stream_kv<2><<<dim3(heads, 1, splits), 128, ring2>>>(kh, vh, modules, HEAD_DIM, tokens * HEAD_DIM, heads, kvheads, splits, sink); }));
            row("stream, head-major, 4 stages", timed_us(reps, [&] { stream_kv<4><<<dim3(heads, 1, splits), 128, ring4>>>(kh, vh, modules, HEAD_DIM, tokens * HEAD_DIM, heads, kvheads, splits, sink); }));
        }
        for (int rows : {48, 1})
        {
            KvList list = {};
            list.count = 2;
            list.stride = stride;
            list.seg[0] = {(u64)k, (u64)v, modules, 0};
            list.seg[1] = {(u64)(k + (size_t)modules * stride), (u64)(v + (size_t)modules * stride), 0, 1};
            const float scaleLog2 = 1.0f / sqrtf((float)HEAD_DIM) * 1.4426950408889634f;
            std::vector<float> ref((size_t)rows * heads * HEAD_DIM), got(ref.size());
            attention_simple<<<dim3(rows, heads), 32>>>(q, out, rows, heads, kvheads, 1.0f / sqrtf((float)HEAD_DIM), list);
            CHECK(cudaMemcpy(ref.data(), out, ref.size() * 4, cudaMemcpyDeviceToHost));
            for (int splits : {4, 8, 16})
            {
                float* partMl = part + (size_t)splits * rows * heads * HEAD_DIM;
                auto attend = [&] {
                    attention_wgmma<<<dim3(heads, 1, splits), 128, attnShared>>>(q, out, (bf16_t*)nullptr, part, partMl, rows, heads, kvheads, scaleLog2, splits, list, QueryRope{});
                    attention_combine<<<dim3(rows, heads), 128>>>(part, partMl, out, (bf16_t*)nullptr, rows, heads, splits);
                };
                CHECK(cudaMemset(out, 0, got.size() * 4));
                attend();
                CHECK(cudaDeviceSynchronize());
                CHECK(cudaMemcpy(got.data(), out, got.size() * 4, cudaMemcpyDeviceToHost));
                double worst = 0;
                for (size_t i = 0; i < got.size(); i++) worst = std::max(worst, (double)fabsf(got[i] - ref[i]));
                bool pass = worst < 2e-2;
                ok &= pass;
                double us = timed_us(reps, attend);
                printf("%-34s %7d %9.1f %8.2f %9.2f   max |diff| %.2e %s\n", rows == 48 ? "attention_wgmma + combine, 48 rows" : "attention_wgmma + combine, 1 row",
                    splits, us, bytes / us / 1e6, us / floorUs, worst, pass ? "PASS" : "FAIL");
            }
        }
    }
    printf(ok ? "ALL PASS\n" : "SOME FAILED\n");
    return ok ? 0 : 1;
}
