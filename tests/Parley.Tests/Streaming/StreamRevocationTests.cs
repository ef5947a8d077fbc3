using System.Net;
using System.Net.Http.Headers;
using Parley.Tests.Auth;
using Parley.Tests.Infrastructure;
using Parley.Tests.Messages;

namespace Parley.Tests.Streaming;

// An SSE stream works only as long as the credential it was opened with, like a WebSocket: a disabled account, a
// deleted key or a logout ends the response before `done`, and reconnecting with that credential is refused.
// Streams on other credentials, and the reply itself, go on.
public sealed class StreamRevocationTests(RevocationFixture fixture) : IClassFixture<RevocationFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly ParleyApp _app = fixture.App;
    private readonly ParleyClient _admin = fixture.Admin;

    [Fact]
    public async Task Disabling_an_account_ends_its_streams_and_no_one_elses_and_the_reply_runs_on()
    {
        using var user = _app.NewClient();
        await user.SignUpAsync();
        using var byKey = await KeyClientAsync(user, "stream");
        using var other = _app.NewClient();
        await other.SignUpAsync();
        var replyId = await StartSlowReplyAsync(user);
        var othersReplyId = await StartSlowReplyAsync(other);
        using var cts = new CancellationTokenSource(Timeout);
        await using var onCookie = await SseReader.OpenAsync(user, replyId, cts.Token);
        await using var onKey = await SseReader.OpenAsync(byKey, replyId, cts.Token);
        await using var others = await SseReader.OpenAsync(other, othersReplyId, cts.Token);
        await FirstDeltaAsync(onCookie, cts.Token);
        await FirstDeltaAsync(onKey, cts.Token);

        await _admin.PatchAsync($"/api/admin/users/{user.UserId}", new { disabled = true });

        await EndsBeforeDoneAsync(onCookie, cts.Token);
        await EndsBeforeDoneAsync(onKey, cts.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await byKey.OpenStreamAsync(replyId, ct: cts.Token)).StatusCode);
        Assert.Equal("done", (await others.NextNamedAsync("done", [], cts.Token)).Event);

        await _admin.PatchAsync($"/api/admin/users/{user.UserId}", new { disabled = false });
        Assert.Equal("complete", (await user.WaitForReplyAsync(replyId)).Str("status"));
    }

    [Fact]
    public async Task Deleting_a_key_ends_the_streams_opened_with_it_only()
    {
        using var user = _app.NewClient();
        await user.SignUpAsync();
        using var onDoomedKey = await KeyClientAsync(user, "doomed");
        using var onKeptKey = await KeyClientAsync(user, "kept");
        var replyId = await StartSlowReplyAsync(user);
        using var cts = new CancellationTokenSource(Timeout);
        await using var doomed = await SseReader.OpenAsync(onDoomedKey, replyId, cts.Token);
        await using var kept = await SseReader.OpenAsync(onKeptKey, replyId, cts.Token);
        await using var onCookie = await SseReader.OpenAsync(user, replyId, cts.Token);
        await FirstDeltaAsync(doomed, cts.Token);

        var doomedKeyId = (await user.GetAsync("/api/keys")).EnumerateArray().Single(k => k.Str("name") == "doomed").Str("id");
        await user.DeleteAsync($"/api/keys/{doomedKeyId}");

        await EndsBeforeDoneAsync(doomed, cts.Token);
        Assert.Equal("done", (await kept.NextNamedAsync("done", [], cts.Token)).Event);
        Assert.Equal("done", (await onCookie.NextNamedAsync("done", [], cts.Token)).Event);
    }

    [Fact]
    public async Task Logging_out_ends_the_cookies_stream()
    {
        using var user = _app.NewClient();
        await user.SignUpAsync();
        using var byKey = await KeyClientAsync(user, "stream");
        var replyId = await StartSlowReplyAsync(user);
        using var cts = new CancellationTokenSource(Timeout);
        await using var onCookie = await SseReader.OpenAsync(user, replyId, cts.Token);
        await using var onKey = await SseReader.OpenAsync(byKey, replyId, cts.Token);
        await FirstDeltaAsync(onCookie, cts.Token);

        Assert.Equal(HttpStatusCode.NoContent, (await user.Http.PostAsync("/api/auth/logout", null, cts.Token)).StatusCode);

        await EndsBeforeDoneAsync(onCookie, cts.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.OpenStreamAsync(replyId, ct: cts.Token)).StatusCode);
        Assert.Equal("done", (await onKey.NextNamedAsync("done", [], cts.Token)).Event);
    }

    // A second client of the same user, signed in with a new API key named `name`.
    private async Task<ParleyClient> KeyClientAsync(ParleyClient owner, string name)
    {
        var key = (await owner.PostAsync("/api/keys", new { name }, HttpStatusCode.Created)).Str("key");
        var client = _app.NewClient();
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static async Task<string> StartSlowReplyAsync(ParleyClient client)
    {
        var session = (await client.CreateSessionAsync()).Str("id");
        var (_, reply) = await client.SendAsync(session, "A slow reply");
        return reply.Str("id");
    }

    private static async Task FirstDeltaAsync(SseReader stream, CancellationToken ct) => await stream.NextNamedAsync("delta", [], ct);

    // The server ends the response while the reply is still running: no `done` comes first.
    private static async Task EndsBeforeDoneAsync(SseReader stream, CancellationToken ct)
    {
        while (await stream.NextAsync(ct) is { } e) Assert.NotEqual("done", e.Event);
    }
}
