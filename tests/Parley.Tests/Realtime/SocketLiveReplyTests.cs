using System.Text.Json;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Realtime;

// SPEC §6 and §11: several replies stream on one socket at once, a cancel over the socket stops a reply, and a
// dropped socket stops only its subscriptions: a new socket resumes with "after", with no gap and no duplicate.
public sealed class SocketLiveReplyTests(SlowSocketFixture slow) : IClassFixture<SlowSocketFixture>
{
    private ParleyApp App => slow.App;

    [Fact]
    public async Task Two_replies_stream_interleaved_on_one_socket_each_complete_and_contiguous()
    {
        using var user = await SocketUser.SignUpAsync(App, apiKey: true);
        var first = await user.NewSessionAsync();
        var second = await user.NewSessionAsync();
        await using var socket = await SocketClient.ConnectAsync(App, user);

        await socket.SendAsync(new { type = "user_message", sessionId = first, content = "First long question" });
        await socket.SendAsync(new { type = "user_message", sessionId = second, content = "Second long question" });
        var completes = 0;
        var frames = await socket.ReadUntilAsync(f => f.Is("ai_response_complete") && ++completes == 2);

        var acks = frames.Where(f => f.Is("ack")).ToList();
        Assert.Equal(2, acks.Count);
        var ids = acks.Select(a => a.GetProperty("assistantMessage").Str("id")).ToList();
        foreach (var id in ids)
        {
            var reply = frames.Of(id);
            Frames.AssertContiguous(reply.Seqs());
            Assert.Equal("complete", reply[^1].Str("status"));
            Assert.Equal((await user.Client.GetAsync($"/api/messages/{id}")).Str("content"), reply.Text());
        }

        // Interleaved: the chunks switch from one reply to the other and back at least once.
        var chunkOwners = frames.Where(f => f.Is("ai_response_chunk")).Select(f => f.Str("messageId")).ToList();
        var switches = chunkOwners.Zip(chunkOwners.Skip(1)).Count(p => p.First != p.Second);
        Assert.True(switches >= 2, $"The two replies were not interleaved ({switches} switches): {string.Join(",", chunkOwners.Select(o => ids.IndexOf(o)))}");
    }

    [Fact]
    public async Task Cancel_over_the_socket_ends_the_reply_cancelled_with_the_streamed_text_kept()
    {
        using var user = await SocketUser.SignUpAsync(App, apiKey: true);
        var sessionId = await user.NewSessionAsync();
        await using var socket = await SocketClient.ConnectAsync(App, user);
        await socket.SendAsync(new { type = "user_message", sessionId, content = "Tell me a long story" });
        var replyId = (await socket.NextAsync()).GetProperty("assistantMessage").Str("id");
        var chunks = 0;
        var frames = await socket.ReadUntilAsync(f => f.Is("ai_response_chunk") && ++chunks == 3);

        await socket.SendAsync(new { type = "cancel", messageId = replyId });
        frames.AddRange(await socket.ReadReplyAsync(replyId));

        Assert.DoesNotContain(frames, f => f.Is("error"));
        var complete = frames[^1];
        Assert.Equal("cancelled", complete.Str("status"));
        Frames.AssertContiguous(frames.Seqs());
        var stored = await user.Client.GetAsync($"/api/messages/{replyId}");
        Assert.Equal("cancelled", stored.Str("status"));
        Assert.NotEqual("", stored.Str("content"));
        Assert.Equal(stored.Str("content"), frames.Text());
        Assert.True(frames.Count(f => f.Is("ai_response_chunk")) < 80, "The reply ran to its end despite the cancel.");
    }

