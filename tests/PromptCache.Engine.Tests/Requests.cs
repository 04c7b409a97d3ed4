using PromptCache.Pml.Requests;

namespace PromptCache.Engine.Tests;

/// <summary>Requests as a generated prompt class builds them (modules in document order, then the suffix).</summary>
internal static class Requests
{
    public static PromptRequest TripDefault(string days, string user) => new(
        "trip", "",
        [new ModuleSelection(["intro"], [new PromptArgument("days", days)]), new ModuleSelection("plan"), new ModuleSelection("plan", "beach"), new ModuleSelection("live")],
        [PromptSuffixPart.User(user)]);

    public static PromptRequest TripCity(string days, string city, string user) => new(
        "trip", "",
        [new ModuleSelection(["intro"], [new PromptArgument("days", days)]), new ModuleSelection("plan"),
         new ModuleSelection(["plan", "city"], [new PromptArgument("city", city)]), new ModuleSelection("plan", "city", "new")],
        [PromptSuffixPart.User(user)]);

    public static PromptRequest Pick(string member, string? nested, string suffix)
    {
        var modules = new List<ModuleSelection> { new("head"), new(member) };
        if (nested is not null) modules.Add(new ModuleSelection(member, nested));
        return new PromptRequest("pick", "", modules, [PromptSuffixPart.Plain(suffix)]);
    }
}
