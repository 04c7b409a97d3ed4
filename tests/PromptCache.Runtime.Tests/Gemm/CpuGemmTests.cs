namespace PromptCache.Runtime.Tests.Gemm;

using PromptCache.Runtime.Backends.Cpu;

/// <summary>Correctness of <see cref="CpuGemm"/> against a double-precision reference.</summary>
public sealed class CpuGemmTests
{
    // (m, k, n): the decode case m = 1 and the other GEMV sizes (m ≤ 4), the small-m path
    // (5 ≤ m ≤ 64, tiles of 16 A rows × 6-12 W rows), the blocked path (m ≥ 65; tiles 8×32, 6×16,
    // 4×4; k blocks of 256), sizes below, at and just past every block size, odd sizes everywhere.
    public static readonly TheoryData<int, int, int> Shapes = new()
    {
        { 1, 1, 1 },
        { 1, 37, 5 },
        { 1, 768, 96 },
        { 1, 1000, 33 },
        { 1, 4128, 19 }, // k ≥ 4096: the GEMV dots eight W rows per pass, then a tail
        { 2, 3, 2 },
        { 3, 5, 7 },
        { 4, 50, 19 },
        { 6, 40, 13 },
        { 5, 64, 16 },
        { 7, 33, 65 },
        { 13, 17, 48 },
        { 14, 100, 32 },
        { 15, 129, 31 },
        { 17, 64, 97 },
        { 29, 70, 130 },
        { 32, 96, 64 },
        { 33, 257, 47 },
        { 64, 520, 80 },
        { 65, 64, 33 },
        { 97, 1100, 45 },
        { 1030, 40, 40 }, // more rows than a packed block of A (512): the row-block loop, twice
    };

