using System.Diagnostics;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Streaming;

[Collection(AloneCollection.Name)]
public sealed class FanOutTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Fifty_readers_of_one_reply_get_identical_sequences()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?>
        {
            ["Parley:Demo:TokensPerSecond"] = "100",
            ["Parley:Demo:ReplyTokens"] = "120",
        });
        using var owner = app.NewClient();
        await owner.SignUpAsync();
        var session = await owner.CreateSessionAsync();
        var (_, reply) = await owner.SendAsync(session.Str("id"), "fan out to everyone");
        var id = reply.Str("id");

        // Readers join at different moments: some before the first token, some part-way through.
        var readers = Enumerable.Range(0, 50).Select(async i =>
        {
            await Task.Delay(i * 20);
            return await owner.ReadStreamAsync(id, timeout: TimeSpan.FromSeconds(60));
        }).ToList();
        var results = await Task.WhenAll(readers);

        var reference = results[0].Where(e => e.Id is not null).Select(e => (e.Seq, e.Event, e.Data)).ToList();
        Assert.Equal("done", reference[^1].Event);
        Assert.Equal(Enumerable.Range(1, reference.Count).Select(i => (long)i), reference.Select(e => e.Seq));
        foreach (var result in results)
        {
            Assert.Equal(reference, result.Where(e => e.Id is not null).Select(e => (e.Seq, e.Event, e.Data)).ToList());
        }
        var stored = await owner.GetAsync($"/api/messages/{id}");
        Assert.Equal(stored.Str("content"), string.Concat(results[49].Where(e => e.Event == "delta").Select(e => e.Json.Str("content"))));
    }

    [Fact]
    public async Task Slow_readers_hold_no_server_memory_delay_nothing_and_resume_without_a_gap()
    {
        // A long reply (about 2 MB of SSE) streamed fast, so that stalled readers fall far behind.
        await using var app = new ParleyApp(new Dictionary<string, string?>
        {
            ["Parley:Demo:TokensPerSecond"] = "10000",
            ["Parley:Demo:ReplyTokens"] = "30000",
            ["Parley:Demo:FirstTokenDelayMs"] = "200",
            ["Parley:Streaming:WriteTimeoutSeconds"] = "60",
        });
        using var owner = app.NewClient();
        await owner.SignUpAsync();
        var session = await owner.CreateSessionAsync();
        var (_, reply) = await owner.SendAsync(session.Str("id"), "a very long answer");
        var id = reply.Str("id");

        var baseline = ManagedHeapBytes();
        // Ten readers that open the stream and then read nothing for ten seconds.
        var stalled = new List<HttpResponseMessage>();
        for (var i = 0; i < 10; i++) stalled.Add(await owner.OpenStreamAsync(id));

        // Meanwhile a normal reader follows the reply to its end, and the reply finishes, while the others stall.
        var watch = Stopwatch.StartNew();
        var fast = await owner.ReadStreamAsync(id, timeout: TimeSpan.FromSeconds(60));
        var fastDone = watch.Elapsed;
        Assert.Equal("done", fast[^1].Event);
        Assert.Equal("complete", (await owner.WaitForReplyAsync(id)).Str("status"));
        // Only a fingerprint of the reference stream is kept, so the test's own copy does not count as growth.
        var expected = Fingerprint(fast);
        var expectedCount = fast.Count(e => e.Id is not null);
        fast = null;

        // Hold the stall for the full ten seconds, then look at the server's memory.
        var remaining = TimeSpan.FromSeconds(10) - watch.Elapsed;
        if (remaining > TimeSpan.Zero) await Task.Delay(remaining);
        var during = ManagedHeapBytes();
        var growth = during - baseline;
        output.WriteLine($"managed heap: baseline {baseline / 1024} KiB, during the stall {during / 1024} KiB, growth {growth / 1024} KiB; normal reader done after {fastDone.TotalMilliseconds:0} ms");
        // The reply is ~2 MB per reader; per-reader buffering would cost 20 MB or more here.
        Assert.True(growth < 8 * 1024 * 1024, $"managed heap grew by {growth / 1024} KiB while 10 readers stalled");
        Assert.True(fastDone < TimeSpan.FromSeconds(10), $"the normal reader finished after {fastDone}, not before the stall ended");

        // Each stalled reader now reads on and gets every event, with no gap, exactly like the normal reader.
        foreach (var response in stalled)
        {
            using (response)
            {
                await using var body = await response.Content.ReadAsStreamAsync();
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                var events = await ParleyClient.ReadEventsAsync(body, null, null, cts.Token);
                Assert.Equal(expectedCount, events.Count(e => e.Id is not null));
                Assert.Equal(expected, Fingerprint(events));
            }
        }
    }

    private static string Fingerprint(IEnumerable<SseEvent> events)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var e in events.Where(e => e.Id is not null)) hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{e.Seq}|{e.Data}\n"));
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static long ManagedHeapBytes()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
