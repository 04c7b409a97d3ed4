using PromptCache.Engine.Synthetic;

namespace PromptCache.Engine.Tests;

/// <summary>Schemas and engines the tests share.</summary>
internal static class TestSchemas
{
    public const string Trip = """
        <schema name="trip">
          <system>You plan trips.</system>
          <user>
            <module name="intro">I travel for <parameter name="days" length="6" scaffold="a week"/> days.</module>
            <module name="plan">
              Destination:
              <union scaffold="beach">
                <module name="beach">Sun and sand near the sea.</module>
                <module name="city">Museums, cafes and <parameter name="city" length="8"/> streets.
                  <union>
                    <module name="old">Old town walks.</module>
                    <module name="new">Modern towers.</module>
                  </union>
                </module>
              </union>
              Thanks.
            </module>
            <module name="live" cache="false">Live note.</module>
          </user>
        </schema>
        """;

    // No whitespace between tags (so no root text after the union) and members of equal length: selecting
    // any member, with everything before it, is prefix-exact (no position gap).
    public const string Pick =
        "<schema name=\"pick\"><module name=\"head\">Choose one: </module><union>" +
        "<module name=\"a\">apples and pears!</module>" +
        "<module name=\"b\">bananas <union><module name=\"b1\">ripe ones</module><module name=\"b2\">old ones!</module></union></module>" +
        "</union></schema>";

    public static PromptSchemaSource Source(string pml, string name) => new(pml, name + ".pml");

    public static PromptCacheEngine TinyEngine(string? diskDirectory = null) =>
        PromptCacheEngine.CreateSynthetic(SyntheticShape.Tiny, seed: 7, new PromptCacheEngineOptions { DiskCacheDirectory = diskDirectory });

    public static string TempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "promptcache-engine-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
