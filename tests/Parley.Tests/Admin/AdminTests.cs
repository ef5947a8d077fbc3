using System.Net;
using System.Net.Http.Json;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Admin;

// The first account is the admin. It lists users, disables and enables them (their cookies and keys stop and
// start working at once) and sets their quotas; nobody else may.
public sealed class AdminTests : IAsyncLifetime
{
    private ParleyApp _app = null!;
    private ParleyClient _admin = null!;

    public async Task InitializeAsync()
    {
        _app = new ParleyApp();
        _admin = _app.NewClient();
        var me = await _admin.SignUpAsync();
        Assert.True(me.GetProperty("isAdmin").GetBoolean());
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<ParleyClient> UserAsync(bool apiKey = false)
    {
        var client = _app.NewClient();
        await client.SignUpAsync();
        if (apiKey) await client.UseApiKeyAsync();
        return client;
    }

    [Fact]
    public async Task Only_the_admin_may_use_the_admin_routes()
    {
        var user = await UserAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await user.Http.GetAsync("/api/admin/users")).StatusCode);
        var patch = await user.Http.PatchAsJsonAsync($"/api/admin/users/{user.UserId}", new { maxConcurrentReplies = 100 });
        Assert.Equal(HttpStatusCode.Forbidden, patch.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.NewClient().Http.GetAsync("/api/admin/users")).StatusCode);

        var users = await _admin.GetAsync("/api/admin/users");
        Assert.Contains(users.EnumerateArray(), u => u.Str("id") == user.UserId && !u.GetProperty("isAdmin").GetBoolean());
    }

    [Fact]
    public async Task A_disabled_users_cookie_and_keys_stop_at_once_and_work_again_when_enabled()
    {
        var cookieUser = await UserAsync();
        var keyUser = _app.NewClient();
        keyUser.Http.DefaultRequestHeaders.Authorization = new("Bearer", (await cookieUser.PostAsync("/api/keys", new { name = "k" }, HttpStatusCode.Created)).Str("key"));
        await cookieUser.GetAsync("/api/me");
        await keyUser.GetAsync("/api/me");

        await _admin.PatchAsync($"/api/admin/users/{cookieUser.UserId}", new { disabled = true });
        Assert.Equal(HttpStatusCode.Unauthorized, (await cookieUser.Http.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await keyUser.Http.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await keyUser.Http.GetAsync("/v1/models")).StatusCode);

        await _admin.PatchAsync($"/api/admin/users/{cookieUser.UserId}", new { disabled = false });
        await cookieUser.GetAsync("/api/me");
        await keyUser.GetAsync("/api/me");
    }

    [Fact]
    public async Task Per_user_quotas_replace_the_configured_ones()
    {
        var user = await UserAsync(apiKey: true);
        var session = (await user.CreateSessionAsync()).Str("id");
        var other = (await user.CreateSessionAsync()).Str("id");

        // One reply at a time for this user (the configured default in tests is 100): of two sends at once, one waits.
        await _admin.PatchAsync($"/api/admin/users/{user.UserId}", new { maxConcurrentReplies = 1 });
        var sends = await Task.WhenAll(new[] { session, other }.Select(s =>
            user.Http.PostAsJsonAsync($"/api/sessions/{s}/messages", new { content = "at once" })));
        Assert.Single(sends, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Single(sends, r => r.StatusCode == HttpStatusCode.TooManyRequests);
        var accepted = await ParleyClient.ExpectAsync(sends.Single(r => r.StatusCode == HttpStatusCode.Accepted), HttpStatusCode.Accepted);
        await user.WaitForReplyAsync(accepted.GetProperty("assistantMessage").Str("id"));

        // A daily quota of a few tokens: the first reply spends it, the next send is refused until tomorrow.
        await _admin.PatchAsync($"/api/admin/users/{user.UserId}", new { maxConcurrentReplies = (int?)null, dailyTokenQuota = 5 });
        var refused = await user.Http.PostAsJsonAsync($"/api/sessions/{session}/messages", new { content = "over quota" });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.FromMinutes(1));

        // Back to the default (no quota in tests).
        var reset = await _admin.PatchAsync($"/api/admin/users/{user.UserId}", new { dailyTokenQuota = (long?)null });
        Assert.Equal(System.Text.Json.JsonValueKind.Null, reset.GetProperty("dailyTokenQuota").ValueKind);
        await user.ChatAsync(session, "allowed again");
    }

    [Theory]
    [InlineData("""{"disabled":"yes"}""", "disabled")]
    [InlineData("""{"dailyTokenQuota":-1}""", "dailyTokenQuota")]
    [InlineData("""{"maxConcurrentReplies":0}""", "maxConcurrentReplies")]
    [InlineData("""{"isAdmin":true}""", "isAdmin")]
    public async Task Bad_settings_are_field_errors(string body, string field)
    {
        var user = await UserAsync();
        var response = await _admin.Http.PatchAsync($"/api/admin/users/{user.UserId}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_admin_cannot_disable_themselves()
    {
        var response = await _admin.Http.PatchAsJsonAsync($"/api/admin/users/{_admin.UserId}", new { disabled = true });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await _admin.GetAsync("/api/me");
    }
}
