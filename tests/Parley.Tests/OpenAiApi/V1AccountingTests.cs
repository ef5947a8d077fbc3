using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.OpenAiApi;

// Each key has its own request rate, and its usage is recorded against it and its user (SPEC §9, §10).
public sealed class V1AccountingTests(V1Fixture fixture) : IClassFixture<V1Fixture>
{
    [Fact]
    public async Task Each_key_is_rate_limited_on_its_own_with_retry_after()
    {
        var (client, key) = await fixture.NewCallerAsync();
        var http = fixture.App.NewClient().Http;
        for (var i = 0; i < V1Fixture.KeyRequestsPerMinute; i++)
        {
            using var ok = await http.SendAsync(V1Wire.Post(key, V1Wire.Body("fake", $"call {i}")));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var limited = await http.SendAsync(V1Wire.Post(key, V1Wire.Body("fake", "one too many")));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("rate_limit_exceeded", V1Wire.Error(await limited.Content.ReadAsStringAsync()).GetProperty("code").GetString());

        // Another key of the same user has a rate of its own.
        var second = (await client.PostAsync("/api/keys", new { name = "second" }, HttpStatusCode.Created)).Str("key");
        using var other = await http.SendAsync(V1Wire.Post(second, V1Wire.Body("fake", "other key")));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Usage_per_key_adds_up_to_what_the_upstream_reported()
    {
        var (client, key) = await fixture.NewCallerAsync();
        var idle = (await client.PostAsync("/api/keys", new { name = "idle" }, HttpStatusCode.Created)).Str("id");
        var http = fixture.App.NewClient().Http;
        long prompt = 0, completion = 0;

        foreach (var question in new[] { "first question", "a second, longer question here" })
        {
            using var whole = await http.SendAsync(V1Wire.Post(key, V1Wire.Body("fake", question)));
            var usage = (await ParleyClient.ExpectAsync(whole, HttpStatusCode.OK)).GetProperty("usage");
            prompt += usage.GetProperty("prompt_tokens").GetInt32();
            completion += usage.GetProperty("completion_tokens").GetInt32();
        }
        using (var streamed = await http.SendAsync(V1Wire.Post(key, V1Wire.Body(V1Fixture.Reasoning, "streamed", stream: true,
                   extra: ""","stream_options":{"include_usage":true}""")), HttpCompletionOption.ResponseHeadersRead))
        {
            var data = await V1Wire.ReadDataAsync(streamed);
            var usage = JsonDocument.Parse(data[^2]).RootElement.GetProperty("usage");
            prompt += usage.GetProperty("prompt_tokens").GetInt32();
            completion += usage.GetProperty("completion_tokens").GetInt32();
        }

        var keys = await client.GetAsync("/api/keys");
        var used = keys.EnumerateArray().Single(k => k.Str("prefix") == key[..10]).GetProperty("usage");
        Assert.Equal(prompt, used.GetProperty("promptTokens").GetInt64());
        Assert.Equal(completion, used.GetProperty("completionTokens").GetInt64());
        Assert.Equal(prompt + completion, used.GetProperty("totalTokens").GetInt64());
        Assert.Equal(3, used.GetProperty("requests").GetInt32());
        Assert.Equal(0, keys.EnumerateArray().Single(k => k.Str("id") == idle).GetProperty("usage").GetProperty("totalTokens").GetInt64());

        // The key's usage is its user's usage.
        var mine = await client.GetAsync("/api/me/usage");
        Assert.Equal(prompt + completion, mine.GetProperty("totalTokens").GetInt64());
    }
}

// With a daily quota, /v1 spending counts toward the same quota as chats, and both stop when it is used up.
public sealed class V1QuotaTests(V1QuotaTests.QuotaApp fixture) : IClassFixture<V1QuotaTests.QuotaApp>
{
    public sealed class QuotaApp : AppFixture
    {
        protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
        {
            ["Parley:Limits:DailyTokenQuota"] = "30",
        };
    }

    [Fact]
    public async Task Api_usage_uses_up_the_users_daily_quota_for_api_and_chat_alike()
    {
        var client = await fixture.SignedInAsync(apiKey: true);
        var http = fixture.App.NewClient().Http;

        using var first = await http.SendAsync(V1Wire.Post(client.ApiKey!, V1Wire.Body("demo", "spend my tokens")));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var second = await http.SendAsync(V1Wire.Post(client.ApiKey!, V1Wire.Body("demo", "and again")));
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.True(second.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("insufficient_quota", V1Wire.Error(await second.Content.ReadAsStringAsync()).GetProperty("code").GetString());

        var session = await client.CreateSessionAsync();
        var send = await client.Http.PostAsJsonAsync($"/api/sessions/{session.Str("id")}/messages", new { content = "chat too?" });
        Assert.Equal(HttpStatusCode.TooManyRequests, send.StatusCode);
    }
}
