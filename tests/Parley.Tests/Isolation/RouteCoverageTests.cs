using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Isolation;

// Every route the server maps, found in its endpoint data source rather than listed by hand, so that a route
// added later is checked without anyone remembering to: without credentials it answers 401 unless it is one of
// the known public routes; with another user's credentials and the owner's ids it answers 404 (403 for admin
// routes), and nothing in any answer carries the owner's data.
public sealed class RouteCoverageTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private const string SecretTitle = "Carol's hidden roadmap";
    private const string SecretContent = "the vault code is 4711";

    // Routes anyone may call. Adding to this list is a security decision.
    private static readonly HashSet<string> PublicRoutes =
    [
        "POST /api/auth/register", "POST /api/auth/login", "POST /api/auth/logout", "GET /api/auth/setup",
        "GET /health/live", "GET /health/ready", "GET {*path:page}", "HEAD {*path:page}",
    ];

    private sealed record Route(string Method, string Pattern, RouteEndpoint Endpoint)
    {
        public string Name => $"{Method} {Pattern}";
    }

    private IReadOnlyList<Route> Routes() =>
        fixture.App.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => new Route(m, e.RoutePattern.RawText!.TrimEnd('/'), e)))
            .Where(r => r.Method != "CONNECT")
            .ToList();

    [Fact]
    public void The_public_routes_are_exactly_the_known_ones()
    {
        var anonymous = Routes().Where(r => r.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null).Select(r => r.Name).ToHashSet();
        Assert.Equal(PublicRoutes.Order(), anonymous.Order());
        Assert.True(Routes().Count > 25, "the endpoint data source should list every route");
    }

    [Fact]
    public async Task Every_route_but_the_public_ones_answers_401_without_credentials()
    {
        var anonymous = fixture.App.NewClient();
        foreach (var route in Routes().Where(r => !PublicRoutes.Contains(r.Name)))
        {
            using var response = await anonymous.Http.SendAsync(Request(route, Fill(route, _ => "x_unknown")));
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{route.Name} answered {(int)response.StatusCode} without credentials.");
        }
    }

    [Fact]
    public async Task Another_users_credentials_with_the_owners_ids_find_nothing_and_leak_nothing()
    {
        using var owner = await fixture.SignedInAsync();
        var session = (await owner.CreateSessionAsync(new { title = SecretTitle })).Str("id");
        var (question, reply) = await owner.SendAsync(session, SecretContent);
        await owner.WaitForReplyAsync(reply.Str("id"));
        var key = (await owner.PostAsync("/api/keys", new { name = "owner's key" }, HttpStatusCode.Created)).Str("id");
        var ownerId = owner.UserId!;
        string[] secrets = [SecretTitle, SecretContent, session, question.Str("id"), reply.Str("id"), key, ownerId];

        // The other user calls with an API key, so that logging out or a cookie check does not end the run.
        using var other = await fixture.SignedInAsync(apiKey: true);
        foreach (var route in Routes().Where(r => !PublicRoutes.Contains(r.Name) && r.Pattern != "/ws"))
        {
            var path = Fill(route, parameter => parameter switch
            {
                "sessionId" => session,
                "id" when route.Pattern.StartsWith("/api/sessions/", StringComparison.Ordinal) => session,
                "id" when route.Pattern.StartsWith("/api/messages/", StringComparison.Ordinal) => reply.Str("id"),
                "id" when route.Pattern.StartsWith("/api/keys/", StringComparison.Ordinal) => key,
                "id" or "userId" when route.Pattern.StartsWith("/api/admin/", StringComparison.Ordinal) => ownerId,
                "path" => "x",
                _ => throw new InvalidOperationException($"{route.Name} takes '{{{parameter}}}': teach this test which of the owner's ids it is."),
            });
            using var response = await other.Http.SendAsync(Request(route, path));
            var body = await response.Content.ReadAsStringAsync();

            var takesId = route.Endpoint.RoutePattern.Parameters.Any(p => p.Name != "path");
            var expected = route.Pattern.StartsWith("/api/admin", StringComparison.Ordinal) ? HttpStatusCode.Forbidden
                : takesId || route.Pattern.StartsWith("/v1/{", StringComparison.Ordinal) ? HttpStatusCode.NotFound
                : (HttpStatusCode?)null;
            if (expected is { } status) Assert.True(response.StatusCode == status, $"{route.Name} with the owner's ids answered {(int)response.StatusCode}, not {(int)status}: {body}");
            else Assert.True((int)response.StatusCode is < 400 or 400 or 404 or 409 or 429, $"{route.Name} answered {(int)response.StatusCode}: {body}");
            foreach (var secret in secrets) Assert.False(body.Contains(secret, StringComparison.Ordinal), $"{route.Name} leaked '{secret}'.");
        }

        // Nothing the other user did changed the owner's conversation.
        var messages = await owner.GetAsync($"/api/sessions/{session}/messages");
        Assert.Equal(2, messages.GetProperty("items").GetArrayLength());
        Assert.Equal(SecretTitle, (await owner.GetAsync($"/api/sessions/{session}")).Str("title"));
    }

    private static string Fill(Route route, Func<string, string> valueOf)
    {
        var path = new StringBuilder();
        foreach (var segment in route.Endpoint.RoutePattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                path.Append(part switch
                {
                    Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                    Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => Uri.EscapeDataString(valueOf(parameter.Name)),
                    _ => "",
                });
            }
        }
        return path.Length == 0 ? "/" : path.ToString();
    }

    // A body each route would accept from its owner, so that an answer other than 404 cannot hide behind a 400.
    private static HttpRequestMessage Request(Route route, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(route.Method), path);
        if (route.Method is "POST" or "PATCH" or "PUT")
        {
            var body = route.Pattern switch
            {
                "/api/sessions/{sessionId}/messages" => """{"content":"probe"}""",
                "/api/sessions/{id}" => """{"title":"probe"}""",
                "/api/keys" => """{"name":"probe"}""",
                "/v1/chat/completions" => """{"model":"demo","messages":[{"role":"user","content":"probe"}]}""",
                _ => "{}",
            };
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        return request;
    }
}
