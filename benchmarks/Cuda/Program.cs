using PromptCache.Cuda.Backend;
using PromptCache.Cuda.Bench;
using PromptCache.Cuda.Device;

// GPU correctness check and TTFT benchmark of the CUDA backend. Exit code: 0 all checks passed,
// 1 a check failed, 2 bad arguments, 3 no usable CUDA.
BenchSettings settings;
try
{
    settings = BenchSettings.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    if (e.Message != "help") Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchSettings.Usage);
    return 2;
}

if (!CudaDevice.IsAvailable(out string reason))
{
    Console.Error.WriteLine($"CUDA is not usable here: {reason}");
    return 3;
}

var started = System.Diagnostics.Stopwatch.StartNew();
if (settings.Check)
{
    string? fixtures = settings.FindFixtures();
    if (fixtures is null)
    {
        Console.WriteLine("  FAIL  HF fixtures: folder not found (pass --fixtures)");
    }
    else
    {
        CorrectnessChecks.HfFixtures(fixtures, CudaBackendOptions.Unfused());
    }
    foreach (string dir in settings.HfModels)
    {
        string full = Path.GetFullPath(dir);
        CorrectnessChecks.HfModels([Path.GetFileName(full)], Path.GetDirectoryName(full)!, CudaBackendOptions.Unfused());
        CorrectnessChecks.HfModels([Path.GetFileName(full)], Path.GetDirectoryName(full)!, CudaBackendOptions.Unfused(AttentionKernel.TiledLdmatrix));
    }
    // The pipelined kernels (new since the first H100 run) after the older ones, so a fault in them
    // cannot hide the results above; a failure also takes the kernel out of the choice for the timings.
    // The checks over CPU-computed segments (host-tier loads, also new) come last.
    CorrectnessChecks.CpuVsCuda(settings.CpuTokens, () =>
    {
        foreach (string dir in settings.HfModels)
        {
            string full = Path.GetFullPath(dir);
            foreach (var kernel in new[] { AttentionKernel.Pipelined, AttentionKernel.PipelinedWide })
                CorrectnessChecks.HfModels([Path.GetFileName(full)], Path.GetDirectoryName(full)!, CudaBackendOptions.Unfused(kernel));
        }
    });
    // Session 5: the wgmma kernel at its other head dimension (64), against the CPU.
    CorrectnessChecks.CpuVsCuda(settings.CpuTokens, headDim64: true);
    // New this session: the skinny-GEMM kernel, fused add + RMSNorm and row RoPE through LlamaModel.
    var fastModels = new List<(IEnumerable<string>, string)>();
    if (fixtures is not null) fastModels.Add((["llama", "qwen2", "qwen3"], fixtures));
    foreach (string dir in settings.HfModels)
    {
        string full = Path.GetFullPath(dir);
        fastModels.Add(([Path.GetFileName(full)], Path.GetDirectoryName(full)!));
    }
    CorrectnessChecks.HfFastPaths(fastModels);
    foreach (var (names, root) in fastModels) CorrectnessChecks.HostWriteBack(names, root);
    Console.WriteLine(CorrectnessChecks.Failures == 0 ? "CHECKS: ALL PASS" : $"CHECKS: {CorrectnessChecks.Failures} FAILED");
    Console.WriteLine($"(checks took {started.Elapsed.TotalSeconds:0.0} s)");
}
if (settings.Bench)
{
    try
    {
        var benchmarks = new TtftBenchmarks(settings);
        benchmarks.Run();
        if (benchmarks.ShapeFailed)
        {
            Console.WriteLine($"(total {started.Elapsed.TotalSeconds:0.0} s)");
            return 1;
        }
    }
    catch (Exception e)
    {
        Console.WriteLine($"BENCHMARK FAILED: {e}");
        return 1;
    }
}
Console.WriteLine($"(total {started.Elapsed.TotalSeconds:0.0} s)");
return CorrectnessChecks.Failures == 0 ? 0 : 1;
