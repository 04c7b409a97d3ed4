// Element-wise and row-wise kernels of the Llama forward pass. Activations are float32; weights
// and stored K/V are bf16. Grid-stride loops so any launch size covers any element count.

extern "C" __global__ void convert_f32_to_bf16(const float* __restrict__ x, bf16_t* __restrict__ y, i64 n)
{
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
        y[i] = f32_to_bf16(x[i]);
}

extern "C" __global__ void convert_f16_to_bf16(const unsigned short* __restrict__ x, bf16_t* __restrict__ y, i64 n)
{
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
        y[i] = f32_to_bf16(f16_to_f32(x[i]));
}

extern "C" __global__ void convert_bf16_to_f32(const bf16_t* __restrict__ x, float* __restrict__ y, i64 n)
{
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
        y[i] = bf16_to_f32(x[i]);
}

extern "C" __global__ void convert_bf16_to_f16(const bf16_t* __restrict__ x, unsigned short* __restrict__ y, i64 n)
{
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
        y[i] = f32_to_f16(bf16_to_f32(x[i]));
}

// GGUF Q8_0 rows (blocks of one f16 scale + 32 int8) to bf16. One thread per output value.
extern "C" __global__ void dequant_q8_0_to_bf16(const unsigned char* __restrict__ x, bf16_t* __restrict__ y, i64 rows, int cols)
{
    i64 n = rows * cols;
    int blocksPerRow = cols / 32;
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
    {
        i64 row = i / cols;
        int col = (int)(i - row * cols);
        const unsigned char* block = x + (row * blocksPerRow + col / 32) * 34;
        unsigned short scaleBits = (unsigned short)(block[0] | (block[1] << 8));
        signed char q = (signed char)block[2 + (col & 31)];
        y[i] = f32_to_bf16(f16_to_f32(scaleBits) * (float)q);
    }
}

