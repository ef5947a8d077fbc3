using System.Security.Claims;

namespace Parley.Server.Auth;

internal static class CurrentUser
{
    public const string AuthMethodClaim = "parley:auth";
    public const string AdminClaim = "parley:admin";
    public const string AdminPolicy = "admin";
    public const string ApiKeyClaim = "parley:key";
    // Present only when an administrator set the user's own daily token quota.
    public const string DailyTokenQuotaClaim = "parley:quota";
    public const string CookieMethod = "cookie";
    public const string KeyMethod = "key";

    public static string UserId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("The request is not authenticated.");

    // The API key that authenticated the request, or null for the session cookie.
    public static string? ApiKeyId(this ClaimsPrincipal user) => user.FindFirstValue(ApiKeyClaim);

    // The user's own daily token quota, or null for the configured default.
    public static long? DailyTokenQuota(this ClaimsPrincipal user) =>
        user.FindFirstValue(DailyTokenQuotaClaim) is { } quota ? long.Parse(quota, System.Globalization.CultureInfo.InvariantCulture) : null;

    public static bool IsCookieAuthenticated(this ClaimsPrincipal user) => user.FindFirstValue(AuthMethodClaim) == CookieMethod;
}
