using Microsoft.Extensions.Options;

namespace Parley.Server.Auth;

// Cookie-authenticated writes must come from Parley's own pages. Browsers send Origin on every cross-site
// write and Sec-Fetch-Site on every request, and a page cannot forge either; SameSite=Strict on the cookie is
// the second line. Bearer-authenticated requests carry no ambient credential, so they are not checked.
internal sealed class CrossSiteRequestGuard(IOptions<AuthOptions> options)
{
    public bool IsAllowed(HttpContext context)
    {
        if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || HttpMethods.IsOptions(context.Request.Method))
        {
            return true;
        }
        if (!context.User.IsCookieAuthenticated()) return true;
        return IsSameOrigin(context);
    }

    // Also used for WebSocket upgrades, which are GETs but carry the cookie.
    public bool IsSameOrigin(HttpContext context)
    {
        var fetchSite = context.Request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite is "cross-site" or "same-site") return false;

        var origin = context.Request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin)) return true;
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var originUri)) return false;

        var ownHost = context.Request.Host;
        if (string.Equals(originUri.Authority, ownHost.Value, StringComparison.OrdinalIgnoreCase)) return true;
        return options.Value.AllowedOrigins.Any(o => string.Equals(o.TrimEnd('/'), origin.TrimEnd('/'), StringComparison.OrdinalIgnoreCase));
    }

    public static IApplicationBuilder UseCrossSiteRequestGuard(IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var guard = context.RequestServices.GetRequiredService<CrossSiteRequestGuard>();
        if (!guard.IsAllowed(context))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = { Status = 403, Title = "Cross-site request refused", Detail = "This request came from another site and carries your session cookie." },
            });
            return;
        }
        await next(context);
    });
}
