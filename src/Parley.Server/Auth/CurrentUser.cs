using System.Security.Claims;

namespace Parley.Server.Auth;

internal static class CurrentUser
{
    public const string AuthMethodClaim = "parley:auth";
    public const string AdminClaim = "parley:admin";
    public const string AdminPolicy = "admin";
    public const string ApiKeyClaim = "parley:key";
    public const string CookieMethod = "cookie";
    public const string KeyMethod = "key";

    public static string UserId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("The request is not authenticated.");

    // The API key that authenticated the request, or null for the session cookie.
    public static string? ApiKeyId(this ClaimsPrincipal user) => user.FindFirstValue(ApiKeyClaim);

    public static bool IsCookieAuthenticated(this ClaimsPrincipal user) => user.FindFirstValue(AuthMethodClaim) == CookieMethod;
}
