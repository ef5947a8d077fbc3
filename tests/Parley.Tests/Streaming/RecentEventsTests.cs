using Parley.Server.Storage;
using Parley.Server.Streaming;

namespace Parley.Tests.Streaming;

// The live buffer's ring, as pure logic, against a plain list that does the same the slow way.
public sealed class RecentEventsTests
{
    private static StreamEvent Event(long seq) => new() { MessageId = "m", Seq = seq, Kind = "delta", Data = $"{{\"n\":{seq}}}" };

    [Fact]
    public void Through_growth_overwrites_gaps_and_drops_it_holds_the_newest_contiguous_run_and_reads_exactly_what_follows_a_position()
    {
        const int capacity = 40;
        var random = new Random(7);
        var ring = new RecentEvents(capacity);
        var model = new List<StreamEvent>();
        long next = 1, modelNext = 0;
        for (var round = 0; round < 2_000; round++)
        {
            // Now and then the run breaks (events published after a failed flush, a reset reader).
            if (random.Next(20) == 0) next += random.Next(1, 30);
            var batch = Enumerable.Range(0, random.Next(1, 25)).Select(i => Event(next + i)).ToList();
            next += batch.Count;
            if (batch[0].Seq != modelNext) model.Clear();
            model.AddRange(batch);
            modelNext = next;
            if (model.Count > capacity) model.RemoveRange(0, model.Count - capacity);
            ring.Append(batch);
            // Now and then every reader has taken the run up to some point, at times all of it or more.
            if (random.Next(3) == 0)
            {
                var taken = modelNext - random.Next(model.Count + 3);
                ring.DropThrough(taken);
                model.RemoveAll(e => e.Seq <= taken);
            }

            Assert.Equal(model.Count, ring.Count);
            var first = modelNext - model.Count;
            for (var probe = 0; probe < 5; probe++)
            {
                var after = first - 3 + random.Next(model.Count + 6);
                var read = new List<StreamEvent>();
                var held = ring.TryReadAfter(after, read);
                Assert.Equal(after + 1 >= first, held);
                if (held) Assert.Equal(model.Where(e => e.Seq > after).Select(e => e.Seq), read.Select(e => e.Seq));
            }
        }
    }

    [Fact]
    public void Emptied_by_drops_it_still_proves_a_reader_at_its_end_has_everything_and_lets_go_of_what_it_dropped()
    {
        var ring = new RecentEvents(16);
        var appended = AppendUnreferenced(ring, 10);

        ring.DropThrough(10);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(0, ring.Count);
        Assert.All(appended, e => Assert.False(e.IsAlive));
        var read = new List<StreamEvent>();
        Assert.True(ring.TryReadAfter(10, read));
        Assert.Empty(read);
        Assert.False(ring.TryReadAfter(9, read));

        ring.Append([Event(11)]);
        Assert.True(ring.TryReadAfter(10, read));
        Assert.Equal([11L], read.Select(e => e.Seq));
    }

    [Fact]
    public void An_empty_buffer_cannot_prove_it_holds_anything()
    {
        var ring = new RecentEvents(16);
        Assert.False(ring.TryReadAfter(0, []));
        ring.Append([]);
        Assert.Equal(0, ring.Count);
    }

    [Fact]
    public void Cleared_it_lets_go_of_its_events_and_starts_a_new_run_from_whatever_comes_next()
    {
        var ring = new RecentEvents(16);
        var appended = AppendUnreferenced(ring, 20);

        ring.Clear();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(0, ring.Count);
        Assert.False(ring.TryReadAfter(10, []));
        Assert.All(appended, e => Assert.False(e.IsAlive));

        ring.Append([Event(40), Event(41)]);
        var read = new List<StreamEvent>();
        Assert.True(ring.TryReadAfter(39, read));
        Assert.Equal([40L, 41L], read.Select(e => e.Seq));
    }

    // Events that only the ring refers to, so that a collection frees them once the ring lets go.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static List<WeakReference> AppendUnreferenced(RecentEvents ring, int count)
    {
        var events = Enumerable.Range(1, count).Select(i => Event(i)).ToList();
        ring.Append(events);
        return events.Select(e => new WeakReference(e)).ToList();
    }
}