// Deterministic pseudo-random bf16 in [-scale, scale): a hash of (seed, index), so weights can be
// made on the device without shipping them and are the same on every run.
extern "C" __global__ void fill_random_bf16(bf16_t* __restrict__ y, i64 n, u64 seed, float scale)
{
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
    {
        u64 z = seed + 0x9E3779B97F4A7C15ull * (u64)(i + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        float u = (float)(z >> 40) * (1.0f / 16777216.0f); // [0, 1)
        y[i] = f32_to_bf16((2.0f * u - 1.0f) * scale);
    }
}

// y[i, :] = table[ids[i], :] as float32. One block per token.
extern "C" __global__ void embed_bf16(const bf16_t* __restrict__ table, const int* __restrict__ ids, float* __restrict__ y, int d)
{
    const bf16_t* row = table + (i64)ids[blockIdx.x] * d;
    float* out = y + (i64)blockIdx.x * d;
    for (int j = threadIdx.x; j < d; j += blockDim.x) out[j] = bf16_to_f32(row[j]);
}

// RMSNorm of one row per block: y = x / sqrt(mean(x²) + eps) · w. In place is fine (each thread
// reads its own elements before writing them). When yb is not null the row is also written as
// bf16 there: the next GEMM's input, saving it a conversion pass; y null: only there.
extern "C" __global__ void rmsnorm(const float* __restrict__ x, float* y, const float* __restrict__ w, int width, float eps, bf16_t* __restrict__ yb)
{
    pdl_launch_dependents(); // a skinny GEMM after it may start copying weights (common.cuh)
    pdl_wait();              // and this one may have started as a dependent of the GEMM before it
    const float* in = x + (i64)blockIdx.x * width;
    float* out = y + (i64)blockIdx.x * width;
    bf16_t* outb = yb ? yb + (i64)blockIdx.x * width : 0;
    float ss = 0.0f;
    for (int j = threadIdx.x; j < width; j += blockDim.x) { float v = in[j]; ss += v * v; }
    ss = block_sum(ss);
    float scale = rsqrtf(ss / (float)width + eps);
    for (int j = threadIdx.x; j < width; j += blockDim.x)
    {
        float r = in[j] * scale * w[j];
        if (y) out[j] = r;
        if (outb) outb[j] = f32_to_bf16(r);
    }
}

// RMSNorm of many short rows (Qwen3's per-head q/k norm): one warp per row.
extern "C" __global__ void rmsnorm_warp(const float* __restrict__ x, float* y, const float* __restrict__ w, int rows, int width, float eps, bf16_t* __restrict__ yb)
{
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    int lane = threadIdx.x & 31;
    if (row >= rows) return;
    const float* in = x + (i64)row * width;
    float* out = y + (i64)row * width;
    bf16_t* outb = yb ? yb + (i64)row * width : 0;
    float ss = 0.0f;
    for (int j = lane; j < width; j += 32) { float v = in[j]; ss += v * v; }
    ss = warp_sum(ss);
    float scale = rsqrtf(ss / (float)width + eps);
    for (int j = lane; j < width; j += 32)
    {
        float r = in[j] * scale * w[j];
        if (y) out[j] = r;
        if (outb) outb[j] = f32_to_bf16(r);
    }
}

// RoPE in place on x [tokens][heads][2·half], cos/sin [tokens][half]. Block (token, head).
// interleaved == 0: dimension i pairs with i + half (HF rotate_half); 1: 2i pairs with 2i+1 (GGUF).
extern "C" __global__ void rope(float* __restrict__ x, const float* __restrict__ cosT, const float* __restrict__ sinT, int heads, int half, int interleaved)
{
    int t = blockIdx.x, h = blockIdx.y;
    float* v = x + ((i64)t * heads + h) * 2 * half;
    const float* c = cosT + (i64)t * half;
    const float* s = sinT + (i64)t * half;
    for (int i = threadIdx.x; i < half; i += blockDim.x)
    {
        int ia = interleaved ? 2 * i : i;
        int ib = interleaved ? 2 * i + 1 : i + half;
        float a = v[ia], b = v[ib];
        v[ia] = rope_first(a, b, c[i], s[i]);
        v[ib] = rope_second(a, b, c[i], s[i]);
    }
}

// Whether every pointer allows 16-byte (float4) accesses and n is a multiple of 4: the element-wise
// kernels below then move four elements per access. One float per access left them at ~63 % of the H100's
// bandwidth (SiLU·mul of a 7B prefill: 8.6 ms of bytes took 13.6 ms). A bf16 buffer needs only 8 bytes.
__device__ __forceinline__ bool vector4(i64 n, u64 f32a, u64 f32b, u64 f32c, u64 bf16a, u64 bf16b)
{
    return (n & 3) == 0 && ((f32a | f32b | f32c) & 15) == 0 && ((bf16a | bf16b) & 7) == 0;
}


// Four floats as four bf16 (round to nearest even, as f32_to_bf16), in memory order.
__device__ __forceinline__ uint2 bf16x4(float4 v)
{
    uint2 p;
    p.x = pack_bf16x2(v.x, v.y);
    p.y = pack_bf16x2(v.z, v.w);
    return p;
}

// out = silu(gate) · up (out may be gate, or null); also as bf16 into gb when not null (the down
// projection's input).
extern "C" __global__ void silu_mul(const float* gate, const float* __restrict__ up, float* out, i64 n, bf16_t* __restrict__ gb)
{
    pdl_launch_dependents();
    pdl_wait();
    i64 first = blockIdx.x * (i64)blockDim.x + threadIdx.x, step = (i64)gridDim.x * blockDim.x;
    if (vector4(n, (u64)gate, (u64)up, (u64)out, (u64)gb, 0))
    {
        for (i64 i = first; i < n / 4; i += step)
        {
            float4 g = ((const float4*)gate)[i], u = ((const float4*)up)[i];
            float4 r;
            r.x = silu_times(g.x, u.x); r.y = silu_times(g.y, u.y); r.z = silu_times(g.z, u.z); r.w = silu_times(g.w, u.w);
            if (out) ((float4*)out)[i] = r;
            if (gb) ((uint2*)gb)[i] = bf16x4(r);
        }
        return;
    }
    for (i64 i = first; i < n; i += step)
    {
        float r = silu_times(gate[i], up[i]);
        if (out) out[i] = r;
        if (gb) gb[i] = f32_to_bf16(r);
    }
}

// x += y
extern "C" __global__ void add_inplace(float* __restrict__ x, const float* __restrict__ y, i64 n)
{
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
        x[i] += y[i];
}

// x[r, :] += b for every row r
extern "C" __global__ void add_bias(float* __restrict__ x, const float* __restrict__ b, int width, i64 n)
{
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
        x[i] += b[i % width];
}

// K and V rows (float32) into bf16 segment storage; kdst/vdst already point at the first new token.
extern "C" __global__ void store_kv_bf16(const float* __restrict__ k, const float* __restrict__ v, bf16_t* __restrict__ kdst, bf16_t* __restrict__ vdst, i64 n)
{
    i64 first = blockIdx.x * (i64)blockDim.x + threadIdx.x, step = (i64)gridDim.x * blockDim.x;
    if (vector4(n, (u64)k, (u64)v, 0, (u64)kdst, (u64)vdst))
    {
        for (i64 i = first; i < n / 4; i += step)
        {
            float4 a = ((const float4*)k)[i], b = ((const float4*)v)[i];
            ((uint2*)kdst)[i] = bf16x4(a);
            ((uint2*)vdst)[i] = bf16x4(b);
        }
        return;
    }
    for (i64 i = first; i < n; i += step)
    {
        kdst[i] = f32_to_bf16(k[i]);
        vdst[i] = f32_to_bf16(v[i]);
    }
}

// Index of the largest logit of each row (first one on ties, like torch.argmax). One block per row.
extern "C" __global__ void argmax_rows(const float* __restrict__ logits, int vocab, int* __restrict__ out)
{
    const float* row = logits + (i64)blockIdx.x * vocab;
    float best = NEG_INF;
    int index = 0x7fffffff;
    for (int j = threadIdx.x; j < vocab; j += blockDim.x)
    {
        float v = row[j];
        if (v > best || (v == best && j < index)) { best = v; index = j; }
    }
    __shared__ float sv[1024];
    __shared__ int si[1024];
    sv[threadIdx.x] = best;
    si[threadIdx.x] = index;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1)
    {
        if (threadIdx.x < stride)
        {
            float o = sv[threadIdx.x + stride];
            int oi = si[threadIdx.x + stride];
            if (o > sv[threadIdx.x] || (o == sv[threadIdx.x] && oi < si[threadIdx.x])) { sv[threadIdx.x] = o; si[threadIdx.x] = oi; }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = si[0];
}
