using System.Collections.Generic;

namespace PromptCache.Pml.Requests
{
    /// <summary>Where a parsed module reference and its arguments are, so validation can point into the prompt file.</summary>
    internal sealed class SelectionSite
    {
        public SelectionSite(PmlLocation element, IReadOnlyList<PmlLocation> arguments)
        {
            Element = element;
            Arguments = arguments;
        }

        public PmlLocation Element { get; }

        public IReadOnlyList<PmlLocation> Arguments { get; }
    }
}
