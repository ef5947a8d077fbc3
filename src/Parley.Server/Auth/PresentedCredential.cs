namespace Parley.Server.Auth;

internal enum CredentialKind
{
    ApiKey,
    Session,
}

// The credential a request carries, by its hash: "Authorization: Bearer <api key>" for programs, the HttpOnly
// session cookie for the browser. A Bearer header wins when both are sent.
internal readonly record struct PresentedCredential(string Hash, CredentialKind Kind)
{
    public static PresentedCredential? From(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return new(Secrets.HashToken(authorization["Bearer ".Length..].Trim()), CredentialKind.ApiKey);
        }
        if (request.Cookies.TryGetValue(ParleyAuthenticationHandler.CookieName, out var token) && !string.IsNullOrEmpty(token))
        {
            return new(Secrets.HashToken(token), CredentialKind.Session);
        }
        return null;
    }
}
