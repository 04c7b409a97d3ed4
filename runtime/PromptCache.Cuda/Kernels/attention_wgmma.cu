// Attention on Hopper's warpgroup tensor-core instructions (wgmma, sm_90a only). Compiled as
// its own module after attention.cu and attention_pipelined.cu (it reuses KvList, the tile walk, the
// cp.async helpers, the softmax and the output writer), with WGMMA_ATTENTION defined only when the
// target is sm_90a: a compile error here disables these kernels and leaves the others running.
//
// Why: mma.sync issues one 16x8x16 product per warp instruction and feeds both operands through
// registers (ldmatrix from shared memory for every K and V fragment). On the H100 that capped the
// pipelined kernel at ~170 TFLOP/s for long causal prefills. wgmma lets a warpgroup (4 warps, 64
// query rows) multiply 64x64x16 or 64x128x16 in one asynchronous instruction that reads K and V
// straight from shared memory.
//
// Layout of a block: one warpgroup, 64 query rows of one head (head dimension 64 or 128), 64-key tiles
// of K and V. Per tile:
//   S = Q·Kᵀ     HEAD_DIM/16 wgmma m64n64k16, Q and K from shared memory;
//   softmax      online, in registers (the accumulator layout is mma.sync's, so softmax_tile and
//                the masks are shared with the other kernels);
//   O += P·V     4 wgmma m64nHEAD_DIMk16, P from registers, V from shared memory (transposed read).
// K/V tiles arrive by cp.async into a two-stage ring, with one barrier per tile: after it, tile i has
// landed and every warp is done with tile i-1, so tile i+1 is loaded into that stage.
//
// Shared memory tile layout, the one wgmma's 128-byte swizzle mode reads: a tile is HEAD_DIM / 64
// panels of [WKT keys x 64 dims]; in a panel, key row r is 128 bytes at r * 128, and its 16-byte chunk
// c (dims 8c..8c+7) sits in slot c ^ (r % 8). The XOR spreads the eight rows of any 8x8 core matrix over
// all 32 banks, for the tensor cores' reads and for the copies that write one key row per 8 lanes.
// For S the tile is K-major B (dims contiguous), for P·V the same bytes are MN-major B (transposed).

#if defined(HAS_PIPELINED_ATTENTION) && defined(WGMMA_ATTENTION) && (HEAD_DIM == 64 || HEAD_DIM == 128)
#define HAS_WGMMA_ATTENTION 1
#define WKT 64                            // keys per tile (= PKT = KT: locate_tile and split_key_tiles count in those)
#define WTILE (WKT * HEAD_DIM)            // bf16 elements of one K (or V) tile
#define WPANEL_BYTES (WKT * 128)          // one 64-dim panel of a tile
#define WG_STAGES 2                       // K/V stages: one lands while the other is multiplied (the loop's `i & 1`); must match DeviceKernels.WgmmaStages (3 and 4 measured no faster)

// The descriptor of the operand `bytes` (a multiple of 16) further on: the address field is the low 14 bits, and a
// shared-memory address never carries out of them. One add per wgmma instead of the mask and shifts of
// wgmma_desc (H100 kernel check, 15 alternating rounds: the 64-key kernel 0.345 → 0.325 ms at 4096 rows, 1.21 →
// 1.16 at 8192; the 128-key kernel ~1 %).
__device__ __forceinline__ u64 desc_plus(u64 desc, unsigned bytes) { return desc + (bytes >> 4); }

// cp.async writes shared memory through the generic proxy, wgmma reads it through the async proxy.
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

// Pins registers in place: the compiler may not move their reads or writes across this point. Needed
// around wgmma, whose register operands are read and written asynchronously, between fence and wait.
template <int N>
__device__ __forceinline__ void pin_registers(float (&r)[N][4])
{
#pragma unroll
    for (int i = 0; i < N; i++) asm volatile("" : "+f"(r[i][0]), "+f"(r[i][1]), "+f"(r[i][2]), "+f"(r[i][3])::"memory");
}

template <int N>
__device__ __forceinline__ void pin_registers(unsigned (&r)[N][4])
{
#pragma unroll
    for (int i = 0; i < N; i++) asm volatile("" : "+r"(r[i][0]), "+r"(r[i][1]), "+r"(r[i][2]), "+r"(r[i][3])::"memory");
}

#define WG_A_DESC_SCALE "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "r"(accumulate)

// d[64 x 64] (+)= A · B, both from shared memory, K-major (A: Q rows x head dims; B: keys x head dims).
__device__ __forceinline__ void wgmma_ss_n64(float (&d)[8][4], u64 descA, u64 descB, int accumulate)
{
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
        "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,"
        "%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, "
        "%32, %33, p, 1, 1, 0, 0;\n}\n"
        : WGMMA_ACC8(0)
        : "l"(descA), "l"(descB), "r"(accumulate));
}

// d[64 x 128] (+)= A · B, both from shared memory, K-major (the 128-key steps' scores).
__device__ __forceinline__ void wgmma_ss_n128(float (&d)[16][4], u64 descA, u64 descB, int accumulate)
{
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
        "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,"
        "%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,"
        "%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,"
        "%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63}, "
        "%64, %65, p, 1, 1, 0, 0;\n}\n"
        : WGMMA_ACC8(0), WGMMA_ACC8(8)
        : "l"(descA), "l"(descB), "r"(accumulate));
}

// d[64 x 64] (+)= a[64 x 16] · B, B MN-major in shared memory (P·V at head dimension 64).
__device__ __forceinline__ void wgmma_n64_trans(float (&d)[8][4], const unsigned (&a)[4], u64 desc, int accumulate)
{
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
        "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,"
        "%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, "
        "{%32,%33,%34,%35}, %36, p, 1, 1, 1;\n}\n"
        : WGMMA_ACC8(0)
        : WG_A_DESC_SCALE);
}

// d[64 x 128] (+)= a[64 x 16] · B, B MN-major in shared memory (stored K x N: V, keys down, head
// dims along; the transpose flag set).
__device__ __forceinline__ void wgmma_n128_trans(float (&d)[16][4], const unsigned (&a)[4], u64 desc, int accumulate)
{
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
        "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,"
        "%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,"
        "%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,"
        "%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63}, "
        "{%64,%65,%66,%67}, %68, p, 1, 1, 1;\n}\n"
        : WGMMA_ACC8(0), WGMMA_ACC8(8)
        : WG_A_DESC_SCALE);
}

// Issues the copies of one tile of K or V rows (keys k0.. of `rows`, a segment's K or V at this kv head;
// keys from n on are zero-filled) into the swizzled layout above. Consecutive lanes take consecutive
// 16-byte chunks of a key row (whole sectors from L2); the eight lanes that write one 128-byte panel row
// land in eight different slots, so the stores do not conflict either. A thread copies the same chunk
// of every KEYS-th key, so its swizzle slot and offsets are fixed: a full tile costs one add per copy
// instead of recomputing the index per copy. ncu found the kernels issue-bound (most stalls short
// dependency waits, tensor pipe ~40 % busy); this and the softmax trees (attention.cu) took the wide
// kernel from 384 to 402 TFLOP/s on an 8192-row causal prefill, and one barrier per tile to 412 (H100).
template <int THREADS>
__device__ __forceinline__ void wgmma_load_rows(bf16_t* dst, const bf16_t* rows, int stride, int k0, int n, int tid)
{
    constexpr int CHUNKS = HEAD_DIM / 8, KEYS = THREADS / CHUNKS;
    static_assert(KEYS % 8 == 0 && WKT % KEYS == 0, "every round's keys must share their swizzle (key % 8)");
    const int key = tid / CHUNKS, chunk = tid % CHUNKS;
    bf16_t* d = dst + (chunk / 8) * (WKT * 64) + key * 64 + (((chunk % 8) ^ (key & 7)) * 8);
    const bf16_t* src = rows + (i64)(k0 + key) * stride + chunk * 8;
    if (k0 + WKT <= n)
    {
#pragma unroll
        for (int round = 0; round < WKT / KEYS; round++) cp_async16(d + round * KEYS * 64, src + (i64)round * KEYS * stride, true);
    }
    else
    {
        // The segment's last tile: rows past n are zero-filled from a valid address (key k0 is always visible).
        const bf16_t* first = rows + (i64)k0 * stride + chunk * 8;
#pragma unroll
        for (int round = 0; round < WKT / KEYS; round++)
        {
            bool ok = k0 + key + round * KEYS < n;
            cp_async16(d + round * KEYS * 64, ok ? src + (i64)round * KEYS * stride : first, ok);
        }
    }
}

