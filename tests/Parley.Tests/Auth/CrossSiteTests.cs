using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Parley.Tests.Errors;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Auth;

// SPEC §3: a cookie-authenticated state-changing request must not be forgeable cross-site.
public sealed class CrossSiteTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private const string EvilOrigin = "https://evil.example";

    private string OwnOrigin => fixture.App.BaseAddress.GetLeftPart(UriPartial.Authority);

    [Fact]
    public async Task Cookie_write_from_a_foreign_Origin_is_refused_and_changes_nothing()
    {
        using var user = await fixture.SignedInAsync();

        var request = new HttpRequestMessage(HttpMethod.Post, "/api/sessions") { Content = JsonContent.Create(new { title = "forged" }) };
        request.Headers.Add("Origin", EvilOrigin);
        var response = await user.Http.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        var sessions = await user.GetAsync("/api/sessions");
        Assert.Empty(sessions.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Cookie_write_marked_Sec_Fetch_Site_cross_site_is_refused()
    {
        using var user = await fixture.SignedInAsync();

        var request = new HttpRequestMessage(HttpMethod.Post, "/api/sessions") { Content = JsonContent.Create(new { title = "forged" }) };
        request.Headers.Add("Sec-Fetch-Site", "cross-site");
        var response = await user.Http.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Empty((await user.GetAsync("/api/sessions")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Cookie_delete_from_a_foreign_Origin_is_refused_and_the_session_survives()
    {
        using var user = await fixture.SignedInAsync();
        var session = await user.CreateSessionAsync(new { title = "keep me" });

        var request = new HttpRequestMessage(HttpMethod.Delete, $"/api/sessions/{session.Str("id")}");
        request.Headers.Add("Origin", EvilOrigin);
        var response = await user.Http.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal("keep me", (await user.GetAsync($"/api/sessions/{session.Str("id")}")).Str("title"));
    }

    [Fact]
    public async Task Cookie_write_from_the_servers_own_origin_is_allowed()
    {
        using var user = await fixture.SignedInAsync();

        var request = new HttpRequestMessage(HttpMethod.Post, "/api/sessions") { Content = JsonContent.Create(new { title = "same site" }) };
        request.Headers.Add("Origin", OwnOrigin);
        request.Headers.Add("Sec-Fetch-Site", "same-origin");
        var response = await user.Http.SendAsync(request);

        var created = await ParleyClient.ExpectAsync(response, HttpStatusCode.Created);
        Assert.Equal("same site", created.Str("title"));
    }

    [Fact]
    public async Task Bearer_write_with_a_foreign_Origin_is_allowed_because_it_carries_no_ambient_credential()
    {
        using var user = await fixture.SignedInAsync();
        var key = (await user.PostAsync("/api/keys", new { name = "cross-origin tool" }, HttpStatusCode.Created)).Str("key");
        using var program = RawHttp.Client(fixture.App);

        var request = new HttpRequestMessage(HttpMethod.Post, "/api/sessions") { Content = JsonContent.Create(new { title = "by key" }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Add("Origin", EvilOrigin);
        request.Headers.Add("Sec-Fetch-Site", "cross-site");
        var response = await program.SendAsync(request);

        var created = await ParleyClient.ExpectAsync(response, HttpStatusCode.Created);
        Assert.Equal("by key", created.Str("title"));
        Assert.Contains(created.Str("id"), (await user.GetAsync("/api/sessions")).GetRawText());
    }
}
