using PromptCache.Pml.Layout;
using PromptCache.Pml.Tests.Support;

namespace PromptCache.Pml.Tests;

/// <summary>Thousands of seeded random mutations of valid PML: the parser must always return, never throw.</summary>
public class RobustnessTests
{
    private static readonly string[] Tags = { "<module name=\"x\">", "</module>", "<union>", "</union>", "<parameter name=\"q\" length=\"2\"/>", "<user>", "</user>", "<", "&", "<![CDATA[", "<!--", "\"", "'", ">" };

    [Fact]
    public void Mutated_schemas_never_throw()
    {
        var seeds = new[] { Fixtures.Read("travel.pml"), Fixtures.Read("persona.pml").Substring(0, 6000) + "</module></user></schema>", SmallSchema };
        var random = new Random(20261122);
        int withErrors = 0;
        for (int i = 0; i < 3000; i++)
        {
            string source = seeds[i % seeds.Length];
            string mutated = Mutate(source, random);
            var result = PmlParser.ParseSchema(mutated, "m.pml", _ => random.Next(2) == 0 ? null : "text");

            Assert.NotNull(result);
            Assert.DoesNotContain(result.Diagnostics, d => d.Id == "PCG0027");  // no internal error either
            foreach (var d in result.Diagnostics)
            {
                Assert.InRange(d.Location.Start, 0, mutated.Length);
                Assert.True(d.Location.Line >= 1 && d.Location.Column >= 1, d.ToString());
            }
            if (result.HasErrors)
                withErrors++;
            if (result.Schema is not null)
                SchemaLayout.Build(result.Schema).Bind(new WordCounter(), new FixedRoleMarkers(), 100000);
        }
        Assert.True(withErrors > 300, $"only {withErrors} mutations produced errors: the mutator is too gentle");
    }

    [Fact]
    public void Mutated_prompts_never_throw()
    {
        var schema = Tree.ParseValid(Fixtures.Read("travel.pml"));
        const string prompt = "<prompt schema=\"travel\"><travel-plan duration=\"3 days\"><overseas><tokyo/></overseas></travel-plan><user>What should I pack?</user></prompt>";
        var random = new Random(7);
        for (int i = 0; i < 1500; i++)
        {
            string mutated = Mutate(prompt, random);
            var result = PmlParser.ParsePrompt(mutated, "p.pml", schema);
            Assert.NotNull(result);
            Assert.DoesNotContain(result.Diagnostics, d => d.Id == "PCG0027");
            result.Request?.ToPml();
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("<")]
    [InlineData("<schema")]
    [InlineData("<schema name=\"s\"")]
    [InlineData("<schema name=\"s\">")]
    [InlineData("</schema>")]
    [InlineData("<schema name=\"s\"></schema><schema name=\"t\"></schema>")]
    [InlineData("<!-- never closed")]
    [InlineData("<![CDATA[ never closed")]
    [InlineData("&#xFFFFFFFF; &#0; &#xD800;")]
    public void Degenerate_documents_return_diagnostics(string text)
    {
        var result = PmlParser.ParseSchema(text, "d.pml");
        Assert.True(result.HasErrors);
    }

    private const string SmallSchema =
        "<schema name=\"s\">\n<system>sys</system>\n<user><module name=\"a\">Code: 0 <= x < n &amp; y <parameter name=\"p\" length=\"3\" scaffold=\"x\"/>" +
        "<union scaffold=\"c\"><module name=\"b\"/><module name=\"c\">c <![CDATA[<tag>]]></module></union></module></user>\n</schema>";

    private const string Replacements = "<>&\"'/= x\n";

    private static string Mutate(string text, Random random)
    {
        var chars = new System.Text.StringBuilder(text);
        int edits = 1 + random.Next(6);
        for (int e = 0; e < edits && chars.Length > 0; e++)
        {
            int at = random.Next(chars.Length);
            switch (random.Next(6))
            {
                case 0: chars.Remove(at, Math.Min(1 + random.Next(8), chars.Length - at)); break;          // delete
                case 1: chars.Insert(at, chars.ToString(at, Math.Min(1 + random.Next(8), chars.Length - at))); break; // duplicate
                case 2: chars.Length = at; break;                                                          // truncate
                case 3: chars.Insert(at, Tags[random.Next(Tags.Length)]); break;                           // insert a tag or special
                case 4: SwapTags(chars, random); break;                                                    // swap two tags
                default: chars[at] = Replacements[random.Next(Replacements.Length)]; break;                            // replace one char
            }
        }
        return chars.ToString();
    }

    private static void SwapTags(System.Text.StringBuilder chars, Random random)
    {
        string s = chars.ToString();
        var starts = new List<int>();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '<')
                starts.Add(i);
        }
        if (starts.Count < 2)
            return;
        int a = starts[random.Next(starts.Count)], b = starts[random.Next(starts.Count)];
        if (a == b)
            return;
        if (a > b)
            (a, b) = (b, a);
        int aEnd = s.IndexOf('>', a), bEnd = s.IndexOf('>', b);
        if (aEnd < 0 || bEnd < 0 || aEnd >= b)
            return;
        string tagA = s.Substring(a, aEnd - a + 1), tagB = s.Substring(b, bEnd - b + 1);
        string swapped = s.Substring(0, a) + tagB + s.Substring(aEnd + 1, b - aEnd - 1) + tagA + s.Substring(bEnd + 1);
        chars.Clear().Append(swapped);
    }
}

