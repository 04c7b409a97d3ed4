using System.Collections.Generic;

namespace PromptCache.Pml
{
    /// <summary>
    /// THE catalog of PML diagnostics, shared by the parser, the layout binder, the generator, the
    /// analyzers and the CLI so that they never disagree. IDs are stable: never renumber, only append.
    /// </summary>
    public static class PmlDiagnostics
    {
        /// <summary>PCG0001: Malformed markup.</summary>
        public static readonly PmlDiagnosticDescriptor MalformedMarkup = new PmlDiagnosticDescriptor(
            "PCG0001",
            "Malformed markup",
            "{0}",
            PmlSeverity.Error,
            "PML.Syntax",
            "The file is not well-formed PML: a tag, comment, CDATA section or attribute could not be read. Fix the markup at the reported position.");

        /// <summary>PCG0002: Unclosed element.</summary>
        public static readonly PmlDiagnosticDescriptor UnclosedElement = new PmlDiagnosticDescriptor(
            "PCG0002",
            "Unclosed element",
            "Element <{0}> is never closed; add </{0}>",
            PmlSeverity.Error,
            "PML.Syntax",
            "Every PML element (schema, module, union, role tags) needs a matching closing tag or must be self-closing (<parameter .../>).");

        /// <summary>PCG0003: Mismatched closing tag.</summary>
        public static readonly PmlDiagnosticDescriptor MismatchedClosingTag = new PmlDiagnosticDescriptor(
            "PCG0003",
            "Mismatched closing tag",
            "Closing tag </{0}> does not match the open element <{1}>",
            PmlSeverity.Error,
            "PML.Syntax",
            "A closing tag must close the innermost open element. Check the nesting of your modules and unions.");

        /// <summary>PCG0004: Invalid name.</summary>
        public static readonly PmlDiagnosticDescriptor InvalidName = new PmlDiagnosticDescriptor(
            "PCG0004",
            "Invalid name",
            "{0} name '{1}' is invalid: it must match ^[a-zA-Z_][a-zA-Z0-9_\\-.]*$",
            PmlSeverity.Error,
            "PML.Schema",
            "Schema, module and parameter names start with a letter or underscore and continue with letters, digits, '_', '-' or '.'.");

        /// <summary>PCG0005: Duplicate module name.</summary>
        public static readonly PmlDiagnosticDescriptor DuplicateModuleName = new PmlDiagnosticDescriptor(
            "PCG0005",
            "Duplicate module name",
            "Module '{0}' is already defined in this scope (first at line {1}); union members count in their parent's scope",
            PmlSeverity.Error,
            "PML.Schema",
            "Module names must be unique among the modules of one parent, and the members of a union belong to the parent's scope, so a prompt can select each by name.");

        /// <summary>PCG0006: Duplicate parameter name.</summary>
        public static readonly PmlDiagnosticDescriptor DuplicateParameterName = new PmlDiagnosticDescriptor(
            "PCG0006",
            "Duplicate parameter name",
            "Parameter '{0}' is already defined in module '{1}' (first at line {2})",
            PmlSeverity.Error,
            "PML.Schema",
            "Parameter names must be unique within their module; a prompt passes arguments by parameter name.");

        /// <summary>PCG0007: Missing parameter length.</summary>
        public static readonly PmlDiagnosticDescriptor MissingParameterLength = new PmlDiagnosticDescriptor(
            "PCG0007",
            "Missing parameter length",
            "Parameter '{0}' has no 'length': say how many tokens its slot reserves",
            PmlSeverity.Error,
            "PML.Schema",
            "A parameter reserves a fixed number of token positions so that everything after it has a fixed offset. Add length=\"N\" with N a positive integer.");

        /// <summary>PCG0008: Invalid parameter length.</summary>
        public static readonly PmlDiagnosticDescriptor InvalidParameterLength = new PmlDiagnosticDescriptor(
            "PCG0008",
            "Invalid parameter length",
            "Parameter '{0}' has length '{1}': it must be a positive integer",
            PmlSeverity.Error,
            "PML.Schema",
            "The length of a parameter slot is a count of tokens: a positive integer such as length=\"10\".");

        /// <summary>PCG0009: Parameter directly under schema.</summary>
        public static readonly PmlDiagnosticDescriptor ParameterUnderSchema = new PmlDiagnosticDescriptor(
            "PCG0009",
            "Parameter directly under schema",
            "Parameter '{0}' is not allowed directly under <schema>; put it inside a <module>",
            PmlSeverity.Error,
            "PML.Schema",
            "The schema root is not a module that a prompt can pass arguments to. Wrap the parameter in a module.");

