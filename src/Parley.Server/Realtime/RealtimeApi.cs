using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Parley.Server.Auth;
using Parley.Server.Infrastructure;
using Parley.Server.Streaming;

namespace Parley.Server.Realtime;

internal static class RealtimeApi
{
    // Protocol-level pings (SPEC §6): the WebSockets middleware pings every socket and aborts one whose peer does
    // not answer, which ends its receive loop and so its subscriptions.
    public static IServiceCollection AddParleyRealtime(this IServiceCollection services)
    {
        services.AddOptions<WebSocketOptions>().Configure<IOptions<StreamingOptions>>((ws, streaming) =>
        {
            ws.KeepAliveInterval = TimeSpan.FromSeconds(streaming.Value.WebSocketPingSeconds);
            ws.KeepAliveTimeout = TimeSpan.FromSeconds(streaming.Value.WebSocketPongTimeoutSeconds);
        });
        return services;
    }

    public static IEndpointRouteBuilder MapRealtime(this IEndpointRouteBuilder app)
    {
        // GET is an HTTP/1.1 upgrade; CONNECT is a WebSocket over HTTP/2 (RFC 8441), which browsers use when Kestrel
        // serves TLS itself. Unauthenticated upgrades get the usual 401 before anything is upgraded.
        app.MapMethods("/ws", [HttpMethods.Get, HttpMethods.Connect], Connect).RequireAuthorization();
        return app;
    }

    internal static async Task<Results<EmptyHttpResult, ProblemHttpResult>> Connect(
        HttpContext http, CrossSiteRequestGuard guard, [AsParameters] ReplySocketServices services)
    {
        // An upgrade is a GET that carries the cookie, so the general cross-site guard lets it through; a page on
        // another site could otherwise open a socket as the signed-in user (cross-site WebSocket hijacking).
        if (http.User.IsCookieAuthenticated() && !guard.IsSameOrigin(http))
        {
            return Problems.Forbidden("A WebSocket opened by another site may not use your session cookie.");
        }
        if (!http.WebSockets.IsWebSocketRequest)
        {
            return TypedResults.Problem(title: "Bad request", detail: "GET /ws accepts only WebSocket upgrade requests.", statusCode: StatusCodes.Status400BadRequest);
        }

        // Authorization ran, so the request carries a credential; the socket closes when it stops working.
        var credential = PresentedCredential.From(http.Request) ?? throw new InvalidOperationException("An authorized request carries no credential.");
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        await new ReplySocket(socket, http.User.UserId(), credential, services, http.RequestAborted).RunAsync();
        return TypedResults.Empty;
    }
}
