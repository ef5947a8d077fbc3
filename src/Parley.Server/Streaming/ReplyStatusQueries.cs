using Microsoft.EntityFrameworkCore;
using Parley.Server.Storage;

namespace Parley.Server.Streaming;

// The status read in a reader's poll, compiled once. Through LINQ each call rebuilt its expression tree and
// walked it to find the cached plan and extract its parameters (EF's funcletizer, with the turn's other LINQ
// queries about a tenth of a chat turn's bytes; docs/BENCHMARKS.md). A stream's opening read is
// StreamEventStore.OpenAsync.
internal static class ReplyStatusQueries
{
    // The status of a message, null once it is deleted.
    public static readonly Func<ParleyDb, string, CancellationToken, Task<string?>> Of =
        EF.CompileAsyncQuery((ParleyDb db, string id, CancellationToken ct) => db.Messages
            .Where(m => m.Id == id).Select(m => m.Status).FirstOrDefault());
}