/// <summary>Large and deep inputs: fast, and no stack overflow (which would crash the compiler).</summary>
public class ScaleTests
{
    [Fact]
    public void Pathological_nesting_is_an_error_not_a_crash()
    {
        const int depth = 5000;
        var text = new System.Text.StringBuilder("<schema name=\"s\">");
        for (int i = 0; i < depth; i++)
            text.Append("<module name=\"m").Append(i).Append("\">");
        for (int i = 0; i < depth; i++)
            text.Append("</module>");
        text.Append("</schema>");

        var result = PmlParser.ParseSchema(text.ToString(), "deep.pml");

        var d = Assert.Single(result.Diagnostics, x => x.Id == "PCG0001" && x.Message.Contains("nested"));
        Assert.Contains("nested more than 200 levels", d.Message);
        Assert.NotNull(result.Schema);
        SchemaLayout.Build(result.Schema!).Bind(new WordCounter());
    }

    [Fact]
    public void Long_documents_parse_quickly()
    {
        // ~2 MB: 2000 modules of a kilobyte of text, each with a parameter, in 100 unions.
        var text = new System.Text.StringBuilder("<schema name=\"long\">\n<user>\n");
        string paragraph = string.Concat(Enumerable.Repeat("Lorem ipsum dolor sit amet, consectetur 0 <= i < n; ", 20));
        for (int u = 0; u < 100; u++)
        {
            text.Append("<module name=\"group").Append(u).Append("\">\n<union>\n");
            for (int m = 0; m < 20; m++)
                text.Append("<module name=\"g").Append(u).Append('_').Append(m).Append("\">").Append(paragraph)
                    .Append("<parameter name=\"p\" length=\"").Append(1 + m * 25).Append("\"/>").Append(paragraph).Append("</module>\n");
            text.Append("</union>\n</module>\n");
        }
        text.Append("</user>\n</schema>\n");

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = PmlParser.ParseSchema(text.ToString(), "long.pml");
        var bound = SchemaLayout.Build(result.Schema!).Bind(new WordCounter());
        watch.Stop();

        Assert.False(result.HasErrors);
        Assert.Equal(2100, Tree.Descendants(result.Schema!).OfType<Syntax.PmlModule>().Count());
        Assert.True(bound.TotalLength > 100 * 2 * 20 * 8);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }
}
