// Skinny GEMMs on Hopper's copy engine and warpgroup tensor cores (sm_90a; a unit of its own, compiled only when
// WGMMA_GEMM is defined, as gemm_wgmma.cu):
//
//   y[m × rows] (f32) = x[m × k] (bf16) · Wᵀ,   W: rows × k bf16 row-major,   m ≤ 64 (cached suffixes, decode steps).
//
// Why: such a GEMM only streams W (13 GB per 7B call), so its speed is the rate W leaves HBM. The mma.sync kernel
// (skinny_gemm.cu) and cuBLAS reach ~1.9–2.4 TB/s on the 7B shapes: every block re-reads its x rows from L2 per
// weight row group, and a launch of 4096 weight rows ramps up and drains in a few microseconds of its ~15. Here:
//   - the weights are the wgmma's M side (64 rows per slab, SKW_SLABS slabs per step) and the tokens its N side (NT, a
//     multiple of 8), so x is read once per k step per block, not once per 32 weight rows;
//   - one thread copies whole 64-column steps of W and x by TMA into a ring of stages; the weight copies of the first
//     stages go out before the previous kernel has finished (programmatic dependent launch, griddepcontrol), since
//     weights never change;
//   - the work is a flat list of (row tile, k step) units split evenly over a persistent grid (stream-K): no block
//     waits in a last, partial wave. A block adds its partial tile into y with atomics at the end of a tile or of its
//     range, so y is zeroed first (skinny_wgmma_zero).
// Members: up to three weight matrices that share x (q/k/v, gate/up), each with its own tensor map and output.

#if defined(WGMMA_GEMM)
#define SKW_BK 64              // k columns per step: one 128-byte swizzled row of bf16
#define SKW_SLABS 2            // m64 slabs per row tile: 128 weight rows (four were no faster, and slower at 48 tokens: s16-1)
#define SKW_SMEM_BUDGET 196608 // bytes of stages per block (one block per SM)
#define SKW_MAX_STAGES 8

struct SkinnyWgmmaArgs
{
    TmaMap w[3];     // each member's weights: boxes of 64 columns × 64 rows
    float* y[3];     // each member's output, m × rows f32, zeroed before the launch
    int rows[3];
    int tiles[4];    // first row tile of each member; tiles[count] = all tiles
    int count;
};

template <int NT>
struct SkinnyWgmmaShape
{
    static constexpr int WBytes = SKW_SLABS * 64 * SKW_BK * 2;
    static constexpr int XBytes = NT * SKW_BK * 2;
    static constexpr int StageBytes = WBytes + XBytes;
    static constexpr int Stages = SKW_SMEM_BUDGET / StageBytes < SKW_MAX_STAGES ? SKW_SMEM_BUDGET / StageBytes : SKW_MAX_STAGES;
};

// d[64 × NT] (+)= A[64 × 16] · B[NT × 16]ᵀ, both K-major in shared memory (128-byte swizzle).
template <int NT> __device__ __forceinline__ void skw_mma(float (&d)[NT / 8][4], u64 a, u64 b, int accumulate);

template <> __device__ __forceinline__ void skw_mma<8>(float (&d)[1][4], u64 a, u64 b, int accumulate)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %6, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n8k16.f32.bf16.bf16 {%0,%1,%2,%3}, %4, %5, p, 1, 1, 0, 0;\n}\n"
                 : WGMMA_ACC(0) : "l"(a), "l"(b), "r"(accumulate));
}

template <> __device__ __forceinline__ void skw_mma<16>(float (&d)[2][4], u64 a, u64 b, int accumulate)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %10, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n16k16.f32.bf16.bf16 {%0,%1,%2,%3,%4,%5,%6,%7}, %8, %9, p, 1, 1, 0, 0;\n}\n"
                 : WGMMA_ACC(0), WGMMA_ACC(1) : "l"(a), "l"(b), "r"(accumulate));
}

template <> __device__ __forceinline__ void skw_mma<32>(float (&d)[4][4], u64 a, u64 b, int accumulate)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %18, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16 "
                 "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15}, %16, %17, p, 1, 1, 0, 0;\n}\n"
                 : WGMMA_ACC(0), WGMMA_ACC(1), WGMMA_ACC(2), WGMMA_ACC(3) : "l"(a), "l"(b), "r"(accumulate));
}

template <> __device__ __forceinline__ void skw_mma<48>(float (&d)[6][4], u64 a, u64 b, int accumulate)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %26, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n48k16.f32.bf16.bf16 "
                 "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23}, %24, %25, p, 1, 1, 0, 0;\n}\n"
                 : WGMMA_ACC(0), WGMMA_ACC(1), WGMMA_ACC(2), WGMMA_ACC(3), WGMMA_ACC(4), WGMMA_ACC(5) : "l"(a), "l"(b), "r"(accumulate));
}

