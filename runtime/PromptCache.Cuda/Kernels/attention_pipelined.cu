// Pipelined tensor-core attention. Compiled as its own module, appended to attention.cu (it reuses
// KvList, the mma/ldmatrix helpers and the padded tile layout), so that a compile error here can only
// disable these kernels: the backend then reports the failure and the older kernels still run.
//
// Differences from attention_tiled_ldm:
//  - K and V tiles arrive by cp.async (16-byte copies, no registers) into a ring of PSTAGES stages:
//    the next tiles are in flight while this one is multiplied, so a block always has whole tiles of
//    loads outstanding (what short-query "flash decoding" needs to approach HBM bandwidth);
//  - K fragments come through ldmatrix as well (one instruction per two mma instead of four loads);
//  - per warp: tiles that no row of the warp may see are skipped (causal), the mask is only
//    evaluated on tiles that are partially visible, and warps made only of padding rows idle;
//  - the wide variant gives a block 8 warps (128 query rows), halving K/V tile traffic per FLOP;
//  - query blocks are scheduled last-first, so the long causal rows start early (shorter tail).
// Shared memory is dynamic (PSTAGES × K,V × 64 × (HEAD_DIM + 8) bf16: 69,632 bytes at 128 with 2), which
// the launcher opts into with CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.

#if defined(HAS_TILED_ATTENTION) && (HEAD_DIM % 32 == 0)
#define HAS_PIPELINED_ATTENTION 1
#define PKT 64
#if PKT != KT
#error "split_key_tiles counts tiles of KT keys"
#endif
#define PTILE (PKT * SSTR) // bf16 elements of one K (or V) tile in shared memory
// Stages of the K/V tile ring: 2 keeps one tile loading while the previous one is multiplied. Three
// (two tiles loading) measured no faster on the H100 (cached 4096+48 attention 1.47 vs 1.39 ms on the
// 7B shape, 1.25 vs 1.18 on the 8B; prefill 8192 unchanged), so the short-query kernel is not short
// of loads in flight. Must match DeviceKernels.PipelinedStages.
#define PSTAGES 2

__device__ __forceinline__ void cp_async16(bf16_t* smem, const bf16_t* gmem, bool valid)
{
    // src-size 0 writes 16 zero bytes and reads nothing (gmem still names a valid row).
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(shared_address(smem)), "l"(gmem), "r"(valid ? 16 : 0) : "memory");
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }

template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory"); }

// Four 8x8 bf16 matrices, not transposed: lane gets row lane/4, columns 2(lane%4), +1 of each, which
// is the B-operand fragment of Q·Kᵀ when the rows are keys and the columns head dimensions.
__device__ __forceinline__ void ldmatrix_x4(unsigned* d, const bf16_t* row)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(d[0]), "=r"(d[1]), "=r"(d[2]), "=r"(d[3]) : "r"(shared_address(row)) : "memory");
}

// The segment and segment-local tile of the gi-th key tile a block visits (rows up to lastRow).
__device__ __forceinline__ bool locate_tile(const KvList& list, int lastRow, int gi, int& s, int& tile)
{
    for (int i = 0; i < list.count; i++)
    {
        int tiles = (keys_for_row(list.seg[i], lastRow) + PKT - 1) / PKT;
        if (gi < tiles) { s = i; tile = gi; return true; }
        gi -= tiles;
    }
    return false;
}

// Issues (does not wait for) the copies of one K tile and one V tile into shared memory. Keys past
// what lastRow may see are zero-filled; tile * PKT is always a visible key, so every address is valid.
__device__ __forceinline__ void load_tile_async(bf16_t* sk, bf16_t* sv, const KvList& list, int s, int tile, int lastRow, int kvh)
{
    const KvSegmentView seg = list.seg[s];
    const int n = keys_for_row(seg, lastRow);
    const bf16_t* K = (const bf16_t*)seg.keys + kvh * HEAD_DIM;
    const bf16_t* V = (const bf16_t*)seg.values + kvh * HEAD_DIM;
    const int k0 = tile * PKT;
    const int chunks = HEAD_DIM / 8;
    for (int idx = threadIdx.x; idx < PKT * chunks; idx += blockDim.x)
    {
        int r = idx / chunks, c = (idx - r * chunks) * 8;
        int key = k0 + r;
        bool ok = key < n;
        i64 off = (i64)(ok ? key : k0) * list.stride + c;
        cp_async16(sk + r * SSTR + c, K + off, ok);
        cp_async16(sv + r * SSTR + c, V + off, ok);
    }
}

