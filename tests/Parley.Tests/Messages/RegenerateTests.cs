using System.Net;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Messages;

public sealed class RegenerateTests(AppFixture fixture, SlowReplyFixture slow) : IClassFixture<AppFixture>, IClassFixture<SlowReplyFixture>
{
    [Fact]
    public async Task Regenerate_returns_202_with_a_new_reply_to_the_same_user_message_and_keeps_the_old_one()
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        var (user, first) = await client.SendAsync(sessionId, "Give me a name for a cat");
        var old = await client.WaitForReplyAsync(first.Str("id"));

        var response = await client.Http.PostAsync($"/api/messages/{old.Str("id")}/regenerate", null);
        var body = await ParleyClient.ExpectAsync(response, HttpStatusCode.Accepted);

        var fresh = body.GetProperty("assistantMessage");
        Assert.Equal(["assistantMessage"], body.EnumerateObject().Select(p => p.Name));
        Assert.NotEqual(old.Str("id"), fresh.Str("id"));
        Assert.Equal(user.Str("id"), fresh.Str("parentId"));
        Assert.Equal("assistant", fresh.Str("role"));
        Assert.Contains(fresh.Str("status"), new[] { "queued", "generating" });
        Assert.Equal($"/api/messages/{fresh.Str("id")}/stream", response.Headers.Location?.OriginalString);

        var regenerated = await client.WaitForReplyAsync(fresh.Str("id"));
        Assert.Equal("complete", regenerated.Str("status"));
        Assert.Contains("Give me a name for a cat", regenerated.Str("content"));

        // The old reply is still stored as an alternative, unchanged.
        var stillThere = await client.GetAsync($"/api/messages/{old.Str("id")}");
        Assert.Equal(old.ToString(), stillThere.ToString());
        Assert.Equal(3, await new ParleyDatabase(fixture.App.DatabasePath).CountAsync(
            "SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", sessionId)));

        // The current branch shows the user message and only the newest reply.
        var list = await client.GetAsync($"/api/sessions/{sessionId}/messages");
        Assert.Equal([user.Str("id"), fresh.Str("id")], list.GetProperty("items").EnumerateArray().Select(m => m.Str("id")));
    }

    [Fact]
    public async Task Regenerating_a_user_message_returns_400_and_an_unknown_one_404()
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        var (user, reply) = await client.SendAsync(sessionId, "Hi");
        await client.WaitForReplyAsync(reply.Str("id"));

        var response = await client.Http.PostAsync($"/api/messages/{user.Str("id")}/regenerate", null);
        var problem = await ParleyClient.ExpectAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());

        await client.PostAsync("/api/messages/msg_doesnotexist/regenerate", null, HttpStatusCode.NotFound);
        using var stranger = await fixture.SignedInAsync();
        await stranger.PostAsync($"/api/messages/{reply.Str("id")}/regenerate", null, HttpStatusCode.NotFound);
        Assert.Equal(2, await new ParleyDatabase(fixture.App.DatabasePath).CountAsync(
            "SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", sessionId)));
    }

    [Fact]
    public async Task Regenerating_while_a_reply_runs_returns_409_and_works_once_it_has_ended()
    {
        using var client = await slow.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        var (_, running) = await client.SendAsync(sessionId, "Think slowly");
        var runningId = running.Str("id");

        var problem = await client.PostAsync($"/api/messages/{runningId}/regenerate", null, HttpStatusCode.Conflict);
        Assert.Equal(runningId, problem.Str("runningMessageId"));
        Assert.Equal(2, await new ParleyDatabase(slow.App.DatabasePath).CountAsync(
            "SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", sessionId)));

        await client.PostAsync($"/api/messages/{runningId}/cancel", null, HttpStatusCode.Accepted);
        Assert.Equal("cancelled", (await client.WaitForReplyAsync(runningId)).Str("status"));

        var again = await client.PostAsync($"/api/messages/{runningId}/regenerate", null, HttpStatusCode.Accepted);
        var freshId = again.GetProperty("assistantMessage").Str("id");
        await client.PostAsync($"/api/messages/{freshId}/cancel", null, HttpStatusCode.Accepted);
        Assert.Equal("cancelled", (await client.WaitForReplyAsync(freshId)).Str("status"));
    }
}
