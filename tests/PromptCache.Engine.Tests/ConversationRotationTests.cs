using System.Runtime.InteropServices;
using PromptCache.Engine.Conversations;
using PromptCache.Runtime.Backends;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Models;

namespace PromptCache.Engine.Tests;

/// <summary>
/// Re-rotation against the model's own RoPE: RopeTable gives the angles and cos/sin a forward pass uses, and the
/// reference below applies them with the forward's formula. Keys are N(0,1)-ish, so |k| ≤ ~5; moving a key is a
/// handful of float32 roundings (~6e-8 relative each), so 1e-5 absolute leaves a wide margin, while rotating by
/// the float32 angle of the shift itself would miss by up to ~1e-4·|k| at position 3000 (the angles do not add up
/// in float32).
/// </summary>
public sealed class ConversationRotationTests
{
    private const float Tolerance = 1e-5f;

    public static TheoryData<RopeScalingType, RopeStyle> Cases => new()
    {
        { RopeScalingType.None, RopeStyle.Halves },
        { RopeScalingType.Linear, RopeStyle.Halves },
        { RopeScalingType.Llama3, RopeStyle.Halves },
        { RopeScalingType.None, RopeStyle.Interleaved },
        { RopeScalingType.Llama3, RopeStyle.Interleaved },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Moving_keys_to_other_positions_matches_rotating_them_there_directly(RopeScalingType scaling, RopeStyle style)
    {
        var config = Config(scaling, style);
        var rotary = new RotaryRotation(config);
        int[] from = [0, 7, 300, 2047, 3000, 5];
        int[] to = [0, 3, 100, 1900, 17, 4095];
        var pre = RandomRows(from.Length, config.KvDim, seed: 3);

        // Pre-RoPE → from, checked against the forward's formula.
        var rotated = pre.ToArray();
        var (c1, s1) = rotary.Table(Unrotated(from.Length), from);
        rotary.Rotate(MemoryMarshal.AsBytes(rotated.AsSpan()), from.Length, KvDataType.F32, c1, s1, 0, new float[config.KvDim]);
        Assert.True(MaxDiff(rotated, Reference(pre, from, config)) < Tolerance);

        // from → to (a truncation's shift) equals rotating the pre-RoPE keys to `to` directly.
        var moved = rotated.ToArray();
        var (c2, s2) = rotary.Table(from, to);
        rotary.Rotate(MemoryMarshal.AsBytes(moved.AsSpan()), from.Length, KvDataType.F32, c2, s2, 0, new float[config.KvDim]);
        Assert.True(MaxDiff(moved, Reference(pre, to, config)) < Tolerance, $"max diff {MaxDiff(moved, Reference(pre, to, config))}");

        // to → pre-RoPE (what a session entry stores) gives the keys back.
        var (c3, s3) = rotary.Table(to, Unrotated(to.Length));
        rotary.Rotate(MemoryMarshal.AsBytes(moved.AsSpan()), to.Length, KvDataType.F32, c3, s3, 0, new float[config.KvDim]);
        Assert.True(MaxDiff(moved, pre) < Tolerance);
    }

    [Theory]
    [InlineData(KvDataType.F16)]
    [InlineData(KvDataType.BF16)]
    public void Half_precision_keys_are_rotated_with_one_rounding(KvDataType type)
    {
        var config = Config(RopeScalingType.None, RopeStyle.Halves);
        var rotary = new RotaryRotation(config);
        int[] to = [1, 500, 3000];
        var pre = RandomRows(to.Length, config.KvDim, seed: 5);
        var stored = new ushort[pre.Length];
        for (int i = 0; i < pre.Length; i++)
            stored[i] = type == KvDataType.F16 ? BitConverter.HalfToUInt16Bits((Half)pre[i]) : (ushort)(BitConverter.SingleToUInt32Bits(pre[i]) >> 16);
        var (cos, sin) = rotary.Table(Unrotated(to.Length), to);
        rotary.Rotate(MemoryMarshal.AsBytes(stored.AsSpan()), to.Length, type, cos, sin, 0, new float[config.KvDim]);
        var back = stored.Select(b => type == KvDataType.F16 ? (float)BitConverter.UInt16BitsToHalf(b) : BitConverter.UInt32BitsToSingle((uint)b << 16)).ToArray();
        var exact = Reference(pre, to, config);
        // Two roundings to the storage type (input and output), each ≤ half an ulp: 2^-11 (f16) or 2^-8 (bf16) of |k| ≤ ~5.
        float ulps = type == KvDataType.F16 ? 5 * MathF.Pow(2, -10) : 5 * MathF.Pow(2, -7);
        Assert.True(MaxDiff(back, exact) < ulps);
    }

    [Fact]
    public void Unknown_scalings_are_refused()
    {
        var rope = new RopeSettings(10000, (RopeScalingType)42);
        var e = Assert.Throws<NotSupportedException>(() => RotaryRotation.EnsureSupported(rope));
        Assert.Contains("position·θᵢ", e.Message);
    }

    private static ModelConfig Config(RopeScalingType scaling, RopeStyle style) => new(
        "llama", 256, 1, 4, 2, 64, 512, 100, 1e-5f,
        new RopeSettings(500000, scaling, Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 1024),
        style, false, false, true, 8192);

    private static int[] Unrotated(int n) => Enumerable.Repeat(RotaryRotation.Unrotated, n).ToArray();

    private static float[] RandomRows(int rows, int width, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows * width).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
    }

    // The forward pass's RoPE: the model's RopeTable (float32 angle, MathF cos/sin) and its pairing.
    private static float[] Reference(float[] pre, int[] positions, ModelConfig config)
    {
        var table = new RopeTable(positions, config.Rope.InverseFrequencies(config.HeadDim));
        int half = table.HalfDim, width = config.KvDim;
        var result = pre.ToArray();
        for (int t = 0; t < positions.Length; t++)
        {
            for (int h = 0; h < config.KvHeadCount; h++)
            {
                int head = t * width + h * config.HeadDim;
                for (int i = 0; i < half; i++)
                {
                    float c = table.Cos.Span[t * half + i], s = table.Sin.Span[t * half + i];
                    int a = config.RopeStyle == RopeStyle.Halves ? head + i : head + 2 * i;
                    int b = config.RopeStyle == RopeStyle.Halves ? head + i + half : head + 2 * i + 1;
                    float x = pre[a], y = pre[b];
                    result[a] = x * c - y * s;
                    result[b] = y * c + x * s;
                }
            }
        }
        return result;
    }

    private static float MaxDiff(float[] a, float[] b)
    {
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
