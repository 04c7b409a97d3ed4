using System;

namespace PromptCache.Pml.Requests
{
    /// <summary>A value for one parameter slot of a selected module.</summary>
    public sealed class PromptArgument : IEquatable<PromptArgument>
    {
        /// <summary>Creates an argument.</summary>
        public PromptArgument(string parameterName, string value)
        {
            ParameterName = parameterName ?? throw new ArgumentNullException(nameof(parameterName));
            Value = value ?? throw new ArgumentNullException(nameof(value));
        }

        /// <summary>The PML name of the parameter.</summary>
        public string ParameterName { get; }

        /// <summary>The text encoded into the parameter's slot.</summary>
        public string Value { get; }

        /// <inheritdoc/>
        public bool Equals(PromptArgument? other) => other is not null && ParameterName == other.ParameterName && Value == other.Value;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as PromptArgument);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCombiner.Combine(ParameterName.GetHashCode(), Value.GetHashCode());

        /// <inheritdoc/>
        public override string ToString() => ParameterName + "=\"" + Value + "\"";
    }
}
