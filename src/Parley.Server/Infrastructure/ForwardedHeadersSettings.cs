using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Parley.Server.Infrastructure;

// Behind a reverse proxy that terminates TLS, Parley sees plain HTTP from the proxy. With
// Parley:Hosting:TrustForwardedHeaders the proxy's X-Forwarded-Proto and X-Forwarded-For are believed, so the
// session cookie is marked Secure and login throttling counts the real client address. Only loopback and the
// addresses in Parley:Hosting:TrustedProxies are believed; off by default, since a client could otherwise claim
// any address.
internal static class ForwardedHeadersSettings
{
    public const string Section = "Parley:Hosting";

    public static IServiceCollection AddParleyForwardedHeaders(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var proxy in configuration.GetSection($"{Section}:TrustedProxies").Get<string[]>() ?? [])
            {
                o.KnownProxies.Add(IPAddress.TryParse(proxy, out var address)
                    ? address
                    : throw new InvalidOperationException($"{Section}:TrustedProxies lists '{proxy}', which is not an IP address."));
            }
        });
        return services;
    }

    public static IApplicationBuilder UseParleyForwardedHeaders(this IApplicationBuilder app, IConfiguration configuration) =>
        configuration.GetValue<bool>($"{Section}:TrustForwardedHeaders") ? app.UseForwardedHeaders() : app;
}
