// Does the cuBLASLt algorithm that wins a short, lone timing also win under sustained load, when the H100 sits at
// its 700 W power cap (as during a long prefill)? Under the cap time follows energy per launch, and the
// backend's tuner (LtTunedGemm) picks by lone timings. For each prefill GEMM shape of the Llama-3-8B layer, every
// algorithm cuBLASLt's heuristic offers is timed twice:
//   lone:      median of 15 event-timed launches, each after a 20 ms idle (as the tuner sees it);
//   sustained: launches back to back for WARM_S seconds, then MEASURE_S more timed as one span, with the board's
//              energy counter (NVML) and the SM clock read across that span.
//
//   nvcc -O3 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -I/usr/local/cuda/include \
//        -o /tmp/sustained_gemm_probe benchmarks/Cuda/KernelCheck/sustained_gemm_probe.cu \
//        -lcublasLt -lcublas -L/usr/local/cuda/lib64/stubs -lnvidia-ml && /tmp/sustained_gemm_probe
//
// Inputs are random bf16 (never zeros: they draw less power); outputs are checked against the heuristic's first
// algorithm (same inputs, f32 accumulation: relL2 under 1e-5 expected, any order of the same f32 sums).
#include <cuda_runtime.h>
#include <cublasLt.h>
#include <nvml.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

typedef unsigned short bf16_t;
#define CHECK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("%s failed: %s (line %d)\n", #x, cudaGetErrorString(e_), __LINE__); exit(1); } } while (0)
#define CHECK_LT(x) do { cublasStatus_t e_ = (x); if (e_ != CUBLAS_STATUS_SUCCESS) { printf("%s failed: %d (line %d)\n", #x, (int)e_, __LINE__); exit(1); } } while (0)
#define CHECK_NVML(x) do { nvmlReturn_t e_ = (x); if (e_ != NVML_SUCCESS) { printf("%s failed: %d (line %d)\n", #x, (int)e_, __LINE__); exit(1); } } while (0)

__global__ void fill(bf16_t* y, size_t n, unsigned seed, float scale)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    {
        unsigned z = (unsigned)i * 2654435761u ^ seed;
        z ^= z >> 15; z *= 2246822519u; z ^= z >> 13; z *= 3266489917u; z ^= z >> 16;
        float u = (z >> 8) * (1.0f / 16777216.0f) * 2.0f - 1.0f;
        unsigned bits = __float_as_uint(u * scale);
        y[i] = (bf16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
    }
}

static bf16_t* random_bf16(size_t n, float scale, unsigned seed)
{
    bf16_t* d;
    CHECK(cudaMalloc(&d, n * 2));
    fill<<<1024, 256>>>(d, n, seed, scale);
    CHECK(cudaGetLastError());
    return d;
}

struct Shape { const char* name; int m, n, k; bool residual; bool bf16Out; };

