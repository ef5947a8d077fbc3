using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace Parley.Server.Storage;

internal static class StorageExtensions
{
    public static IServiceCollection AddParleyStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var target = DatabaseTarget.From(configuration.GetConnectionString("Parley"));
        services.AddSingleton(target);

        switch (target.Kind)
        {
            case DatabaseKind.Sqlite:
                var connectionString = PrepareSqlite(target.ConnectionString);
                services.AddPooledDbContextFactory<ParleyDb>(o => o
                    .UseSqlite(connectionString)
                    .WithoutSqliteHelperFunctions()
                    .AddInterceptors(new SqlitePragmas()));
                services.AddHostedService(sp => new SqliteCheckpointer(connectionString, sp.GetRequiredService<WriteGate>(),
                    sp.GetRequiredService<ILogger<SqliteCheckpointer>>()));
                break;
            case DatabaseKind.Postgres:
                // One pooled data source per process: EF contexts, the LISTEN connection and the hot raw SQL all
                // draw from the same pool.
                var dataSource = PostgresDataSource(target.ConnectionString);
                services.AddSingleton(dataSource);
                services.AddPooledDbContextFactory<ParleyDb>(o => o.UseNpgsql(dataSource));
                // PostgreSQL keeps microseconds: the clock is cut to them, so a time a response shows is exactly
                // the time a later read returns.
                services.Replace(ServiceDescriptor.Singleton<TimeProvider>(new MicrosecondClock()));
                break;
        }

        // Contexts are pooled: a new one set up its internal services every time, about a tenth of the server's CPU
        // and a fifth of its allocations in a chat turn (perf, dotnet-trace). A pooled context that is handed back
        // keeps its connection open if the code that opened it did not close it, and with it a connection of
        // Npgsql's pool: so every path that opens a context's connection itself (OpenConnectionAsync, for raw SQL)
        // closes it in a finally block.
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<ParleyDb>>().CreateDbContext());
        services.AddScoped<SchemaMigrator>();
        services.AddSingleton<WriteGate>();
        services.AddSingleton<RateWindows>();
        return services;
    }

    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<SchemaMigrator>().MigrateAsync(app.Lifetime.ApplicationStopping);
    }

    // Parley sends the same few dozen statements over and over. Prepared on each connection after a few uses (Npgsql's
    // automatic preparation), PostgreSQL parses and plans each once per connection instead of on every call. A
    // connection string that sets Max Auto Prepare itself (0 turns it off, e.g. behind a pooler that cannot keep
    // prepared statements) is left as it is.
    private static NpgsqlDataSource PostgresDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare")) builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        return builder.Build();
    }

    // Creates the folder of the database file so that the zero-setup default (data/parley.db) just works.
    private static string PrepareSqlite(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.DataSource is { Length: > 0 } path && path != ":memory:" && builder.Mode != SqliteOpenMode.Memory)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        }
        builder.Pooling = true;
        return builder.ToString();
    }

    private sealed class MicrosecondClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow()
        {
            var now = System.GetUtcNow();
            return new DateTimeOffset(now.Ticks - now.Ticks % 10, TimeSpan.Zero);
        }
    }
}
