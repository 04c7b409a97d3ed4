using PromptCache.Runtime.Generation;

namespace PromptCache.Engine.Tests;

public sealed class StopStringFilterTests
{
    private static (string Text, bool Stopped) Run(string[] stops, params string[] pieces)
    {
        var filter = new StopStringFilter(stops);
        string text = string.Concat(pieces.Select(filter.Push)) + filter.Flush();
        return (text, filter.Stopped);
    }

    [Fact]
    public void A_stop_split_across_pieces_is_cut_and_never_half_emitted()
    {
        var filter = new StopStringFilter(["END"]);
        Assert.Equal("abc ", filter.Push("abc E"));   // "E" may start "END": held back
        Assert.Equal("", filter.Push("N"));
        Assert.Equal("", filter.Push("D and more"));
        Assert.True(filter.Stopped);
        Assert.Equal("", filter.Flush());
    }

    [Fact]
    public void Held_text_that_is_not_a_stop_comes_out()
    {
        Assert.Equal(("abc EN!", false), Run(["END"], "abc E", "N!"));
        Assert.Equal(("tail E", false), Run(["END"], "tail E"));
    }

    [Fact]
    public void The_earliest_of_several_stops_wins()
    {
        Assert.Equal(("one ", true), Run(["three", "two"], "one two three"));
        Assert.Equal(("no stops", false), Run([], "no ", "stops"));
        Assert.Equal(("empty stop ignored", false), Run([""], "empty stop ignored"));
    }
}
