using System.ComponentModel.DataAnnotations;

namespace Parley.Server.Auth;

internal sealed class AuthOptions
{
    public const string Section = "Parley:Auth";

    public bool OpenRegistration { get; set; } = true;

    // PBKDF2-SHA256 work factor (OWASP 2023 guidance). Lowered only in tests, never below 10,000.
    [Range(10_000, 10_000_000)]
    public int PasswordIterations { get; set; } = 600_000;

    [Range(1, 365)]
    public int SessionDays { get; set; } = 30;

    // Failed logins allowed per username and per client address within the window before throttling.
    [Range(1, 1000)]
    public int MaxFailedLogins { get; set; } = 5;

    [Range(1, 1440)]
    public int FailedLoginWindowMinutes { get; set; } = 15;

    // Extra origins (scheme://host:port) allowed to make cookie-authenticated writes, e.g. a separate UI host.
    public string[] AllowedOrigins { get; set; } = [];
}
