using PromptCache.Engine.Binding;
using PromptCache.Pml.Layout;
using PromptCache.Runtime.Inference;

namespace PromptCache.Engine.Precompute;

/// <summary>
/// Computes the K/V of every cacheable module of a bound schema the way the reference does: one pass
/// over the default scaffold path (each union at its default member, parameter slots filled with
/// their scaffold), then, for each other union member, a pass over that member only, with the default
/// path's K/V before the union as context (reused, never recomputed).
/// </summary>
/// <remarks>
/// <para>A pass is cut into pieces at every change of owner (the root, a module, a parameter slot).
/// Each piece is one forward whose new tokens are appended to their owner's segment and attend to
/// every segment computed before them in the pass; that is exactly one causal pass over the path,
/// and it leaves one segment per owner, so no slicing is needed.</para>
/// <para>Non-default members are handled when the walk reaches their union, before the default
/// member is walked: at that moment every segment holds only tokens before the union, which is the
/// context the member must see.</para>
/// <para>Parameter-slot segments and <c>cache="false"</c> modules serve as context during the pass
/// and are then dropped: their K/V is never reused for arguments.</para>
/// </remarks>
internal sealed class ScaffoldPrecompute
{
    /// <summary>The owner of the schema root's own tokens (and the preamble).</summary>
    public const string RootOwner = "";

    private readonly BoundSchema _schema;
    private readonly Func<ForwardCall, CancellationToken, Task> _forward;
    private readonly LlamaModel _model;
    private readonly KvDataType _dataType;
    private readonly Dictionary<string, KvSegment> _kept = new(StringComparer.Ordinal);

    private ScaffoldPrecompute(BoundSchema schema, LlamaModel model, KvDataType dataType, Func<ForwardCall, CancellationToken, Task> forward)
    {
        _schema = schema;
        _model = model;
        _dataType = dataType;
        _forward = forward;
    }

    /// <summary>Tokens pushed through the model by the passes.</summary>
    public int ComputedTokens { get; private set; }

    /// <summary>
    /// Runs the passes; returns the root's and each cacheable module's segment (owners without
    /// tokens have none). The caller owns the segments.
    /// </summary>
    public static async Task<(Dictionary<string, KvSegment> Segments, int ComputedTokens)> RunAsync(
        BoundSchema schema, LlamaModel model, KvDataType dataType, Func<ForwardCall, CancellationToken, Task> forward, CancellationToken cancellationToken)
    {
        var run = new ScaffoldPrecompute(schema, model, dataType, forward);
        try
        {
            var main = new Pass([]);
            try
            {
                await run.EmitAsync(main, RootOwner, schema.PreambleIds, 0, cancellationToken).ConfigureAwait(false);
                await run.WalkAsync(0, schema.Layout.Elements.Count, main, cancellationToken).ConfigureAwait(false);
                await run.FlushAsync(main, cancellationToken).ConfigureAwait(false);
                run.Harvest(main);
            }
            finally
            {
                main.DisposeSegments();
            }
            return (run._kept, run.ComputedTokens);
        }
        catch
        {
            foreach (var s in run._kept.Values) s.Dispose();
            throw;
        }
    }

    private async Task WalkAsync(int from, int to, Pass pass, CancellationToken ct)
    {
        var elements = _schema.Layout.Elements;
        for (int i = from; i < to; i++)
        {
            var bound = elements[i];
            var e = bound.Element;
            switch (e.Kind)
            {
                case LayoutElementKind.Text or LayoutElementKind.RoleBegin or LayoutElementKind.RoleEnd:
                    await EmitAsync(pass, e.ModulePathString, _schema.ElementIds[i], _schema.Position(bound.Offset), ct).ConfigureAwait(false);
                    break;
                case LayoutElementKind.Parameter:
                    await EmitAsync(pass, SlotOwner(e), _schema.ElementIds[i], _schema.Position(bound.Offset), ct).ConfigureAwait(false);
                    break;
                case LayoutElementKind.UnionStart:
                    i = await UnionAsync(i, pass, ct).ConfigureAwait(false);
                    break;
            }
        }
    }

