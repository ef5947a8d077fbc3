using System.Net;
using System.Net.Http.Json;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Realtime;

// SPEC §5 idempotency under a real race: the same clientMessageId sent at the same moment from two sockets (or
// two HTTP requests) names one send, so both answers carry the same pair and only one pair is stored.
public sealed class SocketIdempotencyTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private ParleyApp App => fixture.App;

    [Fact]
    public async Task Two_sockets_sending_the_same_clientMessageId_at_once_get_the_same_pair()
    {
        using var user = await SocketUser.SignUpAsync(App, apiKey: true);
        await using var one = await SocketClient.ConnectAsync(App, user);
        await using var two = await SocketClient.ConnectAsync(App, user);

        for (var round = 0; round < 3; round++)
        {
            var sessionId = await user.NewSessionAsync();
            var frame = new { type = "user_message", sessionId, content = "Only once, please", clientMessageId = "dup-" + round };
            await Task.WhenAll(one.SendAsync(frame), two.SendAsync(frame));
            var acks = await Task.WhenAll(one.NextAsync(), two.NextAsync());

            Assert.All(acks, a => Assert.True(a.Is("ack"), a.ToString()));
            Assert.Equal(acks[0].GetProperty("userMessage").Str("id"), acks[1].GetProperty("userMessage").Str("id"));
            var replyId = acks[0].GetProperty("assistantMessage").Str("id");
            Assert.Equal(replyId, acks[1].GetProperty("assistantMessage").Str("id"));
            // Both sockets stream the one reply.
            var streams = await Task.WhenAll(one.ReadReplyAsync(replyId), two.ReadReplyAsync(replyId));
            Assert.All(streams, s => Assert.Equal("complete", s[^1].Str("status")));
            Assert.Equal(2, (await user.Client.GetAsync($"/api/sessions/{sessionId}/messages")).GetProperty("items").GetArrayLength());
        }
    }

    [Fact]
    public async Task Two_HTTP_sends_with_the_same_clientMessageId_at_once_store_one_pair()
    {
        using var user = await SocketUser.SignUpAsync(App, apiKey: true);

        for (var round = 0; round < 3; round++)
        {
            var sessionId = await user.NewSessionAsync();
            var body = new { content = "Only once, please", clientMessageId = "dup-" + round };
            var responses = await Task.WhenAll(
                user.Client.Http.PostAsJsonAsync($"/api/sessions/{sessionId}/messages", body),
                user.Client.Http.PostAsJsonAsync($"/api/sessions/{sessionId}/messages", body));

            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Accepted], responses.Select(r => r.StatusCode).Order());
            var pairs = await Task.WhenAll(responses.Select(r => r.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()));
            Assert.Equal(pairs[0].GetProperty("userMessage").Str("id"), pairs[1].GetProperty("userMessage").Str("id"));
            Assert.Equal(pairs[0].GetProperty("assistantMessage").Str("id"), pairs[1].GetProperty("assistantMessage").Str("id"));
            Assert.Equal(2, (await user.Client.GetAsync($"/api/sessions/{sessionId}/messages")).GetProperty("items").GetArrayLength());
            await user.Client.WaitForReplyAsync(pairs[0].GetProperty("assistantMessage").Str("id"));
        }
    }
}
