using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Parley.Server.Storage;

// WAL lets streams read while a reply writes. synchronous=NORMAL keeps every commit safe from a process
// crash (the promise in SPEC §11); only an OS crash or power loss can drop the last commits.
// busy_timeout makes a writer that finds the database locked wait inside SQLite, which retries within a
// millisecond or two; without it the driver's own retry sleeps far longer between tries, and concurrent
// sends under load waited hundreds of milliseconds (measured with bench/Parley.Bench).
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    private const string Sql = "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Sql;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
