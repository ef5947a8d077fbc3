#if !POSTGRES
using System.Buffers.Binary;
using Microsoft.EntityFrameworkCore;
using Parley.Server.Storage;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Storage;

// Parley's own connections never checkpoint SQLite's write-ahead log (a commit that did held every writer up while
// it copied); the checkpointer does it beside them. Under a steady stream of commits the log keeps starting over
// instead of growing with everything ever written, and what was written lands in the database file.
public sealed class SqliteCheckpointTests
{
    private const int RowsPerCommit = 10;
    private const int RowBytes = 4_000;
    // How soon the log starts over depends on how fast this machine copies pages against how fast it writes them,
    // so the loop waits for the restarts themselves; these bounds only keep a failing run from filling the disk.
    private const long MostBytes = 512_000_000;
    private static readonly TimeSpan MostTime = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Under_steady_writes_the_log_starts_over_and_the_data_reaches_the_database_file()
    {
        await using var app = new ParleyApp();
        await using var db = await app.Service<IDbContextFactory<ParleyDb>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        Assert.Equal(0L, await ScalarAsync(db, "PRAGMA wal_autocheckpoint"));
        await ScalarAsync(db, "CREATE TABLE checkpoint_probe (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");

        // Commits of 40 KB one straight after the other, through the write gate as Parley's writers commit. Without
        // the checkpointer the log only grows; with it, the log starts over (a new checkpoint sequence number in its
        // header) each time a checkpoint has copied all of it.
        var gate = app.Service<WriteGate>();
        var logFile = app.DatabasePath + "-wal";
        var (restarts, rows) = (0, 0L);
        uint? sequence = null;
        var deadline = DateTime.UtcNow + MostTime;
        while (restarts < 3 && rows * RowBytes < MostBytes && DateTime.UtcNow < deadline)
        {
            using (await gate.EnterAsync(CancellationToken.None))
            await using (var tx = await db.Database.BeginTransactionAsync())
            {
                for (var row = 0; row < RowsPerCommit; row++)
                {
                    await using var insert = RawSql.Command(db, "INSERT INTO checkpoint_probe (data) VALUES (randomblob(@bytes))", ("@bytes", RowBytes));
                    await insert.ExecuteNonQueryAsync();
                }
                await tx.CommitAsync();
            }
            rows += RowsPerCommit;
            var current = CheckpointSequence(logFile);
            if (sequence is { } previous && current != previous) restarts++;
            sequence = current;
            await Task.Yield();
        }
        Assert.True(restarts >= 3, $"The log started over {restarts} times in {rows * RowBytes} bytes written.");

        var written = rows * RowBytes;
        var until = DateTime.UtcNow + MostTime;
        while (new FileInfo(app.DatabasePath).Length < written && DateTime.UtcNow < until) await Task.Delay(100);
        Assert.True(new FileInfo(app.DatabasePath).Length >= written, $"The database file holds {new FileInfo(app.DatabasePath).Length} of {written} bytes.");
        await db.Database.CloseConnectionAsync();
    }

    // The log's header: magic, format, page size, then the checkpoint sequence number, which each restart advances.
    private static uint CheckpointSequence(string logFile)
    {
        using var file = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> header = stackalloc byte[16];
        file.ReadExactly(header);
        return BinaryPrimitives.ReadUInt32BigEndian(header[12..]);
    }

    private static async Task<long> ScalarAsync(ParleyDb db, string sql)
    {
        await using var command = RawSql.Command(db, sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L);
    }
}
#endif
