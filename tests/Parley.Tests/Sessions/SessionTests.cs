using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Parley.Server.Storage;
using Parley.Tests.Infrastructure;
using Parley.Tests.Messages;

namespace Parley.Tests.Sessions;

public sealed class SessionTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private static readonly string[] SessionShape =
        ["id", "title", "personaId", "model", "systemPrompt", "createdAt", "updatedAt", "messageCount"];

    [Fact]
    public async Task Create_returns_201_with_location_and_the_session_with_defaults()
    {
        using var client = await fixture.SignedInAsync();

        var response = await client.Http.PostAsJsonAsync("/api/sessions", new { });
        var session = await ParleyClient.ExpectAsync(response, HttpStatusCode.Created);

        Assert.Equal(SessionShape.Order(), session.EnumerateObject().Select(p => p.Name).Order());
        var id = session.Str("id");
        Assert.False(string.IsNullOrWhiteSpace(id));
        Assert.Equal("New chat", session.Str("title"));
        Assert.Equal("assistant", session.Str("personaId"));
        Assert.Equal("demo", session.Str("model"));
        Assert.Equal(JsonValueKind.Null, session.GetProperty("systemPrompt").ValueKind);
        Assert.Equal(0, session.GetProperty("messageCount").GetInt32());
        Assert.EndsWith("Z", session.Str("createdAt"));
        Assert.Equal(session.GetProperty("createdAt").GetDateTime(), session.GetProperty("updatedAt").GetDateTime());

        Assert.NotNull(response.Headers.Location);
        Assert.EndsWith($"/api/sessions/{id}", response.Headers.Location!.OriginalString);
        var fetched = await client.GetAsync(response.Headers.Location.OriginalString);
        Assert.Equal(session.ToString(), fetched.ToString());
    }

    [Fact]
    public async Task Create_keeps_the_given_title_persona_model_and_system_prompt()
    {
        using var client = await fixture.SignedInAsync();

        var session = await client.CreateSessionAsync(new { title = "  Fractions  ", personaId = "teacher", model = "demo", systemPrompt = "Use short sentences." });

        Assert.Equal("Fractions", session.Str("title"));
        Assert.Equal("teacher", session.Str("personaId"));
        Assert.Equal("demo", session.Str("model"));
        Assert.Equal("Use short sentences.", session.Str("systemPrompt"));
        var fetched = await client.GetAsync($"/api/sessions/{session.Str("id")}");
        Assert.Equal(session.ToString(), fetched.ToString());
    }

    [Fact]
    public async Task Patch_changes_title_persona_model_and_system_prompt()
    {
        using var client = await fixture.SignedInAsync();
        var id = (await client.CreateSessionAsync()).Str("id");

        var patched = await client.PatchAsync($"/api/sessions/{id}",
            new { title = "Renamed", personaId = "programmer", model = "demo", systemPrompt = "Answer in C#." });

        Assert.Equal("Renamed", patched.Str("title"));
        Assert.Equal("programmer", patched.Str("personaId"));
        Assert.Equal("demo", patched.Str("model"));
        Assert.Equal("Answer in C#.", patched.Str("systemPrompt"));
        var fetched = await client.GetAsync($"/api/sessions/{id}");
        Assert.Equal(patched.ToString(), fetched.ToString());

        // A partial patch leaves the other fields alone.
        var partial = await client.PatchAsync($"/api/sessions/{id}", new { personaId = "teacher" });
        Assert.Equal("Renamed", partial.Str("title"));
        Assert.Equal("teacher", partial.Str("personaId"));
        Assert.Equal("Answer in C#.", partial.Str("systemPrompt"));
    }

    public static TheoryData<string, string> InvalidFields => new()
    {
        { "title", "   " },
        { "title", new string('t', 201) },
        { "personaId", "pirate" },
        { "model", "gpt-99" },
    };

    [Theory]
    [MemberData(nameof(InvalidFields))]
    public async Task Invalid_create_and_patch_return_400_naming_the_field(string field, string value)
    {
        using var client = await fixture.SignedInAsync();
        var body = new Dictionary<string, string> { [field] = value };

        var created = await client.Http.PostAsJsonAsync("/api/sessions", body);
        AssertFieldError(await ParleyClient.ExpectAsync(created, HttpStatusCode.BadRequest), created, field);

        var session = await client.CreateSessionAsync(new { title = "Before" });
        var patched = await client.Http.PatchAsJsonAsync($"/api/sessions/{session.Str("id")}", body);
        AssertFieldError(await ParleyClient.ExpectAsync(patched, HttpStatusCode.BadRequest), patched, field);

        // Nothing was stored: the rejected create made no session, and the rejected patch changed nothing.
        var list = await client.GetAsync("/api/sessions");
        var only = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal(session.ToString(), only.ToString());
    }

    [Fact]
    public async Task A_title_of_exactly_200_characters_is_accepted()
    {
        using var client = await fixture.SignedInAsync();
        var title = new string('x', 200);

        var session = await client.CreateSessionAsync(new { title });

        Assert.Equal(title, session.Str("title"));
    }

    [Fact]
    public async Task Delete_returns_204_then_the_session_and_its_messages_are_gone()
    {
        using var client = await fixture.SignedInAsync();
        var id = (await client.CreateSessionAsync()).Str("id");
        var reply = await client.ChatAsync(id, "Remember this");
        var db = new ParleyDatabase(fixture.App.DatabasePath);
        Assert.Equal(2, await db.CountAsync("SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", id)));

        await client.DeleteAsync($"/api/sessions/{id}");

        await client.GetAsync($"/api/sessions/{id}", HttpStatusCode.NotFound);
        await client.GetAsync($"/api/sessions/{id}/messages", HttpStatusCode.NotFound);
        await client.GetAsync($"/api/messages/{reply.Str("id")}", HttpStatusCode.NotFound);
        await client.DeleteAsync($"/api/sessions/{id}", HttpStatusCode.NotFound);
        Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", id)));
        Assert.Equal(0, await db.CountAsync("SELECT COUNT(*) FROM stream_events WHERE message_id = @m", ("@m", reply.Str("id"))));
    }

    [Fact]
    public async Task Another_users_session_is_404_on_every_route()
    {
        using var owner = await fixture.SignedInAsync();
        using var stranger = await fixture.SignedInAsync();
        var id = (await owner.CreateSessionAsync(new { title = "Private" })).Str("id");

        await stranger.GetAsync($"/api/sessions/{id}", HttpStatusCode.NotFound);
        await stranger.PatchAsync($"/api/sessions/{id}", new { title = "Mine now" }, HttpStatusCode.NotFound);
        await stranger.DeleteAsync($"/api/sessions/{id}", HttpStatusCode.NotFound);
        Assert.Empty((await stranger.GetAsync("/api/sessions")).GetProperty("items").EnumerateArray());

        Assert.Equal("Private", (await owner.GetAsync($"/api/sessions/{id}")).Str("title"));
    }

    [Fact]
    public async Task List_pages_most_recently_updated_first_and_cursors_walk_every_session_once()
    {
        using var client = await fixture.SignedInAsync();
        var created = new List<string>();
        for (var i = 1; i <= 5; i++) created.Add((await client.CreateSessionAsync(new { title = $"Session {i}" })).Str("id"));

        var seen = new List<string>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var url = "/api/sessions?limit=2" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}");
            var page = await client.GetAsync(url);
            var items = page.GetProperty("items").EnumerateArray().Select(s => s.Str("id")).ToList();
            Assert.InRange(items.Count, 1, 2);
            seen.AddRange(items);
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null ? null : page.Str("nextCursor");
            pages++;
        } while (cursor is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Reverse(created), seen);
    }

    [Fact]
    public async Task Cursors_walk_sessions_that_share_one_update_time_once_each_by_id()
    {
        using var client = await fixture.SignedInAsync();
        var created = new List<string>();
        for (var i = 1; i <= 7; i++) created.Add((await client.CreateSessionAsync(new { title = $"Imported {i}" })).Str("id"));
        // Saved at one moment, as an import would: only the id orders them.
        await using (var db = await fixture.App.Service<IDbContextFactory<ParleyDb>>().CreateDbContextAsync())
        {
            var moment = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
            await db.Sessions.Where(s => created.Contains(s.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.UpdatedAt, moment));
        }

        var seen = new List<string>();
        string? cursor = null;
        for (var pages = 0; pages < 10; pages++)
        {
            var page = await client.GetAsync("/api/sessions?limit=3" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(s => s.Str("id")));
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null ? null : page.Str("nextCursor");
            if (cursor is null) break;
        }

        Assert.Equal(created.OrderDescending(StringComparer.Ordinal), seen);
    }

    [Fact]
    public async Task Sending_to_an_older_session_moves_it_to_the_top()
    {
        using var client = await fixture.SignedInAsync();
        var older = (await client.CreateSessionAsync(new { title = "Older" })).Str("id");
        var newer = (await client.CreateSessionAsync(new { title = "Newer" })).Str("id");
        Assert.Equal([newer, older], await ListIdsAsync(client));

        var (_, reply) = await client.SendAsync(older, "Bring me back up");

        Assert.Equal([older, newer], await ListIdsAsync(client));
        await client.WaitForReplyAsync(reply.Str("id"));
        Assert.Equal([older, newer], await ListIdsAsync(client));
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("cursor=garbage", "cursor")]
    [InlineData("cursor=x", "cursor")]
    public async Task Invalid_limit_or_cursor_returns_400_naming_it(string query, string field)
    {
        using var client = await fixture.SignedInAsync();
        await client.CreateSessionAsync();

        var response = await client.Http.GetAsync("/api/sessions?" + query);

        AssertFieldError(await ParleyClient.ExpectAsync(response, HttpStatusCode.BadRequest), response, field);
    }

    [Fact]
    public async Task First_reply_gives_the_session_a_title_from_the_first_message_and_later_replies_keep_it()
    {
        using var client = await fixture.SignedInAsync();
        var id = (await client.CreateSessionAsync()).Str("id");

        await client.ChatAsync(id, "Plan a weekend trip to Lisbon with two kids");
        var titled = await Poll.UntilAsync(() => client.GetAsync($"/api/sessions/{id}"), s => s.Str("title") != "New chat",
            TimeSpan.FromSeconds(10), "the automatic title");

        Assert.StartsWith("Plan a weekend trip", titled.Str("title"));
        Assert.InRange(titled.Str("title").Length, 1, 200);

        await client.ChatAsync(id, "Now something completely different");
        Assert.Equal(titled.Str("title"), (await client.GetAsync($"/api/sessions/{id}")).Str("title"));
    }

    [Fact]
    public async Task An_explicit_title_and_a_patched_title_are_not_replaced_by_the_automatic_title()
    {
        using var client = await fixture.SignedInAsync();
        var named = (await client.CreateSessionAsync(new { title = "Named at creation" })).Str("id");
        var renamed = (await client.CreateSessionAsync()).Str("id");
        var control = (await client.CreateSessionAsync()).Str("id");

        var (_, namedReply) = await client.SendAsync(named, "Explain photosynthesis");
        var (_, renamedReply) = await client.SendAsync(renamed, "Explain gravity");
        await client.PatchAsync($"/api/sessions/{renamed}", new { title = "Renamed by hand" });
        await client.WaitForReplyAsync(namedReply.Str("id"));
        await client.WaitForReplyAsync(renamedReply.Str("id"));

        // The control session is titled after the two others finished: by then their titling has run too.
        await client.ChatAsync(control, "Explain magnetism");
        await Poll.UntilAsync(() => client.GetAsync($"/api/sessions/{control}"), s => s.Str("title") != "New chat",
            TimeSpan.FromSeconds(10), "the control session's automatic title");

        Assert.Equal("Named at creation", (await client.GetAsync($"/api/sessions/{named}")).Str("title"));
        Assert.Equal("Renamed by hand", (await client.GetAsync($"/api/sessions/{renamed}")).Str("title"));
    }

    private static async Task<List<string>> ListIdsAsync(ParleyClient client) =>
        (await client.GetAsync("/api/sessions")).GetProperty("items").EnumerateArray().Select(s => s.Str("id")).ToList();

    internal static void AssertFieldError(JsonElement problem, HttpResponseMessage response, string field)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"Expected an error for '{field}' in {errors}");
        Assert.NotEmpty(messages.EnumerateArray());
        Assert.Equal([field], errors.EnumerateObject().Select(p => p.Name));
    }
}
