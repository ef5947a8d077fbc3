using Microsoft.Extensions.Options;
using Parley.Server.Providers.Demo;

namespace Parley.Server.Providers;

// Route is the upstream route of a provider-served model (its provider, then its fallbacks); null for built-in models.
internal sealed record ModelEntry(string Id, string Provider, string DisplayName, int ContextWindow, IChatModel Client,
    IReadOnlyList<RouteStep>? Route = null);

internal sealed record ModelDto(string Id, string Provider, string DisplayName, int ContextWindow);

internal sealed record ModelListDto(string Default, IReadOnlyList<ModelDto> Items);

// Every model a session or a send may name, and which backend serves it.
internal sealed class ModelCatalog
{
    private readonly Dictionary<string, ModelEntry> _byId = new(StringComparer.Ordinal);
    private readonly List<ModelEntry> _ordered = [];

    public ModelCatalog(IConfiguration configuration, IOptions<DemoOptions> demo, DemoChatModel demoModel, ProviderRegistry providers)
    {
        if (demo.Value.Enabled)
        {
            Add(new ModelEntry(DemoChatModel.ModelId, "demo", "Offline demo (no real model)", demo.Value.ContextWindow, demoModel));
        }
        foreach (var model in providers.Models) Add(model);

        if (_ordered.Count == 0)
        {
            throw new InvalidOperationException("No model is configured: enable Parley:Demo:Enabled or configure Parley:Providers.");
        }

        var configuredDefault = configuration["Parley:DefaultModel"];
        if (!string.IsNullOrWhiteSpace(configuredDefault) && !_byId.ContainsKey(configuredDefault))
        {
            throw new InvalidOperationException($"Parley:DefaultModel names '{configuredDefault}', which no provider serves.");
        }
        // Without a configured default, a real model is preferred over the demo.
        Default = string.IsNullOrWhiteSpace(configuredDefault)
            ? (_ordered.FirstOrDefault(m => m.Id != DemoChatModel.ModelId) ?? _ordered[0]).Id
            : configuredDefault;
    }

    public string Default { get; }

    public IReadOnlyList<ModelEntry> All => _ordered;

    public ModelEntry? Find(string? id) => id is not null && _byId.TryGetValue(id, out var entry) ? entry : null;

    private void Add(ModelEntry entry)
    {
        if (_byId.TryAdd(entry.Id, entry)) _ordered.Add(entry);
    }
}
