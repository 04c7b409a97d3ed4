// The residual add fused with the RMSNorm that follows it (x += r; y = rmsnorm(x) · w, also as bf16
// for the next GEMM): one pass over the row instead of two kernels, and one launch fewer per
// half-layer, which matters most for short cached suffixes where each launch moves little data.
// Compiled as its own unit so that an error here only disables the fusion.

// One block per row; width a multiple of 4 (float4 accesses). r may be null (plain RMSNorm).
// In place (y == x) is fine: each thread reads back only the elements it wrote itself.
extern "C" __global__ void add_rmsnorm4(float* x, const float* __restrict__ r, float* y, const float* __restrict__ w,
                                        int width, float eps, bf16_t* __restrict__ yb)
{
    int quads = width >> 2;
    float4* xr = reinterpret_cast<float4*>(x + (i64)blockIdx.x * width);
    const float4* rr = r ? reinterpret_cast<const float4*>(r + (i64)blockIdx.x * width) : 0;
    float4* yr = reinterpret_cast<float4*>(y + (i64)blockIdx.x * width);
    const float4* wr = reinterpret_cast<const float4*>(w);
    float ss = 0.0f;
    for (int j = threadIdx.x; j < quads; j += blockDim.x)
    {
        float4 v = xr[j];
        if (rr)
        {
            float4 a = rr[j];
            v.x += a.x; v.y += a.y; v.z += a.z; v.w += a.w;
            xr[j] = v;
        }
        ss += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
    }
    ss = block_sum(ss);
    float scale = rsqrtf(ss / (float)width + eps);
    for (int j = threadIdx.x; j < quads; j += blockDim.x)
    {
        float4 v = xr[j], g = wr[j];
        v.x *= scale * g.x; v.y *= scale * g.y; v.z *= scale * g.z; v.w *= scale * g.w;
        yr[j] = v;
        if (yb)
        {
            uint2 packed;
            packed.x = pack_bf16x2(v.x, v.y);
            packed.y = pack_bf16x2(v.z, v.w);
            reinterpret_cast<uint2*>(yb + (i64)blockIdx.x * width)[j] = packed;
        }
    }
}
