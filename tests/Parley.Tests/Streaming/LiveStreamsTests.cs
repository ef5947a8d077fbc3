using Microsoft.Extensions.Options;
using Parley.Server.Storage;
using Parley.Server.Streaming;

namespace Parley.Tests.Streaming;

// The in-process fan-out, as pure logic: who is woken, and what the shared buffer keeps.
public sealed class LiveStreamsTests
{
    private static LiveStreams NewLive() => new(Options.Create(new StreamingOptions { LiveBufferEvents = 16 }));

    private static StreamEvent Event(long seq) => new() { MessageId = "m", Seq = seq, Kind = "delta", Data = "{}" };

    [Fact]
    public async Task Every_reader_of_a_reply_is_woken_and_reads_from_the_shared_buffer_and_one_that_left_is_not()
    {
        var live = NewLive();
        using var first = live.Subscribe("m");
        var second = live.Subscribe("m");
        using var other = live.Subscribe("other");
        second.Dispose();

        live.Publish("m", [Event(1), Event(2)]);

        Assert.True(await first.Signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.False(await other.Signal.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None));
        var read = new List<StreamEvent>();
        Assert.True(first.TryReadAfter(0, read));
        Assert.Equal([1L, 2L], read.Select(e => e.Seq));
    }

    [Fact]
    public void When_the_last_reader_leaves_the_buffer_lets_go_of_the_reply_s_events()
    {
        var live = NewLive();
        var reader = live.Subscribe("m");
        var published = PublishUnreferenced(live, 10);

        reader.Dispose();
        GC.Collect();
        GC.WaitForPendingFinalizers();

        Assert.All(published, e => Assert.False(e.IsAlive));
        // A reader that comes later starts with an empty buffer: it reads from the store first.
        using var later = live.Subscribe("m");
        Assert.False(later.TryReadAfter(0, []));
        // The subscription, and through it the buffer, is still referenced here: only the clearing freed the events.
        GC.KeepAlive(reader);
    }

    [Fact]
    public void The_buffer_keeps_events_until_every_reader_has_taken_them_then_lets_go_and_still_serves_what_follows()
    {
        var live = NewLive();
        using var fast = live.Subscribe("m");
        using var slow = live.Subscribe("m");
        var published = PublishUnreferenced(live, 5);
        var read = new List<StreamEvent>();

        Assert.True(fast.TryReadAfter(0, read));
        Assert.Equal(5, read.Count);
        read.Clear();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // The slow reader has not read from the buffer yet: everything is kept for it.
        Assert.All(published, e => Assert.True(e.IsAlive));
        Assert.True(slow.TryReadAfter(2, read));
        Assert.Equal([3L, 4L, 5L], read.Select(e => e.Seq));

        read.Clear();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.All(published, e => Assert.False(e.IsAlive));
        // Both have everything, and the buffer says so without sending them to the store.
        Assert.True(fast.TryReadAfter(5, read));
        Assert.Empty(read);
        live.Publish("m", [Event(6)]);
        Assert.True(slow.TryReadAfter(5, read));
        Assert.Equal([6L], read.Select(e => e.Seq));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static List<WeakReference> PublishUnreferenced(LiveStreams live, int count)
    {
        var events = Enumerable.Range(1, count).Select(i => Event(i)).ToList();
        live.Publish("m", events);
        return events.Select(e => new WeakReference(e)).ToList();
    }
}
