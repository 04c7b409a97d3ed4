namespace PromptCache.Pml
{
    /// <summary>netstandard2.0 has no System.HashCode; this is the small combiner the models use.</summary>
    internal static class HashCombiner
    {
        public static int Combine(params int[] values)
        {
            int hash = 17;
            foreach (var value in values)
                hash = unchecked(hash * 31 + value);
            return hash;
        }

        public static int Of(string? value) => value is null ? 0 : value.GetHashCode();
    }
}
