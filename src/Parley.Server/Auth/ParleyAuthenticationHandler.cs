using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Parley.Server.Infrastructure;
using Parley.Server.Storage;

namespace Parley.Server.Auth;

// One scheme for both credentials: "Authorization: Bearer <api key>" for programs, the HttpOnly session cookie
// for the browser. Both are opaque random tokens looked up by hash, so a logout or a key deletion takes
// effect at once on every node.
internal sealed class ParleyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ParleyDb db,
    TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Parley";
    public const string CookieName = "parley_session";

    // Key use is recorded at most this often, so authentication does not write on every request.
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var authorization = Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var hash = Secrets.HashToken(authorization["Bearer ".Length..].Trim());
            var key = await db.ApiKeys.AsNoTracking()
                .Where(k => k.KeyHash == hash)
                .Select(k => new { k.Id, k.UserId, k.LastUsedAt })
                .FirstOrDefaultAsync(Context.RequestAborted);
            if (key is null) return AuthenticateResult.Fail("Unknown API key.");
            if (key.LastUsedAt is null || now - key.LastUsedAt > LastUsedResolution)
            {
                await db.ApiKeys.Where(k => k.Id == key.Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), Context.RequestAborted);
            }
            return await SucceedAsync(key.UserId, CurrentUser.KeyMethod, key.Id);
        }

        if (Request.Cookies.TryGetValue(CookieName, out var token) && !string.IsNullOrEmpty(token))
        {
            var hash = Secrets.HashToken(token);
            var userId = await db.LoginSessions.AsNoTracking()
                .Where(s => s.TokenHash == hash && s.ExpiresAt > now)
                .Select(s => s.UserId)
                .FirstOrDefaultAsync(Context.RequestAborted);
            return userId is null ? AuthenticateResult.Fail("Expired or unknown session.") : await SucceedAsync(userId, CurrentUser.CookieMethod, apiKeyId: null);
        }

        return AuthenticateResult.NoResult();
    }

    private async Task<AuthenticateResult> SucceedAsync(string userId, string method, string? apiKeyId)
    {
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.Id, u.Username, u.IsAdmin, u.Disabled })
            .FirstOrDefaultAsync(Context.RequestAborted);
        if (user is null) return AuthenticateResult.Fail("The account no longer exists.");
        // Checked on every request, so disabling an account stops its cookies and keys at once, on every node.
        if (user.Disabled) return AuthenticateResult.Fail("The account is disabled.");
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, user.Id),
            new Claim(ClaimTypes.Name, user.Username),
            new Claim(CurrentUser.AuthMethodClaim, method),
            new Claim(CurrentUser.AdminClaim, user.IsAdmin ? "true" : "false"),
        ], SchemeName);
        if (apiKeyId is not null) identity.AddClaim(new Claim(CurrentUser.ApiKeyClaim, apiKeyId));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status401Unauthorized, "Unauthorized",
            "Sign in, or send 'Authorization: Bearer <api key>'.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden", "You may not do this.");

    private Task WriteProblemAsync(int status, string title, string detail) => ErrorHandling.WriteErrorAsync(Context, status, title, detail);
}
