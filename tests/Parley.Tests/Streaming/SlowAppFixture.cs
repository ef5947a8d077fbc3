using Parley.Tests.Infrastructure;

namespace Parley.Tests.Streaming;

// Replies slow enough (about 4 s each) to disconnect, resume and cancel in the middle of them.
public sealed class SlowAppFixture : AppFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Parley:Demo:FirstTokenDelayMs"] = "100",
        ["Parley:Demo:TokensPerSecond"] = "40",
        ["Parley:Demo:ReplyTokens"] = "150",
    };
}
