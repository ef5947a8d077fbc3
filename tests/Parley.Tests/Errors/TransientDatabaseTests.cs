using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Parley.Server.Infrastructure;

namespace Parley.Tests.Errors;

// Pure logic: which failures are a busy database (503, try again) rather than a fault (500).
public sealed class TransientDatabaseTests
{
    [Fact]
    public void A_busy_or_locked_database_is_transient_however_deeply_it_is_wrapped()
    {
        var busy = new SqliteException("database is locked", 5);
        Assert.True(ErrorHandling.IsTransientDatabaseFailure(busy));
        Assert.True(ErrorHandling.IsTransientDatabaseFailure(new DbUpdateException("save failed", busy)));
        Assert.True(ErrorHandling.IsTransientDatabaseFailure(new InvalidOperationException("outer", new DbUpdateException("save failed", busy))));
    }

    [Fact]
    public void Other_failures_are_not()
    {
        Assert.False(ErrorHandling.IsTransientDatabaseFailure(new SqliteException("no such table: x", 1)));
        Assert.False(ErrorHandling.IsTransientDatabaseFailure(new InvalidOperationException("bug")));
        Assert.False(ErrorHandling.IsTransientDatabaseFailure(new Npgsql.PostgresException("syntax error", "ERROR", "ERROR", "42601")));
    }
}
