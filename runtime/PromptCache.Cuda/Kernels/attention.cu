// Attention of new query rows over a list of K/V segments (bf16, RoPE already applied) plus the
// causal block of the new tokens themselves. Compiled once per head dimension (-DHEAD_DIM=...).
// No [queries x keys] matrix is ever stored: keys are visited in tiles with an online softmax.

#ifndef HEAD_DIM
#error "HEAD_DIM must be defined by the compiler options"
#endif

#define MAX_SEGMENTS 32

// One segment as the kernels see it. keys/values point at this layer's first token; a token's row
// is `stride` bf16 apart. Query row r sees `visible` tokens, plus r + 1 more when `causal`.
struct KvSegmentView
{
    u64 keys;
    u64 values;
    int visible;
    int causal;
};

// Passed by value as a kernel parameter (776 bytes), so no per-call upload is needed.
struct KvList
{
    KvSegmentView seg[MAX_SEGMENTS];
    int count;
    int stride;
};

__device__ __forceinline__ int keys_for_row(const KvSegmentView& s, int row) { return s.causal ? s.visible + row + 1 : s.visible; }

// ---------------------------------------------------------------------------------------------
// Reference path: one warp per (query row, head), scalar float32. Any head dimension; used for
// small head dims (e.g. tiny test models) and as a cross-check of the tiled kernel.
#define DCHUNKS ((HEAD_DIM + 31) / 32)

extern "C" __global__ void attention_simple(const float* __restrict__ q, float* __restrict__ out, int m, int heads, int kvheads, float scale, KvList list)
{
    int row = blockIdx.x, head = blockIdx.y, lane = threadIdx.x;
    int kvh = head / (heads / kvheads);
    const float* qr = q + ((i64)row * heads + head) * HEAD_DIM;
    float qv[DCHUNKS], acc[DCHUNKS];
#pragma unroll
    for (int c = 0; c < DCHUNKS; c++)
    {
        int d = lane + 32 * c;
        qv[c] = d < HEAD_DIM ? qr[d] * scale : 0.0f;
        acc[c] = 0.0f;
    }
    float mx = NEG_INF, l = 0.0f;
    for (int s = 0; s < list.count; s++)
    {
        KvSegmentView seg = list.seg[s];
        int n = keys_for_row(seg, row);
        const bf16_t* K = (const bf16_t*)seg.keys + kvh * HEAD_DIM;
        const bf16_t* V = (const bf16_t*)seg.values + kvh * HEAD_DIM;
        for (int j = 0; j < n; j++)
        {
            const bf16_t* kr = K + (i64)j * list.stride;
            float dot = 0.0f;
#pragma unroll
            for (int c = 0; c < DCHUNKS; c++)
            {
                int d = lane + 32 * c;
                if (d < HEAD_DIM) dot += qv[c] * bf16_to_f32(kr[d]);
            }
            dot = warp_sum(dot);
            float mnew = fmaxf(mx, dot);
            float corr = expf(mx - mnew);
            float p = expf(dot - mnew);
            l = l * corr + p;
            const bf16_t* vr = V + (i64)j * list.stride;
#pragma unroll
            for (int c = 0; c < DCHUNKS; c++)
            {
                int d = lane + 32 * c;
                if (d < HEAD_DIM) acc[c] = acc[c] * corr + p * bf16_to_f32(vr[d]);
            }
            mx = mnew;
        }
    }
    float inv = l > 0.0f ? 1.0f / l : 0.0f;
    float* o = out + ((i64)row * heads + head) * HEAD_DIM;
#pragma unroll
    for (int c = 0; c < DCHUNKS; c++)
    {
        int d = lane + 32 * c;
        if (d < HEAD_DIM) o[d] = acc[c] * inv;
    }
}

