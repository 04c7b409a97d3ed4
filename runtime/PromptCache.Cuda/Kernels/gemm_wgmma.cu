// The prefill gate/up GEMM with SwiGLU in its epilogue, on Hopper's copy engine (TMA) and warpgroup tensor-core
// instructions (wgmma, sm_90a only); a unit of its own, compiled only when WGMMA_GEMM is defined (the sm_90a target).
//
// Why: cuBLAS cannot apply SiLU·mul to two products, so a prefill wrote both as f32 (m × 2f floats) and a pass
// read them back to write silu(g)·u as bf16 for the down projection: at 4096 tokens of a 7B shape that is
// ~720 MB of device memory traffic per layer that this kernel never makes. It computes the same values: f32
// accumulation, silu(g)·u in f32 (common.cuh's silu_times, as silu_mul), one rounding to bf16.
//
//   h[r, j] = silu(x[r, :] · gate[j, :]) · (x[r, :] · up[j, :]),  x: m × k, gate and up: f × k, h: m × f (bf16);
// k and f multiples of 8 (TMA's 16-byte rows; whole pairs of outputs). Tiles past m or f read zeros and are not stored.
//
// Layout: a persistent grid (one block per SM) walks 128-row × 128-column output tiles, M fastest within bands of
// rows (item_origin), so the blocks running at once share the same weight tiles in L2; swiglu_gemm_paired runs the
// same tiles in clusters of two blocks that share each weight tile's copies. A block is three warpgroups:
//   producer   one thread issues the TMA copies of each 64-wide k step: 128 rows of x, 128 rows of gate and
//              the same 128 rows of up, into a ring of STAGES stages (full/empty mbarriers);
//   consumers  two warpgroups, 64 rows each, multiply x by [gate; up] (256 columns) with four wgmma
//              m64n256k16 per stage, so column c of the accumulators is gate column c and column c + 128
//              the same up column: the epilogue pairs them in registers.
// The producer runs ahead across tiles: the next tile's copies land while the consumers finish this one.
// Shared memory per stage: x 16 KB + gate 16 KB + up 16 KB, each row 128 bytes in TMA's 128-byte swizzle,
// which is the layout wgmma's 128-byte swizzle mode reads (see attention_wgmma.cu).

#if defined(WGMMA_GEMM)
#define GEMM_BM 128
#define GEMM_BN 128                                // output columns per tile (gate and up columns: twice that)
#define GEMM_BK 64                                 // one 128-byte swizzled row of bf16
#define GEMM_STAGES 4
#define GEMM_A_BYTES (GEMM_BM * GEMM_BK * 2)       // 16 KB
#define GEMM_B_BYTES (2 * GEMM_BN * GEMM_BK * 2)   // 32 KB: gate rows, then up rows
#define GEMM_STAGE_BYTES (GEMM_A_BYTES + GEMM_B_BYTES)

// d[64 × 256] (+)= A[64 × 16] · B[256 × 16]ᵀ, both K-major in shared memory.
__device__ __forceinline__ void wgmma_n256(float (&d)[32][4], u64 descA, u64 descB, int accumulate)
{
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 "
        "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,"
        "%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,"
        "%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,"
        "%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63,"
        "%64,%65,%66,%67,%68,%69,%70,%71,%72,%73,%74,%75,%76,%77,%78,%79,"
        "%80,%81,%82,%83,%84,%85,%86,%87,%88,%89,%90,%91,%92,%93,%94,%95,"
        "%96,%97,%98,%99,%100,%101,%102,%103,%104,%105,%106,%107,%108,%109,%110,%111,"
        "%112,%113,%114,%115,%116,%117,%118,%119,%120,%121,%122,%123,%124,%125,%126,%127}, "
        "%128, %129, p, 1, 1, 0, 0;\n}\n"
        : WGMMA_ACC8(0), WGMMA_ACC8(8), WGMMA_ACC8(16), WGMMA_ACC8(24)
        : "l"(descA), "l"(descB), "r"(accumulate));
}

// The paired kernel's copies: one box into the same shared-memory offset of both blocks of the cluster (mask 0b11),
// completing on the barrier at bar's offset in each.
__device__ __forceinline__ void tma_load_both(unsigned dst, const TmaMap* map, int c0, int c1, u64* bar)
{
    asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes.multicast::cluster [%0], [%1, {%2, %3}], [%4], %5;\n"
                 ::"r"(dst), "l"((u64)map), "r"(c0), "r"(c1), "r"(shared_address(bar)), "h"((unsigned short)3) : "memory");
}

