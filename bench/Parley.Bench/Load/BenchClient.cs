using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Parley.Bench.Load;

// A signed-in API client with the few calls the scenarios need.
internal sealed class BenchClient(HttpClient http)
{
    public HttpClient Http { get; } = http;

    public static async Task<BenchClient> SignUpAsync(Uri baseUrl, string username)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1000 }) { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(10) };
        (await http.PostAsJsonAsync("/api/auth/register", new { username, password = "bench-password" })).EnsureSuccessStatusCode();
        var login = await http.PostAsJsonAsync("/api/auth/login", new { username, password = "bench-password" });
        login.EnsureSuccessStatusCode();
        var key = await (await http.PostAsJsonAsync("/api/keys", new { name = "bench" })).Content.ReadFromJsonAsync<JsonElement>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.GetProperty("key").GetString());
        return new BenchClient(http);
    }

    public async Task<string> CreateSessionAsync(string model)
    {
        var response = await Http.PostAsJsonAsync("/api/sessions", new { model });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    public async Task<string> SendAsync(string sessionId, string content)
    {
        var response = await Http.PostAsJsonAsync($"/api/sessions/{sessionId}/messages", new { content });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("assistantMessage").GetProperty("id").GetString()!;
    }

    // Streams a reply to its end; returns the time to the first delta and the number of deltas.
    public async Task<(TimeSpan FirstDelta, int Deltas)> StreamAsync(string messageId, Stopwatch since)
    {
        using var response = await Http.GetAsync($"/api/messages/{messageId}/stream", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        TimeSpan? first = null;
        var deltas = 0;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line == "event: delta")
            {
                first ??= since.Elapsed;
                deltas++;
            }
            else if (line == "event: done")
            {
                break;
            }
        }
        return (first ?? since.Elapsed, deltas);
    }
}
