using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Auth;

// Clients that keep no cookie jar, so a test controls exactly which credential each request carries.
public static class RawHttp
{
    public const string CookieName = "parley_session";

    public static HttpClient Client(ParleyApp app, string? bearer = null)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = app.BaseAddress };
        if (bearer is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return http;
    }

    public static async Task RegisterAsync(HttpClient http, string username, string password = "password123")
    {
        var response = await http.PostAsJsonAsync("/api/auth/register", new { username, password });
        await ParleyClient.ExpectAsync(response, HttpStatusCode.Created);
    }

    // Logs in and returns the session cookie's value from Set-Cookie.
    public static async Task<string> LoginAsync(HttpClient http, string username, string password = "password123")
    {
        var response = await http.PostAsJsonAsync("/api/auth/login", new { username, password });
        await ParleyClient.ExpectAsync(response, HttpStatusCode.OK);
        return SessionCookie(response) ?? throw new Xunit.Sdk.XunitException("Login set no session cookie.");
    }

    public static string? SessionCookie(HttpResponseMessage response)
    {
        var header = SessionSetCookie(response);
        return header?.Split(';')[0][(CookieName.Length + 1)..];
    }

    public static string? SessionSetCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.FirstOrDefault(v => v.StartsWith(CookieName + "=", StringComparison.Ordinal))
            : null;

    public static HttpRequestMessage WithCookie(HttpMethod method, string url, string cookie, object? json = null)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Add("Cookie", $"{CookieName}={cookie}");
        if (json is not null) request.Content = JsonContent.Create(json);
        return request;
    }
}
