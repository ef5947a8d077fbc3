using Parley.Server.Storage;
using Parley.Server.Streaming;

namespace Parley.Tests.Streaming;

// The live buffer's ring, as pure logic, against a plain list that does the same the slow way.
public sealed class RecentEventsTests
{
    private static StreamEvent Event(long seq) => new() { MessageId = "m", Seq = seq, Kind = "delta", Data = $"{{\"n\":{seq}}}" };

    [Fact]
    public void Through_growth_overwrites_and_gaps_it_holds_the_newest_contiguous_run_and_reads_exactly_what_follows_a_position()
    {
        const int capacity = 40;
        var random = new Random(7);
        var ring = new RecentEvents(capacity);
        var model = new List<StreamEvent>();
        long next = 1;
        for (var round = 0; round < 2_000; round++)
        {
            // Now and then the run breaks (events published after a failed flush, a reset reader).
            if (random.Next(20) == 0) next += random.Next(1, 30);
            var batch = Enumerable.Range(0, random.Next(1, 25)).Select(i => Event(next + i)).ToList();
            next += batch.Count;
            if (model.Count > 0 && batch[0].Seq != model[^1].Seq + 1) model.Clear();
            model.AddRange(batch);
            if (model.Count > capacity) model.RemoveRange(0, model.Count - capacity);
            ring.Append(batch);

            Assert.Equal(model.Count, ring.Count);
            for (var probe = 0; probe < 5; probe++)
            {
                var after = model[0].Seq - 3 + random.Next(model.Count + 6);
                var read = new List<StreamEvent>();
                var held = ring.TryReadAfter(after, read);
                Assert.Equal(after + 1 >= model[0].Seq, held);
                if (held) Assert.Equal(model.Where(e => e.Seq > after).Select(e => e.Seq), read.Select(e => e.Seq));
            }
        }
    }

    [Fact]
    public void An_empty_buffer_cannot_prove_it_holds_anything()
    {
        var ring = new RecentEvents(16);
        Assert.False(ring.TryReadAfter(0, []));
        ring.Append([]);
        Assert.Equal(0, ring.Count);
    }
}
