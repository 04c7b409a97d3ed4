using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>Fused element-wise kernels where chaining TensorPrimitives calls would pass over memory several times.</summary>
internal static unsafe class ElementwiseKernels
{
    /// <summary>gate[i] = silu(gate[i]) · up[i] = gate · up / (1 + e^−gate), in one pass.</summary>
    public static void SiluMul(float* gate, float* up, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var one = Vector512<float>.One;
            for (; i + 16 <= n; i += 16)
            {
                var g = Vector512.Load(gate + i);
                // e^−g for any g: clamp so that large positive g gives e^−g → 0 and large negative gives a
                // huge but finite denominator (silu → −0), matching the exact function's limits.
                var e = Exp(Vector512.Min(Vector512.Max(-g, Vector512.Create(-87f)), Vector512.Create(88f)));
                (g * Vector512.Load(up + i) / (one + e)).Store(gate + i);
            }
        }
        if (i < n)
        {
            var g = new Span<float>(gate + i, n - i);
            var u = new ReadOnlySpan<float>(up + i, n - i);
            for (int j = 0; j < g.Length; j++) g[j] = g[j] * u[j] / (1f + MathF.Exp(-g[j]));
        }
    }

    /// <summary>
    /// e^x for x in [−87, 88]: x = n·ln2 + r with |r| ≤ ln2/2, a degree-6 polynomial for e^r (relative
    /// error ≈ 2e-7), then 2^n through the exponent bits. SwiGLU and the attention softmax share it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Exp(Vector512<float> x)
    {
        var n = Vector512.Round(x * Vector512.Create(1.44269504f));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693145752f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-1.42860677e-6f), r);
        var p = Vector512.Create(1f / 720);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        return p * ((Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23).AsSingle();
    }

    /// <summary>Whether <see cref="RotateHalves"/> applies to heads of 2·<paramref name="half"/> values.</summary>
    public static bool CanRotateHalves(int half) => Vector512.IsHardwareAccelerated && half % 16 == 0;

    /// <summary>rotate_half RoPE of one head: (a, b) → (a·cos − b·sin, b·cos + a·sin), a and b its two halves.</summary>
    public static void RotateHalves(float* v, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int half = cos.Length;
        fixed (float* c = cos, s = sin)
        {
            for (int i = 0; i < half; i += 16)
            {
                var a = Vector512.Load(v + i);
                var b = Vector512.Load(v + half + i);
                var vc = Vector512.Load(c + i);
                var vs = Vector512.Load(s + i);
                (a * vc - b * vs).Store(v + i);
                (b * vc + a * vs).Store(v + half + i);
            }
        }
    }
}
