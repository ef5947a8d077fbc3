using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Parley.Server.Storage;

// WAL lets streams read while a reply writes. synchronous=NORMAL keeps every commit safe from a process
// crash (the promise in SPEC §11); only an OS crash or power loss can drop the last commits.
// wal_autocheckpoint=0 leaves checkpoints to SqliteCheckpointer, off the write path; journal_size_limit cuts the
// log file back to 64 MiB when a burst has grown it further.
// busy_timeout makes a writer that finds the database locked wait inside SQLite, which retries within a
// millisecond or two; without it the driver's own retry sleeps far longer between tries, and concurrent
// sends under load waited hundreds of milliseconds (measured with bench/Parley.Bench).
//
// The settings belong to the native connection, which the driver's pool keeps open and hands out again, so they
// are set once per native connection rather than on every open: a statement saved on every query.
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    private const string Sql = "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit=67108864;";

    private static readonly ConditionalWeakTable<object, object> Prepared = [];

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (!FirstOpen(connection)) return;
        using var command = connection.CreateCommand();
        command.CommandText = Sql;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (!FirstOpen(connection)) return;
        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static bool FirstOpen(DbConnection connection) =>
        connection is not SqliteConnection { Handle: { } handle } || Prepared.TryAdd(handle, handle);
}
