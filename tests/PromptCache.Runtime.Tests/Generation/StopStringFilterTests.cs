using PromptCache.Runtime.Generation;

namespace PromptCache.Runtime.Tests.Generation;

public sealed class StopStringFilterTests
{
    [Fact]
    public void Holds_back_a_possible_stop_prefix_and_cuts_at_the_stop()
    {
        var f = new StopStringFilter(["END"]);
        Assert.Equal("abc ", f.Push("abc E"));
        Assert.Equal("", f.Push("N"));
        Assert.Equal("", f.Push("Dxyz"));
        Assert.True(f.Stopped);
        Assert.Equal("", f.Flush());
    }

    [Fact]
    public void Releases_held_text_when_it_is_not_a_stop()
    {
        var f = new StopStringFilter(["END"]);
        Assert.Equal("", f.Push("E"));
        Assert.Equal("Ex", f.Push("x"));
        var g = new StopStringFilter(["END"]);
        Assert.Equal("", g.Push("EN"));
        Assert.Equal("ENo", g.Push("o"));
        Assert.Equal("", g.Push("E"));
        Assert.Equal("E", g.Flush());
        Assert.False(g.Stopped);
    }
}
