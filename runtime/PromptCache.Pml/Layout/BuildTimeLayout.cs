using System;

namespace PromptCache.Pml.Layout
{
    /// <summary>
    /// The token-exact layout a generated class was built with (its nested <c>Tokens</c> class), so the
    /// runtime can check that its own binding for the loaded model is the same: a project built against
    /// one tokenizer and served with another would otherwise put arguments at the wrong positions.
    /// </summary>
    public sealed class BuildTimeLayout
    {
        private readonly int[] _offsets;
        private readonly int[] _lengths;

        /// <summary>Creates the layout (generated code is the caller).</summary>
        /// <param name="tokenizerHash">The content hash of the tokenizer.json the project named (<see cref="PmlContentHash.Compute"/> of its text).</param>
        /// <param name="totalLength">The schema's length in tokens.</param>
        /// <param name="offsets">Every layout element's offset, in <see cref="SchemaLayout.Elements"/> order.</param>
        /// <param name="lengths">Every layout element's length, in the same order.</param>
        public BuildTimeLayout(string tokenizerHash, int totalLength, int[] offsets, int[] lengths)
        {
            TokenizerHash = tokenizerHash ?? throw new ArgumentNullException(nameof(tokenizerHash));
            TotalLength = totalLength;
            _offsets = offsets ?? throw new ArgumentNullException(nameof(offsets));
            _lengths = lengths ?? throw new ArgumentNullException(nameof(lengths));
            if (offsets.Length != lengths.Length)
                throw new ArgumentException("offsets and lengths must have one entry per layout element", nameof(lengths));
        }

        /// <summary>The content hash of the tokenizer file the layout was computed with.</summary>
        public string TokenizerHash { get; }

        /// <summary>The schema's length in tokens.</summary>
        public int TotalLength { get; }

        /// <summary>How many layout elements were bound.</summary>
        public int Count => _offsets.Length;

        /// <summary>The offset of element <paramref name="index"/>.</summary>
        public int OffsetAt(int index) => _offsets[index];

        /// <summary>The length of element <paramref name="index"/>.</summary>
        public int LengthAt(int index) => _lengths[index];

        /// <summary>
        /// Compares with the runtime's binding; returns null when equal, otherwise a message naming the first
        /// difference. <paramref name="runtimeTokenizerHash"/> is optional: a different hash alone is reported
        /// only when the offsets differ too (a re-saved but equivalent tokenizer.json still works).
        /// </summary>
        public string? FindMismatch(BoundLayout runtime, string? runtimeTokenizerHash = null)
        {
            if (runtime is null) throw new ArgumentNullException(nameof(runtime));
            string tokenizerNote = runtimeTokenizerHash is null || runtimeTokenizerHash == TokenizerHash
                ? string.Empty
                : " The model's tokenizer (hash " + runtimeTokenizerHash + ") differs from the one the project was built with (hash " + TokenizerHash + ").";
            string schema = "schema '" + runtime.Layout.SchemaName + "'";
            if (runtime.Elements.Count != Count)
                return "The build-time layout of " + schema + " has " + Count + " elements, the runtime binding " + runtime.Elements.Count + "; rebuild the project." + tokenizerNote;
            for (int i = 0; i < Count; i++)
            {
                var e = runtime.Elements[i];
                if (e.Offset != _offsets[i] || e.Length != _lengths[i])
                {
                    return "The build-time layout of " + schema + " puts " + e.Element + " at [" + _offsets[i] + ", " + (_offsets[i] + _lengths[i]) +
                        "), the loaded model's tokenizer at [" + e.Offset + ", " + e.End + ")." + tokenizerNote +
                        " Name the model's tokenizer.json in <PromptCacheTokenizer> and rebuild.";
                }
            }
            if (runtime.TotalLength != TotalLength)
                return "The build-time length of " + schema + " is " + TotalLength + " tokens, the runtime binding's " + runtime.TotalLength + "." + tokenizerNote;
            return null;
        }

        /// <summary>Throws <see cref="InvalidOperationException"/> with <see cref="FindMismatch"/>'s message when the layouts differ.</summary>
        public void EnsureMatches(BoundLayout runtime, string? runtimeTokenizerHash = null)
        {
            string? mismatch = FindMismatch(runtime, runtimeTokenizerHash);
            if (mismatch is not null)
                throw new InvalidOperationException(mismatch);
        }
    }
}