// Merges the partial results of a split-key launch: out = Σ o_s·2^(m_s−M) / Σ l_s·2^(m_s−M). One block
// per (row, head). The first warp turns the splits' running maxima into weights 2^(m_s−M) in shared
// memory once; then each thread sums its dimension over the splits with independent loads in flight.
// (Walking the splits three times per thread, each step a dependent global load, took ~9 µs per
// layer for 8 splits on the H100: longer than the arithmetic by far.)
#define MAX_SPLITS 64
// out, or its bf16 copy outb when not null (the next GEMM's input; out is then not written).
extern "C" __global__ void attention_combine(const float* __restrict__ part_o, const float* __restrict__ part_ml, float* __restrict__ out, bf16_t* __restrict__ outb, int m, int heads, int splits)
{
    pdl_launch_dependents(); // the output projection after it may start copying weights (common.cuh)
    pdl_wait();              // launched as a dependent of the attention kernel
    __shared__ float weight[MAX_SPLITS];
    __shared__ float inv_sum;
    i64 rh = (i64)blockIdx.x * heads + blockIdx.y;
    i64 stride = (i64)m * heads;
    if (threadIdx.x < 32)
    {
        int lane = threadIdx.x;
        float ms[MAX_SPLITS / 32], ls[MAX_SPLITS / 32];
        float M = NEG_INF;
#pragma unroll
        for (int j = 0; j < MAX_SPLITS / 32; j++)
        {
            int s = lane + 32 * j;
            ms[j] = s < splits ? part_ml[(s * stride + rh) * 2] : NEG_INF;
            ls[j] = s < splits ? part_ml[(s * stride + rh) * 2 + 1] : 0.0f;
            M = fmaxf(M, ms[j]);
        }
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) M = fmaxf(M, __shfl_xor_sync(0xffffffffu, M, off));
        float L = 0.0f;
#pragma unroll
        for (int j = 0; j < MAX_SPLITS / 32; j++)
        {
            // A split that saw no key of this row (max −∞) weighs nothing; its partial is never read.
            float w = ms[j] == NEG_INF ? 0.0f : exp2f(ms[j] - M);
            weight[lane + 32 * j] = w;
            L += w * ls[j];
        }
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) L += __shfl_xor_sync(0xffffffffu, L, off);
        if (lane == 0) inv_sum = L > 0.0f ? 1.0f / L : 0.0f;
    }
    __syncthreads();
    for (int d = threadIdx.x; d < HEAD_DIM; d += blockDim.x)
    {
        float acc = 0.0f;
#pragma unroll 8
        for (int s = 0; s < splits; s++)
        {
            float w = weight[s];
            if (w != 0.0f) acc += part_o[(s * stride + rh) * HEAD_DIM + d] * w;
        }
        if (outb) outb[rh * HEAD_DIM + d] = f32_to_bf16(acc * inv_sum);
        else out[rh * HEAD_DIM + d] = acc * inv_sum;
    }
}

// ---------------------------------------------------------------------------------------------
// Tiled tensor-core path (flash-attention 2 style): a block of 4 warps owns 64 query rows of one
// head, each warp 16 rows; keys come in tiles of 64 through shared memory as bf16. Q·Kᵀ and P·V
// run on mma.sync m16n8k16 (bf16 in, f32 accumulate); the probabilities stay in registers, the
// score accumulator's layout being exactly the A-operand layout of the next product.
// mma.sync with bf16 needs sm_80 or newer; older targets compile without this kernel.
#if (HEAD_DIM % 16 == 0) && (HEAD_DIM <= 128) && (!defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800)
#define HAS_TILED_ATTENTION 1
#define QT 64
#define KT 64
#define SSTR (HEAD_DIM + 8) // padded row (in bf16): fragment loads from 8 rows hit 8 different banks

__device__ __forceinline__ void mma_bf16_16816(float* d, const unsigned* a, unsigned b0, unsigned b1)
{
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Four 8x8 bf16 matrices from shared memory, transposed: thread lane gets rows 2(lane%4), +1 of
// column lane/4 of each, which is the B-operand fragment of an mma whose k runs down the rows.
__device__ __forceinline__ void ldmatrix_x4_trans(unsigned* d, const bf16_t* row)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(d[0]), "=r"(d[1]), "=r"(d[2]), "=r"(d[3]) : "r"(shared_address(row)) : "memory");
}

