using Microsoft.EntityFrameworkCore;
using Parley.Server.Storage;

namespace Parley.Server.Streaming;

// The status reads at the start of every stream and in a reader's poll, compiled once. Through LINQ each call
// rebuilt its expression tree and walked it to find the cached plan and extract its parameters (EF's
// funcletizer, with the turn's other LINQ queries about a tenth of a chat turn's bytes; docs/BENCHMARKS.md).
internal static class ReplyStatusQueries
{
    // The status of one of the user's replies; null for someone else's message, a user message or no message,
    // so that all of them answer alike.
    public static readonly Func<ParleyDb, string, string, CancellationToken, Task<string?>> OfUsersReply =
        EF.CompileAsyncQuery((ParleyDb db, string id, string userId, CancellationToken ct) => db.Messages
            .Where(m => m.Id == id && m.UserId == userId && m.Role == "assistant").Select(m => m.Status).FirstOrDefault());

    // The status of a message, null once it is deleted.
    public static readonly Func<ParleyDb, string, CancellationToken, Task<string?>> Of =
        EF.CompileAsyncQuery((ParleyDb db, string id, CancellationToken ct) => db.Messages
            .Where(m => m.Id == id).Select(m => m.Status).FirstOrDefault());
}
