using PromptCache.Pml.Layout;
using PromptCache.Pml.Syntax;
using PromptCache.Pml.Tests.Support;

namespace PromptCache.Pml.Tests;

/// <summary>The two reference examples must parse with no error and the structure the reference gives them.</summary>
public class FixtureTests
{
    [Fact]
    public void Travel_parses_without_errors_into_the_reference_structure()
    {
        var result = PmlParser.ParseSchema(Fixtures.Read("travel.pml"), "travel.pml");

        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        Assert.Empty(result.Diagnostics);
        var schema = result.Schema!;
        Assert.Equal("travel", schema.Name);

        var roles = schema.Children.OfType<PmlRole>().Select(r => r.Role).ToArray();
        Assert.Equal(new[] { PmlRoleKind.System, PmlRoleKind.User, PmlRoleKind.Assistant }, roles);

        var plan = Tree.Module(schema, "travel-plan");
        Assert.True(plan.Cache);
        var duration = plan.Children.OfType<PmlParameter>().Single();
        Assert.Equal(("duration", 5), (duration.Name, duration.Length));

        var outer = plan.Children.OfType<PmlUnion>().Single();
        Assert.Equal(new[] { "domestic", "overseas" }, outer.Members.Select(m => m.Name));
        Assert.Equal("domestic", outer.ScaffoldMember); // no scaffold attribute: the first member
        var city = outer.Members[0].Children.OfType<PmlParameter>().Single();
        Assert.Equal(("city", 10), (city.Name, city.Length));

        var inner = outer.Members[1].Children.OfType<PmlUnion>().Single();
        Assert.Equal(new[] { "maldives", "amazon", "sahara", "tokyo", "rome", "capetown", "sydney", "buenosaires" }, inner.Members.Select(m => m.Name));
        Assert.Equal("maldives", inner.ScaffoldMember);

        var all = Tree.Descendants(schema).ToList();
        Assert.Equal(11, all.OfType<PmlModule>().Count());
        Assert.Equal(2, all.OfType<PmlUnion>().Count());
        Assert.Equal(2, all.OfType<PmlParameter>().Count());
        Assert.Matches("^[0-9a-f]{64}$", schema.ContentHash);
    }

    [Fact]
    public void Travel_locations_point_at_the_source()
    {
        var schema = Tree.ParseValid(Fixtures.Read("travel.pml"), "travel.pml");
        var plan = Tree.Module(schema, "travel-plan");
        Assert.Equal(("travel.pml", 11, 9), (plan.Location.FilePath, plan.Location.Line, plan.Location.Column));
        Assert.Equal((11, 23), (plan.NameLocation.Line, plan.NameLocation.Column));
        var domestic = Tree.Module(schema, "domestic");
        Assert.Equal((17, 17), (domestic.Location.Line, domestic.Location.Column)); // single-quoted name='domestic'
    }

    [Fact]
    public void Persona_parses_without_errors_into_the_reference_structure()
    {
        var result = PmlParser.ParseSchema(Fixtures.Read("persona.pml"), "persona.pml");

        Assert.Empty(result.Diagnostics);
        var schema = result.Schema!;
        Assert.Equal("persona", schema.Name);

        var user = schema.Children.OfType<PmlRole>().Single(r => r.Role == PmlRoleKind.User);
        var traits = user.Children.OfType<PmlModule>().Select(m => m.Name).ToArray();
        Assert.Equal(new[] { "age", "residence", "education", "occupation", "martial-status", "personality" }, traits);

        var unions = Tree.Descendants(schema).OfType<PmlUnion>().ToList();
        Assert.Equal(6, unions.Count);
        Assert.Equal(new[] { 5, 5, 5, 5, 4, 5 }, unions.Select(u => u.Members.Count));
        Assert.Equal("default", unions[5].ScaffoldMember);        // explicit scaffold
        Assert.Equal("child", unions[0].ScaffoldMember);          // first member
        Assert.Equal(35, Tree.Descendants(schema).OfType<PmlModule>().Count());
        Assert.Empty(Tree.Descendants(schema).OfType<PmlParameter>());
    }

    [Fact]
    public void Fixtures_have_a_default_path_through_every_union()
    {
        var layout = SchemaLayout.Build(Tree.ParseValid(Fixtures.Read("persona.pml")));
        Assert.Equal(
            new[] { "age", "age/child", "residence", "residence/city", "education", "education/none", "occupation", "occupation/healthcare", "martial-status", "martial-status/single", "personality", "personality/default" },
            layout.DefaultPath);
    }

    [Fact]
    public void Parsing_is_deterministic_and_value_equal()
    {
        var text = Fixtures.Read("travel.pml");
        var a = PmlParser.ParseSchema(text, "travel.pml");
        var b = PmlParser.ParseSchema(text, "travel.pml");
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(SchemaLayout.Build(a.Schema!), SchemaLayout.Build(b.Schema!));

        var edited = PmlParser.ParseSchema(text.Replace("length=\"5\"", "length=\"6\""), "travel.pml");
        Assert.NotEqual(a, edited);
        Assert.NotEqual(a.Schema!.ContentHash, edited.Schema!.ContentHash);
    }

    [Fact]
    public void Content_hash_ignores_line_ending_style()
    {
        var text = Fixtures.Read("travel.pml").Replace("\r\n", "\n");
        var lf = PmlParser.ParseSchema(text, "t.pml").Schema!;
        var crlf = PmlParser.ParseSchema(text.Replace("\n", "\r\n"), "t.pml").Schema!;
        Assert.Equal(lf.ContentHash, crlf.ContentHash);
    }
}
