namespace PromptCache.Cuda.Backend;

/// <summary>Device ranges of f32 activations, as the seam passes them: a pointer and a count of floats.</summary>
internal static class FloatRanges
{
    /// <summary>Whether [a, +aFloats) and [b, +bFloats) share a byte.</summary>
    public static bool Overlap(ulong a, long aFloats, ulong b, long bFloats) =>
        a < b + (ulong)(bFloats * sizeof(float)) && b < a + (ulong)(aFloats * sizeof(float));
}
