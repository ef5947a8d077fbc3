using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace Parley.Server.Auth;

internal static class AuthExtensions
{
    public static IServiceCollection AddParleyAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddAuthentication(ParleyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ParleyAuthenticationHandler>(ParleyAuthenticationHandler.SchemeName, null);
        // A route with no authorization metadata of its own still requires a signed-in user; public routes say
        // so with AllowAnonymous, so nothing is open because someone forgot a line.
        services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder(ParleyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser().Build());
        services.AddAuthorizationBuilder().AddPolicy(CurrentUser.AdminPolicy, p => p
            .AddAuthenticationSchemes(ParleyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireClaim(CurrentUser.AdminClaim, "true"));
        services.AddSingleton<CredentialCache>();
        services.AddSingleton<CredentialResolver>();
        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<CrossSiteRequestGuard>();
        return services;
    }

    public static IApplicationBuilder UseParleyAuth(this IApplicationBuilder app)
    {
        app.UseAuthentication();
        CrossSiteRequestGuard.UseCrossSiteRequestGuard(app);
        app.UseAuthorization();
        return app;
    }
}
