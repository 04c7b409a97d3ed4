using PromptCache.Pml.Layout;
using PromptCache.Pml.Syntax;
using PromptCache.Pml.Tests.Support;

namespace PromptCache.Pml.Tests;

/// <summary>One test per diagnostic ID: the right ID, severity, file, line and column.</summary>
public class DiagnosticTests
{
    private const string File = "bad.pml";

    /// <summary>Schema-side rules: (ID, PML, expected severity, line, column).</summary>
    public static TheoryData<string, string, PmlSeverity, int, int> SchemaCases => new()
    {
        // PCG0001: a PML tag that is cut short (no '>' before the next tag).
        { "PCG0001", "<schema name=\"s\">\n  <module name=\"m\"\n  <parameter name=\"p\" length=\"2\"/></module>\n</schema>", PmlSeverity.Error, 3, 3 },
        // PCG0002: unclosed element.
        { "PCG0002", "<schema name=\"s\">\n  <module name=\"m\">text\n</schema>", PmlSeverity.Error, 2, 4 },
        // PCG0003: closing tag that does not match.
        { "PCG0003", "<schema name=\"s\">\n  <module name=\"m\">text</union>\n  </module>\n</schema>", PmlSeverity.Error, 2, 26 },
        // PCG0004: invalid name (reported at the value).
        { "PCG0004", "<schema name=\"s\">\n  <module name=\"9lives\">x</module>\n</schema>", PmlSeverity.Error, 2, 17 },
        // PCG0005: duplicate module; a union member collides with a sibling module.
        { "PCG0005", "<schema name=\"s\">\n  <module name=\"a\">x</module>\n  <union>\n    <module name=\"a\">y</module>\n  </union>\n</schema>", PmlSeverity.Error, 4, 19 },
        // PCG0006: duplicate parameter.
        { "PCG0006", "<schema name=\"s\">\n<module name=\"m\"><parameter name=\"p\" length=\"1\"/> <parameter name=\"p\" length=\"2\"/></module>\n</schema>", PmlSeverity.Error, 2, 68 },
        // PCG0007: missing length (at the element name).
        { "PCG0007", "<schema name=\"s\">\n<module name=\"m\">\n  <parameter name=\"p\"/>\n</module>\n</schema>", PmlSeverity.Error, 3, 4 },
        // PCG0008: non-positive length (at the value).
        { "PCG0008", "<schema name=\"s\">\n<module name=\"m\"><parameter name=\"p\" length=\"0\"/></module>\n</schema>", PmlSeverity.Error, 2, 46 },
        // PCG0009: parameter directly under schema, even inside a role tag.
        { "PCG0009", "<schema name=\"s\">\n  <user><parameter name=\"p\" length=\"3\"/></user>\n</schema>", PmlSeverity.Error, 2, 10 },
        // PCG0010: non-module child of a union.
        { "PCG0010", "<schema name=\"s\">\n<union>\n  <module name=\"a\">x</module>\n  <parameter name=\"p\" length=\"1\"/>\n</union>\n</schema>", PmlSeverity.Error, 4, 4 },
        // PCG0011: union scaffold naming no member (at the value).
        { "PCG0011", "<schema name=\"s\">\n<union scaffold=\"c\"><module name=\"a\">x</module><module name=\"b\">y</module></union>\n</schema>", PmlSeverity.Error, 2, 18 },
        // PCG0012: missing src file (at the attribute value). Resolver below knows no files.
        { "PCG0012", "<schema name=\"s\">\n  <module name=\"doc\" src=\"docs/missing.txt\"/>\n</schema>", PmlSeverity.Error, 2, 27 },
        // PCG0013: src plus inline content (warning, at the element name).
        { "PCG0013", "<schema name=\"s\">\n  <module name=\"doc\" src=\"present.txt\">inline</module>\n</schema>", PmlSeverity.Warning, 2, 4 },
        // PCG0014: unknown element, kept as text (warning).
        { "PCG0014", "<schema name=\"s\">\n<module name=\"m\">see <b>this</b></module>\n</schema>", PmlSeverity.Warning, 2, 23 },
        // PCG0015: unknown attribute (warning, at the attribute name).
        { "PCG0015", "<schema name=\"s\">\n<module name=\"m\" colour=\"red\">x</module>\n</schema>", PmlSeverity.Warning, 2, 18 },
        // PCG0016: bare '<' in code.
        { "PCG0016", "<schema name=\"s\">\n<module name=\"m\">for (i = 0; i < n; i++)</module>\n</schema>", PmlSeverity.Warning, 2, 32 },
        // PCG0017: root is not <schema>.
        { "PCG0017", "\n<module name=\"m\">x</module>", PmlSeverity.Error, 2, 2 },
        // PCG0018: invalid cache value.
        { "PCG0018", "<schema name=\"s\">\n<module name=\"m\" cache=\"yes\">x</module>\n</schema>", PmlSeverity.Error, 2, 25 },
        // PCG0019: nested role tag (warning).
        { "PCG0019", "<schema name=\"s\">\n<user>a <system>b</system></user>\n</schema>", PmlSeverity.Warning, 2, 10 },
        // PCG0020: missing required attribute (module without name).
        { "PCG0020", "<schema name=\"s\">\n  <module>x</module>\n</schema>", PmlSeverity.Error, 2, 4 },
        // PCG0021: empty union.
        { "PCG0021", "<schema name=\"s\">\n<module name=\"m\"><union/></module>\n</schema>", PmlSeverity.Error, 2, 19 },
        // PCG0022: text in a union is ignored (warning, at the first non-blank character).
        { "PCG0022", "<schema name=\"s\">\n<union>\n   lost words\n  <module name=\"a\">x</module>\n</union>\n</schema>", PmlSeverity.Warning, 3, 4 },
        // PCG0023: duplicate attribute.
        { "PCG0023", "<schema name=\"s\">\n<module name=\"m\" name=\"n\">x</module>\n</schema>", PmlSeverity.Error, 2, 18 },
    };

