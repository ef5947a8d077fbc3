using System.Net;
using System.Net.WebSockets;
using Microsoft.EntityFrameworkCore;
using Parley.Server.Storage;
using Parley.Tests.Auth;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Realtime;

// An open socket works only as long as the credential it was opened with: a disabled account, a deleted key, a
// logout or a session's end closes it with 1008, as the next request with that credential would get a 401.
// Sockets on other credentials stay open.
public sealed class SocketRevocationTests(RevocationFixture fixture) : IClassFixture<RevocationFixture>
{
    private readonly ParleyApp _app = fixture.App;
    private readonly ParleyClient _admin = fixture.Admin;

    [Fact]
    public async Task Disabling_an_account_closes_its_sockets_and_no_one_elses()
    {
        using var user = await SocketUser.SignUpAsync(_app);
        var key = (await user.Client.PostAsync("/api/keys", new { name = "socket" }, HttpStatusCode.Created)).Str("key");
        using var other = await SocketUser.SignUpAsync(_app);
        await using var byCookie = await SocketClient.ConnectAsync(_app, cookies: user.Cookies);
        await using var byKey = await SocketClient.ConnectAsync(_app, bearer: key);
        await using var othersSocket = await SocketClient.ConnectAsync(_app, cookies: other.Cookies);
        await byCookie.PingAsync();
        await byKey.PingAsync();

        await _admin.PatchAsync($"/api/admin/users/{user.Client.UserId}", new { disabled = true });

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await ClosedAsync(byCookie));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await ClosedAsync(byKey));
        Assert.Single(await othersSocket.PingAsync());
    }

    [Fact]
    public async Task Deleting_a_key_closes_the_sockets_opened_with_it_only()
    {
        using var user = await SocketUser.SignUpAsync(_app);
        var doomed = await user.Client.PostAsync("/api/keys", new { name = "doomed" }, HttpStatusCode.Created);
        var kept = await user.Client.PostAsync("/api/keys", new { name = "kept" }, HttpStatusCode.Created);
        await using var onDoomed = await SocketClient.ConnectAsync(_app, bearer: doomed.Str("key"));
        await using var onKept = await SocketClient.ConnectAsync(_app, bearer: kept.Str("key"));
        await using var onCookie = await SocketClient.ConnectAsync(_app, cookies: user.Cookies);
        await onDoomed.PingAsync();

        await user.Client.DeleteAsync($"/api/keys/{doomed.Str("id")}");

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await ClosedAsync(onDoomed));
        Assert.Single(await onKept.PingAsync());
        Assert.Single(await onCookie.PingAsync());
    }

    [Fact]
    public async Task Logging_out_closes_the_cookies_socket()
    {
        using var user = await SocketUser.SignUpAsync(_app);
        var key = (await user.Client.PostAsync("/api/keys", new { name = "socket" }, HttpStatusCode.Created)).Str("key");
        await using var byCookie = await SocketClient.ConnectAsync(_app, cookies: user.Cookies);
        await using var byKey = await SocketClient.ConnectAsync(_app, bearer: key);
        await byCookie.PingAsync();

        var logout = await user.Client.Http.PostAsync("/api/auth/logout", null);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await ClosedAsync(byCookie));
        Assert.Single(await byKey.PingAsync());
    }

    [Fact]
    public async Task A_socket_closes_when_its_login_session_ends()
    {
        using var user = await SocketUser.SignUpAsync(_app);
        await using (var db = await _app.Service<IDbContextFactory<ParleyDb>>().CreateDbContextAsync())
        {
            var ends = DateTime.UtcNow.AddSeconds(5);
            Assert.Equal(1, await db.LoginSessions.Where(s => s.UserId == user.Client.UserId).ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, ends)));
        }
        // The session's end was changed behind the server's back, so its cached copy is dropped by hand.
        _app.Service<Parley.Server.Auth.CredentialCache>().ForgetLocally();
        await using var socket = await SocketClient.ConnectAsync(_app, cookies: user.Cookies);
        await socket.PingAsync();

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await ClosedAsync(socket));
    }

    [Fact]
    public async Task Replies_a_closed_socket_followed_run_to_their_end()
    {
        using var user = await SocketUser.SignUpAsync(_app);
        var key = (await user.Client.PostAsync("/api/keys", new { name = "socket" }, HttpStatusCode.Created)).Str("key");
        var sessionId = await user.NewSessionAsync();
        await using var socket = await SocketClient.ConnectAsync(_app, bearer: key);
        await socket.SendAsync(new { type = "user_message", sessionId, content = "A slow reply" });
        var ack = await socket.NextAsync();
        Assert.Equal("ack", ack.Str("type"));
        await socket.ReadUntilAsync(f => f.Is("ai_response_chunk"));

        await _admin.PatchAsync($"/api/admin/users/{user.Client.UserId}", new { disabled = true });
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await ClosedAsync(socket));

        await _admin.PatchAsync($"/api/admin/users/{user.Client.UserId}", new { disabled = false });
        var reply = await user.Client.WaitForReplyAsync(ack.GetProperty("assistantMessage").Str("id"));
        Assert.Equal("complete", reply.Str("status"));
    }

    private static async Task<WebSocketCloseStatus?> ClosedAsync(SocketClient socket) => await socket.Closed.WaitAsync(SocketClient.DefaultTimeout);
}
