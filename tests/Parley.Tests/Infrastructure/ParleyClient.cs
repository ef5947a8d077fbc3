using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Parley.Tests.Infrastructure;

public sealed record SseEvent(string? Id, string Event, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement;
    public long Seq => Json.GetProperty("seq").GetInt64();
}

// Keeps tests short: sign up, send, await a reply, read a stream. Every call goes over the real socket.
public sealed class ParleyClient(HttpClient http) : IDisposable
{
    public HttpClient Http { get; } = http;
    public string? UserId { get; private set; }
    public string? ApiKey { get; private set; }

    public static string NewUsername() => "u" + Guid.NewGuid().ToString("N")[..12];

    // Registers and signs in with the cookie; returns the user as JSON.
    public async Task<JsonElement> SignUpAsync(string? username = null, string password = "password123")
    {
        username ??= NewUsername();
        var register = await Http.PostAsJsonAsync("/api/auth/register", new { username, password });
        Assert.Equal(HttpStatusCode.Created, register.StatusCode);
        var login = await Http.PostAsJsonAsync("/api/auth/login", new { username, password });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var user = await login.Content.ReadFromJsonAsync<JsonElement>();
        UserId = user.GetProperty("id").GetString();
        return user;
    }

    // Switches this client to Bearer auth with a new API key.
    public async Task<string> UseApiKeyAsync()
    {
        var created = await PostAsync("/api/keys", new { name = "tests" }, HttpStatusCode.Created);
        ApiKey = created.GetProperty("key").GetString()!;
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return ApiKey;
    }

    public async Task<JsonElement> GetAsync(string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await Http.GetAsync(url);
        return await ExpectAsync(response, expected);
    }

    public async Task<JsonElement> PostAsync(string url, object? body, HttpStatusCode expected)
    {
        var response = body is null ? await Http.PostAsync(url, null) : await Http.PostAsJsonAsync(url, body);
        return await ExpectAsync(response, expected);
    }

    public async Task<JsonElement> PatchAsync(string url, object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await Http.PatchAsJsonAsync(url, body);
        return await ExpectAsync(response, expected);
    }

    public async Task<JsonElement> DeleteAsync(string url, HttpStatusCode expected = HttpStatusCode.NoContent)
    {
        var response = await Http.DeleteAsync(url);
        return await ExpectAsync(response, expected);
    }

    public Task<JsonElement> CreateSessionAsync(object? body = null) => PostAsync("/api/sessions", body ?? new { }, HttpStatusCode.Created);

    public async Task<(JsonElement User, JsonElement Reply)> SendAsync(string sessionId, string content, string? clientMessageId = null,
        HttpStatusCode expected = HttpStatusCode.Accepted, string? model = null, string? personaId = null)
    {
        var pair = await PostAsync($"/api/sessions/{sessionId}/messages", new { content, clientMessageId, model, personaId }, expected);
        return (pair.GetProperty("userMessage"), pair.GetProperty("assistantMessage"));
    }

    public async Task<JsonElement> WaitForReplyAsync(string messageId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var message = await GetAsync($"/api/messages/{messageId}");
            var status = message.GetProperty("status").GetString();
            if (status is not ("queued" or "generating")) return message;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Reply {messageId} still {status}.");
            await Task.Delay(25);
        }
    }

    // Sends and waits for the reply to end.
    public async Task<JsonElement> ChatAsync(string sessionId, string content)
    {
        var (_, reply) = await SendAsync(sessionId, content);
        return await WaitForReplyAsync(reply.GetProperty("id").GetString()!);
    }

    public async Task<HttpResponseMessage> OpenStreamAsync(string messageId, long? after = null, string? lastEventId = null, CancellationToken ct = default)
    {
        var url = $"/api/messages/{messageId}/stream" + (after is null ? "" : $"?after={after}");
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        return await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    // Reads a stream until it ends, or until `stopAfter` events with an id have arrived (then disconnects).
    public async Task<List<SseEvent>> ReadStreamAsync(string messageId, long? after = null, string? lastEventId = null,
        int? stopAfter = null, List<string>? comments = null, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        using var response = await OpenStreamAsync(messageId, after, lastEventId, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var body = await response.Content.ReadAsStreamAsync(cts.Token);
        return await ReadEventsAsync(body, stopAfter, comments, cts.Token);
    }

    public static async Task<List<SseEvent>> ReadEventsAsync(Stream body, int? stopAfter, List<string>? comments, CancellationToken ct)
    {
        using var reader = new StreamReader(body, Encoding.UTF8);
        var events = new List<SseEvent>();
        while (await NextEventAsync(reader, comments, ct) is { } e)
        {
            events.Add(e);
            if (stopAfter is not null && events.Count(x => x.Id is not null) >= stopAfter) break;
        }
        return events;
    }

    // The next event of an SSE stream, or null once the response has ended. Comment lines go to `comments`.
    public static async Task<SseEvent?> NextEventAsync(StreamReader reader, List<string>? comments, CancellationToken ct)
    {
        string? id = null, name = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null || data.Length > 0) return new SseEvent(id, name ?? "message", data.ToString());
                continue;
            }
            if (line.StartsWith(':')) { comments?.Add(line); continue; }
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id": id = value; break;
                case "event": name = value; break;
                case "data": if (data.Length > 0) data.Append('\n'); data.Append(value); break;
            }
        }
        return null;
    }

    public static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public void Dispose() => Http.Dispose();
}

public static class JsonExtensions
{
    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;
}
