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
                services.AddDbContextFactory<ParleyDb>(o => o
                    .UseSqlite(connectionString)
                    .AddInterceptors(new SqlitePragmas()));
                break;
            case DatabaseKind.Postgres:
                // One pooled data source per process: EF contexts, the LISTEN connection and the hot raw SQL all
                // draw from the same pool.
                var dataSource = new NpgsqlDataSourceBuilder(target.ConnectionString).Build();
                services.AddSingleton(dataSource);
                // Not a pooled context factory: with one, the bench found the whole Npgsql pool checked out and idle
                // at 100 replies and every reply stalled (the raw SQL paths open the context's connection themselves,
                // and a pooled context does not give such a connection back when it is returned).
                services.AddDbContextFactory<ParleyDb>(o => o.UseNpgsql(dataSource));
                // PostgreSQL keeps microseconds: the clock is cut to them, so a time a response shows is exactly
                // the time a later read returns.
                services.Replace(ServiceDescriptor.Singleton<TimeProvider>(new MicrosecondClock()));
                break;
        }

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
