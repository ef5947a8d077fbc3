using Microsoft.EntityFrameworkCore;
using Parley.Server.Providers;
using Parley.Server.Storage;

namespace Parley.Server.Generation;

// Names a session after its first complete reply. The update only applies while the session still has its
// automatic title, so a rename by the user always wins.
internal sealed class SessionTitler(IDbContextFactory<ParleyDb> dbs, WriteGate writes, ILogger<SessionTitler> logger)
{
    private static readonly TimeSpan SuggestionTimeout = TimeSpan.FromSeconds(15);

    public async Task TitleAsync(string sessionId, ModelEntry model, ModelRequest firstExchange, CancellationToken ct)
    {
        string title;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(SuggestionTimeout);
            title = AutoTitle.Clean(await model.Client.SuggestTitleAsync(firstExchange, timeout.Token), firstExchange.LastUserMessage);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            logger.LogInformation(ex, "The model gave no title for session {SessionId}; using the first words", sessionId);
            title = AutoTitle.FromMessage(firstExchange.LastUserMessage);
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        using var gate = await writes.EnterAsync(ct);
        await RawSql.ExecuteAsync(db, "UPDATE sessions SET title = @title, auto_title = @no WHERE id = @id AND auto_title = @yes", ct,
            ("@title", title), ("@no", false), ("@yes", true), ("@id", sessionId));
    }
}
