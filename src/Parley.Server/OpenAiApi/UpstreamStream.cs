using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Server.Providers;
using Parley.Server.Providers.OpenAi;

namespace Parley.Server.OpenAiApi;

// One streamed upstream call relayed to a /v1 client, line by line, as bytes. OpenAsync reads up to the first
// chunk, so every failure before it can still be retried or fall back; RelayAsync then forwards the rest as it
// arrives, one flush per network read. Nothing is buffered beyond the read in hand.
internal sealed class UpstreamStream : IAsyncDisposable
{
    private static ReadOnlySpan<byte> Done => "[DONE]"u8;

    private readonly HttpResponseMessage _response;
    private readonly PipeReader _reader;
    private readonly ChunkRewriter _rewriter;
    private readonly bool _clientWantsUsage;
    private readonly ProviderOptions _options;
    private readonly CancellationTokenSource _whole;
    private readonly CancellationTokenSource _phase;
    private readonly CancellationTokenSource _reads;
    private readonly ArrayBufferWriter<byte> _beforeStart = new(1024);
    private readonly int _promptEstimate;
    private bool _started;
    private bool _finished;
    private bool _done;
    private bool _usageSent;
    private bool _upstreamSentError;

    private UpstreamStream(HttpResponseMessage response, Stream body, ChunkRewriter rewriter, bool clientWantsUsage, int promptEstimate,
        ProviderOptions options, CancellationTokenSource whole, CancellationTokenSource phase)
    {
        _promptEstimate = promptEstimate;
        _response = response;
        _reader = PipeReader.Create(body, UpstreamReading.Options);
        _rewriter = rewriter;
        _clientWantsUsage = clientWantsUsage;
        _options = options;
        _whole = whole;
        _phase = phase;
        _reads = CancellationTokenSource.CreateLinkedTokenSource(whole.Token, phase.Token);
    }

    public int? PromptTokens { get; private set; }

    public int? CompletionTokens { get; private set; }

    // What the upstream reported, or Parley's estimate where it reported nothing.
    public (int Prompt, int Completion) Usage => (PromptTokens ?? _promptEstimate, CompletionTokens ?? _rewriter.Text.Tokens);

