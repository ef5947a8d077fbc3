namespace Parley.Server.Infrastructure;

// Cross-origin requests are refused by default: the UI is served by Parley itself, and programs that call the
// API are not browsers. Parley:Cors:AllowedOrigins lists the browser origins that may call the API with an API
// key. Credentials (the session cookie) are never allowed cross-origin.
internal static class CorsSettings
{
    public const string Section = "Parley:Cors:AllowedOrigins";
    private const string Policy = "configured-origins";

    public static IServiceCollection AddParleyCors(this IServiceCollection services, IConfiguration configuration)
    {
        var origins = configuration.GetSection(Section).Get<string[]>() ?? [];
        foreach (var origin in origins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.AbsolutePath != "/")
            {
                throw new InvalidOperationException($"{Section} lists '{origin}'; each entry must be an origin such as https://app.example.com.");
            }
        }
        services.AddCors(o => o.AddPolicy(Policy, p => p
            .WithOrigins(origins)
            .WithMethods("GET", "POST", "PATCH", "DELETE")
            .WithHeaders("Authorization", "Content-Type", "Last-Event-ID")
            .WithExposedHeaders("Retry-After")
            .DisallowCredentials()));
        return services;
    }

    public static IApplicationBuilder UseParleyCors(this IApplicationBuilder app) => app.UseCors(Policy);
}
