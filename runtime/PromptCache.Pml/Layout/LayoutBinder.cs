using System;
using System.Collections.Generic;

namespace PromptCache.Pml.Layout
{
    /// <summary>
    /// THE position algorithm of PML (PML.md, "Positions"). Kept in one place so that the generator
    /// and the runtime compute identical offsets.
    /// </summary>
    internal static class LayoutBinder
    {
        private sealed class UnionFrame
        {
            public UnionFrame(int index, int start)
            {
                Index = index;
                Start = start;
                MaxEnd = start;
            }

            public int Index { get; }
            public int Start { get; }
            public int MaxEnd { get; set; }
        }

        public static BoundLayout Bind(SchemaLayout layout, ITokenCounter counter, IRoleMarkers? markers, int? contextLength)
        {
            var elements = layout.Elements;
            var offsets = new int[elements.Count];
            var lengths = new int[elements.Count];
            var diagnostics = new List<PmlDiagnostic>();
            var moduleStarts = new Stack<int>();
            var unions = new Stack<UnionFrame>();
            // Long is used while summing so that a pathological schema reports "too long" instead of overflowing.
            long offset = 0;

            for (int i = 0; i < elements.Count; i++)
            {
                var e = elements[i];
                switch (e.Kind)
                {
                    case LayoutElementKind.Text:
                        offsets[i] = Clamp(offset);
                        lengths[i] = Math.Max(0, counter.CountTokens(e.Text ?? string.Empty));
                        break;
                    case LayoutElementKind.RoleBegin:
                        offsets[i] = Clamp(offset);
                        lengths[i] = markers is null || e.Role is null ? 0 : Math.Max(0, markers.CountBeginTokens(e.Role.Value));
                        break;
                    case LayoutElementKind.RoleEnd:
                        offsets[i] = Clamp(offset);
                        lengths[i] = markers is null || e.Role is null ? 0 : Math.Max(0, markers.CountEndTokens(e.Role.Value));
                        break;
                    case LayoutElementKind.Parameter:
                        offsets[i] = Clamp(offset);
                        lengths[i] = e.ParameterLength;
                        if (e.Scaffold is not null)
                        {
                            int scaffoldTokens = counter.CountTokens(e.Scaffold);
                            if (scaffoldTokens > e.ParameterLength)
                            {
                                diagnostics.Add(PmlDiagnostic.Create(
                                    PmlDiagnostics.ScaffoldLongerThanSlot, e.Location,
                                    layout.SchemaName, e.ModulePathString, e.Name, scaffoldTokens, e.ParameterLength));
                            }
                        }
                        break;
                    case LayoutElementKind.UnionStart:
                        offsets[i] = Clamp(offset);
                        unions.Push(new UnionFrame(i, offsets[i]));
                        break;
                    case LayoutElementKind.ModuleStart:
                        // Every union member restarts at the union's offset: that is what makes the
                        // member's positions independent of which member a request picks.
                        if (e.IsUnionMember && unions.Count > 0)
                            offset = unions.Peek().Start;
                        offsets[i] = Clamp(offset);
                        moduleStarts.Push(i);
                        break;
                    case LayoutElementKind.ModuleEnd:
                        offsets[i] = Clamp(offset);
                        if (moduleStarts.Count > 0)
                        {
                            int start = moduleStarts.Pop();
                            lengths[start] = Clamp(offset - offsets[start]);
                        }
                        if (e.IsUnionMember && unions.Count > 0)
                            unions.Peek().MaxEnd = Math.Max(unions.Peek().MaxEnd, Clamp(offset));
                        break;
                    case LayoutElementKind.UnionEnd:
                        if (unions.Count > 0)
                        {
                            var frame = unions.Pop();
                            offset = frame.MaxEnd;
                            lengths[frame.Index] = frame.MaxEnd - frame.Start;
                        }
                        offsets[i] = Clamp(offset);
                        break;
                }
                offset += lengths[i] * (e.Kind == LayoutElementKind.ModuleStart || e.Kind == LayoutElementKind.UnionStart ? 0 : 1);
            }

            int total = Clamp(offset);
            if (contextLength.HasValue && offset > contextLength.Value)
            {
                diagnostics.Add(PmlDiagnostic.Create(
                    PmlDiagnostics.SchemaLongerThanContext, layout.SchemaLocation, layout.SchemaName, offset, contextLength.Value));
            }

            var bound = new BoundElement[elements.Count];
            for (int i = 0; i < bound.Length; i++)
                bound[i] = new BoundElement(elements[i], offsets[i], lengths[i]);
            return new BoundLayout(layout, new EquatableArray<BoundElement>(bound), total, new EquatableArray<PmlDiagnostic>(diagnostics));
        }

        private static int Clamp(long value) => value > int.MaxValue ? int.MaxValue : (int)value;
    }
}
