using System;

namespace PromptCache.Tokenizers.Gguf
{
    /// <summary>
    /// One tensor's header entry. <see cref="Dimensions"/> are in GGUF order: the first is the
    /// fastest-varying (ne[0]), so a PyTorch weight of shape [out, in] appears as [in, out].
    /// </summary>
    public sealed class GgufTensorInfo
    {
        /// <summary>Creates a tensor entry.</summary>
        public GgufTensorInfo(string name, long[] dimensions, uint type, long offset)
        {
            Name = name;
            Dimensions = dimensions;
            Type = type;
            Offset = offset;
        }

        /// <summary>The llama.cpp tensor name, e.g. <c>blk.0.attn_q.weight</c>.</summary>
        public string Name { get; }

        /// <summary>Dimensions, fastest-varying first.</summary>
        public long[] Dimensions { get; }

        /// <summary>The ggml type id (0 F32, 1 F16, 8 Q8_0, 30 BF16, ...).</summary>
        public uint Type { get; }

        /// <summary>Byte offset relative to <see cref="GgufFile.DataOffset"/>.</summary>
        public long Offset { get; }

        /// <summary>The number of elements.</summary>
        public long ElementCount
        {
            get
            {
                long n = 1;
                foreach (long d in Dimensions) n *= d;
                return n;
            }
        }

        /// <inheritdoc />
        public override string ToString() => Name + " [" + string.Join(", ", Array.ConvertAll(Dimensions, d => d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "] type " + Type;
    }
}
