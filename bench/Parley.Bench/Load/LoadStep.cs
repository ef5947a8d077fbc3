namespace Parley.Bench.Load;

// Runs `users` virtual users for a duration. Each repeats one stream after another until the duration is up
// and then finishes the stream in hand; starts are spread over the first second so that a step measures
// streams, not a burst of connects. Streams that start in that first second are not counted.
internal static class LoadStep
{
    public static async Task<StreamStats> RunAsync(int users, TimeSpan duration, Func<StreamStats, CancellationToken, Task> oneStream,
        Action<StreamStats[]>? progress = null)
    {
        var perUser = Enumerable.Range(0, users).Select(_ => new StreamStats()).ToArray();
        var ramp = TimeSpan.FromSeconds(Math.Min(1, duration.TotalSeconds / 4));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // A hard stop well past the duration: no stream of a bounded reply can need longer.
        using var hardStop = new CancellationTokenSource(duration + TimeSpan.FromSeconds(90));
        using var reporter = progress is null ? null : new Timer(_ => progress(perUser), null, 1000, 1000);

        await Task.WhenAll(perUser.Select(async (stats, index) =>
        {
            await Task.Delay(ramp * index / users, hardStop.Token);
            var scratch = new StreamStats();
            while (clock.Elapsed < duration && !hardStop.IsCancellationRequested)
            {
                var warm = clock.Elapsed >= ramp;
                var target = warm ? stats : scratch;
                try
                {
                    await oneStream(target, hardStop.Token);
                    target.Streams++;
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or InvalidOperationException)
                {
                    target.Failed(ex.GetType().Name + ": " + ex.Message);
                    if (hardStop.IsCancellationRequested) break;
                    // A failing server is not hammered in a tight loop.
                    await Task.Delay(100, CancellationToken.None);
                }
            }
        }));

        var all = new StreamStats();
        foreach (var stats in perUser) all.Merge(stats);
        return all;
    }
}
