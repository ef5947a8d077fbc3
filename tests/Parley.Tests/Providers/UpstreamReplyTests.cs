using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Providers;

public sealed class UpstreamReplyTests(UpstreamFixture fixture) : IClassFixture<UpstreamFixture>
{
    [Fact]
    public async Task Reply_arrives_token_for_token_and_the_upstream_received_the_context_as_sent()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync(new { personaId = "teacher", model = "fake", systemPrompt = "Answer in haiku." });
        var id = session.Str("id");
        var first = await client.ChatAsync(id, "first question");
        Assert.Equal("complete", first.Str("status"));

        var (_, reply) = await client.SendAsync(id, "second question here");
        var events = await client.ReadStreamAsync(reply.Str("id"));
        var stored = await client.WaitForReplyAsync(reply.Str("id"));

        // FakeLlm streams one token per chunk; Parley forwards each as its own delta, in order.
        var deltas = events.Where(e => e.Event == "delta").Select(e => e.Json.Str("content")).ToList();
        Assert.Equal(20, deltas.Count);
        Assert.Equal(stored.Str("content"), string.Concat(deltas));
        // The fake's text proves it saw 4 messages (system, 2 earlier turns, the new one) and the new question.
        Assert.StartsWith("[fake:4] second question here", stored.Str("content"));
        Assert.Equal("stop", stored.Str("finishReason"));
        Assert.True(stored.GetProperty("usage").GetProperty("completionTokens").GetInt32() > 0);

        var sent = fixture.Fake.Inspector.Requests.Last(r => r.Model == "fake" && r.Body.GetProperty("messages").GetArrayLength() == 4
            && r.Body.GetProperty("messages")[3].GetProperty("content").GetString() == "second question here");
        var messages = sent.Body.GetProperty("messages");
        Assert.Equal("system", messages[0].Str("role"));
        Assert.Contains("patient teacher", messages[0].Str("content"));
        Assert.Contains("Answer in haiku.", messages[0].Str("content"));
        Assert.Equal(("user", "first question"), (messages[1].Str("role"), messages[1].Str("content")));
        Assert.Equal("assistant", messages[2].Str("role"));
        Assert.Equal(first.Str("content"), messages[2].Str("content"));
        Assert.True(sent.Body.GetProperty("stream").GetBoolean());
        Assert.True(sent.Body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.Equal($"Bearer {UpstreamFixture.ApiKey}", sent.Authorization);
    }

    [Fact]
    public async Task Characters_split_across_network_writes_are_reassembled_exactly()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync(new { model = UpstreamFixture.Utf8 });
        var (_, reply) = await client.SendAsync(session.Str("id"), "utf8 please");
        var events = await client.ReadStreamAsync(reply.Str("id"));
        var stored = await client.WaitForReplyAsync(reply.Str("id"));

        // The same request answered without streaming is the canonical text.
        using var direct = new HttpClient { BaseAddress = fixture.Fake.BaseUrl };
        var sent = fixture.RequestsFor(UpstreamFixture.Utf8).Last(r => r.Body.GetProperty("stream").GetBoolean());
        var body = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(sent.Body.GetRawText())!;
        body["stream"] = JsonSerializer.SerializeToElement(false);
        body.Remove("stream_options");
        var canonical = await (await direct.PostAsJsonAsync("chat/completions", body)).Content.ReadFromJsonAsync<JsonElement>();
        var expected = canonical.GetProperty("choices")[0].GetProperty("message").Str("content");

        Assert.Equal("complete", stored.Str("status"));
        Assert.Equal(expected, stored.Str("content"));
        Assert.Equal(expected, string.Concat(events.Where(e => e.Event == "delta").Select(e => e.Json.Str("content"))));
        Assert.Contains("你好", expected);
        Assert.DoesNotContain('\uFFFD', stored.Str("content"));
    }

    [Fact]
    public async Task Compatible_server_quirks_reasoning_content_and_missing_usage_do_not_break_the_reply()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync(new { model = UpstreamFixture.Quirky });
        var reply = await client.ChatAsync(session.Str("id"), "think first");
        Assert.Equal("complete", reply.Str("status"));
        Assert.StartsWith("[fake:2] think first", reply.Str("content"));
        Assert.Equal(JsonValueKind.Null, reply.GetProperty("usage").ValueKind);
    }

    [Fact]
    public async Task Models_list_has_every_configured_model_and_an_unknown_model_is_a_field_error()
    {
        using var client = await fixture.SignedInAsync();
        var models = await client.GetAsync("/api/models");
        var ids = models.GetProperty("items").EnumerateArray().Select(m => m.Str("id")).ToList();
        Assert.Equal("fake", models.Str("default"));
        Assert.Contains("demo", ids);
        Assert.Contains(UpstreamFixture.Backup, ids);
        Assert.Contains(UpstreamFixture.RateLimited, ids);
        var fake = models.GetProperty("items").EnumerateArray().First(m => m.Str("id") == "fake");
        Assert.Equal("main", fake.Str("provider"));

        var badSession = await client.PostAsync("/api/sessions", new { model = "gpt-nope" }, HttpStatusCode.BadRequest);
        Assert.True(badSession.GetProperty("errors").TryGetProperty("model", out _));
        var session = await client.CreateSessionAsync();
        var badSend = await client.PostAsync($"/api/sessions/{session.Str("id")}/messages", new { content = "hi", model = "gpt-nope" }, HttpStatusCode.BadRequest);
        Assert.True(badSend.GetProperty("errors").TryGetProperty("model", out _));
    }

    [Fact]
    public async Task Usage_is_stored_per_message_and_summed_per_user()
    {
        using var client = await fixture.SignedInAsync();
        var session = await client.CreateSessionAsync(new { model = "fake" });
        var one = await client.ChatAsync(session.Str("id"), "count me");
        var two = await client.ChatAsync(session.Str("id"), "count me too");

        var usage = await client.GetAsync("/api/me/usage");
        int Completion(JsonElement m) => m.GetProperty("usage").GetProperty("completionTokens").GetInt32();
        int Prompt(JsonElement m) => m.GetProperty("usage").GetProperty("promptTokens").GetInt32();
        Assert.Equal(Completion(one) + Completion(two), usage.GetProperty("completionTokens").GetInt64());
        Assert.Equal(Prompt(one) + Prompt(two), usage.GetProperty("promptTokens").GetInt64());
        Assert.Equal(2, usage.GetProperty("requests").GetInt32());

        // Another user's usage is not counted, and an empty window is empty.
        using var other = await fixture.SignedInAsync();
        Assert.Equal(0, (await other.GetAsync("/api/me/usage")).GetProperty("totalTokens").GetInt64());
        var past = await client.GetAsync("/api/me/usage?from=2020-01-01&to=2020-02-01");
        Assert.Equal(0, past.GetProperty("requests").GetInt32());
        var earliest = await client.GetAsync("/api/me/usage?to=0001-01-05");
        Assert.Equal(0, earliest.GetProperty("requests").GetInt32());
        var bad = await client.GetAsync("/api/me/usage?from=yesterday", HttpStatusCode.BadRequest);
        Assert.True(bad.GetProperty("errors").TryGetProperty("from", out _));
    }
}
