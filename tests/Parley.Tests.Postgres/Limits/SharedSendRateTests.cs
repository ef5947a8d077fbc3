using System.Net;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Limits;

// On PostgreSQL a send is counted in its user's shared rate window inside the send's own transaction: a send that
// is refused after the count (its session already has a reply running) rolls the count back with everything else.
public sealed class SharedSendRateTests
{
    [Fact]
    public async Task A_send_refused_as_busy_does_not_use_up_the_users_send_rate()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?>
        {
            ["Parley:Limits:SendsPerMinute"] = "2",
            ["Parley:Demo:TokensPerSecond"] = "10",
            ["Parley:Demo:ReplyTokens"] = "200",
        });
        using var client = app.NewClient();
        await client.SignUpAsync();
        var busy = (await client.CreateSessionAsync()).Str("id");
        var (_, running) = await client.SendAsync(busy, "one");
        var refused = await client.PostAsync($"/api/sessions/{busy}/messages", new { content = "two, too soon" }, HttpStatusCode.Conflict);
        Assert.Equal(running.Str("id"), refused.Str("runningMessageId"));

        // The refused send was not counted: the second send of the minute goes through, the third does not.
        await client.SendAsync((await client.CreateSessionAsync()).Str("id"), "two");
        var over = await client.PostAsync($"/api/sessions/{(await client.CreateSessionAsync()).Str("id")}/messages",
            new { content = "three" }, HttpStatusCode.TooManyRequests);
        Assert.Equal("rate", over.Str("limit"));
    }
}
