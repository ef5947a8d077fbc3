using Microsoft.EntityFrameworkCore;
using Parley.Server.Infrastructure;
using Parley.Server.Storage;

namespace Parley.Server.OpenAiApi;

// The caller of a /v1 request: the user, and the API key that authenticated it.
internal sealed record ApiCaller(string UserId, string ApiKeyId);

// /v1 is stateless (SPEC §9): a call leaves only its usage, recorded against the key and its user, so that it
// shows on GET /api/keys and counts toward the user's daily quota.
internal sealed class ApiUsageRecorder(IDbContextFactory<ParleyDb> dbs, WriteGate writes, TimeProvider clock, ILogger<ApiUsageRecorder> logger)
{
    public async Task RecordAsync(ApiCaller caller, string model, (int Prompt, int Completion) usage)
    {
        if (usage.Prompt == 0 && usage.Completion == 0) return;
        try
        {
            // Not the request's token: a call the client abandoned still used the tokens it used.
            await using var db = await dbs.CreateDbContextAsync();
            db.UsageRecords.Add(new UsageRecord
            {
                Id = Ids.New("use"),
                UserId = caller.UserId,
                ApiKeyId = caller.ApiKeyId,
                Model = model,
                PromptTokens = usage.Prompt,
                CompletionTokens = usage.Completion,
                CreatedAt = clock.GetUtcNow().UtcDateTime,
            });
            using (await writes.EnterAsync(CancellationToken.None)) await db.SaveChangesAsync();
        }
        catch (DbUpdateException ex)
        {
            // The user may have been deleted meanwhile; the answer was already sent either way.
            logger.LogWarning(ex, "Could not record /v1 usage for key {KeyId}", caller.ApiKeyId);
        }
    }
}
