using System.ComponentModel.DataAnnotations;

namespace Parley.Server.Infrastructure;

internal sealed class LimitsOptions
{
    public const string Section = "Parley:Limits";

    [Range(1, 1_000_000)]
    public int MaxMessageChars { get; set; } = 32_000;

    [Range(0, 1_000_000)]
    public int MaxSystemPromptChars { get; set; } = 16_000;
}
