using Parley.Tests.Infrastructure;

namespace Parley.Tests.Messages;

// Replies that take about ten seconds (200 tokens at 20/s), so a test can act while one is generating. Tests
// that start a slow reply cancel it when they are done, so it does not hold the worker after them.
public sealed class SlowReplyFixture : AppFixture
{
    public static readonly IReadOnlyDictionary<string, string?> SlowSettings = new Dictionary<string, string?>
    {
        ["Parley:Demo:FirstTokenDelayMs"] = "50",
        ["Parley:Demo:TokensPerSecond"] = "20",
        ["Parley:Demo:ReplyTokens"] = "200",
    };

    // Slow replies on a worker with one slot: while one reply generates, the next waits in the queue.
    public static Dictionary<string, string?> OneSlotSettings() =>
        new(SlowSettings) { ["Parley:Generation:MaxConcurrentReplies"] = "1" };

    protected override IReadOnlyDictionary<string, string?> Settings => SlowSettings;
}