template <> __device__ __forceinline__ void skw_mma<64>(float (&d)[8][4], u64 a, u64 b, int accumulate)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
                 "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,"
                 "%24,%25,%26,%27,%28,%29,%30,%31}, %32, %33, p, 1, 1, 0, 0;\n}\n"
                 : WGMMA_ACC(0), WGMMA_ACC(1), WGMMA_ACC(2), WGMMA_ACC(3), WGMMA_ACC(4), WGMMA_ACC(5), WGMMA_ACC(6), WGMMA_ACC(7)
                 : "l"(a), "l"(b), "r"(accumulate));
}

// y[0..3] += (a, b, c, d) as one reduction (16-byte aligned y).
__device__ __forceinline__ void red_add_v4(float* y, float a, float b, float c, float d)
{
    asm volatile("red.global.v4.f32.add [%0], {%1, %2, %3, %4};\n" ::"l"(y), "f"(a), "f"(b), "f"(c), "f"(d) : "memory");
}

// A consumer warp's 16 weight rows × up to 64 tokens, turned token-major for red_add_v4 (rows padded to 20 floats:
// 16-byte aligned and free of bank conflicts on the way in).
#define SKW_TURN_STRIDE 20
__shared__ __align__(16) float skw_turn[4][64][SKW_TURN_STRIDE];

// The member and first weight row of row tile `tile` (SKW_SLABS · 64 rows per tile).
__device__ __forceinline__ int skw_member(const SkinnyWgmmaArgs& g, int tile, int& row0)
{
    int mi = 0;
    while (mi + 1 < g.count && tile >= g.tiles[mi + 1]) mi++;
    row0 = (tile - g.tiles[mi]) * SKW_SLABS * 64;
    return mi;
}

// A block: warpgroup 0 is the producer (one thread issues the copies), warpgroup 1 the consumer (SKW_SLABS wgmma of
// m64 × NT × k16 per 16 columns). Units [begin, end) of the flat (tile, k step) list are this block's.
template <int NT>
__device__ __forceinline__ void skinny_wgmma_body(const SkinnyWgmmaArgs& g, const TmaMap* mapX, int m, int k)
{
    using S = SkinnyWgmmaShape<NT>;
    constexpr int SLABS = SKW_SLABS;
    extern __shared__ uint4 skw_smem_raw[];
    char* smem = (char*)skw_smem_raw + ((1024u - (shared_address(skw_smem_raw) & 1023u)) & 1023u);
    u64* full = (u64*)(smem + S::Stages * S::StageBytes);
    u64* empty = full + S::Stages;
    const unsigned base = shared_address(smem);

    pdl_launch_dependents();
    const int kSteps = (k + SKW_BK - 1) / SKW_BK;
    const long long units = (long long)g.tiles[g.count] * kSteps;
    const int begin = (int)(units * blockIdx.x / gridDim.x), end = (int)(units * (blockIdx.x + 1) / gridDim.x);

    if (threadIdx.x == 0)
    {
        for (int s = 0; s < S::Stages; s++)
        {
            mbar_init(&full[s], 1);  // the producer's expect_tx arrival; the copies' bytes complete it
            mbar_init(&empty[s], 4); // lane 0 of each consumer warp
        }
        asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    }
    __syncthreads();

    const int warpIndex = __shfl_sync(0xffffffffu, threadIdx.x >> 5, 0);
    if (warpIndex < 4)
    {
        if (threadIdx.x != 0) return;
        // The first stages' weights before the previous kernel is done; x (its output) only after.
        const int early = min(S::Stages, end - begin);
        for (int i = 0; i < early; i++)
        {
            const int unit = begin + i, tile = unit / kSteps, kb = unit - tile * kSteps;
            int row0;
            const int mi = skw_member(g, tile, row0);
            mbar_expect_bytes(&full[i], S::StageBytes);
#pragma unroll
            for (int s = 0; s < SLABS; s++)
                tma_load(base + i * S::StageBytes + s * (64 * 128), &g.w[mi], kb * SKW_BK, row0 + s * 64, &full[i]);
        }
        pdl_wait();
        for (int i = 0; i < early; i++)
        {
            const int unit = begin + i, kb = unit % kSteps;
            tma_load(base + i * S::StageBytes + S::WBytes, mapX, kb * SKW_BK, 0, &full[i]);
        }
        for (int step = early; begin + step < end; step++)
        {
            const int unit = begin + step, tile = unit / kSteps, kb = unit - tile * kSteps, stage = step % S::Stages;
            int row0;
            const int mi = skw_member(g, tile, row0);
            mbar_wait(&empty[stage], ((step / S::Stages) - 1) & 1);
            const unsigned a = base + stage * S::StageBytes;
            mbar_expect_bytes(&full[stage], S::StageBytes);
#pragma unroll
            for (int s = 0; s < SLABS; s++) tma_load(a + s * (64 * 128), &g.w[mi], kb * SKW_BK, row0 + s * 64, &full[stage]);
            tma_load(a + S::WBytes, mapX, kb * SKW_BK, 0, &full[stage]);
        }
        return;
    }

    pdl_wait(); // the atomics below add into outputs the previous kernel may have zeroed
    const int warp = warpIndex & 3, lane = threadIdx.x & 31, gq = lane >> 2, t = lane & 3;
    float d[SLABS][NT / 8][4];
    bool fresh = true;
    for (int step = 0; begin + step < end; step++)
    {
        const int unit = begin + step, tile = unit / kSteps, kb = unit - tile * kSteps, stage = step % S::Stages;
        mbar_wait(&full[stage], (step / S::Stages) & 1);
        const unsigned a = base + stage * S::StageBytes, b = a + S::WBytes;
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < SKW_BK / 16; kk++)
#pragma unroll
            for (int s = 0; s < SLABS; s++) skw_mma<NT>(d[s], gemm_desc(a + s * (64 * 128) + kk * 32), gemm_desc(b + kk * 32), !fresh || kk > 0);
        wgmma_commit();
        wgmma_wait_all();
        if (lane == 0) mbar_arrive(&empty[stage]);
        fresh = false;
        if (kb != kSteps - 1 && begin + step + 1 != end) continue;

        // The tile's partial sums (all of k, or this block's part of it) into y, 4 rows per atomic. Accumulator layout per
        // warp: d[s][i][0..1] are weight row gq of the warp's 16, tokens 8i + 2t and + 1; d[s][i][2..3] weight row gq + 8.
        // Each warp turns its 16 rows × NT tokens around in shared memory so that a lane holds 4 consecutive rows of one
        // token (y is token-major), a quarter of the atomics: with one atomic per value (s16-1), the 4096-row output
        // projection took 20.0 µs at 48 tokens against 16.3 µs at one token, for the same weights.
        int row0;
        const int mi = skw_member(g, tile, row0);
        const int rows = g.rows[mi];
        float* __restrict__ y = g.y[mi];
        float(*turn)[SKW_TURN_STRIDE] = skw_turn[warp];
#pragma unroll
        for (int s = 0; s < SLABS; s++)
        {
#pragma unroll
            for (int i = 0; i < NT / 8; i++)
            {
                turn[8 * i + 2 * t][gq] = d[s][i][0];
                turn[8 * i + 2 * t + 1][gq] = d[s][i][1];
                turn[8 * i + 2 * t][gq + 8] = d[s][i][2];
                turn[8 * i + 2 * t + 1][gq + 8] = d[s][i][3];
            }
            __syncwarp();
            const int r0 = row0 + s * 64 + warp * 16;
            for (int e = lane; e < 4 * m; e += 32)
            {
                const int c = e >> 2, r = r0 + 4 * (e & 3);
                const float* v = &turn[c][4 * (e & 3)];
                float* out = y + (i64)c * rows + r;
                if (r + 3 < rows && (rows & 3) == 0) red_add_v4(out, v[0], v[1], v[2], v[3]);
                else
                    for (int j = 0; j < 4 && r + j < rows; j++) atomicAdd(out + j, v[j]);
            }
            __syncwarp();
        }
        fresh = true;
    }
}

