namespace PromptCache.Runtime.Models;

/// <summary>The RoPE frequency scalings this runtime implements.</summary>
public enum RopeScalingType
{
    /// <summary>Plain RoPE: inv_freq[i] = theta^(-2i/d).</summary>
    None,

    /// <summary>Position interpolation: every frequency divided by <see cref="RopeSettings.Factor"/>.</summary>
    Linear,

    /// <summary>Llama 3.1's piecewise scaling of low and medium frequencies.</summary>
    Llama3,
}

/// <summary>RoPE parameters, normalised from HF <c>rope_parameters</c>/<c>rope_scaling</c> or GGUF keys.</summary>
/// <param name="Theta">The RoPE base.</param>
/// <param name="Scaling">Which frequency scaling applies.</param>
/// <param name="Factor">Scaling factor (linear and llama3).</param>
/// <param name="LowFreqFactor">llama3: low_freq_factor.</param>
/// <param name="HighFreqFactor">llama3: high_freq_factor.</param>
/// <param name="OriginalMaxPositions">llama3: original_max_position_embeddings.</param>
/// <param name="FrequencyFactors">GGUF <c>rope_freqs.weight</c>: per-frequency divisors llama.cpp precomputes for llama3 scaling.</param>
public sealed record RopeSettings(
    double Theta,
    RopeScalingType Scaling = RopeScalingType.None,
    double Factor = 1,
    double LowFreqFactor = 1,
    double HighFreqFactor = 4,
    double OriginalMaxPositions = 8192,
    float[]? FrequencyFactors = null)
{
    /// <summary>Computes the head_dim/2 inverse frequencies, in float32 like transformers does.</summary>
    public float[] InverseFrequencies(int headDim)
    {
        int half = headDim / 2;
        var inv = new float[half];
        for (int i = 0; i < half; i++)
        {
            // transformers: 1 / base ** (arange(0, d, 2).float() / d), computed in float32.
            float exponent = (float)(2 * i) / headDim;
            inv[i] = 1f / MathF.Pow((float)Theta, exponent);
        }
        switch (Scaling)
        {
            case RopeScalingType.Linear:
                for (int i = 0; i < half; i++) inv[i] = (float)(inv[i] / Factor);
                break;
            case RopeScalingType.Llama3:
                ApplyLlama3(inv);
                break;
        }
        if (FrequencyFactors is { } factors)
        {
            if (factors.Length != half)
                throw new InvalidDataException($"rope_freqs has {factors.Length} entries, expected head_dim/2 = {half}.");
            for (int i = 0; i < half; i++) inv[i] /= factors[i];
        }
        return inv;
    }

    // Llama 3.1: keep high frequencies, divide low ones by the factor, blend in between.
    private void ApplyLlama3(float[] inv)
    {
        double lowWavelen = OriginalMaxPositions / LowFreqFactor;
        double highWavelen = OriginalMaxPositions / HighFreqFactor;
        for (int i = 0; i < inv.Length; i++)
        {
            double f = inv[i];
            double wavelen = 2 * Math.PI / f;
            double scaled = wavelen > lowWavelen ? f / Factor : f;
            bool medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            if (medium)
            {
                double smooth = (OriginalMaxPositions / wavelen - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
                scaled = (1 - smooth) * scaled / Factor + smooth * scaled;
            }
            inv[i] = (float)scaled;
        }
    }
}
