using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using PromptCache.Engine.Binding;
using PromptCache.Engine.Conversations;
using PromptCache.Engine.Execution;
using PromptCache.Pml.Requests;
using PromptCache.Pml.Syntax;
using PromptCache.Runtime.Caching.Sessions;
using PromptCache.Runtime.Caching.Store;
using PromptCache.Runtime.Generation;
using PromptCache.Runtime.Inference;

namespace PromptCache.Engine;

/// <summary>
/// A multi-turn conversation on top of a prompt: the first turn is the request (cached modules plus
/// its suffix); later turns add text. Turn N+1 computes only its new tokens (the previous answer's last
/// token, the closing marker, the new message, the generation prompt); cached modules stay shared and
/// read-only, and the conversation's own K/V is kept in the engine's store between turns (AttentionStore).
/// </summary>
/// <remarks>
/// <para><b>Where the K/V lives.</b> Between turns the session is one entry of the engine's
/// <see cref="PromptCacheEngine.Store"/> (kind Session, scoped by model, tokenizer, dtype and tenant salt),
/// with its keys stored <i>before</i> RoPE. It counts against the memory tier's budget; under pressure an
/// idle session is spilled to the disk tier (atomic, checksummed) and loaded back on its next turn without
/// recomputation. A turn loads the entry, rotates its keys to their positions into a private segment, computes
/// the new tokens against it, and saves the old rows (verbatim) plus the new rows (un-rotated) as the
/// new entry. An entry that is gone (no disk tier, a corrupt file) is recomputed from the history's tokens.</para>
/// <para><b>Overflow.</b> <see cref="ConversationOptions.Overflow"/>: throw (default) or drop the oldest
/// whole turns, shift the rest down and re-rotate; the schema's modules, arguments and the current turn stay.</para>
/// <para><b>Concurrency.</b> Different conversations may run at once. One conversation's turns are
/// serialised: calling <see cref="Add"/> or starting a turn while a turn is still streaming throws
/// <see cref="InvalidOperationException"/>.</para>
/// </remarks>
public sealed class PromptConversation : IDisposable
{
    private readonly PromptCacheEngine _engine;
    private readonly BoundSchema _schema;
    private readonly IReadOnlyList<KvSegment> _context;
    private readonly ConversationOptions _options;
    private readonly KvSessionStore _sessions;
    private readonly RotaryRotation _rotary;
    private readonly KvDataType _dataType;
    private readonly List<int> _history;
    private readonly List<int> _historyPositions;
    // The rows of the stored entry (the session's own K/V), in storage order: token ids and current positions.
    private readonly List<int> _rowIds = [];
    private readonly List<int> _rowPositions = [];
    // Start position of each turn still in the history; the first is the schema's end.
    private readonly List<int> _turnStarts = [];
    private readonly List<int> _pendingIds = [];
    private readonly List<int> _pendingPositions = [];
    private readonly Lock _sync = new();
    private int? _unforwarded;
    private int _nextPosition;
    private bool _answered;
    private bool _turnOpen = true;
    private bool _busy;
    private bool _disposed;
    private bool _saved;

    internal PromptConversation(PromptCacheEngine engine, BoundSchema schema, RequestPlan plan)
        : this(engine, schema, plan, ConversationOptions.Default)
    {
    }

    internal PromptConversation(PromptCacheEngine engine, BoundSchema schema, RequestPlan plan, ConversationOptions options)
    {
        _engine = engine;
        _schema = schema;
        _context = plan.Context;
        _options = options;
        _rotary = new RotaryRotation(engine.Model.Config);
        _dataType = engine.Options.KvDataType;
        _sessions = engine.SessionStore(options.Persist);
        SessionId = options.SessionId ?? Guid.NewGuid().ToString("N");
        if (!engine.RegisterSession(SessionId))
            throw new ArgumentException($"Session id '{SessionId}' is already used by a live conversation of this engine.", nameof(options));
        _history = [.. plan.AllIds];
        _historyPositions = [.. plan.AllPositions];
        _pendingIds.AddRange(plan.NewIds);
        _pendingPositions.AddRange(plan.NewPositions);
        _nextPosition = plan.NewPositions.Length > 0 ? plan.NewPositions[^1] + 1 : schema.TotalLength;
        _turnStarts.Add(schema.TotalLength);
    }

