// After one GEMM over concatenated weights [W0; W1; W2] (q/k/v, gate/up: matrices that share their
// input), y[m × total] holds each token's outputs of all members side by side. These kernels hand
// each member its own [m × n_i] buffer, as if it had been computed by a GEMM of its own.
// Compiled as its own unit so that an error here only disables the fused group GEMM.

// One float4 per thread; every n_i is a multiple of 4 and every buffer 16-byte aligned (checked by
// the launcher). grid: (ceil(total / 4 / blockDim), m).
extern "C" __global__ void split_columns(const float* __restrict__ y, int total,
                                         float* __restrict__ out0, int n0,
                                         float* __restrict__ out1, int n1,
                                         float* __restrict__ out2, int n2)
{
    int row = blockIdx.y;
    int c = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
    if (c >= total) return;
    float4 v = *reinterpret_cast<const float4*>(y + (i64)row * total + c);
    float* out;
    int n;
    if (c < n0) { out = out0; n = n0; }
    else if (c < n0 + n1) { out = out1; n = n1; c -= n0; }
    else { out = out2; n = n2; c -= n0 + n1; }
    *reinterpret_cast<float4*>(out + (i64)row * n + c) = v;
}

// gate/up from one GEMM: y[m × 2f] holds each token's gate outputs then its up outputs. Writes
// gate = silu(g)·u (and its bf16 copy gb, when not null) and up = u: the same values as
// split_columns followed by silu_mul, in one pass and one launch. One float4 per thread, f a
// multiple of 4 and every buffer 16-byte aligned (checked by the launcher); no 64-bit division.
// grid: (ceil(f / 4 / blockDim), m).
extern "C" __global__ void silu_mul_concat(const float* __restrict__ y, int f,
                                           float* __restrict__ gate, float* __restrict__ up, bf16_t* __restrict__ gb)
{
    int row = blockIdx.y;
    int c = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
    if (c >= f) return;
    const float* yr = y + (i64)row * 2 * f;
    float4 g = *reinterpret_cast<const float4*>(yr + c);
    float4 u = *reinterpret_cast<const float4*>(yr + f + c);
    float4 r;
    r.x = g.x / (1.0f + __expf(-g.x)) * u.x;
    r.y = g.y / (1.0f + __expf(-g.y)) * u.y;
    r.z = g.z / (1.0f + __expf(-g.z)) * u.z;
    r.w = g.w / (1.0f + __expf(-g.w)) * u.w;
    i64 at = (i64)row * f + c;
    *reinterpret_cast<float4*>(gate + at) = r;
    *reinterpret_cast<float4*>(up + at) = u;
    if (gb)
    {
        uint2 packed;
        packed.x = pack_bf16x2(r.x, r.y);
        packed.y = pack_bf16x2(r.z, r.w);
        *reinterpret_cast<uint2*>(gb + at) = packed;
    }
}
