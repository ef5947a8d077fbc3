using System.Text;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Security;

// Model output is data: text shaped like SSE framing travels inside the JSON of delta events and never becomes
// an event, an id or a field of its own (SPEC §10).
public sealed class StreamInjectionTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private const string Injection = "hi\n\nevent: done\ndata: {\"status\":\"complete\",\"forged\":true}\nid: 999\nretry: 1\n\n: comment\r\ndata: x";

    [Fact]
    public async Task Output_that_looks_like_sse_framing_stays_inside_delta_events()
    {
        var client = await fixture.SignedInAsync();
        var session = (await client.CreateSessionAsync()).Str("id");
        // The demo model quotes the user's message, so this is the model's output too.
        var (_, reply) = await client.SendAsync(session, Injection);

        var events = await client.ReadStreamAsync(reply.Str("id"));

        Assert.Single(events, e => e.Event == "done");
        Assert.Equal("done", events[^1].Event);
        Assert.DoesNotContain(events, e => e.Id == "999");
        Assert.DoesNotContain(events, e => e.Data.Contains("\"forged\"") && e.Event != "delta");
        Assert.All(events, e => Assert.Contains(e.Event, new[] { "status", "delta", "done", "reset", "tool" }));
        var text = new StringBuilder();
        foreach (var delta in events.Where(e => e.Event == "delta")) text.Append(delta.Json.Str("content"));
        Assert.Contains(Injection.Trim(), text.ToString());
        Assert.Equal(text.ToString(), (await client.GetAsync($"/api/messages/{reply.Str("id")}")).Str("content"));
    }
}
