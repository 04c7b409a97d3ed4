// Shared helpers, prepended to every kernel source before NVRTC compiles it. No include directives: the
// machine that runs us may have libnvrtc but no CUDA headers, so bf16/f16 conversions are written
// out here instead of coming from cuda_bf16.h / cuda_fp16.h.
typedef unsigned short bf16_t;
typedef unsigned long long u64;
typedef long long i64;

#define NEG_INF (-__int_as_float(0x7f800000))

__device__ __forceinline__ float bf16_to_f32(bf16_t v) { return __uint_as_float(((unsigned)v) << 16); }

// Round to nearest even, NaN stays NaN (quiet).
__device__ __forceinline__ bf16_t f32_to_bf16(float f)
{
    unsigned u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (bf16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (bf16_t)(u >> 16);
}

// Two bf16 in one register: `lo` in bits 0-15 (the lower index, as mma fragments expect). On sm_80+
// one cvt.rn.bf16x2.f32 (round to nearest even, like f32_to_bf16) instead of ~14 integer
// instructions: attention packs 32 probabilities per thread per key tile, so this is on its hot path.
// The instruction puts its first source in the upper half.
__device__ __forceinline__ unsigned pack_bf16x2(float lo, float hi)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    unsigned d;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
    return d;
#else
    return (unsigned)f32_to_bf16(lo) | ((unsigned)f32_to_bf16(hi) << 16);
#endif
}

__device__ __forceinline__ float f16_to_f32(unsigned short h)
{
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

__device__ __forceinline__ unsigned short f32_to_f16(float f)
{
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}

// One RoPE rotation of the pair (a, b) = (x[i], x[i + half]) (or (x[2i], x[2i+1])) by (c, s) = (cos, sin) of its
// frequency: a' = a·c − b·s, b' = b·c + a·s. Every product and sum is rounded on its own (no fused
// multiply-add), so each kernel that rotates (rope, rope_rows, the K/V store, the wgmma attention's Q load)
// gives the same bits: RoPE can move into its readers without changing a single logit.
__device__ __forceinline__ float rope_first(float a, float b, float c, float s) { return __fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s)); }
__device__ __forceinline__ float rope_second(float a, float b, float c, float s) { return __fadd_rn(__fmul_rn(b, c), __fmul_rn(a, s)); }

__device__ __forceinline__ float warp_sum(float v)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v)
{
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ float block_sum(float v)
{
    __shared__ float partial[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    float total = lane < warps ? partial[lane] : 0.0f;
    return warp_sum(total);
}

// SwiGLU's product silu(g)·u, in f32 (silu_mul and the SwiGLU GEMM's epilogue: the same values either way). Not IEEE
// division's dozen-instruction sequence, which the tensor cores wait for in the SwiGLU GEMM's epilogue, but the SFU's
// reciprocal refined by one Newton step (two FMAs; near correctly rounded), then two multiplies. The bare reciprocal
// (__fdividef, 2 ulp; s15-13) cost the 640-position head_dim-128 HF parity model its top-1 ≥ 99 %: 98.9 % (7 near-tie
// misses) in every fused-norm configuration, against 99.2–99.5 % with IEEE division or this step (H100, s17-6; prefill
// 4096 7B 93.54 ms with IEEE division, 93.46 with this, in one call). The clamp keeps rcp(inf) from making the Newton
// step 0 · inf: for g below -69, where silu(g) is below 1e-28 in magnitude anyway.
__device__ __forceinline__ float silu_times(float g, float u)
{
    const float d = fminf(1.0f + __expf(-g), 1e30f);
    float r = __fdividef(1.0f, d);
    r = fmaf(fmaf(-d, r, 1.0f), r, r);
    return g * r * u;
}

// Programmatic dependent launch (SM 9.0+; nothing on older GPUs). A kernel launched as a dependent of the one before it
// in the stream may start while that one still runs: pdl_wait holds it until the previous kernel has finished and its
// writes are visible (at once when it was not launched as a dependent). pdl_launch_dependents lets the next kernel, if
// launched as a dependent, start its blocks once every block of this one has started: the kernels that precede the
// skinny GEMMs call it first thing, so that the GEMM's weight copies overlap their work.
__device__ __forceinline__ void pdl_wait()
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

__device__ __forceinline__ void pdl_launch_dependents()
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

// A shared-memory pointer as the 32-bit address the shared-memory instructions take.
__device__ __forceinline__ unsigned shared_address(const void* p)
{
    unsigned a;
    asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(a) : "l"(p));
    return a;
}

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 900 // (nvcc's host pass parses the kernels that call them, too)
// Shared-memory barriers of the Hopper kernels (attention_wgmma.cu, gemm_wgmma.cu): a phase completes when its
// arrivals (and, for copies that announce bytes, those bytes) are all in.
__device__ __forceinline__ void mbar_init(u64* bar, unsigned count)
{
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(shared_address(bar)), "r"(count) : "memory");
}

