using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PromptCache.Engine;

namespace PromptCache.Hosting;

/// <summary>Chooses what start-up warming covers and adds the chat client; returned by <c>AddPromptCache</c>.</summary>
public sealed class PromptCacheBuilder
{
    internal PromptCacheBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Warms every schema in <see cref="Pml.Registry.PromptSchemaCatalog"/> at start-up: the generated
    /// schemas of every loaded assembly (each registers itself from a module initializer), plus any
    /// registered by hand. The catalog is read when warming starts, after configuration.
    /// </summary>
    public PromptCacheBuilder WarmSchemas()
    {
        Services.Configure<PromptCacheWarmupOptions>(o => o.AllCatalogSchemas = true);
        return this;
    }

    /// <summary>Warms the catalog schemas with these PML names; an unknown name fails warming with the registered names listed.</summary>
    public PromptCacheBuilder WarmSchemas(params string[] schemaNames) => Add(schemaNames, o => o.SchemaNames);

    /// <summary>Warms the catalog schemas of these generated classes (e.g. <c>typeof(TravelPrompt)</c>).</summary>
    public PromptCacheBuilder WarmSchemas(params Type[] promptTypes) => Add(promptTypes, o => o.PromptTypes);

    /// <summary>
    /// Warms these schemas, given explicitly: <c>new PromptSchemaSource(TravelPrompt.PmlSource,
    /// TravelPrompt.FileName, TravelPrompt.SourceFiles)</c> or <see cref="PromptSchemaSource.FromFile"/>.
    /// </summary>
    public PromptCacheBuilder WarmSchemas(params PromptSchemaSource[] sources) => Add(sources, o => o.Sources);

    /// <summary>
    /// Registers an <see cref="IChatClient"/> over the same engine (<see cref="PromptCacheChatClient"/>)
    /// for plain chat: no schema of the user's; each chat continues an engine conversation whose K/V is kept between turns.
    /// </summary>
    public PromptCacheBuilder AddChatClient(Action<PromptCacheChatClientOptions>? configure = null)
    {
        var chat = new PromptCacheChatClientOptions();
        configure?.Invoke(chat);
        Services.TryAddSingleton<IChatClient>(sp => new PromptCacheChatClient(sp.GetRequiredService<IPromptCache>(), chat));
        return this;
    }

    // Checked here, at the call, rather than when the options are first read at start-up.
    private PromptCacheBuilder Add<T>(T[] items, Func<PromptCacheWarmupOptions, IList<T>> list)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Any(i => i is null)) throw new ArgumentException("WarmSchemas does not take null entries.", nameof(items));
        T[] copy = [.. items];
        Services.Configure<PromptCacheWarmupOptions>(o =>
        {
            foreach (var item in copy) list(o).Add(item);
        });
        return this;
    }
}