    [Theory]
    [MemberData(nameof(SchemaCases))]
    public void Schema_rule_is_reported_at_the_right_place(string id, string pml, PmlSeverity severity, int line, int column)
    {
        var result = PmlParser.ParseSchema(pml, File, path => path == "present.txt" ? "file text" : null);

        var diagnostic = Assert.Single(result.Diagnostics, d => d.Id == id);
        Assert.Equal(severity, diagnostic.Severity);
        Assert.Equal(File, diagnostic.Location.FilePath);
        Assert.Equal((line, column), (diagnostic.Location.Line, diagnostic.Location.Column));
        Assert.Equal(PmlDiagnostics.All.Single(d => d.Id == id).Severity, diagnostic.Severity);
    }

    [Fact]
    public void PCG0024_scaffold_longer_than_slot_names_schema_module_and_numbers()
    {
        var schema = Tree.ParseValid("<schema name=\"s\">\n<module name=\"m\">\n  <parameter name=\"p\" length=\"2\" scaffold=\"one two three\"/>\n</module>\n</schema>", File);
        var bound = SchemaLayout.Build(schema).Bind(new WordCounter());

        var d = Assert.Single(bound.Diagnostics);
        Assert.Equal(("PCG0024", PmlSeverity.Error, 3, 3), (d.Id, d.Severity, d.Location.Line, d.Location.Column));
        Assert.Equal("Schema 's', module 'm': the scaffold of parameter 'p' is 3 tokens, longer than its slot of 2", d.Message);
    }

    [Fact]
    public void PCG0025_schema_longer_than_context()
    {
        var schema = Tree.ParseValid("\n  <schema name=\"s\"><module name=\"m\">a b c d e f</module></schema>", File);
        var bound = SchemaLayout.Build(schema).Bind(new WordCounter(), contextLength: 5);

        var d = Assert.Single(bound.Diagnostics);
        Assert.Equal(("PCG0025", PmlSeverity.Error, 2, 3), (d.Id, d.Severity, d.Location.Line, d.Location.Column));
        Assert.Contains("6 tokens", d.Message);
        Assert.Empty(SchemaLayout.Build(schema).Bind(new WordCounter(), contextLength: 6).Diagnostics);
    }

    [Fact]
    public void PCG0026_type_name_collision_is_a_catalog_entry_for_the_generator()
    {
        var location = new PmlLocation(File, 10, 3, 2, 5, 2, 8);
        var d = PmlDiagnostic.Create(PmlDiagnostics.TypeNameCollision, location, "TravelPlan", "module 'travel_plan'", "module 'travel-plan'");
        Assert.Equal(("PCG0026", PmlSeverity.Error, 2, 5), (d.Id, d.Severity, d.Location.Line, d.Location.Column));
        Assert.Equal("bad.pml(2,5): error PCG0026: Generated name 'TravelPlan' for module 'travel_plan' collides with module 'travel-plan'", d.ToString());
    }

