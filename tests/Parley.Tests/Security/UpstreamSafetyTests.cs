using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.Tests.Infrastructure;
using Parley.Tests.OpenAiApi;

namespace Parley.Tests.Security;

// SPEC §7/§10: where Parley sends a request, and with which key, comes only from its configuration. No request
// can change either, and no API hands either out.
public sealed class UpstreamSafetyTests(V1Fixture fixture) : IClassFixture<V1Fixture>
{
    private const string ProviderKey = "sk-upstream-secret";

    [Fact]
    public async Task No_request_field_or_header_redirects_a_call_or_swaps_its_key()
    {
        var (client, key) = await fixture.NewCallerAsync();
        fixture.Fake.Inspector.Clear();

        // Chat: fields that name an upstream are not part of a session.
        var session = await client.PostAsync("/api/sessions",
            new { model = "fake", baseUrl = "http://127.0.0.1:1/v1", apiKey = "sk-evil", provider = new { baseUrl = "http://127.0.0.1:1" } },
            HttpStatusCode.Created);
        var reply = await client.ChatAsync(session.Str("id"), "where do you go?");
        Assert.Equal("complete", reply.Str("status"));

        // /v1: the same in the body, and in headers some gateways honour.
        var request = V1Wire.Post(key, V1Wire.Body("fake", "and you?",
            extra: ""","base_url":"http://127.0.0.1:1/v1","api_base":"http://127.0.0.1:1","api_key":"sk-evil" """));
        request.Headers.Add("X-Upstream-Url", "http://127.0.0.1:1/v1");
        request.Headers.Add("OpenAI-Base-URL", "http://127.0.0.1:1/v1");
        request.Headers.Add("X-Provider-Key", "sk-evil");
        using var response = await fixture.App.NewClient().Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // Every call (the chat's title suggestion included) reached the configured upstream with the configured
        // key, never the caller's key.
        var calls = fixture.Fake.Inspector.Requests;
        Assert.Contains(calls, c => c.Body.GetProperty("messages").EnumerateArray().Any(m => m.GetProperty("content").GetString() == "and you?"));
        Assert.Contains(calls, c => c.Body.GetProperty("messages").EnumerateArray().Any(m => m.GetProperty("content").GetString() == "where do you go?"));
        Assert.All(calls, c => Assert.Equal("Bearer " + ProviderKey, c.Authorization));
        Assert.DoesNotContain(calls, c => c.Authorization!.Contains(key));
    }

    [Fact]
    public async Task No_answer_of_any_get_route_carries_a_provider_key_or_base_url()
    {
        var (client, _) = await fixture.NewCallerAsync();
        var session = (await client.CreateSessionAsync(new { model = "fake" })).Str("id");
        var reply = await client.ChatAsync(session, "hello");
        var baseUrl = fixture.Fake.BaseUrl.Authority;

        var routes = fixture.App.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains("GET") == true)
            .Select(e => e.RoutePattern.RawText!)
            .Where(p => p != "/ws" && !p.Contains("{*"))
            .ToList();
        Assert.True(routes.Count > 10);
        foreach (var pattern in routes)
        {
            var path = pattern.Replace("{sessionId}", session).Replace("{**path}", "x")
                .Replace("{id}", pattern.StartsWith("/api/sessions", StringComparison.Ordinal) ? session : reply.Str("id"));
            using var response = await client.Http.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain(ProviderKey, body);
            Assert.DoesNotContain(baseUrl, body);
        }
    }
}
