using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Parley.Server.Personas;
using Parley.Server.Providers;
using Parley.Server.Storage;

namespace Parley.Server.Generation;

// SPEC §8. The prompt is the persona's and the session's system prompt, then the newest earlier messages of the
// current branch that fit (at most MaxMessages, within the context window less the room kept for the reply),
// then the user message being answered. One indexed query reads at most MaxMessages rows, so the cost follows
// the window, not the length of the session.
internal sealed class ContextBuilder(IOptionsMonitor<ContextOptions> options)
{
    public async Task<ModelRequest> BuildAsync(ParleyDb db, Message reply, Message userMessage, ChatSession session,
        Persona persona, ModelEntry model, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var system = string.IsNullOrWhiteSpace(session.SystemPrompt)
            ? persona.SystemPrompt
            : persona.SystemPrompt + "\n\n" + session.SystemPrompt;

        var newestFirst = settings.MaxMessages == 0 ? [] : await db.Messages.AsNoTracking()
            .Where(m => m.SessionId == session.Id && m.Ordinal < userMessage.Ordinal && !m.Superseded
                && (m.Role == "user" || m.Status == ReplyStatus.Complete || m.Status == ReplyStatus.Cancelled)
                && m.Content != "")
            .OrderByDescending(m => m.Ordinal).ThenBy(m => m.Role)
            .Take(settings.MaxMessages)
            .Select(m => new ChatTurn(m.Role, m.Content))
            .ToListAsync(ct);

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
}