// Issues the copies of one K tile and one V tile (tid: this thread's index among the THREADS that copy).
template <int THREADS>
__device__ __forceinline__ void wgmma_load_tile(bf16_t* sk, bf16_t* sv, const KvList& list, int s, int tile, int lastRow, int kvh, int tid)
{
    const KvSegmentView seg = list.seg[s];
    const int n = keys_for_row(seg, lastRow);
    wgmma_load_rows<THREADS>(sk, (const bf16_t*)seg.keys + kvh * HEAD_DIM, list.stride, tile * WKT, n, tid);
    wgmma_load_rows<THREADS>(sv, (const bf16_t*)seg.values + kvh * HEAD_DIM, list.stride, tile * WKT, n, tid);
}

// Issues S = Q·Kᵀ for one step of NT * 8 keys (64, or 128 in attention_wgmma_ws128): HEAD_DIM / 16 wgmma into sc, the
// first overwriting it. A step's K is HEAD_DIM / 64 panels of [keys x 64 dims], 128-byte rows. No commit.
template <int NT>
__device__ __forceinline__ void issue_scores(float (&sc)[NT][4], unsigned qAddress, unsigned kAddress)
{
    constexpr int PANEL = NT * 8 * 128;
    const u64 q0 = wgmma_desc(qAddress, 16, 1024), k0 = wgmma_desc(kAddress, 16, 1024);
#pragma unroll
    for (int kk = 0; kk < HEAD_DIM / 16; kk++)
    {
        const u64 qd = desc_plus(q0, (kk / 4) * WPANEL_BYTES + (kk % 4) * 32);
        const u64 kd = desc_plus(k0, (kk / 4) * PANEL + (kk % 4) * 32);
        if constexpr (NT == 16) wgmma_ss_n128(sc, qd, kd, kk);
        else wgmma_ss_n64(sc, qd, kd, kk);
    }
}

// Issues O += P·V for one step of NP * 16 keys, P from registers; V laid out as K is. No commit.
template <int NP>
__device__ __forceinline__ void issue_pv(float (&o)[HEAD_DIM / 8][4], const unsigned (&pa)[NP][4], unsigned vAddress)
{
    constexpr int PANEL = NP * 16 * 128;
    const u64 v0 = wgmma_desc(vAddress, PANEL, 1024);
#pragma unroll
    for (int j = 0; j < NP; j++)
#if HEAD_DIM == 128
        wgmma_n128_trans(o, pa[j], desc_plus(v0, j * 16 * 128), 1);
#else
        wgmma_n64_trans(o, pa[j], desc_plus(v0, j * 16 * 128), 1);
#endif
}

// A step's probabilities as the register A operand of P·V.
template <int NT>
__device__ __forceinline__ void pack_tile(unsigned (&pa)[NT / 2][4], const float (&sc)[NT][4])
{
#pragma unroll
    for (int j = 0; j < NT / 2; j++) pack_probabilities(pa[j], sc[2 * j], sc[2 * j + 1]);
}

// Sets to -inf what rows of this warp may not see of the 64-key tile starting at key k0 of segment seg, when any: the
// tile is sc[first ..] of the step's scores.
template <int NT>
__device__ __forceinline__ void mask_tile(float (&sc)[NT][4], const KvSegmentView& seg, int row0, int m, int k0, int g, int t, int first = 0)
{
    if (row0 + 15 >= m || k0 + WKT > keys_for_row(seg, row0)) mask_scores<WKT, NT>(sc, seg, row0, m, k0, g, t, first);
}

// RoPE for the query rows, applied as they are loaded (cos null: q is already rotated). The backend defers
// RoPE on q to its reader (DeferredRopes): the rotation here is rope_rows' to the bit, and it spares a
// prefill RoPE's read and write of all of q (7B at 8192 tokens: ~270 MB a layer). cos and sin are
// [rows][half] from q's row 0; head dimension 2·half.
struct QueryRope
{
    const float* cos;
    const float* sin;
    int half;
    int interleaved; // 0: dimension i pairs with i + half (HF rotate_half); 1: 2i with 2i+1 (GGUF)
};

// 8 floats from a 16-byte aligned address.
__device__ __forceinline__ void load8(float (&v)[8], const float* __restrict__ p)
{
    const float4 a = ((const float4*)p)[0], b = ((const float4*)p)[1];
    v[0] = a.x; v[1] = a.y; v[2] = a.z; v[3] = a.w; v[4] = b.x; v[5] = b.y; v[6] = b.z; v[7] = b.w;
}

// GGUF's interleaved RoPE on the 8 query values v at dimensions d0..d0+7 (at RoPE row `row`): pairs
// (d0 + 2j, d0 + 2j + 1), frequencies d0/2 + j. The table rows are 16-byte aligned (half is 32 or 64 floats, d0 a
// multiple of 8), so cos and sin come in float4s.
__device__ __forceinline__ void rope_interleaved_chunk(float (&v)[8], int d0, const QueryRope& rope, int row)
{
    const float* c = rope.cos + (i64)row * rope.half + d0 / 2;
    const float* s = rope.sin + (i64)row * rope.half + d0 / 2;
    const float4 c4 = *(const float4*)c, s4 = *(const float4*)s;
    const float cc[4] = {c4.x, c4.y, c4.z, c4.w}, ss[4] = {s4.x, s4.y, s4.z, s4.w};
#pragma unroll
    for (int j = 0; j < 4; j++)
    {
        float a = v[2 * j], b = v[2 * j + 1];
        v[2 * j] = rope_first(a, b, cc[j], ss[j]);
        v[2 * j + 1] = rope_second(a, b, cc[j], ss[j]);
    }
}

// HF's RoPE (rotate_half) on the pairs (i0 + j, i0 + j + half): lo holds the first of each pair, hi the second.
__device__ __forceinline__ void rope_half_pairs(float (&lo)[8], float (&hi)[8], int i0, const QueryRope& rope, int row)
{
    float cc[8], ss[8];
    load8(cc, rope.cos + (i64)row * rope.half + i0);
    load8(ss, rope.sin + (i64)row * rope.half + i0);
#pragma unroll
    for (int j = 0; j < 8; j++)
    {
        float a = lo[j], b = hi[j];
        lo[j] = rope_first(a, b, cc[j], ss[j]);
        hi[j] = rope_second(a, b, cc[j], ss[j]);
    }
}