template <int WARPS>
__device__ __forceinline__ void attention_pipelined_body(
    const float* __restrict__ q, float* __restrict__ out, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, const KvList& list)
{
    extern __shared__ uint4 pipelined_smem[];
    bf16_t* smem = (bf16_t*)pipelined_smem; // [stage 0: K, V][stage 1: K, V]...

    const int QROWS = 16 * WARPS;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int head = blockIdx.y, kvh = head / (heads / kvheads), split = blockIdx.z;
    const int qblock = (int)gridDim.x - 1 - (int)blockIdx.x; // last (longest causal) blocks first
    const int row0 = qblock * QROWS + warp * 16;
    const int lastRow = min(m, qblock * QROWS + QROWS) - 1;
    const int warpLast = min(row0 + 15, m - 1);

    unsigned qa[HEAD_DIM / 16][4];
    load_q_fragments(qa, q, row0, m, heads, head, g, t, scale_log2);

    float o[HEAD_DIM / 8][4], mrow[2], lrow[2];
    reset_rows(o, mrow, lrow);

    int tBegin, tEnd;
    split_key_tiles(list, lastRow, split, splits, tBegin, tEnd);

    // Prologue: the first PSTAGES − 1 tiles, one commit group each (empty groups past the end keep
    // the count, so "all but the newest PSTAGES − 1 groups" below is always exactly the current tile).
#pragma unroll
    for (int p = 0; p < PSTAGES - 1; p++)
    {
        int s, tile;
        if (tBegin + p < tEnd && locate_tile(list, lastRow, tBegin + p, s, tile))
        {
            bf16_t* nk = smem + p * 2 * PTILE;
            load_tile_async(nk, nk + PTILE, list, s, tile, lastRow, kvh);
        }
        cp_async_commit();
    }

    // ldmatrix row addresses of this lane: K (keys down the rows) and V (transposed).
    const int mi = lane >> 3, r8 = lane & 7;

    for (int gi = tBegin, i = 0; gi < tEnd; gi++, i++)
    {
        bf16_t* sk = smem + (i % PSTAGES) * 2 * PTILE;
        bf16_t* sv = sk + PTILE;

        // Request the tile PSTAGES − 1 ahead into the stage everyone finished with at the end of the
        // last iteration, then wait for this one.
        int sAhead, tileAhead;
        if (gi + PSTAGES - 1 < tEnd && locate_tile(list, lastRow, gi + PSTAGES - 1, sAhead, tileAhead))
        {
            bf16_t* nk = smem + ((i + PSTAGES - 1) % PSTAGES) * 2 * PTILE;
            load_tile_async(nk, nk + PTILE, list, sAhead, tileAhead, lastRow, kvh);
        }
        cp_async_commit();
        cp_async_wait<PSTAGES - 1>();
        __syncthreads();

        int sCur = 0, tileCur = 0;
        locate_tile(list, lastRow, gi, sCur, tileCur);
        const KvSegmentView seg = list.seg[sCur];
        const int k0 = tileCur * PKT;
        // Warp-uniform: does any row of this warp see any key of the tile? (No state changes otherwise.)
        if (row0 < m && k0 < keys_for_row(seg, warpLast))
        {
            float sc[PKT / 8][4];
#pragma unroll
            for (int nt = 0; nt < PKT / 8; nt++)
            {
                sc[nt][0] = 0.0f; sc[nt][1] = 0.0f; sc[nt][2] = 0.0f; sc[nt][3] = 0.0f;
                const bf16_t* krow = sk + (nt * 8 + r8) * SSTR + mi * 8;
#pragma unroll
                for (int kk2 = 0; kk2 < HEAD_DIM / 32; kk2++)
                {
                    unsigned b[4];
                    ldmatrix_x4(b, krow + kk2 * 32);
                    mma_bf16_16816(sc[nt], qa[2 * kk2], b[0], b[1]);
                    mma_bf16_16816(sc[nt], qa[2 * kk2 + 1], b[2], b[3]);
                }
            }

            // Mask only where some row of the warp misses some key of the tile (keys_for_row grows with the row).
            if (row0 + 15 >= m || k0 + PKT > keys_for_row(seg, row0)) mask_scores<PKT>(sc, seg, row0, m, k0, g, t);
            softmax_tile<PKT, true>(sc, mrow, lrow, o);

#pragma unroll
            for (int j = 0; j < PKT / 16; j++)
            {
                unsigned a[4];
                pack_probabilities(a, sc[2 * j], sc[2 * j + 1]);
                const bf16_t* vrow = sv + (j * 16 + (mi & 1) * 8 + r8) * SSTR + (mi >> 1) * 8;
#pragma unroll
                for (int nt = 0; nt < HEAD_DIM / 8; nt += 2)
                {
                    unsigned b[4];
                    ldmatrix_x4_trans(b, vrow + nt * 8);
                    mma_bf16_16816(o[nt], a, b[0], b[1]);
                    mma_bf16_16816(o[nt + 1], a, b[2], b[3]);
                }
            }
        }
        __syncthreads(); // everyone is done with this stage before the next iteration refills it
    }
    cp_async_wait<0>();

    store_rows(o, mrow, lrow, out, 0, part_o, part_ml, row0, m, heads, head, split, splits, m, g, t);
}

extern "C" __global__ void __launch_bounds__(128) attention_pipelined(
    const float* __restrict__ q, float* __restrict__ out, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, KvList list)
{
    attention_pipelined_body<4>(q, out, part_o, part_ml, m, heads, kvheads, scale_log2, splits, list);
}

extern "C" __global__ void __launch_bounds__(256) attention_pipelined_wide(
    const float* __restrict__ q, float* __restrict__ out, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, KvList list)
{
    attention_pipelined_body<8>(q, out, part_o, part_ml, m, heads, kvheads, scale_log2, splits, list);
}
#endif
