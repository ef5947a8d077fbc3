using Parley.Tests.Infrastructure;

namespace Parley.Tests.Realtime;

// SPEC §6 WebSocket: a send over the socket is acknowledged with both messages and its reply streams on the same
// socket; a finished reply can be replayed.
public sealed class SocketReplyTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task User_message_is_acked_with_both_messages_then_streams_contiguous_chunks_that_equal_the_stored_reply()
    {
        using var user = await SocketUser.SignUpAsync(fixture.App, apiKey: true);
        var sessionId = await user.NewSessionAsync();
        await using var socket = await SocketClient.ConnectAsync(fixture.App, user);

        await socket.SendAsync(new { type = "user_message", sessionId, content = "Hello over the socket", clientMessageId = "c-1" });

        var ack = await socket.NextAsync();
        Assert.Equal("ack", ack.Str("type"));
        Assert.Equal("c-1", ack.Str("clientMessageId"));
        var sent = ack.GetProperty("userMessage");
        var reply = ack.GetProperty("assistantMessage");
        Assert.Equal(("user", "Hello over the socket", sessionId, "complete"), (sent.Str("role"), sent.Str("content"), sent.Str("sessionId"), sent.Str("status")));
        // The node had a free slot, so the send started its reply.
        Assert.Equal(("assistant", "generating", sent.Str("id")), (reply.Str("role"), reply.Str("status"), reply.Str("parentId")));
        var replyId = reply.Str("id");

        var frames = await socket.ReadReplyAsync(replyId);

        Assert.All(frames, f => Assert.Equal(replyId, f.Str("messageId")));
        Assert.True(frames[0].Is("status"), SocketClient.Describe(frames));
        Assert.Equal("generating", frames[0].Str("status"));
        Assert.Contains(frames, f => f.Is("ai_response_chunk"));
        Frames.AssertContiguous(frames.Seqs());
        var complete = frames[^1];
        Assert.Equal(("complete", "stop"), (complete.Str("status"), complete.Str("finishReason")));
        Assert.True(complete.GetProperty("usage").GetProperty("completionTokens").GetInt32() > 0);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, complete.GetProperty("error").ValueKind);

        var stored = await user.Client.GetAsync($"/api/messages/{replyId}");
        Assert.Equal("complete", stored.Str("status"));
        Assert.Equal(stored.Str("content"), frames.Text());
        Assert.Contains("Hello over the socket", frames.Text());
    }

    [Fact]
    public async Task Subscribe_without_after_replays_a_finished_reply_and_with_after_sends_only_the_rest()
    {
        using var user = await SocketUser.SignUpAsync(fixture.App, apiKey: true);
        var sessionId = await user.NewSessionAsync();
        var finished = await user.Client.ChatAsync(sessionId, "Replay me later");
        var replyId = finished.Str("id");
        await using var socket = await SocketClient.ConnectAsync(fixture.App, user);

        await socket.SendAsync(new { type = "subscribe", messageId = replyId });
        var all = await socket.ReadReplyAsync(replyId);

        Assert.DoesNotContain(all, f => f.Is("status")); // a finished reply has no live status
        var seqs = all.Seqs();
        Frames.AssertContiguous(seqs);
        Assert.Equal("complete", all[^1].Str("status"));
        Assert.Equal(finished.Str("content"), all.Text());

        var after = seqs[seqs.Count / 2];
        await socket.SendAsync(new { type = "subscribe", messageId = replyId, after });
        var rest = await socket.ReadReplyAsync(replyId);

        Frames.AssertContiguous(rest.Seqs(), from: after + 1);
        Assert.Equal(seqs[^1], rest.Seqs()[^1]);
        Assert.Equal(finished.Str("content"), all.TakeWhile(f => f.GetProperty("seq").GetInt64() <= after).Concat(rest).Text());
    }
}
