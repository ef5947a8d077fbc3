using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

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
            default:
                throw new InvalidOperationException(
                    "ConnectionStrings:Parley names a PostgreSQL server, but this build of Parley supports SQLite only. " +
                    "Use a 'Data Source=path' connection string.");
        }

        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<ParleyDb>>().CreateDbContext());
        services.AddScoped<SchemaMigrator>();
        services.AddSingleton<WriteGate>();
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
}
