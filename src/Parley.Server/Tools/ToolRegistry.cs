using System.Text.Json;
using Microsoft.Extensions.Options;
using Parley.Server.Providers;

namespace Parley.Server.Tools;

internal sealed record ToolCallRecord(string Id, string Name, string Arguments, string? Result, string? Error);

// The server-side tools enabled in configuration, and running one call safely.
internal sealed class ToolRegistry
{
    private readonly Dictionary<string, IServerTool> _enabled;

    public ToolRegistry(IEnumerable<IServerTool> tools, IOptions<ToolsOptions> options)
    {
        var all = tools.ToDictionary(t => t.Name, StringComparer.Ordinal);
        // Blank entries are skipped, so Parley__Tools__Enabled__0="" turns tools off from the environment.
        var names = (options.Value.Enabled ?? [.. all.Keys]).Where(n => !string.IsNullOrWhiteSpace(n)).ToList();
        foreach (var unknown in names.Where(n => !all.ContainsKey(n)))
        {
            throw new InvalidOperationException($"Parley:Tools:Enabled lists '{unknown}', which is not a known tool ({string.Join(", ", all.Keys)}).");
        }
        _enabled = names.Distinct().ToDictionary(n => n, n => all[n], StringComparer.Ordinal);
        Definitions = _enabled.Values.Select(t => new ToolDefinition(t.Name, t.Description, t.Parameters)).ToList();
    }

    public IReadOnlyList<ToolDefinition> Definitions { get; }

    // A tool that throws, or is unknown, or gets arguments that are not JSON, yields an error result the
    // model can read; the reply goes on.
    public async Task<ToolCallRecord> RunAsync(ToolCallRequest call, CancellationToken ct)
    {
        if (!_enabled.TryGetValue(call.Name, out var tool)) return new(call.Id, call.Name, call.Arguments, null, $"There is no tool named '{call.Name}'.");
        try
        {
            using var arguments = JsonDocument.Parse(string.IsNullOrWhiteSpace(call.Arguments) ? "{}" : call.Arguments);
            var result = await tool.InvokeAsync(arguments.RootElement, ct);
            return new(call.Id, call.Name, call.Arguments, result, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return new(call.Id, call.Name, call.Arguments, null, ex is JsonException ? "The arguments are not valid JSON." : ex.Message);
        }
    }
}
