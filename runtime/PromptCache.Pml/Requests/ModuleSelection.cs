using System;
using System.Collections.Generic;

namespace PromptCache.Pml.Requests
{
    /// <summary>
    /// One selected module, named by its path of PML module names from the schema root
    /// (union members appear under their parent module: <c>travel-plan/overseas/tokyo</c>),
    /// with the arguments for its own parameters.
    /// </summary>
    public sealed class ModuleSelection : IEquatable<ModuleSelection>
    {
        /// <summary>Creates a selection.</summary>
        public ModuleSelection(EquatableArray<string> path, EquatableArray<PromptArgument> arguments)
        {
            if (path.Count == 0)
                throw new ArgumentException("A module path names at least one module.", nameof(path));
            Path = path;
            Arguments = arguments;
        }

        /// <summary>Creates a selection without arguments from path segments.</summary>
        public ModuleSelection(params string[] path)
            : this(new EquatableArray<string>(path), EquatableArray<PromptArgument>.Empty)
        {
        }

        /// <summary>Creates a selection from path segments and arguments.</summary>
        public ModuleSelection(IEnumerable<string> path, IEnumerable<PromptArgument>? arguments)
            : this(new EquatableArray<string>(path), new EquatableArray<PromptArgument>(arguments))
        {
        }

        /// <summary>PML module names from the root scope down to this module.</summary>
        public EquatableArray<string> Path { get; }

        /// <summary>Arguments for this module's own parameters.</summary>
        public EquatableArray<PromptArgument> Arguments { get; }

        /// <summary>The module's own name (the last path segment).</summary>
        public string Name => Path[Path.Count - 1];

        /// <summary>The path joined with '/', e.g. <c>travel-plan/overseas/tokyo</c>.</summary>
        public string PathString => string.Join("/", Path.ToArray());

        /// <summary>The value given for <paramref name="parameterName"/>, or null.</summary>
        public string? GetArgument(string parameterName)
        {
            foreach (var a in Arguments)
            {
                if (a.ParameterName == parameterName)
                    return a.Value;
            }
            return null;
        }

        /// <inheritdoc/>
        public bool Equals(ModuleSelection? other) => other is not null && Path.Equals(other.Path) && Arguments.Equals(other.Arguments);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as ModuleSelection);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCombiner.Combine(Path.GetHashCode(), Arguments.GetHashCode());

        /// <inheritdoc/>
        public override string ToString() => PathString;
    }
}
