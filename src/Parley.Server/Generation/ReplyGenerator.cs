using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Parley.Server.Personas;
using Parley.Server.Providers;
using Parley.Server.Storage;
using Parley.Server.Streaming;

namespace Parley.Server.Generation;

// Generates one claimed reply: builds the prompt, streams the model's tokens into the event log, and ends
// the reply through ReplyLifecycle. It runs in the worker, never in an HTTP request, so no client can stop
// it by leaving; only a cancel (or the shutdown grace running out, which hands the reply back) does.
internal sealed class ReplyGenerator(
    IDbContextFactory<ParleyDb> dbs,
    ReplyLifecycle lifecycle,
    ReplyCancellations cancellations,
    ContextBuilder contextBuilder,
    ModelCatalog models,
    PersonaCatalog personas,
    LiveStreams live,
    StreamEventStore store,
    SessionTitler titler,
    IOptions<GenerationOptions> generationOptions,
    IOptions<StreamingOptions> streamingOptions,
    ILogger<ReplyGenerator> logger)
{
    public async Task RunAsync(ClaimedJob job, CancellationToken handBack)
    {
        await using var db = await dbs.CreateDbContextAsync(handBack);
        var reply = await db.Messages.AsNoTracking().FirstOrDefaultAsync(m => m.Id == job.MessageId, handBack);
        if (reply is null) return; // Deleted with its session; the job row went with it.
        var session = await db.Sessions.AsNoTracking().FirstAsync(s => s.Id == reply.SessionId, handBack);

        if (job.Attempt > generationOptions.Value.MaxAttempts)
        {
            await lifecycle.FinishAsync(new ReplyOutcome(reply.Id, session.Id, ReplyStatus.Error, "",
                ErrorCode: ErrorCodes.AttemptsExhausted,
                ErrorMessage: $"The reply was interrupted {job.Attempt - 1} times and was given up. Try regenerating it."), [], CancellationToken.None);
            return;
        }

        var cancel = cancellations.Register(reply.Id);
        try
        {
            if (!await lifecycle.StartAsync(reply.Id, handBack)) return; // Cancelled while queued.
            await GenerateAsync(db, reply, session, job, cancel.Token, handBack);
        }
        finally
        {
            cancellations.Unregister(reply.Id, cancel);
            cancel.Dispose();
        }
    }

    private async Task GenerateAsync(ParleyDb db, Message reply, ChatSession session, ClaimedJob job,
        CancellationToken cancel, CancellationToken handBack)
    {
        var lastSeq = await store.LastSeqAsync(reply.Id, handBack);
        await using var writer = new StreamEventWriter(reply.Id, lastSeq, dbs, live, streamingOptions.Value, logger);
        if (lastSeq > 0)
        {
            // Readers may have shown text from an earlier attempt; they drop it and take the new reply.
            await writer.AppendAsync(StreamEventKinds.Reset, StreamPayloads.Reset(job.Attempt > 1 ? "restarted" : "retry"));
        }

        var content = new StringBuilder();
        ReplyOutcome outcome;
        ModelEntry? model = null;
        ModelRequest? request = null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, handBack);
        try
        {
            model = models.Find(reply.Model ?? session.Model)
                ?? throw new ModelFailure(ErrorCodes.ModelUnavailable, $"The model '{reply.Model ?? session.Model}' is no longer configured on this server.");
            var persona = personas.Find(reply.PersonaId ?? session.PersonaId) ?? personas.Find(PersonaCatalog.DefaultId)!;
            var userMessage = await db.Messages.AsNoTracking().FirstAsync(m => m.Id == reply.ParentId, linked.Token);
            request = await contextBuilder.BuildAsync(db, reply, userMessage, session, persona, model, linked.Token);

            string? finish = null;
            UsageReport? usage = null;
            await foreach (var update in model.Client.StreamAsync(request, linked.Token))
            {
                switch (update)
                {
                    case TextDelta delta when delta.Text.Length > 0:
                        content.Append(delta.Text);
                        await writer.AppendAsync(StreamEventKinds.Delta, StreamPayloads.Delta(delta.Text));
                        break;
                    case UsageReport report:
                        usage = report;
                        break;
                    case FinishReport report:
                        finish = report.Reason;
                        break;
                }
            }
            outcome = new ReplyOutcome(reply.Id, session.Id, ReplyStatus.Complete, content.ToString(), finish ?? "stop",
                usage?.PromptTokens, usage?.CompletionTokens, Model: model.Id);
        }
        catch (OperationCanceledException) when (handBack.IsCancellationRequested && !cancel.IsCancellationRequested)
        {
            await lifecycle.HandBackAsync(reply.Id, await writer.StopAsync(), CancellationToken.None);
            logger.LogInformation("Handed reply {MessageId} back at shutdown", reply.Id);
            return;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            outcome = new ReplyOutcome(reply.Id, session.Id, ReplyStatus.Cancelled, content.ToString());
        }
        catch (ModelFailure failure)
        {
            outcome = new ReplyOutcome(reply.Id, session.Id, ReplyStatus.Error, content.ToString(),
                ErrorCode: failure.Code, ErrorMessage: failure.Message);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Reply {MessageId} failed", reply.Id);
            outcome = new ReplyOutcome(reply.Id, session.Id, ReplyStatus.Error, content.ToString(),
                ErrorCode: ErrorCodes.Internal, ErrorMessage: "The reply failed because of an internal error. Try again.");
        }

        var pending = await writer.StopAsync();
        if (!await lifecycle.FinishAsync(outcome, pending, CancellationToken.None))
        {
            logger.LogInformation("Reply {MessageId} was removed while it was generated", reply.Id);
            return;
        }

        if (outcome.Status == ReplyStatus.Complete && session.AutoTitle && model is not null && request is not null)
        {
            var firstExchange = request with { Messages = [new ChatTurn("user", request.LastUserMessage), new ChatTurn("assistant", outcome.Content)] };
            await titler.TitleAsync(session.Id, model, firstExchange, handBack);
        }
    }
}
