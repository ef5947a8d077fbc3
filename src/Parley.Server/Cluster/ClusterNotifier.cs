using System.Text;
using System.Threading.Channels;
using Npgsql;
using Parley.Server.Infrastructure;
using Parley.Server.Storage;

namespace Parley.Server.Cluster;

// Tells the other nodes (through PostgreSQL's NOTIFY on one channel) what changed, so they look in the
// database at once instead of at their next poll. A notification is only a wake-up: what it points at is
// already committed, and a node that misses one (its LISTEN connection dropped) catches up from the database.
// On SQLite there is one node, and every method does nothing.
//
// A payload is lines of "<kind> <message id> [<detail>]":
//   e  new events of a reply are committed          s  a reply's status changed (detail: the status)
//   c  cancel this reply wherever it is generated   d  this reply was deleted with its conversation
//   w  new work is queued                           a  a credential or an account changed (CredentialCache)
//   n  the sending process (every payload's first line; see Origin)
// Events are coalesced: one NOTIFY per flush transaction lists every reply it wrote, so PostgreSQL's work
// grows with flushes (every FlushIntervalMs per node), not with tokens.
internal sealed class ClusterNotifier(DatabaseTarget target, IServiceProvider services, ILogger<ClusterNotifier> logger) : IAsyncDisposable
{
    public const string Channel = "parley";

    // PostgreSQL refuses payloads of 8000 bytes or more.
    private const int MaxPayloadBytes = 7_000;

    private readonly Channel<string> _posted = System.Threading.Channels.Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _lock = new();
    private Task? _sender;

    public bool Enabled => target.Kind == DatabaseKind.Postgres;

    // This process's mark on its notifications. A node hears its own too, and wakes no reader for its own `e`
    // lines: it published those events to its readers itself when it committed them (EventFlusher, ReplyLifecycle).
    // At 100 replies on one node every reader was woken twice per token, the second time for nothing.
    public string Origin { get; } = Guid.NewGuid().ToString("N")[..12];

    public static string Events(string messageId) => "e " + messageId;

    public static string Status(string messageId, string status) => $"s {messageId} {status}";

    // Status(…) as a SQL expression, for a statement that changes the status and notifies in the same round trip;
    // idColumn names the column that holds the reply's id.
    public static string StatusSql(string idColumn, string status) => $"pg_notify('{Channel}', 's ' || {idColumn} || ' {status}')";

    public static string Cancel(string messageId) => "c " + messageId;

    public static string Deleted(string messageId) => "d " + messageId;

    public const string NewWork = "w";

    public const string CredentialsChanged = "a";

    // Sends on the context's connection, inside its current transaction if it has one: PostgreSQL delivers the
    // notification when (and only if) the transaction commits, so no node is woken for something not yet there.
    public async Task NotifyAsync(ParleyDb db, IEnumerable<string> lines, CancellationToken ct)
    {
        if (!Enabled) return;
        foreach (var payload in Payloads(lines)) await RawSql.ExecuteAsync(db, $"SELECT pg_notify('{Channel}', @payload)", ct, ("@payload", payload));
    }

    // The same notifications as commands for a caller's own NpgsqlBatch, so that they cost no round trip of their own.
    public IEnumerable<NpgsqlBatchCommand> Commands(IEnumerable<string> lines) => !Enabled ? [] :
        Payloads(lines).Select(payload => new NpgsqlBatchCommand($"SELECT pg_notify('{Channel}', $1)") { Parameters = { new() { Value = payload } } });

    // For wake-ups that follow a commit made elsewhere (a send, a cancel, a delete): queued and sent by one loop,
    // which coalesces whatever piled up while it was sending. A lost one costs only time: nodes also poll.
    public void Post(string line)
    {
        if (!Enabled) return;
        _posted.Writer.TryWrite(line);
        lock (_lock) _sender ??= Detached.Run(SendPostedAsync);
    }

    private async Task SendPostedAsync()
    {
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        while (await _posted.Reader.WaitToReadAsync())
        {
            var lines = new HashSet<string>(StringComparer.Ordinal);
            while (_posted.Reader.TryRead(out var line)) lines.Add(line);
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync();
                foreach (var payload in Payloads(lines))
                {
                    await using var command = new NpgsqlCommand($"SELECT pg_notify('{Channel}', @payload)", connection);
                    command.Parameters.AddWithValue("payload", payload);
                    await command.ExecuteScalarAsync();
                }
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Sending a cluster notification failed; other nodes will find the change when they next poll");
            }
        }
    }

    // The lines in as few payloads as fit, each starting with this process's origin line.
    internal IEnumerable<string> Payloads(IEnumerable<string> lines)
    {
        var origin = "n " + Origin;
        var payload = new StringBuilder(origin);
        foreach (var line in lines)
        {
            if (payload.Length > origin.Length && Encoding.UTF8.GetByteCount(line) + payload.Length + 1 > MaxPayloadBytes)
            {
                yield return payload.ToString();
                payload.Clear().Append(origin);
            }
            payload.Append('\n').Append(line);
        }
        if (payload.Length > origin.Length) yield return payload.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        _posted.Writer.TryComplete();
        Task? sender;
        lock (_lock) sender = _sender;
        if (sender is not null) await sender;
    }
}
