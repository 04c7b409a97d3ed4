using PromptCache.Runtime.Backends.Cpu;
using PromptCache.Runtime.Models;

namespace PromptCache.Runtime.Loading;

/// <summary>
/// Finds every tensor a <see cref="ModelConfig"/> needs in an <see cref="ITensorSource"/> and checks
/// its shape and type, so that a wrong file fails at load time with the tensor named, not later
/// with garbage logits.
/// </summary>
internal sealed class WeightBinder(ITensorSource source, TensorNames names, ModelConfig config)
{
    public ModelWeights Bind()
    {
        int d = config.HiddenSize;
        var layers = new LayerWeights[config.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string N(LayerTensor t) => names.Layer(i, t);
            layers[i] = new LayerWeights
            {
                AttentionNorm = Vector(N(LayerTensor.AttentionNorm), d),
                Query = Matrix(N(LayerTensor.Query), config.QueryDim, d),
                Key = Matrix(N(LayerTensor.Key), config.KvDim, d),
                Value = Matrix(N(LayerTensor.Value), config.KvDim, d),
                Output = Matrix(N(LayerTensor.Output), d, config.QueryDim),
                QueryBias = config.AttentionBias ? Vector(N(LayerTensor.QueryBias), config.QueryDim) : null,
                KeyBias = config.AttentionBias ? Vector(N(LayerTensor.KeyBias), config.KvDim) : null,
                ValueBias = config.AttentionBias ? Vector(N(LayerTensor.ValueBias), config.KvDim) : null,
                QueryNorm = config.QkNorm ? Vector(N(LayerTensor.QueryNorm), config.HeadDim) : null,
                KeyNorm = config.QkNorm ? Vector(N(LayerTensor.KeyNorm), config.HeadDim) : null,
                FfnNorm = Vector(N(LayerTensor.FfnNorm), d),
                Gate = Matrix(N(LayerTensor.Gate), config.FfnSize, d),
                Up = Matrix(N(LayerTensor.Up), config.FfnSize, d),
                Down = Matrix(N(LayerTensor.Down), d, config.FfnSize),
            };
        }
        var embedding = Matrix(names.Embedding, config.VocabSize, d);
        WeightTensor output = config.TiedEmbeddings && !source.TryGet(names.Output, out _)
            ? embedding
            : Matrix(names.Output, config.VocabSize, d);
        return new ModelWeights
        {
            Embedding = embedding,
            Layers = layers,
            FinalNorm = Vector(names.FinalNorm, d),
            Output = output,
        };
    }

    private RawTensor Require(string name)
    {
        if (!source.TryGet(name, out var t))
            throw new InvalidDataException($"{source.Description}: tensor '{name}' is missing (architecture {config.Architecture}).");
        return t;
    }

    private unsafe WeightTensor Matrix(string name, int rows, int cols)
    {
        var t = Require(name);
        if (t.Shape.Length != 2 || t.Shape[0] != rows || t.Shape[1] != cols)
            throw new InvalidDataException($"{source.Description}: tensor '{name}' has shape {t.ShapeText}, expected [{rows}, {cols}].");
        if (t.Type == WeightType.Q8_0 && cols % 32 != 0)
            throw new InvalidDataException($"{source.Description}: Q8_0 tensor '{name}' has {cols} columns, not a multiple of 32.");
        return new WeightTensor(name, t.Data, t.Type, rows, cols);
    }

    private unsafe float[] Vector(string name, int length)
    {
        var t = Require(name);
        if (t.ElementCount != length || t.Shape.Count(s => s != 1) > 1)
            throw new InvalidDataException($"{source.Description}: tensor '{name}' has shape {t.ShapeText}, expected [{length}].");
        // Pinned so backends may take a stable pointer; small, so a copy in f32 costs nothing.
        var result = GC.AllocateUninitializedArray<float>(length, pinned: true);
        switch (t.Type)
        {
            case WeightType.F32: new ReadOnlySpan<float>(t.Data, length).CopyTo(result); break;
            case WeightType.F16: System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(t.Data, length), result); break;
            case WeightType.BF16: FloatConversions.BFloat16ToSingle(new ReadOnlySpan<ushort>(t.Data, length), result); break;
            default: throw new InvalidDataException($"{source.Description}: tensor '{name}' is {t.Type}; a 1-D weight must be F32, F16 or BF16.");
        }
        return result;
    }
}
