using Microsoft.AspNetCore.StaticFiles;

namespace Parley.Server.Web;

// Serves the web UI (built from src/Parley.Web into wwwroot) and puts the browser security headers on every
// response. Paths of the API (/api, /v1, /ws, /health) never fall back to the page, so their 404s and 405s
// stay problem details.
internal static class WebExtensions
{
    public static IServiceCollection AddParleyWeb(this IServiceCollection services)
    {
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<PagePathConstraint>(PagePathConstraint.Name));
        services.Configure<StaticFileOptions>(o => o.OnPrepareResponse = ctx => CacheHeaders.Apply(ctx.Context));
        return services;
    }

    public static IApplicationBuilder UseParleyWeb(this IApplicationBuilder app)
    {
        app.Use((context, next) =>
        {
            // OnStarting, so the headers survive the exception handler, which clears headers before its own body.
            context.Response.OnStarting(() =>
            {
                SecurityHeaders.Apply(context.Response.Headers);
                return Task.CompletedTask;
            });
            return next(context);
        });
        app.UseDefaultFiles();
        app.UseStaticFiles();
        return app;
    }

    public static IEndpointRouteBuilder MapParleyWeb(this IEndpointRouteBuilder app)
    {
        // Deep links such as /?chat=… or a future /settings load the page, which routes on the client.
        app.MapFallbackToFile($"{{*path:{PagePathConstraint.Name}}}", "index.html").AllowAnonymous();
        return app;
    }
}
