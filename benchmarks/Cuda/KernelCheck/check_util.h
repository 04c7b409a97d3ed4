// Host helpers of the nvcc-built kernel checks (gemm_check.cu, skinny_check.cu): error checks, bf16 on the host,
// random bf16 arrays, TMA maps in the layout the wgmma kernels read, and event timing.
#pragma once
#include <cuda.h>
#include <cuda_runtime.h>
#include <cublas_v2.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#define CHECK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("%s failed: %s (line %d)\n", #x, cudaGetErrorString(e_), __LINE__); exit(1); } } while (0)
#define CHECK_CU(x) do { CUresult e_ = (x); if (e_ != CUDA_SUCCESS) { printf("%s failed: %d (line %d)\n", #x, (int)e_, __LINE__); exit(1); } } while (0)
#define CHECK_BLAS(x) do { cublasStatus_t e_ = (x); if (e_ != CUBLAS_STATUS_SUCCESS) { printf("%s failed: %d (line %d)\n", #x, (int)e_, __LINE__); exit(1); } } while (0)

static unsigned short host_bf16(float f)
{
    unsigned u;
    memcpy(&u, &f, 4);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (unsigned short)(u >> 16);
}

static float host_f32(unsigned short b)
{
    unsigned u = (unsigned)b << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

// rows × cols bf16, row-major, boxes of 64 columns × boxRows rows, 128-byte swizzle (what the kernel expects).
static TmaMap make_map(const void* base, int rows, int cols, int boxRows)
{
    CUtensorMap map;
    cuuint64_t dims[2] = {(cuuint64_t)cols, (cuuint64_t)rows};
    cuuint64_t strides[1] = {(cuuint64_t)cols * 2};
    cuuint32_t box[2] = {64, (cuuint32_t)boxRows};
    cuuint32_t elementStrides[2] = {1, 1};
    CHECK_CU(cuTensorMapEncodeTiled(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 2, (void*)base, dims, strides, box, elementStrides,
        CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE));
    TmaMap out;
    memcpy(&out, &map, sizeof(out));
    return out;
}

static bf16_t* random_bf16(size_t n, float scale, unsigned seed)
{
    std::vector<unsigned short> host(n);
    unsigned s = seed;
    for (size_t i = 0; i < n; i++)
    {
        s = s * 1664525u + 1013904223u;
        float u = ((s >> 8) & 0xffffff) / 16777216.0f - 0.5f;
        host[i] = host_bf16(u * 2 * scale);
    }
    bf16_t* d;
    CHECK(cudaMalloc(&d, n * 2));
    CHECK(cudaMemcpy(d, host.data(), n * 2, cudaMemcpyHostToDevice));
    return d;
}

// The median of `reps` event-timed calls of run after 3 untimed ones; prepare runs before each call, outside the
// timing (short_query_probe.cu flushes L2 there).
template <typename P, typename F>
static double median_ms(P prepare, F run, int reps)
{
    cudaEvent_t a, b;
    CHECK(cudaEventCreate(&a));
    CHECK(cudaEventCreate(&b));
    for (int i = 0; i < 3; i++)
    {
        prepare();
        run();
    }
    std::vector<float> t(reps);
    for (int i = 0; i < reps; i++)
    {
        prepare();
        CHECK(cudaEventRecord(a));
        run();
        CHECK(cudaEventRecord(b));
        CHECK(cudaEventSynchronize(b));
        CHECK(cudaEventElapsedTime(&t[i], a, b));
    }
    std::sort(t.begin(), t.end());
    return t[reps / 2];
}

template <typename F>
static double median_ms(F run, int reps = 20) { return median_ms([] {}, run, reps); }
