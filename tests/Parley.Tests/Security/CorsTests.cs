using System.Net;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Security;

// Cross-origin browser access is off unless configured, and never carries the session cookie.
public sealed class CorsTests
{
    private static HttpRequestMessage Preflight(string origin) => new(HttpMethod.Options, "/api/sessions")
    {
        Headers =
        {
            { "Origin", origin },
            { "Access-Control-Request-Method", "POST" },
            { "Access-Control-Request-Headers", "authorization,content-type" },
        },
    };

    public sealed class Default(AppFixture fixture) : IClassFixture<AppFixture>
    {
        [Fact]
        public async Task No_origin_is_allowed_by_default()
        {
            var client = await fixture.SignedInAsync(apiKey: true);
            using var preflight = await client.Http.SendAsync(Preflight("https://evil.example"));
            Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));

            using var read = new HttpRequestMessage(HttpMethod.Get, "/api/models") { Headers = { { "Origin", "https://evil.example" } } };
            using var response = await client.Http.SendAsync(read);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
    }

    public sealed class Configured(Configured.App fixture) : IClassFixture<Configured.App>
    {
        public sealed class App : AppFixture
        {
            protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
            {
                ["Parley:Cors:AllowedOrigins:0"] = "https://app.example",
            };
        }

        [Fact]
        public async Task A_configured_origin_is_allowed_without_credentials_and_others_are_not()
        {
            var client = fixture.App.NewClient();
            using var allowed = await client.Http.SendAsync(Preflight("https://app.example"));
            Assert.Equal("https://app.example", Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
            Assert.False(allowed.Headers.Contains("Access-Control-Allow-Credentials"));

            using var other = await client.Http.SendAsync(Preflight("https://evil.example"));
            Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
        }
    }
}
