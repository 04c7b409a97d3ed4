using System;

namespace PromptCache.Pml.Layout
{
    /// <summary>A schema layout with token-exact offsets for one tokenizer (see <see cref="SchemaLayout.Bind"/>).</summary>
    public sealed class BoundLayout : IEquatable<BoundLayout>
    {
        /// <summary>Creates a bound layout.</summary>
        public BoundLayout(SchemaLayout layout, EquatableArray<BoundElement> elements, int totalLength, EquatableArray<PmlDiagnostic> diagnostics)
        {
            Layout = layout;
            Elements = elements;
            TotalLength = totalLength;
            Diagnostics = diagnostics;
        }

        /// <summary>The structural layout that was bound.</summary>
        public SchemaLayout Layout { get; }

        /// <summary>Every element with its offset and length, in document order.</summary>
        public EquatableArray<BoundElement> Elements { get; }

        /// <summary>The schema's length in tokens; a request's suffix starts at this position.</summary>
        public int TotalLength { get; }

        /// <summary>Problems found while binding (scaffold longer than slot, schema longer than the context).</summary>
        public EquatableArray<PmlDiagnostic> Diagnostics { get; }

        /// <summary>True when any diagnostic is an error.</summary>
        public bool HasErrors => PmlDiagnostic.AnyError(Diagnostics);

        /// <summary>The module start element for <paramref name="modulePath"/> ('/'-separated), or null.</summary>
        public BoundElement? GetModule(string modulePath)
        {
            foreach (var e in Elements)
            {
                if (e.Element.Kind == LayoutElementKind.ModuleStart && e.Element.ModulePathString == modulePath)
                    return e;
            }
            return null;
        }

        /// <summary>The parameter <paramref name="parameterName"/> of module <paramref name="modulePath"/>, or null.</summary>
        public BoundElement? GetParameter(string modulePath, string parameterName)
        {
            foreach (var e in Elements)
            {
                if (e.Element.Kind == LayoutElementKind.Parameter && e.Element.Name == parameterName && e.Element.ModulePathString == modulePath)
                    return e;
            }
            return null;
        }

        /// <inheritdoc/>
        public bool Equals(BoundLayout? other) =>
            other is not null && TotalLength == other.TotalLength && Layout.Equals(other.Layout)
            && Elements.Equals(other.Elements) && Diagnostics.Equals(other.Diagnostics);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as BoundLayout);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCombiner.Combine(Layout.GetHashCode(), TotalLength, Elements.GetHashCode());
    }
}
