using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Parley.Server.Infrastructure;

namespace Parley.Server.Auth;

// One scheme for both credentials: "Authorization: Bearer <api key>" for programs, the HttpOnly session cookie
// for the browser. Both are opaque random tokens looked up by hash, and the account behind each is kept in
// CredentialCache, so a request reads nothing from the database; a logout, a key deletion or a disabled
// account makes every node forget what it cached.
internal sealed class ParleyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    CredentialResolver resolver)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Parley";
    public const string CookieName = "parley_session";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (PresentedCredential.From(Request) is not { } presented) return AuthenticateResult.NoResult();

        // The database is read only when the credential is not cached; a key's last use is written in the background.
        if (await resolver.ResolveAsync(presented, Context.RequestAborted) is not { } credential)
        {
            return AuthenticateResult.Fail("Unknown or expired credential, or a disabled account.");
        }
        resolver.NoteUse(presented, credential);
        return AuthenticateResult.Success(new AuthenticationTicket(Principal(credential), SchemeName));
    }

    private static ClaimsPrincipal Principal(CachedCredential credential)
    {
        var identity = new ClaimsIdentity(SchemeName);
        Add(identity, ClaimTypes.NameIdentifier, credential.UserId);
        Add(identity, ClaimTypes.Name, credential.Username);
        Add(identity, CurrentUser.AuthMethodClaim, credential.ApiKeyId is null ? CurrentUser.CookieMethod : CurrentUser.KeyMethod);
        Add(identity, CurrentUser.AdminClaim, credential.IsAdmin ? "true" : "false");
        if (credential.ApiKeyId is { } keyId) Add(identity, CurrentUser.ApiKeyClaim, keyId);
        if (credential.DailyTokenQuota is { } quota) Add(identity, CurrentUser.DailyTokenQuotaClaim, quota.ToString(CultureInfo.InvariantCulture));
        return new ClaimsPrincipal(identity);
    }

    // Made for its identity, a claim is kept as it is; ClaimsIdentity copies any claim whose subject is another.
    private static void Add(ClaimsIdentity identity, string type, string value) =>
        identity.AddClaim(new Claim(type, value, ClaimValueTypes.String, ClaimsIdentity.DefaultIssuer, ClaimsIdentity.DefaultIssuer, identity));

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status401Unauthorized, "Unauthorized",
            "Sign in, or send 'Authorization: Bearer <api key>'.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden", "You may not do this.");

    private Task WriteProblemAsync(int status, string title, string detail) => ErrorHandling.WriteErrorAsync(Context, status, title, detail);
}
