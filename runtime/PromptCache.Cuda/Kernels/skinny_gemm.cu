// Skinny GEMMs: y[m × N] (f32) = x[m × K] (bf16) · Wᵀ (bf16, N × K row-major) for m ≤ 64 activation
// rows (cached suffixes, decode steps). Such a GEMM only streams W: 13.5 GB per 7B call, so it runs
// at the speed the weights come out of HBM. cuBLAS reached ~1.6–1.9 TB/s on these shapes; this kernel
// keeps many 16-byte weight loads in flight per thread and spends nothing else on them.
//
// One launch covers up to three weight matrices that share the input (q/k/v, gate/up): each block
// belongs to one member (blocks [start[i], start[i+1]) to member i), so the outputs go straight to
// their own buffers and no fused copy of the weights is needed.
//
// Tensor cores (mma.sync m16n8k16): tokens are the M side (16 per m-tile, MT tiles), weight rows the
// N side (8 per n-tile). A block is 8 warps = FG feature groups × 8/FG K parts; a warp owns 32 weight
// rows (4 n-tiles) of its block's 32·FG and one part of the block's K slice. blockIdx.y splits K across
// blocks when there are too few blocks to fill the GPU; those partial sums are added with atomics
// into an output the host zeroed first (split == 1: plain stores).
//
// Operand trick: a dot product does not care in which order k runs, as long as both operands use the
// same order. Thread (g = lane/4, t = lane%4) loads 8 consecutive k (16 bytes) at 8t of each 32-wide
// chunk, for its weight row and its token rows alike, and feeds physical k 8t+4s+{0,1} as the mma's
// logical k {2t, 2t+1} and 8t+4s+{2,3} as {2t+8, 2t+9} in k-step s ∈ {0, 1}. Every physical k of the
// chunk is used exactly once, and the loads are 16-byte vectors.
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800

#define SK_WARPS 8

struct SkinnyGroup
{
    const bf16_t* w[3];
    float* y[3];
    int rows[3];
    int start[4];  // first block of each member; start[count] = all blocks
    int count;
};

__device__ __forceinline__ void sk_mma(float* d, unsigned a0, unsigned a1, unsigned a2, unsigned a3, unsigned b0, unsigned b1)
{
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

// Weights are read once: keep them out of L1 so the activations (read by every warp) stay there.
__device__ __forceinline__ uint4 sk_load_stream(const bf16_t* p)
{
    uint4 v;
    asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0,%1,%2,%3}, [%4];"
                 : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p));
    return v;
}

__device__ __forceinline__ uint4 sk_load_cached(const bf16_t* p)
{
    uint4 v;
    asm volatile("ld.global.nc.v4.u32 {%0,%1,%2,%3}, [%4];" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p));
    return v;
}

// U chunks of 32 columns from k (zeros past kw1; warp-uniform since k and kw1 are multiples of 32).
template <int U>
__device__ __forceinline__ void sk_load_chunks(uint4 (&dst)[U][4], const bf16_t* (&wr)[4], int k, int kw1)
{
#pragma unroll
    for (int u = 0; u < U; u++)
    {
        bool ok = k + 32 * u < kw1;
#pragma unroll
        for (int j = 0; j < 4; j++)
        {
            uint4 zero = {0u, 0u, 0u, 0u};
            dst[u][j] = ok ? sk_load_stream(wr[j] + k + 32 * u) : zero;
        }
    }
}

