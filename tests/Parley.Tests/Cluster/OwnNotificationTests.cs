using Microsoft.Extensions.Hosting;
using Parley.Server.Cluster;
using Parley.Server.Streaming;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Cluster;

// Every payload a node sends names the node first. A node hears its own notifications too, and wakes no reader
// for its own new events, which it published to them when it committed; another node's events, and its own
// status changes, still wake them.
public sealed class OwnNotificationTests
{
    [Fact]
    public async Task A_node_wakes_its_readers_for_other_nodes_events_but_not_for_its_own()
    {
        await using var app = new ParleyApp();
        var notifier = app.Service<ClusterNotifier>();
        var listener = app.Service<IEnumerable<IHostedService>>().OfType<ClusterListener>().Single();
        var live = app.Service<LiveStreams>();
        using var reader = live.Subscribe("msg_followed");

        listener.Dispatch(Assert.Single(notifier.Payloads([ClusterNotifier.Events("msg_followed")])));
        Assert.False(await reader.Signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));

        listener.Dispatch("n someothernode\n" + ClusterNotifier.Events("msg_followed"));
        Assert.True(await reader.Signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));

        // A payload without an origin line (a claim's, written in SQL) is another node's.
        reader.Signal.Reset();
        listener.Dispatch(ClusterNotifier.Events("msg_followed"));
        Assert.True(await reader.Signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));

        reader.Signal.Reset();
        listener.Dispatch(Assert.Single(notifier.Payloads([ClusterNotifier.Status("msg_followed", "generating")])));
        Assert.True(await reader.Signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.Equal("generating", reader.LiveStatus);
    }

    [Fact]
    public async Task Every_payload_starts_with_the_origin_and_the_lines_fit_in_order()
    {
        await using var app = new ParleyApp();
        var notifier = app.Service<ClusterNotifier>();
        var lines = Enumerable.Range(0, 500).Select(i => ClusterNotifier.Events($"msg_{i:D26}")).ToList();

        var payloads = notifier.Payloads(lines).ToList();

        Assert.True(payloads.Count > 1, "500 lines need more than one payload");
        Assert.All(payloads, p => Assert.StartsWith($"n {notifier.Origin}\n", p));
        Assert.All(payloads, p => Assert.True(System.Text.Encoding.UTF8.GetByteCount(p) < 8000, "PostgreSQL refuses 8000 bytes"));
        Assert.Equal(lines, payloads.SelectMany(p => p.Split('\n').Skip(1)));
        Assert.Empty(notifier.Payloads([]));
    }
}
