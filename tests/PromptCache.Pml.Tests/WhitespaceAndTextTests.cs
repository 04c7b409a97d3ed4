using PromptCache.Pml.Syntax;
using PromptCache.Pml.Tests.Support;

namespace PromptCache.Pml.Tests;

/// <summary>The whitespace rule and lenient text, as the reference (lxml recover + compact_surrounding_spaces) behaves.</summary>
public class WhitespaceAndTextTests
{
    private static EquatableArray<PmlNode> ModuleChildren(string body, out EquatableArray<PmlDiagnostic> diagnostics)
    {
        var result = PmlParser.ParseSchema("<schema name=\"s\"><module name=\"m\">" + body + "</module></schema>", "w.pml");
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        diagnostics = result.Diagnostics;
        return ((PmlModule)result.Schema!.Children[0]).Children;
    }

    private static string[] Texts(EquatableArray<PmlNode> nodes) => nodes.OfType<PmlText>().Select(t => t.Text).ToArray();

    [Theory]
    [InlineData("\n    Hello   world \n\t ", " Hello   world ")]
    [InlineData("Hello", "Hello")]
    [InlineData("  Hello", " Hello")]
    [InlineData("Hello\n\n", "Hello ")]
    [InlineData(" \n\t ", " ")]                // whitespace only: one space, kept (the reference tokenizes it)
    [InlineData("a\n\n  b", "a\n\n  b")]         // inner whitespace is untouched
    public void Leading_and_trailing_runs_collapse_to_one_space(string raw, string expected)
    {
        var children = ModuleChildren(raw, out _);
        Assert.Equal(new[] { expected }, Texts(children));
    }

    [Fact]
    public void Each_segment_between_elements_is_its_own_text()
    {
        var children = ModuleChildren("\n  Trip of <parameter name=\"d\" length=\"3\"/>.\n  <module name=\"x\">in</module>\n", out _);
        Assert.Collection(children,
            n => Assert.Equal(" Trip of ", ((PmlText)n).Text),
            n => Assert.Equal("d", ((PmlParameter)n).Name),
            n => Assert.Equal(". ", ((PmlText)n).Text),
            n => Assert.Equal("x", ((PmlModule)n).Name),
            n => Assert.Equal(" ", ((PmlText)n).Text));
    }

    [Fact]
    public void Adjacent_elements_with_no_text_between_make_no_segment()
    {
        var children = ModuleChildren("<parameter name=\"a\" length=\"1\"/><parameter name=\"b\" length=\"1\"/>", out _);
        Assert.Equal(2, children.Count);
        Assert.All(children, c => Assert.IsType<PmlParameter>(c));
    }

    [Fact]
    public void Entities_cdata_and_comments_work_as_in_xml()
    {
        var children = ModuleChildren("a &lt; b &amp;&amp; c &gt; d &quot;q&quot; &apos;s&apos; &#65;&#x42; <![CDATA[if (x < y && z) {}]]><!-- hidden --> end", out var diagnostics);
        Assert.Empty(diagnostics);
        Assert.Equal(new[] { "a < b && c > d \"q\" 's' AB if (x < y && z) {} end" }, Texts(children));
    }

    [Theory]
    [InlineData("0 <= x < n", 2)]
    [InlineData("if (a<b && c) return;", 3)]
    [InlineData("for (i=0;i<n;i++) { s &= x; }", 2)]
    [InlineData("AT&T and R&D", 2)]
    [InlineData("x << 2", 2)]
    public void Bare_lt_and_amp_in_code_stay_text_with_warnings(string code, int warnings)
    {
        var children = ModuleChildren(code, out var diagnostics);
        Assert.Equal(new[] { code }, Texts(children));
        Assert.Equal(warnings, diagnostics.Count);
        Assert.All(diagnostics, d => Assert.Equal(("PCG0016", PmlSeverity.Warning), (d.Id, d.Severity)));
    }

    [Fact]
    public void Generic_types_in_code_are_text_when_never_closed()
    {
        const string code = "List<int> xs = new List<int>(); Dictionary<string, Foo> d;";
        var children = ModuleChildren(code, out var diagnostics);
        Assert.Equal(new[] { code }, Texts(children));
        Assert.Equal(3, diagnostics.Count(d => d.Id == "PCG0016"));
        // Columns of each "<" (the module content starts at column 35).
        Assert.Equal(new[] { 4, 23, 42 }, diagnostics.Select(d => d.Location.Column - 35).OrderBy(x => x));
    }

    [Fact]
    public void Unknown_but_closed_element_is_literal_text_like_the_reference()
    {
        var children = ModuleChildren("Use <b>bold</b> here", out var diagnostics);
        Assert.Equal(new[] { "Use ", "<b>bold</b>", " here" }, Texts(children));
        Assert.Equal("PCG0014", Assert.Single(diagnostics).Id);
    }

    [Fact]
    public void Attribute_values_take_either_quote_and_decode_entities()
    {
        var schema = Tree.ParseValid("<schema name='s'><module name='m'><parameter name=\"p\" length='4' scaffold=\"a &amp; 'b'\"/></module></schema>");
        var p = Tree.Descendants(schema).OfType<PmlParameter>().Single();
        Assert.Equal(("p", 4, "a & 'b'"), (p.Name, p.Length, p.Scaffold));
    }