// FG feature groups of 32 weight rows per block, KW = 8 / FG warps splitting the block's K slice,
// U chunks of 32 columns whose weight loads are issued together.
template <int MT, int FG, int U, bool PIPE>
__device__ __forceinline__ void skinny_body(const SkinnyGroup& g, const bf16_t* __restrict__ x, int m, int K, int kslice)
{
    constexpr int KW = SK_WARPS / FG;
    __shared__ float reduce[KW / 2][FG][MT * 16][32];

    int b = blockIdx.x, mi = 0;
    while (mi + 1 < g.count && b >= g.start[mi + 1]) mi++;
    const bf16_t* __restrict__ W = g.w[mi];
    float* __restrict__ Y = g.y[mi];
    int N = g.rows[mi];

    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, gq = lane >> 2, t = lane & 3;
    int fg = warp % FG, kq = warp / FG;
    int f0 = (b - g.start[mi]) * (32 * FG) + fg * 32;
    int kb0 = blockIdx.y * kslice;
    int kb1 = min(K, kb0 + kslice);
    int part = kslice / KW; // a multiple of 32
    int kw0 = kb0 + kq * part;
    int kw1 = min(kb1, kw0 + part);

    const bf16_t* wr[4];
#pragma unroll
    for (int j = 0; j < 4; j++) wr[j] = W + (i64)min(f0 + 8 * j + gq, N - 1) * K + 8 * t;
    const bf16_t* xr[MT][2];
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int h = 0; h < 2; h++) xr[mt][h] = x + (i64)min(mt * 16 + h * 8 + gq, m - 1) * K + 8 * t;

    float acc[MT][4][4];
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int j = 0; j < 4; j++)
#pragma unroll
            for (int c = 0; c < 4; c++) acc[mt][j][c] = 0.0f;

    // PIPE: the next U chunks' weights are requested before this U chunks' products, so each warp
    // always has loads in flight (twice the registers for weights).
    uint4 wv[U][4];
    if (PIPE) sk_load_chunks<U>(wv, wr, kw0, kw1);
    for (int k = kw0; k < kw1; k += 32 * U)
    {
        uint4 wn[U][4];
        if (PIPE) sk_load_chunks<U>(wn, wr, k + 32 * U, kw1);
        else sk_load_chunks<U>(wv, wr, k, kw1);
#pragma unroll
        for (int u = 0; u < U; u++)
        {
            if (k + 32 * u >= kw1) break;
#pragma unroll
            for (int mt = 0; mt < MT; mt++)
            {
                uint4 lo = sk_load_cached(xr[mt][0] + k + 32 * u); // token row gq of the m-tile
                uint4 hi = sk_load_cached(xr[mt][1] + k + 32 * u); // token row gq + 8
#pragma unroll
                for (int j = 0; j < 4; j++)
                {
                    sk_mma(acc[mt][j], lo.x, hi.x, lo.y, hi.y, wv[u][j].x, wv[u][j].y); // k-step 0
                    sk_mma(acc[mt][j], lo.z, hi.z, lo.w, hi.w, wv[u][j].z, wv[u][j].w); // k-step 1
                }
            }
        }
        if (PIPE)
        {
#pragma unroll
            for (int u = 0; u < U; u++)
#pragma unroll
                for (int j = 0; j < 4; j++) wv[u][j] = wn[u][j];
        }
    }

    // The KW partial sums of each feature group meet in shared memory, halving each round; warp kq 0 writes.
#pragma unroll
    for (int half = KW / 2; half >= 1; half /= 2)
    {
        if (kq >= half && kq < 2 * half)
        {
#pragma unroll
            for (int mt = 0; mt < MT; mt++)
#pragma unroll
                for (int j = 0; j < 4; j++)
#pragma unroll
                    for (int c = 0; c < 4; c++) reduce[kq - half][fg][mt * 16 + j * 4 + c][lane] = acc[mt][j][c];
        }
        __syncthreads();
        if (kq < half)
        {
#pragma unroll
            for (int mt = 0; mt < MT; mt++)
#pragma unroll
                for (int j = 0; j < 4; j++)
#pragma unroll
                    for (int c = 0; c < 4; c++) acc[mt][j][c] += reduce[kq][fg][mt * 16 + j * 4 + c][lane];
        }
        __syncthreads();
    }
    if (kq != 0) return;
    bool split = gridDim.y > 1;
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int j = 0; j < 4; j++)
        {
            int f = f0 + 8 * j + 2 * t;
#pragma unroll
            for (int h = 0; h < 2; h++)
            {
                int tok = mt * 16 + gq + 8 * h;
                if (tok >= m) continue;
                float* out = Y + (i64)tok * N + f;
                if (split)
                {
                    if (f < N) atomicAdd(out, acc[mt][j][2 * h]);
                    if (f + 1 < N) atomicAdd(out + 1, acc[mt][j][2 * h + 1]);
                }
                else
                {
                    if (f < N) out[0] = acc[mt][j][2 * h];
                    if (f + 1 < N) out[1] = acc[mt][j][2 * h + 1];
                }
            }
        }
}

