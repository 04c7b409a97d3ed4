using PromptCache.Pml.Requests;
using PromptCache.Runtime.Generation;

namespace PromptCache.Engine;

/// <summary>
/// Serves typed prompt calls from precomputed module K/V. The request comes from a generated prompt
/// class (<c>TravelPrompt.Create()...User("...")</c>) or from a <c>&lt;prompt&gt;</c> document.
/// Implementations are thread-safe.
/// </summary>
public interface IPromptCache
{
    /// <summary>Binds each schema to the model and makes its modules' K/V ready: loaded from the store, or computed and stored.</summary>
    Task WarmAsync(IEnumerable<PromptSchemaSource> schemas, IProgress<WarmProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Streams the answer's text as it is generated.</summary>
    IAsyncEnumerable<string> StreamAsync(PromptRequest request, GenerationOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Runs the call to the end; the result carries the text, TTFT and cache accounting.</summary>
    Task<PromptResult> RunAsync(PromptRequest request, GenerationOptions? options = null, CancellationToken cancellationToken = default);
}
