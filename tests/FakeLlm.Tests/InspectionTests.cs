using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace FakeLlm.Tests;

public sealed class InspectionTests : FakeLlmTestBase
{
    [Fact]
    public async Task Health_is_ok()
    {
        using var response = await Client.GetAsync(FakeUrl("/_fake/health"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Requests_endpoint_lists_every_request_with_its_raw_body()
    {
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "whatever");
        using (var first = await PostChatAsync(Chat.Request("fake?tokens=3&chunk=2", "first", stream: true)))
        {
            await Sse.ReadEventsAsync(first);
        }

        using (var second = await PostChatAsync(Chat.Request("fake?status=500", "second")))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, second.StatusCode);
        }

        await Inspector.WaitForCompletedAsync(1, TimeSpan.FromSeconds(5));
        var list = JsonNode.Parse(await Client.GetStringAsync(FakeUrl("/_fake/requests")))!.AsArray();

        Assert.Equal(2, list.Count);
        var record = list[0]!;
        Assert.Equal(1, (int)record["id"]!);
        Assert.Equal("fake?tokens=3&chunk=2", (string?)record["model"]);
        Assert.Equal("first", (string?)record["body"]!["messages"]![0]!["content"]);
        Assert.True((bool)record["body"]!["stream"]!);
        Assert.Equal("Bearer whatever", (string?)record["authorization"]);
        Assert.NotNull((DateTimeOffset?)record["receivedAt"]);
        Assert.NotNull((DateTimeOffset?)record["completedAt"]);
        Assert.Equal(3, (int)record["tokensSent"]!);
        Assert.False((bool)record["clientClosed"]!);
        Assert.Null(record["clientClosedAt"]);
        Assert.Equal(200, (int)record["statusCode"]!);
        Assert.Equal(2, (int)list[1]!["id"]!);
        Assert.Equal(500, (int)list[1]!["statusCode"]!);
        Assert.Equal(0, (int)list[1]!["tokensSent"]!);
    }

    [Fact]
    public async Task Clearing_requests_also_resets_times_counters()
    {
        const string model = "fake?status=429&times=1&tokens=2";
        Assert.Equal(HttpStatusCode.TooManyRequests, (await PostChatAsync(Chat.Request(model, "x"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostChatAsync(Chat.Request(model, "x"))).StatusCode);

        using (var cleared = await Client.DeleteAsync(FakeUrl("/_fake/requests")))
        {
            Assert.True(cleared.IsSuccessStatusCode);
        }

        Assert.Empty(Inspector.Requests);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await PostChatAsync(Chat.Request(model, "x"))).StatusCode);
        Assert.Equal(3, Inspector.Requests.Single().Id);
    }

    [Fact]
    public async Task Wait_helper_times_out_with_a_useful_message()
    {
        var error = await Assert.ThrowsAsync<TimeoutException>(
            () => Inspector.WaitForClientClosedAsync(42, TimeSpan.FromMilliseconds(50)));

        Assert.Contains("No matching fake request", error.Message);
    }
}