__device__ __forceinline__ void mbar_arrive(u64* bar)
{
    asm volatile("{\n.reg .b64 state;\nmbarrier.arrive.shared::cta.b64 state, [%0];\n}\n" ::"r"(shared_address(bar)) : "memory");
}

// Waits until the barrier's phase of this parity has completed.
__device__ __forceinline__ void mbar_wait(u64* bar, unsigned parity)
{
    asm volatile(
        "{\n.reg .pred done;\n"
        "WAIT_%=:\n"
        "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
        "@!done bra WAIT_%=;\n}\n" ::"r"(shared_address(bar)), "r"(parity) : "memory");
}

// The producer's arrival, announcing the bytes its copies will deliver (the phase completes when they have).
__device__ __forceinline__ void mbar_expect_bytes(u64* bar, unsigned bytes)
{
    asm volatile("{\n.reg .b64 state;\nmbarrier.arrive.expect_tx.shared::cta.b64 state, [%0], %1;\n}\n" ::"r"(shared_address(bar)), "r"(bytes) : "memory");
}

// A CUtensorMap (cuda.h is not available to NVRTC here): 128 opaque bytes, 64-byte aligned, filled by
// cuTensorMapEncodeTiled on the host and passed by value as a __grid_constant__ parameter.
struct __align__(64) TmaMap
{
    u64 words[16];
};

// One box of a 3-D tensor (c0 the contiguous coordinate) into shared memory at dst; completes on bar. Elements
// past the tensor's ends arrive as zeros.
__device__ __forceinline__ void tma_load_3d(unsigned dst, const TmaMap* map, int c0, int c1, int c2, u64* bar)
{
    asm volatile("cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];\n"
                 ::"r"(dst), "l"((u64)map), "r"(c0), "r"(c1), "r"(c2), "r"(shared_address(bar)) : "memory");
}

// One box of a 2-D tensor (c0: the contiguous coordinate, c1: the row) into shared memory; completes on bar.
// Rows or columns past the tensor's end arrive as zeros.
__device__ __forceinline__ void tma_load(unsigned dst, const TmaMap* map, int c0, int c1, u64* bar)
{
    asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];\n"
                 ::"r"(dst), "l"((u64)map), "r"(c0), "r"(c1), "r"(shared_address(bar)) : "memory");
}
#endif

#if defined(WGMMA_ATTENTION) || defined(WGMMA_GEMM) // the units built for sm_90a, where wgmma exists
// Shared-memory matrix descriptor, 128-byte swizzle (layout type 1). sbo: bytes between 8-row groups;
// lbo: bytes between 64-element panels along an MN-major operand's N (unused for K-major).
__device__ __forceinline__ u64 wgmma_desc(unsigned address, unsigned lbo, unsigned sbo)
{
    return (u64)((address & 0x3FFFFu) >> 4) | ((u64)(lbo >> 4) << 16) | ((u64)(sbo >> 4) << 32) | (1ull << 62);
}

// The descriptor of the wgmma GEMMs' operands (gemm_wgmma.cu, skinny_wgmma.cu): K-major rows of 128 bytes, 8-row groups
// 1024 bytes apart.
__device__ __forceinline__ u64 gemm_desc(unsigned address) { return wgmma_desc(address, 16, 1024); }

__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_wait_all() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }

// A wgmma's f32 accumulators d[i][0..3] as in-out asm operands, one fragment or eight.
#define WGMMA_ACC(i) "+f"(d[i][0]), "+f"(d[i][1]), "+f"(d[i][2]), "+f"(d[i][3])
#define WGMMA_ACC8(i) WGMMA_ACC(i), WGMMA_ACC(i + 1), WGMMA_ACC(i + 2), WGMMA_ACC(i + 3), WGMMA_ACC(i + 4), WGMMA_ACC(i + 5), WGMMA_ACC(i + 6), WGMMA_ACC(i + 7)
#endif