    /// <summary>The session's id in the store.</summary>
    public string SessionId { get; }

    /// <summary>The session's key in the engine's store.</summary>
    public Runtime.Caching.Keys.KvCacheKey SessionKey => _sessions.KeyFor(SessionId);

    /// <summary>Completed turns.</summary>
    public int Turns { get; private set; }

    /// <summary>Tokens of the conversation's own K/V (everything but the cached modules).</summary>
    public int SessionTokens => _rowIds.Count;

    /// <summary>What the last turn did besides generating (where its history came from, truncation, times).</summary>
    public ConversationTurnInfo? LastTurn { get; private set; }

    /// <summary>Totals over the turns so far.</summary>
    public ConversationCounters Counters { get; private set; } = new();

    /// <summary>The whole conversation so far: token ids (cached ones included) and, in <see cref="HistoryPositions"/>, their positions.
    /// After a truncation the dropped turns are gone and later positions are shifted.</summary>
    public IReadOnlyList<int> HistoryIds => _history;

    /// <summary>Positions of <see cref="HistoryIds"/>.</summary>
    public IReadOnlyList<int> HistoryPositions => _historyPositions;

    /// <summary>
    /// Adds the next message(s). After an answer, the assistant's closing marker comes first; a final
    /// user part is followed by the generation prompt (as in a request's suffix).
    /// </summary>
    /// <exception cref="InvalidOperationException">A turn is streaming.</exception>
    public void Add(params PromptSuffixPart[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ThrowIfBusy();
            if (_answered)
            {
                // The answer's last token is already in the history (sampled, not yet computed); it and the closing
                // marker belong to the answer's turn.
                if (_unforwarded is int last) Pending(last, record: false);
                if (_schema.Markers is { } markers)
                    foreach (int id in markers.End(PmlRoleKind.Assistant)) Pending(id, record: true);
                _unforwarded = null;
                _answered = false;
                _turnOpen = false;
            }
            var ids = SuffixEncoder.Encode(parts, _engine.Tokenizer, _schema.Markers);
            if (!_turnOpen && ids.Count > 0)
            {
                _turnStarts.Add(_nextPosition);
                _turnOpen = true;
            }
            foreach (int id in ids) Pending(id, record: true);
        }
    }

    private void Pending(int id, bool record)
    {
        int position = _nextPosition++;
        _pendingIds.Add(id);
        _pendingPositions.Add(position);
        if (!record) return;
        _history.Add(id);
        _historyPositions.Add(position);
    }

