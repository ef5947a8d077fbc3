using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Parley.Server.Infrastructure;
using Parley.Server.Storage;

namespace Parley.Server.Auth;

internal static partial class AuthApi
{
    public static IEndpointRouteBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        var open = app.MapGroup("/api/auth").AllowAnonymous();
        open.MapPost("/register", Register);
        open.MapPost("/login", Login);
        open.MapPost("/logout", Logout);
        open.MapGet("/setup", Setup);

        app.MapGet("/api/me", Me).RequireAuthorization();
        return app;
    }

    internal static async Task<Results<Created<UserDto>, ValidationProblem, ProblemHttpResult>> Register(
        Credentials body, ParleyDb db, WriteGate writes, PasswordHasher hasher, IOptions<AuthOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (body.Username is null || !UsernamePattern().IsMatch(body.Username))
            errors.Add("username", "Must be 3–64 characters of letters, digits, '_', '.' or '-'.");
        if (body.Password is null || body.Password.Length < 8) errors.Add("password", "Must be at least 8 characters.");
        else if (body.Password.Length > 1024) errors.Add("password", "Must be at most 1024 characters.");
        if (errors.Any) return errors.ToProblem();

        // Deciding who is first and inserting happen under the write gate, so two first sign-ups cannot both
        // become admin on SQLite.
        var hash = await hasher.HashAsync(body.Password!, ct);
        using var gate = await writes.EnterAsync(ct);
        var anyUser = await db.Users.AnyAsync(ct);
        if (anyUser && !options.Value.OpenRegistration) return Problems.Forbidden("Registration is closed on this server.");

        var key = body.Username!.ToLowerInvariant();
        if (await db.Users.AnyAsync(u => u.UsernameKey == key, ct)) return Problems.Conflict("That username is taken.");

        var user = new User
        {
            Id = Ids.New("usr"),
            Username = body.Username,
            UsernameKey = key,
            PasswordHash = hash,
            IsAdmin = !anyUser,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return Problems.Conflict("That username is taken.");
        }
        return TypedResults.Created($"/api/users/{user.Id}", user.ToDto());
    }

    // What the sign-in page needs before anyone has signed in: whether to invite the first (admin) account,
    // and whether to offer registration. It says nothing about who the users are.
    internal static async Task<Ok<SetupDto>> Setup(ParleyDb db, IOptions<AuthOptions> options, CancellationToken ct) =>
        TypedResults.Ok(new SetupDto(await db.Users.AnyAsync(ct), options.Value.OpenRegistration));

    internal static async Task<Results<Ok<UserDto>, ValidationProblem, ProblemHttpResult>> Login(
        Credentials body, HttpContext http, ParleyDb db, PasswordHasher hasher, LoginThrottle throttle,
        IOptions<AuthOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrEmpty(body.Username)) errors.Add("username", "Required.");
        if (string.IsNullOrEmpty(body.Password)) errors.Add("password", "Required.");
        else if (body.Password.Length > 1024) errors.Add("password", "Must be at most 1024 characters.");
        if (errors.Any) return errors.ToProblem();

        var address = http.Connection.RemoteIpAddress?.ToString();
        // The attempt counts before the slow check, so parallel guesses cannot all slip under the limit.
        if (throttle.TryBegin(body.Username!, address) is { } wait)
        {
            http.Response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString("0");
            return TypedResults.Problem(title: "Too many failed logins",
                detail: "Too many failed sign-in attempts. Wait before trying again.", statusCode: StatusCodes.Status429TooManyRequests);
        }
        var key = body.Username!.ToLowerInvariant();
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UsernameKey == key, ct);
        var valid = user is not null ? await hasher.VerifyAsync(body.Password!, user.PasswordHash, ct) : await VerifyNothingAsync(hasher, body.Password!, ct);
        if (!valid || user is null) return Problems.Unauthorized("The username or password is wrong.");
        throttle.Succeeded(body.Username!, address);
        if (user.Disabled) return Problems.Forbidden("This account is disabled. Ask an administrator to enable it.");

        var token = Secrets.NewToken();
        var now = clock.GetUtcNow().UtcDateTime;
        var expires = now.AddDays(options.Value.SessionDays);
        db.LoginSessions.Add(new LoginSession { TokenHash = Secrets.HashToken(token), UserId = user.Id, CreatedAt = now, ExpiresAt = expires });
        await db.SaveChangesAsync(ct);

        http.Response.Cookies.Append(ParleyAuthenticationHandler.CookieName, token, new CookieOptions
        {
            HttpOnly = true,
            Secure = http.Request.IsHttps,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            Expires = expires,
        });
        return TypedResults.Ok(user.ToDto());
    }

    internal static async Task<NoContent> Logout(HttpContext http, ParleyDb db, CredentialCache credentials, CancellationToken ct)
    {
        if (http.Request.Cookies.TryGetValue(ParleyAuthenticationHandler.CookieName, out var token) && !string.IsNullOrEmpty(token))
        {
            var hash = Secrets.HashToken(token);
            if (await db.LoginSessions.Where(s => s.TokenHash == hash).ExecuteDeleteAsync(ct) > 0) credentials.Forget();
        }
        http.Response.Cookies.Delete(ParleyAuthenticationHandler.CookieName, new CookieOptions { Path = "/" });
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Ok<UserDto>, ProblemHttpResult>> Me(HttpContext http, ParleyDb db, CancellationToken ct)
    {
        var userId = http.User.UserId();
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct);
        return user is null ? Problems.NotFound("account") : TypedResults.Ok(user.ToDto());
    }

    private static async Task<bool> VerifyNothingAsync(PasswordHasher hasher, string password, CancellationToken ct)
    {
        await hasher.VerifyNothingAsync(password, ct);
        return false;
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{3,64}$")]
    private static partial Regex UsernamePattern();
}
