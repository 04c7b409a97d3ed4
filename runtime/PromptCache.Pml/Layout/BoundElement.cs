using System;

namespace PromptCache.Pml.Layout
{
    /// <summary>A layout element with its token range <c>[Offset, Offset + Length)</c> once bound to a tokenizer.</summary>
    public sealed class BoundElement : IEquatable<BoundElement>
    {
        /// <summary>Creates a bound element.</summary>
        public BoundElement(LayoutElement element, int offset, int length)
        {
            Element = element;
            Offset = offset;
            Length = length;
        }

        /// <summary>The structural element.</summary>
        public LayoutElement Element { get; }

        /// <summary>First position ID.</summary>
        public int Offset { get; }

        /// <summary>Number of positions (a module's or union's whole extent for their start elements).</summary>
        public int Length { get; }

        /// <summary>One past the last position ID.</summary>
        public int End => Offset + Length;

        /// <inheritdoc/>
        public bool Equals(BoundElement? other) => other is not null && Offset == other.Offset && Length == other.Length && Element.Equals(other.Element);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as BoundElement);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCombiner.Combine(Element.GetHashCode(), Offset, Length);

        /// <inheritdoc/>
        public override string ToString() => Element + " [" + Offset + ", " + End + ")";
    }
}
