using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PromptCache.Engine;
using PromptCache.Engine.Synthetic;

namespace PromptCache.Hosting.Tests;

/// <summary>Hosts on the engine's tiny synthetic model, schemas, and a log sink the tests share.</summary>
internal static class TestHosts
{
    public const string Trip = """
        <schema name="hosting-trip">
          <system>You plan trips.</system>
          <user>
            <module name="intro">I travel for <parameter name="days" length="6" scaffold="a week"/>.</module>
            <union>
              <module name="beach">Sun and sand near the sea.</module>
              <module name="city">Museums in <parameter name="city" length="8"/>.</module>
            </union>
          </user>
        </schema>
        """;

    public static PromptSchemaSource TripSource => new(Trip, "hosting-trip.pml");

    public static void Tiny(PromptCacheOptions o)
    {
        o.SyntheticShape = SyntheticShape.Tiny;
        o.SyntheticSeed = 7;
        o.MemoryBudgetBytes = 64L << 20;
    }

    /// <summary>A host with PromptCache on the tiny model; <paramref name="build"/> adds warming and more.</summary>
    public static IHost Create(Action<PromptCacheOptions>? configure, Action<PromptCacheBuilder>? build = null, LogSink? logs = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMetrics();
        if (logs is not null) builder.Logging.AddProvider(logs);
        var promptCache = builder.Services.AddPromptCache(o =>
        {
            Tiny(o);
            configure?.Invoke(o);
        });
        build?.Invoke(promptCache);
        return builder.Build();
    }

    public static string TempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "promptcache-hosting-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static async Task WaitReadyAsync(IHost host) =>
        await host.Services.GetRequiredService<PromptCacheReadiness>().WhenReady.WaitAsync(TimeSpan.FromSeconds(60));
}

/// <summary>Collects log entries (category, event, message) from every logger.</summary>
internal sealed class LogSink : ILoggerProvider
{
    public ConcurrentQueue<(string Category, EventId Event, LogLevel Level, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Entries.Enqueue((category, eventId, logLevel, formatter(state, exception)));
    }
}

/// <summary>Requests against <see cref="TestHosts.Trip"/>.</summary>
internal static class TripRequests
{
    public static Pml.Requests.PromptRequest City(string days, string city, string user) => new(
        "hosting-trip", "",
        [new Pml.Requests.ModuleSelection(["intro"], [new Pml.Requests.PromptArgument("days", days)]),
         new Pml.Requests.ModuleSelection(["city"], [new Pml.Requests.PromptArgument("city", city)])],
        [Pml.Requests.PromptSuffixPart.User(user)]);
}
