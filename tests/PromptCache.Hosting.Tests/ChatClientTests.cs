using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using PromptCache.Engine;

namespace PromptCache.Hosting.Tests;

public sealed class ChatClientTests
{
    private static IChatClient Client(out IServiceProvider services, string? systemPrompt = "Be brief.")
    {
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddPromptCache(TestHosts.Tiny).AddChatClient(o =>
        {
            o.SystemPrompt = systemPrompt;
            o.ModelId = "tiny-test";
        });
        services = collection.BuildServiceProvider();
        return services.GetRequiredService<IChatClient>();
    }

    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.System, "You answer in French."),
        new(ChatRole.User, "Hello!"),
        new(ChatRole.Assistant, "Bonjour."),
        new(ChatRole.User, "How are you?"),
    ];

    // The tiny random model's greedy choice is one byte that decodes to nothing; a hot, seeded sampler
    // gives varied (meaningless) bytes, and the same ones on every run.
    private static ChatOptions Sampled(int maxTokens) => new() { MaxOutputTokens = maxTokens, Temperature = 30, Seed = 3 };

    [Fact]
    public async Task GetResponseAsync_returns_the_text_the_stream_gives()
    {
        var client = Client(out var services);
        var options = Sampled(6);
        var response = await client.GetResponseAsync(Conversation, options);
        var text = new StringBuilder();
        int updates = 0;
        await foreach (var update in client.GetStreamingResponseAsync(Conversation, options))
        {
            text.Append(update.Text);
            updates++;
        }

        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.False(string.IsNullOrEmpty(response.Text));
        Assert.Equal(response.Text, text.ToString());   // same seed: both paths give the same tokens
        Assert.True(updates >= 2);                       // text pieces, then the finish update
        Assert.Equal("tiny-test", response.ModelId);
        Assert.NotNull(response.Usage);
        Assert.True(response.Usage!.OutputTokenCount is > 0 and <= 6);
        Assert.True(response.Usage.CachedInputTokenCount > 0);   // the baked-in system prompt is reused
        Assert.True(response.Usage.InputTokenCount > response.Usage.CachedInputTokenCount);
        var engine = await services.GetRequiredService<HostedPromptCache>().GetEngineAsync();
        Assert.Contains("promptcache-chat", engine.SchemaNames);
    }

    [Fact]
    public async Task Options_map_to_generation_settings()
    {
        var client = Client(out _, systemPrompt: null);
        var limited = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Count.")],
            new ChatOptions { MaxOutputTokens = 3, Temperature = 0.8f, TopP = 0.9f, TopK = 20, Seed = 42 });
        Assert.True(limited.Usage!.OutputTokenCount <= 3);
        if (limited.Usage.OutputTokenCount == 3) Assert.Equal(ChatFinishReason.Length, limited.FinishReason);
        Assert.Equal(0, limited.Usage.CachedInputTokenCount);   // no system prompt baked in: nothing to reuse

        var seeded = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Count.")],
            new ChatOptions { MaxOutputTokens = 3, Temperature = 0.8f, TopP = 0.9f, TopK = 20, Seed = 42 });
        Assert.Equal(limited.Text, seeded.Text);   // same seed, same sample

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "x")], new ChatOptions { TopP = 0 }));
    }

    [Fact]
    public async Task Stop_sequences_cut_the_text()
    {
        var client = Client(out _);
        var full = await client.GetResponseAsync(Conversation, Sampled(12));
        int at = full.Text.ToList().FindIndex(1, char.IsAsciiLetterOrDigit);
        Assert.True(at > 0, $"the synthetic model's text '{full.Text}' has no ASCII letter past its start to stop at");
        string stop = full.Text[at].ToString();
        var options = Sampled(12);
        options.StopSequences = [stop];
        var cut = await client.GetResponseAsync(Conversation, options);
        Assert.Equal(full.Text[..full.Text.IndexOf(stop, StringComparison.Ordinal)], cut.Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
    }

    [Fact]
    public async Task Unsupported_roles_and_content_are_refused_by_name()
    {
        var client = Client(out _);
        var tool = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.Tool, "42")]));
        Assert.Contains("role 'tool'", tool.Message);
        var image = new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1 }, "image/png")]);
        var content = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync([image]));
        Assert.Contains("DataContent", content.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync([]));
    }

    [Fact]
    public void GetService_exposes_metadata_and_the_cache()
    {
        var client = Client(out var services);
        Assert.Equal("promptcache", client.GetService<ChatClientMetadata>()!.ProviderName);
        Assert.Same(services.GetRequiredService<IPromptCache>(), client.GetService<IPromptCache>());
        Assert.Same(client, client.GetService<PromptCacheChatClient>());
        Assert.Null(client.GetService<IPromptCache>("key"));
    }
}
