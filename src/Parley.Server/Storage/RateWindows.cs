using Npgsql;

namespace Parley.Server.Storage;

// Rate limits that hold across nodes, counted in PostgreSQL per limited key and one-minute window, with one
// statement that adds the hit and returns the counts of this window and the one before: nodes never
// read-then-write a shared number. The limit applies to a sliding minute, estimated as this window's hits plus
// the previous window's weighted by how much of it the last minute still covers; a fixed window alone admitted
// up to twice the limit across a window boundary. On SQLite the single node counts in memory instead
// (UserLimits, a sliding window too), and this class is not used.
internal sealed class RateWindows(DatabaseTarget target, IServiceProvider services, TimeProvider clock)
{
    private const int WindowSeconds = 60;
    private long _sweptWindow;

    public bool Enabled => target.Kind == DatabaseKind.Postgres;

    // Counts one hit on the bucket. Returns how long to wait when it is over `perWindow`. One short statement on
    // a pooled connection, awaited, so a busy database never blocks a request thread.
    public async ValueTask<TimeSpan?> TakeAsync(string bucket, int perWindow, CancellationToken ct)
    {
        var hit = Hit(bucket);
        long current, previous;
        await using (var connection = await services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct))
        await using (var command = new NpgsqlCommand($"WITH {HitSql} SELECT {HitColumns} FROM hit", connection))
        {
            foreach (var (name, value) in hit.Parameters) command.Parameters.AddWithValue(name, value);
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            (current, previous) = (Convert.ToInt64(reader.GetValue(0)), Convert.ToInt64(reader.GetValue(1)));
        }
        await SweepAsync(hit, ct);
        return hit.Wait(current, previous, perWindow);
    }

    // The hit as a part of a caller's statement: `WITH {HitSql} SELECT {HitColumns}, … FROM hit` counts it and
    // reads this window's hits and the previous window's, with the hit's parameters. The send counts its user's
    // hit this way in the first round trip of its transaction, so a send that is refused or rolled back does not
    // count.
    public const string HitSql = """
        hit AS (
            INSERT INTO rate_windows (bucket, window_start, hits) VALUES (@rate_bucket, @rate_window, 1)
            ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_windows.hits + 1
            RETURNING hits
        )
        """;

    public const string HitColumns =
        "hit.hits, COALESCE((SELECT hits FROM rate_windows WHERE bucket = @rate_bucket AND window_start = @rate_window - 1), 0)";

    public RateHit Hit(string bucket)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        var window = (long)Math.Floor(now / WindowSeconds);
        return new RateHit(bucket, window, now / WindowSeconds - window);
    }

    // Once per window per node, on a connection of its own: windows before the previous one are of no use any more.
    public async Task SweepAsync(RateHit hit, CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _sweptWindow, hit.Window) == hit.Window) return;
        await using var connection = await services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct);
        await using var sweep = new NpgsqlCommand("DELETE FROM rate_windows WHERE window_start < @window - 1", connection);
        sweep.Parameters.AddWithValue("window", hit.Window);
        await sweep.ExecuteNonQueryAsync(ct);
    }

    // `elapsed` is the part of the current window gone by (0 to 1). The last minute covers the rest of the
    // previous window, so the estimate is current + previous * (1 - elapsed). The wait is until one more hit
    // fits, if no other comes: later in this window as the previous one's share shrinks, or in the next.
    internal static TimeSpan? Wait(long current, long previous, int perWindow, double elapsed)
    {
        if (current + previous * (1 - elapsed) <= perWindow) return null;
        var fitsAt = current + 1 <= perWindow
            ? 1 - (perWindow - current - 1) / (double)previous
            : 1 + Math.Max(0, 1 - (perWindow - 1) / (double)current);
        return TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling((fitsAt - elapsed) * WindowSeconds)));
    }
}

// One hit on a bucket in the minute window it falls in; `Elapsed` is the part of that window gone by (0 to 1).
internal sealed record RateHit(string Bucket, long Window, double Elapsed)
{
    public (string Name, object Value)[] Parameters => [("@rate_bucket", Bucket), ("@rate_window", Window)];

    public TimeSpan? Wait(long current, long previous, int perWindow) => RateWindows.Wait(current, previous, perWindow, Elapsed);
}
