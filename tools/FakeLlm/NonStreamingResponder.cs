using System.Text;

namespace FakeLlm;

// Without a stream there is nothing to break "after N tokens", so the stream-breaking
// directives map onto their closest whole-response equivalents.
internal sealed class NonStreamingResponder(
    HttpContext context,
    RequestEntry entry,
    Directives directives,
    Reply reply,
    CompletionIdentity identity)
{
    private readonly CancellationToken _aborted = context.RequestAborted;

    public async Task RunAsync()
    {
        // Simulate generation time: the whole reply is only ready once the last token would be.
        var generationMs = directives.TtftMs
            + (directives.Tps > 0 ? Math.Max(0, reply.CompletionTokens - 1) * 1000 / directives.Tps : 0);
        await DelayAsync(generationMs);

        switch (directives.Cut.Mode)
        {
            case CutMode.Reset:
                entry.MarkServerAborted();
                context.Abort();
                return;
            case CutMode.Stall:
                await DelayAsync(directives.StallMs);
                break;
            case CutMode.Malformed:
                context.Response.ContentType = "application/json";
                await context.Response.Body.WriteAsync(
                    Encoding.UTF8.GetBytes($"{{\"id\":\"{identity.Id}\",\"choices\":[{{\"message\":{{\"content\":"), _aborted);
                entry.Complete(StatusCodes.Status200OK);
                return;
            case CutMode.Error:
                await ErrorResponses.WriteAsync(context, StatusCodes.Status500InternalServerError, "upstream exploded");
                entry.Complete(StatusCodes.Status500InternalServerError);
                return;
        }

        var completion = OpenAiJson.Completion(
            identity,
            reply,
            directives.Reasoning ? string.Concat(StreamingResponder.ReasoningChunks) : null,
            includeUsage: !directives.NoUsage);
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(OpenAiJson.Serialize(completion)), _aborted);
        entry.AddTokens(reply.CompletionTokens);
        entry.Complete(StatusCodes.Status200OK);
    }

    private Task DelayAsync(int milliseconds) =>
        milliseconds > 0 ? Task.Delay(milliseconds, _aborted) : Task.CompletedTask;
}
