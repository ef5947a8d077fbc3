using Microsoft.AspNetCore.Authentication;

namespace Parley.Server.Auth;

internal static class AuthExtensions
{
    public static IServiceCollection AddParleyAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddAuthentication(ParleyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ParleyAuthenticationHandler>(ParleyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
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
