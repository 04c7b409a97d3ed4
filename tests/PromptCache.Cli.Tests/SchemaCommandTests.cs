using System.CommandLine;
using System.Text.Json;
using PromptCache.Cli.Commands;
using PromptCache.Cli.Commands.Schema;

namespace PromptCache.Cli.Tests;

/// <summary>`promptcache schema check` and `schema layout`.</summary>
public class SchemaCommandTests
{
    private const string Good =
        "<schema name=\"trip\">\n<user><module name=\"plan\">For <parameter name=\"days\" length=\"3\" scaffold=\"a week\"/> days\n" +
        "<union scaffold=\"abroad\"><module name=\"home\">home</module><module name=\"abroad\" cache=\"false\">far</module></union>\n" +
        "</module></user>\n<module name=\"doc\" src=\"docs/handbook.txt\"/>\n</schema>\n";

    private const string Bad =
        "<schema name=\"s\">\n  <module name=\"m\">0 <= x\n    <parameter name=\"p\"/>\n  </module>\n</schema>\n";

    [Fact]
    public void Check_prints_msbuild_lines_and_exits_1_on_errors()
    {
        using var folder = new TempFolder();
        string good = folder.Write("good.pml", Good);
        folder.Write("docs/handbook.txt", "Handbook.");
        string bad = folder.Write("bad.pml", Bad);
        var output = new StringWriter();

        int exit = SchemaCheck.Run(new[] { good, bad }, output, new StringWriter());

        Assert.Equal(1, exit);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(new[]
        {
            bad + "(2,22): warning PCG0016: A bare '<' in text is kept as text; write &lt; or wrap the text in <![CDATA[ ... ]]>",
            bad + "(3,6): error PCG0007: Parameter 'p' has no 'length': say how many tokens its slot reserves",
        }, lines);
    }

    [Fact]
    public void Check_resolves_src_relative_to_the_pml_file()
    {
        using var folder = new TempFolder();
        string good = folder.Write("good.pml", Good);
        var output = new StringWriter();

        Assert.Equal(1, SchemaCheck.Run(new[] { good }, output, new StringWriter()));
        Assert.Contains("(5,25): error PCG0012:", output.ToString());

        folder.Write("docs/handbook.txt", "Handbook.");
        output = new StringWriter();
        Assert.Equal(0, SchemaCheck.Run(new[] { good }, output, new StringWriter()));
        Assert.Equal(string.Empty, output.ToString());
    }

    [Fact]
    public void Check_reports_unreadable_files_as_failures()
    {
        var error = new StringWriter();
        Assert.Equal(1, SchemaCheck.Run(new[] { "/no/such/file.pml" }, new StringWriter(), error));
        Assert.Contains("cannot read", error.ToString());
    }

    [Fact]
    public void Layout_text_shows_modules_unions_and_slots()
    {
        using var folder = new TempFolder();
        string good = folder.Write("good.pml", Good);
        folder.Write("docs/handbook.txt", "Handbook.");
        var output = new StringWriter();

        Assert.Equal(0, SchemaLayoutPrinter.Run(good, json: false, output, new StringWriter()));
        string text = output.ToString();
        Assert.Contains("  user\n    module plan  [cached, default path]\n", text.Replace("\r\n", "\n"));
        Assert.Contains("parameter days  [3 tokens, scaffold \"a week\"]", text);
        Assert.Contains("union  (one of 2; default abroad)", text);
        Assert.Contains("module abroad  [not cached, default path]", text);
        Assert.Contains("module home  [cached]", text);
    }

    [Fact]
    public void Layout_json_is_nested_and_complete()
    {
        using var folder = new TempFolder();
        string good = folder.Write("good.pml", Good);
        folder.Write("docs/handbook.txt", "Handbook.");
        var output = new StringWriter();

        Assert.Equal(0, SchemaLayoutPrinter.Run(good, json: true, output, new StringWriter()));
        using var doc = JsonDocument.Parse(output.ToString());
        var root = doc.RootElement;
        Assert.Equal("trip", root.GetProperty("schema").GetString());
        Assert.Equal(new[] { "plan", "plan/abroad", "doc" }, root.GetProperty("defaultPath").EnumerateArray().Select(e => e.GetString()));
        var user = root.GetProperty("children").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "role");
        var plan = user.GetProperty("children").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "module");
        var union = plan.GetProperty("children").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "union");
        Assert.Equal(new[] { "home", "abroad" }, union.GetProperty("members").EnumerateArray().Select(e => e.GetString()));
        Assert.False(union.GetProperty("children")[1].GetProperty("cacheable").GetBoolean());
        var days = plan.GetProperty("children").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "parameter");
        Assert.Equal(3, days.GetProperty("length").GetInt32());
    }

    [Fact]
    public void Layout_refuses_a_schema_with_errors()
    {
        using var folder = new TempFolder();
        string bad = folder.Write("bad.pml", Bad);
        var error = new StringWriter();
        Assert.Equal(1, SchemaLayoutPrinter.Run(bad, json: false, new StringWriter(), error));
        Assert.Contains("PCG0007", error.ToString());
    }

    [Fact]
    public void Command_line_parsing_reaches_check()
    {
        using var folder = new TempFolder();
        string bad = folder.Write("bad.pml", Bad);
        var root = new RootCommand { SchemaCommand.Create() };

        var parse = root.Parse(new[] { "schema", "check", bad });
        Assert.Empty(parse.Errors);
        Assert.Equal(1, parse.Invoke());
        Assert.NotEmpty(root.Parse(new[] { "schema", "check" }).Errors); // at least one file is required
    }
}
