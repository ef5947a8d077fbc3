using Parley.Tests.Infrastructure;
using Parley.Tests.Messages;

namespace Parley.Tests.Context;

// SPEC §8: the demo model says how many earlier messages it was given, so the reply text shows the context.
public sealed class ContextWindowTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task In_a_30_turn_session_each_reply_sees_the_newest_turns_up_to_20_messages_and_never_more()
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");

        for (var turn = 1; turn <= 30; turn++)
        {
            var reply = await client.ChatAsync(sessionId, $"This is turn {turn}");

            Assert.Equal("complete", reply.Str("status"));
            var expected = Math.Min(2 * (turn - 1), 20);
            Assert.Contains($"You said: \"This is turn {turn}\". I can see {expected} earlier messages", reply.Str("content"));
        }
        Assert.Equal(60, (await client.GetAsync($"/api/sessions/{sessionId}")).GetProperty("messageCount").GetInt32());
    }

    [Fact]
    public async Task Max_messages_from_configuration_caps_the_context()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?> { ["Parley:Context:MaxMessages"] = "4" });
        using var client = app.NewClient();
        await client.SignUpAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");

        var seen = new List<int>();
        for (var turn = 1; turn <= 5; turn++)
        {
            var reply = await client.ChatAsync(sessionId, $"Capped turn {turn}");
            seen.Add(EarlierMessages(reply.Str("content")));
        }

        Assert.Equal([0, 2, 4, 4, 4], seen);
    }

    [Fact]
    public async Task A_superseded_reply_is_left_out_of_the_context()
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        var first = await client.ChatAsync(sessionId, "First question");
        var regenerated = await client.PostAsync($"/api/messages/{first.Str("id")}/regenerate", null, System.Net.HttpStatusCode.Accepted);
        await client.WaitForReplyAsync(regenerated.GetProperty("assistantMessage").Str("id"));

        var second = await client.ChatAsync(sessionId, "Second question");

        // The user message and the newest reply only; the replaced reply is not a third.
        Assert.Equal(2, EarlierMessages(second.Str("content")));
    }

    [Fact]
    public async Task A_reply_that_ended_in_error_is_left_out_of_the_context()
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        var first = await client.ChatAsync(sessionId, "First question");

        // The demo model never fails on its own, so the first reply is turned into a failed one in the store,
        // exactly as the worker records a failure (status error, code, message, partial content kept).
        var db = new ParleyDatabase(fixture.App.DatabasePath);
        var changed = await db.ExecuteAsync(
            "UPDATE messages SET status = 'error', error_code = 'upstream_error', error_message = 'Injected by the test', finish_reason = NULL WHERE id = @m",
            ("@m", first.Str("id")));
        Assert.Equal(1, changed);
        Assert.Equal("error", (await client.GetAsync($"/api/messages/{first.Str("id")}")).Str("status"));

        var second = await client.ChatAsync(sessionId, "Second question");

        // Only the first user message is context; the failed reply is not.
        Assert.Equal(1, EarlierMessages(second.Str("content")));
    }

    private static int EarlierMessages(string content)
    {
        var match = System.Text.RegularExpressions.Regex.Match(content, @"I can see (\d+) earlier messages");
        Assert.True(match.Success, $"The demo reply does not say how many earlier messages it saw: {content}");
        return int.Parse(match.Groups[1].Value);
    }
}
