extern alias generator;

using generator::PromptCache.Generators.Inputs;
using generator::PromptCache.Generators.Naming;

namespace PromptCache.Generators.Tests;

/// <summary>How PML names, folders and src paths become C# names and AdditionalFiles paths.</summary>
public sealed class NamingTests
{
    [Theory]
    [InlineData("travel-plan", "TravelPlan")]
    [InlineData("young-adult", "YoungAdult")]
    [InlineData("travel_plan", "TravelPlan")]
    [InlineData("a.b.c", "ABC")]
    [InlineData("buenosaires", "Buenosaires")]
    [InlineData("cityName", "CityName")]
    [InlineData("_", "_")]
    [InlineData("_1st", "_1st")]
    public void Pml_names_become_pascal_case(string name, string expected) => Assert.Equal(expected, IdentifierNames.ToPascalCase(name));

    [Theory]
    [InlineData("party-size", "partySize")]
    [InlineData("class", "@class")]
    [InlineData("string", "@string")]
    [InlineData("City", "city")]
    public void Parameter_names_become_camel_case_with_keywords_escaped(string name, string expected) =>
        Assert.Equal(expected, IdentifierNames.ToCamelCase(name));

    [Theory]
    [InlineData("travel", "TravelPrompt")]
    [InlineData("trip-planner", "TripPlannerPrompt")]
    [InlineData("support-prompt", "SupportPrompt")]
    public void Schema_names_become_prompt_classes(string name, string expected) => Assert.Equal(expected, IdentifierNames.SchemaTypeName(name));

    [Theory]
    [InlineData("/p/travel.pml", "/p/", "My.App", null, "My.App")]
    [InlineData("/p/Prompts/Trips/travel.pml", "/p/", "My.App", null, "My.App.Prompts.Trips")]
    [InlineData("/p/my prompts/2024/travel.pml", "/p/", "My.App", null, "My.App.my_prompts._2024")]
    [InlineData("/p/Prompts/travel.pml", "/p/", "My.App", "Other.Ns", "Other.Ns")]
    [InlineData("/elsewhere/travel.pml", "/p/", "My.App", null, "My.App")]
    [InlineData("C:\\p\\Prompts\\travel.pml", "c:\\P\\", "My.App", null, "My.App.Prompts")]
    [InlineData("/p/Prompts/travel.pml", null, null, null, "")]
    public void Namespace_is_root_namespace_plus_folder_unless_overridden(string file, string? projectDir, string? root, string? metadata, string expected) =>
        Assert.Equal(expected, NamespaceResolver.Resolve(file, projectDir, root, metadata));

    [Theory]
    [InlineData("/p/Prompts/travel.pml", "docs/handbook.txt", "/p/Prompts/docs/handbook.txt")]
    [InlineData("/p/Prompts/travel.pml", "../shared/./a.txt", "/p/shared/a.txt")]
    [InlineData("/p/Prompts/travel.pml", "docs\\handbook.txt", "/p/Prompts/docs/handbook.txt")]
    [InlineData("C:\\p\\travel.pml", "docs\\a.txt", "C:/p/docs/a.txt")]
    [InlineData("/p/Prompts/travel.pml", "/abs/a.txt", "/abs/a.txt")]
    public void Src_resolves_relative_to_the_pml(string schema, string src, string expected) =>
        Assert.Equal(expected, SourcePaths.Resolve(schema, src));
}
