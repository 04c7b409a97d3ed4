using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;

namespace PromptCache.Engine.Conversations;

/// <summary>
/// Moves stored keys between rotary positions: from the angle the model rotated them by (or none, for
/// pre-RoPE keys) to another angle (or none). RoPE turns each pair of a key's dimensions by
/// <c>position · inv_freq[i]</c>, and rotations compose, so one rotation by the difference of the two angles
/// is exact up to rounding.
/// </summary>
/// <remarks>
/// <para>The angles are the model's own: <c>(float)position * inv_freq[i]</c> in float32, as
/// <c>RopeTable</c> computes them, so a key moved to position p gets the angle a fresh forward at p would
/// use. The difference of the two float32 angles is exact in double, and its cos/sin are taken in double; only
/// the final multiply is float32. Moving f32 keys therefore changes them by a few float32 roundings (relative
/// ~1e-7). Rotating by the shift's own angle, <c>(float)(shift · inv_freq[i])</c>, would not do: the float32
/// angles do not add up (<c>fl(p·θ) − fl(s·θ) ≠ fl((p−s)·θ)</c> by up to an ulp of the angle, 2.4e-4 rad at
/// 3000 rad for θ₀ = 1), which is a 1e-4 relative error in the high-frequency dimensions.</para>
/// <para>Only frequency scalings whose angle is a fixed <c>position · θᵢ</c> can be moved this way: none,
/// linear and llama3. YaRN additionally scales the rotated values (its attention factor multiplies cos/sin),
/// so a rotation that is not the model's own would rescale keys, and dynamic NTK changes θᵢ with the
/// sequence length, so a key's angle depends on more than its position. The runtime implements neither, and
/// this class refuses any scaling it does not know, so adding one forces a decision here.</para>
/// </remarks>
internal sealed class RotaryRotation
{
    /// <summary>Stands for "no rotation" (pre-RoPE keys) in place of a position.</summary>
    public const int Unrotated = -1;

    private readonly float[] _inverseFrequencies;
    private readonly RopeStyle _style;

    public RotaryRotation(ModelConfig config)
    {
        EnsureSupported(config.Rope);
        _inverseFrequencies = config.Rope.InverseFrequencies(config.HeadDim);
        _style = config.RopeStyle;
        HeadDim = config.HeadDim;
        KvHeads = config.KvHeadCount;
    }

    public int HeadDim { get; }

    public int KvHeads { get; }

    private int Half => HeadDim / 2;

    /// <summary>Throws unless keys rotated with <paramref name="rope"/> can be moved to other positions exactly.</summary>
    /// <exception cref="NotSupportedException">A scaling other than none, linear or llama3.</exception>
    public static void EnsureSupported(RopeSettings rope)
    {
        if (rope.Scaling is not (RopeScalingType.None or RopeScalingType.Linear or RopeScalingType.Llama3))
        {
            throw new NotSupportedException($"Conversation truncation re-rotates keys, which is exact only for RoPE scalings whose angle is position·θᵢ with fixed θᵢ and unit magnitude (none, linear, llama3); the model uses {rope.Scaling}.");
        }
    }

    /// <summary>
    /// cos/sin tables (tokens × head_dim/2) that move token t's key from <paramref name="from"/>[t] to
    /// <paramref name="to"/>[t] (<see cref="Unrotated"/> for pre-RoPE).
    /// </summary>
    public (float[] Cos, float[] Sin) Table(ReadOnlySpan<int> from, ReadOnlySpan<int> to)
    {
        if (from.Length != to.Length) throw new ArgumentException($"{from.Length} source positions but {to.Length} targets.", nameof(to));
        int half = Half;
        var cos = new float[from.Length * half];
        var sin = new float[from.Length * half];
        for (int t = 0; t < from.Length; t++)
        {
            for (int i = 0; i < half; i++)
            {
                double delta = (double)Angle(to[t], i) - Angle(from[t], i);
                cos[t * half + i] = (float)Math.Cos(delta);
                sin[t * half + i] = (float)Math.Sin(delta);
            }
        }
        return (cos, sin);
    }