// An arrival on the barrier at bar's offset in block `rank` of the cluster. Release at the block's scope (the default),
// as CUTLASS's cluster barriers do: the stage's wgmma reads are complete (wait_group) before it, and a release at the
// cluster's scope made the paired kernel 40 % slower than the unpaired one (467 against 750 TFLOP/s, s15-1/2).
__device__ __forceinline__ void mbar_arrive_in(u64* bar, unsigned rank)
{
    asm volatile("{\n.reg .b32 remote;\nmapa.shared::cluster.u32 remote, %0, %1;\nmbarrier.arrive.shared::cluster.b64 _, [remote];\n}\n"
                 ::"r"(shared_address(bar)), "r"(rank) : "memory");
}

__device__ __forceinline__ unsigned cluster_rank()
{
    unsigned r;
    asm volatile("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(r));
    return r;
}

#ifndef GEMM_BAND_ROWS
#define GEMM_BAND_ROWS 2048
#endif
// An item's first output row and column. Items go M fastest within bands of GEMM_BAND_ROWS rows, band after band:
// the blocks running at once share weight tiles, and a band's rows of x (2048 × 4096 bf16: 16 MB) stay in the
// 50 MB L2 while the weights stream past once per band (M fastest over 8192 rows re-read x from memory per column).
template <bool Paired>
__device__ __forceinline__ void item_origin(int item, int mItems, int nTiles, unsigned rank, int& row0, int& col0)
{
    constexpr int bandItems = GEMM_BAND_ROWS / GEMM_BM / (Paired ? 2 : 1);
    const int band = item / (bandItems * nTiles), inBand = item - band * bandItems * nTiles;
    const int rows = min(bandItems, mItems - band * bandItems);
    const int mItem = band * bandItems + inBand % rows;
    row0 = (Paired ? 2 * mItem + (int)rank : mItem) * GEMM_BM;
    col0 = (inBand / rows) * GEMM_BN;
}

// Paired: two blocks of a cluster take the two row tiles 2j and 2j + 1 of one column tile, and each copies half of
// the weight tile (rank 0 the gate rows, rank 1 the up rows) into both blocks' shared memory. A block then reads
// 32 KB per k step from L2 instead of 48: at ~730 TFLOP/s the unpaired kernel streams ~8 TB/s from L2, the
// most it gives. A stage is free again when the consumers of both blocks are done with it, since the next
// copy into it comes from both producers.
template <bool Paired>
__device__ __forceinline__ void swiglu_gemm_body(const TmaMap* mapX, const TmaMap* mapGate, const TmaMap* mapUp,
    bf16_t* __restrict__ h, int m, int f, int k)
{
    extern __shared__ uint4 gemm_smem_raw[];
    char* smem = (char*)gemm_smem_raw + ((1024u - (shared_address(gemm_smem_raw) & 1023u)) & 1023u);
    u64* full = (u64*)(smem + GEMM_STAGES * GEMM_STAGE_BYTES);
    u64* empty = full + GEMM_STAGES;
    const unsigned base = shared_address(smem);

    // Work items: an output tile, or (paired) the two row tiles of a cluster; in item_origin's order either way.
    const unsigned rank = Paired ? cluster_rank() : 0;
    const int mTiles = (m + GEMM_BM - 1) / GEMM_BM, mItems = Paired ? (mTiles + 1) / 2 : mTiles;
    const int nTiles = (f + GEMM_BN - 1) / GEMM_BN, items = mItems * nTiles, kSteps = (k + GEMM_BK - 1) / GEMM_BK;
    const int first = Paired ? blockIdx.x / 2 : blockIdx.x, stride = Paired ? gridDim.x / 2 : gridDim.x;

    if (threadIdx.x == 0)
    {
        for (int s = 0; s < GEMM_STAGES; s++)
        {
            mbar_init(&full[s], 1); // the producer's expect_tx arrival; the copies' bytes complete it
            mbar_init(&empty[s], Paired ? 16 : 8); // lane 0 of each consumer warp (of both blocks, paired)
        }
        asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    }
    // Paired, the other block's copies and arrivals reach these barriers: both must be initialised first.
    if (Paired) asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;\n" ::: "memory");
    else __syncthreads();

    // Roles by a warp index read from lane 0, so that the compiler knows whole warps take each branch and keeps the
    // tile and stage arithmetic in the uniform datapath (as in attention_ws_body).
    const int warpIndex = __shfl_sync(0xffffffffu, threadIdx.x >> 5, 0);
    if (warpIndex < 4)
    {
        asm volatile("setmaxnreg.dec.sync.aligned.u32 40;\n");
        if (threadIdx.x != 0) return;
        int step = 0;
        for (int item = first; item < items; item += stride)
        {
            int row0, col0;
            item_origin<Paired>(item, mItems, nTiles, rank, row0, col0);
            for (int kb = 0; kb < kSteps; kb++, step++)
            {
                const int stage = step % GEMM_STAGES;
                if (step >= GEMM_STAGES) mbar_wait(&empty[stage], ((step / GEMM_STAGES) - 1) & 1);
                const unsigned a = base + stage * GEMM_STAGE_BYTES, b = a + GEMM_A_BYTES;
                mbar_expect_bytes(&full[stage], GEMM_STAGE_BYTES);
                tma_load(a, mapX, kb * GEMM_BK, row0, &full[stage]);
                if (Paired)
                {
                    tma_load_both(b + rank * (GEMM_B_BYTES / 2), rank == 0 ? mapGate : mapUp, kb * GEMM_BK, col0, &full[stage]);
                }
                else
                {
                    tma_load(b, mapGate, kb * GEMM_BK, col0, &full[stage]);
                    tma_load(b + GEMM_B_BYTES / 2, mapUp, kb * GEMM_BK, col0, &full[stage]);
                }
            }
        }
        // Paired, the other block's consumers still arrive here: stay until every stage has come back.
        if (Paired)
            for (int i = 0; i < GEMM_STAGES; i++, step++)
                if (step >= GEMM_STAGES) mbar_wait(&empty[step % GEMM_STAGES], ((step / GEMM_STAGES) - 1) & 1);
        return;
    }

    asm volatile("setmaxnreg.inc.sync.aligned.u32 232;\n");
    const int tid = threadIdx.x - 128, consumer = (warpIndex - 4) >> 2;
    const int warp = warpIndex & 3, lane = tid & 31, g = lane >> 2, t = lane & 3;
    auto release = [&](int stage) {
        if (lane != 0) return;
        mbar_arrive(&empty[stage]);
        if (Paired) mbar_arrive_in(&empty[stage], rank ^ 1);
    };
    int step = 0;
    for (int item = first; item < items; item += stride)
    {
        int row0, col0;
        item_origin<Paired>(item, mItems, nTiles, rank, row0, col0);
        float d[32][4];
        for (int kb = 0; kb < kSteps; kb++, step++)
        {
            const int stage = step % GEMM_STAGES;
            mbar_wait(&full[stage], (step / GEMM_STAGES) & 1);
            const unsigned a = base + stage * GEMM_STAGE_BYTES + consumer * (64 * 128), b = base + stage * GEMM_STAGE_BYTES + GEMM_A_BYTES;
            asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
            for (int kk = 0; kk < GEMM_BK / 16; kk++)
                wgmma_n256(d, gemm_desc(a + kk * 32), gemm_desc(b + kk * 32), kb > 0 || kk > 0);
            asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
            // The previous step's products are done: its stage goes back to the producer(s).
            asm volatile("wgmma.wait_group.sync.aligned 1;\n" ::: "memory");
            if (kb > 0) release((step - 1) % GEMM_STAGES);
        }
        asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
        release((step - 1) % GEMM_STAGES);

        // Accumulator layout (per warp 16 rows): d[i][0..1] row g, columns 8i + 2t and +1; d[i][2..3] row g + 8.
        // Columns 0-127 are gate, 128-255 the same up columns.
        const int r = row0 + consumer * 64 + warp * 16 + g;
#pragma unroll
        for (int i = 0; i < 16; i++)
        {
            const int col = col0 + 8 * i + 2 * t;
            if (col >= f) break; // f is even: a pair is in or out whole
            if (r < m) *reinterpret_cast<unsigned*>(h + (i64)r * f + col) = pack_bf16x2(silu_times(d[i][0], d[i + 16][0]), silu_times(d[i][1], d[i + 16][1]));
            if (r + 8 < m) *reinterpret_cast<unsigned*>(h + (i64)(r + 8) * f + col) = pack_bf16x2(silu_times(d[i][2], d[i + 16][2]), silu_times(d[i][3], d[i + 16][3]));
        }
    }
}

extern "C" __global__ void __launch_bounds__(384, 1) swiglu_gemm(
    const __grid_constant__ TmaMap mapX, const __grid_constant__ TmaMap mapGate, const __grid_constant__ TmaMap mapUp,
    bf16_t* __restrict__ h, int m, int f, int k)
{
    swiglu_gemm_body<false>(&mapX, &mapGate, &mapUp, h, m, f, k);
}

// The paired launch: clusters of two blocks (an even grid).
extern "C" __global__ void __cluster_dims__(2, 1, 1) __launch_bounds__(384, 1) swiglu_gemm_paired(
    const __grid_constant__ TmaMap mapX, const __grid_constant__ TmaMap mapGate, const __grid_constant__ TmaMap mapUp,
    bf16_t* __restrict__ h, int m, int f, int k)
{
    swiglu_gemm_body<true>(&mapX, &mapGate, &mapUp, h, m, f, k);
}
#endif
