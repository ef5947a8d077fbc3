using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Parley.Tests.Auth;
using Parley.Tests.Errors;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Isolation;

// SPEC §3: an id owned by another user returns 404, exactly as if it did not exist, on every route.
public sealed class IsolationTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private const string SecretTitle = "Alice's private plans";
    private const string SecretContent = "my bank pin is 0000";

    private sealed record Probe(HttpMethod Method, string Template, object? Body, string OwnedId, string UnknownId);

    [Fact]
    public async Task Another_users_ids_get_the_same_404_as_unknown_ids_on_every_route_and_change_nothing()
    {
        using var alice = await fixture.SignedInAsync();
        using var bob = await fixture.SignedInAsync();
        var sessionId = (await alice.CreateSessionAsync(new { title = SecretTitle })).Str("id");
        var (question, reply) = await alice.SendAsync(sessionId, SecretContent);
        var answer = await alice.WaitForReplyAsync(reply.Str("id"));
        Assert.Equal("complete", answer.Str("status"));
        var key = await alice.PostAsync("/api/keys", new { name = "alice's key" }, HttpStatusCode.Created);
        var before = await SnapshotAsync(alice, sessionId);

        const string unknownSession = "ses_0000000000000000000000zzzz";
        const string unknownMessage = "msg_0000000000000000000000zzzz";
        Probe[] probes =
        [
            new(HttpMethod.Get, "/api/sessions/{0}", null, sessionId, unknownSession),
            new(HttpMethod.Patch, "/api/sessions/{0}", new { title = "taken over" }, sessionId, unknownSession),
            new(HttpMethod.Get, "/api/sessions/{0}/messages", null, sessionId, unknownSession),
            new(HttpMethod.Post, "/api/sessions/{0}/messages", new { content = "injected" }, sessionId, unknownSession),
            new(HttpMethod.Get, "/api/messages/{0}", null, question.Str("id"), unknownMessage),
            new(HttpMethod.Get, "/api/messages/{0}", null, reply.Str("id"), unknownMessage),
            new(HttpMethod.Get, "/api/messages/{0}/stream", null, reply.Str("id"), unknownMessage),
            new(HttpMethod.Post, "/api/messages/{0}/cancel", null, reply.Str("id"), unknownMessage),
            new(HttpMethod.Post, "/api/messages/{0}/regenerate", null, reply.Str("id"), unknownMessage),
            new(HttpMethod.Delete, "/api/sessions/{0}/messages", null, sessionId, unknownSession),
            new(HttpMethod.Delete, "/api/keys/{0}", null, key.Str("id"), "key_0000000000000000000000zzzz"),
            new(HttpMethod.Delete, "/api/sessions/{0}", null, sessionId, unknownSession),
        ];

        foreach (var probe in probes)
        {
            var owned = await SendAsync(bob, probe, probe.OwnedId);
            var ownedText = await owned.Content.ReadAsStringAsync();
            var ownedProblem = await ProblemAssert.IsProblemAsync(owned, HttpStatusCode.NotFound);
            var unknownProblem = await ProblemAssert.IsProblemAsync(await SendAsync(bob, probe, probe.UnknownId), HttpStatusCode.NotFound);

            Assert.True(ProblemAssert.Shape(unknownProblem) == ProblemAssert.Shape(ownedProblem),
                $"{probe.Method} {probe.Template}: another user's id answers {ownedProblem}, an unknown id answers {unknownProblem}.");
            Assert.DoesNotContain(SecretTitle, ownedText);
            Assert.DoesNotContain(SecretContent, ownedText);
        }

        // Nothing Bob tried reached Alice's data.
        var after = await SnapshotAsync(alice, sessionId);
        Assert.Equal(before, after);
        using var program = RawHttp.Client(fixture.App, bearer: key.Str("key"));
        Assert.Equal(HttpStatusCode.OK, (await program.GetAsync("/api/me")).StatusCode);
        var messageRows = DatabaseFile.Query(fixture.App.DatabasePath,
            "SELECT COUNT(*) FROM messages WHERE session_id = @s", ("@s", sessionId));
        Assert.Equal(2L, messageRows[0][0]);
    }

    [Fact]
    public async Task Session_list_shows_only_the_callers_sessions()
    {
        using var alice = await fixture.SignedInAsync();
        using var bob = await fixture.SignedInAsync();
        var alices = new[] { (await alice.CreateSessionAsync(new { title = "a1" })).Str("id"), (await alice.CreateSessionAsync(new { title = "a2" })).Str("id") };
        var bobs = (await bob.CreateSessionAsync(new { title = "b1" })).Str("id");

        var bobList = await bob.GetAsync("/api/sessions?limit=100");
        var aliceList = await alice.GetAsync("/api/sessions?limit=100");

        Assert.Equal(new[] { bobs }, bobList.GetProperty("items").EnumerateArray().Select(s => s.Str("id")));
        Assert.Equal(alices.Order(StringComparer.Ordinal), aliceList.GetProperty("items").EnumerateArray().Select(s => s.Str("id")).Order(StringComparer.Ordinal));
        Assert.True(bobList.GetProperty("nextCursor").ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public async Task Key_list_shows_only_the_callers_keys()
    {
        using var alice = await fixture.SignedInAsync();
        using var bob = await fixture.SignedInAsync();
        var alicesKey = await alice.PostAsync("/api/keys", new { name = "alice" }, HttpStatusCode.Created);

        var bobKeys = await bob.GetAsync("/api/keys");

        Assert.Equal(0, bobKeys.GetArrayLength());
        Assert.DoesNotContain(alicesKey.Str("id"), bobKeys.GetRawText());
    }

    private static async Task<HttpResponseMessage> SendAsync(ParleyClient client, Probe probe, string id)
    {
        var request = new HttpRequestMessage(probe.Method, string.Format(System.Globalization.CultureInfo.InvariantCulture, probe.Template, id));
        if (probe.Body is not null) request.Content = JsonContent.Create(probe.Body);
        return await client.Http.SendAsync(request);
    }

    // Everything Alice can see of the session, as text, so that any change shows up in one comparison.
    private static async Task<string> SnapshotAsync(ParleyClient owner, string sessionId)
    {
        var session = await owner.GetAsync($"/api/sessions/{sessionId}");
        var messages = await owner.GetAsync($"/api/sessions/{sessionId}/messages");
        var list = await owner.GetAsync("/api/sessions");
        Assert.Equal(SecretTitle, session.Str("title"));
        Assert.Equal(2, messages.GetProperty("items").GetArrayLength());
        Assert.Contains(sessionId, list.GetRawText());
        return session.GetRawText() + "\n" + messages.GetRawText() + "\n" + (await owner.GetAsync("/api/keys")).GetRawText();
    }
}