// Dimensions 8c..8c+7 of the tile's row r, scaled and packed, at their swizzled place (a 64-row tile per warpgroup).
__device__ __forceinline__ void store_q_chunk(bf16_t* sq, int r, int c, const float (&v)[8], float scale_log2)
{
    uint4 packed;
    packed.x = pack_bf16x2(v[0] * scale_log2, v[1] * scale_log2);
    packed.y = pack_bf16x2(v[2] * scale_log2, v[3] * scale_log2);
    packed.z = pack_bf16x2(v[4] * scale_log2, v[5] * scale_log2);
    packed.w = pack_bf16x2(v[6] * scale_log2, v[7] * scale_log2);
    int rr = r % 64;
    *(uint4*)(sq + (r / 64) * (64 * HEAD_DIM) + (c / 8) * (64 * 64) + rr * 64 + (((c % 8) ^ (rr & 7)) * 8)) = packed;
}

// The block's query rows as bf16 (a 64-row tile per warpgroup), pre-scaled to base-2 units, in the tiles' swizzled panel layout:
// the A operand of S = Q·Kᵀ, read by the tensor cores from shared memory. (Q in registers, the A operand
// of mma.sync's layout, broke at head dimension 64: ptxas put the packed probabilities in the same
// registers as Q, and every tile after the first multiplied garbage.) With HF's RoPE a thread takes the two chunks
// whose dimensions pair up (c and c + half / 8), so each value and each cos and sin is loaded once: loading the partner
// chunk and the table for each chunk on its own took twice the loads, and a persistent launch's Q writers fell behind
// its short items (H100 kernel check, persistent 128-key kernel, 8192 rows: the rotation cost 11 %, now 1 %).
template <int ROWS, int THREADS>
__device__ __forceinline__ void store_q_tile(bf16_t* sq, const float* __restrict__ q, int blockRow0, int m, int heads, int head, float scale_log2,
                                             const QueryRope& rope, int ropeRow0, int tid)
{
    constexpr int chunks = HEAD_DIM / 8;
    const bool halves = rope.cos && !rope.interleaved;
    const int units = halves ? chunks / 2 : chunks;
    for (int idx = tid; idx < ROWS * units; idx += THREADS)
    {
        int r = idx / units, c = idx - r * units, row = blockRow0 + r;
        float v[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}, w[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
        if (row < m)
        {
            const float* qr = q + ((i64)row * heads + head) * HEAD_DIM;
            load8(v, qr + c * 8);
            if (halves)
            {
                load8(w, qr + c * 8 + HEAD_DIM / 2);
                rope_half_pairs(v, w, c * 8, rope, ropeRow0 + row);
            }
            else if (rope.cos) rope_interleaved_chunk(v, c * 8, rope, ropeRow0 + row);
        }
        store_q_chunk(sq, r, c, v, scale_log2);
        if (halves) store_q_chunk(sq, r, c + chunks / 2, w, scale_log2);
    }
}

// Row groups of a short query (the engine's arguments see the modules only below their own positions): at most
// MAX_ROW_GROUPS consecutive runs of rows, each seeing its own prefix of every context segment.
#define MAX_ROW_GROUPS 4

// Per-row key counts of one block holding several row groups (attention_wgmma_rows, _wide): row r is in group g
// (firstRow[g] <= r < firstRow[g + 1]) and sees visible[g][s] keys of non-causal segment s; a causal segment's
// count follows the row (keys_for_row), the same rule for every group. The backend only builds one when the
// counts never decrease from a group to the next (rows in position order), so a warp's first row sees the least.
struct RowLimits
{
    int visible[MAX_ROW_GROUPS][MAX_SEGMENTS];
    int firstRow[MAX_ROW_GROUPS];
    int count;
};

__device__ __forceinline__ int row_keys(const KvSegmentView& seg, int s, const RowLimits& limits, int r)
{
    if (seg.causal) return keys_for_row(seg, r);
    int g = 0;
    while (g + 1 < limits.count && r >= limits.firstRow[g + 1]) g++;
    return limits.visible[g][s];
}

// mask_tile with each row's own key count for segment s.
__device__ __forceinline__ void mask_tile_rows(float (&sc)[WKT / 8][4], const KvSegmentView& seg, int s, const RowLimits& limits,
    int row0, int m, int k0, int g, int t)
{
    if (row0 + 15 < m && k0 + WKT <= row_keys(seg, s, limits, row0)) return; // every row of the warp sees the whole tile
    const int r0 = row0 + g, r1 = r0 + 8;
    const int n0 = r0 < m ? row_keys(seg, s, limits, r0) : 0, n1 = r1 < m ? row_keys(seg, s, limits, r1) : 0;
#pragma unroll
    for (int nt = 0; nt < WKT / 8; nt++)
#pragma unroll
        for (int e = 0; e < 4; e++)
            if (k0 + nt * 8 + 2 * t + (e & 1) >= (e >> 1 ? n1 : n0)) sc[nt][e] = NEG_INF;
}

// The head and row block of block b of a prefill grid of heads × qblocks (one key split): the heads taken
// PREFILL_HEAD_GROUP at a time, and in each group the longest causal rows of all its heads first. A group's
// heads read their K/V at the same time, so it stays in L2 while they do; longest first across the group
// leaves only short blocks for the end of the grid, where a long one would run alone.
#ifndef PREFILL_HEAD_GROUP
#define PREFILL_HEAD_GROUP 8
#endif
__device__ __forceinline__ void prefill_block(int b, int heads, int qblocks, int& head, int& qblock)
{
    const int group = b / (PREFILL_HEAD_GROUP * qblocks), r = b - group * PREFILL_HEAD_GROUP * qblocks;
    const int width = min(PREFILL_HEAD_GROUP, heads - group * PREFILL_HEAD_GROUP);
    qblock = qblocks - 1 - r / width;
    head = group * PREFILL_HEAD_GROUP + r % width;
}

// GROUPS warpgroups per block, 64 query rows each, sharing every K/V tile. While one warpgroup is in its
// softmax, the others' products keep the tensor cores busy.
// head, qblock: which head and block of rows this is (prefill_block orders them); partRows: see store_rows.
// limits: null, or each row's own key counts; list then holds what the last row sees.
template <int GROUPS>
__device__ __forceinline__ void attention_wgmma_body(
    const float* __restrict__ q, float* __restrict__ out, bf16_t* __restrict__ outb, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, const KvList& list, int head, int qblock, int partRows, const QueryRope& rope,
    int ropeRow0, const RowLimits* limits = nullptr)
{
    // [stage 0: K, V][stage 1: K, V][Q], from a 1024-byte boundary (the swizzle repeats every 8 rows
    // of 128 bytes and is computed from address bits; the launch adds 1 KB of slack for this).
    extern __shared__ uint4 wgmma_smem[];
    bf16_t* smem = (bf16_t*)((char*)wgmma_smem + ((1024u - (shared_address(wgmma_smem) & 1023u)) & 1023u));

    // The warp index read from lane 0: the compiler then knows the warpgroup's branch on its rows is taken by whole
    // warps (see attention_ws_body).
    const int warp = __shfl_sync(0xffffffffu, threadIdx.x >> 5, 0), lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int kvh = head / (heads / kvheads), split = blockIdx.z;
    const int blockRow0 = qblock * 64 * GROUPS, group = warp >> 2;
    const int groupRow0 = blockRow0 + group * 64, groupLast = min(groupRow0 + 63, m - 1);
    const int row0 = groupRow0 + (warp & 3) * 16;
    const int lastRow = min(m, blockRow0 + 64 * GROUPS) - 1;

    bf16_t* sq = smem + WG_STAGES * 2 * WTILE;
    store_q_tile<64 * GROUPS, 128 * GROUPS>(sq, q, blockRow0, m, heads, head, scale_log2, rope, ropeRow0, threadIdx.x); // visible to the tensor cores after the loop's first fence and barrier
    const unsigned qAddress = shared_address(sq + group * 64 * HEAD_DIM);

    float o[HEAD_DIM / 8][4], mrow[2], lrow[2];
    reset_rows(o, mrow, lrow);

    int tBegin, tEnd;
    split_key_tiles(list, lastRow, split, splits, tBegin, tEnd);

    int s0, tile0;
    if (tBegin < tEnd && locate_tile(list, lastRow, tBegin, s0, tile0))
        wgmma_load_tile<128 * GROUPS>(smem, smem + WTILE, list, s0, tile0, lastRow, kvh, threadIdx.x);
    cp_async_commit();

    for (int gi = tBegin, i = 0; gi < tEnd; gi++, i++)
    {
        bf16_t* sk = smem + (i & 1) * 2 * WTILE;
        bf16_t* sv = sk + WTILE;
        cp_async_wait<0>();
        fence_proxy_async();
        __syncthreads(); // tile i has landed, and every warp is done with tile i-1, whose stage is refilled now

        int sAhead, tileAhead;
        if (gi + 1 < tEnd && locate_tile(list, lastRow, gi + 1, sAhead, tileAhead))
        {
            bf16_t* nk = smem + ((i + 1) & 1) * 2 * WTILE;
            wgmma_load_tile<128 * GROUPS>(nk, nk + WTILE, list, sAhead, tileAhead, lastRow, kvh, threadIdx.x);
        }
        cp_async_commit();

        int sCur = 0, tileCur = 0;
        locate_tile(list, lastRow, gi, sCur, tileCur);
        const KvSegmentView seg = list.seg[sCur];
        const int k0 = tileCur * WKT;
        // Warpgroup-uniform (wgmma needs all four warps): does any row of the group see a key of the tile?
        // Rows that see only some get probabilities of zero from the mask.
        if (GROUPS == 1 || (groupRow0 < m && k0 < (limits ? row_keys(seg, sCur, *limits, groupLast) : keys_for_row(seg, groupLast)))) // one group: always (measured 6 % slower as a run-time test)
        {
            const unsigned kAddress = shared_address(sk), vAddress = shared_address(sv);
            float sc[WKT / 8][4];
            pin_registers(sc);
            wgmma_fence();
            issue_scores(sc, qAddress, kAddress);
            wgmma_commit();
            wgmma_wait_all();
            pin_registers(sc);

            if (limits) mask_tile_rows(sc, seg, sCur, *limits, row0, m, k0, g, t);
            else mask_tile(sc, seg, row0, m, k0, g, t);
            softmax_tile<WKT, true>(sc, mrow, lrow, o);

            unsigned pa[WKT / 16][4];
            pack_tile(pa, sc);
            pin_registers(pa);
            pin_registers(o);
            wgmma_fence();
            issue_pv(o, pa, vAddress);
            wgmma_commit();
            wgmma_wait_all();
            pin_registers(o);
        }
    }
    cp_async_wait<0>();

    store_rows(o, mrow, lrow, out, outb, part_o, part_ml, row0, m, heads, head, split, splits, partRows, g, t);
}

// One warpgroup: short queries, and prefill at head dimension 64 (where two were slower: 284 against
// 295 TFLOP/s at 8192 rows).
extern "C" __global__ void __launch_bounds__(128, 3) attention_wgmma(
    const float* __restrict__ q, float* __restrict__ out, bf16_t* __restrict__ outb, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, KvList list, QueryRope rope)
{
    int head, qblock;
    prefill_block(blockIdx.x, heads, (m + 63) / 64, head, qblock);
    attention_wgmma_body<1>(q, out, outb, part_o, part_ml, m, heads, kvheads, scale_log2, splits, list, head, qblock, m, rope, 0);
}

// Two warpgroups (128 rows): prefill at head dimension 128, half the K/V traffic per row of the one-group
// kernel and two blocks per SM (383-393 against 361-371 TFLOP/s at 8192 rows, same run).
extern "C" __global__ void __launch_bounds__(256, 2) attention_wgmma_wide(
    const float* __restrict__ q, float* __restrict__ out, bf16_t* __restrict__ outb, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, KvList list, QueryRope rope)
{
    int head, qblock;
    prefill_block(blockIdx.x, heads, (m + 127) / 128, head, qblock);
    attention_wgmma_body<2>(q, out, outb, part_o, part_ml, m, heads, kvheads, scale_log2, splits, list, head, qblock, m, rope, 0);
}

// Warp-specialised prefill at head dimension 128 (FA3's structure): a producer warpgroup copies the K/V tiles (by
// cp.async, or one thread by TMA in attention_wgmma_ws_tma) into a ring of WS_STAGES stages and signals each on an
// mbarrier ("full"); two consumer warpgroups (64 query rows each) wait for a stage, compute, and release it
// ("empty"). The consumers issue no copies and
// never wait on a block-wide barrier, and each pipelines its tiles: tile j's Q·Kᵀ is issued together with tile
// j-1's P·V, so the softmax of tile j runs while the tensor cores multiply. One 384-thread block per SM (192 KB of
// shared memory). A TMA launch may have a block per item (a head × 128 rows) or fewer blocks that each take several
// (persistent, ws_next_item: 4096 rows 0.367 → 0.345 ms, 8192 rows 1.233 → 1.165 ms with RoPE on q, H100). H100, 8192-row causal prefill: 440-451 against the wide kernel's 396-410 TFLOP/s; 4096 rows
// 343-357 against 316-335; 2048 rows 233-248 against 217-228 (benchmarks/Cuda/KernelCheck). Ping-pong between the
// consumers (FA3's named barriers) measured no faster here (before the warp-uniform role branches); attention_wgmma_ws128
// below has it.
#define WS_STAGES 4

// Arrives on the barrier once this thread's earlier cp.async copies have landed (the expected count is not raised).
__device__ __forceinline__ void mbar_arrive_copies(u64* bar)
{
    asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(shared_address(bar)) : "memory");
}