    // Handles the union starting at `start`; returns the index of its UnionEnd.
    private async Task<int> UnionAsync(int start, Pass pass, CancellationToken ct)
    {
        var elements = _schema.Layout.Elements;
        string? defaultMember = elements[start].Element.UnionDefaultMember;
        var members = new List<(string Name, int Start, int End)>();
        int depth = 0, i = start + 1;
        for (; i < elements.Count; i++)
        {
            var e = elements[i].Element;
            if (e.Kind == LayoutElementKind.UnionStart) depth++;
            else if (e.Kind == LayoutElementKind.UnionEnd && depth-- == 0) break;
            else if (e.Kind == LayoutElementKind.ModuleStart && depth == 0 && e.IsUnionMember) members.Add((e.Name ?? "", i, EndOf(i)));
        }

        await FlushAsync(pass, ct).ConfigureAwait(false);
        foreach (var m in members.Where(m => m.Name != defaultMember))
        {
            // A member off the default path: its own pass, seeing everything before the union.
            var variant = new Pass([.. pass.Context, .. pass.Segments.Values]);
            try
            {
                await WalkAsync(m.Start, m.End + 1, variant, ct).ConfigureAwait(false);
                await FlushAsync(variant, ct).ConfigureAwait(false);
                Harvest(variant);
            }
            finally
            {
                variant.DisposeSegments(); // Slots and uncached modules: context only.
            }
        }

        var chosen = members.FirstOrDefault(m => m.Name == defaultMember);
        if (chosen.Name is not null) await WalkAsync(chosen.Start, chosen.End + 1, pass, ct).ConfigureAwait(false);
        return i;
    }

    private int EndOf(int moduleStart)
    {
        var elements = _schema.Layout.Elements;
        string path = elements[moduleStart].Element.ModulePathString;
        for (int j = moduleStart + 1; j < elements.Count; j++)
        {
            var e = elements[j].Element;
            if (e.Kind == LayoutElementKind.ModuleEnd && e.ModulePathString == path) return j;
        }
        throw new InvalidOperationException($"Schema '{_schema.Name}': module '{path}' has no end in the layout.");
    }

    private static string SlotOwner(LayoutElement parameter) => "\u0001slot:" + parameter.ModulePathString + "/" + parameter.Name;

    // Adds an element's tokens to the piece being collected; a change of owner ends the piece.
    private async Task EmitAsync(Pass pass, string owner, int[] ids, int firstPosition, CancellationToken ct)
    {
        if (ids.Length == 0) return;
        if (pass.PendingOwner != owner || pass.PendingCount >= _model.MaxChunkTokens) await FlushAsync(pass, ct).ConfigureAwait(false);
        pass.PendingOwner = owner;
        pass.PendingIds.AddRange(ids);
        pass.PendingPositions.AddRange(Enumerable.Range(firstPosition, ids.Length));
    }

    private async Task FlushAsync(Pass pass, CancellationToken ct)
    {
        if (pass.PendingCount == 0) return;
        string owner = pass.PendingOwner!;
        if (!pass.Segments.TryGetValue(owner, out var output))
            pass.Segments[owner] = output = _model.CreateSegment(_dataType, Math.Max(16, pass.PendingCount));
        var context = new List<KvSegment>(pass.Context);
        context.AddRange(pass.Segments.Values.Where(s => !ReferenceEquals(s, output)));
        var call = new ForwardCall([.. pass.PendingIds], [.. pass.PendingPositions], context, output);
        pass.ClearPending();
        await _forward(call, ct).ConfigureAwait(false);
        ComputedTokens += call.Ids.Length;
    }

    // Moves the root's and the cacheable modules' segments of a finished pass into the result.
    private void Harvest(Pass pass)
    {
        foreach (var (owner, segment) in pass.Segments.ToList())
        {
            bool keep = owner == RootOwner || (_schema.Modules.TryGetValue(owner, out var m) && m.IsCacheable);
            if (!keep || segment.Count == 0 || _kept.ContainsKey(owner)) continue;
            _kept[owner] = segment;
            pass.Segments.Remove(owner);
        }
    }

    /// <summary>The state of one pass: the context it inherits, its owners' segments, the piece being collected.</summary>
    private sealed class Pass(List<KvSegment> context)
    {
        public List<KvSegment> Context { get; } = context;

        public Dictionary<string, KvSegment> Segments { get; } = new(StringComparer.Ordinal);

        public string? PendingOwner { get; set; }

        public List<int> PendingIds { get; } = [];

        public List<int> PendingPositions { get; } = [];

        public int PendingCount => PendingIds.Count;

        public void ClearPending()
        {
            PendingIds.Clear();
            PendingPositions.Clear();
        }

        public void DisposeSegments()
        {
            foreach (var s in Segments.Values) s.Dispose();
            Segments.Clear();
        }
    }
}

/// <summary>One forward of new tokens into <see cref="Output"/>, attending to <see cref="Context"/>.</summary>
internal sealed record ForwardCall(int[] Ids, int[] Positions, IReadOnlyList<KvSegment> Context, KvSegment Output);
