namespace PromptCache.Pml.Layout
{
    /// <summary>
    /// Counts tokens of a text segment with the bound model's tokenizer, adding no special tokens
    /// (each PML text segment is tokenized on its own). The tokenizer library implements this.
    /// </summary>
    public interface ITokenCounter
    {
        /// <summary>The number of tokens <paramref name="text"/> encodes to.</summary>
        int CountTokens(string text);
    }
}