__device__ __forceinline__ void wgmma_wait_one() { asm volatile("wgmma.wait_group.sync.aligned 1;\n" ::: "memory"); }

// Named barrier 1 over the 256 consumer threads (barrier 0 is __syncthreads, which the producer has left).
__device__ __forceinline__ void consumers_sync() { asm volatile("bar.sync 1, 256;\n" ::: "memory"); }

// The masked online softmax of tile gi's scores.
__device__ __forceinline__ void ws_softmax(float (&sc)[WKT / 8][4], float (&mrow)[2], float (&lrow)[2], float (&corr)[2],
    const KvList& list, int lastRow, int gi, int row0, int m, int g, int t)
{
    int s = 0, tile = 0;
    locate_tile(list, lastRow, gi, s, tile);
    mask_tile(sc, list.seg[s], row0, m, tile * WKT, g, t);
    softmax_scores<WKT, true>(sc, mrow, lrow, corr);
}

// The K and V tensor maps of the first WS_TMA_SEGMENTS segments of a KvList: [keys][kv heads][head dims] bf16,
// boxes of 64 keys × 1 head × 64 dims in the 128-byte swizzle (one panel of a tile), keys past the segment's
// last visible one reading as zeros.
#define WS_TMA_SEGMENTS 4
struct KvMaps
{
    TmaMap k[WS_TMA_SEGMENTS];
    TmaMap v[WS_TMA_SEGMENTS];
};

// A warp-specialised block's work item (a head and 128 query rows) and the key tiles it multiplies.
struct WsItem
{
    int head;
    int row0;    // first query row
    int lastRow;
    int tBegin;  // first key tile (of this key split)
    int count;   // key tiles
};

