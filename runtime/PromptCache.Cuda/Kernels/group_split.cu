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
// split_columns followed by silu_mul, in one pass and one launch.
extern "C" __global__ void silu_mul_concat(const float* __restrict__ y, int f, i64 n,
                                           float* __restrict__ gate, float* __restrict__ up, bf16_t* __restrict__ gb)
{
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
    {
        i64 row = i / f;
        i64 c = i - row * f;
        const float* yr = y + row * 2 * f;
        float g = yr[c];
        float u = yr[f + c];
        float r = g / (1.0f + __expf(-g)) * u;
        gate[i] = r;
        up[i] = u;
        if (gb) gb[i] = f32_to_bf16(r);
    }
}
