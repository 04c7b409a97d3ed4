using Microsoft.CodeAnalysis;
using PromptCache.Generators.Tests.Infrastructure;

namespace PromptCache.Generators.Tests;

/// <summary>
/// "An invalid prompt does not compile": user code against the generated travel class, compiled with it.
/// A valid prompt compiles cleanly; each kind of invalid prompt is a C# compile error.
/// </summary>
public sealed class GeneratedApiTests
{
    [Fact]
    public void A_valid_prompt_compiles_without_diagnostics()
    {
        var problems = Compile("""
            var request = TravelPrompt.Create()
                .TravelPlan(duration: "5 days", plan => plan.Overseas(overseas => overseas.Tokyo()))
                .User("Plan my trip.");
            """);

        Assert.Empty(problems);
    }

    [Theory]
    [InlineData("CS7036", """TravelPrompt.Create().TravelPlan(plan => plan.Domestic("Paris"));""")]                     // a parameter left out
    [InlineData("CS1739", """TravelPrompt.Create().TravelPlan(days: "5", plan => plan.Domestic("Paris"));""")]         // a parameter that does not exist
    [InlineData("CS7036", """TravelPrompt.Create().TravelPlan("5 days", plan => plan.Domestic());""")]                  // a member's parameter left out
    [InlineData("CS1061", """TravelPrompt.Create().TravelPlan("5 days", plan => plan.Tokyo());""")]                     // a member of another union
    [InlineData("CS1061", """TravelPrompt.Create().Domestic("Paris");""")]                                               // a nested module from the root
    [InlineData("CS1662", """TravelPrompt.Create().TravelPlan("5 days", plan => plan.Overseas(o => plan.Domestic("x")));""")] // a choice of the wrong union
    [InlineData("CS1643", """TravelPrompt.Create().TravelPlan("5 days", plan => { });""")]                              // no choice made
    [InlineData("CS0122", """new TravelPrompt.TravelPlanChoice(null!);""")]                                              // a choice made by hand, even in the same assembly
    public void An_invalid_prompt_is_a_compile_error(string expectedError, string statement)
    {
        var problems = Compile(statement);

        Assert.Contains(problems, d => d.Id == expectedError && d.Severity == DiagnosticSeverity.Error);
    }

    private static IReadOnlyList<Diagnostic> Compile(string statements)
    {
        var user = "using Consumer;\nnamespace User;\npublic static class Program\n{\n    public static void Main()\n    {\n" + statements + "\n    }\n}\n";
        var run = GeneratorHarness.Run(GeneratorHarness.CreateDriver(new[] { GeneratorHarness.Fixture("travel.pml") }), GeneratorHarness.CreateCompilation(user));
        Assert.Empty(run.Exceptions);
        Assert.Empty(run.Diagnostics);
        return run.CompilationProblems;
    }
}
