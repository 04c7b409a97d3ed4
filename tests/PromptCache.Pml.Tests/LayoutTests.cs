using PromptCache.Pml.Layout;
using PromptCache.Pml.Syntax;
using PromptCache.Pml.Tests.Support;

namespace PromptCache.Pml.Tests;

/// <summary>Binding offsets with a deterministic word-counting tokenizer.</summary>
public class LayoutTests
{
    private static BoundLayout Bind(string pml, IRoleMarkers? markers = null) =>
        SchemaLayout.Build(Tree.ParseValid(pml)).Bind(new WordCounter(), markers);

    [Fact]
    public void Text_and_parameters_are_laid_out_in_order()
    {
        var bound = Bind("<schema name=\"s\"><module name=\"m\">one two <parameter name=\"p\" length=\"5\"/>three</module>four five</schema>");

        var m = bound.GetModule("m")!;
        Assert.Equal((0, 8), (m.Offset, m.Length));      // "one two " (2) + slot (5) + "three" (1)
        var p = bound.GetParameter("m", "p")!;
        Assert.Equal((2, 5), (p.Offset, p.Length));
        Assert.Equal(10, bound.TotalLength);
    }

    [Fact]
    public void Union_members_share_the_offset_and_the_union_is_as_long_as_its_longest_member()
    {
        const string pml =
            "<schema name=\"s\"><module name=\"m\">a b" +
            "<union><module name=\"short\">x</module><module name=\"long\">x y z w</module><module name=\"mid\">x y</module></union>" +
            "after</module></schema>";
        var bound = Bind(pml);

        Assert.Equal((2, 1), Range(bound.GetModule("m/short")!));
        Assert.Equal((2, 4), Range(bound.GetModule("m/long")!));
        Assert.Equal((2, 2), Range(bound.GetModule("m/mid")!));
        var union = bound.Elements.Single(e => e.Element.Kind == LayoutElementKind.UnionStart);
        Assert.Equal((2, 4), Range(union));
        var after = bound.Elements.Single(e => e.Element.Text == "after");
        Assert.Equal(6, after.Offset);
        Assert.Equal((0, 7), Range(bound.GetModule("m")!));
        Assert.Equal(7, bound.TotalLength);
    }

    [Fact]
    public void Nested_unions_and_parameters_inside_members()
    {
        const string pml =
            "<schema name=\"s\"><module name=\"trip\">go<parameter name=\"days\" length=\"3\"/>" +
            "<union>" +
            "<module name=\"home\">in <parameter name=\"city\" length=\"10\"/></module>" +
            "<module name=\"abroad\">far" +
            "<union><module name=\"tokyo\">t o k y o</module><module name=\"rome\">r</module></union>" +
            "!</module>" +
            "</union>end</module></schema>";
        var bound = Bind(pml);

        Assert.Equal((1, 3), Range(bound.GetParameter("trip", "days")!));
        Assert.Equal((4, 11), Range(bound.GetModule("trip/home")!));
        Assert.Equal((5, 10), Range(bound.GetParameter("trip/home", "city")!));
        Assert.Equal((4, 7), Range(bound.GetModule("trip/abroad")!));      // far(1) + union(5) + !(1)
        Assert.Equal((5, 5), Range(bound.GetModule("trip/abroad/tokyo")!));
        Assert.Equal((5, 1), Range(bound.GetModule("trip/abroad/rome")!));
        var end = bound.Elements.Single(e => e.Element.Text == "end");
        Assert.Equal(15, end.Offset);                                      // 4 + max(11, 7)
        Assert.Equal(16, bound.TotalLength);
    }

    [Fact]
    public void Role_markers_take_their_token_counts()
    {
        var bound = Bind("<schema name=\"s\"><system>be nice</system><user><module name=\"m\">hi</module></user></schema>", new FixedRoleMarkers());
        // system: 3 + 2 words + 2; user: 2 + module(1) + 1
        Assert.Equal((9, 1), Range(bound.GetModule("m")!));
        Assert.Equal(11, bound.TotalLength);
        // Without markers, role tags take no positions.
        Assert.Equal(3, Bind("<schema name=\"s\"><system>be nice</system><user><module name=\"m\">hi</module></user></schema>").TotalLength);
    }

    [Fact]
    public void Whitespace_only_segments_count_like_the_reference()
    {
        // Between the modules the reference tokenizes " " (the collapsed whitespace run).
        var bound = Bind("<schema name=\"s\">\n  <module name=\"a\">x</module>\n  <module name=\"b\">y</module>\n</schema>");
        Assert.Equal(1, bound.GetModule("a")!.Offset);
        Assert.Equal(3, bound.GetModule("b")!.Offset);
        Assert.Equal(5, bound.TotalLength);
    }

    [Fact]
    public void Structural_layout_lists_modules_unions_slots_and_the_default_path()
    {
        var layout = SchemaLayout.Build(Tree.ParseValid(Fixtures.Read("travel.pml")));

        Assert.Equal(11, layout.Modules.Count());
        Assert.Equal(new[] { ("duration", 5), ("city", 10) }, layout.Parameters.Select(p => (p.Name!, p.ParameterLength)));
        var unions = layout.Elements.Where(e => e.Kind == LayoutElementKind.UnionStart).ToList();
        Assert.Equal(new[] { "domestic", "maldives" }, unions.Select(u => u.UnionDefaultMember));
        Assert.Equal(new[] { "travel-plan", "travel-plan/domestic" }, layout.DefaultPath);
        Assert.All(layout.Modules, m => Assert.True(m.IsCacheable));
        Assert.True(layout.Modules.Single(m => m.Name == "tokyo").IsUnionMember);
    }

    [Fact]
    public void Binding_is_deterministic_and_value_equal()
    {
        var layout = SchemaLayout.Build(Tree.ParseValid(Fixtures.Read("persona.pml")));
        var a = layout.Bind(new WordCounter());
        var b = layout.Bind(new WordCounter());
        Assert.Equal(a, b);
        Assert.True(a.TotalLength > 1000);
        // All members of a union start together.
        foreach (var union in a.Elements.Where(e => e.Element.Kind == LayoutElementKind.UnionStart))
        {
            foreach (var member in union.Element.UnionMembers)
                Assert.Equal(union.Offset, a.GetModule(union.Element.ModulePathString + "/" + member)!.Offset);
        }
    }

    [Fact]
    public void Deep_unions_bind_in_linear_order()
    {
        const int depth = 40;
        string body = "leaf";
        for (int i = depth; i >= 1; i--)
            body = $"<union><module name=\"d{i}\">w {body}</module><module name=\"e{i}\">e</module></union>";
        var bound = Bind("<schema name=\"s\"><module name=\"root\">" + body + "</module></schema>");

        Assert.Equal(depth + 1, bound.TotalLength);  // "w" per level, plus "leaf"
        var path = "root";
        for (int i = 1; i <= depth; i++)
        {
            path += "/d" + i;
            Assert.Equal(i - 1, bound.GetModule(path)!.Offset);
            Assert.Equal(i - 1, bound.GetModule(path.Substring(0, path.LastIndexOf('/')) + "/e" + i)!.Offset);
        }
    }

    private static (int, int) Range(BoundElement e) => (e.Offset, e.Length);
}
