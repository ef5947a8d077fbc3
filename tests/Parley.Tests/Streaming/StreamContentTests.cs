using System.Text;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Streaming;

public sealed class StreamContentTests
{
    [Fact]
    public async Task Chinese_text_and_emoji_survive_byte_for_byte()
    {
        await using var app = new ParleyApp();
        using var client = app.NewClient();
        await client.SignUpAsync();
        var session = await client.CreateSessionAsync();
        const string message = "你好，世界！请解释递归 🌍🚀👩‍💻 ñ é";

        var (user, reply) = await client.SendAsync(session.Str("id"), message);
        var events = await client.ReadStreamAsync(reply.Str("id"));
        var stored = await client.WaitForReplyAsync(reply.Str("id"));

        var streamed = string.Concat(events.Where(e => e.Event == "delta").Select(e => e.Json.Str("content")));
        Assert.Equal(Encoding.UTF8.GetBytes(stored.Str("content")), Encoding.UTF8.GetBytes(streamed));
        Assert.Contains(message, streamed);
        Assert.Contains("你说", streamed);
        var storedUser = await client.GetAsync($"/api/messages/{user.Str("id")}");
        Assert.Equal(Encoding.UTF8.GetBytes(message), Encoding.UTF8.GetBytes(storedUser.Str("content")));
    }

    [Fact]
    public async Task Idle_stream_sends_keep_alive_comments()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?>
        {
            ["Parley:Demo:FirstTokenDelayMs"] = "2500",
            ["Parley:Streaming:KeepAliveSeconds"] = "1",
            // Longer than the wait for the first token: the keep-alive must not wait for the next poll.
            ["Parley:Streaming:PollIntervalMs"] = "5000",
        });
        using var client = app.NewClient();
        await client.SignUpAsync();
        var session = await client.CreateSessionAsync();
        var (_, reply) = await client.SendAsync(session.Str("id"), "wait for it");

        var comments = new List<string>();
        var events = await client.ReadStreamAsync(reply.Str("id"), comments: comments);

        Assert.Contains(": keep-alive", comments);
        Assert.Equal("done", events[^1].Event);
    }

    [Fact]
    public async Task Only_replies_have_streams_a_user_message_answers_404()
    {
        await using var app = new ParleyApp();
        using var client = app.NewClient();
        await client.SignUpAsync();
        var session = await client.CreateSessionAsync();
        var (user, _) = await client.SendAsync(session.Str("id"), "hello");
        using var response = await client.OpenStreamAsync(user.Str("id"));
        await ParleyClient.ExpectAsync(response, System.Net.HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Stream_of_a_missing_message_is_a_problem_not_a_stream()
    {
        await using var app = new ParleyApp();
        using var client = app.NewClient();
        await client.SignUpAsync();
        using var response = await client.OpenStreamAsync("msg_does_not_exist");
        var problem = await ParleyClient.ExpectAsync(response, System.Net.HttpStatusCode.NotFound);
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
    }
}
