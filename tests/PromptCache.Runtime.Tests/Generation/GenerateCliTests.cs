using PromptCache.Runtime.Tests.Inference;

namespace PromptCache.Runtime.Tests.Generation;

public sealed class GenerateCliTests
{
    [SharedFact]
    public void Generate_prints_only_the_continuation()
    {
        var (code, stdout, stderr) = LogitsCliTests.Cli("generate", "--model", StoriesGreedyTests.ModelPath,
            "--prompt", "Once upon a time", "--max-tokens", "16", "--temperature", "0");
        Assert.True(code == 0, stderr);
        Assert.Equal(", there was a little girl named Lily. She loved to play", stdout.TrimEnd('\n'));
    }
}