__device__ __forceinline__ WsItem ws_item(const KvList& list, int b, int m, int heads, int split, int splits)
{
    WsItem it;
    int qblock, tEnd;
    prefill_block(b, heads, (m + 127) / 128, it.head, qblock);
    it.row0 = qblock * 128;
    it.lastRow = min(m, it.row0 + 128) - 1;
    split_key_tiles(list, it.lastRow, split, splits, it.tBegin, tEnd);
    it.count = max(tEnd - it.tBegin, 0);
    return it;
}

// The next item of a persistent launch (a grid smaller than the item count), or -1 when there is none: every block
// takes its own index first, then whichever item is next in prefill_block's longest-first order when it finishes one
// (a ticket counter per key split), so blocks that drew long items take fewer. Each block draws one ticket past the
// end, so the launch draws exactly `items` tickets and the one numbered items - 1 is its last: its taker zeroes the
// counter for the next launch on the stream.
__device__ __forceinline__ int ws_next_item(int* tickets, int items)
{
    const int ticket = atomicAdd(tickets, 1);
    if (ticket == items - 1) atomicExch(tickets, 0);
    const int b = (int)gridDim.x + ticket;
    return b < items ? b : -1;
}

// Producer warps 1-3 write the query tiles (TMA launches), while the consumers multiply the previous item's.
#define WS_Q_WRITERS 96

// Named barrier 2 over the Q writers.
__device__ __forceinline__ void writers_sync() { asm volatile("bar.sync 2, 96;\n" ::: "memory"); }

// The Q writers of a persistent launch (producer warps 1-3), from the block's second item on (the consumers write the
// first's, all 256 of them, as fast as they can: nothing else runs yet): item r's rows into buffer r & 1 once the
// consumers are done with item r - 2's, and its index into slots[r & 1] once the K/V producer has read item r - 2's (an
// item without key tiles of this split leaves the consumers nothing to wait for). The slots' and Q buffers' barriers
// complete once per item from r = 1 on: item r's is their ((r - 1) / 2)-th phase. Returns after publishing -1 (no more).
__device__ __forceinline__ void ws_write_queries(bf16_t* sqs, u64* qfull, u64* qempty, u64* ifull, u64* iempty, int* slots,
    const float* __restrict__ q, int m, int heads, float scale_log2, const QueryRope& rope, int* tickets, int items)
{
    for (int r = 1;; r++)
    {
        const int buffer = r & 1;
        if (r >= 2) mbar_wait(&qempty[buffer], ((r >> 1) - 1) & 1);
        if (threadIdx.x == 32)
        {
            if (r >= 3) mbar_wait(&iempty[buffer], ((r - 3) >> 1) & 1);
            slots[buffer] = ws_next_item(tickets, items);
            mbar_arrive(&ifull[buffer]);
        }
        writers_sync();
        const int b = __shfl_sync(0xffffffffu, slots[buffer], 0);
        if (b >= 0)
        {
            int head, qblock;
            prefill_block(b, heads, (m + 127) / 128, head, qblock);
            store_q_tile<128, WS_Q_WRITERS>(sqs + buffer * 128 * HEAD_DIM, q, qblock * 128, m, heads, head, scale_log2, rope, 0,
                                            threadIdx.x - 32);
            fence_proxy_async(); // the generic-proxy stores before the tensor cores' reads
        }
        mbar_arrive(&qfull[buffer]);
        if (b < 0) return;
    }
}

// The item queue's barriers, for one thread to initialise: item r's query rows are in buffer r & 1 (qfull: the Q writer
// warps; qempty: every consumer thread), its index in slots[r & 1] (ifull: the writer that took the ticket; iempty: the
// K/V producer).
__device__ __forceinline__ void init_item_barriers(u64* qfull, u64* qempty, u64* ifull, u64* iempty)
{
    for (int b = 0; b < 2; b++)
    {
        mbar_init(&qfull[b], WS_Q_WRITERS);
        mbar_init(&qempty[b], 256);
        mbar_init(&ifull[b], 1);
        mbar_init(&iempty[b], 1);
    }
}

// Item r of a persistent block (-1: none left): its own index first, then what the Q writers drew. The K/V producer
// (one thread) reads the slot and frees it; the consumers read it once its query rows are in.
__device__ __forceinline__ int ws_producer_item(int r, u64* ifull, u64* iempty, const int* slots)
{
    if (r == 0) return (int)blockIdx.x;
    mbar_wait(&ifull[r & 1], ((r - 1) >> 1) & 1);
    const int b = slots[r & 1];
    mbar_arrive(&iempty[r & 1]);
    return b;
}

__device__ __forceinline__ int ws_consumer_item(int r, u64* qfull, const int* slots)
{
    if (r == 0) return (int)blockIdx.x;
    mbar_wait(&qfull[r & 1], ((r - 1) >> 1) & 1);
    return __shfl_sync(0xffffffffu, slots[r & 1], 0); // the same in every lane, and now the compiler knows it
}

// The shared address of this consumer group's 64 query rows of item r (buffer r & 1). The block's first item's rows
// are written here by the 256 consumer threads (tid), as fast as they can: nothing else runs yet.
__device__ __forceinline__ unsigned ws_item_queries(bf16_t* sqs, int r, const WsItem& it, const float* __restrict__ q, int m, int heads,
    float scale_log2, const QueryRope& rope, int group, int tid)
{
    bf16_t* sq = sqs + (r & 1) * 128 * HEAD_DIM;
    if (r == 0)
    {
        store_q_tile<128, 256>(sq, q, it.row0, m, heads, it.head, scale_log2, rope, 0, tid);
        fence_proxy_async();
        consumers_sync();
    }
    return shared_address(sq + group * 64 * HEAD_DIM);
}