// 64 weight rows per block (2 groups × 4 K-quarters), two 32-column chunks in flight per warp.
extern "C" __global__ void __launch_bounds__(256, 2) skinny_gemm_mt1(SkinnyGroup g, const bf16_t* __restrict__ x, int m, int K, int kslice) { skinny_body<1, 2, 2, false>(g, x, m, K, kslice); }
extern "C" __global__ void __launch_bounds__(256, 2) skinny_gemm_mt2(SkinnyGroup g, const bf16_t* __restrict__ x, int m, int K, int kslice) { skinny_body<2, 2, 2, false>(g, x, m, K, kslice); }
extern "C" __global__ void __launch_bounds__(256, 2) skinny_gemm_mt3(SkinnyGroup g, const bf16_t* __restrict__ x, int m, int K, int kslice) { skinny_body<3, 2, 2, false>(g, x, m, K, kslice); }
extern "C" __global__ void __launch_bounds__(256, 1) skinny_gemm_mt4(SkinnyGroup g, const bf16_t* __restrict__ x, int m, int K, int kslice) { skinny_body<4, 2, 2, false>(g, x, m, K, kslice); }

// 32 weight rows per block (8 warps along K): twice the blocks of the above for the same rows, so
// 4096-row matrices fill the GPU without splitting K across blocks (no atomics, no zeroing), and
// four chunks in flight per warp while it multiplies the previous four.
extern "C" __global__ void __launch_bounds__(256, 1) skinny_gemm_r32_mt1(SkinnyGroup g, const bf16_t* __restrict__ x, int m, int K, int kslice) { skinny_body<1, 1, 4, true>(g, x, m, K, kslice); }
extern "C" __global__ void __launch_bounds__(256, 1) skinny_gemm_r32_mt2(SkinnyGroup g, const bf16_t* __restrict__ x, int m, int K, int kslice) { skinny_body<2, 1, 4, true>(g, x, m, K, kslice); }
extern "C" __global__ void __launch_bounds__(256, 1) skinny_gemm_r32_mt3(SkinnyGroup g, const bf16_t* __restrict__ x, int m, int K, int kslice) { skinny_body<3, 1, 4, true>(g, x, m, K, kslice); }
extern "C" __global__ void __launch_bounds__(256, 1) skinny_gemm_r32_mt4(SkinnyGroup g, const bf16_t* __restrict__ x, int m, int K, int kslice) { skinny_body<4, 1, 4, true>(g, x, m, K, kslice); }

// 64 weight rows per block like the first set, with four chunks in flight per warp while it multiplies
// the previous four (more registers: one block per SM).
extern "C" __global__ void __launch_bounds__(256, 1) skinny_gemm_p64_mt1(SkinnyGroup g, const bf16_t* __restrict__ x, int m, int K, int kslice) { skinny_body<1, 2, 4, true>(g, x, m, K, kslice); }
extern "C" __global__ void __launch_bounds__(256, 1) skinny_gemm_p64_mt2(SkinnyGroup g, const bf16_t* __restrict__ x, int m, int K, int kslice) { skinny_body<2, 2, 4, true>(g, x, m, K, kslice); }
extern "C" __global__ void __launch_bounds__(256, 1) skinny_gemm_p64_mt3(SkinnyGroup g, const bf16_t* __restrict__ x, int m, int K, int kslice) { skinny_body<3, 2, 4, true>(g, x, m, K, kslice); }
extern "C" __global__ void __launch_bounds__(256, 1) skinny_gemm_p64_mt4(SkinnyGroup g, const bf16_t* __restrict__ x, int m, int K, int kslice) { skinny_body<4, 2, 4, true>(g, x, m, K, kslice); }

// Zeroes every member's m × rows outputs before a K-split launch adds into them.
extern "C" __global__ void skinny_zero(SkinnyGroup g, int m)
{
    for (int i = 0; i < g.count; i++)
    {
        i64 n = (i64)m * g.rows[i];
        float* y = g.y[i];
        for (i64 e = blockIdx.x * (i64)blockDim.x + threadIdx.x; e < n; e += (i64)gridDim.x * blockDim.x) y[e] = 0.0f;
    }
}

#endif