// 2^x by the SFU instruction alone (exp2f adds range handling we do not need): ex2.approx(-inf) = +0,
// relative error ~2^-22, far below the bf16 rounding of the probabilities that follows.
__device__ __forceinline__ float fast_exp2(float x)
{
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

template <bool FAST>
__device__ __forceinline__ float softmax_exp2(float x) { return FAST ? fast_exp2(x) : exp2f(x); }

// Sets to -inf the scores of one warp's KW-key tile (m16n8 accumulator layout) that a row may not see:
// keys past its segment's visible prefix or causal limit, and every key of the padding rows past m. The tile
// is sc[first ..] of a step of N * 8 keys (a 128-key step holds two 64-key tiles).
template <int KW, int N = KW / 8>
__device__ __forceinline__ void mask_scores(float (&sc)[N][4], const KvSegmentView& seg, int row0, int m, int k0, int g, int t, int first = 0)
{
#pragma unroll
    for (int nt = 0; nt < KW / 8; nt++)
    {
#pragma unroll
        for (int e = 0; e < 4; e++)
        {
            int r = row0 + g + ((e >> 1) << 3);
            int key = k0 + nt * 8 + 2 * t + (e & 1);
            if (r >= m || key >= keys_for_row(seg, r)) sc[first + nt][e] = NEG_INF;
        }
    }
}

// part[0] = the max (or sum) of part[0 .. 2W), as a tree: W pairs, then W / 2, ... A template per level, so every
// loop has a constant trip count: a `w /= 2` loop over 16 values (128-key steps) was left rolled, part[] went to local
// memory, and the kernel ran at half speed.
template <int W, bool MAX, int N>
__device__ __forceinline__ void tree_reduce(float (&part)[N])
{
#pragma unroll
    for (int i = 0; i < W; i++) part[i] = MAX ? fmaxf(part[i], part[i + W]) : part[i] + part[i + W];
    if constexpr (W > 1) tree_reduce<W / 2, MAX>(part);
}

// Online softmax over one KW-key tile for the two rows a thread holds (g and g+8; the 4 threads of a
// quad share a row): the new running max and running sum, the factor `corr` the output accumulated so
// far must be scaled by, and the scores turned into probabilities for the P·V product. The output is
// left alone, so a kernel may scale it later, once a P·V product still writing it has finished.
// FAST: the SFU's ex2 instead of exp2f.
template <int KW, bool FAST>
__device__ __forceinline__ void softmax_scores(float (&sc)[KW / 8][4], float (&mrow)[2], float (&lrow)[2], float (&corr)[2])
{
#pragma unroll
    for (int h2 = 0; h2 < 2; h2++)
    {
        // Max and sum as trees, not chains: with few warps per scheduler, a 16-step dependent chain
        // stalls each warp on every step.
        float part[KW / 8];
#pragma unroll
        for (int nt = 0; nt < KW / 8; nt++) part[nt] = fmaxf(sc[nt][2 * h2], sc[nt][2 * h2 + 1]);
        tree_reduce<KW / 16, true>(part);
        float mx = part[0];
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
        float mnew = fmaxf(mrow[h2], mx);
        float base = 0.0f;
        corr[h2] = 1.0f;
        if (mnew != NEG_INF) { corr[h2] = softmax_exp2<FAST>(mrow[h2] - mnew); base = mnew; }
#pragma unroll
        for (int nt = 0; nt < KW / 8; nt++)
        {
            float p0 = softmax_exp2<FAST>(sc[nt][2 * h2] - base), p1 = softmax_exp2<FAST>(sc[nt][2 * h2 + 1] - base);
            sc[nt][2 * h2] = p0;
            sc[nt][2 * h2 + 1] = p1;
            part[nt] = p0 + p1;
        }
        tree_reduce<KW / 16, false>(part);
        lrow[h2] = lrow[h2] * corr[h2] + part[0];
        mrow[h2] = mnew;
    }
}

// Scales each of a thread's two output rows by its softmax correction. Skipped when no row of the warp
// found a new maximum (every factor is exactly 1), as most tiles after the first few do.
__device__ __forceinline__ void rescale_rows(float (&o)[HEAD_DIM / 8][4], const float (&corr)[2])
{
    if (!__any_sync(0xffffffffu, corr[0] != 1.0f || corr[1] != 1.0f)) return;
#pragma unroll
    for (int nt = 0; nt < HEAD_DIM / 8; nt++)
    {
        o[nt][0] *= corr[0]; o[nt][1] *= corr[0];
        o[nt][2] *= corr[1]; o[nt][3] *= corr[1];
    }
}

// softmax_scores, then the output rescaled at once (kernels whose P·V has already finished).
template <int KW, bool FAST>
__device__ __forceinline__ void softmax_tile(float (&sc)[KW / 8][4], float (&mrow)[2], float (&lrow)[2], float (&o)[HEAD_DIM / 8][4])
{
    float corr[2];
    softmax_scores<KW, FAST>(sc, mrow, lrow, corr);
    rescale_rows(o, corr);
}

// Q fragments (the A operand of Q·Kᵀ), pre-scaled to base-2 units: rows g and g+8 of the warp's 16
// starting at row0, zero past m.
__device__ __forceinline__ void load_q_fragments(unsigned (&qa)[HEAD_DIM / 16][4], const float* __restrict__ q,
    int row0, int m, int heads, int head, int g, int t, float scale_log2)
{
#pragma unroll
    for (int kk = 0; kk < HEAD_DIM / 16; kk++)
    {
#pragma unroll
        for (int h2 = 0; h2 < 2; h2++)
        {
            int r = row0 + g + h2 * 8;
            float x0 = 0.0f, x1 = 0.0f, x8 = 0.0f, x9 = 0.0f;
            if (r < m)
            {
                const float* qr = q + ((i64)r * heads + head) * HEAD_DIM + kk * 16 + 2 * t;
                x0 = qr[0]; x1 = qr[1]; x8 = qr[8]; x9 = qr[9];
            }
            qa[kk][h2] = pack_bf16x2(x0 * scale_log2, x1 * scale_log2);
            qa[kk][2 + h2] = pack_bf16x2(x8 * scale_log2, x9 * scale_log2);
        }
    }
}

// The probabilities of 16 keys (two 8-key score tiles) as the A operand of P·V: the score
// accumulator's layout is exactly that operand's.
__device__ __forceinline__ void pack_probabilities(unsigned (&a)[4], const float (&lo)[4], const float (&hi)[4])
{
    a[0] = pack_bf16x2(lo[0], lo[1]);
    a[1] = pack_bf16x2(lo[2], lo[3]);
    a[2] = pack_bf16x2(hi[0], hi[1]);
    a[3] = pack_bf16x2(hi[2], hi[3]);
}

// Writes a warp's two rows per thread: normalised output (one split; into outb as bf16 instead of out
// when outb is not null), or the unnormalised partial output with its running max and sum (split-key
// launch, merged by attention_combine; a split's partials are partRows rows apart, m unless several
// row groups share one launch).
__device__ __forceinline__ void store_rows(const float (&o)[HEAD_DIM / 8][4], const float (&mrow)[2], const float (&lrow)[2],
    float* __restrict__ out, bf16_t* __restrict__ outb, float* __restrict__ part_o, float* __restrict__ part_ml,
    int row0, int m, int heads, int head, int split, int splits, int partRows, int g, int t)
{
#pragma unroll
    for (int h2 = 0; h2 < 2; h2++)
    {
        float l = lrow[h2];
        l += __shfl_xor_sync(0xffffffffu, l, 1);
        l += __shfl_xor_sync(0xffffffffu, l, 2);
        int r = row0 + g + h2 * 8;
        if (r >= m) continue;
        if (splits == 1)
        {
            float inv = l > 0.0f ? 1.0f / l : 0.0f;
            i64 at = ((i64)r * heads + head) * HEAD_DIM + 2 * t;
            if (outb) // only the next GEMM reads it: its bf16 input, half the bytes and no conversion pass
            {
#pragma unroll
                for (int nt = 0; nt < HEAD_DIM / 8; nt++)
                    *reinterpret_cast<unsigned*>(outb + at + nt * 8) = pack_bf16x2(o[nt][2 * h2] * inv, o[nt][2 * h2 + 1] * inv);
            }
            else
            {
                float* dst = out + at;
#pragma unroll
                for (int nt = 0; nt < HEAD_DIM / 8; nt++) { dst[nt * 8] = o[nt][2 * h2] * inv; dst[nt * 8 + 1] = o[nt][2 * h2 + 1] * inv; }
            }
        }
        else
        {
            i64 idx = ((i64)split * partRows + r) * heads + head;
            float* dst = part_o + idx * HEAD_DIM + 2 * t;
#pragma unroll
            for (int nt = 0; nt < HEAD_DIM / 8; nt++) { dst[nt * 8] = o[nt][2 * h2]; dst[nt * 8 + 1] = o[nt][2 * h2 + 1]; }
            if (t == 0) { part_ml[idx * 2] = mrow[h2]; part_ml[idx * 2 + 1] = l; }
        }
    }
}

// A warp's running state before its first key tile: output accumulators zero, running max -inf,
// running sum zero (two rows per thread).
__device__ __forceinline__ void reset_rows(float (&o)[HEAD_DIM / 8][4], float (&mrow)[2], float (&lrow)[2])
{
#pragma unroll
    for (int nt = 0; nt < HEAD_DIM / 8; nt++) { o[nt][0] = 0.0f; o[nt][1] = 0.0f; o[nt][2] = 0.0f; o[nt][3] = 0.0f; }
    mrow[0] = NEG_INF; mrow[1] = NEG_INF;
    lrow[0] = 0.0f; lrow[1] = 0.0f;
}

// This block's share [begin, end) of the KT-key tiles that rows up to lastRow see, when the keys are
// split over `splits` blocks (every thread computes the same numbers).
__device__ __forceinline__ void split_key_tiles(const KvList& list, int lastRow, int split, int splits, int& begin, int& end)
{
    int total = 0;
    for (int s = 0; s < list.count; s++) total += (keys_for_row(list.seg[s], lastRow) + KT - 1) / KT;
    begin = (int)((i64)total * split / splits);
    end = (int)((i64)total * (split + 1) / splits);
}

// scale_log2 = log2(e)/sqrt(head_dim): scores come out in base-2 units so exp2f does the softmax.
// splits > 1: block z handles its share of the key tiles and writes unnormalised partials.
// LDM: fetch V fragments with ldmatrix.trans (one instruction per two mma) instead of 16-bit loads.
template <bool LDM>
__device__ __forceinline__ void attention_tiled_body(
    const float* __restrict__ q, float* __restrict__ out, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, const KvList& list)
{
    __shared__ uint4 sk_raw[KT * SSTR / 8];
    __shared__ uint4 sv_raw[KT * SSTR / 8];
    bf16_t* sk = (bf16_t*)sk_raw;
    bf16_t* sv = (bf16_t*)sv_raw;

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int head = blockIdx.y, kvh = head / (heads / kvheads), split = blockIdx.z;
    const int row0 = blockIdx.x * QT + warp * 16;
    const int lastRow = min(m, (int)blockIdx.x * QT + QT) - 1;

    unsigned qa[HEAD_DIM / 16][4];
    load_q_fragments(qa, q, row0, m, heads, head, g, t, scale_log2);

    float o[HEAD_DIM / 8][4], mrow[2], lrow[2];
    reset_rows(o, mrow, lrow);

    int tBegin, tEnd;
    split_key_tiles(list, lastRow, split, splits, tBegin, tEnd);

    int gi = 0;
    for (int s = 0; s < list.count && gi < tEnd; s++)
    {
        const KvSegmentView seg = list.seg[s];
        const int n = keys_for_row(seg, lastRow);
        const int tiles = (n + KT - 1) / KT;
        if (gi + tiles <= tBegin) { gi += tiles; continue; }
        const bf16_t* K = (const bf16_t*)seg.keys + kvh * HEAD_DIM;
        const bf16_t* V = (const bf16_t*)seg.values + kvh * HEAD_DIM;
        for (int tile = 0; tile < tiles && gi < tEnd; tile++, gi++)
        {
            if (gi < tBegin) continue;
            const int k0 = tile * KT;

            __syncthreads(); // the previous tile's readers are done
            const int chunks = HEAD_DIM / 8;
            for (int idx = threadIdx.x; idx < KT * chunks; idx += blockDim.x)
            {
                int r = idx / chunks, c = (idx - r * chunks) * 8;
                int key = k0 + r;
                uint4 kv = {0u, 0u, 0u, 0u}, vv = {0u, 0u, 0u, 0u};
                if (key < n)
                {
                    kv = *(const uint4*)(K + (i64)key * list.stride + c);
                    vv = *(const uint4*)(V + (i64)key * list.stride + c);
                }
                *(uint4*)(sk + r * SSTR + c) = kv;
                *(uint4*)(sv + r * SSTR + c) = vv;
            }
            __syncthreads();

            // S = Q·Kᵀ for 16 rows × 64 keys.
            float sc[KT / 8][4];
#pragma unroll
            for (int nt = 0; nt < KT / 8; nt++)
            {
                sc[nt][0] = 0.0f; sc[nt][1] = 0.0f; sc[nt][2] = 0.0f; sc[nt][3] = 0.0f;
                const bf16_t* kr = sk + (nt * 8 + g) * SSTR + 2 * t;
#pragma unroll
                for (int kk = 0; kk < HEAD_DIM / 16; kk++)
                {
                    unsigned b0 = *(const unsigned*)(kr + kk * 16);
                    unsigned b1 = *(const unsigned*)(kr + kk * 16 + 8);
                    mma_bf16_16816(sc[nt], qa[kk], b0, b1);
                }
            }

            // Mask keys a row may not see (beyond the segment, or in the future) and padding rows.
            mask_scores<KT>(sc, seg, row0, m, k0, g, t);
            softmax_tile<KT, false>(sc, mrow, lrow, o);

            // O += P·V
#pragma unroll
            for (int j = 0; j < KT / 16; j++)
            {
                unsigned a[4];
                pack_probabilities(a, sc[2 * j], sc[2 * j + 1]);
                if (LDM)
                {
                    // Matrices: keys j*16+[0,8) / [8,16) (b0 / b1) × dims of n-tiles nt and nt+1.
                    const int mi = lane >> 3, r8 = lane & 7;
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
                else
                {
                    const bf16_t* v0 = sv + (j * 16 + 2 * t) * SSTR + g;
#pragma unroll
                    for (int nt = 0; nt < HEAD_DIM / 8; nt++)
                    {
                        const bf16_t* vp = v0 + nt * 8;
                        unsigned b0 = (unsigned)vp[0] | ((unsigned)vp[SSTR] << 16);
                        unsigned b1 = (unsigned)vp[8 * SSTR] | ((unsigned)vp[9 * SSTR] << 16);
                        mma_bf16_16816(o[nt], a, b0, b1);
                    }
                }
            }
        }
    }

    store_rows(o, mrow, lrow, out, 0, part_o, part_ml, row0, m, heads, head, split, splits, m, g, t);
}
extern "C" __global__ void __launch_bounds__(128) attention_tiled(
    const float* __restrict__ q, float* __restrict__ out, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, KvList list)
{
    attention_tiled_body<false>(q, out, part_o, part_ml, m, heads, kvheads, scale_log2, splits, list);
}

extern "C" __global__ void __launch_bounds__(128) attention_tiled_ldm(
    const float* __restrict__ q, float* __restrict__ out, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, KvList list)
{
    attention_tiled_body<true>(q, out, part_o, part_ml, m, heads, kvheads, scale_log2, splits, list);
}
#endif
