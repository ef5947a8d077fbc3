using System.Net;
using System.Net.Http.Json;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Limits;

public sealed class UserLimitTests
{
    [Fact]
    public async Task Sends_over_the_per_minute_rate_get_429_with_Retry_After()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?> { ["Parley:Limits:SendsPerMinute"] = "3" });
        using var client = app.NewClient();
        await client.SignUpAsync();
        for (var i = 0; i < 3; i++)
        {
            var session = await client.CreateSessionAsync();
            await client.SendAsync(session.Str("id"), $"message {i}");
        }

        var last = await client.CreateSessionAsync();
        var response = await client.Http.PostAsJsonAsync($"/api/sessions/{last.Str("id")}/messages", new { content = "one too many" });
        var problem = await ParleyClient.ExpectAsync(response, HttpStatusCode.TooManyRequests);
        Assert.Equal("rate", problem.Str("limit"));
        Assert.True(int.Parse(response.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ToString("0")) >= 1);
        Assert.Equal(0, (await client.GetAsync($"/api/sessions/{last.Str("id")}")).GetProperty("messageCount").GetInt32());

        // The rate is per user: someone else can still send.
        using var other = app.NewClient();
        await other.SignUpAsync();
        await other.SendAsync((await other.CreateSessionAsync()).Str("id"), "my first");
    }

    [Fact]
    public async Task A_user_at_the_concurrent_reply_cap_gets_429_until_one_ends()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?>
        {
            ["Parley:Limits:MaxConcurrentReplies"] = "2",
            ["Parley:Demo:TokensPerSecond"] = "10",
            ["Parley:Demo:ReplyTokens"] = "200",
        });
        using var client = app.NewClient();
        await client.SignUpAsync();
        var (_, first) = await client.SendAsync((await client.CreateSessionAsync()).Str("id"), "one");
        await client.SendAsync((await client.CreateSessionAsync()).Str("id"), "two");

        var third = await client.CreateSessionAsync();
        var refused = await client.PostAsync($"/api/sessions/{third.Str("id")}/messages", new { content = "three" }, HttpStatusCode.TooManyRequests);
        Assert.Equal("concurrent_replies", refused.Str("limit"));
        Assert.Equal(0, (await client.GetAsync($"/api/sessions/{third.Str("id")}")).GetProperty("messageCount").GetInt32());
        Assert.Equal(0, (await client.GetAsync($"/api/sessions/{third.Str("id")}/messages")).GetProperty("items").GetArrayLength());

        await client.PostAsync($"/api/messages/{first.Str("id")}/cancel", null, HttpStatusCode.Accepted);
        await client.WaitForReplyAsync(first.Str("id"));
        await client.SendAsync(third.Str("id"), "three");
    }

    [Fact]
    public async Task The_daily_token_quota_stops_new_replies_until_midnight_UTC()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?> { ["Parley:Limits:DailyTokenQuota"] = "50" });
        using var client = app.NewClient();
        await client.SignUpAsync();
        var session = await client.CreateSessionAsync();
        var first = await client.ChatAsync(session.Str("id"), "spend my tokens");
        Assert.True(first.GetProperty("usage").GetProperty("completionTokens").GetInt32() >= 40);

        var response = await client.Http.PostAsJsonAsync($"/api/sessions/{session.Str("id")}/messages", new { content = "more please" });
        var problem = await ParleyClient.ExpectAsync(response, HttpStatusCode.TooManyRequests);
        Assert.Equal("daily_quota", problem.Str("limit"));
        var wait = response.Headers.RetryAfter!.Delta!.Value;
        Assert.InRange(wait, TimeSpan.FromSeconds(1), TimeSpan.FromHours(24));
        // Nothing of the refused send was kept.
        Assert.Equal(2, (await client.GetAsync($"/api/sessions/{session.Str("id")}")).GetProperty("messageCount").GetInt32());
        Assert.Equal(2, (await client.GetAsync($"/api/sessions/{session.Str("id")}/messages")).GetProperty("items").GetArrayLength());

        using var other = app.NewClient();
        await other.SignUpAsync();
        await other.SendAsync((await other.CreateSessionAsync()).Str("id"), "my own quota");
    }

    [Fact]
    public async Task Over_the_WebSocket_a_send_over_the_rate_gets_a_rate_limited_error_frame()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?> { ["Parley:Limits:SendsPerMinute"] = "1" });
        using var user = await Realtime.SocketUser.SignUpAsync(app, apiKey: true);
        await using var socket = await Realtime.SocketClient.ConnectAsync(app, user);

        await socket.SendAsync(new { type = "user_message", sessionId = await user.NewSessionAsync(), content = "first", clientMessageId = "a" });
        Assert.Equal("ack", (await socket.NextAsync()).Str("type"));
        await socket.SendAsync(new { type = "user_message", sessionId = await user.NewSessionAsync(), content = "second", clientMessageId = "b" });

        // The first reply streams meanwhile; the refusal arrives among its frames.
        var error = (await socket.ReadUntilAsync(f => f.Str("type") == "error"))[^1];
        Assert.Equal("rate_limited", error.Str("code"));
        Assert.Equal("rate", error.Str("limit"));
        Assert.True(error.GetProperty("retryAfter").GetInt32() >= 1);
        Assert.Equal("b", error.Str("clientMessageId"));
    }
}
