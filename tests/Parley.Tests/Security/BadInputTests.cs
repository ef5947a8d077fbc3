using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.Tests.Infrastructure;
using Parley.Tests.Realtime;

namespace Parley.Tests.Security;

// Generated bad input at every JSON endpoint (found in the endpoint data source) and at the WebSocket: malformed
// JSON, wrong types, huge strings, deep nesting, invalid UTF-8, control characters, SQL and markup. The answer
// is always a 4xx in the API's error shape, never a 5xx; the hostile strings that are valid input are stored
// and returned exactly, as data.
public sealed class BadInputTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private static readonly string[] Hostile =
    [
        "'; DROP TABLE sessions; --", "\" OR 1=1 --", "<script>window.__pwned=1</script>", "<img src=x onerror=alert(1)>",
        "javascript:alert(1)", "\u0000\u0001\u001f\u007f", "{{7*7}} ${7*7}", "\u202eevil\u202c", "😀你好\uFFFD",
    ];

    private static readonly string[] Fields =
    [
        "title", "personaId", "model", "systemPrompt", "content", "clientMessageId", "name", "username", "password",
        "messages", "stream", "max_tokens", "temperature", "tools",
    ];

    // Every body is built from a fixed seed, so a failure names a body that can be replayed.
    private static IEnumerable<(string Label, byte[] Body)> Bodies()
    {
        static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        foreach (var malformed in new[] { "", "{", "{\"a\":", "[", "nul", "{\"title\":\"x\",}", "\"a string\"", "12", "[]", "{}{}", "{'single':1}" })
        {
            yield return ($"malformed {malformed}", Utf8(malformed));
        }
        foreach (var field in Fields)
        {
            foreach (var value in new[] { "123", "true", "[]", "{}", "null", "-1", "1e400", "\"\"" })
            {
                yield return ($"{field}={value}", Utf8($"{{\"{field}\":{value}}}"));
            }
        }
        yield return ("deep objects", Utf8(string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200)));
        yield return ("deep arrays", Utf8(new string('[', 5000) + new string(']', 5000)));
        yield return ("huge string", Utf8($"{{\"title\":\"{new string('x', 300_000)}\",\"content\":\"{new string('y', 300_000)}\"}}"));
        yield return ("over 1 MiB", Utf8($"{{\"content\":\"{new string('z', 1_200_000)}\"}}"));
        yield return ("invalid UTF-8", [.. Utf8("{\"title\":\""), 0xC3, 0x28, 0xFF, 0xFE, .. Utf8("\",\"content\":\"x\"}")]);
        yield return ("lone surrogate escape", Utf8("{\"title\":\"\\uD800\",\"content\":\"\\uDFFF\"}"));
        var random = new Random(20261122);
        for (var i = 0; i < 20; i++)
        {
            var fields = Fields.OrderBy(_ => random.Next()).Take(random.Next(1, 5))
                .Select(f => $"\"{f}\":{JsonSerializer.Serialize(Hostile[random.Next(Hostile.Length)])}");
            yield return ($"hostile #{i}", Utf8("{" + string.Join(",", fields) + "}"));
        }
    }

    [Fact]
    public async Task Every_json_endpoint_answers_bad_input_with_a_4xx_in_its_error_shape()
    {
        var client = await fixture.SignedInAsync(apiKey: true);
        var session = (await client.CreateSessionAsync()).Str("id");
        var (_, reply) = await client.SendAsync(session, "first");
        await client.WaitForReplyAsync(reply.Str("id"));

        var routes = fixture.App.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Method: m, Endpoint: e)))
            .Where(r => r.Method is "POST" or "PATCH" or "PUT")
            .ToList();
        Assert.True(routes.Count >= 8, "the endpoint data source should list the JSON endpoints");

        var checkedRequests = 0;
        foreach (var (method, endpoint) in routes)
        {
            var path = "/" + string.Join("/", endpoint.RoutePattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart { Name: "sessionId" } => session,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart { Name: "id" } when endpoint.RoutePattern.RawText!.StartsWith("/api/sessions") => session,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart { Name: "id" } => reply.Str("id"),
                _ => "x",
            }))));
            // Logging out would end the run's own sign-in; its body is ignored anyway.
            if (path == "/api/auth/logout") continue;
            foreach (var (label, body) in Bodies())
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                // The server refuses an oversized body before reading it; 100-continue lets the client hear that.
                request.Headers.ExpectContinue = body.Length > 1024 * 1024;
                using var response = await client.Http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                var status = (int)response.StatusCode;
                Assert.True(status < 500, $"{method} {path} with {label} answered {status}: {text}");
                checkedRequests++;
                if (status < 400) continue;
                if (path.StartsWith("/v1/", StringComparison.Ordinal))
                {
                    Assert.Equal(JsonValueKind.String, JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("message").ValueKind);
                }
                else
                {
                    Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
                        $"{method} {path} with {label} answered {status} as {response.Content.Headers.ContentType}: {text}");
                    Assert.Equal(status, JsonDocument.Parse(text).RootElement.GetProperty("status").GetInt32());
                }
            }
        }
        Assert.True(checkedRequests > 500);
    }

    [Fact]
    public async Task Json_nested_deeper_than_the_limit_is_a_400_and_just_under_it_is_read()
    {
        var client = await fixture.SignedInAsync(apiKey: true);
        static StringContent Nested(int depth) => new(
            "{\"title\":\"nested\",\"extra\":" + string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth) + "}",
            Encoding.UTF8, "application/json");

        using var deep = await client.Http.PostAsync("/api/sessions", Nested(40));
        Assert.Equal(HttpStatusCode.BadRequest, deep.StatusCode);
        Assert.Contains("depth", await deep.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        using var shallow = await client.Http.PostAsync("/api/sessions", Nested(20));
        Assert.Equal(HttpStatusCode.Created, shallow.StatusCode);
    }

    [Fact]
    public async Task Text_with_a_nul_character_is_refused_with_400_wherever_it_would_be_stored()
    {
        var client = await fixture.SignedInAsync(apiKey: true);
        var session = (await client.CreateSessionAsync()).Str("id");
        foreach (var (path, body) in new[]
        {
            ("/api/sessions", "{\"title\":\"a\\u0000b\"}"),
            ($"/api/sessions/{session}/messages", "{\"content\":\"a\\u0000b\"}"),
            ("/api/keys", "{\"name\":\"a\\u0000b\"}"),
        })
        {
            using var response = await client.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path} answered {(int)response.StatusCode}");
            Assert.Contains("NUL", await response.Content.ReadAsStringAsync());
        }

        await using var socket = await SocketClient.ConnectAsync(fixture.App, client.ApiKey);
        await socket.SendAsync(new { type = "user_message", sessionId = session, content = "a\u0000b" });
        var error = await socket.NextAsync();
        Assert.Equal("bad_frame", error.Str("code"));
    }

    [Fact]
    public async Task Hostile_strings_are_stored_and_returned_exactly_as_data()
    {
        var client = await fixture.SignedInAsync(apiKey: true);
        foreach (var hostile in Hostile.Where(h => !h.Contains('\u0000')))
        {
            var created = await client.CreateSessionAsync(new { title = hostile, systemPrompt = hostile });
            var id = created.Str("id");
            var (question, _) = await client.SendAsync(id, hostile);
            var stored = await client.GetAsync($"/api/sessions/{id}");
            Assert.Equal(hostile, stored.Str("title"));
            Assert.Equal(hostile, stored.Str("systemPrompt"));
            Assert.Equal(hostile, (await client.GetAsync($"/api/messages/{question.Str("id")}")).Str("content"));
        }
        // The SQL did nothing: the tables it names are all still there.
        var list = await client.GetAsync("/api/sessions?limit=100");
        Assert.Equal(Hostile.Count(h => !h.Contains('\u0000')), list.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task The_websocket_answers_generated_bad_frames_with_errors_and_stays_open()
    {
        var client = await fixture.SignedInAsync(apiKey: true);
        await using var socket = await SocketClient.ConnectAsync(fixture.App, client.ApiKey);
        foreach (var (label, body) in Bodies().Where(b => b.Body.Length < 1_000_000))
        {
            if (label == "invalid UTF-8") await socket.SendBinaryAsync(body);
            else await socket.SendTextAsync(Encoding.UTF8.GetString(body));
            var answer = await socket.NextAsync();
            Assert.True(answer.Str("type") == "error", $"{label}: {answer}");
            Assert.NotEqual("internal_error", answer.Str("code"));
        }
        Assert.Contains(await socket.PingAsync(), f => f.Str("type") == "pong");
    }
}
