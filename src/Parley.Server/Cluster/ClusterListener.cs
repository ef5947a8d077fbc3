using Microsoft.Extensions.Options;
using Npgsql;
using Parley.Server.Auth;
using Parley.Server.Generation;
using Parley.Server.Storage;
using Parley.Server.Streaming;

namespace Parley.Server.Cluster;

// Listens for the other nodes' notifications (ClusterNotifier) on one dedicated PostgreSQL connection and turns
// them into local wake-ups: readers of a reply read its new events from the database, the worker looks for
// work, a generator is cancelled, cached credentials are forgotten. When the connection drops, the listener
// reconnects and then wakes every local reader and the worker, so they read what was committed while nobody
// listened, and forgets every cached credential: no event is lost, only delayed, and no revocation is missed.
internal sealed class ClusterListener(
    DatabaseTarget target,
    LiveStreams live,
    ReplySignal work,
    ReplyCancellations cancellations,
    CredentialCache credentials,
    ClusterNotifier notifier,
    IOptions<ClusterOptions> options,
    ILogger<ClusterListener> logger) : BackgroundService
{
    // The listener's connection carries this name, so an operator (or a test) can find it in pg_stat_activity.
    public const string ApplicationName = "parley-listener";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (target.Kind != DatabaseKind.Postgres) return;
        var connectionString = new NpgsqlConnectionStringBuilder(target.ConnectionString)
        {
            ApplicationName = ApplicationName,
            Pooling = false,
            // A silently dead connection (a lost network) is noticed within this many seconds.
            KeepAlive = options.Value.ListenKeepAliveSeconds,
        }.ToString();
        var connected = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                connection.Notification += (_, e) => Dispatch(e.Payload);
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {ClusterNotifier.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                if (connected) logger.LogInformation("Listening to cluster notifications again; waking every local reader to catch up");
                connected = true;
                // Only after LISTEN: whatever committed before it is read now, whatever commits after is notified.
                live.WakeAll();
                work.Wake.Set();
                credentials.ForgetLocally();
                while (true) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "The cluster notification connection failed; reconnecting");
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(options.Value.ListenReconnectDelayMs), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    internal void Dispatch(string payload)
    {
        var own = false;
        foreach (var line in payload.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "n" when parts.Length >= 2:
                    own = parts[1] == notifier.Origin;
                    break;
                // This node's own events reached its readers when it committed them (ClusterNotifier.Origin).
                case "e" when parts.Length >= 2 && !own:
                    live.Wake(parts[1]);
                    break;
                case "s" when parts.Length >= 3:
                    live.PublishStatus(parts[1], parts[2]);
                    break;
                case "c" when parts.Length >= 2:
                    cancellations.RequestCancel(parts[1]);
                    break;
                case "d" when parts.Length >= 2:
                    cancellations.RequestCancel(parts[1]);
                    live.Remove(parts[1]);
                    break;
                case "w":
                    work.Wake.Set();
                    break;
                case "a":
                    credentials.ForgetLocally();
                    break;
            }
        }
    }
}
