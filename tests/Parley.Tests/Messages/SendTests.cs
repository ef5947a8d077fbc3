using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Parley.Tests.Infrastructure;
using Parley.Tests.Sessions;

namespace Parley.Tests.Messages;

public sealed class SendTests(AppFixture fixture, SlowReplyFixture slow) : IClassFixture<AppFixture>, IClassFixture<SlowReplyFixture>
{
    private static readonly string[] MessageShape =
    [
        "id", "sessionId", "parentId", "role", "content", "status", "model", "personaId", "finishReason", "usage", "error",
        "toolCalls", "createdAt", "completedAt",
    ];

    private ParleyDatabase Db => new(fixture.App.DatabasePath);

    [Fact]
    public async Task Send_returns_202_with_both_messages_committed_and_the_stream_location()
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");

        var response = await client.Http.PostAsJsonAsync($"/api/sessions/{sessionId}/messages", new { content = "Hello there" });
        var pair = await ParleyClient.ExpectAsync(response, HttpStatusCode.Accepted);

        // Both rows are committed by the time the 202 arrives, before anything else is asked of the server.
        var user = pair.GetProperty("userMessage");
        var reply = pair.GetProperty("assistantMessage");
        var rows = await Db.MessagesAsync(sessionId);
        Assert.Equal(2, rows.Count);
        Assert.Equal((user.Str("id"), "user", "complete"), rows[0]);
        Assert.Equal((reply.Str("id"), "assistant"), (rows[1].Id, rows[1].Role));
        Assert.Equal(1, await Db.CountAsync("SELECT COUNT(*) FROM sessions WHERE id = @s AND message_count = 2", ("@s", sessionId)));

        Assert.Equal($"/api/messages/{reply.Str("id")}/stream", response.Headers.Location?.OriginalString);
        Assert.Equal(MessageShape.Order(), user.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(MessageShape.Order(), reply.EnumerateObject().Select(p => p.Name).Order());

        Assert.Equal("user", user.Str("role"));
        Assert.Equal("complete", user.Str("status"));
        Assert.Equal("Hello there", user.Str("content"));
        Assert.Equal(sessionId, user.Str("sessionId"));
        Assert.Equal(JsonValueKind.Null, user.GetProperty("parentId").ValueKind);

        Assert.Equal("assistant", reply.Str("role"));
        Assert.Contains(reply.Str("status"), new[] { "queued", "generating" });
        Assert.Equal(user.Str("id"), reply.Str("parentId"));
        Assert.Equal(sessionId, reply.Str("sessionId"));
        Assert.Equal("demo", reply.Str("model"));
        Assert.Equal("assistant", reply.Str("personaId"));
        Assert.Equal(JsonValueKind.Null, reply.GetProperty("completedAt").ValueKind);

        var finished = await client.WaitForReplyAsync(reply.Str("id"));
        Assert.Equal("complete", finished.Str("status"));
        Assert.Equal("stop", finished.Str("finishReason"));
        Assert.Contains("Hello there", finished.Str("content"));
        Assert.True(finished.GetProperty("usage").GetProperty("completionTokens").GetInt32() > 0);
        Assert.Equal(JsonValueKind.Null, finished.GetProperty("error").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, finished.GetProperty("completedAt").ValueKind);
        Assert.Equal("complete", await Db.ScalarAsync("SELECT status FROM messages WHERE id = @m", ("@m", reply.Str("id"))));
        Assert.Equal(2, (await client.GetAsync($"/api/sessions/{sessionId}")).GetProperty("messageCount").GetInt32());
    }

    public static TheoryData<string, string?, string?> InvalidSends => new()
    {
        { "content", "", null },
        { "content", "   \n\t ", null },
        { "content", null, null },
        { "content", new string('a', 32_001), null },
        { "clientMessageId", "Hello", new string('k', 65) },
    };

    [Theory]
    [MemberData(nameof(InvalidSends))]
    public async Task Invalid_send_returns_400_naming_the_field_and_stores_nothing(string field, string? content, string? clientMessageId)
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");

        var response = await client.Http.PostAsJsonAsync($"/api/sessions/{sessionId}/messages", new { content, clientMessageId });