int main()
{
    const double warmS = getenv("WARM_S") ? atof(getenv("WARM_S")) : 0.6;
    const double measureS = getenv("MEASURE_S") ? atof(getenv("MEASURE_S")) : 0.5;
    const int maxAlgos = getenv("ALGOS") ? atoi(getenv("ALGOS")) : 8;
    CHECK_NVML(nvmlInit());
    nvmlDevice_t nv;
    CHECK_NVML(nvmlDeviceGetHandleByIndex(0, &nv));
    unsigned limitMw = 0;
    nvmlDeviceGetEnforcedPowerLimit(nv, &limitMw);
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    printf("%s, %d SMs, power limit %.0f W; warm %.1f s, measure %.1f s per algorithm\n", prop.name, prop.multiProcessorCount, limitMw / 1000.0, warmS, measureS);

    cublasLtHandle_t lt;
    CHECK_LT(cublasLtCreate(&lt));
    const size_t workspaceBytes = 32u << 20;
    void* workspace;
    CHECK(cudaMalloc(&workspace, workspaceBytes));
    cudaStream_t stream;
    CHECK(cudaStreamCreate(&stream));
    cudaEvent_t e0, e1;
    CHECK(cudaEventCreate(&e0));
    CHECK(cudaEventCreate(&e1));

    // The 8B layer's prefill GEMMs at 4096 rows (q, k, v into the segment in bf16, o and down adding the residual),
    // the gate/up pair as one bf16 product, and the 8192-row down projection.
    const Shape shapes[] = {
        {"8B q 4096", 4096, 4096, 4096, false, false},
        {"8B k 4096", 4096, 1024, 4096, false, false},
        {"8B v->bf16 4096", 4096, 1024, 4096, false, true},
        {"8B o+res 4096", 4096, 4096, 4096, true, false},
        {"8B down+res 4096", 4096, 4096, 14336, true, false},
        {"8B gate|up bf16 4096", 4096, 28672, 4096, false, true},
        {"8B down+res 8192", 8192, 4096, 14336, true, false},
    };
    for (const Shape& s : shapes)
    {
        // Row-major activations x[m×k] and weights W[n×k]: column-major D[n×m] = Wᵀᵀ · x, as the backend calls it.
        bf16_t* x = random_bf16((size_t)s.m * s.k, 1.0f, 11u + s.k);
        bf16_t* w = random_bf16((size_t)s.n * s.k, 1.0f / sqrtf((float)s.k), 23u + s.n);
        const cudaDataType_t outType = s.bf16Out ? CUDA_R_16BF : CUDA_R_32F;
        const size_t outBytes = (size_t)s.m * s.n * (s.bf16Out ? 2 : 4);
        void *d, *ref;
        CHECK(cudaMalloc(&d, outBytes));
        CHECK(cudaMalloc(&ref, outBytes));

        cublasLtMatmulDesc_t op;
        CHECK_LT(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
        cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
        CHECK_LT(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
        CHECK_LT(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
        cublasLtMatrixLayout_t la, lb, lc;
        CHECK_LT(cublasLtMatrixLayoutCreate(&la, CUDA_R_16BF, s.k, s.n, s.k));
        CHECK_LT(cublasLtMatrixLayoutCreate(&lb, CUDA_R_16BF, s.k, s.m, s.k));
        CHECK_LT(cublasLtMatrixLayoutCreate(&lc, outType, s.n, s.m, s.n));
        cublasLtMatmulPreference_t pref;
        CHECK_LT(cublasLtMatmulPreferenceCreate(&pref));
        CHECK_LT(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspaceBytes, sizeof(workspaceBytes)));
        std::vector<cublasLtMatmulHeuristicResult_t> found(maxAlgos);
        int count = 0;
        CHECK_LT(cublasLtMatmulAlgoGetHeuristic(lt, op, la, lb, lc, lc, pref, maxAlgos, found.data(), &count));
        const float alpha = 1.0f, beta = s.residual ? 1.0f : 0.0f;
        const double flops = 2.0 * s.m * s.n * s.k;
        printf("\n%s: m %d n %d k %d, %d algorithms (lone: median of 15 after 20 ms idle; sustained: %.1f s after %.1f s of load)\n",
            s.name, s.m, s.n, s.k, count, measureS, warmS);
        printf("  algo   lone us  TFLOP/s | sustained us  TFLOP/s   mJ/launch  SM MHz   W | relL2 vs #0\n");
        for (int a = 0; a < count; a++)
        {
            auto launch = [&](void* out) {
                CHECK_LT(cublasLtMatmul(lt, op, &alpha, w, la, x, lb, &beta, out, lc, out, lc, &found[a].algo, workspace, workspaceBytes, stream));
            };
            // Correctness: one launch from zeros (beta = 1 then adds onto zeros) against algorithm 0's.
            CHECK(cudaMemsetAsync(d, 0, outBytes, stream));
            launch(d);
            if (a == 0) { CHECK(cudaMemsetAsync(ref, 0, outBytes, stream)); launch(ref); }
            CHECK(cudaStreamSynchronize(stream));
            double num = 0, den = 0;
            {
                const size_t n = (size_t)s.m * s.n;
                std::vector<float> hd(n), hr(n);
                if (s.bf16Out)
                {
                    std::vector<unsigned short> bd(n), br(n);
                    CHECK(cudaMemcpy(bd.data(), d, n * 2, cudaMemcpyDeviceToHost));
                    CHECK(cudaMemcpy(br.data(), ref, n * 2, cudaMemcpyDeviceToHost));
                    for (size_t i = 0; i < n; i++) { unsigned u = (unsigned)bd[i] << 16, v = (unsigned)br[i] << 16; memcpy(&hd[i], &u, 4); memcpy(&hr[i], &v, 4); }
                }
                else
                {
                    CHECK(cudaMemcpy(hd.data(), d, n * 4, cudaMemcpyDeviceToHost));
                    CHECK(cudaMemcpy(hr.data(), ref, n * 4, cudaMemcpyDeviceToHost));
                }
                for (size_t i = 0; i < n; i++) { double e = (double)hd[i] - hr[i]; num += e * e; den += (double)hr[i] * hr[i]; }
            }
            const double rel = std::isfinite(num) ? sqrt(num / std::max(den, 1e-30)) : INFINITY;

            // Lone timing, as a start-up tuner sees it.
            std::vector<float> lone;
            for (int i = 0; i < 15; i++)
            {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                CHECK(cudaEventRecord(e0, stream));
                launch(d);
                CHECK(cudaEventRecord(e1, stream));
                CHECK(cudaEventSynchronize(e1));
                float ms;
                CHECK(cudaEventElapsedTime(&ms, e0, e1));
                lone.push_back(ms);
            }
            std::sort(lone.begin(), lone.end());
            const double loneMs = lone[lone.size() / 2];

            // Sustained: warm to the power cap, then one timed span with the energy counter around it.
            std::this_thread::sleep_for(std::chrono::milliseconds(1000));
            const int warmLaunches = std::max(1, (int)(warmS * 1000 / loneMs)), measureLaunches = std::max(4, (int)(measureS * 1000 / loneMs));
            for (int i = 0; i < warmLaunches; i++) launch(d);
            CHECK(cudaEventRecord(e0, stream));
            CHECK(cudaEventSynchronize(e0));
            unsigned long long mj0 = 0, mj1 = 0;
            CHECK_NVML(nvmlDeviceGetTotalEnergyConsumption(nv, &mj0));
            CHECK(cudaEventRecord(e0, stream));
            for (int i = 0; i < measureLaunches; i++) launch(d);
            CHECK(cudaEventRecord(e1, stream));
            // Sample the SM clock while the span runs.
            double clockSum = 0;
            int clockSamples = 0;
            while (cudaEventQuery(e1) == cudaErrorNotReady)
            {
                unsigned mhz = 0;
                if (nvmlDeviceGetClockInfo(nv, NVML_CLOCK_SM, &mhz) == NVML_SUCCESS) { clockSum += mhz; clockSamples++; }
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            CHECK(cudaEventSynchronize(e1));
            CHECK_NVML(nvmlDeviceGetTotalEnergyConsumption(nv, &mj1));
            float spanMs;
            CHECK(cudaEventElapsedTime(&spanMs, e0, e1));
            const double perLaunch = spanMs / measureLaunches;
            const double mjPerLaunch = (double)(mj1 - mj0) / measureLaunches;
            printf("  #%-3d %8.1f %8.0f | %12.1f %8.0f %11.2f %7.0f %4.0f | %.1e\n", a, loneMs * 1e3, flops / loneMs / 1e9,
                perLaunch * 1e3, flops / perLaunch / 1e9, mjPerLaunch, clockSamples ? clockSum / clockSamples : 0.0,
                (double)(mj1 - mj0) / spanMs, rel);
        }
        CHECK_LT(cublasLtMatmulPreferenceDestroy(pref));
        CHECK_LT(cublasLtMatrixLayoutDestroy(la));
        CHECK_LT(cublasLtMatrixLayoutDestroy(lb));
        CHECK_LT(cublasLtMatrixLayoutDestroy(lc));
        CHECK_LT(cublasLtMatmulDescDestroy(op));
        CHECK(cudaFree(x)); CHECK(cudaFree(w)); CHECK(cudaFree(d)); CHECK(cudaFree(ref));
    }
    nvmlShutdown();
    return 0;
}
