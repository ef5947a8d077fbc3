using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Parley.Server.Storage;

// Plain SQL on a context's connection, inside its current transaction if it has one (else the caller opens the
// connection, or ExecuteAsync does), for the writes of every chat turn (its session, send, claim, end and
// title). Through EF's query pipeline each of them built expression trees and extracted their parameters on
// every call: EF was 46 % of the allocations at 100 chat replies, the send and the end a third of that
// (dotnet-trace). The SQL is the same on SQLite and PostgreSQL; Npgsql reads the @names too.
internal static class RawSql
{
    public static DbCommand Command(ParleyDb db, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) Parameter(command, name, value);
        return command;
    }

    // Runs one statement, opening the context's connection for it unless it is open already (a pooled context
    // keeps a connection it was left with, so it is closed again).
    public static async Task<int> ExecuteAsync(ParleyDb db, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = Command(db, sql, parameters);
            return await command.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    public static DbParameter Parameter(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    public static bool IsUniqueViolation(DbException ex) =>
        ex is SqliteException { SqliteExtendedErrorCode: 2067 } // SQLITE_CONSTRAINT_UNIQUE
            or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