        /// <summary>PCG0010: Non-module child of a union.</summary>
        public static readonly PmlDiagnosticDescriptor NonModuleInUnion = new PmlDiagnosticDescriptor(
            "PCG0010",
            "Non-module child of a union",
            "<union> may contain only <module> children, but found <{0}>",
            PmlSeverity.Error,
            "PML.Schema",
            "Exactly one member of a union is chosen per prompt, and every member starts at the union's offset. Only modules can be members.");

        /// <summary>PCG0011: Union scaffold names no member.</summary>
        public static readonly PmlDiagnosticDescriptor UnknownUnionScaffold = new PmlDiagnosticDescriptor(
            "PCG0011",
            "Union scaffold names no member",
            "Union scaffold '{0}' names no member of the union; members are: {1}",
            PmlSeverity.Error,
            "PML.Schema",
            "The union's scaffold attribute names the member used as context while the rest of the schema is precomputed. It must be one of the union's modules.");

        /// <summary>PCG0012: Missing src file.</summary>
        public static readonly PmlDiagnosticDescriptor MissingSourceFile = new PmlDiagnosticDescriptor(
            "PCG0012",
            "Missing src file",
            "Module '{0}' loads src '{1}', but that file was not found (paths are relative to the .pml file)",
            PmlSeverity.Error,
            "PML.Schema",
            "A module with src takes its text from a file next to the schema. Check the path; in a project, also make sure the file is an AdditionalFiles item.");

        /// <summary>PCG0013: src combined with inline content.</summary>
        public static readonly PmlDiagnosticDescriptor SourceWithInlineContent = new PmlDiagnosticDescriptor(
            "PCG0013",
            "src combined with inline content",
            "Module '{0}' has both src and inline content; the inline content is ignored",
            PmlSeverity.Warning,
            "PML.Schema",
            "When src is given, the module's text comes from the file only. Remove the inline content or the src attribute.");

        /// <summary>PCG0014: Unknown element.</summary>
        public static readonly PmlDiagnosticDescriptor UnknownElement = new PmlDiagnosticDescriptor(
            "PCG0014",
            "Unknown element",
            "Unknown element <{0}> is kept as literal text; PML elements are schema, module, parameter, union, system, user and assistant",
            PmlSeverity.Warning,
            "PML.Schema",
            "The reference implementation turns unknown elements into literal text. If you meant text, escape the '<' as &lt; or use CDATA; if you meant a PML element, check its spelling.");

        /// <summary>PCG0015: Unknown attribute.</summary>
        public static readonly PmlDiagnosticDescriptor UnknownAttribute = new PmlDiagnosticDescriptor(
            "PCG0015",
            "Unknown attribute",
            "Attribute '{0}' is not known on <{1}> and is ignored; known attributes: {2}",
            PmlSeverity.Warning,
            "PML.Schema",
            "Only the attributes PML defines have an effect. Check the spelling.");

        /// <summary>PCG0016: Bare '&lt;' or '&amp;' in text.</summary>
        public static readonly PmlDiagnosticDescriptor BareMarkupCharacter = new PmlDiagnosticDescriptor(
            "PCG0016",
            "Bare '<' or '&' in text",
            "A bare '{0}' in text is kept as text; write {1} or wrap the text in <![CDATA[ ... ]]>",
            PmlSeverity.Warning,
            "PML.Syntax",
            "Schemas often embed code. The reference parser recovers from bare '<' and '&', and so do we, but escaping keeps the file valid XML for other tools.");

        /// <summary>PCG0017: Root element is not &lt;schema&gt;.</summary>
        public static readonly PmlDiagnosticDescriptor RootNotSchema = new PmlDiagnosticDescriptor(
            "PCG0017",
            "Root element is not <schema>",
            "The root element must be <schema>, but it is <{0}>",
            PmlSeverity.Error,
            "PML.Schema",
            "A schema file has exactly one root element, <schema name=\"...\">.");

        /// <summary>PCG0018: Invalid cache value.</summary>
        public static readonly PmlDiagnosticDescriptor InvalidCacheValue = new PmlDiagnosticDescriptor(
            "PCG0018",
            "Invalid cache value",
            "cache=\"{0}\" is not valid; use \"true\" or \"false\"",
            PmlSeverity.Error,
            "PML.Schema",
            "cache=\"false\" marks a module whose states are computed on every request instead of being precomputed.");

        /// <summary>PCG0019: Nested role tag.</summary>
        public static readonly PmlDiagnosticDescriptor NestedRoleTag = new PmlDiagnosticDescriptor(
            "PCG0019",
            "Nested role tag",
            "<{0}> is nested inside <{1}>; role markers will be nested too",
            PmlSeverity.Warning,
            "PML.Schema",
            "Role tags are replaced by the model's chat markers. The reference accepts nesting (it replaces tags textually), but nested roles rarely produce a sensible chat transcript.");

