namespace PromptCache.Generators.Emit;

/// <summary>Fully qualified names the generated code uses, written once so no emitter spells them twice.</summary>
internal static class GeneratedNames
{
    public const string Selection = "global::PromptCache.Pml.Requests.ModuleSelection";
    public const string Request = "global::PromptCache.Pml.Requests.PromptRequest";
    public const string SuffixPart = "global::PromptCache.Pml.Requests.PromptSuffixPart";
    public const string Layout = "global::PromptCache.Pml.Layout.SchemaLayout";
    public const string LayoutElement = "global::PromptCache.Pml.Layout.LayoutElement";
    public const string LayoutElementKind = "global::PromptCache.Pml.Layout.LayoutElementKind";
    public const string RoleKind = "global::PromptCache.Pml.Syntax.PmlRoleKind";
    public const string Func = "global::System.Func";
    public const string ReadOnlyDictionary = "global::System.Collections.Generic.IReadOnlyDictionary<string, string>";
    public const string Dictionary = "global::System.Collections.Generic.Dictionary<string, string>";

    /// <summary>The namespace of the per-assembly support code (helpers and the registry).</summary>
    public const string SupportNamespace = "PromptCache.Generated";
    public const string Selections = "global::PromptCache.Generated.PromptSelections";
    public const string Layouts = "global::PromptCache.Generated.PromptLayouts";

    /// <summary>The local that holds the selection slots inside generated methods; PML names cannot end in '_', so no argument can clash.</summary>
    public const string SlotsLocal = "slots_";

    /// <summary>The attribute that marks generated types, with the generator's version (scrubbed in snapshots).</summary>
    public static string GeneratedCodeAttribute =>
        "[global::System.CodeDom.Compiler.GeneratedCode(\"PromptCache.Generators\", \"" +
        typeof(GeneratedNames).Assembly.GetName().Version + "\")]";
}
