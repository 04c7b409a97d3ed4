using System;
using PromptCache.Pml.Syntax;

namespace PromptCache.Pml.Layout
{
    /// <summary>
    /// One entry of a schema's structural layout, in document order. Which properties are
    /// meaningful depends on <see cref="Kind"/>; the others are null, false or zero.
    /// </summary>
    public sealed class LayoutElement : IEquatable<LayoutElement>
    {
        /// <summary>Creates an element (the layout builder is the usual caller).</summary>
        public LayoutElement(
            LayoutElementKind kind,
            int depth,
            EquatableArray<string> modulePath,
            string? name,
            string? text,
            PmlRoleKind? role,
            int parameterLength,
            string? scaffold,
            bool isCacheable,
            bool isUnionMember,
            bool isOnDefaultPath,
            EquatableArray<string> unionMembers,
            string? unionDefaultMember,
            PmlLocation location)
        {
            Kind = kind;
            Depth = depth;
            ModulePath = modulePath;
            Name = name;
            Text = text;
            Role = role;
            ParameterLength = parameterLength;
            Scaffold = scaffold;
            IsCacheable = isCacheable;
            IsUnionMember = isUnionMember;
            IsOnDefaultPath = isOnDefaultPath;
            UnionMembers = unionMembers;
            UnionDefaultMember = unionDefaultMember;
            Location = location ?? PmlLocation.None;
        }

        /// <summary>What the element is.</summary>
        public LayoutElementKind Kind { get; }

        /// <summary>Nesting depth: 0 for the schema's own content, +1 inside each module.</summary>
        public int Depth { get; }

        /// <summary>
        /// For module start/end: that module's path. For everything else: the enclosing module's path
        /// (empty at the schema root).
        /// </summary>
        public EquatableArray<string> ModulePath { get; }

        /// <summary>Module or parameter name; null otherwise.</summary>
        public string? Name { get; }

        /// <summary>The text of a <see cref="LayoutElementKind.Text"/> element.</summary>
        public string? Text { get; }

        /// <summary>The role of a role marker.</summary>
        public PmlRoleKind? Role { get; }

        /// <summary>Slot length in tokens of a parameter.</summary>
        public int ParameterLength { get; }

        /// <summary>A parameter's scaffold text, or null.</summary>
        public string? Scaffold { get; }

        /// <summary>For modules: false when the module has <c>cache="false"</c>.</summary>
        public bool IsCacheable { get; }

        /// <summary>For modules: true when the module is a member of a union.</summary>
        public bool IsUnionMember { get; }

        /// <summary>
        /// True when the element lies on the default (scaffold) path: the context used while the
        /// rest of the schema is precomputed (every union resolved to its default member).
        /// </summary>
        public bool IsOnDefaultPath { get; }

        /// <summary>For a union start: its members' names.</summary>
        public EquatableArray<string> UnionMembers { get; }

        /// <summary>For a union start: the default member's name.</summary>
        public string? UnionDefaultMember { get; }

        /// <summary>Where the element comes from.</summary>
        public PmlLocation Location { get; }

        /// <summary>The module path joined with '/'.</summary>
        public string ModulePathString => string.Join("/", ModulePath.ToArray());

        /// <inheritdoc/>
        public bool Equals(LayoutElement? other) =>
            other is not null && Kind == other.Kind && Depth == other.Depth && ModulePath.Equals(other.ModulePath)
            && Name == other.Name && Text == other.Text && Role == other.Role && ParameterLength == other.ParameterLength
            && Scaffold == other.Scaffold && IsCacheable == other.IsCacheable && IsUnionMember == other.IsUnionMember
            && IsOnDefaultPath == other.IsOnDefaultPath && UnionMembers.Equals(other.UnionMembers)
            && UnionDefaultMember == other.UnionDefaultMember && Location.Equals(other.Location);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as LayoutElement);

        /// <inheritdoc/>
        public override int GetHashCode() =>
            HashCombiner.Combine((int)Kind, Depth, ModulePath.GetHashCode(), HashCombiner.Of(Name), HashCombiner.Of(Text), ParameterLength, Location.GetHashCode());

        /// <inheritdoc/>
        public override string ToString() => Kind + " " + (Name ?? Text ?? Role?.ToString() ?? string.Empty);
    }
}