    [Fact]
    public void PCG0027_internal_error_is_a_catalog_entry_for_the_generator()
    {
        var d = PmlDiagnostic.Create(PmlDiagnostics.GeneratorInternalError, new PmlLocation(File, 0, 0, 1, 1, 1, 1), "boom");
        Assert.Equal(("PCG0027", PmlSeverity.Error, 1, 1), (d.Id, d.Severity, d.Location.Line, d.Location.Column));
        Assert.Contains("boom", d.Message);
    }

    /// <summary>Prompt-side rules, checked against a small schema.</summary>
    public static TheoryData<string, string, int, int> PromptCases => new()
    {
        { "PCG0028", "<request schema=\"trip\"/>", 1, 2 },
        { "PCG0029", "<prompt schema=\"other\">\n  <plan days=\"3\"/>\n</prompt>", 1, 17 },
        { "PCG0030", "<prompt schema=\"trip\">\n  <plan>\n    <mars/>\n  </plan>\n</prompt>", 3, 6 },
        { "PCG0031", "<prompt schema=\"trip\">\n  <plan weeks=\"3\"/>\n</prompt>", 2, 9 },
        { "PCG0032", "<prompt schema=\"trip\">\n  hello\n  <plan/>\n</prompt>", 2, 3 },
        { "PCG0033", "<prompt schema=\"trip\">\n  <plan>inside</plan>\n</prompt>", 2, 9 },
        { "PCG0034", "<prompt schema=\"trip\">\n  <plan/>\n  <plan/>\n</prompt>", 3, 4 },
        { "PCG0035", "<prompt schema=\"trip\">\n  <plan><home/><abroad/></plan>\n</prompt>", 2, 17 },
    };

    private const string TripSchema =
        "<schema name=\"trip\">\n<module name=\"plan\">For <parameter name=\"days\" length=\"2\"/> days.\n" +
        "<union><module name=\"home\">at home</module><module name=\"abroad\">abroad</module></union>\n</module>\n</schema>";

    [Theory]
    [MemberData(nameof(PromptCases))]
    public void Prompt_rule_is_reported_at_the_right_place(string id, string prompt, int line, int column)
    {
        var schema = Tree.ParseValid(TripSchema, "trip.pml");
        var result = PmlParser.ParsePrompt(prompt, "req.pml", schema);

        var d = Assert.Single(result.Diagnostics, x => x.Id == id);
        Assert.Equal(PmlSeverity.Error, d.Severity);
        Assert.Equal("req.pml", d.Location.FilePath);
        Assert.Equal((line, column), (d.Location.Line, d.Location.Column));
    }

    [Fact]
    public void PCG0036_argument_longer_than_slot_names_parameter_limit_and_count()
    {
        var schema = Tree.ParseValid(TripSchema, "trip.pml");
        var result = PmlParser.ParsePrompt("<prompt schema=\"trip\">\n  <plan days=\"three long days\"/>\n</prompt>", "req.pml", schema);
        Assert.False(result.HasErrors); // token counts need a tokenizer

        var diagnostics = PromptRequestValidatorWithCounter(result, schema);
        var d = Assert.Single(diagnostics);
        Assert.Equal(("PCG0036", PmlSeverity.Error), (d.Id, d.Severity));
        Assert.Equal("Argument for parameter 'days' of module 'plan' is 3 tokens, longer than its slot of 2", d.Message);

        // Parsed with a token counter, the same error points at the attribute in the prompt file.
        var located = Assert.Single(PmlParser.ParsePrompt("<prompt schema=\"trip\">\n  <plan days=\"three long days\"/>\n</prompt>", "req.pml", schema, new WordCounter()).Diagnostics);
        Assert.Equal(("PCG0036", "req.pml", 2, 9), (located.Id, located.Location.FilePath, located.Location.Line, located.Location.Column));
    }

    private static EquatableArray<PmlDiagnostic> PromptRequestValidatorWithCounter(PmlPromptParseResult result, PmlSchema schema) =>
        Requests.PromptRequestValidator.Validate(result.Request!, schema, new WordCounter());

    [Fact]
    public void Every_catalog_entry_is_well_formed_and_numbered_in_order()
    {
        var all = PmlDiagnostics.All;
        Assert.Equal(37, all.Count);
        for (int i = 0; i < all.Count; i++)
        {
            Assert.Equal("PCG" + (i + 1).ToString("0000"), all[i].Id);
            Assert.False(string.IsNullOrWhiteSpace(all[i].Title));
            Assert.False(string.IsNullOrWhiteSpace(all[i].HelpText));
            Assert.StartsWith("PML.", all[i].Category);
        }
        Assert.Equal(all.Count, all.Select(d => d.Id).Distinct().Count());
    }
}
