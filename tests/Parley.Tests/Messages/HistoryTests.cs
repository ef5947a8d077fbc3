using System.Net;
using Parley.Tests.Infrastructure;
using Parley.Tests.Sessions;

namespace Parley.Tests.Messages;

public sealed class HistoryTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task History_lists_the_conversation_oldest_first()
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        for (var turn = 1; turn <= 3; turn++) await client.ChatAsync(sessionId, $"Question {turn}");

        var page = await client.GetAsync($"/api/sessions/{sessionId}/messages");

        Assert.False(page.GetProperty("hasMore").GetBoolean());
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "user", "assistant", "user", "assistant"], items.Select(m => m.Str("role")));
        Assert.Equal(["Question 1", "Question 2", "Question 3"], items.Where(m => m.Str("role") == "user").Select(m => m.Str("content")));
        for (var i = 0; i < items.Count; i += 2)
        {
            Assert.Equal(items[i].Str("id"), items[i + 1].Str("parentId"));
            Assert.Equal("complete", items[i + 1].Str("status"));
            Assert.Contains(items[i].Str("content"), items[i + 1].Str("content"));
        }
        var times = items.Select(m => m.GetProperty("createdAt").GetDateTime()).ToList();
        Assert.Equal(times.Order(), times);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Paging_back_with_before_walks_the_whole_history_with_no_duplicate_or_gap(int limit)
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        for (var turn = 1; turn <= 5; turn++) await client.ChatAsync(sessionId, $"Turn {turn}");
        var all = (await client.GetAsync($"/api/sessions/{sessionId}/messages")).GetProperty("items").EnumerateArray()
            .Select(m => m.Str("id")).ToList();
        Assert.Equal(10, all.Count);

        var walked = new List<string>();
        var pages = 0;
        string? before = null;
        while (true)
        {
            var page = await client.GetAsync($"/api/sessions/{sessionId}/messages?limit={limit}" + (before is null ? "" : $"&before={before}"));
            var ids = page.GetProperty("items").EnumerateArray().Select(m => m.Str("id")).ToList();
            Assert.InRange(ids.Count, 1, limit);
            walked.InsertRange(0, ids);
            pages++;
            if (!page.GetProperty("hasMore").GetBoolean()) break;
            Assert.Equal(limit, ids.Count);
            Assert.True(pages < 10, "paging did not end");
            before = ids[0];
        }

        Assert.Equal((10 + limit - 1) / limit, pages);
        Assert.Equal(all, walked);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("before=msg_doesnotexist", "before")]
    public async Task Invalid_limit_or_before_returns_400_naming_it(string query, string field)
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");

        var response = await client.Http.GetAsync($"/api/sessions/{sessionId}/messages?{query}");

        SessionTests.AssertFieldError(await ParleyClient.ExpectAsync(response, HttpStatusCode.BadRequest), response, field);
    }

    [Fact]
    public async Task Clearing_the_history_returns_204_keeps_the_session_and_a_new_send_starts_afresh()
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync(new { title = "Keep me" })).Str("id");
        await client.ChatAsync(sessionId, "First");
        var second = await client.ChatAsync(sessionId, "Second");
        Assert.Contains("I can see 2 earlier messages", second.Str("content"));

        await client.DeleteAsync($"/api/sessions/{sessionId}/messages");

        var page = await client.GetAsync($"/api/sessions/{sessionId}/messages");
        Assert.Empty(page.GetProperty("items").EnumerateArray());
        Assert.False(page.GetProperty("hasMore").GetBoolean());
        var session = await client.GetAsync($"/api/sessions/{sessionId}");
        Assert.Equal("Keep me", session.Str("title"));
        Assert.Equal(0, session.GetProperty("messageCount").GetInt32());
        var db = new ParleyDatabase(fixture.App.DatabasePath);
        Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", sessionId)));
        Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM stream_events WHERE message_id = @m", ("@m", second.Str("id"))));
        await client.GetAsync($"/api/messages/{second.Str("id")}", HttpStatusCode.NotFound);

        // The next reply sees none of the cleared turns.
        var fresh = await client.ChatAsync(sessionId, "Third");
        Assert.Equal("complete", fresh.Str("status"));
        Assert.Contains("I can see 0 earlier messages", fresh.Str("content"));
        var after = await client.GetAsync($"/api/sessions/{sessionId}/messages");
        Assert.Equal(["Third", fresh.Str("content")], after.GetProperty("items").EnumerateArray().Select(m => m.Str("content")));
        Assert.Equal(2, (await client.GetAsync($"/api/sessions/{sessionId}")).GetProperty("messageCount").GetInt32());
    }

    [Fact]
    public async Task Clearing_an_unknown_or_foreign_session_returns_404_and_removes_nothing()
    {
        using var owner = await fixture.SignedInAsync();
        using var stranger = await fixture.SignedInAsync();
        var sessionId = (await owner.CreateSessionAsync()).Str("id");
        await owner.ChatAsync(sessionId, "Still here");

        await stranger.DeleteAsync($"/api/sessions/{sessionId}/messages", HttpStatusCode.NotFound);
        await stranger.GetAsync($"/api/sessions/{sessionId}/messages", HttpStatusCode.NotFound);
        await owner.DeleteAsync("/api/sessions/ses_doesnotexist/messages", HttpStatusCode.NotFound);

        Assert.Equal(2, (await owner.GetAsync($"/api/sessions/{sessionId}/messages")).GetProperty("items").GetArrayLength());
    }
}
