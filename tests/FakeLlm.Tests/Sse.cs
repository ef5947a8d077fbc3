using System.Text.Json.Nodes;

namespace FakeLlm.Tests;

internal static class Sse
{
    // Returns the payload of each "data:" event in order, including "[DONE]" and malformed ones.
    public static async Task<List<string>> ReadEventsAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return Parse(text);
    }

    public static List<string> Parse(string text)
    {
        Assert.EndsWith("\n\n", text);
        return text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e =>
            {
                Assert.StartsWith("data: ", e);
                return e["data: ".Length..];
            })
            .ToList();
    }

    public static List<JsonObject> Chunks(IEnumerable<string> events) =>
        events.Where(e => e != "[DONE]").Select(e => JsonNode.Parse(e)!.AsObject()).ToList();

    public static string? Content(JsonObject chunk) =>
        chunk["choices"]!.AsArray() is [var choice, ..] ? (string?)choice!["delta"]!["content"] : null;

    public static string? FinishReason(JsonObject chunk) =>
        chunk["choices"]!.AsArray() is [var choice, ..] ? (string?)choice!["finish_reason"] : null;

    public static string Text(IEnumerable<JsonObject> chunks) => string.Concat(chunks.Select(Content));
}
