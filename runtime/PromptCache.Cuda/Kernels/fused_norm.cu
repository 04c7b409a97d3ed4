// The residual add fused with the RMSNorm that follows it (x += r; y = rmsnorm(x) · w, also as bf16
// for the next GEMM): one pass over the row instead of two kernels, and one launch fewer per
// half-layer, which matters most for short cached suffixes where each launch moves little data.
// Compiled as its own unit so that an error here only disables the fusion.

// One block per row; width a multiple of 4 (float4 accesses). r may be null (plain RMSNorm); y may be
// null when only the GEMM reads the result (then only yb is written).
// In place (y == x) is fine: each thread reads back only the elements it wrote itself.
extern "C" __global__ void add_rmsnorm4(float* x, const float* __restrict__ r, float* y, const float* __restrict__ w,
                                        int width, float eps, bf16_t* __restrict__ yb)
{
    pdl_launch_dependents(); // a skinny GEMM after it may start copying weights (common.cuh)
    pdl_wait();              // and this one may have started as a dependent of the GEMM before it
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
        if (y) yr[j] = v;
        if (yb)
        {
            uint2 packed;
            packed.x = pack_bf16x2(v.x, v.y);
            packed.y = pack_bf16x2(v.z, v.w);
            reinterpret_cast<uint2*>(yb + (i64)blockIdx.x * width)[j] = packed;
        }
    }
}

// RoPE in place on x [tokens][heads][2·half], cos/sin [tokens][half]: one block per token covering
// all its heads (the older kernel ran a 64-thread block per token and head), two values per thread
// and access. interleaved == 0: dimension i pairs with i + half (half even); 1: 2i with 2i+1.
extern "C" __global__ void rope_rows(float* __restrict__ x, const float* __restrict__ cosT, const float* __restrict__ sinT,
                                     int heads, int half, int interleaved)
{
    int t = blockIdx.x;
    float* row = x + (i64)t * heads * 2 * half;
    const float* c = cosT + (i64)t * half;
    const float* s = sinT + (i64)t * half;
    if (!interleaved)
    {
        int hp = half >> 1;
        for (int p = threadIdx.x; p < heads * hp; p += blockDim.x)
        {
            int h = p / hp, i = (p - h * hp) * 2;
            float* v = row + h * 2 * half;
            float2 a = *reinterpret_cast<float2*>(v + i);
            float2 b = *reinterpret_cast<float2*>(v + i + half);
            float2 cc = *reinterpret_cast<const float2*>(c + i);
            float2 ss = *reinterpret_cast<const float2*>(s + i);
            float2 ra = {rope_first(a.x, b.x, cc.x, ss.x), rope_first(a.y, b.y, cc.y, ss.y)};
            float2 rb = {rope_second(a.x, b.x, cc.x, ss.x), rope_second(a.y, b.y, cc.y, ss.y)};
            *reinterpret_cast<float2*>(v + i) = ra;
            *reinterpret_cast<float2*>(v + i + half) = rb;
        }
    }
    else
    {
        for (int p = threadIdx.x; p < heads * half; p += blockDim.x)
        {
            int h = p / half, i = p - h * half;
            float2* v = reinterpret_cast<float2*>(row + h * 2 * half) + i;
            float2 a = *v;
            float cc = c[i], ss = s[i];
            float2 r = {rope_first(a.x, a.y, cc, ss), rope_second(a.x, a.y, cc, ss)};
            *v = r;
        }
    }
}

// RoPE on K fused with the K/V store: k [tokens][heads][2·half] and v [tokens][heads·2·half] (f32; v may be null)
// go into bf16 segment storage (kdst, vdst at the first new token), K rotated on the way. k itself is left as it was:
// the backend applies the rotation to it later only if something reads it (DeferredRopes). One pass instead of
// RoPE's read and write of k and the store's read of it: 8 of K's 14 bytes per value at a prefill (7B at 8192
// tokens, ~270 MB a layer). gridDim.y blocks per token, each a strided share of its values: a cached call's few dozen
// tokens, or a decode step's one, in one block each left most of the GPU idle for a chain of dependent loads (ncu, H100:
// 6.5 µs a launch at 48 tokens of the 7B shape). The rotation is rope_rows', so the stored bits are the same.
// Needs: half even unless interleaved, heads·2·half a multiple of 4, k/v 16-byte and kdst/vdst 8-byte aligned rows.
extern "C" __global__ void rope_store_kv(const float* __restrict__ k, const float* __restrict__ v, bf16_t* __restrict__ kdst,
                                         bf16_t* __restrict__ vdst, const float* __restrict__ cosT, const float* __restrict__ sinT,
                                         int heads, int half, int interleaved)
{
    pdl_launch_dependents(); // launched as a dependent of the q/k/v GEMM (common.cuh)
    pdl_wait();
    const int t = blockIdx.x, width = heads * 2 * half;
    const int first = blockIdx.y * blockDim.x + threadIdx.x, stride = gridDim.y * blockDim.x;
    const float* kr = k + (i64)t * width;
    bf16_t* kd = kdst + (i64)t * width;
    const float* c = cosT + (i64)t * half;
    const float* s = sinT + (i64)t * half;
    if (!interleaved)
    {
        int hp = half >> 1;
        for (int p = first; p < heads * hp; p += stride)
        {
            int h = p / hp, i = (p - h * hp) * 2, at = h * 2 * half + i;
            float2 a = *reinterpret_cast<const float2*>(kr + at);
            float2 b = *reinterpret_cast<const float2*>(kr + at + half);
            float2 cc = *reinterpret_cast<const float2*>(c + i);
            float2 ss = *reinterpret_cast<const float2*>(s + i);
            *reinterpret_cast<unsigned*>(kd + at) = pack_bf16x2(rope_first(a.x, b.x, cc.x, ss.x), rope_first(a.y, b.y, cc.y, ss.y));
            *reinterpret_cast<unsigned*>(kd + at + half) = pack_bf16x2(rope_second(a.x, b.x, cc.x, ss.x), rope_second(a.y, b.y, cc.y, ss.y));
        }
    }
    else
    {
        for (int p = first; p < heads * half; p += stride)
        {
            int h = p / half, i = p - h * half, at = h * 2 * half + 2 * i;
            float2 a = *reinterpret_cast<const float2*>(kr + at);
            *reinterpret_cast<unsigned*>(kd + at) = pack_bf16x2(rope_first(a.x, a.y, c[i], s[i]), rope_second(a.x, a.y, c[i], s[i]));
        }
    }
    if (!v) return; // V went straight into the segment (the value projection wrote it there)
    const float4* vr = reinterpret_cast<const float4*>(v + (i64)t * width);
    uint2* vd = reinterpret_cast<uint2*>(vdst + (i64)t * width);
    for (int j = first; j < width / 4; j += stride)
    {
        float4 x = vr[j];
        uint2 packed;
        packed.x = pack_bf16x2(x.x, x.y);
        packed.y = pack_bf16x2(x.z, x.w);
        vd[j] = packed;
    }
}
