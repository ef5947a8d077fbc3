using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Parley.Tests.OpenAiApi;

// Raw HTTP to /v1, for what the SDKs hide: exact bytes, unknown fields, the events of a failing stream.
public static class V1Wire
{
    public static HttpRequestMessage Post(string key, string json, string path = "/v1/chat/completions")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    public static string Body(string model, string content, bool stream = false, string extra = "") =>
        $$"""{"model":{{JsonSerializer.Serialize(model)}},"messages":[{"role":"user","content":{{JsonSerializer.Serialize(content)}}}],"stream":{{(stream ? "true" : "false")}}{{extra}}}""";

    // The data lines of an SSE response, in order; "[DONE]" appears as itself.
    public static async Task<List<string>> ReadDataAsync(HttpResponseMessage response)
    {
        var data = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal)) data.Add(line["data: ".Length..]);
        }
        return data;
    }

    public static JsonElement Error(string body)
    {
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _), "an OpenAI error always has 'param'");
        Assert.Equal(JsonValueKind.String, error.GetProperty("code").ValueKind);
        return error;
    }
}
