using Microsoft.EntityFrameworkCore;
using Parley.Server.Storage;

namespace Parley.Server.Sessions;

// A user's session by id, read on every send: compiled once, for the reason given in ReplyStatusQueries.
internal static class SessionQueries
{
    public static readonly Func<ParleyDb, string, string, CancellationToken, Task<ChatSession?>> Owned =
        EF.CompileAsyncQuery((ParleyDb db, string id, string userId, CancellationToken ct) =>
            db.Sessions.AsNoTracking().FirstOrDefault(s => s.Id == id && s.UserId == userId));
}
