using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Parley.UiTests.Infrastructure;

// Tracks the server side of every open SSE reply stream, so a test can reset those TCP connections for real:
// the browser sees the network fail mid-reply, and the reply itself keeps running on the server.
public sealed class StreamConnections : IStartupFilter
{
    private readonly ConcurrentDictionary<HttpContext, byte> _open = new();

    public int Count => _open.Count;

    public int AbortAll()
    {
        var aborted = 0;
        foreach (var context in _open.Keys)
        {
            context.Abort();
            aborted++;
        }
        return aborted;
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, nextMiddleware) =>
        {
            if (!context.Request.Path.Value!.EndsWith("/stream", StringComparison.Ordinal))
            {
                await nextMiddleware(context);
                return;
            }
            _open.TryAdd(context, 0);
            try
            {
                await nextMiddleware(context);
            }
            finally
            {
                _open.TryRemove(context, out _);
            }
        });
        next(app);
    };
}
