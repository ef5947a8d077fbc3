using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Parley.UiTests.Infrastructure;

namespace Parley.UiTests.Hosting;

// The server side of the UI: static files, the page fallback, security and cache headers, and the first-run hint.
public sealed class WebHostingTests
{
    [Fact]
    public async Task The_page_and_its_assets_are_served_with_security_and_cache_headers()
    {
        await using var server = new UiServer();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        var page = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        foreach (var directive in new[] { "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'" })
        {
            Assert.Contains(directive, csp);
        }
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.DoesNotContain("http", csp);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("no-cache", page.Headers.CacheControl?.ToString());

        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", html);
        var script = System.Text.RegularExpressions.Regex.Match(html, "src=\"(/assets/app-[^\"]+\\.js)\"").Groups[1].Value;
        var asset = await http.GetAsync(script);
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Contains("immutable", asset.Headers.CacheControl?.ToString());
        Assert.Equal("nosniff", asset.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Theory]
    [InlineData("/chat/some-deep-link", HttpStatusCode.OK, "text/html")]
    [InlineData("/api/no-such-route", HttpStatusCode.NotFound, "application/problem+json")]
    [InlineData("/v1/no-such-route", HttpStatusCode.NotFound, "application/json")]
    [InlineData("/health/nothing", HttpStatusCode.NotFound, null)]
    [InlineData("/assets/missing.js", HttpStatusCode.NotFound, null)]
    public async Task Only_page_paths_fall_back_to_the_page(string path, HttpStatusCode status, string? mediaType)
    {
        await using var server = new UiServer();
        // Signed in with an API key: for an anonymous caller every path that is not public answers 401 first.
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var credentials = new { username = "hosting", password = "password123" };
        (await http.PostAsJsonAsync("/api/auth/register", credentials)).EnsureSuccessStatusCode();
        using var signedIn = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = server.BaseAddress };
        (await signedIn.PostAsJsonAsync("/api/auth/login", credentials)).EnsureSuccessStatusCode();
        var key = (await (await signedIn.PostAsJsonAsync("/api/keys", new { name = "hosting" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString();
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var response = await http.GetAsync(path);
        Assert.Equal(status, response.StatusCode);
        if (mediaType is not null) Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.Contains("Content-Security-Policy"));
    }

    [Fact]
    public async Task Setup_status_says_whether_the_first_account_exists_and_nothing_more()
    {
        await using var server = new UiServer();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        var fresh = await http.GetFromJsonAsync<JsonElement>("/api/auth/setup");
        Assert.Equal(new[] { "hasUsers", "openRegistration" }, fresh.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.False(fresh.GetProperty("hasUsers").GetBoolean());
        Assert.True(fresh.GetProperty("openRegistration").GetBoolean());

        var register = await http.PostAsJsonAsync("/api/auth/register", new { username = "first", password = "password123" });
        Assert.Equal(HttpStatusCode.Created, register.StatusCode);
        var after = await http.GetFromJsonAsync<JsonElement>("/api/auth/setup");
        Assert.True(after.GetProperty("hasUsers").GetBoolean());
    }

    [Fact]
    public async Task Setup_status_reports_closed_registration()
    {
        await using var server = new UiServer(new Dictionary<string, string?> { ["Parley:Auth:OpenRegistration"] = "false" });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var status = await http.GetFromJsonAsync<JsonElement>("/api/auth/setup");
        Assert.False(status.GetProperty("openRegistration").GetBoolean());
    }
}
