// Kernel-level check and timing of the wgmma skinny GEMM (skinny_wgmma.cu) against cuBLAS, built with nvcc on the
// GPU machine from the same sources the backend compiles with NVRTC:
//
//   nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -DWGMMA_GEMM=1 -o /tmp/skinny_check \
//        benchmarks/Cuda/KernelCheck/skinny_check.cu -lcublas -lcuda && /tmp/skinny_check
//
// Check: y = x · Wᵀ in f32 against cublasGemmEx (bf16 in, f32 out). Both sum exact bf16 products in f32, in different
// orders (and here in partial sums added with atomics), so they differ by f32 rounding only: relL2 under 1e-5.
// Timing: per GEMM group (CUDA events, median of 20), then the GEMMs of a whole 32-layer model (each layer its own
// weights, so nothing stays in L2) in one CUDA graph: cuBLAS, the kernel, the kernel as dependent launches, and a
// plain read of the same bytes, in TB/s of weights read.
#include <cmath>
#include "../../../runtime/PromptCache.Cuda/Kernels/common.cuh"
#include "../../../runtime/PromptCache.Cuda/Kernels/skinny_wgmma.cu"
#include "check_util.h"

static int g_sms;
static cudaStream_t g_stream; // non-blocking: dependent launches need a stream of their own, not the legacy default one

static int tokens_tile(int m) { return m <= 8 ? 8 : m <= 16 ? 16 : m <= 32 ? 32 : m <= 48 ? 48 : 64; }

// The kernel for a token tile and its dynamic shared memory, from the kernel's own stage arithmetic (SkinnyWgmmaShape):
// the stages, 1 KB of alignment slack, two barriers per stage.
struct TileKernel
{
    void* function;
    int sharedBytes;
};

template <int NT>
static TileKernel tile_kernel(void (*function)(SkinnyWgmmaArgs, TmaMap, int, int))
{
    using S = SkinnyWgmmaShape<NT>;
    return {(void*)function, S::Stages * S::StageBytes + 1024 + 2 * S::Stages * 8};
}

static TileKernel kernel_for(int nt)
{
    switch (nt)
    {
        case 8: return tile_kernel<8>(skinny_wgmma_n8);
        case 16: return tile_kernel<16>(skinny_wgmma_n16);
        case 32: return tile_kernel<32>(skinny_wgmma_n32);
        case 48: return tile_kernel<48>(skinny_wgmma_n48);
        default: return tile_kernel<64>(skinny_wgmma_n64);
    }
}