    // The model's angle: position and inv_freq multiplied in float32 (RopeTable), none for pre-RoPE keys.
    private float Angle(int position, int i) => position == Unrotated ? 0f : position * _inverseFrequencies[i];

    /// <summary>
    /// Rotates <paramref name="rows"/> key rows (each kv_heads·head_dim values of <paramref name="type"/>) in
    /// place, row t by table row <paramref name="tableStart"/> + t.
    /// </summary>
    public void Rotate(Span<byte> keyRows, int rows, KvDataType type, float[] cos, float[] sin, int tableStart, Span<float> scratch)
    {
        int width = KvHeads * HeadDim;
        if (type == KvDataType.F32)
        {
            var values = MemoryMarshal.Cast<byte, float>(keyRows);
            for (int t = 0; t < rows; t++) RotateRow(values.Slice(t * width, width), cos, sin, tableStart + t);
            return;
        }
        var row = scratch[..width];
        var halves = MemoryMarshal.Cast<byte, ushort>(keyRows);
        for (int t = 0; t < rows; t++)
        {
            var stored = halves.Slice(t * width, width);
            if (type == KvDataType.F16)
            {
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(stored), row);
                RotateRow(row, cos, sin, tableStart + t);
                System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(row, MemoryMarshal.Cast<ushort, Half>(stored));
            }
            else
            {
                FloatConversions.BFloat16ToSingle(stored, row);
                RotateRow(row, cos, sin, tableStart + t);
                FloatConversions.SingleToBFloat16(row, stored);
            }
        }
    }

    private void RotateRow(Span<float> row, float[] cosTable, float[] sinTable, int tableRow)
    {
        int half = Half;
        var cos = new ReadOnlySpan<float>(cosTable, tableRow * half, half);
        var sin = new ReadOnlySpan<float>(sinTable, tableRow * half, half);
        for (int h = 0; h < KvHeads; h++)
        {
            var head = row.Slice(h * HeadDim, HeadDim);
            if (_style == RopeStyle.Halves) RotateHalves(head[..half], head[half..], cos, sin);
            else RotateInterleaved(head, cos, sin);
        }
    }

    // Dimension i pairs with i + head_dim/2 (HF rotate_half): a' = a·cos − b·sin, b' = b·cos + a·sin.
    private static void RotateHalves(Span<float> a, Span<float> b, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int i = 0;
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        ref float rc = ref MemoryMarshal.GetReference(cos);
        ref float rs = ref MemoryMarshal.GetReference(sin);
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= a.Length; i += 16)
            {
                var x = Vector512.LoadUnsafe(ref ra, (nuint)i);
                var y = Vector512.LoadUnsafe(ref rb, (nuint)i);
                var c = Vector512.LoadUnsafe(ref rc, (nuint)i);
                var s = Vector512.LoadUnsafe(ref rs, (nuint)i);
                (x * c - y * s).StoreUnsafe(ref ra, (nuint)i);
                (y * c + x * s).StoreUnsafe(ref rb, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= a.Length; i += 8)
            {
                var x = Vector256.LoadUnsafe(ref ra, (nuint)i);
                var y = Vector256.LoadUnsafe(ref rb, (nuint)i);
                var c = Vector256.LoadUnsafe(ref rc, (nuint)i);
                var s = Vector256.LoadUnsafe(ref rs, (nuint)i);
                (x * c - y * s).StoreUnsafe(ref ra, (nuint)i);
                (y * c + x * s).StoreUnsafe(ref rb, (nuint)i);
            }
        }
        for (; i < a.Length; i++)
        {
            float x = a[i], y = b[i];
            a[i] = x * cos[i] - y * sin[i];
            b[i] = y * cos[i] + x * sin[i];
        }
    }

    // GPT-J / llama.cpp "normal" layout: dimension 2i pairs with 2i+1.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RotateInterleaved(Span<float> head, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        for (int i = 0; i < cos.Length; i++)
        {
            float x = head[2 * i], y = head[2 * i + 1];
            head[2 * i] = x * cos[i] - y * sin[i];
            head[2 * i + 1] = y * cos[i] + x * sin[i];
        }
    }
}