// One kernel per token tile: NT = the activation rows rounded up to 8, 16, 32, 48 or 64.
extern "C" __global__ void __launch_bounds__(256, 1) skinny_wgmma_n8(const __grid_constant__ SkinnyWgmmaArgs g, const __grid_constant__ TmaMap mapX, int m, int k) { skinny_wgmma_body<8>(g, &mapX, m, k); }
extern "C" __global__ void __launch_bounds__(256, 1) skinny_wgmma_n16(const __grid_constant__ SkinnyWgmmaArgs g, const __grid_constant__ TmaMap mapX, int m, int k) { skinny_wgmma_body<16>(g, &mapX, m, k); }
extern "C" __global__ void __launch_bounds__(256, 1) skinny_wgmma_n32(const __grid_constant__ SkinnyWgmmaArgs g, const __grid_constant__ TmaMap mapX, int m, int k) { skinny_wgmma_body<32>(g, &mapX, m, k); }
extern "C" __global__ void __launch_bounds__(256, 1) skinny_wgmma_n48(const __grid_constant__ SkinnyWgmmaArgs g, const __grid_constant__ TmaMap mapX, int m, int k) { skinny_wgmma_body<48>(g, &mapX, m, k); }
extern "C" __global__ void __launch_bounds__(256, 1) skinny_wgmma_n64(const __grid_constant__ SkinnyWgmmaArgs g, const __grid_constant__ TmaMap mapX, int m, int k) { skinny_wgmma_body<64>(g, &mapX, m, k); }

// Zeroes every member's m × rows outputs before skinny_wgmma adds into them. Launched as a dependent launch, it
// lets the GEMM's blocks start (and copy weights) at once, and waits for the previous kernel before it writes.
extern "C" __global__ void skinny_wgmma_zero(const __grid_constant__ SkinnyWgmmaArgs g, int m)
{
    pdl_launch_dependents();
    pdl_wait();
    for (int i = 0; i < g.count; i++)
    {
        const i64 n = (i64)m * g.rows[i];
        for (i64 e = blockIdx.x * (i64)blockDim.x + threadIdx.x; e < n; e += (i64)gridDim.x * blockDim.x) g.y[i][e] = 0.0f;
    }
}
#endif
