using Parley.Server.Storage;

namespace Parley.Tests.Storage;

public sealed class MigrationSetTests
{
    // Every schema change is written twice, once per database; a change made for only one of them would leave
    // the other behind, so both folders must hold the same numbered scripts under the same names.
    [Fact]
    public void Sqlite_and_PostgreSQL_have_the_same_numbered_migrations()
    {
        var sqlite = SchemaMigrator.ScriptsFor(DatabaseKind.Sqlite).Select(s => $"{s.Version:0000}_{s.Name}").ToList();
        var postgres = SchemaMigrator.ScriptsFor(DatabaseKind.Postgres).Select(s => $"{s.Version:0000}_{s.Name}").ToList();

        Assert.NotEmpty(sqlite);
        Assert.Equal(sqlite, postgres);
    }
}
