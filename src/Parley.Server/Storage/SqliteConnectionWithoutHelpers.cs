using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Sqlite.Storage.Internal;
using Microsoft.EntityFrameworkCore.Storage;

namespace Parley.Server.Storage;

// EF's SQLite connection registers eight helper functions (regexp and decimal arithmetic) on every connection
// it creates, and Microsoft.Data.Sqlite registers them with SQLite again on every open. Parley's queries use
// none of them, and a chat turn opens a connection several times: the registrations were a tenth of the
// server's allocations at 100 replies (dotnet-trace). This connection is EF's, without them.
#pragma warning disable EF1001 // EF's SQLite connection is an internal type; its constructor is checked by every test that touches the database.
internal sealed class SqliteConnectionWithoutHelpers(
    RelationalConnectionDependencies dependencies,
    IRawSqlCommandBuilder rawSqlCommandBuilder,
    IDiagnosticsLogger<DbLoggerCategory.Infrastructure> logger)
    : SqliteRelationalConnection(dependencies, rawSqlCommandBuilder, logger)
{
    protected override DbConnection CreateDbConnection() => new SqliteConnection(GetValidatedConnectionString());
}

internal static class SqliteHelperFunctions
{
    public static DbContextOptionsBuilder WithoutSqliteHelperFunctions(this DbContextOptionsBuilder options) =>
        options.ReplaceService<ISqliteRelationalConnection, SqliteConnectionWithoutHelpers>();
}
#pragma warning restore EF1001
