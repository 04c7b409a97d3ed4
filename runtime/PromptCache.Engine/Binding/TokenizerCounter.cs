using PromptCache.Pml.Layout;
using PromptCache.Tokenizers;

namespace PromptCache.Engine.Binding;

/// <summary>
/// Counts a PML text segment's tokens with the model's tokenizer, adding no special tokens: the
/// adapter through which <see cref="SchemaLayout.Bind"/> computes offsets, so the runtime's offsets
/// and the generator's come from the same algorithm.
/// </summary>
internal sealed class TokenizerCounter(Tokenizer tokenizer) : ITokenCounter
{
    public int CountTokens(string text) => tokenizer.EncodeToIds(text, addSpecialTokens: false).Count;
}
