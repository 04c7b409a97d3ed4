using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using PromptCache.Engine.Binding;
using PromptCache.Engine.Execution;
using PromptCache.Pml.Requests;
using PromptCache.Pml.Syntax;
using PromptCache.Runtime.Generation;
using PromptCache.Runtime.Inference;

namespace PromptCache.Engine;

/// <summary>
/// A multi-turn conversation on top of a prompt: the first turn is the request (cached modules plus
/// its suffix); later turns add text. The conversation keeps its own K/V across turns, so turn N+1
/// computes only its new tokens (the previous answer's last token, the closing marker, the new
/// message, the generation prompt); cached modules stay shared and read-only.
/// </summary>
/// <remarks>
/// Not thread-safe: one turn at a time. The history lives in process memory with RoPE applied and
/// is never truncated: when it would pass the context window the turn fails with a clear error.
/// Pre-RoPE storage, re-rotation on overflow and spilling to the store's tiers (AttentionStore) are
/// not implemented yet.
/// </remarks>
public sealed class PromptConversation : IDisposable
{
    private readonly PromptCacheEngine _engine;
    private readonly BoundSchema _schema;
    private readonly IReadOnlyList<KvSegment> _context;
    private readonly PromptCacheEngine.DecodeState _state;
    private readonly List<int> _pendingIds = [];
    private readonly List<int> _pendingPositions = [];
    private bool _answered;

    internal PromptConversation(PromptCacheEngine engine, BoundSchema schema, RequestPlan plan)
    {
        _engine = engine;
        _schema = schema;
        _context = plan.Context;
        _state = new PromptCacheEngine.DecodeState(engine.Model.CreateSegment(engine.Options.KvDataType, plan.NewIds.Length + 256), [.. plan.AllIds], [.. plan.AllPositions]);
        _pendingIds.AddRange(plan.NewIds);
        _pendingPositions.AddRange(plan.NewPositions);
        _state.NextPosition = plan.NewPositions[^1] + 1;
    }

    /// <summary>Completed turns.</summary>
    public int Turns { get; private set; }

    /// <summary>Tokens of the conversation's own K/V (everything but the cached modules).</summary>
    public int SessionTokens => _state.Session.Count;

    /// <summary>
    /// Adds the next message(s). After an answer, the assistant's closing marker comes first; a final
    /// user part is followed by the generation prompt (as in a request's suffix).
    /// </summary>
    public void Add(params PromptSuffixPart[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (_answered)
        {
            // The answer's last token is already in the history (sampled, not yet computed).
            if (_state.Unforwarded is int last) Pending(last, record: false);
            if (_schema.Markers is { } markers)
                foreach (int id in markers.End(PmlRoleKind.Assistant)) Pending(id, record: true);
            _state.Unforwarded = null;
            _answered = false;
        }
        foreach (int id in SuffixEncoder.Encode(parts, _engine.Tokenizer, _schema.Markers)) Pending(id, record: true);
    }

    private void Pending(int id, bool record)
    {
        int position = _state.NextPosition++;
        _pendingIds.Add(id);
        _pendingPositions.Add(position);
        if (!record) return;
        _state.History.Add(id);
        _state.HistoryPositions.Add(position);
    }

    /// <summary>Computes the pending messages (only those) and streams the answer.</summary>
    public async IAsyncEnumerable<string> StreamAsync(GenerationOptions? options = null, PromptRunStats? stats = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_pendingIds.Count == 0) throw new InvalidOperationException("Nothing to answer: call Add with the next message first.");
        options ??= new GenerationOptions();
        stats ??= new PromptRunStats();
        int contextLength = _engine.Model.Config.ContextLength;
        if (contextLength > 0 && _pendingPositions[^1] + 1 + options.MaxTokens > contextLength)
        {
            throw new PromptCacheException($"Conversation on schema '{_schema.Name}': the history ends at position {_pendingPositions[^1] + 1} and {options.MaxTokens} more tokens would pass the model's context window of {contextLength}; start a new conversation.");
        }
        stats.UsedCache = true;
        stats.CachedTokens = _context.Sum(s => s.Count) + _state.Session.Count;
        stats.ModuleHits = _context.Count;
        int[] ids = [.. _pendingIds], positions = [.. _pendingPositions];
        _pendingIds.Clear();
        _pendingPositions.Clear();
        var clock = Stopwatch.StartNew();
        await foreach (var (_, text) in _engine.DecodeAsync(ids, positions, _context, _state, options, stats, clock, cancellationToken).ConfigureAwait(false))
        {
            if (text.Length > 0) yield return text;
        }
        _answered = true;
        Turns++;
    }

    /// <summary>Like <see cref="StreamAsync"/>, collected.</summary>
    public async Task<PromptResult> RunAsync(GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var stats = new PromptRunStats();
        var text = new StringBuilder();
        int before = _state.History.Count;
        await foreach (string piece in StreamAsync(options, stats, cancellationToken).ConfigureAwait(false)) text.Append(piece);
        return new PromptResult(text.ToString(), _state.History.Skip(before).ToList(), stats);
    }

    /// <summary>The whole conversation so far: token ids (cached ones included) and, in <see cref="HistoryPositions"/>, their positions.</summary>
    public IReadOnlyList<int> HistoryIds => _state.History;

    /// <summary>Positions of <see cref="HistoryIds"/>.</summary>
    public IReadOnlyList<int> HistoryPositions => _state.HistoryPositions;

    /// <summary>Frees the conversation's K/V.</summary>
    public void Dispose() => _state.Session.Dispose();
}
