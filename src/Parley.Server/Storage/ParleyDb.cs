using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Parley.Server.Storage;

internal sealed class ParleyDb(DbContextOptions<ParleyDb> options) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();
    public DbSet<LoginSession> LoginSessions => Set<LoginSession>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<ChatSession> Sessions => Set<ChatSession>();
    public DbSet<Message> Messages => Set<Message>();
    public DbSet<StreamEvent> StreamEvents => Set<StreamEvent>();
    public DbSet<ReplyJob> ReplyJobs => Set<ReplyJob>();
    public DbSet<UsageRecord> UsageRecords => Set<UsageRecord>();
    public DbSet<ReplyAttempt> ReplyAttempts => Set<ReplyAttempt>();

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // Every time is UTC; the converter restores the Kind that SQLite's text storage loses.
        builder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        builder.Properties<DateTime?>().HaveConversion<NullableUtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder model)
    {
        // The foreign keys are declared so that EF orders the inserts of one SaveChanges the way the schema needs.
        model.Entity<User>(e => { e.ToTable("users"); e.HasKey(x => x.Id); });
        model.Entity<LoginSession>(e =>
        {
            e.ToTable("login_sessions");
            e.HasKey(x => x.TokenHash);
            e.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<ApiKey>(e =>
        {
            e.ToTable("api_keys");
            e.HasKey(x => x.Id);
            e.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<ChatSession>(e =>
        {
            e.ToTable("sessions");
            e.HasKey(x => x.Id);
            e.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<Message>(e =>
        {
            e.ToTable("messages");
            e.HasKey(x => x.Id);
            e.HasOne<ChatSession>().WithMany().HasForeignKey(x => x.SessionId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<StreamEvent>(e =>
        {
            e.ToTable("stream_events");
            e.HasKey(x => new { x.MessageId, x.Seq });
            e.HasOne<Message>().WithMany().HasForeignKey(x => x.MessageId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<ReplyJob>(e =>
        {
            e.ToTable("reply_jobs");
            e.HasKey(x => x.MessageId);
            e.HasOne<Message>().WithOne().HasForeignKey<ReplyJob>(x => x.MessageId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<ReplyAttempt>(e =>
        {
            e.ToTable("reply_attempts");
            e.HasNoKey();
        });

        model.Entity<UsageRecord>(e =>
        {
            e.ToTable("usage_records");
            e.HasKey(x => x.Id);
            e.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        // Column names follow the snake_case of the hand-written migrations.
        foreach (var entity in model.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(ToSnakeCase(property.Name));
            }
        }
    }

    private static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) builder.Append('_');
            builder.Append(char.ToLowerInvariant(name[i]));
        }
        return builder.ToString();
    }

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    private sealed class NullableUtcDateTimeConverter() : ValueConverter<DateTime?, DateTime?>(
        v => v == null ? v : v.Value.Kind == DateTimeKind.Utc ? v : v.Value.ToUniversalTime(),
        v => v == null ? v : DateTime.SpecifyKind(v.Value, DateTimeKind.Utc));
}
