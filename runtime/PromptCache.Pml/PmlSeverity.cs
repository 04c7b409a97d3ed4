namespace PromptCache.Pml
{
    /// <summary>How serious a PML diagnostic is. Maps one-to-one onto Roslyn's DiagnosticSeverity.</summary>
    public enum PmlSeverity
    {
        /// <summary>The schema or prompt cannot be used as written.</summary>
        Error,

        /// <summary>Accepted, but probably not what the author meant.</summary>
        Warning,

        /// <summary>For information only.</summary>
        Info,
    }
}
