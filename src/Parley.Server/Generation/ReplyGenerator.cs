using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Parley.Server.Infrastructure;
using Parley.Server.Personas;
using Parley.Server.Providers;
using Parley.Server.Storage;
using Parley.Server.Streaming;
using Parley.Server.Tools;

namespace Parley.Server.Generation;

// A reply as its generator starts from: its row, its session, the user message it answers and the last event an
// earlier attempt stored (0 for a first attempt).
internal sealed record LoadedReply(Message Reply, ChatSession Session, Message? UserMessage, long LastSeq);

// Generates one claimed reply: builds the prompt, streams the model's tokens into the event log (running
// server-side tools between steps), and ends the reply through ReplyLifecycle. It runs in the worker, never
// in an HTTP request, so no client can stop it by leaving; only a cancel does, or the end of the shutdown
// grace period, which hands the reply back to be redone.
internal sealed class ReplyGenerator(
    IDbContextFactory<ParleyDb> dbs,
    EventFlusher flusher,
    ReplyLifecycle lifecycle,
    ReplyCancellations cancellations,
    ContextBuilder contextBuilder,
    ModelCatalog models,
    PersonaCatalog personas,
    ToolRegistry tools,
    StreamEventStore store,
    SessionTitler titler,
    ParleyMetrics metrics,
    IOptions<GenerationOptions> generationOptions,
    IOptions<ToolsOptions> toolsOptions,
    ILogger<ReplyGenerator> logger)
{
    public async Task RunAsync(ClaimedJob job, CancellationToken handBack)
    {
        var loaded = job.Loaded ?? await LoadAsync(job.MessageId, handBack);
        if (loaded is null) return; // Deleted with its session; the job row went with it.
        var (reply, session) = (loaded.Reply, loaded.Session);

        if (job.Attempt > generationOptions.Value.MaxAttempts)
        {
            var content = await store.ContentSoFarAsync(reply.Id, CancellationToken.None);
            await lifecycle.FinishAsync(new ReplyOutcome(reply.Id, session.Id, ReplyStatus.Error, content,
                ErrorCode: ErrorCodes.AttemptsExhausted,
                ErrorMessage: $"The reply was interrupted {job.Attempt - 1} times and was given up. Try regenerating it."), [], CancellationToken.None,
                lease: job.Lease);
            metrics.ReplyFinished(ReplyStatus.Error, ErrorCodes.AttemptsExhausted);
            return;
        }

        var cancel = cancellations.Register(reply.Id);
        try
        {
            if (!await lifecycle.StartAsync(job, handBack)) return; // Cancelled while queued, or taken over.
            metrics.ReplyStarted(reply.Model ?? session.Model);
            await GenerateAsync(reply, session, loaded.UserMessage, loaded.LastSeq, job, cancel.Token, handBack);
        }
        finally
        {
            cancellations.Unregister(reply.Id, cancel);
            cancel.Dispose();
        }
    }

    // The reply, its session, the user message it answers and the last event an earlier attempt stored, in one read,
    // on a context leased for the read alone (ContextBuilder says why).
    private async Task<LoadedReply?> LoadAsync(string messageId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await (
            from r in db.Messages.AsNoTracking()
            where r.Id == messageId
            join s in db.Sessions.AsNoTracking() on r.SessionId equals s.Id
            join p in db.Messages.AsNoTracking() on r.ParentId equals p.Id into parents
            from p in parents.DefaultIfEmpty()
            select new LoadedReply(r, s, p, db.StreamEvents.Where(e => e.MessageId == r.Id).Max(e => (long?)e.Seq) ?? 0))
            .FirstOrDefaultAsync(ct);
    }

    private async Task GenerateAsync(Message reply, ChatSession session, Message? userMessage, long lastSeq, ClaimedJob job,
        CancellationToken cancel, CancellationToken handBack)
    {
        await using var writer = new StreamEventWriter(reply.Id, lastSeq, flusher, job.Lease);
        if (lastSeq > 0)
        {
            // An earlier attempt was cut off (a crash, or a hand-back at shutdown). Readers may have shown its
            // text; they drop it and take the new reply.
            await writer.AppendAsync(StreamEventKinds.Reset, StreamPayloads.Reset("restarted"));
        }

        var run = new ReplyRun();
        ReplyOutcome outcome;
        ModelEntry? model = null;
        ModelRequest? request = null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, handBack);
        try
        {
            model = models.Find(reply.Model ?? session.Model)
                ?? throw new ModelFailure(ErrorCodes.ModelUnavailable, $"The model '{reply.Model ?? session.Model}' is no longer configured on this server.");
            var persona = personas.Find(reply.PersonaId ?? session.PersonaId) ?? personas.Find(PersonaCatalog.DefaultId)!;
            if (userMessage is null) throw new InvalidOperationException($"Reply {reply.Id} answers no stored user message.");
            request = await contextBuilder.BuildAsync(reply, userMessage, session, persona, model, linked.Token);
            await StreamWithToolsAsync(model, request, run, writer, linked.Token);
            outcome = run.Outcome(reply.Id, session.Id, ReplyStatus.Complete, model.Id);
        }
        catch (OperationCanceledException) when (handBack.IsCancellationRequested && !cancel.IsCancellationRequested)
        {
            await lifecycle.HandBackAsync(job.Lease, await writer.StopAsync(), CancellationToken.None);
            logger.LogInformation("Handed reply {MessageId} back at shutdown", reply.Id);
            return;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            outcome = run.Outcome(reply.Id, session.Id, ReplyStatus.Cancelled, model?.Id);
        }
        catch (ModelFailure failure)
        {
            outcome = run.Outcome(reply.Id, session.Id, ReplyStatus.Error, model?.Id) with { ErrorCode = failure.Code, ErrorMessage = failure.Message };
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Reply {MessageId} failed", reply.Id);
            outcome = run.Outcome(reply.Id, session.Id, ReplyStatus.Error, model?.Id) with
            {
                ErrorCode = ErrorCodes.Internal, ErrorMessage = "The reply failed because of an internal error. Try again.",
            };
        }

        var pending = await writer.StopAsync();
        if (!await lifecycle.FinishAsync(outcome, pending, CancellationToken.None, lease: job.Lease))
        {
            logger.LogInformation("Reply {MessageId} was removed, or taken over by another node, while it was generated", reply.Id);
            return;
        }
        metrics.ReplyFinished(outcome.Status, outcome.ErrorCode);
        run.RecordThroughput(metrics);

        if (outcome.Status == ReplyStatus.Complete && session.AutoTitle && model is not null && request is not null)
        {
            var firstExchange = request with { Messages = [new ChatTurn("user", request.LastUserMessage), new ChatTurn("assistant", outcome.Content)] };
            await titler.TitleAsync(session.Id, model, firstExchange, handBack);
        }
    }

    // SPEC §8: stream; if the model calls tools, run them, feed the results back and stream again, at most
    // MaxSteps model calls in all.
    private async Task StreamWithToolsAsync(ModelEntry model, ModelRequest request, ReplyRun run, StreamEventWriter writer, CancellationToken ct)
    {
        var turns = request.Messages.ToList();
        var offered = tools.Definitions.Count > 0 ? tools.Definitions : null;
        var maxSteps = toolsOptions.Value.MaxSteps;
        for (var step = 1; step <= maxSteps; step++)
        {
            IReadOnlyList<ToolCallRequest>? calls = null;
            // This call's own text is the end of the reply's, not a copy that every running reply would carry.
            var stepStart = run.ContentLength;
            await foreach (var update in model.Client.StreamAsync(request with { Messages = turns, Tools = offered }, ct))
            {
                switch (update)
                {
                    case TextDelta delta when delta.Text.Length > 0:
                        run.Text(delta.Text, metrics);
                        await writer.AppendAsync(StreamEventKinds.Delta, StreamPayloads.Delta(delta.Text));
                        break;
                    case UsageReport usage:
                        run.Usage(usage);
                        break;
                    case FinishReport finish:
                        run.FinishReason = finish.Reason;
                        break;
                    case ToolCallsReport report:
                        calls = report.Calls;
                        break;
                    case AnsweredBy answered:
                        run.AnsweredBy = answered.Model;
                        break;
                }
            }
            if (calls is not { Count: > 0 }) return;
            if (step == maxSteps)
            {
                run.FinishReason = "tool_calls";
                return;
            }

            turns.Add(new ChatTurn("assistant", run.ContentFrom(stepStart), calls));
            foreach (var call in calls)
            {
                var record = await tools.RunAsync(call, ct);
                run.Tools.Add(record);
                await writer.AppendAsync(StreamEventKinds.Tool, StreamPayloads.Serialize(new
                {
                    call = new { id = record.Id, name = record.Name, arguments = record.Arguments },
                    result = record.Result,
                    error = record.Error,
                }));
                turns.Add(new ChatTurn("tool", record.Result ?? $"Error: {record.Error}", ToolCallId: record.Id));
            }
        }
    }

    // What one reply has produced so far, across all of its model calls.
    private sealed class ReplyRun
    {
        private readonly StringBuilder _content = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan? _firstToken;
        private int _deltas;
        private int? _prompt;
        private int? _completion;

        public string? FinishReason { get; set; }
        public string? AnsweredBy { get; set; }
        public List<ToolCallRecord> Tools { get; } = [];

        public void Text(string text, ParleyMetrics metrics)
        {
            if (_firstToken is null)
            {
                _firstToken = _clock.Elapsed;
                metrics.FirstToken(_firstToken.Value);
            }
            _deltas++;
            _content.Append(text);
        }

        public int ContentLength => _content.Length;

        public string ContentFrom(int start) => _content.ToString(start, _content.Length - start);

        public void Usage(UsageReport usage)
        {
            _prompt = (_prompt ?? 0) + usage.PromptTokens;
            _completion = (_completion ?? 0) + usage.CompletionTokens;
        }

        public void RecordThroughput(ParleyMetrics metrics)
        {
            if (_firstToken is { } first) metrics.Throughput(_completion ?? _deltas, _clock.Elapsed - first);
        }

        public ReplyOutcome Outcome(string messageId, string sessionId, string status, string? model) => new(
            messageId, sessionId, status, _content.ToString(),
            status == ReplyStatus.Complete ? FinishReason ?? "stop" : null,
            _prompt, _completion,
            Model: AnsweredBy ?? model,
            ToolCalls: Tools.Count == 0 ? null : JsonSerializer.Serialize(Tools, StreamPayloadsJson.Options));
    }
}
