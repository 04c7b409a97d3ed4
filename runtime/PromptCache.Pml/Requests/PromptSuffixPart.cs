using System;
using PromptCache.Pml.Syntax;

namespace PromptCache.Pml.Requests
{
    /// <summary>A piece of a request's uncached suffix: plain text, or text wrapped in a role's markers.</summary>
    public sealed class PromptSuffixPart : IEquatable<PromptSuffixPart>
    {
        /// <summary>Creates a part.</summary>
        /// <param name="role">The role whose markers wrap the text, or null for plain text.</param>
        /// <param name="text">The text.</param>
        public PromptSuffixPart(PmlRoleKind? role, string text)
        {
            Role = role;
            Text = text ?? throw new ArgumentNullException(nameof(text));
        }

        /// <summary>Plain text (no role markers).</summary>
        public static PromptSuffixPart Plain(string text) => new PromptSuffixPart(null, text);

        /// <summary>Text in the user role.</summary>
        public static PromptSuffixPart User(string text) => new PromptSuffixPart(PmlRoleKind.User, text);

        /// <summary>Text in the system role.</summary>
        public static PromptSuffixPart System(string text) => new PromptSuffixPart(PmlRoleKind.System, text);

        /// <summary>Text in the assistant role.</summary>
        public static PromptSuffixPart Assistant(string text) => new PromptSuffixPart(PmlRoleKind.Assistant, text);

        /// <summary>The role, or null for plain text.</summary>
        public PmlRoleKind? Role { get; }

        /// <summary>The text.</summary>
        public string Text { get; }

        /// <inheritdoc/>
        public bool Equals(PromptSuffixPart? other) => other is not null && Role == other.Role && Text == other.Text;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as PromptSuffixPart);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCombiner.Combine(Role.HasValue ? (int)Role.Value + 1 : 0, Text.GetHashCode());
    }
}
