using System.Buffers;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Parley.Server.Storage;

namespace Parley.Server.Generation;

// What a worker holds while it generates a reply: the job row, owned by its node for one attempt. A node never
// claims a row it owns, and every claim counts an attempt, so (owner, attempt) names one run of one reply.
internal sealed record JobLease(string MessageId, string Owner, int Attempt);

// Fencing: every write a worker makes to a reply (its events, its start, its end, a hand-back) first checks,
// inside the write's own transaction, that the job row still carries the worker's lease. A worker whose lease
// lapsed and was taken over (it stalled, or lost its network for a while) therefore writes nothing more, even
// if it has not noticed yet. On PostgreSQL the rows are also locked until the transaction ends, so a claim by
// another node waits for the write instead of slipping in between the check and the write.
internal static class JobFence
{
    // Locks the job rows of replies about to be ended or deleted without a lease (a cancel, a delete), before
    // anything else is touched. Every transaction that changes a reply locks its job row first, then the
    // message, then the session; in one order, PostgreSQL transactions never wait for each other in a cycle.
    public static async Task LockAsync(ParleyDb db, DatabaseTarget target, IReadOnlyCollection<string> messageIds, CancellationToken ct)
    {
        if (target.Kind != DatabaseKind.Postgres || messageIds.Count == 0) return;
        var ids = messageIds.Distinct().OrderBy(id => id, StringComparer.Ordinal).ToArray();
        await db.ReplyJobs.FromSql($"SELECT * FROM reply_jobs WHERE message_id = ANY({ids}) ORDER BY message_id FOR UPDATE")
            .AsNoTracking().Select(j => j.MessageId).ToListAsync(ct);
    }

    // The message ids, among the given leases, whose job row still carries that lease. Every flush of stream events
    // on SQLite asks this, so it is plain SQL on the context's connection: through EF's query pipeline it was a
    // seventh of the server's CPU at one reply (perf). On PostgreSQL a flush checks its leases inside its insert
    // (StreamEventStore.InsertFencedAsync, share-locked); the writes that come here change the reply and lock its row.
    public static async Task<HashSet<string>> HeldAsync(ParleyDb db, DatabaseTarget target, IReadOnlyList<JobLease> leases, CancellationToken ct)
    {
        if (leases.Count == 0) return new HashSet<string>(StringComparer.Ordinal);
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            return target.Kind == DatabaseKind.Postgres ? await HeldLockedAsync(db, leases, ct) : HeldOnSqlite(db, leases);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    // Locked until the caller's transaction ends, so a claim by another node waits for its write.
    private static async Task<HashSet<string>> HeldLockedAsync(ParleyDb db, IReadOnlyList<JobLease> leases, CancellationToken ct)
    {
        var ids = leases.Select(l => l.MessageId).Distinct().OrderBy(id => id, StringComparer.Ordinal).ToArray();
        await using var command = RawSql.Command(db,
            "SELECT message_id, lease_owner, attempts FROM reply_jobs WHERE message_id = ANY(@ids) ORDER BY message_id FOR UPDATE", ("@ids", ids));
        var rows = new Dictionary<string, (string? Owner, int Attempt)>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows[reader.GetString(0)] = (reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2));
            }
        }
        var held = new HashSet<string>(StringComparer.Ordinal);
        foreach (var lease in leases)
        {
            if (rows.TryGetValue(lease.MessageId, out var row) && row.Owner == lease.Owner && row.Attempt == lease.Attempt) held.Add(lease.MessageId);
        }
        return held;
    }

    // SQLite has one writer at a time: inside the caller's write transaction nothing can change the rows. The
    // leases go in as one JSON array of [message id, owner, attempt]; SQLite compares them and answers with the
    // positions of the held ones, so no text is read back. (A parameter per id made the text differ with each
    // count, and SQLite binds names by a linear search: a flush of a hundred replies cost a hundred searches of a
    // hundred names.)
    private static HashSet<string> HeldOnSqlite(ParleyDb db, IReadOnlyList<JobLease> leases)
    {
        using var statement = SqliteStatement.Prepare((SqliteConnection)db.Database.GetDbConnection(), """
            SELECT l.key FROM json_each(?1) AS l
            JOIN reply_jobs j ON j.message_id = l.value ->> 0
            WHERE j.lease_owner = l.value ->> 1 AND j.attempts = l.value ->> 2
            """);
        statement.BindUtf8(1, LeasesJson(leases));
        var held = new HashSet<string>(leases.Count, StringComparer.Ordinal);
        while (statement.Step()) held.Add(leases[(int)statement.Int64(0)].MessageId);
        return held;
    }

    // Written into a buffer kept per thread: the fence runs synchronously from writing the array to binding it
    // (SQLite copies it), and a new buffer per flush was a third of the server's byte arrays (gc-verbose).
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_leasesBuffer;
    [ThreadStatic] private static Utf8JsonWriter? t_leasesWriter;

    private static ReadOnlySpan<byte> LeasesJson(IReadOnlyList<JobLease> leases)
    {
        var buffer = t_leasesBuffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var json = t_leasesWriter ??= new Utf8JsonWriter(buffer);
        json.Reset(buffer);
        json.WriteStartArray();
        foreach (var lease in leases)
        {
            json.WriteStartArray();
            json.WriteStringValue(lease.MessageId);
            json.WriteStringValue(lease.Owner);
            json.WriteNumberValue(lease.Attempt);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.Flush();
        return buffer.WrittenSpan;
    }
}
