using System;

namespace PromptCache.Pml.Syntax
{
    /// <summary>
    /// A node of a parsed schema: text, a role tag, a module, a parameter or a union. Nodes are
    /// immutable and compare by value, so incremental generators can cache on them.
    /// </summary>
    public abstract class PmlNode : IEquatable<PmlNode>
    {
        /// <summary>Sets the node's location.</summary>
        protected PmlNode(PmlLocation location)
        {
            Location = location ?? PmlLocation.None;
        }

        /// <summary>Where the node is: the start tag for elements, the raw text for text.</summary>
        public PmlLocation Location { get; }

        /// <inheritdoc/>
        public abstract bool Equals(PmlNode? other);

        /// <inheritdoc/>
        public sealed override bool Equals(object? obj) => Equals(obj as PmlNode);

        /// <inheritdoc/>
        public abstract override int GetHashCode();
    }
}
