using System.Text.Json;
using PromptCache.Cli.Commands.Schema;

namespace PromptCache.Cli.Tests;

/// <summary>`--tokenizer`: token-exact layouts and the token-count rules, with real reference tokenizers.</summary>
public class TokenBindingTests
{
    [SharedFact]
    public void Scaffold_longer_than_its_slot_is_reported_by_check()
    {
        using var folder = new TempFolder();
        string pml = folder.Write("s.pml", "<schema name=\"s\">\n<module name=\"m\">\n  <parameter name=\"p\" length=\"2\" scaffold=\"a rather long scaffold\"/>\n</module>\n</schema>");
        var binding = TokenBinding.Load(Path.Combine(SharedFolder.Path!, "tokenizers", "gpt2"), "chatml", null, new StringWriter())!;
        var output = new StringWriter();

        Assert.Equal(1, SchemaCheck.Run(new[] { pml }, output, new StringWriter(), binding));
        Assert.Equal(pml + "(3,3): error PCG0024: Schema 's', module 'm': the scaffold of parameter 'p' is 5 tokens, longer than its slot of 2", output.ToString().Trim());
    }

    [SharedFact]
    public void Context_length_is_checked_and_layout_json_has_consistent_offsets()
    {
        using var folder = new TempFolder();
        string pml = folder.Write("t.pml",
            "<schema name=\"t\"><system>You plan trips.</system><user><module name=\"plan\">A trip of <parameter name=\"days\" length=\"4\"/> days." +
            "<union><module name=\"home\">Stay home.</module><module name=\"abroad\">Go somewhere far away from here.</module></union> Thanks.</module></user></schema>");
        var binding = TokenBinding.Load(Path.Combine(SharedFolder.Path!, "tokenizers", "qwen3", "tokenizer.json"), null, 10, new StringWriter())!;
        Assert.NotNull(binding.Markers); // Qwen3's chat template is recognised (ChatML)

        var check = new StringWriter();
        Assert.Equal(1, SchemaCheck.Run(new[] { pml }, check, new StringWriter(), binding));
        Assert.Contains("error PCG0025: Schema 't' is ", check.ToString());

        var output = new StringWriter();
        SchemaLayoutPrinter.Run(pml, json: true, output, new StringWriter(), binding);
        using var doc = JsonDocument.Parse(output.ToString());
        var user = doc.RootElement.GetProperty("children").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "role" && e.GetProperty("role").GetString() == "user");
        var plan = user.GetProperty("children").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "module");
        var union = plan.GetProperty("children").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "union");
        var members = union.GetProperty("children").EnumerateArray().ToList();
        Assert.All(members, m => Assert.Equal(union.GetProperty("offset").GetInt32(), m.GetProperty("offset").GetInt32()));
        Assert.Equal(members.Max(m => m.GetProperty("length").GetInt32()), union.GetProperty("length").GetInt32());
        var days = plan.GetProperty("children").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "parameter");
        Assert.Equal(4, days.GetProperty("length").GetInt32());
        Assert.True(doc.RootElement.GetProperty("totalLength").GetInt32() > 10);
    }
}