        /// <summary>PCG0020: Missing required attribute.</summary>
        public static readonly PmlDiagnosticDescriptor MissingRequiredAttribute = new PmlDiagnosticDescriptor(
            "PCG0020",
            "Missing required attribute",
            "<{0}> needs a '{1}' attribute",
            PmlSeverity.Error,
            "PML.Schema",
            "Schemas and modules need a name; parameters need a name and a length; a prompt needs the schema it refers to.");

        /// <summary>PCG0021: Empty union.</summary>
        public static readonly PmlDiagnosticDescriptor EmptyUnion = new PmlDiagnosticDescriptor(
            "PCG0021",
            "Empty union",
            "<union> has no member modules",
            PmlSeverity.Error,
            "PML.Schema",
            "A union chooses one of its modules, so it needs at least one.");

        /// <summary>PCG0022: Text inside a union is ignored.</summary>
        public static readonly PmlDiagnosticDescriptor TextInUnionIgnored = new PmlDiagnosticDescriptor(
            "PCG0022",
            "Text inside a union is ignored",
            "Text directly inside <union> is ignored; put it inside a member module",
            PmlSeverity.Warning,
            "PML.Schema",
            "Only the members of a union become part of the prompt; text between them is dropped (as the reference does).");

        /// <summary>PCG0023: Duplicate attribute.</summary>
        public static readonly PmlDiagnosticDescriptor DuplicateAttribute = new PmlDiagnosticDescriptor(
            "PCG0023",
            "Duplicate attribute",
            "Attribute '{0}' is given more than once",
            PmlSeverity.Error,
            "PML.Syntax",
            "Each attribute may appear once per element.");

        /// <summary>PCG0024: Scaffold longer than slot.</summary>
        public static readonly PmlDiagnosticDescriptor ScaffoldLongerThanSlot = new PmlDiagnosticDescriptor(
            "PCG0024",
            "Scaffold longer than slot",
            "Schema '{0}', module '{1}': the scaffold of parameter '{2}' is {3} tokens, longer than its slot of {4}",
            PmlSeverity.Error,
            "PML.Layout",
            "A parameter's scaffold is encoded in its slot during precompute, so it must fit. Shorten the scaffold or raise the length.");

        /// <summary>PCG0025: Schema longer than the context window.</summary>
        public static readonly PmlDiagnosticDescriptor SchemaLongerThanContext = new PmlDiagnosticDescriptor(
            "PCG0025",
            "Schema longer than the context window",
            "Schema '{0}' is {1} tokens long, more than the model's context window of {2}",
            PmlSeverity.Error,
            "PML.Layout",
            "Every element of a schema has a fixed position; the whole schema (the longest member of each union) must fit in the model's context window, with room for the request's suffix and the answer.");

        /// <summary>PCG0026: Type name collision.</summary>
        public static readonly PmlDiagnosticDescriptor TypeNameCollision = new PmlDiagnosticDescriptor(
            "PCG0026",
            "Type name collision",
            "Generated name '{0}' for {1} collides with {2}",
            PmlSeverity.Error,
            "PML.Generator",
            "Different PML names can map to the same C# identifier (for example 'a-b' and 'a_b' both become 'AB'). Rename one of them.");

        /// <summary>PCG0027: Generator internal error.</summary>
        public static readonly PmlDiagnosticDescriptor GeneratorInternalError = new PmlDiagnosticDescriptor(
            "PCG0027",
            "Generator internal error",
            "The PromptCache generator failed on this file: {0}",
            PmlSeverity.Error,
            "PML.Generator",
            "A bug in the generator, reported instead of crashing the compiler. Please report it with the .pml file.");

        /// <summary>PCG0028: Root element is not &lt;prompt&gt;.</summary>
        public static readonly PmlDiagnosticDescriptor RootNotPrompt = new PmlDiagnosticDescriptor(
            "PCG0028",
            "Root element is not <prompt>",
            "The root element of a prompt must be <prompt>, but it is <{0}>",
            PmlSeverity.Error,
            "PML.Prompt",
            "A prompt looks like <prompt schema=\"name\"> ... </prompt>.");

        /// <summary>PCG0029: Prompt names another schema.</summary>
        public static readonly PmlDiagnosticDescriptor PromptSchemaMismatch = new PmlDiagnosticDescriptor(
            "PCG0029",
            "Prompt names another schema",
            "The prompt refers to schema '{0}', but it is checked against schema '{1}'",
            PmlSeverity.Error,
            "PML.Prompt",
            "A prompt's schema attribute must name the schema it is run against.");

        /// <summary>PCG0030: Unknown module reference.</summary>
        public static readonly PmlDiagnosticDescriptor UnknownModuleReference = new PmlDiagnosticDescriptor(
            "PCG0030",
            "Unknown module reference",
            "Unknown module '{0}' in {1}; valid choices: {2}",
            PmlSeverity.Error,
            "PML.Prompt",
            "A module reference is an element named after a module of the enclosing scope (nested references select sub-modules and union members).");

