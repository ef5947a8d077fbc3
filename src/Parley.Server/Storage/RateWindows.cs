using Npgsql;

namespace Parley.Server.Storage;

// Rate limits that hold across nodes: a fixed one-minute window per limited key, counted in PostgreSQL with one
// upsert that returns the new count, so nodes never read-then-write a shared number. A fixed window admits up
// to twice the limit across a window boundary, the usual price of one round trip and no per-request rows.
// On SQLite the single node counts in memory instead (UserLimits), and this class is not used.
internal sealed class RateWindows(DatabaseTarget target, IServiceProvider services, TimeProvider clock)
{
    private const int WindowSeconds = 60;
    private long _sweptWindow;

    public bool Enabled => target.Kind == DatabaseKind.Postgres;

    // Counts one hit on the bucket. Returns how long to wait when it is over `perWindow`. One short statement on
    // a pooled connection, awaited, so a busy database never blocks a request thread.
    public async ValueTask<TimeSpan?> TakeAsync(string bucket, int perWindow, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var window = now / WindowSeconds;
        await using var connection = await services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct);
        await using (var command = new NpgsqlCommand("""
            INSERT INTO rate_windows (bucket, window_start, hits) VALUES (@bucket, @window, 1)
            ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_windows.hits + 1
            RETURNING hits
            """, connection))
        {
            command.Parameters.AddWithValue("bucket", bucket);
            command.Parameters.AddWithValue("window", window);
            var hits = Convert.ToInt32(await command.ExecuteScalarAsync(ct));
            await SweepOldWindowsAsync(connection, window, ct);
            if (hits <= perWindow) return null;
        }
        return TimeSpan.FromSeconds(Math.Max(1, (window + 1) * WindowSeconds - now));
    }

    // Once per window per node: older windows are of no use any more.
    private async Task SweepOldWindowsAsync(NpgsqlConnection connection, long window, CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _sweptWindow, window) == window) return;
        await using var sweep = new NpgsqlCommand("DELETE FROM rate_windows WHERE window_start < @window", connection);
        sweep.Parameters.AddWithValue("window", window);
        await sweep.ExecuteNonQueryAsync(ct);
    }
}