    [Fact]
    public async Task A_new_socket_subscribing_with_after_gets_the_rest_with_no_gap_and_no_duplicate()
    {
        using var user = await SocketUser.SignUpAsync(App, apiKey: true);
        var sessionId = await user.NewSessionAsync();
        string replyId;
        List<JsonElement> before;
        await using (var socket = await SocketClient.ConnectAsync(App, user))
        {
            await socket.SendAsync(new { type = "user_message", sessionId, content = "A reply to resume" });
            replyId = (await socket.NextAsync()).GetProperty("assistantMessage").Str("id");
            var chunks = 0;
            before = await socket.ReadUntilAsync(f => f.Is("ai_response_chunk") && ++chunks == 5);
        } // closed mid-reply
        var lastSeen = before.Seqs()[^1];
        Assert.True(ReplyIsRunning(await user.Client.GetAsync($"/api/messages/{replyId}")), "The reply ended before the socket closed; the test proves nothing.");

        await using var again = await SocketClient.ConnectAsync(App, user);
        await again.SendAsync(new { type = "subscribe", messageId = replyId, after = lastSeen });
        var rest = await again.ReadReplyAsync(replyId);

        Frames.AssertContiguous(before.Seqs());
        Frames.AssertContiguous(rest.Seqs(), from: lastSeen + 1);
        Assert.Equal("complete", rest[^1].Str("status")); // closing the first socket did not stop the reply
        var stored = await user.Client.GetAsync($"/api/messages/{replyId}");
        Assert.Equal(stored.Str("content"), before.Concat(rest).Text());
    }

    [Fact]
    public async Task Subscribing_again_on_the_same_socket_replaces_the_earlier_subscription()
    {
        using var user = await SocketUser.SignUpAsync(App, apiKey: true);
        var sessionId = await user.NewSessionAsync();
        await using var socket = await SocketClient.ConnectAsync(App, user);
        await socket.SendAsync(new { type = "user_message", sessionId, content = "A reply to follow twice" });
        var replyId = (await socket.NextAsync()).GetProperty("assistantMessage").Str("id");
        var chunks = 0;
        var before = await socket.ReadUntilAsync(f => f.Is("ai_response_chunk") && ++chunks == 3);
        var lastSeen = before.Seqs()[^1];

        await socket.SendAsync(new { type = "subscribe", messageId = replyId, after = lastSeen });
        var after = (await socket.ReadReplyAsync(replyId)).Seqs();

        // Frames the first subscription had in flight when the second arrived come first; after that only the
        // second one sends, from lastSeen + 1 to the end, once.
        var restart = after.LastIndexOf(lastSeen + 1);
        Assert.True(restart >= 0, string.Join(",", after));
        Frames.AssertContiguous(after[restart..], from: lastSeen + 1);
        if (restart > 0) Frames.AssertContiguous(after[..restart], from: lastSeen + 1);
        Assert.Single(after, s => s == after[^1]);
    }

    [Fact]
    public async Task Sending_while_the_sessions_reply_runs_is_refused_with_reply_running_and_its_id()
    {
        using var user = await SocketUser.SignUpAsync(App, apiKey: true);
        var sessionId = await user.NewSessionAsync();
        await using var socket = await SocketClient.ConnectAsync(App, user);
        await socket.SendAsync(new { type = "user_message", sessionId, content = "The first one" });
        var replyId = (await socket.NextAsync()).GetProperty("assistantMessage").Str("id");

        await socket.SendAsync(new { type = "user_message", sessionId, content = "Too soon", clientMessageId = "soon" });
        var frames = await socket.ReadUntilAsync(f => f.Is("error"));

        var error = frames[^1];
        Assert.Equal(("reply_running", replyId, "soon"), (error.Str("code"), error.Str("runningMessageId"), error.Str("clientMessageId")));
        Assert.All(frames[..^1], f => Assert.Equal(replyId, f.Str("messageId"))); // nothing was acked for "Too soon"
        await socket.SendAsync(new { type = "cancel", messageId = replyId });
        await socket.ReadReplyAsync(replyId);
        var history = await user.Client.GetAsync($"/api/sessions/{sessionId}/messages");
        Assert.Equal(2, history.GetProperty("items").GetArrayLength());
    }

    private static bool ReplyIsRunning(JsonElement message) => message.Str("status") is "queued" or "generating";
}