        /// <summary>PCG0031: Unknown parameter.</summary>
        public static readonly PmlDiagnosticDescriptor UnknownParameter = new PmlDiagnosticDescriptor(
            "PCG0031",
            "Unknown parameter",
            "Module '{0}' has no parameter '{1}'; valid parameters: {2}",
            PmlSeverity.Error,
            "PML.Prompt",
            "A module reference's attributes fill that module's parameters, by name.");

        /// <summary>PCG0032: Text before the last module reference.</summary>
        public static readonly PmlDiagnosticDescriptor TextBeforeLastReference = new PmlDiagnosticDescriptor(
            "PCG0032",
            "Text before the last module reference",
            "Free text and role tags may only follow the last module reference",
            PmlSeverity.Error,
            "PML.Prompt",
            "Text is the uncached suffix of a request and starts after the schema's fixed positions, so it must come after every module reference.");

        /// <summary>PCG0033: Text inside a module reference.</summary>
        public static readonly PmlDiagnosticDescriptor TextInsideModuleReference = new PmlDiagnosticDescriptor(
            "PCG0033",
            "Text inside a module reference",
            "Module reference <{0}> cannot contain text; arguments go in attributes",
            PmlSeverity.Error,
            "PML.Prompt",
            "Module references only select modules and fill parameters; put free text after the last reference.");

        /// <summary>PCG0034: Duplicate module reference.</summary>
        public static readonly PmlDiagnosticDescriptor DuplicateModuleReference = new PmlDiagnosticDescriptor(
            "PCG0034",
            "Duplicate module reference",
            "Module '{0}' is referenced more than once",
            PmlSeverity.Error,
            "PML.Prompt",
            "Each module of a schema sits at one fixed position and can be selected once per prompt.");

        /// <summary>PCG0035: Conflicting union selection.</summary>
        public static readonly PmlDiagnosticDescriptor ConflictingUnionSelection = new PmlDiagnosticDescriptor(
            "PCG0035",
            "Conflicting union selection",
            "Union members '{0}' and '{1}' are both selected; a union takes exactly one",
            PmlSeverity.Error,
            "PML.Prompt",
            "All members of a union share the same positions, so a prompt can select at most one of them.");

        /// <summary>PCG0036: Argument longer than its slot.</summary>
        public static readonly PmlDiagnosticDescriptor ArgumentLongerThanSlot = new PmlDiagnosticDescriptor(
            "PCG0036",
            "Argument longer than its slot",
            "Argument for parameter '{0}' of module '{1}' is {2} tokens, longer than its slot of {3}",
            PmlSeverity.Error,
            "PML.Prompt",
            "An argument is encoded in the parameter's reserved positions. Shorten it or raise the parameter's length in the schema.");

        /// <summary>PCG0037: Invalid generator option.</summary>
        public static readonly PmlDiagnosticDescriptor InvalidGeneratorOption = new PmlDiagnosticDescriptor(
            "PCG0037",
            "Invalid generator option",
            "{0} '{1}' is not a valid C# {2}",
            PmlSeverity.Error,
            "PML.Generator",
            "An item metadata or MSBuild property that names generated code (Namespace, TypeName, RootNamespace) must be valid C#. Fix the value in the project file.");

        /// <summary>Every rule, in ID order.</summary>
        public static IReadOnlyList<PmlDiagnosticDescriptor> All { get; } = new PmlDiagnosticDescriptor[]
        {
                MalformedMarkup,
                UnclosedElement,
                MismatchedClosingTag,
                InvalidName,
                DuplicateModuleName,
                DuplicateParameterName,
                MissingParameterLength,
                InvalidParameterLength,
                ParameterUnderSchema,
                NonModuleInUnion,
                UnknownUnionScaffold,
                MissingSourceFile,
                SourceWithInlineContent,
                UnknownElement,
                UnknownAttribute,
                BareMarkupCharacter,
                RootNotSchema,
                InvalidCacheValue,
                NestedRoleTag,
                MissingRequiredAttribute,
                EmptyUnion,
                TextInUnionIgnored,
                DuplicateAttribute,
                ScaffoldLongerThanSlot,
                SchemaLongerThanContext,
                TypeNameCollision,
                GeneratorInternalError,
                RootNotPrompt,
                PromptSchemaMismatch,
                UnknownModuleReference,
                UnknownParameter,
                TextBeforeLastReference,
                TextInsideModuleReference,
                DuplicateModuleReference,
                ConflictingUnionSelection,
                ArgumentLongerThanSlot,
                InvalidGeneratorOption,
        };
    }
}
