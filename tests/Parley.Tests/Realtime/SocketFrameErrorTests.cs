using Parley.Tests.Infrastructure;

namespace Parley.Tests.Realtime;

// SPEC §6: a bad frame gets an error frame and the socket stays open; commands that fail answer with the same
// codes the HTTP API would map to statuses.
public sealed class SocketFrameErrorTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private ParleyApp App => fixture.App;

    [Fact]
    public async Task Malformed_frames_get_bad_frame_errors_and_the_socket_stays_open()
    {
        using var user = await SocketUser.SignUpAsync(App, apiKey: true);
        await using var socket = await SocketClient.ConnectAsync(App, user);

        await socket.SendTextAsync("this is not json");
        await socket.ExpectErrorAsync("bad_frame");
        await socket.SendTextAsync("[1, 2, 3]");
        await socket.ExpectErrorAsync("bad_frame");
        await socket.SendTextAsync("{\"content\":\"no type\"}");
        await socket.ExpectErrorAsync("bad_frame");
        await socket.SendAsync(new { type = "teleport" });
        await socket.ExpectErrorAsync("bad_frame");
        await socket.SendAsync(new { type = "user_message", content = "no session", clientMessageId = "lost" });
        Assert.Equal("lost", (await socket.ExpectErrorAsync("bad_frame")).Str("clientMessageId"));
        await socket.SendAsync(new { type = "subscribe", messageId = 42 });
        await socket.ExpectErrorAsync("bad_frame");
        await socket.SendAsync(new { type = "subscribe", messageId = "msg_x", after = "ten" });
        Assert.Equal("msg_x", (await socket.ExpectErrorAsync("bad_frame")).Str("messageId"));
        await socket.SendBinaryAsync([0x7b, 0x7d]);
        await socket.ExpectErrorAsync("bad_frame");
        await socket.SendTextAsync("{\"type\":\"ping\",\"pad\":\"" + new string('x', 1024 * 1024) + "\"}");
        await socket.ExpectErrorAsync("bad_frame");

        var afterwards = await socket.PingAsync();
        Assert.Single(afterwards);
    }

    [Fact]
    public async Task User_message_errors_name_the_problem_and_echo_the_clientMessageId()
    {
        using var user = await SocketUser.SignUpAsync(App, apiKey: true);
        var sessionId = await user.NewSessionAsync();
        await using var socket = await SocketClient.ConnectAsync(App, user);

        await socket.SendAsync(new { type = "user_message", sessionId, content = "", clientMessageId = "empty" });
        var invalid = await socket.ExpectErrorAsync("validation_error");
        Assert.Equal("empty", invalid.Str("clientMessageId"));
        Assert.True(invalid.GetProperty("errors").GetProperty("content").GetArrayLength() > 0, invalid.ToString());

        await socket.SendAsync(new { type = "user_message", sessionId = "ses_nope", content = "Hello?", clientMessageId = "nowhere" });
        Assert.Equal("nowhere", (await socket.ExpectErrorAsync("not_found")).Str("clientMessageId"));

        await socket.SendAsync(new { type = "user_message", sessionId, content = "Original", clientMessageId = "key-1" });
        var ack = await socket.NextAsync();
        await socket.ReadReplyAsync(ack.GetProperty("assistantMessage").Str("id"));
        await socket.SendAsync(new { type = "user_message", sessionId, content = "Different", clientMessageId = "key-1" });
        Assert.Equal("key-1", (await socket.ExpectErrorAsync("conflict")).Str("clientMessageId"));

        Assert.Single(await socket.PingAsync());
        Assert.Equal(2, (await user.Client.GetAsync($"/api/sessions/{sessionId}/messages")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Subscribe_and_cancel_errors_carry_the_message_id()
    {
        using var user = await SocketUser.SignUpAsync(App, apiKey: true);
        var sessionId = await user.NewSessionAsync();
        var finished = await user.Client.ChatAsync(sessionId, "Done already");
        await using var socket = await SocketClient.ConnectAsync(App, user);

        await socket.SendAsync(new { type = "subscribe", messageId = "msg_missing" });
        Assert.Equal("msg_missing", (await socket.ExpectErrorAsync("not_found")).Str("messageId"));
        await socket.SendAsync(new { type = "subscribe", messageId = finished.Str("id"), after = -1 });
        Assert.True((await socket.ExpectErrorAsync("validation_error")).GetProperty("errors").TryGetProperty("after", out _));
        await socket.SendAsync(new { type = "cancel", messageId = "msg_missing" });
        Assert.Equal("msg_missing", (await socket.ExpectErrorAsync("not_found")).Str("messageId"));
        await socket.SendAsync(new { type = "cancel", messageId = finished.Str("id") });
        var finishedError = await socket.ExpectErrorAsync("already_finished");
        Assert.Equal((finished.Str("id"), "complete"), (finishedError.Str("messageId"), finishedError.Str("messageStatus")));

        Assert.Single(await socket.PingAsync());
    }
}
