using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace FakeLlm.Tests;

public sealed class ErrorTests : FakeLlmTestBase
{
    [Fact]
    public async Task Status_with_times_fails_first_calls_then_succeeds()
    {
        const string model = "fake?status=429&times=2&retry_after=1&tokens=2";

        for (var call = 1; call <= 2; call++)
        {
            using var failed = await PostChatAsync(Chat.Request(model, "x"));
            Assert.Equal(HttpStatusCode.TooManyRequests, failed.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), failed.Headers.RetryAfter?.Delta);
            var error = JsonNode.Parse(await failed.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal("rate_limit_exceeded", (string?)error["type"]);
            Assert.Equal("rate_limit_exceeded", (string?)error["code"]);
            Assert.Null(error["param"]);
            Assert.False(string.IsNullOrEmpty((string?)error["message"]));
        }

        using var ok = await PostChatAsync(Chat.Request(model, "x"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal([429, 429, 200], Inspector.Requests.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Status_without_times_fails_every_call()
    {
        for (var call = 0; call < 3; call++)
        {
            using var response = await PostChatAsync(Chat.Request("fake?status=503", "x", stream: true));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Null(response.Headers.RetryAfter);
            var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal("server_error", (string?)error["type"]);
        }
    }

    [Fact]
    public async Task Code_directive_sets_error_code()
    {
        using var response = await PostChatAsync(Chat.Request("fake?status=429&code=insufficient_quota", "x"));

        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("insufficient_quota", (string?)error["code"]);
        Assert.Equal("rate_limit_exceeded", (string?)error["type"]);
    }

    [Theory]
    [InlineData("fake?header_delay_ms=300&tokens=2", HttpStatusCode.OK)]
    [InlineData("fake?header_delay_ms=300&status=500", HttpStatusCode.InternalServerError)]
    public async Task Header_delay_holds_back_the_status_line(string model, HttpStatusCode expected)
    {
        var clock = Stopwatch.StartNew();
        using var response = await PostChatAsync(Chat.Request(model, "x", stream: true));

        Assert.Equal(expected, response.StatusCode);
        Assert.True(clock.ElapsedMilliseconds >= 290, $"headers after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Process_faults_apply_by_base_model_until_used_up_or_cleared()
    {
        var fault = new StringContent(
            """{"model":"fake","status":503,"times":1,"retryAfter":2}""", Encoding.UTF8, "application/json");
        using (var added = await Client.PostAsync(FakeUrl("/_fake/faults"), fault))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }

        using (var hit = await PostChatAsync(Chat.Request("fake?tokens=2", "x")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, hit.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(2), hit.Headers.RetryAfter?.Delta);
        }

        using (var usedUp = await PostChatAsync(Chat.Request("fake?tokens=2", "x")))
        {
            Assert.Equal(HttpStatusCode.OK, usedUp.StatusCode);
        }

        Inspector.AddFault("fake-alt", 429);
        using (var other = await PostChatAsync(Chat.Request("fake", "x")))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        for (var i = 0; i < 2; i++)
        {
            using var alt = await PostChatAsync(Chat.Request("fake-alt?tokens=2", "x"));
            Assert.Equal(HttpStatusCode.TooManyRequests, alt.StatusCode);
        }

        using (var cleared = await Client.DeleteAsync(FakeUrl("/_fake/faults")))
        {
            Assert.True(cleared.IsSuccessStatusCode);
        }

        Assert.Empty(Inspector.Faults);
        using var afterClear = await PostChatAsync(Chat.Request("fake-alt", "x"));
        Assert.Equal(HttpStatusCode.OK, afterClear.StatusCode);
    }

    [Fact]
    public async Task Wildcard_fault_via_inspector_hits_every_model()
    {
        Inspector.AddFault(new FakeFault("*", 502, Code: "bad_gateway"));

        using var response = await PostChatAsync(Chat.Request("anything?tokens=2", "x"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("bad_gateway", (string?)error["code"]);
        Inspector.ClearFaults();
        using var ok = await PostChatAsync(Chat.Request("anything?tokens=2", "x"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}

public sealed class ApiKeyTests : FakeLlmTestBase
{
    protected override FakeLlmHostOptions CreateOptions() => new() { ApiKey = "sk-test" };

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    public async Task Missing_or_wrong_key_is_rejected_with_401(string? key)
    {
        if (key is not null)
        {
            Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var chat = await PostChatAsync(Chat.Request("fake", "x"));
        using var models = await Client.GetAsync("models");

        foreach (var response in new[] { chat, models })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal("invalid_api_key", (string?)error["code"]);
            Assert.Equal("invalid_request_error", (string?)error["type"]);
        }
    }

    [Fact]
    public async Task Correct_key_is_accepted_and_recorded()
    {
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-test");

        using var response = await PostChatAsync(Chat.Request("fake?tokens=2", "x"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer sk-test", Inspector.Requests.Single().Authorization);
    }
}
