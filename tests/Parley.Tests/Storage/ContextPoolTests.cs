using System.Diagnostics.Metrics;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Storage;

// Contexts are pooled, and a pool keeps every context it ever had to make, so a context held for as long as
// something runs costs its memory (about 16 KB) for each of them at the busiest moment, for good. Running replies
// lease one only for each read or write. EF counts the contexts that exist, pooled ones included, for the whole
// process: so this runs alone.
[Collection(AloneCollection.Name)]
public sealed class ContextPoolTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Replies = 40;

    [Fact]
    public async Task Running_replies_hold_no_database_context()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?>
        {
            // About 20 s a reply, so that every one is still generating when the contexts are counted.
            ["Parley:Demo:TokensPerSecond"] = "20",
            ["Parley:Demo:ReplyTokens"] = "400",
            ["Parley:Limits:MaxConcurrentReplies"] = "100",
            ["Parley:Limits:SendsPerMinute"] = "1000",
            ["Parley:Generation:MaxConcurrentReplies"] = "100",
        });
        using var owner = app.NewClient();
        await owner.SignUpAsync();
        var before = ActiveContexts();

        var replies = new List<string>();
        for (var i = 0; i < Replies; i++)
        {
            var session = await owner.CreateSessionAsync();
            var (_, reply) = await owner.SendAsync(session.Str("id"), $"reply {i}");
            replies.Add(reply.Str("id"));
        }
        var deadline = DateTime.UtcNow.AddSeconds(15);
        foreach (var id in replies)
        {
            while ((await owner.GetAsync($"/api/messages/{id}")).Str("status") != "generating")
            {
                Assert.True(DateTime.UtcNow < deadline, $"reply {id} did not start generating");
                await Task.Delay(50);
            }
        }
        var during = ActiveContexts();
        output.WriteLine($"database contexts: {before} before, {during} with {Replies} replies generating");

        foreach (var id in replies) await owner.PostAsync($"/api/messages/{id}/cancel", null, System.Net.HttpStatusCode.Accepted);
        Assert.True(during - before < Replies / 2,
            $"{during - before} more database contexts with {Replies} replies generating ({before} before, {during} during)");
    }

    private static long ActiveContexts()
    {
        long? value = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Microsoft.EntityFrameworkCore" && instrument.Name == "microsoft.entityframeworkcore.active_dbcontexts")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, v, _, _) => value = v);
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => value = v);
        listener.Start();
        listener.RecordObservableInstruments();
        return value ?? throw new InvalidOperationException("EF Core published no active_dbcontexts figure.");
    }
}