    [Fact]
    public void Role_tags_are_transparent_for_scope_and_may_wrap_text_inside_modules()
    {
        var schema = Tree.ParseValid("<schema name=\"s\"><user><module name=\"a\"><assistant>hi</assistant></module></user><module name=\"b\">x</module></schema>");
        var user = (PmlRole)schema.Children[0];
        var a = (PmlModule)user.Children[0];
        Assert.Equal(PmlRoleKind.Assistant, ((PmlRole)a.Children[0]).Role);
        // "a" (inside <user>) and "b" share the schema scope: a duplicate across them is reported.
        var dup = PmlParser.ParseSchema("<schema name=\"s\"><user><module name=\"a\">x</module></user><module name=\"a\">y</module></schema>", "d.pml");
        Assert.Equal("PCG0005", Assert.Single(dup.Diagnostics).Id);
    }

    [Fact]
    public void Src_loads_text_through_the_resolver_and_feeds_the_content_hash()
    {
        const string pml = "<schema name=\"s\"><module name=\"doc\" src=\"docs/a.txt\"/></schema>";
        string? requested = null;
        var one = Tree.ParseValid(pml, "s.pml", p => { requested = p; return "\n  Handbook text\n"; });
        var two = Tree.ParseValid(pml, "s.pml", _ => "Other text");

        Assert.Equal("docs/a.txt", requested);
        var doc = (PmlModule)one.Children[0];
        Assert.Equal("docs/a.txt", doc.Src);
        Assert.Equal(" Handbook text ", ((PmlText)doc.Children.Single()).Text);
        Assert.NotEqual(one.ContentHash, two.ContentHash);
    }

    [Fact]
    public void Cache_false_marks_a_module_not_cacheable()
    {
        var schema = Tree.ParseValid("<schema name=\"s\"><module name=\"live\" cache=\"false\">x</module><module name=\"kept\" cache=\"true\">y</module></schema>");
        Assert.False(Tree.Module(schema, "live").Cache);
        Assert.True(Tree.Module(schema, "kept").Cache);
    }

    [Fact]
    public void Lengths_from_1_to_500_are_accepted()
    {
        var body = string.Concat(Enumerable.Range(1, 500).Select(i => $"<parameter name=\"p{i}\" length=\"{i}\"/> and "));
        var schema = Tree.ParseValid("<schema name=\"s\"><module name=\"m\">" + body + "</module></schema>");
        var lengths = Tree.Descendants(schema).OfType<PmlParameter>().Select(p => p.Length).ToArray();
        Assert.Equal(Enumerable.Range(1, 500), lengths);
    }

    [Theory]
    [InlineData("-3")]
    [InlineData("2.5")]
    [InlineData("ten")]
    [InlineData("")]
    [InlineData("99999999999")]
    public void Bad_lengths_are_reported(string length)
    {
        var result = PmlParser.ParseSchema($"<schema name=\"s\"><module name=\"m\"><parameter name=\"p\" length=\"{length}\"/></module></schema>", "l.pml");
        Assert.Equal("PCG0008", Assert.Single(result.Diagnostics).Id);
        Assert.Equal(1, Tree.Descendants(result.Schema!).OfType<PmlParameter>().Single().Length);
    }

    [Fact]
    public void Empty_default_members_and_empty_modules_are_valid()
    {
        var schema = Tree.ParseValid("<schema name=\"s\"><module name=\"m\"><union scaffold=\"none\"><module name=\"none\"/><module name=\"some\">text</module></union></module></schema>");
        var union = Tree.Descendants(schema).OfType<PmlUnion>().Single();
        Assert.Equal("none", union.ScaffoldMember);
        Assert.Empty(union.Members[0].Children);
    }

    [Fact]
    public void Xml_declaration_and_leading_comments_are_allowed()
    {
        var schema = Tree.ParseValid("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- a schema -->\n<schema name=\"s\"><module name=\"m\">x</module></schema>\n");
        Assert.Equal("s", schema.Name);
    }
}

/// <summary>Role tags where the reference would lose them.</summary>
public class RoleTagMisuseTests
{
    [Fact]
    public void Role_tag_directly_in_a_union_is_a_non_module_child()
    {
        var result = PmlParser.ParseSchema("<schema name=\"s\"><union><user>x</user><module name=\"a\">y</module></union></schema>", "r.pml");
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal(("PCG0010", 1, 26), (d.Id, d.Location.Line, d.Location.Column));
    }

    [Fact]
    public void Roles_in_a_prompt_suffix_become_role_parts()
    {
        var result = PmlParser.ParsePrompt("<prompt schema=\"s\"><a/><system>Be brief.</system>\n  <user><![CDATA[Is 1 < 2?]]></user>\n</prompt>", "p.pml");
        Assert.Empty(result.Diagnostics);
        Assert.Equal(
            new (PmlRoleKind?, string)[] { (PmlRoleKind.System, "Be brief."), (PmlRoleKind.User, "Is 1 < 2?") },
            result.Request!.Suffix.Select(p => (p.Role, p.Text)));
    }
}
