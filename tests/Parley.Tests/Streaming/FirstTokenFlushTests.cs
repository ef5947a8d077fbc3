using System.Diagnostics;
using Parley.Tests.Infrastructure;
using Parley.Tests.Messages;

namespace Parley.Tests.Streaming;

// Events are stored in batches, one per flush interval, but a reply's first token is stored (and so reaches its
// readers) at once. With a five-second interval, the first token comes long before the first tick; the tokens
// after it wait for the tick.
public sealed class FirstTokenFlushTests
{
    [Fact]
    public async Task The_first_token_reaches_a_reader_without_waiting_for_the_flush_interval()
    {
        var settings = SlowReplyFixture.SlowSettings.ToDictionary();
        settings["Parley:Streaming:FlushIntervalMs"] = "5000";
        settings["Parley:Streaming:FlushBatchSize"] = "10000";
        await using var app = new ParleyApp(settings);
        using var client = app.NewClient();
        await client.SignUpAsync();
        var session = (await client.CreateSessionAsync()).Str("id");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        var sinceSend = Stopwatch.StartNew();
        var (_, reply) = await client.SendAsync(session, "Answer slowly");
        try
        {
            await using var stream = await SseReader.OpenAsync(client, reply.Str("id"), timeout.Token);
            var seen = new List<SseEvent>();
            var first = await stream.NextNamedAsync("delta", seen, timeout.Token);
            var firstAt = sinceSend.Elapsed;
            var second = await stream.NextNamedAsync("delta", seen, timeout.Token);

            Assert.Equal(1, first.Seq);
            Assert.True(firstAt < TimeSpan.FromSeconds(2.5), $"The first token came after {firstAt.TotalMilliseconds:F0} ms.");
            // The rest ride the interval's batch: the second token was not stored with the first.
            Assert.True(sinceSend.Elapsed - firstAt > TimeSpan.FromSeconds(1), "The second token did not wait for the tick.");
            Assert.Equal(2, second.Seq);
        }
        finally
        {
            await client.Http.PostAsync($"/api/messages/{reply.Str("id")}/cancel", null);
        }
    }
}
