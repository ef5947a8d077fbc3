using Parley.Tests.Infrastructure;

namespace Parley.Tests.Realtime;

// SPEC §3: another user's id is answered exactly as one that does not exist, on the socket too, and a socket
// never carries another user's data.
public sealed class SocketIsolationTests(SlowSocketFixture slow) : IClassFixture<SlowSocketFixture>
{
    [Fact]
    public async Task Another_users_reply_cannot_be_subscribed_to_cancelled_or_sent_into()
    {
        using var alice = await SocketUser.SignUpAsync(slow.App, apiKey: true);
        using var bob = await SocketUser.SignUpAsync(slow.App, apiKey: true);
        var aliceSession = await alice.NewSessionAsync();
        await using var aliceSocket = await SocketClient.ConnectAsync(slow.App, alice);
        await aliceSocket.SendAsync(new { type = "user_message", sessionId = aliceSession, content = "Alice's private question" });
        var aliceReply = (await aliceSocket.NextAsync()).GetProperty("assistantMessage").Str("id");
        await aliceSocket.ReadUntilAsync(f => f.Is("ai_response_chunk")); // running while Bob tries

        await using var bobSocket = await SocketClient.ConnectAsync(slow.App, bob);
        await bobSocket.SendAsync(new { type = "subscribe", messageId = aliceReply });
        var subscribe = await bobSocket.ExpectErrorAsync("not_found");
        await bobSocket.SendAsync(new { type = "subscribe", messageId = "msg_does_not_exist" });
        var missing = await bobSocket.ExpectErrorAsync("not_found");
        await bobSocket.SendAsync(new { type = "cancel", messageId = aliceReply });
        var cancel = await bobSocket.ExpectErrorAsync("not_found");
        await bobSocket.SendAsync(new { type = "user_message", sessionId = aliceSession, content = "Let me in" });
        var send = await bobSocket.ExpectErrorAsync("not_found");
        var rest = await bobSocket.PingAsync();

        // Exactly as if it did not exist: the same words as for an id nobody has.
        Assert.Equal(missing.Str("message"), subscribe.Str("message"));
        Assert.Equal(aliceReply, cancel.Str("messageId"));
        Assert.Single(rest); // only the pong: none of Alice's reply reached Bob
        Assert.DoesNotContain("Alice", string.Join(" ", new[] { subscribe, cancel, send }.Select(f => f.GetRawText())));

        // Alice's reply was neither cancelled nor disturbed.
        var aliceFrames = await aliceSocket.ReadReplyAsync(aliceReply);
        Assert.Equal("complete", aliceFrames[^1].Str("status"));
        Assert.Equal(2, (await alice.Client.GetAsync($"/api/sessions/{aliceSession}/messages")).GetProperty("items").GetArrayLength());
    }
}
