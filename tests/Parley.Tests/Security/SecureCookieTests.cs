using System.Net;
using System.Net.Http.Json;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Security;

// The session cookie is HttpOnly and SameSite=Strict always, and Secure whenever the request came over HTTPS:
// here through a TLS-terminating proxy whose X-Forwarded-Proto Parley is told to trust.
public sealed class SecureCookieTests
{
    private static async Task<string> LoginCookieAsync(ParleyApp app, bool forwardedHttps)
    {
        var http = app.NewClient().Http;
        var credentials = new { username = ParleyClient.NewUsername(), password = "password123" };
        (await http.PostAsJsonAsync("/api/auth/register", credentials)).EnsureSuccessStatusCode();
        using var login = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = JsonContent.Create(credentials) };
        if (forwardedHttps) login.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await http.SendAsync(login);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("parley_session=", StringComparison.Ordinal)).ToLowerInvariant();
    }

    [Fact]
    public async Task Behind_a_trusted_tls_proxy_the_cookie_is_secure()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?> { ["Parley:Hosting:TrustForwardedHeaders"] = "true" });
        var overHttps = await LoginCookieAsync(app, forwardedHttps: true);
        Assert.Contains("; secure", overHttps);
        Assert.Contains("; httponly", overHttps);
        Assert.Contains("samesite=strict", overHttps);

        var overHttp = await LoginCookieAsync(app, forwardedHttps: false);
        Assert.DoesNotContain("; secure", overHttp);
    }

    [Fact]
    public async Task Forwarded_headers_are_ignored_unless_trusted()
    {
        await using var app = new ParleyApp();
        var cookie = await LoginCookieAsync(app, forwardedHttps: true);
        Assert.DoesNotContain("; secure", cookie);
        Assert.Contains("; httponly", cookie);
    }
}
