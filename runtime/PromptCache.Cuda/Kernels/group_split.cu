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
// gate = silu(g)·u (unless gate is null) and its bf16 copy gb (when not null), and up = u: the same values as
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
    if (gate) *reinterpret_cast<float4*>(gate + at) = r;
    *reinterpret_cast<float4*>(up + at) = u;
    if (gb)
    {
        uint2 packed;
        packed.x = pack_bf16x2(r.x, r.y);
        packed.y = pack_bf16x2(r.z, r.w);
        *reinterpret_cast<uint2*>(gb + at) = packed;
    }
}

// Prefill SwiGLU from bf16 GEMM outputs (CudaBackendOptions.Bf16SwiGlu): g[n] and u[n] bf16 (the gate
// and up GEMMs wrote them in bf16, half the bytes of f32) into gate = silu(g)·u (f32; gate may be
// null) and its bf16 copy gb. Four elements per thread; n a multiple of 4 and every buffer 8-byte aligned (checked by
// the launcher). grid-stride.
extern "C" __global__ void silu_mul_bf16(const bf16_t* __restrict__ g, const bf16_t* __restrict__ u,
                                         float* __restrict__ gate, bf16_t* __restrict__ gb, i64 n)
{
    for (i64 i = ((i64)blockIdx.x * blockDim.x + threadIdx.x) * 4; i < n; i += (i64)gridDim.x * blockDim.x * 4)
    {
        uint2 gv = *reinterpret_cast<const uint2*>(g + i);
        uint2 uv = *reinterpret_cast<const uint2*>(u + i);
        float g0 = __uint_as_float(gv.x << 16), g1 = __uint_as_float(gv.x & 0xffff0000u);
        float g2 = __uint_as_float(gv.y << 16), g3 = __uint_as_float(gv.y & 0xffff0000u);
        float u0 = __uint_as_float(uv.x << 16), u1 = __uint_as_float(uv.x & 0xffff0000u);
        float u2 = __uint_as_float(uv.y << 16), u3 = __uint_as_float(uv.y & 0xffff0000u);
        float4 r;
        r.x = g0 / (1.0f + __expf(-g0)) * u0;
        r.y = g1 / (1.0f + __expf(-g1)) * u1;
        r.z = g2 / (1.0f + __expf(-g2)) * u2;
        r.w = g3 / (1.0f + __expf(-g3)) * u3;
        if (gate) *reinterpret_cast<float4*>(gate + i) = r;
        uint2 packed;
        packed.x = pack_bf16x2(r.x, r.y);
        packed.y = pack_bf16x2(r.z, r.w);
        *reinterpret_cast<uint2*>(gb + i) = packed;
    }
}
