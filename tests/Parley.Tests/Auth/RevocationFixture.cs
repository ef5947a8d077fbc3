using Parley.Tests.Infrastructure;

namespace Parley.Tests.Auth;

// For tests of what a revoked credential ends: replies of about two seconds, so one is still running when its
// stream or socket is cut, and the app's first account, its admin, to disable the others.
public sealed class RevocationFixture : AppFixture
{
    public ParleyClient Admin { get; private set; } = null!;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Parley:Demo:TokensPerSecond"] = "40",
        ["Parley:Demo:ReplyTokens"] = "80",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Admin = await SignedInAsync();
    }

    public override async Task DisposeAsync()
    {
        Admin.Dispose();
        await base.DisposeAsync();
    }
}