    public static TheoryData<int, int, int, WeightType, GemmPathCase> Cases()
    {
        var data = new TheoryData<int, int, int, WeightType, GemmPathCase>();
        foreach (var row in Shapes)
        {
            var (m, k, n) = ((int)row[0], (int)row[1], (int)row[2]);
            foreach (WeightType type in Enum.GetValues<WeightType>())
            {
                // Q8_0 stores whole blocks of 32; round k up for it.
                int kk = type == WeightType.Q8_0 ? (k + 31) / 32 * 32 : k;
                foreach (GemmPathCase path in Enum.GetValues<GemmPathCase>())
                {
                    data.Add(m, kk, n, type, path);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesDoubleReference(int m, int k, int n, WeightType type, GemmPathCase path)
    {
        var rng = new Random(HashCode.Combine(m, k, n, (int)type, (int)path) & 0x7FFFFFFF);
        var a = new float[m * k];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = RandomWeights.NonZero(rng);
        }

        var w = RandomWeights.Create(type, n, k, rng);
        var c = new float[m * n];
        Array.Fill(c, float.NaN); // poison: an unwritten output stays NaN and fails the bound

        if (!Run(a, m, k, w.Bytes, type, n, c, path))
        {
            return; // the path is not supported here; Unsupported_path_is_refused covers that.
        }

        GemmReference.AssertClose(a, w, c, m, k, n, $"{type} {path} m={m} k={k} n={n}");
    }

    [Fact]
    public void Large_shape_crossing_every_block_matches_reference()
    {
        const int m = 150, k = 1088, n = 600;
        var rng = new Random(7);
        var a = new float[m * k];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = RandomWeights.NonZero(rng);
        }

        foreach (WeightType type in Enum.GetValues<WeightType>())
        {
            var w = RandomWeights.Create(type, n, k, rng);
            var c = new float[m * n];
            Array.Fill(c, float.NaN);
            Run(a, m, k, w.Bytes, type, n, c, GemmPathCase.Auto);
            GemmReference.AssertClose(a, w, c, m, k, n, $"{type} large");
        }
    }

    [Fact]
    public async Task Concurrent_callers_get_their_own_results()
    {
        const int m = 40, k = 320, n = 70; // k a multiple of 32 so every dtype, Q8_0 included, fits
        var jobs = Enumerable.Range(0, 6).Select(s =>
        {
            var rng = new Random(100 + s);
            var a = new float[m * k];
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = RandomWeights.NonZero(rng);
            }

            var type = (WeightType)(s % 4);
            return (a, w: RandomWeights.Create(type, n, k, rng), type);
        }).ToArray();

        var results = await Task.WhenAll(jobs.Select(j => Task.Run(() =>
        {
            var c = new float[m * n];
            for (int rep = 0; rep < 5; rep++)
            {
                Array.Fill(c, float.NaN);
                Run(j.a, m, k, j.w.Bytes, j.type, n, c, GemmPathCase.Auto);
            }

            return c;
        })));

        for (int s = 0; s < jobs.Length; s++)
        {
            GemmReference.AssertClose(jobs[s].a, jobs[s].w, results[s], m, k, n, $"concurrent {s}");
        }
    }

    [Fact]
    public unsafe void Bad_arguments_are_named()
    {
        var a = new float[64];
        var w = new byte[64 * 34];
        var c = new float[64];
        fixed (float* pa = a, pc = c)
        fixed (byte* pw = w)
        {
            float* fa = pa, fc = pc;
            byte* bw = pw;
            var q8 = Assert.Throws<ArgumentException>(() => CpuGemm.MatMulTransposed(fa, 1, 33, bw, WeightType.Q8_0, 1, fc));
            Assert.Equal("k", q8.ParamName);
            var neg = Assert.Throws<ArgumentOutOfRangeException>(() => CpuGemm.MatMulTransposed(fa, -1, 4, bw, WeightType.F32, 1, fc));
            Assert.Equal("m", neg.ParamName);
            var nullW = Assert.Throws<ArgumentNullException>(() => CpuGemm.MatMulTransposed(fa, 1, 4, null, WeightType.F32, 1, fc));
            Assert.Equal("w", nullW.ParamName);
        }
    }

    [Fact]
    public unsafe void Zero_k_clears_the_output()
    {
        var c = new float[6];
        Array.Fill(c, float.NaN);
        fixed (float* pc = c)
        {
            CpuGemm.MatMulTransposed(null, 2, 0, null, WeightType.BF16, 3, pc);
        }

        Assert.All(c, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Unsupported_path_is_refused()
    {
        if (!GemmPaths.Vector512Supported)
        {
            Assert.Throws<PlatformNotSupportedException>(() => GemmPaths.Resolve(GemmPath.Vector512));
        }
        else
        {
            Assert.Equal(GemmPath.Vector512, GemmPaths.Resolve(GemmPath.Auto));
        }

        if (!GemmPaths.Vector256Supported)
        {
            Assert.Throws<PlatformNotSupportedException>(() => GemmPaths.Resolve(GemmPath.Vector256));
        }
    }

    private static unsafe bool Run(float[] a, int m, int k, byte[] w, WeightType type, int n, float[] c, GemmPathCase path)
    {
        var p = (GemmPath)path;
        if ((p == GemmPath.Vector512 && !GemmPaths.Vector512Supported) || (p == GemmPath.Vector256 && !GemmPaths.Vector256Supported))
        {
            return false;
        }

        fixed (float* pa = a, pc = c)
        fixed (byte* pw = w)
        {
            CpuGemm.MatMulTransposed(pa, m, k, pw, type, n, pc, p);
        }

        return true;
    }
}

/// <summary>Public mirror of the internal GemmPath, so it can appear in theory data.</summary>
public enum GemmPathCase
{
    /// <summary>Widest supported.</summary>
    Auto = 0,

    /// <summary>Scalar fallback.</summary>
    Scalar = 1,

    /// <summary>AVX2/FMA.</summary>
    Vector256 = 2,

    /// <summary>AVX-512.</summary>
    Vector512 = 3,
}
