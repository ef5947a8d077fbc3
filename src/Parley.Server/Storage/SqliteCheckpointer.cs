using Microsoft.Data.Sqlite;

namespace Parley.Server.Storage;

// SQLite's write-ahead log grows with every commit until a checkpoint copies it back into the database file and
// the log can start again from its beginning. By default the commit that takes the log past 1,000 pages runs
// that checkpoint itself while every other writer waits for it (WriteGate). Chat at 100 replies logs about
// 24 MB a second (bench/Parley.Bench), so that was six copies of 4 MB a second inside the write path.
//
// Parley's connections therefore never checkpoint (SqlitePragmas); this service does, on a connection of its own.
// Every tick it copies what it can without holding anyone up: a passive checkpoint takes no write lock, and writers
// go on adding pages meanwhile. The log can only start over once a checkpoint has copied all of it, which needs a
// moment with no writer; so when the log is long enough to be worth starting over, the service then takes the
// write gate for one more passive checkpoint, which copies just the pages written during the first.
internal sealed class SqliteCheckpointer(string connectionString, WriteGate writes, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    // SQLite's own default point for a checkpoint, in pages: a shorter log is left to grow.
    private const int RestartPages = 1_000;

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        SqliteConnection? connection = null;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    connection ??= await OpenAsync(stoppingToken);
                    if (await CheckpointAsync(connection, stoppingToken) < RestartPages) continue;
                    using (await writes.EnterAsync(stoppingToken)) await CheckpointAsync(connection, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Checkpointing the SQLite write-ahead log failed; trying again shortly");
                    if (connection is not null) await connection.DisposeAsync();
                    connection = null;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            if (connection is not null) await connection.DisposeAsync();
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    // Copies what no reader still needs; returns the log's length in pages (-1 when the database keeps no log).
    private static async Task<int> CheckpointAsync(SqliteConnection connection, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? reader.GetInt32(1) : -1;
    }
}
