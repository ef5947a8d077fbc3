using System.Buffers;
using System.IO.Pipelines;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Parley.Server.Providers.OpenAi;

// One call to one OpenAI-compatible upstream, streamed, with the connect, time-to-first-token and idle
// timeouts of its provider. Failures surface as UpstreamFailure; cancellation disposes the response, which
// closes the connection, so the upstream sees the request aborted.
//
// Parley uses this small client instead of the official OpenAI SDK because compatible servers differ from
// OpenAI in ways the SDK's typed models hide or reject (reasoning_content, tool-call fragments without ids,
// usage-only chunks with empty choices), and because Parley needs the raw timing of every chunk for its timeouts.
internal sealed class OpenAiChatClient(string providerName, ProviderOptions options, HttpClient http)
{
    // An upstream's error text may echo the key it was sent; it is masked before Parley stores or shows it.
    private readonly Infrastructure.Logging.Redactor _redactor = new([options.ApiKey]);

    public string ProviderName { get; } = providerName;
    public ProviderOptions Options { get; } = options;

    private Uri Endpoint => new(Options.BaseUrl.TrimEnd('/') + "/chat/completions");

    public async IAsyncEnumerable<ModelUpdate> StreamAsync(string model, ModelRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        using var whole = CancellationTokenSource.CreateLinkedTokenSource(ct);
        whole.CancelAfter(TimeSpan.FromSeconds(Options.TimeoutSeconds));
        using var phase = new CancellationTokenSource(TimeSpan.FromSeconds(Options.FirstTokenTimeoutSeconds));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(whole.Token, phase.Token);

        var body = OpenAiRequestBody.Build(model, request, stream: true, Options.RequestUsage, withTools: Options.SupportsTools);
        using var response = await PostAsync(body, linked.Token, ct);
        var reader = PipeReader.Create(await response.Content.ReadAsStreamAsync(linked.Token), UpstreamReading.Options);
        var parser = new ChunkParser();
        var updates = new List<ModelUpdate>(4);
        var started = false;
        try
        {
            while (true)
            {
                ReadResult read;
                try
                {
                    read = await reader.ReadAsync(linked.Token);
                }
                catch (Exception ex) when (ReadFailure(ex, started, ct) is { } failure)
                {
                    throw failure;
                }
                var buffer = read.Buffer;
                var done = false;
                UpstreamFailure? broken = null;
                try
                {
                    while (!done && SseLines.TryRead(ref buffer, out var line)) done = ParseLine(parser, line, updates);
                    // The stream may end on a last line without its newline.
                    if (!done && read.IsCompleted && !buffer.IsEmpty) done = ParseLine(parser, buffer, updates);
                }
                catch (UpstreamFailure failure)
                {
                    // What came before the bad line in the same read is still the reply's.
                    broken = failure;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);

                foreach (var update in updates)
                {
                    if (update is TextDelta) started = true;
                    yield return update;
                }
                updates.Clear();
                if (broken is not null) throw broken;
                if (done) break;
                if (read.IsCompleted)
                {
                    // A clean end without [DONE] is accepted once the model said it finished; otherwise the stream broke.
                    if (!parser.Finished) throw new UpstreamFailure(UpstreamFailureKind.Broken, "The provider's stream ended before the reply was complete.");
                    break;
                }
                if (started || parser.HasToolCalls)
                {
                    started = true;
                    phase.CancelAfter(TimeSpan.FromSeconds(Options.IdleTimeoutSeconds));
                }
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }

        foreach (var update in parser.Complete()) yield return update;
    }

    public async Task<string?> CompleteTextAsync(string model, ModelRequest request, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(Options.FirstTokenTimeoutSeconds));
        var body = OpenAiRequestBody.Build(model, request, stream: false, requestUsage: false, withTools: false);
        using var response = await PostAsync(body, timeout.Token, ct);
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(timeout.Token), cancellationToken: timeout.Token);
        var choices = document.RootElement.GetProperty("choices");
        return choices.GetArrayLength() == 0 ? null : choices[0].GetProperty("message").GetProperty("content").GetString();
    }

    // Posts a Chat Completions body and returns the response once its headers are in. A refusal, a timeout
    // (token) or a connection failure is thrown as UpstreamFailure; a cancel by the caller (callerToken) as itself.
    public async Task<HttpResponseMessage> PostAsync(System.Text.Json.Nodes.JsonObject body, CancellationToken token, CancellationToken callerToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = OpenAiRequestBody.ToContent(body) };
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (!string.IsNullOrEmpty(Options.ApiKey)) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.ApiKey);

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, token);
        }
        catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
        {
            throw new UpstreamFailure(UpstreamFailureKind.Timeout, "The provider did not answer in time.");
        }
        catch (HttpRequestException ex)
        {
            throw new UpstreamFailure(UpstreamFailureKind.Connect, $"Could not reach the provider: {ex.HttpRequestError}.");
        }

        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var (code, text) = await ReadErrorAsync(response, token);
            var retryAfter = RetryAfterOf(response);
            throw UpstreamFailure.FromStatus((int)response.StatusCode, code, text is null ? null : _redactor.Redact(text), retryAfter);
        }
    }

    // What a failed read of the stream means for the reply, or null for the caller's own cancel.
    private static UpstreamFailure? ReadFailure(Exception ex, bool started, CancellationToken callerToken) => ex switch
    {
        OperationCanceledException when !callerToken.IsCancellationRequested => new UpstreamFailure(UpstreamFailureKind.Timeout,
            started ? "The provider stopped sending in the middle of the reply." : "The provider sent no first token in time."),
        IOException or HttpRequestException => new UpstreamFailure(UpstreamFailureKind.Broken, "The connection to the provider was lost during the reply."),
        _ => null,
    };

    // Parses one SSE line into updates. Returns true at [DONE].
    private static bool ParseLine(ChunkParser parser, in ReadOnlySequence<byte> line, List<ModelUpdate> updates)
    {
        byte[]? rented = null;
        try
        {
            if (!SseLines.TryGetData(SseLines.Contiguous(line, ref rented), out var data)) return false;
            if (data.Span.SequenceEqual("[DONE]"u8)) return true;
            parser.Parse(data, updates);
            return false;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static async Task<(string? Code, string? Message)> ReadErrorAsync(HttpResponseMessage response, CancellationToken token)
    {
        try
        {
            // At most 64 KiB of an error body is read: an upstream cannot make Parley buffer an unbounded answer.
            await using var body = await response.Content.ReadAsStreamAsync(token);
            var buffer = new byte[64 * 1024];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), token)) > 0) length += read;
            if (length == 0 || length == buffer.Length) return (null, null);
            using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
            if (document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                var code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                code ??= error.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                return (code, message);
            }
        }
        catch (Exception ex) when (ex is JsonException or IOException or HttpRequestException or OperationCanceledException)
        {
        }
        return (null, null);
    }

    private static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        return null;
    }
}
