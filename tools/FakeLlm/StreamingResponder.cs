using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;

namespace FakeLlm;

internal sealed class StreamingResponder(
    HttpContext context,
    RequestEntry entry,
    ChatRequest request,
    Directives directives,
    Reply reply,
    CompletionIdentity identity)
{
    public static readonly string[] ReasoningChunks = ["Thinking about ", "the request."];

    // Deliberately cut mid-object: the client must treat it as a protocol error, not a token.
    private static readonly ReadOnlyMemory<byte> MalformedEvent = "data: {\"choices\":[{\"delta\":{\"content\":\n\n"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Done = "data: [DONE]\n\n"u8.ToArray();

    private readonly CancellationToken _aborted = context.RequestAborted;
    private SseWriter _sse = null!;

    public async Task RunAsync()
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        // Headers go out at once so ttft_ms is measurable apart from header_delay_ms.
        await context.Response.StartAsync(_aborted);
        await context.Response.Body.FlushAsync(_aborted);
        _sse = new SseWriter(context.Response.Body, directives.SplitUtf8, directives.SplitDelayMs, _aborted);

        await DelayAsync(directives.TtftMs);
        await WriteChunkAsync(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null);
        if (directives.Reasoning)
        {
            foreach (var thought in ReasoningChunks)
            {
                await WriteChunkAsync(new JsonObject { ["reasoning_content"] = thought }, null);
            }
        }

        var pieces = Pieces();
        var total = pieces.Sum(p => p.Tokens);
        var (mode, after) = directives.Cut;
        var cutAt = mode == CutMode.None ? -1 : Math.Min(after, total);
        // A stream that is about to break never announces a finish; a stall resumes, so it may.
        var finishAllowed = mode is CutMode.None or CutMode.Stall || cutAt < total;
        var finishSent = false;
        var sent = 0;

        for (var i = 0; i < pieces.Count; i++)
        {
            if (sent == cutAt && await CutAsync(mode))
            {
                return;
            }

            if (i > 0 && directives.Tps > 0)
            {
                await DelayAsync(pieces[i].Tokens * 1000 / directives.Tps);
            }

            var finish = reply.ToolCall is null && i == pieces.Count - 1 && finishAllowed ? reply.FinishReason : null;
            await WritePieceAsync(pieces[i], finish);
            finishSent |= finish is not null;
            sent += pieces[i].Tokens;
            entry.AddTokens(pieces[i].Tokens);
        }

        if (sent == cutAt && await CutAsync(mode))
        {
            return;
        }

        if (!finishSent)
        {
            await WriteChunkAsync(new JsonObject(), reply.FinishReason);
        }

        if (request.IncludeUsage && !directives.NoUsage)
        {
            OpenAiJson.WriteUsageChunk(_sse.BeginData(), identity, reply);
            await _sse.WriteDataAsync();
        }

        await _sse.WriteRawAsync(Done);
        entry.Complete(StatusCodes.Status200OK);
    }

    // Returns true when the response is over (the stream was broken on purpose).
    private async Task<bool> CutAsync(CutMode mode)
    {
        switch (mode)
        {
            case CutMode.Reset:
                entry.MarkServerAborted();
                context.Abort();
                return true;
            case CutMode.Stall:
                await DelayAsync(directives.StallMs);
                return false;
            case CutMode.Malformed:
                await _sse.WriteRawAsync(MalformedEvent);
                entry.Complete(StatusCodes.Status200OK);
                return true;
            case CutMode.Error:
                OpenAiJson.Write(_sse.BeginData(), OpenAiJson.Error("upstream exploded", "server_error", "server_error"));
                await _sse.WriteDataAsync();
                entry.Complete(StatusCodes.Status200OK);
                return true;
            default:
                return false;
        }
    }

    // Text is grouped chunk= tokens at a time; a tool call streams one argument fragment per chunk.
    // Groups never straddle the cut point so *_after=N breaks after exactly N tokens.
    // A text piece is only a range of the reply's tokens: its text is put together when it is sent, so a stream
    // holds no JSON tree per chunk for its whole life (under the bench those trees, 100 per stream, lived long
    // enough to be promoted, and FakeLlm's own gen1 collections then stalled every stream of the floor).
    private List<Piece> Pieces()
    {
        var pieces = new List<Piece>();
        if (reply.ToolCall is { } call)
        {
            // Any text first, a token at a time, then the call.
            for (var i = 0; i < reply.Tokens.Count; i++)
            {
                pieces.Add(new Piece(i, i + 1, null));
            }

            for (var i = 0; i < call.Fragments.Count; i++)
            {
                pieces.Add(new Piece(0, 1, OpenAiJson.ToolCallDelta(call, i)));
            }

            return pieces;
        }

        var (mode, cutAt) = directives.Cut;
        var start = 0;
        while (start < reply.Tokens.Count)
        {
            var end = Math.Min(start + directives.Chunk, reply.Tokens.Count);
            if (mode != CutMode.None && start < cutAt && end > cutAt)
            {
                end = cutAt;
            }

            pieces.Add(new Piece(start, end, null));
            start = end;
        }

        return pieces;
    }

    private Task WritePieceAsync(Piece piece, string? finishReason)
    {
        if (piece.Delta is { } delta)
        {
            return WriteChunkAsync(delta, finishReason);
        }

        var text = piece.Tokens == 1 ? reply.Tokens[piece.Start] : string.Concat(reply.Tokens.Skip(piece.Start).Take(piece.Tokens));
        OpenAiJson.WriteTextChunk(_sse.BeginData(), identity, text, finishReason);
        return _sse.WriteDataAsync();
    }

    private Task WriteChunkAsync(JsonObject delta, string? finishReason)
    {
        OpenAiJson.WriteChunk(_sse.BeginData(), identity, delta, finishReason);
        return _sse.WriteDataAsync();
    }

    private Task DelayAsync(int milliseconds) =>
        milliseconds > 0 ? Task.Delay(milliseconds, _aborted) : Task.CompletedTask;

    // Tokens [Start, End) of the reply's text, or one prepared delta (a tool call's fragment).
    private readonly record struct Piece(int Start, int End, JsonObject? Delta)
    {
        public int Tokens => End - Start;
    }
}