    /// <summary>Computes the pending messages (only those) and streams the answer.</summary>
    /// <exception cref="PromptCacheException">The turn would pass the context window and the overflow policy is <see cref="ConversationOverflow.Throw"/>, or truncation cannot make it fit.</exception>
    /// <exception cref="InvalidOperationException">Nothing was added, or another turn is streaming.</exception>
    public async IAsyncEnumerable<string> StreamAsync(GenerationOptions? options = null, PromptRunStats? stats = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new GenerationOptions();
        stats ??= new PromptRunStats();
        Enter();
        try
        {
            var clock = Stopwatch.StartNew();
            using var turn = await BeginTurnAsync(options.MaxTokens, cancellationToken).ConfigureAwait(false);
            stats.UsedCache = true;
            stats.CachedTokens = _context.Sum(s => s.Count) + turn.HistoryTokens;
            stats.ModuleHits = _context.Count;
            var state = new PromptCacheEngine.DecodeState(turn.Output, _history, _historyPositions) { NextPosition = _nextPosition };
            try
            {
                await foreach (var (_, text) in _engine.DecodeAsync(turn.Ids, turn.Positions, turn.Context, state, options, stats, clock, cancellationToken).ConfigureAwait(false))
                {
                    if (text.Length > 0) yield return text;
                }
            }
            finally
            {
                await EndTurnAsync(turn).ConfigureAwait(false);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Like <see cref="StreamAsync"/>, collected.</summary>
    public async Task<PromptResult> RunAsync(GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var stats = new PromptRunStats();
        var text = new StringBuilder();
        int before = _history.Count;
        await foreach (string piece in StreamAsync(options, stats, cancellationToken).ConfigureAwait(false)) text.Append(piece);
        return new PromptResult(text.ToString(), _history.Skip(before).ToList(), stats);
    }

    /// <summary>
    /// Computes the pending messages and returns the next-token logits (one vocabulary row) without sampling:
    /// a turn with an empty answer (the messages become history; the next <see cref="Add"/> closes the
    /// assistant turn). Overflow is handled as for a turn of <paramref name="maxTokens"/> tokens. For fidelity checks.
    /// </summary>
    public async Task<float[]> ComputeNextLogitsAsync(int maxTokens = 0, CancellationToken cancellationToken = default)
    {
        Enter();
        try
        {
            using var turn = await BeginTurnAsync(maxTokens, cancellationToken).ConfigureAwait(false);
            try
            {
                var result = await _engine.ConversationForwardAsync(turn.Ids, turn.Positions, turn.Context, turn.Output, LogitsMode.Last, cancellationToken).ConfigureAwait(false);
                return result.Row(0).ToArray();
            }
            finally
            {
                await EndTurnAsync(turn).ConfigureAwait(false);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Removes the conversation's K/V from every tier of the store and frees its session id.</summary>
    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed) return;
            _disposed = true;
            // A streaming turn saves once more when it ends; it forgets the entry then.
            if (!_busy) Forget();
        }
    }

    private void Forget()
    {
        try
        {
            _sessions.Remove(SessionId);
        }
        catch (ObjectDisposedException)
        {
            // The engine (and its store) went first: nothing left to remove.
        }
        _engine.UnregisterSession(SessionId);
    }

    private void Enter()
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ThrowIfBusy();
            if (_pendingIds.Count == 0) throw new InvalidOperationException("Nothing to answer: call Add with the next message first.");
            _busy = true;
        }
    }

    private void Exit()
    {
        lock (_sync)
        {
            _busy = false;
            if (_disposed) Forget();
        }
    }

    private void ThrowIfBusy()
    {
        if (_busy) throw new InvalidOperationException($"Conversation '{SessionId}': a turn is still running; a conversation's turns are serialised (finish or dispose the previous stream first).");
    }

    // Applies the overflow policy, then brings the history into memory as a rotated context segment.
    private async Task<Turn> BeginTurnAsync(int maxTokens, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        int storedRows = _rowIds.Count;
        int modelWindow = _engine.Model.Config.ContextLength;
        bool own = _options.MaxPositions is int m && (modelWindow <= 0 || m < modelWindow);
        var plan = OverflowPlanner.Plan(_schema.Name, _turnStarts, _pendingPositions[^1] + 1, maxTokens, own ? _options.MaxPositions!.Value : modelWindow,
            _options.Overflow, Turns + 1, own ? "the conversation's context window (ConversationOptions.MaxPositions)" : "the model's context window");
        List<RowRange> kept = storedRows > 0 ? [new RowRange(0, storedRows)] : [];
        if (plan.DroppedTurns > 0) kept = Truncate(plan);

        var source = SessionSource.None;
        KvLayerwiseLoad? load = null;
        KvSegment? history = null;
        FillingHistory? filling = null;
        int recomputed = 0;
        try
        {
            if (_saved && storedRows > 0)
            {
                load = _sessions.BeginLayerwiseLoad(SessionId);
                var meta = load?.Metadata;
                if (meta is not null && meta.TokenCount == storedRows && !meta.RopeApplied && meta.LayerCount == _engine.Model.Config.LayerCount)
                {
                    source = load!.Source == KvTier.Memory ? SessionSource.Memory : SessionSource.Disk;
                    if (_rowIds.Count > 0)
                    {
                        // Layer-wise: the forward starts now and waits only for layers not yet converted.
                        filling = FillingHistory.Begin(load!, kept, [.. _rowPositions], _rotary, _dataType, RecomputeInto([.. _rowIds], [.. _rowPositions]));
                        history = filling.Segment;
                    }
                }
                else if (load is not null)
                {
                    _engine.ConversationLog($"conversation {SessionId}: the stored session does not match ({meta}); recomputing its {_rowIds.Count} tokens.");
                }
                if (source == SessionSource.None)
                {
                    load?.Dispose();
                    load = null;
                }
            }
            if (source == SessionSource.None && _rowIds.Count > 0)
            {
                // Gone from the store (evicted without a disk tier, rejected, corrupt): recompute it from its tokens.
                source = SessionSource.Recomputed;
                history = _engine.Model.CreateSegment(_dataType, _rowIds.Count);
                await _engine.ConversationForwardAsync([.. _rowIds], [.. _rowPositions], _context, history, LogitsMode.None, ct).ConfigureAwait(false);
                recomputed = _rowIds.Count;
            }
            int[] ids = [.. _pendingIds], pendingPositions = [.. _pendingPositions];
            _pendingIds.Clear();
            _pendingPositions.Clear();
            var info = new ConversationTurnInfo
            {
                Source = source,
                HistoryTokens = _rowIds.Count,
                RecomputedTokens = recomputed,
                DroppedTurns = plan.DroppedTurns,
                DroppedTokens = plan.Shift,
                LoadTime = clock.Elapsed,
            };
            var output = _engine.Model.CreateSegment(_dataType, ids.Length + Math.Min(Math.Max(maxTokens, 1), 4096));
            return new Turn(ids, pendingPositions, load, kept, filling, history, output, history is null ? _context : [.. _context, history], info);
        }
        catch
        {
            load?.Dispose();
            if (filling is not null) filling.Dispose();
            else history?.Dispose();
            throw;
        }
    }

    // Used when a stored session fails verification part-way through its overlapped load: computes the kept
    // history from its tokens straight into the segment (inside the turn's forward, which holds the engine's
    // forward gate, so it calls the model directly).
    private Func<KvSegment, CancellationToken, int> RecomputeInto(int[] ids, int[] positions) => (target, ct) =>
    {
        using var fresh = _engine.Model.CreateSegment(_dataType, ids.Length);
        _engine.Model.Forward(ids, positions, _context, fresh, LogitsMode.None, ContextVisibility.BelowQueryPosition, ct);
        int half = checked((int)(fresh.LayerByteCount / 2));
        var bytes = new byte[fresh.LayerByteCount];
        for (int layer = 0; layer < fresh.LayerCount; layer++)
        {
            fresh.CopyLayerTo(layer, bytes);
            bytes.AsSpan(0, half).CopyTo(target.GetWritableKeys(layer));
            bytes.AsSpan(half).CopyTo(target.GetWritableValues(layer));
        }
        _engine.ConversationLog($"conversation {SessionId}: the stored session failed verification while loading; recomputed its {ids.Length} tokens.");
        return ids.Length;
    };

    // Drops the planned turns from every list and shifts what follows; returns the stored rows to keep.
    private List<RowRange> Truncate(OverflowPlan plan)
    {
        int lo = plan.DropStart, hi = plan.DropEnd, shift = plan.Shift;
        int a = LowerBound(_rowPositions, lo), b = LowerBound(_rowPositions, hi);
        int n = _rowPositions.Count;
        var kept = new List<RowRange>();
        if (a > 0) kept.Add(new RowRange(0, a));
        if (b < n) kept.Add(new RowRange(b, n - b));
        DropAndShift(_rowIds, _rowPositions, lo, hi, shift);
        DropAndShift(_pendingIds, _pendingPositions, lo, hi, shift);
        DropAndShift(_history, _historyPositions, lo, hi, shift);
        _turnStarts.RemoveRange(0, plan.DroppedTurns);
        for (int i = 0; i < _turnStarts.Count; i++) _turnStarts[i] -= shift;
        _nextPosition -= shift;
        return kept;
    }

    private static void DropAndShift(List<int> ids, List<int> positions, int lo, int hi, int shift)
    {
        int a = LowerBound(positions, lo), b = LowerBound(positions, hi);
        ids.RemoveRange(a, b - a);
        positions.RemoveRange(a, b - a);
        for (int i = a; i < positions.Count; i++) positions[i] -= shift;
    }

    // First index whose value is ≥ value (the lists are sorted by position).
    private static int LowerBound(List<int> sorted, int value)
    {
        int index = sorted.BinarySearch(value);
        if (index < 0) return ~index;
        while (index > 0 && sorted[index - 1] == value) index--;
        return index;
    }

    // Records what the turn computed (all of it, or nothing if the prefill did not finish) and saves the session.
    private async Task EndTurnAsync(Turn turn)
    {
        var output = turn.Output;
        var clock = Stopwatch.StartNew();
        if (output.Count < turn.Ids.Length)
        {
            // The prefill did not finish (cancelled or failed): nothing of this turn is kept; its messages stay pending.
            output.Truncate(0);
            _pendingIds.InsertRange(0, turn.Ids);
            _pendingPositions.InsertRange(0, turn.Positions);
        }
        else
        {
            foreach (int position in output.Positions)
            {
                _rowIds.Add(_history[LowerBound(_historyPositions, position)]);
                _rowPositions.Add(position);
            }
            // A token sampled but not pushed through the model (stopped at MaxTokens or a stop string, or the
            // consumer stopped reading) comes first in the next turn, at the position after the last computed row.
            int lastRow = output.Positions[^1];
            _unforwarded = _historyPositions[^1] > lastRow ? _history[^1] : null;
            _nextPosition = lastRow + 1;
            _answered = true;
            Turns++;
        }
        // The previous entry's rows go into the new one only if every layer loaded and verified; a load that
        // failed part-way was replaced by a recompute (or, if the forward stopped first, nothing valid is left).
        bool loadGood = turn.Filling is null || await LoadedAsync(turn.Filling).ConfigureAwait(false);
        bool recomputedInTurn = turn.Filling is { RecomputedTokens: > 0 };
        var previous = loadGood ? turn.Load : null;
        try
        {
            if (!loadGood && !recomputedInTurn) throw new InvalidDataException("the stored session failed verification while loading");
            var blob = new SessionEntryBlob(previous, previous is null ? [] : turn.Kept, turn.History is null || previous is not null ? [output] : [turn.History, output],
                _rowPositions, _rotary, _dataType, _engine.Model.Config.LayerCount, $"{_schema.Name}:session:{SessionId}");
            var result = _rowIds.Count == 0 ? new KvPutResult(KvPutOutcome.Rejected, false) : await _sessions.SaveAsync(SessionId, blob).ConfigureAwait(false);
            _saved = result.Outcome is KvPutOutcome.Stored or KvPutOutcome.StoredOnDiskOnly;
            if (!_saved && _rowIds.Count > 0)
                _engine.ConversationLog($"conversation {SessionId}: the store did not keep the session ({result.Outcome}); its next turn recomputes {_rowIds.Count} tokens.");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _saved = false;
            _engine.ConversationLog($"conversation {SessionId}: saving the session failed ({e.Message}); its next turn recomputes it.");
        }
        var info = turn.Info with { SaveTime = clock.Elapsed };
        if (recomputedInTurn) info = info with { Source = SessionSource.Recomputed, RecomputedTokens = turn.Filling!.RecomputedTokens };
        LastTurn = info;
        Counters = Counters.Add(info);
        _engine.ConversationTurnCompleted(info);
    }

    private static async Task<bool> LoadedAsync(FillingHistory filling)
    {
        try
        {
            return await filling.Completion.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>One turn's inputs and the memory it holds until saved.</summary>
    private sealed class Turn(int[] ids, int[] positions, KvLayerwiseLoad? load, List<RowRange> kept, FillingHistory? filling, KvSegment? history,
        KvSegment output, IReadOnlyList<KvSegment> context, ConversationTurnInfo info) : IDisposable
    {
        public int[] Ids { get; } = ids;

        public int[] Positions { get; } = positions;

        /// <summary>The previous entry (pre-RoPE rows), held until the new one is saved.</summary>
        public KvLayerwiseLoad? Load { get; } = load;

        public List<RowRange> Kept { get; } = kept;

        /// <summary>The layer-wise fill of <see cref="History"/> from <see cref="Load"/>, when the history came from the store.</summary>
        public FillingHistory? Filling { get; } = filling;

        /// <summary>The history with keys rotated to their positions (materialised or recomputed).</summary>
        public KvSegment? History { get; } = history;

        public KvSegment Output { get; } = output;

        public IReadOnlyList<KvSegment> Context { get; } = context;

        public ConversationTurnInfo Info { get; } = info;

        public int HistoryTokens => History?.Count ?? 0;

        public void Dispose()
        {
            // The fill reads the load: stop it first.
            if (Filling is not null) Filling.Dispose();
            else History?.Dispose();
            Load?.Dispose();
            Output.Dispose();
        }
    }
}
