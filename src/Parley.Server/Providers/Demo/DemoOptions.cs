using System.ComponentModel.DataAnnotations;

namespace Parley.Server.Providers.Demo;

internal sealed class DemoOptions
{
    public const string Section = "Parley:Demo";

    public bool Enabled { get; set; } = true;

    [Range(0, 60_000)]
    public int FirstTokenDelayMs { get; set; } = 300;

    [Range(1, 100_000)]
    public double TokensPerSecond { get; set; } = 30;

    [Range(1, 100_000)]
    public int ReplyTokens { get; set; } = 60;

    [Range(512, 10_000_000)]
    public int ContextWindow { get; set; } = 8192;
}
