using System.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.AspNetCore.Diagnostics;
using Parley.Server.OpenAiApi;

namespace Parley.Server.Infrastructure;

internal static class ErrorHandling
{
    public const long MaxBodyBytes = 1024 * 1024;

    public static IServiceCollection AddParleyErrors(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            var problem = ctx.ProblemDetails;
            problem.Detail ??= problem.Title;
            problem.Type ??= $"https://httpstatuses.io/{problem.Status}";
            problem.Extensions["traceId"] = Activity.Current?.Id ?? ctx.HttpContext.TraceIdentifier;
        });
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        // Malformed bodies reach the exception handler, which names the problem instead of an empty 400.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }

    public static IApplicationBuilder UseParleyErrors(this IApplicationBuilder app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var status = http.Response.StatusCode;
            await WriteErrorAsync(http, status, ReasonPhrases.GetReasonPhrase(status), ReasonPhrases.GetReasonPhrase(status) + ".");
        });
        // Rejects a declared oversized body before anything reads it; Kestrel's limit covers chunked bodies.
        app.Use(async (context, next) =>
        {
            if (context.Request.ContentLength > MaxBodyBytes)
            {
                await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "Payload too large",
                    $"The request body is larger than {MaxBodyBytes} bytes.");
                return;
            }
            await next(context);
        });
        return app;
    }

    // An error in the shape of the API the request is for: OpenAI's on /v1 (SPEC §9), problem details elsewhere.
    public static async Task WriteErrorAsync(HttpContext context, int status, string title, string detail)
    {
        if (OpenAiError.Applies(context))
        {
            await OpenAiError.FromStatus(status, detail).WriteAsync(context);
            return;
        }
        context.Response.StatusCode = status;
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    // A database that is busy for now (a pool with no free connection, a lock held too long, a dropped connection):
    // the request may simply be tried again, so it is a 503 with Retry-After rather than a 500.
    public static bool IsTransientDatabaseFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            // Npgsql marks pool timeouts and dropped connections transient; SQLite's busy and locked codes are not marked.
            if (e is System.Data.Common.DbException { IsTransient: true } or Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 }) return true;
        }
        return false;
    }

    // Turns framework request errors (bad JSON, oversized bodies) into problem details with their real status, and
    // a busy database into a 503. Everything else is a 500 whose body says nothing about the code that failed.
    private sealed class BadRequestExceptionHandler(ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
        {
            if (context.Response.HasStarted) return false;
            int status;
            string title, detail;
            if (exception is BadHttpRequestException bad)
            {
                status = bad.StatusCode;
                title = status == 413 ? "Payload too large" : "Bad request";
                detail = status == 413
                    ? $"The request body is larger than {MaxBodyBytes} bytes."
                    : bad.InnerException is System.Text.Json.JsonException json
                        ? "The request body is not valid JSON: " + json.Message
                        : bad.Message;
            }
            else if (IsTransientDatabaseFailure(exception))
            {
                logger.LogWarning(exception, "The database was busy on {Method} {Path}", context.Request.Method, context.Request.Path);
                status = 503;
                title = "Service unavailable";
                detail = "The server is busy. Try again in a moment.";
                context.Response.Headers.RetryAfter = "1";
            }
            else
            {
                logger.LogError(exception, "Unhandled exception on {Method} {Path}", context.Request.Method, context.Request.Path);
                status = 500;
                title = "Internal server error";
                detail = "An unexpected error occurred. It has been logged.";
            }
            await WriteErrorAsync(context, status, title, detail);
            return true;
        }
    }
}