// TMA: one producer thread copies each K/V tile with the copy engine (maps), instead of 128 threads issuing cp.async;
// from its second item on, producer warps 1-3 draw the block's items (tickets) and write each one's query rows into
// the other of two buffers ahead of the consumers, and the ring's stages carry on from one item to the next, so a
// block's next item is loading while it finishes the current one. Without TMA, one item per block (the launch has a
// block per item).
template <bool TMA>
__device__ __forceinline__ void attention_ws_body(
    const float* __restrict__ q, float* __restrict__ out, bf16_t* __restrict__ outb, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, const KvList& list, const QueryRope& rope, const KvMaps* maps, int* tickets)
{
    // [stage s: K, V] × WS_STAGES, then two Q buffers of 128 rows, then the full, empty, Q-full, Q-empty and item
    // barriers and the two item slots, from a 1024-byte boundary.
    extern __shared__ uint4 wgmma_smem[];
    bf16_t* smem = (bf16_t*)((char*)wgmma_smem + ((1024u - (shared_address(wgmma_smem) & 1023u)) & 1023u));
    bf16_t* sqs = smem + WS_STAGES * 2 * WTILE;
    u64* full = (u64*)(sqs + 2 * 128 * HEAD_DIM);
    u64* empty = full + WS_STAGES;
    u64* qfull = empty + WS_STAGES; // item r's query rows are in buffer r & 1
    u64* qempty = qfull + 2;        // the consumers are done with them
    u64* ifull = qempty + 2;        // item r's index is in slots[r & 1] (-1: no more)
    u64* iempty = ifull + 2;        // the K/V producer has read it
    int* slots = (int*)(iempty + 2);

    const int items = heads * ((m + 127) / 128), split = blockIdx.z;
    if (threadIdx.x == 0)
    {
        for (int s = 0; s < WS_STAGES; s++)
        {
            mbar_init(&full[s], TMA ? 1 : 128); // the TMA thread's expect_tx arrival, or each producer thread's copies
            mbar_init(&empty[s], 256);          // each consumer thread
        }
        init_item_barriers(qfull, qempty, ifull, iempty);
    }
    __syncthreads();

    // The roles by warp index read from lane 0: the compiler then knows each branch is taken by whole warps, and keeps
    // the item's and the tiles' arithmetic in the uniform datapath (H100 kernel check, 4096 rows: 0.426 → 0.366 ms
    // for attention_wgmma_ws, the speed it had before these kernels took several items).
    const int warpIndex = __shfl_sync(0xffffffffu, threadIdx.x >> 5, 0);
    if (warpIndex < 4)
    {
        if (TMA && warpIndex > 0)
        {
            ws_write_queries(sqs, qfull, qempty, ifull, iempty, slots, q, m, heads, scale_log2, rope, tickets + split, items);
            return;
        }
        if (TMA && threadIdx.x != 0) return; // one thread issues the copies
        // Producer: the n-th tile of the block into stage n % WS_STAGES once the consumers have released the tile it held before.
        unsigned n = 0; // unsigned: n % WS_STAGES and n / WS_STAGES are a mask and a shift
        for (int r = 0; TMA || r < 1; r++) // without TMA, one item
        {
            const int b = ws_producer_item(r, ifull, iempty, slots);
            if (b < 0) return;
            const WsItem it = ws_item(list, b, m, heads, split, splits);
            const int kvh = it.head / (heads / kvheads);
            for (int i = 0; i < it.count; i++, n++)
            {
                const unsigned stage = n % WS_STAGES;
                if (n >= WS_STAGES) mbar_wait(&empty[stage], ((n / WS_STAGES) - 1) & 1);
                bf16_t* sk = smem + stage * 2 * WTILE;
                int s, tile;
                const bool any = locate_tile(list, it.lastRow, it.tBegin + i, s, tile);
                if (TMA)
                {
                    if (!any)
                    {
                        mbar_arrive(&full[stage]);
                        continue;
                    }
                    const unsigned ka = shared_address(sk), va = ka + WTILE * 2;
                    mbar_expect_bytes(&full[stage], 2 * WTILE * 2);
#pragma unroll
                    for (int p = 0; p < HEAD_DIM / 64; p++)
                    {
                        tma_load_3d(ka + p * WPANEL_BYTES, &maps->k[s], p * 64, kvh, tile * WKT, &full[stage]);
                        tma_load_3d(va + p * WPANEL_BYTES, &maps->v[s], p * 64, kvh, tile * WKT, &full[stage]);
                    }
                }
                else
                {
                    if (any) wgmma_load_tile<128>(sk, sk + WTILE, list, s, tile, it.lastRow, kvh, threadIdx.x);
                    mbar_arrive_copies(&full[stage]);
                }
            }
        }
        return;
    }

    const int tid = threadIdx.x - 128;
    const int warp = warpIndex - 4, lane = tid & 31, g = lane >> 2, t = lane & 3;
    const int group = warp >> 2;
    unsigned n0 = 0; // tiles of the block's ring consumed before this item
    for (int r = 0; TMA || r < 1; r++) // without TMA, one item
    {
        const int b = ws_consumer_item(r, qfull, slots);
        if (b < 0) break;
        const WsItem it = ws_item(list, b, m, heads, split, splits);
        const int row0 = it.row0 + group * 64 + (warp & 3) * 16;
        const unsigned qAddress = ws_item_queries(sqs, r, it, q, m, heads, scale_log2, rope, group, tid);

        float o[HEAD_DIM / 8][4], mrow[2], lrow[2], corr[2];
        reset_rows(o, mrow, lrow);
        float sc[WKT / 8][4];
        unsigned pa[WKT / 16][4];
        // Both groups multiply every tile, masked (skipping the diagonal's last tile in the first group cost more
        // registers and time than it saved: 388 against 451 TFLOP/s at 8192 rows). A tile: wait for its stage, then
        // its scores (the first alone; ptxas serialises every wgmma when one loop body does both), then the softmax
        // and its probabilities.
        if (it.count > 0)
        {
            const unsigned stage = n0 % WS_STAGES;
            mbar_wait(&full[stage], (n0 / WS_STAGES) & 1);
            fence_proxy_async(); // the copies (generic proxy) before the tensor cores' reads (async proxy)
            wgmma_fence();
            issue_scores(sc, qAddress, shared_address(smem + stage * 2 * WTILE));
            wgmma_commit();
            wgmma_wait_all();
            pin_registers(sc);
            ws_softmax(sc, mrow, lrow, corr, list, it.lastRow, it.tBegin, row0, m, g, t);
            pack_tile(pa, sc);
        }
        for (int i = 1; i < it.count; i++)
        {
            // The previous tile's P·V is issued with this tile's scores, as a pipeline stage of its own: ptxas then
            // lets the scores be read while it runs.
            const unsigned n = n0 + i, stage = n % WS_STAGES, previous = (n - 1) % WS_STAGES;
            mbar_wait(&full[stage], (n / WS_STAGES) & 1);
            fence_proxy_async();
            pin_registers(pa);
            pin_registers(o);
            wgmma_fence();
            issue_scores(sc, qAddress, shared_address(smem + stage * 2 * WTILE));
            wgmma_commit();
            wgmma_fence();
            issue_pv(o, pa, shared_address(smem + previous * 2 * WTILE + WTILE));
            wgmma_commit();
            wgmma_wait_one(); // the scores are in; P·V may still run
            pin_registers(sc);
            ws_softmax(sc, mrow, lrow, corr, list, it.lastRow, it.tBegin + i, row0, m, g, t);
            wgmma_wait_all(); // the previous P·V: o and pa are free, and its stage goes back to the producer
            pin_registers(o);
            pin_registers(pa);
            mbar_arrive(&empty[previous]);
            rescale_rows(o, corr);
            pack_tile(pa, sc);
        }
        if (it.count > 0)
        {
            const unsigned last = (n0 + it.count - 1) % WS_STAGES;
            pin_registers(pa);
            pin_registers(o);
            wgmma_fence();
            issue_pv(o, pa, shared_address(smem + last * 2 * WTILE + WTILE));
            wgmma_commit();
            wgmma_wait_all();
            pin_registers(o);
            mbar_arrive(&empty[last]);
        }
        if (TMA) mbar_arrive(&qempty[r & 1]); // every product that read this item's Q has finished
        store_rows(o, mrow, lrow, out, outb, part_o, part_ml, row0, m, heads, it.head, split, splits, m, g, t);
        n0 += it.count;
    }
}

extern "C" __global__ void __launch_bounds__(384, 1) attention_wgmma_ws(
    const float* __restrict__ q, float* __restrict__ out, bf16_t* __restrict__ outb, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, KvList list, QueryRope rope)
{
    attention_ws_body<false>(q, out, outb, part_o, part_ml, m, heads, kvheads, scale_log2, splits, list, rope, nullptr, nullptr);
}

// The same with the K/V tiles copied by TMA (at most WS_TMA_SEGMENTS segments, their maps in `maps`), any number of blocks
// up to one per item. tickets: an int per key split, zero before the first launch (each launch leaves them zero).
extern "C" __global__ void __launch_bounds__(384, 1) attention_wgmma_ws_tma(
    const float* __restrict__ q, float* __restrict__ out, bf16_t* __restrict__ outb, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, KvList list, QueryRope rope, const __grid_constant__ KvMaps maps, int* tickets)
{
    attention_ws_body<true>(q, out, outb, part_o, part_ml, m, heads, kvheads, scale_log2, splits, list, rope, &maps, tickets);
}

