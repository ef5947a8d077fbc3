using System.Net;
using Parley.Tests.Errors;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Realtime;

// SPEC §3 and §6: /ws takes the session cookie or a Bearer API key; a cookie-authenticated upgrade from another
// site is refused before it is upgraded (cross-site WebSocket hijacking).
public sealed class SocketAuthTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private ParleyApp App => fixture.App;

    [Fact]
    public async Task Bearer_api_key_opens_a_socket()
    {
        using var user = await SocketUser.SignUpAsync(App, apiKey: true);
        await using var socket = await SocketClient.ConnectAsync(App, bearer: user.Client.ApiKey);

        Assert.Single(await socket.PingAsync());
    }

    [Fact]
    public async Task Session_cookie_opens_a_socket_and_sends_as_that_user()
    {
        using var user = await SocketUser.SignUpAsync(App);
        var sessionId = await user.NewSessionAsync();
        await using var socket = await SocketClient.ConnectAsync(App, cookies: user.Cookies);

        await socket.SendAsync(new { type = "user_message", sessionId, content = "Sent with the cookie" });
        var ack = await socket.NextAsync();
        Assert.Equal("ack", ack.Str("type"));
        var frames = await socket.ReadReplyAsync(ack.GetProperty("assistantMessage").Str("id"));
        Assert.Equal("complete", frames[^1].Str("status"));
    }

    [Fact]
    public async Task Session_cookie_with_the_servers_own_Origin_opens_a_socket()
    {
        using var user = await SocketUser.SignUpAsync(App);
        var origin = App.BaseAddress.GetLeftPart(UriPartial.Authority);
        await using var socket = await SocketClient.ConnectAsync(App, cookies: user.Cookies, configure: o => o.SetRequestHeader("Origin", origin));

        Assert.Single(await socket.PingAsync());
    }

    [Fact]
    public async Task Session_cookie_from_a_foreign_Origin_is_refused_with_403()
    {
        using var user = await SocketUser.SignUpAsync(App);

        var status = await SocketClient.RefusedHandshakeAsync(App, cookies: user.Cookies,
            configure: o => o.SetRequestHeader("Origin", "https://evil.example"));

        Assert.Equal(HttpStatusCode.Forbidden, status);
    }

    [Fact]
    public async Task Session_cookie_marked_Sec_Fetch_Site_cross_site_is_refused_with_403()
    {
        using var user = await SocketUser.SignUpAsync(App);

        var status = await SocketClient.RefusedHandshakeAsync(App, cookies: user.Cookies,
            configure: o => o.SetRequestHeader("Sec-Fetch-Site", "cross-site"));

        Assert.Equal(HttpStatusCode.Forbidden, status);
    }

    [Fact]
    public async Task Bearer_key_is_not_subject_to_the_Origin_check()
    {
        using var user = await SocketUser.SignUpAsync(App, apiKey: true);
        await using var socket = await SocketClient.ConnectAsync(App, bearer: user.Client.ApiKey,
            configure: o => o.SetRequestHeader("Origin", "https://tool.example"));

        Assert.Single(await socket.PingAsync());
    }

    [Fact]
    public async Task No_credentials_or_an_unknown_key_is_refused_with_401()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await SocketClient.RefusedHandshakeAsync(App));
        Assert.Equal(HttpStatusCode.Unauthorized, await SocketClient.RefusedHandshakeAsync(App, bearer: "pk_not_a_real_key"));
    }

    [Fact]
    public async Task A_plain_GET_on_ws_is_a_400_problem()
    {
        using var user = await SocketUser.SignUpAsync(App, apiKey: true);

        var response = await user.Client.Http.GetAsync("/ws");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }
}
