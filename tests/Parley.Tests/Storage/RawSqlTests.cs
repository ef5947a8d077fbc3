using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Parley.Server.Storage;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Storage;

// The plain-SQL helper that a send relies on to tell a concurrent duplicate clientMessageId (a unique index)
// from any other failure, on the real database of each tier.
public sealed class RawSqlTests
{
    [Fact]
    public async Task A_unique_index_violation_is_recognised_and_other_failures_are_not()
    {
        await using var app = new ParleyApp();
        await using var db = await app.Service<IDbContextFactory<ParleyDb>>().CreateDbContextAsync();
        await using var tx = await db.Database.BeginTransactionAsync();
        await Execute(db, "CREATE TEMP TABLE raw_sql_probe (k TEXT NOT NULL UNIQUE, n INTEGER NOT NULL)");
        await Execute(db, "INSERT INTO raw_sql_probe (k, n) VALUES (@k, 1)", ("@k", "a"));

        var duplicate = await Assert.ThrowsAnyAsync<DbException>(() => Execute(db, "INSERT INTO raw_sql_probe (k, n) VALUES (@k, 2)", ("@k", "a")));
        Assert.True(RawSql.IsUniqueViolation(duplicate));

        await tx.RollbackAsync();
        await using var again = await db.Database.BeginTransactionAsync();
        await Execute(db, "CREATE TEMP TABLE raw_sql_probe2 (k TEXT NOT NULL UNIQUE, n INTEGER NOT NULL)");
        var missing = await Assert.ThrowsAnyAsync<DbException>(() => Execute(db, "INSERT INTO raw_sql_probe2 (k, n) VALUES (@k, NULL)", ("@k", "b")));
        Assert.False(RawSql.IsUniqueViolation(missing));
    }

    private static async Task Execute(ParleyDb db, string sql, params (string, object?)[] parameters)
    {
        await using var command = RawSql.Command(db, sql, parameters);
        await command.ExecuteNonQueryAsync();
    }
}
