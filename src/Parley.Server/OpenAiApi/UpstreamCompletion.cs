using System.Buffers;
using System.Text.Json;
using Parley.Server.Providers;
using Parley.Server.Providers.OpenAi;

namespace Parley.Server.OpenAiApi;

// A non-streaming upstream call: the whole chat.completion is read (it is one JSON document, at most MaxBytes)
// and checked before anything is sent, so every failure can still be retried or fall back.
internal sealed record UpstreamCompletion(ReadOnlyMemory<byte> Json, ChunkFacts Facts)
{
    public const int MaxBytes = 16 * 1024 * 1024;

    public static async Task<UpstreamCompletion> CallAsync(RouteStep step, CompletionRequest request, ChunkRewriter rewriter, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(step.Provider.Options.TimeoutSeconds));
        using var response = await step.Provider.Client.PostAsync(UpstreamBody.For(step, request), timeout.Token, ct);
        var json = new ArrayBufferWriter<byte>(4096);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            while (true)
            {
                var read = await body.ReadAsync(json.GetMemory(16 * 1024), timeout.Token);
                if (read == 0) break;
                json.Advance(read);
                if (json.WrittenCount > MaxBytes) throw new UpstreamFailure(UpstreamFailureKind.Broken, "The provider's answer is larger than Parley accepts.");
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new UpstreamFailure(UpstreamFailureKind.Timeout, "The provider did not answer in time.");
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            throw new UpstreamFailure(UpstreamFailureKind.Broken, "The connection to the provider was lost during the reply.");
        }

        ChunkFacts facts;
        try
        {
            facts = rewriter.Inspect(json.WrittenSpan);
        }
        catch (JsonException)
        {
            throw new UpstreamFailure(UpstreamFailureKind.Broken, "The provider's answer is not valid JSON.");
        }
        if (facts.Kind == ChunkKind.Error) throw new UpstreamFailure(UpstreamFailureKind.Broken, "The provider answered with an error.");
        return new UpstreamCompletion(json.WrittenMemory, facts);
    }
}
