using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Parley.Server.Personas;
using Parley.Server.Providers;
using Parley.Server.Storage;

namespace Parley.Server.Generation;

// SPEC §8. The prompt is the persona's and the session's system prompt, then the newest earlier messages of the
// current branch that fit (at most MaxMessages, within the context window less the room kept for the reply),
// then the user message being answered. One indexed query reads at most MaxMessages rows, so the cost follows
// the window, not the length of the session. The query leases a pooled context for itself alone: a reply that
// held one for its whole life made the pool grow to one context (about 16 KB) per running reply, kept for good.
internal sealed class ContextBuilder(IDbContextFactory<ParleyDb> dbs, IOptionsMonitor<ContextOptions> options)
{
    public async Task<ModelRequest> BuildAsync(Message reply, Message userMessage, ChatSession session,
        Persona persona, ModelEntry model, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var system = string.IsNullOrWhiteSpace(session.SystemPrompt)
            ? persona.SystemPrompt
            : persona.SystemPrompt + "\n\n" + session.SystemPrompt;

        // A session's turns are numbered from 1 (ReplyScheduler's slot takes next_ordinal + 1, which starts at 0), so
        // a session's first turn, the most common of all, has nothing earlier to read and skips the query.
        var newestFirst = settings.MaxMessages == 0 || userMessage.Ordinal <= 1
            ? []
            : await NewestEarlierTurnsAsync(session.Id, userMessage.Ordinal, settings.MaxMessages, ct);

        var budget = model.ContextWindow - settings.ReserveOutputTokens
            - TokenEstimator.EstimateMessage(system) - TokenEstimator.EstimateMessage(userMessage.Content);
        var kept = new List<ChatTurn>(newestFirst.Count);
        foreach (var turn in newestFirst)
        {
            budget -= TokenEstimator.EstimateMessage(turn.Content);
            if (budget < 0) break;
            kept.Add(turn);
        }
        kept.Reverse();

        List<ChatTurn> messages = [new ChatTurn("system", system), .. kept, new ChatTurn("user", userMessage.Content)];
        return new ModelRequest(reply.Model ?? session.Model, persona.Name, messages);
    }

    // Plain SQL, as the other statements of every chat turn (RawSql): through EF's query pipeline this one query
    // built and visited its expression tree on every reply, about 2 % of the server's allocated bytes at 100
    // replies (gc-verbose), on the way to the first token.
    private async Task<List<ChatTurn>> NewestEarlierTurnsAsync(string sessionId, int before, int limit, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = RawSql.Command(db, """
                SELECT role, content FROM messages
                WHERE session_id = @session AND ordinal < @before AND NOT superseded
                    AND (role = 'user' OR status = @complete OR status = @cancelled) AND content <> ''
                ORDER BY ordinal DESC, role
                LIMIT @limit
                """,
                ("@session", sessionId), ("@before", before), ("@complete", ReplyStatus.Complete), ("@cancelled", ReplyStatus.Cancelled),
                ("@limit", limit));
            var turns = new List<ChatTurn>(Math.Min(limit, 64));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) turns.Add(new ChatTurn(reader.GetString(0), reader.GetString(1)));
            return turns;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