static void launch(void* fn, dim3 grid, dim3 block, int smem, void** args, bool pdl, cudaStream_t stream)
{
    cudaLaunchConfig_t config = {};
    config.gridDim = grid;
    config.blockDim = block;
    config.dynamicSmemBytes = smem;
    config.stream = stream;
    cudaLaunchAttribute attribute[1];
    attribute[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attribute[0].val.programmaticStreamSerializationAllowed = 1;
    config.attrs = attribute;
    config.numAttrs = pdl ? 1 : 0;
    CHECK(cudaLaunchKernelExC(&config, fn, args));
}

// One group of up to three weight matrices sharing x (m × k): the kernel's arguments and its launches.
struct Group
{
    SkinnyWgmmaArgs args = {};
    TmaMap mx;
    int m, k, nt, units;
    const bf16_t* w[3];
    const bf16_t* x;

    Group(const bf16_t* x_, int m_, int k_, std::vector<std::pair<const bf16_t*, int>> members, std::vector<float*> outputs)
        : m(m_), k(k_), x(x_)
    {
        nt = tokens_tile(m);
        mx = make_map(x, m, k, nt);
        args.count = (int)members.size();
        args.tiles[0] = 0;
        for (int i = 0; i < args.count; i++)
        {
            w[i] = members[i].first;
            args.w[i] = make_map(members[i].first, members[i].second, k, 64);
            args.y[i] = outputs[i];
            args.rows[i] = members[i].second;
            args.tiles[i + 1] = args.tiles[i] + (members[i].second + 64 * SKW_SLABS - 1) / (64 * SKW_SLABS);
        }
        units = args.tiles[args.count] * ((k + 63) / 64);
    }

    void run(bool pdl, cudaStream_t stream = 0)
    {
        int mm = m, kk = k;
        void* za[] = {&args, &mm};
        launch((void*)skinny_wgmma_zero, dim3(std::min(g_sms, (m * args.rows[0] + 255) / 256 + 1)), dim3(256), 0, za, pdl, stream);
        void* ga[] = {&args, &mx, &mm, &kk};
        TileKernel kernel = kernel_for(nt);
        launch(kernel.function, dim3(std::min(g_sms, units)), dim3(256), kernel.sharedBytes, ga, pdl, stream);
    }
};

static void cublas_group(cublasHandle_t blas, const Group& g)
{
    float alpha = 1, beta = 0;
    for (int i = 0; i < g.args.count; i++)
        CHECK_BLAS(cublasGemmEx(blas, CUBLAS_OP_T, CUBLAS_OP_N, g.args.rows[i], g.m, g.k, &alpha, g.w[i], CUDA_R_16BF, g.k, g.x, CUDA_R_16BF, g.k,
            &beta, g.args.y[i], CUDA_R_32F, g.args.rows[i], CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

// Reads n 16-byte words and writes one word per block: the rate at which this many bytes can leave HBM.
__global__ void read_all(const uint4* __restrict__ p, long long n, unsigned* sink)
{
    unsigned acc = 0;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        uint4 v;
        asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0,%1,%2,%3}, [%4];" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p + i));
        acc ^= v.x ^ v.y ^ v.z ^ v.w;
    }
    if (acc == 0x12345678u) sink[blockIdx.x] = acc;
}

// One warp copying element by element (milliseconds for a 48 × 4096 input) that lets a dependent launch start at once.
__global__ void slow_copy(const bf16_t* from, bf16_t* to, long long n)
{
    pdl_launch_dependents();
    for (long long i = threadIdx.x; i < n; i += blockDim.x) to[i] = from[i];
}

// dependent: the kernel's input is written by slow_copy just before it, and the zeroing and the GEMM start as dependent
// launches while that copy runs; until it lands the input holds NaNs (0xffff), so a GEMM that read it early fails.
static bool check(cublasHandle_t blas, int m, std::vector<int> rows, int k, bool dependent = false)
{
    bf16_t* x = random_bf16((size_t)m * k, 1.0f, 7u + m);
    bf16_t* input = x;
    if (dependent)
    {
        CHECK(cudaMalloc(&input, (size_t)m * k * 2));
        CHECK(cudaMemset(input, 0xff, (size_t)m * k * 2));
    }
    std::vector<std::pair<const bf16_t*, int>> members;
    std::vector<float*> mine, ref;
    for (size_t i = 0; i < rows.size(); i++)
    {
        members.push_back({random_bf16((size_t)rows[i] * k, 1.0f / sqrtf((float)k), 11u + (unsigned)i + rows[i]), rows[i]});
        float *a, *b;
        CHECK(cudaMalloc(&a, (size_t)m * rows[i] * 4));
        CHECK(cudaMalloc(&b, (size_t)m * rows[i] * 4));
        CHECK(cudaMemset(a, 0x7f, (size_t)m * rows[i] * 4)); // garbage the kernel's zeroing must clear
        mine.push_back(a);
        ref.push_back(b);
    }
    Group g(input, m, k, members, mine);
    CHECK(cudaDeviceSynchronize()); // the memsets above ran on the legacy stream, which g_stream does not wait for
    if (dependent) slow_copy<<<1, 32, 0, g_stream>>>(x, input, (long long)m * k);
    g.run(dependent, g_stream);
    Group r(x, m, k, members, ref);
    cublas_group(blas, r);
    CHECK(cudaDeviceSynchronize());
    bool ok = true;
    for (size_t i = 0; i < rows.size(); i++)
    {
        std::vector<float> a((size_t)m * rows[i]), b(a.size());
        CHECK(cudaMemcpy(a.data(), mine[i], a.size() * 4, cudaMemcpyDeviceToHost));
        CHECK(cudaMemcpy(b.data(), ref[i], b.size() * 4, cudaMemcpyDeviceToHost));
        double num = 0, den = 0;
        for (size_t e = 0; e < a.size(); e++)
        {
            num += (a[e] - b[e]) * (double)(a[e] - b[e]);
            den += (double)b[e] * b[e];
        }
        double rel = sqrt(num / std::max(den, 1e-30));
        bool pass = rel < 1e-5;
        ok &= pass;
        printf("%s  m %2d (tile %2d) x member %zu of %5d rows x k %5d%s: relL2 %.2e\n", pass ? "PASS" : "FAIL", m, g.nt, i, rows[i], k,
            dependent ? ", dependent on the kernel writing x" : "", rel);
        CHECK(cudaFree(mine[i])); CHECK(cudaFree(ref[i])); CHECK(cudaFree((void*)members[i].first));
    }
    CHECK(cudaFree(x));
    if (dependent) CHECK(cudaFree(input));
    return ok;
}

// Median of 10 launches (after 3) of one CUDA graph of what body queues on stream.
template <typename F>
static double time_graph(cudaStream_t stream, F body)
{
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
    body();
    CHECK(cudaStreamEndCapture(stream, &graph));
    CHECK(cudaGraphInstantiate(&exec, graph, 0));
    cudaEvent_t a, b;
    CHECK(cudaEventCreate(&a));
    CHECK(cudaEventCreate(&b));
    std::vector<float> t(10);
    for (int i = 0; i < 3; i++) CHECK(cudaGraphLaunch(exec, stream));
    for (float& ti : t)
    {
        CHECK(cudaEventRecord(a, stream));
        CHECK(cudaGraphLaunch(exec, stream));
        CHECK(cudaEventRecord(b, stream));
        CHECK(cudaEventSynchronize(b));
        CHECK(cudaEventElapsedTime(&ti, a, b));
    }
    std::sort(t.begin(), t.end());
    CHECK(cudaEventDestroy(a));
    CHECK(cudaEventDestroy(b));
    CHECK(cudaGraphExecDestroy(exec));
    CHECK(cudaGraphDestroy(graph));
    return t[5];
}

// One layer's weights of a Llama shape, as the cached call's GEMM groups read them.
struct Layer
{
    std::vector<bf16_t*> w; // q k v o gate up down
};

int main()
{
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    g_sms = prop.multiProcessorCount;
    printf("%s, %d SMs\n", prop.name, g_sms);
    for (int nt : {8, 16, 32, 48, 64})
        CHECK(cudaFuncSetAttribute(kernel_for(nt).function, cudaFuncAttributeMaxDynamicSharedMemorySize, kernel_for(nt).sharedBytes));
    cublasHandle_t blas;
    CHECK_BLAS(cublasCreate(&blas));
    void* workspace; // cuBLAS may not allocate while a graph is captured
    CHECK(cudaMalloc(&workspace, 64 << 20));
    CHECK_BLAS(cublasSetWorkspace(blas, workspace, 64 << 20));
    CHECK(cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking));

    bool ok = true;
    // Rows that are not a multiple of 4 (1000 is; 998 and 66 are not) take the scalar atomics; k = 1000 and 520 end in a
    // partial 64-column step (read as zeros).
    ok &= check(blas, 1, {4096, 1024, 998}, 4096);
    ok &= check(blas, 5, {384}, 1000);
    ok &= check(blas, 12, {4096, 4096, 4096}, 4096);
    ok &= check(blas, 17, {4096}, 11008);
    ok &= check(blas, 48, {11008, 11008}, 4096);
    ok &= check(blas, 64, {200, 66, 64}, 520);
    ok &= check(blas, 40, {4096}, 4096);
    ok &= check(blas, 48, {4096, 1024, 1024}, 4096, true);
    ok &= check(blas, 1, {11008}, 4096, true);
    printf(ok ? "SKINNY CHECK: ALL PASS\n" : "SKINNY CHECK: FAILED\n");

    // Whole-model GEMMs: 32 layers of the 7B and 8B shapes, one graph per way, median of 10 graph launches.
    struct Shape { const char* name; int d, kv, ffn; };
    const Shape shapes[] = {{"7B", 4096, 4096, 11008}, {"8B", 4096, 1024, 14336}};
    cudaStream_t stream = g_stream;
    unsigned* sink;
    CHECK(cudaMalloc(&sink, 4096 * 4));
    for (const Shape& s : shapes)
    {
        const int L = 32;
        const int rows[7] = {s.d, s.kv, s.kv, s.d, s.ffn, s.ffn, s.d};
        const int cols[7] = {s.d, s.d, s.d, s.d, s.d, s.d, s.ffn};
        std::vector<Layer> layers(L);
        double bytes = 0;
        for (auto& l : layers)
            for (int i = 0; i < 7; i++)
            {
                bf16_t* p;
                CHECK(cudaMalloc(&p, (size_t)rows[i] * cols[i] * 2));
                CHECK(cudaMemset(p, 0, (size_t)rows[i] * cols[i] * 2));
                l.w.push_back(p);
                bytes += (double)rows[i] * cols[i] * 2;
            }
        bf16_t* x = random_bf16((size_t)64 * s.ffn, 1.0f, 3u);
        float* y[7];
        for (int i = 0; i < 7; i++) CHECK(cudaMalloc(&y[i], (size_t)64 * rows[i] * 4));
        for (int m : {1, 48})
        {
            std::vector<Group> groups;
            for (auto& l : layers)
            {
                groups.emplace_back(x, m, s.d, std::vector<std::pair<const bf16_t*, int>>{{l.w[0], rows[0]}, {l.w[1], rows[1]}, {l.w[2], rows[2]}}, std::vector<float*>{y[0], y[1], y[2]});
                groups.emplace_back(x, m, s.d, std::vector<std::pair<const bf16_t*, int>>{{l.w[3], rows[3]}}, std::vector<float*>{y[3]});
                groups.emplace_back(x, m, s.d, std::vector<std::pair<const bf16_t*, int>>{{l.w[4], rows[4]}, {l.w[5], rows[5]}}, std::vector<float*>{y[4], y[5]});
                groups.emplace_back(x, m, s.ffn, std::vector<std::pair<const bf16_t*, int>>{{l.w[6], rows[6]}}, std::vector<float*>{y[6]});
            }
            double tPlain = time_graph(stream, [&] { for (auto& g : groups) g.run(false, stream); });
            double tPdl = time_graph(stream, [&] { for (auto& g : groups) g.run(true, stream); });
            CHECK_BLAS(cublasSetStream(blas, stream));
            double tBlas = time_graph(stream, [&] { for (auto& g : groups) cublas_group(blas, g); });
            printf("%s m %2d: %d-layer GEMMs %.3f ms (%.2f TB/s), as dependent launches %.3f ms (%.2f TB/s), cublasGemmEx %.3f ms (%.2f TB/s)\n",
                s.name, m, L, tPlain, bytes / tPlain / 1e9, tPdl, bytes / tPdl / 1e9, tBlas, bytes / tBlas / 1e9);
            // Per group alone (events around each launch, as the backend's tuner times them).
            CHECK_BLAS(cublasSetStream(blas, 0));
            for (int gi = 0; gi < 4; gi++)
            {
                Group& g = groups[gi];
                double gb = 0;
                for (int i = 0; i < g.args.count; i++) gb += (double)g.args.rows[i] * g.k * 2;
                double tk = median_ms([&] { g.run(false); });
                double tc = median_ms([&] { cublas_group(blas, g); });
                printf("  group %d (%d members, k %5d): kernel %.1f us (%.2f TB/s), cuBLAS %.1f us (%.2f TB/s)\n", gi, g.args.count, g.k, tk * 1e3, gb / tk / 1e9, tc * 1e3, gb / tc / 1e9);
            }
        }
        double tRead = time_graph(stream, [&] {
            for (auto& l : layers)
                for (int i = 0; i < 7; i++)
                    read_all<<<g_sms * 4, 512, 0, stream>>>((const uint4*)l.w[i], (long long)rows[i] * cols[i] / 8, sink);
        });
        printf("%s: plain read of the same matrices, one launch each: %.3f ms (%.2f TB/s)\n", s.name, tRead, bytes / tRead / 1e9);
        for (auto& l : layers) for (auto* p : l.w) CHECK(cudaFree(p));
        for (float* p : y) CHECK(cudaFree(p));
        CHECK(cudaFree(x));
    }
    return ok ? 0 : 1;
}
