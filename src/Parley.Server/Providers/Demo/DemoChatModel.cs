using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Parley.Server.Generation;

namespace Parley.Server.Providers.Demo;

// The built-in offline model. It paces its tokens like a real model (time to first token, then a steady rate)
// so that streaming, cancel and resume behave as they would against a real upstream.
internal sealed class DemoChatModel(IOptionsMonitor<DemoOptions> options) : IChatModel
{
    public const string ModelId = "demo";

    public async IAsyncEnumerable<ModelUpdate> StreamAsync(ModelRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var tokens = DemoReplyComposer.Compose(request, settings.ReplyTokens);
        var truncated = request.MaxOutputTokens is { } max && max < tokens.Count;
        if (truncated) tokens = tokens.Take(request.MaxOutputTokens!.Value).ToList();

        await Task.Delay(settings.FirstTokenDelayMs, ct);
        var clock = Stopwatch.StartNew();
        var interval = TimeSpan.FromSeconds(1 / settings.TokensPerSecond);
        for (var i = 0; i < tokens.Count; i++)
        {
            // Tokens are scheduled against the clock, so high rates are not slowed by timer granularity.
            var due = interval * i;
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait, ct);
            ct.ThrowIfCancellationRequested();
            yield return new TextDelta(tokens[i]);
        }

        var prompt = request.Messages.Sum(m => TokenEstimator.EstimateMessage(m.Content));
        yield return new UsageReport(prompt, tokens.Count);
        yield return new FinishReport(truncated ? "length" : "stop");
    }

    public Task<string?> SuggestTitleAsync(ModelRequest request, CancellationToken ct) =>
        Task.FromResult<string?>(AutoTitle.FromMessage(request.LastUserMessage));
}