    public static async Task<UpstreamStream> OpenAsync(RouteStep step, CompletionRequest request, ChunkRewriter rewriter, CancellationToken ct)
    {
        var options = step.Provider.Options;
        var whole = CancellationTokenSource.CreateLinkedTokenSource(ct);
        whole.CancelAfter(TimeSpan.FromSeconds(options.TimeoutSeconds));
        var phase = new CancellationTokenSource(TimeSpan.FromSeconds(options.FirstTokenTimeoutSeconds));
        UpstreamStream? stream = null;
        try
        {
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(whole.Token, phase.Token))
            {
                var response = await step.Provider.Client.PostAsync(UpstreamBody.For(step, request), linked.Token, ct);
                Stream content;
                try
                {
                    content = await response.Content.ReadAsStreamAsync(linked.Token);
                }
                catch
                {
                    response.Dispose();
                    throw;
                }
                stream = new UpstreamStream(response, content, rewriter, request.IncludeUsage, request.PromptEstimate, options, whole, phase);
            }
            await stream.PumpAsync(stream._beforeStart, flushTo: null, ct);
            if (!stream._started) throw new UpstreamFailure(UpstreamFailureKind.Broken, "The provider's stream ended before the reply began.");
            return stream;
        }
        catch
        {
            if (stream is not null) await stream.DisposeAsync();
            else
            {
                whole.Dispose();
                phase.Dispose();
            }
            throw;
        }
    }

    // Streams the rest to the client. Returns null when the reply completed (and [DONE] was sent), or the failure
    // that ended it, which has been sent as one error event; a client that went away ends it with cancellation.
    public async Task<UpstreamFailure?> RelayAsync(PipeWriter output, CancellationToken ct)
    {
        output.Write(_beforeStart.WrittenSpan);
        await output.FlushAsync(ct);
        UpstreamFailure? failure = null;
        try
        {
            await PumpAsync(output, output, ct);
            if (!_done && !_finished)
            {
                failure = new UpstreamFailure(UpstreamFailureKind.Broken, "The provider's stream ended before the reply was complete.");
            }
        }
        catch (UpstreamFailure ex)
        {
            failure = ex;
        }

        if (failure is null)
        {
            if (_clientWantsUsage && !_usageSent) WriteEstimatedUsage(output);
            output.Write("data: [DONE]\n\n"u8);
        }
        else if (!_upstreamSentError)
        {
            RelayJson.WriteEvent(output, OpenAiError.FromUpstream(failure).ToJson());
        }
        await output.FlushAsync(ct);
        return failure;
    }

    // Reads and handles lines until the stream ends, or, before the start, until the first chunk is in hand.
    private async Task PumpAsync(IBufferWriter<byte> output, PipeWriter? flushTo, CancellationToken ct)
    {
        while (true)
        {
            ReadResult read;
            try
            {
                read = await _reader.ReadAsync(_reads.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new UpstreamFailure(UpstreamFailureKind.Timeout, _started
                    ? "The provider stopped sending in the middle of the reply."
                    : "The provider sent no first token in time.");
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                throw new UpstreamFailure(UpstreamFailureKind.Broken, "The connection to the provider was lost during the reply.");
            }

            var buffer = read.Buffer;
            var stop = false;
            while (!stop && SseLines.TryRead(ref buffer, out var line))
            {
                stop = HandleLine(line, output) || (flushTo is null && _started);
            }
            if (stop)
            {
                _reader.AdvanceTo(buffer.Start, buffer.Start);
            }
            else
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
            }
            if (flushTo is not null) await flushTo.FlushAsync(ct);
            if (stop || read.IsCompleted) return;
            if (_started) _phase.CancelAfter(TimeSpan.FromSeconds(_options.IdleTimeoutSeconds));
        }
    }

    // Handles one SSE line. Returns true when the stream is over: [DONE], an upstream error, or a broken chunk.
    private bool HandleLine(in ReadOnlySequence<byte> sequence, IBufferWriter<byte> output)
    {
        byte[]? rented = null;
        try
        {
            if (!SseLines.TryGetData(SseLines.Contiguous(sequence, ref rented), out var data)) return false;
            if (data.Span.SequenceEqual(Done))
            {
                _done = true;
                return true;
            }
            return HandleData(data.Span, output);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private bool HandleData(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        ChunkFacts facts;
        try
        {
            facts = _rewriter.Inspect(data);
        }
        catch (JsonException)
        {
            throw new UpstreamFailure(UpstreamFailureKind.Broken, "The provider sent a chunk that is not valid JSON.");
        }

        if (facts.PromptTokens is not null)
        {
            PromptTokens = facts.PromptTokens;
            CompletionTokens = facts.CompletionTokens;
        }
        switch (facts.Kind)
        {
            case ChunkKind.Error when !_started:
                throw new UpstreamFailure(UpstreamFailureKind.Broken, "The provider reported an error before the reply began.");
            case ChunkKind.Error:
                // Already in OpenAI's shape: relayed as it is, and the stream ends without [DONE].
                _upstreamSentError = true;
                RelayJson.WriteEvent(output, data);
                throw new UpstreamFailure(UpstreamFailureKind.Broken, "The provider reported an error during the reply.");
            case ChunkKind.UsageOnly:
                if (!_clientWantsUsage) return false;
                _usageSent = true;
                break;
            default:
                _started = true;
                _finished |= facts.Finished;
                break;
        }
        output.Write("data: "u8);
        _rewriter.Write(data, facts, output);
        output.Write("\n\n"u8);
        return false;
    }

    private void WriteEstimatedUsage(IBufferWriter<byte> output)
    {
        // The client asked for usage and the upstream sent none: Parley's estimate stands in.
        var chunk = new JsonObject
        {
            ["id"] = "",
            ["object"] = "chat.completion.chunk",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = "",
            ["choices"] = new JsonArray(),
            ["usage"] = UsageJson.Of(Usage.Prompt, Usage.Completion),
        };
        var json = JsonSerializer.SerializeToUtf8Bytes(chunk, RelayJson.Options);
        output.Write("data: "u8);
        _rewriter.Write(json, _rewriter.Inspect(json), output);
        output.Write("\n\n"u8);
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        // Disposing the response closes the connection, so an abandoned call is aborted upstream too.
        _response.Dispose();
        _reads.Dispose();
        _phase.Dispose();
        _whole.Dispose();
    }
}