        SessionTests.AssertFieldError(await ParleyClient.ExpectAsync(response, HttpStatusCode.BadRequest), response, field);
        Assert.Equal(0, await Db.CountAsync("SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", sessionId)));
        Assert.Equal(0, (await client.GetAsync($"/api/sessions/{sessionId}")).GetProperty("messageCount").GetInt32());
    }

    [Fact]
    public async Task Content_at_the_limit_and_a_64_character_client_message_id_are_accepted()
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        var content = new string('a', 32_000);

        var (user, reply) = await client.SendAsync(sessionId, content, clientMessageId: new string('k', 64));

        Assert.Equal(content, user.Str("content"));
        Assert.Equal("complete", (await client.WaitForReplyAsync(reply.Str("id"))).Str("status"));
    }

    [Fact]
    public async Task Send_to_an_unknown_or_foreign_session_returns_404()
    {
        using var owner = await fixture.SignedInAsync();
        using var stranger = await fixture.SignedInAsync();
        var sessionId = (await owner.CreateSessionAsync()).Str("id");

        await stranger.PostAsync($"/api/sessions/{sessionId}/messages", new { content = "Hi" }, HttpStatusCode.NotFound);
        await owner.PostAsync("/api/sessions/ses_doesnotexist/messages", new { content = "Hi" }, HttpStatusCode.NotFound);

        Assert.Equal(0, await Db.CountAsync("SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", sessionId)));
    }

    [Fact]
    public async Task Repeating_a_send_with_the_same_client_message_id_returns_200_with_the_same_pair_and_starts_nothing()
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        var (user, reply) = await client.SendAsync(sessionId, "Only once please", clientMessageId: "key-1");

        // Once while the reply may still run, once after it finished: both are the same send.
        var (user2, reply2) = await client.SendAsync(sessionId, "Only once please", clientMessageId: "key-1", expected: HttpStatusCode.OK);
        await client.WaitForReplyAsync(reply.Str("id"));
        var (user3, reply3) = await client.SendAsync(sessionId, "Only once please", clientMessageId: "key-1", expected: HttpStatusCode.OK);

        Assert.Equal(user.Str("id"), user2.Str("id"));
        Assert.Equal(reply.Str("id"), reply2.Str("id"));
        Assert.Equal(user.Str("id"), user3.Str("id"));
        Assert.Equal(reply.Str("id"), reply3.Str("id"));
        Assert.Equal("complete", reply3.Str("status"));

        var list = await client.GetAsync($"/api/sessions/{sessionId}/messages");
        Assert.Equal([user.Str("id"), reply.Str("id")], list.GetProperty("items").EnumerateArray().Select(m => m.Str("id")));
        Assert.Equal(2, await Db.CountAsync("SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", sessionId)));
        Assert.Equal(2, (await client.GetAsync($"/api/sessions/{sessionId}")).GetProperty("messageCount").GetInt32());
    }

    [Fact]
    public async Task Reusing_a_client_message_id_with_different_content_returns_409()
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        var (_, reply) = await client.SendAsync(sessionId, "First text", clientMessageId: "key-2");
        await client.WaitForReplyAsync(reply.Str("id"));

        var response = await client.Http.PostAsJsonAsync($"/api/sessions/{sessionId}/messages", new { content = "Other text", clientMessageId = "key-2" });

        var problem = await ParleyClient.ExpectAsync(response, HttpStatusCode.Conflict);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(409, problem.GetProperty("status").GetInt32());
        Assert.Equal(2, await Db.CountAsync("SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", sessionId)));
    }

    [Fact]
    public async Task The_same_client_message_id_in_another_session_is_a_new_send()
    {
        using var client = await fixture.SignedInAsync();
        var first = (await client.CreateSessionAsync()).Str("id");
        var second = (await client.CreateSessionAsync()).Str("id");
        var (user1, reply1) = await client.SendAsync(first, "Same words", clientMessageId: "shared-key");

        var (user2, reply2) = await client.SendAsync(second, "Same words", clientMessageId: "shared-key");

        Assert.NotEqual(user1.Str("id"), user2.Str("id"));
        Assert.Equal(second, user2.Str("sessionId"));
        await client.WaitForReplyAsync(reply1.Str("id"));
        await client.WaitForReplyAsync(reply2.Str("id"));
    }

    [Fact]
    public async Task Sending_while_the_reply_is_generating_returns_409_with_the_running_message_id()
    {
        using var client = await slow.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        var (_, running) = await client.SendAsync(sessionId, "Take your time");
        var runningId = running.Str("id");
        try
        {
            var response = await client.Http.PostAsJsonAsync($"/api/sessions/{sessionId}/messages", new { content = "Are you done?" });

            var problem = await ParleyClient.ExpectAsync(response, HttpStatusCode.Conflict);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(409, problem.GetProperty("status").GetInt32());
            Assert.Equal(runningId, problem.Str("runningMessageId"));
            Assert.False(string.IsNullOrWhiteSpace(problem.Str("detail")));
            Assert.Equal(2, await new ParleyDatabase(slow.App.DatabasePath).CountAsync("SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", sessionId)));
            Assert.Contains((await client.GetAsync($"/api/messages/{runningId}")).Str("status"), new[] { "queued", "generating" });
        }
        finally
        {
            await client.PostAsync($"/api/messages/{runningId}/cancel", null, HttpStatusCode.Accepted);
        }

        // Once the running reply has ended, the session takes sends again.
        Assert.Equal("cancelled", (await client.WaitForReplyAsync(runningId)).Str("status"));
        var (_, next) = await client.SendAsync(sessionId, "Now?");
        await client.PostAsync($"/api/messages/{next.Str("id")}/cancel", null, HttpStatusCode.Accepted);
    }
}
