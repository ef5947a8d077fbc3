using System.Text.Json;

namespace Parley.Server.Tools;

internal sealed class CurrentTimeTool(TimeProvider clock) : IServerTool
{
    public string Name => "get_current_time";

    public string Description => "Returns the current date and time, in UTC or in a given IANA time zone such as Asia/Shanghai.";

    public JsonElement Parameters { get; } = JsonDocument.Parse("""
        {"type":"object","properties":{"timezone":{"type":"string","description":"IANA time zone id; UTC when omitted"}},"additionalProperties":false}
        """).RootElement;

    public Task<string> InvokeAsync(JsonElement arguments, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var zoneId = arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty("timezone", out var tz) && tz.ValueKind == JsonValueKind.String
            ? tz.GetString()
            : null;
        if (string.IsNullOrWhiteSpace(zoneId) || zoneId == "UTC")
        {
            return Task.FromResult(JsonSerializer.Serialize(new { timezone = "UTC", time = now.ToString("yyyy-MM-ddTHH:mm:ssZ") }));
        }
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var local = TimeZoneInfo.ConvertTime(now, zone);
        return Task.FromResult(JsonSerializer.Serialize(new { timezone = zone.Id, time = local.ToString("yyyy-MM-ddTHH:mm:sszzz") }));
    }
}