// 128 keys per step (FA3's tile for a causal prefill at head dimension 128): the scores of a step are one m64n128
// product per 16 dims, and the softmax's reductions, the output's rescale and the barrier waits come once per 128 keys
// instead of per 64. Its 64 score registers, the 32 of the probabilities and the 64 of the output need more than the
// 168 a thread of a 384-thread block gets: the producer warpgroup gives registers back (setmaxnreg) and the consumers
// take them. That works only when ptxas sees each role's code as taken by whole warpgroups, hence the warp index read
// from lane 0 (see attention_ws_body); a version branching on threadIdx.x was capped at 168 and serialised.
// K and V have rings of their own, two stages each: a step's K stage goes back as soon as its scores are in, its V stage
// when its P·V is, one step later; the producer copies K one step ahead of V. The stage layout is the 64-key kernel's
// with panels of 128 keys (the step's second tile at +8 KB in each); the shared memory is the same size. TMA only, and
// a block may take several items as attention_wgmma_ws_tma's do.
#ifndef WS128_PRODUCER_REGS
#define WS128_PRODUCER_REGS 40
#endif
#ifndef WS128_CONSUMER_REGS
#define WS128_CONSUMER_REGS 232
#endif
#define WS128_KEYS (2 * WKT)
#define WS128_STAGE (WS128_KEYS * HEAD_DIM) // bf16 elements of a K (or V) stage

// Ping-pong (FA3): the two consumer warpgroups take turns to issue their products, so one's softmax runs while the
// other's products keep the tensor cores busy. Named barriers 3 and 4: group g waits on 3 + g, then passes the turn.
// H100 kernel check, persistent, q rotated as it loads, 32 heads: 0.120 → 0.112 ms at 2048 rows, 0.312 → 0.297 at
// 4096, 1.064 → 1.029 at 8192 (WS128_PINGPONG=0 builds the kernel without it, for such comparisons).
#ifndef WS128_PINGPONG
#define WS128_PINGPONG 1
#endif
__device__ __forceinline__ void turn_wait(int group) { asm volatile("bar.sync %0, 256;\n" ::"r"(3 + group) : "memory"); }
__device__ __forceinline__ void turn_pass(int group) { asm volatile("bar.arrive %0, 256;\n" ::"r"(4 - group) : "memory"); }

// The segments and segment-local tiles of step i's two 64-key tiles; a second tile past the item's last is
// 1 << 20, which the copy engine reads as zeros and the mask hides.
__device__ __forceinline__ void ws128_tiles(const KvList& list, const WsItem& it, int i, int& s0, int& tile0, int& s1, int& tile1)
{
    s0 = 0;
    tile0 = 1 << 20;
    locate_tile(list, it.lastRow, it.tBegin + 2 * i, s0, tile0);
    s1 = s0;
    tile1 = 1 << 20;
    if (2 * i + 1 < it.count) locate_tile(list, it.lastRow, it.tBegin + 2 * i + 1, s1, tile1);
}

// Copies step i's keys (or values: maps) into the stage at dst, completing on bar.
__device__ __forceinline__ void ws128_copy(unsigned dst, const TmaMap* maps, const KvList& list, const WsItem& it, int i, int kvh, u64* bar)
{
    int s0, tile0, s1, tile1;
    ws128_tiles(list, it, i, s0, tile0, s1, tile1);
    mbar_expect_bytes(bar, WS128_STAGE * 2);
#pragma unroll
    for (int p = 0; p < HEAD_DIM / 64; p++)
    {
        tma_load_3d(dst + p * WS128_KEYS * 128, &maps[s0], p * 64, kvh, tile0 * WKT, bar);
        tma_load_3d(dst + p * WS128_KEYS * 128 + WKT * 128, &maps[s1], p * 64, kvh, tile1 * WKT, bar);
    }
}

// The masked online softmax of step i's scores.
__device__ __forceinline__ void ws128_softmax(float (&sc)[WS128_KEYS / 8][4], float (&mrow)[2], float (&lrow)[2], float (&corr)[2],
    const KvList& list, const WsItem& it, int i, int row0, int m, int g, int t)
{
    int s0, tile0, s1, tile1;
    ws128_tiles(list, it, i, s0, tile0, s1, tile1);
    mask_tile(sc, list.seg[s0], row0, m, tile0 * WKT, g, t, 0);
    mask_tile(sc, list.seg[s1], row0, m, tile1 * WKT, g, t, WKT / 8);
    softmax_scores<WS128_KEYS, true>(sc, mrow, lrow, corr);
}

extern "C" __global__ void __launch_bounds__(384, 1) attention_wgmma_ws128(
    const float* __restrict__ q, float* __restrict__ out, bf16_t* __restrict__ outb, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, KvList list, QueryRope rope, const __grid_constant__ KvMaps maps, int* tickets)
{
    // [K stage 0, 1][V stage 0, 1], two Q buffers of 128 rows, then the K, V, Q and item barriers and the item slots.
    extern __shared__ uint4 wgmma_smem[];
    bf16_t* smem = (bf16_t*)((char*)wgmma_smem + ((1024u - (shared_address(wgmma_smem) & 1023u)) & 1023u));
    bf16_t* sqs = smem + 4 * WS128_STAGE;
    u64* kfull = (u64*)(sqs + 2 * 128 * HEAD_DIM);
    u64* kempty = kfull + 2;
    u64* vfull = kempty + 2;
    u64* vempty = vfull + 2;
    u64* qfull = vempty + 2;
    u64* qempty = qfull + 2;
    u64* ifull = qempty + 2;
    u64* iempty = ifull + 2;
    int* slots = (int*)(iempty + 2);
    const unsigned kBase = shared_address(smem), vBase = kBase + 2 * WS128_STAGE * 2;

    const int items = heads * ((m + 127) / 128), split = blockIdx.z;
    if (threadIdx.x == 0)
    {
        for (int b = 0; b < 2; b++)
        {
            mbar_init(&kfull[b], 1);
            mbar_init(&kempty[b], 256);
            mbar_init(&vfull[b], 1);
            mbar_init(&vempty[b], 256);
        }
        init_item_barriers(qfull, qempty, ifull, iempty);
    }
    __syncthreads();

    const int warpIndex = __shfl_sync(0xffffffffu, threadIdx.x >> 5, 0);
    if (warpIndex < 4)
    {
        asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(WS128_PRODUCER_REGS));
        if (warpIndex > 0)
        {
            ws_write_queries(sqs, qfull, qempty, ifull, iempty, slots, q, m, heads, scale_log2, rope, tickets + split, items);
            return;
        }
        if (threadIdx.x != 0) return;
        // Step n of the block (counted across its items) goes to stage n & 1 of each ring; K(n + 1) is copied before V(n).
        unsigned n = 0;
        for (int r = 0;; r++)
        {
            const int b = ws_producer_item(r, ifull, iempty, slots);
            if (b < 0) return;
            const WsItem it = ws_item(list, b, m, heads, split, splits);
            const int kvh = it.head / (heads / kvheads), steps = (it.count + 1) / 2;
            for (int i = 0; i <= steps; i++)
            {
                if (i < steps)
                {
                    const unsigned k = n + i;
                    if (k >= 2) mbar_wait(&kempty[k & 1], ((k >> 1) - 1) & 1);
                    ws128_copy(kBase + (k & 1) * WS128_STAGE * 2, maps.k, list, it, i, kvh, &kfull[k & 1]);
                }
                if (i > 0)
                {
                    const unsigned v = n + i - 1;
                    if (v >= 2) mbar_wait(&vempty[v & 1], ((v >> 1) - 1) & 1);
                    ws128_copy(vBase + (v & 1) * WS128_STAGE * 2, maps.v, list, it, i - 1, kvh, &vfull[v & 1]);
                }
            }
            n += steps;
        }
    }

    asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(WS128_CONSUMER_REGS));
    const int tid = threadIdx.x - 128;
    const int warp = warpIndex - 4, lane = tid & 31, g = lane >> 2, t = lane & 3;
    const int group = warp >> 2;
