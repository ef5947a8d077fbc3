namespace Parley.Bench.Load;

// Runs `users` virtual users for a duration. Each repeats one stream after another until the duration is up
// and then finishes the stream in hand; starts are spread over the first second so that a step measures
// streams, not a burst of connects. Streams that start in that first second are not counted.
internal static class LoadStep
{
    public static async Task<StreamStats> RunAsync(int users, TimeSpan duration, Func<StreamStats, CancellationToken, Task> oneStream,
        Action<StreamStats[]>? progress = null) => (await RunAsync(users, duration, [oneStream], progress))[0];

    // With several paths, each user takes them in turn, one stream each (a user's first stream takes the path
    // after the previous user's first, so that the paths start evenly), and keeps each path's figures apart: the
    // paths are then measured over the same seconds, and a spell in which the machine is slower falls on all of
    // them alike. Returns each path's figures, merged over the users.
    public static async Task<StreamStats[]> RunAsync(int users, TimeSpan duration, IReadOnlyList<Func<StreamStats, CancellationToken, Task>> paths,
        Action<StreamStats[]>? progress = null)
    {
        var perUser = Enumerable.Range(0, users * paths.Count).Select(_ => new StreamStats()).ToArray();
        var ramp = TimeSpan.FromSeconds(Math.Min(1, duration.TotalSeconds / 4));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // A hard stop well past the duration: no stream of a bounded reply can need longer.
        using var hardStop = new CancellationTokenSource(duration + TimeSpan.FromSeconds(90));
        using var reporter = progress is null ? null : new Timer(_ => progress(perUser), null, 1000, 1000);

        await Task.WhenAll(Enumerable.Range(0, users).Select(async user =>
        {
            await Task.Delay(ramp * user / users, hardStop.Token);
            var scratch = new StreamStats();
            for (var turn = user; clock.Elapsed < duration && !hardStop.IsCancellationRequested; turn++)
            {
                var path = turn % paths.Count;
                var warm = clock.Elapsed >= ramp;
                var target = warm ? perUser[user * paths.Count + path] : scratch;
                try
                {
                    await paths[path](target, hardStop.Token);
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

        var all = paths.Select(_ => new StreamStats()).ToArray();
        for (var i = 0; i < perUser.Length; i++) all[i % paths.Count].Merge(perUser[i]);
        return all;
    }
}
