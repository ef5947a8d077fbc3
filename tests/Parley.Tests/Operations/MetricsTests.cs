using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Operations;

public sealed class MetricsTests
{
    [Fact]
    public async Task The_Parley_meter_reports_replies_streams_and_time_to_first_token()
    {
        await using var app = new ParleyApp();
        app.StartServer();
        // Only this app's meter: the factory-created meter is scoped to the app's service provider.
        var factory = app.Service<IMeterFactory>();
        var seen = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Parley" && ReferenceEquals(instrument.Meter.Scope, factory)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((i, value, _, _) => seen.AddOrUpdate(i.Name, value, (_, v) => v + value));
        listener.SetMeasurementEventCallback<long>((i, value, _, _) => seen.AddOrUpdate(i.Name, value, (_, v) => v + value));
        listener.SetMeasurementEventCallback<double>((i, value, _, _) => seen.AddOrUpdate(i.Name, 1, (_, v) => v + 1));
        listener.Start();

        using var client = app.NewClient();
        await client.SignUpAsync();
        var session = await client.CreateSessionAsync();
        var (_, reply) = await client.SendAsync(session.Str("id"), "measure me");
        await client.ReadStreamAsync(reply.Str("id"));
        await client.WaitForReplyAsync(reply.Str("id"));

        Assert.Equal(1, seen.GetValueOrDefault("parley.replies.started"));
        Assert.Equal(1, seen.GetValueOrDefault("parley.replies.finished"));
        Assert.True(seen.GetValueOrDefault("parley.replies.time_to_first_token") >= 1);
        // The stream was counted up when it opened and down when it ended.
        Assert.True(seen.ContainsKey("parley.streams.active"));
        Assert.Equal(0, seen["parley.streams.active"]);
    }
}