#if WS128_PINGPONG
    if (group == 1) turn_pass(1); // the first turn is group 0's
#endif
    unsigned n0 = 0; // steps of the block's rings consumed before this item
    for (int r = 0;; r++)
    {
        const int b = ws_consumer_item(r, qfull, slots);
        if (b < 0) break;
        const WsItem it = ws_item(list, b, m, heads, split, splits);
        const int steps = (it.count + 1) / 2;
        const int row0 = it.row0 + group * 64 + (warp & 3) * 16;
        const unsigned qAddress = ws_item_queries(sqs, r, it, q, m, heads, scale_log2, rope, group, tid);

        float o[HEAD_DIM / 8][4], mrow[2], lrow[2], corr[2];
        reset_rows(o, mrow, lrow);
        float sc[WS128_KEYS / 8][4];
        unsigned pa[WS128_KEYS / 16][4];
        if (steps > 0)
        {
            const unsigned stage = n0 & 1;
            mbar_wait(&kfull[stage], (n0 >> 1) & 1);
            wgmma_fence();
            issue_scores(sc, qAddress, kBase + stage * WS128_STAGE * 2);
            wgmma_commit();
            wgmma_wait_all();
            pin_registers(sc);
            mbar_arrive(&kempty[stage]);
            ws128_softmax(sc, mrow, lrow, corr, list, it, 0, row0, m, g, t);
            pack_tile(pa, sc);
        }
        for (int i = 1; i < steps; i++)
        {
            // Step i's scores are issued with step i - 1's P·V, and its softmax runs while that product does.
            const unsigned n = n0 + i, stage = n & 1, previous = (n - 1) & 1;
            mbar_wait(&kfull[stage], (n >> 1) & 1);
            mbar_wait(&vfull[previous], ((n - 1) >> 1) & 1);
            pin_registers(pa);
            pin_registers(o);
#if WS128_PINGPONG
            turn_wait(group);
#endif
            wgmma_fence();
            issue_scores(sc, qAddress, kBase + stage * WS128_STAGE * 2);
            wgmma_commit();
            wgmma_fence();
            issue_pv(o, pa, vBase + previous * WS128_STAGE * 2);
            wgmma_commit();
#if WS128_PINGPONG
            turn_pass(group);
#endif
            wgmma_wait_one(); // the scores are in; P·V may still run
            pin_registers(sc);
            mbar_arrive(&kempty[stage]);
            ws128_softmax(sc, mrow, lrow, corr, list, it, i, row0, m, g, t);
            wgmma_wait_all();
            pin_registers(o);
            pin_registers(pa);
            mbar_arrive(&vempty[previous]);
            rescale_rows(o, corr);
            pack_tile(pa, sc);
        }
        if (steps > 0)
        {
            const unsigned n = n0 + steps - 1, last = n & 1;
            mbar_wait(&vfull[last], (n >> 1) & 1);
            pin_registers(pa);
            pin_registers(o);
            wgmma_fence();
            issue_pv(o, pa, vBase + last * WS128_STAGE * 2);
            wgmma_commit();
            wgmma_wait_all();
            pin_registers(o);
            mbar_arrive(&vempty[last]);
        }
        mbar_arrive(&qempty[r & 1]); // every product that read this item's Q has finished
        store_rows(o, mrow, lrow, out, outb, part_o, part_ml, row0, m, heads, it.head, split, splits, m, g, t);
        n0 += steps;
    }
}

// Several row groups of one short query in one launch: rows that see different parts of the context (the
// engine's arguments see the modules only below their own positions) are planned as separate attention
// calls, and one launch each left the GPU mostly idle (each a ~40 µs chain of key tiles over 4096 module
// keys, H100). Group i's rows are rows [firstRow[i], +rows[i]) of q and out, contiguous with the next
// group's; blocks [firstBlock[i], firstBlock[i+1]) are its 64-row blocks; the split partials of all
// groups sit in one array of totalRows rows per split, so one attention_combine merges them.
struct KvGroups
{
    KvList list[MAX_ROW_GROUPS];
    int firstRow[MAX_ROW_GROUPS];
    int rows[MAX_ROW_GROUPS];
    int firstBlock[MAX_ROW_GROUPS + 1];
    int count;
    int totalRows;
};

extern "C" __global__ void __launch_bounds__(128, 3) attention_wgmma_groups(
    const float* __restrict__ q, float* __restrict__ out, bf16_t* __restrict__ outb, float* __restrict__ part_o, float* __restrict__ part_ml,
    int heads, int kvheads, float scale_log2, int splits, KvGroups groups, QueryRope rope)
{
    int g = 0;
    while (g + 1 < groups.count && (int)blockIdx.x >= groups.firstBlock[g + 1]) g++;
    const int blocks = groups.firstBlock[g + 1] - groups.firstBlock[g];
    const i64 rowOffset = (i64)groups.firstRow[g] * heads;
    attention_wgmma_body<1>(q + rowOffset * HEAD_DIM, out ? out + rowOffset * HEAD_DIM : out, outb ? outb + rowOffset * HEAD_DIM : outb,
        part_o ? part_o + rowOffset * HEAD_DIM : part_o, part_ml ? part_ml + rowOffset * 2 : part_ml,
        groups.rows[g], heads, kvheads, scale_log2, splits, groups.list[g], blockIdx.y, blocks - 1 - ((int)blockIdx.x - groups.firstBlock[g]), groups.totalRows,
        rope, groups.firstRow[g]);
}

// The same row groups when together they fit one block (64 rows; 128 in the wide kernel below): one block per
// head (and key split) reads each K/V tile once for all of them, each row masked to the keys its group sees. In
// a block per group, every group re-read the module keys it shares with the others: the engine's benchmark
// request (arguments in the first and last of four modules, then the suffix) streamed about twice the K/V of one
// pass. list: what the last row sees.
extern "C" __global__ void __launch_bounds__(128, 3) attention_wgmma_rows(
    const float* __restrict__ q, float* __restrict__ out, bf16_t* __restrict__ outb, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, KvList list, RowLimits limits, QueryRope rope)
{
    attention_wgmma_body<1>(q, out, outb, part_o, part_ml, m, heads, kvheads, scale_log2, splits, list, blockIdx.y, 0, m, rope, 0, &limits);
}

// The same for 65 to 128 rows (a longer suffix): two warpgroups share each K/V tile; a warpgroup skips a tile
// none of its rows sees.
extern "C" __global__ void __launch_bounds__(256, 2) attention_wgmma_rows_wide(
    const float* __restrict__ q, float* __restrict__ out, bf16_t* __restrict__ outb, float* __restrict__ part_o, float* __restrict__ part_ml,
    int m, int heads, int kvheads, float scale_log2, int splits, KvList list, RowLimits limits, QueryRope rope)
{
    attention_wgmma_body<2>(q, out, outb, part_o, part_ml, m, heads, kvheads, scale_log2, splits, list, blockIdx.y, 0, m, rope, 0, &limits);
}

#endif
