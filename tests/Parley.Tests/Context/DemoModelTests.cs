using System.Diagnostics;
using System.Text;
using Parley.Tests.Infrastructure;
using Parley.Tests.Messages;

namespace Parley.Tests.Context;

// SPEC §7, the demo model: its text shows the persona, the last user message and the earlier turns; it answers
// Chinese in Chinese; it is deterministic; it paces its tokens.
public sealed class DemoModelTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task The_reply_names_the_persona_of_the_session_or_of_the_send()
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync(new { personaId = "teacher" })).Str("id");

        var teacher = await client.ChatAsync(sessionId, "What is a fraction?");
        var (_, reply) = await client.SendAsync(sessionId, "And a pointer?", personaId: "programmer");
        var programmer = await client.WaitForReplyAsync(reply.Str("id"));

        Assert.StartsWith("[Offline demo · persona: Teacher]", teacher.Str("content"));
        Assert.Equal("teacher", teacher.Str("personaId"));
        Assert.StartsWith("[Offline demo · persona: Programmer]", programmer.Str("content"));
        Assert.Equal("programmer", programmer.Str("personaId"));
    }

    [Fact]
    public async Task The_reply_echoes_the_last_user_message()
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        await client.ChatAsync(sessionId, "An earlier question");

        var reply = await client.ChatAsync(sessionId, "How do tides work?");

        Assert.Contains("You said: \"How do tides work?\".", reply.Str("content"));
        Assert.DoesNotContain("An earlier question", reply.Str("content"));
    }

    [Fact]
    public async Task A_chinese_message_gets_a_chinese_reply()
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");

        var reply = await client.ChatAsync(sessionId, "今天天气怎么样？");

        var content = reply.Str("content");
        Assert.Contains("你说：“今天天气怎么样？”", content);
        Assert.Contains("角色：Assistant", content);
        Assert.Contains("之前的 0 条消息", content);
        Assert.DoesNotContain("You said", content);
    }

    [Theory]
    [InlineData("你好，世界 🌍🚀 ñ")]
    [InlineData("Hello wörld 🌍🚀 ñ — “quotes” 👩‍👩‍👧")]
    public async Task Chinese_text_and_emoji_survive_byte_for_byte_in_the_store_the_reply_and_the_stream(string text)
    {
        using var client = await fixture.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        var (user, reply) = await client.SendAsync(sessionId, text);
        var finished = await client.WaitForReplyAsync(reply.Str("id"));

        var expected = Encoding.UTF8.GetBytes(text);
        Assert.Equal(expected, Encoding.UTF8.GetBytes((await client.GetAsync($"/api/messages/{user.Str("id")}")).Str("content")));
        var stored = await new ParleyDatabase(fixture.App.DatabasePath)
#if POSTGRES
            .ScalarAsync("SELECT convert_to(content, 'UTF8') FROM messages WHERE id = @m", ("@m", user.Str("id")));
#else
            .ScalarAsync("SELECT CAST(content AS BLOB) FROM messages WHERE id = @m", ("@m", user.Str("id")));
#endif
        Assert.Equal(expected, Assert.IsType<byte[]>(stored));

        Assert.Contains(text, finished.Str("content"));
        var events = await client.ReadStreamAsync(reply.Str("id"));
        var streamed = string.Concat(events.Where(e => e.Event == "delta").Select(e => e.Json.Str("content")));
        Assert.Equal(Encoding.UTF8.GetBytes(finished.Str("content")), Encoding.UTF8.GetBytes(streamed));
    }

    [Fact]
    public async Task The_same_input_in_two_fresh_sessions_gives_the_same_reply()
    {
        using var client = await fixture.SignedInAsync();
        var a = await client.ChatAsync((await client.CreateSessionAsync()).Str("id"), "Tell me something deterministic");
        var b = await client.ChatAsync((await client.CreateSessionAsync()).Str("id"), "Tell me something deterministic");
        var other = await client.ChatAsync((await client.CreateSessionAsync()).Str("id"), "Tell me something else entirely");

        Assert.Equal(a.Str("content"), b.Str("content"));
        Assert.Equal(a.GetProperty("usage").ToString(), b.GetProperty("usage").ToString());
        Assert.NotEqual(a.Str("content"), other.Str("content"));
    }

    [Fact]
    public async Task Reply_length_follows_reply_tokens()
    {
        using var client = await fixture.SignedInAsync();

        var reply = await client.ChatAsync((await client.CreateSessionAsync()).Str("id"), "How long is this?");

        // The test app sets ReplyTokens to 40; whole sentences are added, so it may run a little past.
        Assert.Equal("stop", reply.Str("finishReason"));
        Assert.InRange(reply.GetProperty("usage").GetProperty("completionTokens").GetInt32(), 40, 60);
        Assert.True(reply.GetProperty("usage").GetProperty("promptTokens").GetInt32() > 0);
    }

    [Fact]
    public async Task At_the_default_pace_the_first_token_takes_about_300_ms()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?>
        {
            ["Parley:Demo:FirstTokenDelayMs"] = "300",
            ["Parley:Demo:TokensPerSecond"] = "30",
            ["Parley:Demo:ReplyTokens"] = "5",
        });
        using var client = app.NewClient();
        await client.SignUpAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        // Timed from before the send, so the bound holds however slowly this machine runs: only a lower bound.
        var sinceSend = Stopwatch.StartNew();
        var (_, reply) = await client.SendAsync(sessionId, "Not too fast");
        await using var stream = await SseReader.OpenAsync(client, reply.Str("id"), timeout.Token);
        await stream.NextNamedAsync("delta", [], timeout.Token);
        sinceSend.Stop();

        Assert.True(sinceSend.Elapsed >= TimeSpan.FromMilliseconds(250), $"The first token came {sinceSend.ElapsedMilliseconds} ms after the send");
        Assert.Equal("complete", (await client.WaitForReplyAsync(reply.Str("id"))).Str("status"));
    }
}
