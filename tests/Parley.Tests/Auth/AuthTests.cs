using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using Parley.Server.Auth;
using Parley.Tests.Errors;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Auth;

public sealed class AuthTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private const string Password = "password123";

    [Fact]
    public async Task Register_returns_201_with_the_user_and_first_account_alone_is_admin()
    {
        // A fresh server: the shared fixture's first account depends on which test ran first.
        await using var app = new ParleyApp();
        using var http = RawHttp.Client(app);

        var first = await http.PostAsJsonAsync("/api/auth/register", new { username = "First.Admin", password = Password });
        var firstUser = await ParleyClient.ExpectAsync(first, HttpStatusCode.Created);
        var second = await http.PostAsJsonAsync("/api/auth/register", new { username = "second-user", password = Password });
        var secondUser = await ParleyClient.ExpectAsync(second, HttpStatusCode.Created);

        Assert.Equal(new[] { "id", "isAdmin", "username" }, firstUser.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.False(string.IsNullOrEmpty(firstUser.Str("id")));
        Assert.Equal("First.Admin", firstUser.Str("username"));
        Assert.True(firstUser.GetProperty("isAdmin").GetBoolean());
        Assert.Equal("second-user", secondUser.Str("username"));
        Assert.False(secondUser.GetProperty("isAdmin").GetBoolean());
        Assert.NotEqual(firstUser.Str("id"), secondUser.Str("id"));
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    [InlineData("slash/name")]
    [InlineData("ümlaut")]
    [InlineData("")]
    public async Task Register_refuses_a_bad_username_with_a_field_error(string username)
    {
        using var http = RawHttp.Client(fixture.App);
        var response = await http.PostAsJsonAsync("/api/auth/register", new { username, password = Password });
        await ProblemAssert.HasFieldErrorAsync(response, "username");
    }

    [Fact]
    public async Task Register_enforces_the_3_to_64_character_bounds()
    {
        using var http = RawHttp.Client(fixture.App);
        var stem = Guid.NewGuid().ToString("N");

        var tooLong = await http.PostAsJsonAsync("/api/auth/register", new { username = "u" + stem + stem, password = Password });
        await ProblemAssert.HasFieldErrorAsync(tooLong, "username");

        await RawHttp.RegisterAsync(http, ("u" + stem + stem)[..64]);
        await RawHttp.RegisterAsync(http, "u" + stem[..2]);
        await RawHttp.RegisterAsync(http, "a_b.C-" + stem[..6]);
    }

    [Fact]
    public async Task Register_refuses_a_password_under_8_characters()
    {
        using var http = RawHttp.Client(fixture.App);
        var username = ParleyClient.NewUsername();

        var response = await http.PostAsJsonAsync("/api/auth/register", new { username, password = "short12" });
        var problem = await ProblemAssert.HasFieldErrorAsync(response, "password");
        Assert.False(problem.GetProperty("errors").TryGetProperty("username", out _));

        // Nothing was created: the name is still free, and an 8-character password is enough.
        await RawHttp.RegisterAsync(http, username, "eight888");
    }

    [Fact]
    public async Task Register_refuses_a_taken_username_case_insensitively_with_409()
    {
        using var http = RawHttp.Client(fixture.App);
        var username = "Case" + Guid.NewGuid().ToString("N")[..10];
        await RawHttp.RegisterAsync(http, username);

        foreach (var again in new[] { username, username.ToUpperInvariant(), username.ToLowerInvariant() })
        {
            var response = await http.PostAsJsonAsync("/api/auth/register", new { username = again, password = "another-password" });
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict);
        }

        // The original account is untouched: its own password still works, the second one does not.
        await RawHttp.LoginAsync(http, username);
        var wrong = await http.PostAsJsonAsync("/api/auth/login", new { username, password = "another-password" });
        await ProblemAssert.IsProblemAsync(wrong, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Closed_registration_allows_only_the_first_account()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?> { ["Parley:Auth:OpenRegistration"] = "false" });
        using var http = RawHttp.Client(app);

        var first = await http.PostAsJsonAsync("/api/auth/register", new { username = "owner", password = Password });
        Assert.True((await ParleyClient.ExpectAsync(first, HttpStatusCode.Created)).GetProperty("isAdmin").GetBoolean());

        var second = await http.PostAsJsonAsync("/api/auth/register", new { username = "newcomer", password = Password });
        await ProblemAssert.IsProblemAsync(second, HttpStatusCode.Forbidden);

        var login = await http.PostAsJsonAsync("/api/auth/login", new { username = "newcomer", password = Password });
        await ProblemAssert.IsProblemAsync(login, HttpStatusCode.Unauthorized);
        Assert.Equal(1L, DatabaseFile.Query(app.DatabasePath, "SELECT COUNT(*) FROM users")[0][0]);
    }

    [Fact]
    public async Task Login_returns_the_user_and_sets_an_HttpOnly_SameSite_Strict_cookie()
    {
        using var http = RawHttp.Client(fixture.App);
        // Not the app's first account, which would be its admin, whatever order the tests run in.
        await RawHttp.RegisterAsync(http, ParleyClient.NewUsername());
        var username = ParleyClient.NewUsername();
        await RawHttp.RegisterAsync(http, username);

        var response = await http.PostAsJsonAsync("/api/auth/login", new { username, password = Password });
        var user = await ParleyClient.ExpectAsync(response, HttpStatusCode.OK);

        Assert.Equal(username, user.Str("username"));
        Assert.False(user.GetProperty("isAdmin").GetBoolean());
        var setCookie = RawHttp.SessionSetCookie(response);
        Assert.NotNull(setCookie);
        var attributes = setCookie.Split(';').Select(a => a.Trim().ToLowerInvariant()).ToList();
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=strict", attributes);
        Assert.Contains("path=/", attributes);
        var token = RawHttp.SessionCookie(response)!;
        Assert.True(token.Length >= 32, $"Session token '{token}' is too short to be unguessable.");

        // The cookie alone authenticates.
        var me = await http.SendAsync(RawHttp.WithCookie(HttpMethod.Get, "/api/me", token));
        Assert.Equal(user.Str("id"), (await ParleyClient.ExpectAsync(me, HttpStatusCode.OK)).Str("id"));
    }

    [Fact]
    public async Task Wrong_password_and_unknown_user_get_the_same_401()
    {
        using var http = RawHttp.Client(fixture.App);
        var username = ParleyClient.NewUsername();
        await RawHttp.RegisterAsync(http, username);

        var wrongPassword = await http.PostAsJsonAsync("/api/auth/login", new { username, password = "not-the-password" });
        var unknownUser = await http.PostAsJsonAsync("/api/auth/login", new { username = ParleyClient.NewUsername(), password = "not-the-password" });

        var a = await ProblemAssert.IsProblemAsync(wrongPassword, HttpStatusCode.Unauthorized);
        var b = await ProblemAssert.IsProblemAsync(unknownUser, HttpStatusCode.Unauthorized);
        Assert.Equal(ProblemAssert.Shape(a), ProblemAssert.Shape(b));
        Assert.Null(RawHttp.SessionSetCookie(wrongPassword));
        Assert.Null(RawHttp.SessionSetCookie(unknownUser));
    }

    [Fact]
    public async Task Repeated_failed_logins_are_throttled_with_429_and_Retry_After_even_for_the_right_password()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?> { ["Parley:Auth:MaxFailedLogins"] = "3" });
        using var http = RawHttp.Client(app);
        var username = ParleyClient.NewUsername();
        await RawHttp.RegisterAsync(http, username);
        var bystander = ParleyClient.NewUsername();
        await RawHttp.RegisterAsync(http, bystander);

        for (var i = 0; i < 3; i++)
        {
            var failed = await http.PostAsJsonAsync("/api/auth/login", new { username, password = "wrong-password" });
            await ProblemAssert.IsProblemAsync(failed, HttpStatusCode.Unauthorized);
        }

        var throttled = await http.PostAsJsonAsync("/api/auth/login", new { username, password = "wrong-password" });
        await ProblemAssert.IsProblemAsync(throttled, HttpStatusCode.TooManyRequests);
        var retryAfter = throttled.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(15));

        var right = await http.PostAsJsonAsync("/api/auth/login", new { username, password = Password });
        await ProblemAssert.IsProblemAsync(right, HttpStatusCode.TooManyRequests);
        Assert.NotNull(right.Headers.RetryAfter?.Delta);
        Assert.Null(RawHttp.SessionSetCookie(right));

        // Another account from the same address is not locked out by these few failures.
        await RawHttp.LoginAsync(http, bystander);
    }

    [Fact]
    public async Task Me_returns_the_signed_in_user()
    {
        using var client = fixture.App.NewClient();
        var username = ParleyClient.NewUsername();
        var registered = await client.SignUpAsync(username);

        var me = await client.GetAsync("/api/me");

        Assert.Equal(registered.Str("id"), me.Str("id"));
        Assert.Equal(username, me.Str("username"));
        Assert.False(me.GetProperty("isAdmin").GetBoolean());
    }

    [Fact]
    public async Task Logout_returns_204_and_the_cookie_stops_working_on_the_server()
    {
        using var http = RawHttp.Client(fixture.App);
        var username = ParleyClient.NewUsername();
        await RawHttp.RegisterAsync(http, username);
        var cookie = await RawHttp.LoginAsync(http, username);
        var before = await http.SendAsync(RawHttp.WithCookie(HttpMethod.Get, "/api/me", cookie));
        await ParleyClient.ExpectAsync(before, HttpStatusCode.OK);

        var logout = await http.SendAsync(RawHttp.WithCookie(HttpMethod.Post, "/api/auth/logout", cookie));
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);

        // Replaying the old cookie (as a stolen copy would) is refused: the session is gone server-side.
        var after = await http.SendAsync(RawHttp.WithCookie(HttpMethod.Get, "/api/me", cookie));
        await ProblemAssert.IsProblemAsync(after, HttpStatusCode.Unauthorized);
        var sessions = await http.SendAsync(RawHttp.WithCookie(HttpMethod.Get, "/api/sessions", cookie));
        await ProblemAssert.IsProblemAsync(sessions, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("GET", "/api/me")]
    [InlineData("GET", "/api/sessions")]
    [InlineData("POST", "/api/sessions")]
    [InlineData("GET", "/api/keys")]
    [InlineData("POST", "/api/keys")]
    [InlineData("GET", "/api/personas")]
    [InlineData("GET", "/api/models")]
    [InlineData("GET", "/api/messages/x")]
    [InlineData("GET", "/api/messages/x/stream")]
    public async Task No_credentials_get_401_problem_details(string method, string url)
    {
        using var http = RawHttp.Client(fixture.App);
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method == "POST") request.Content = JsonContent.Create(new { name = "x" });

        var response = await http.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_forged_or_expired_cookie_gets_401()
    {
        using var http = RawHttp.Client(fixture.App);
        var response = await http.SendAsync(RawHttp.WithCookie(HttpMethod.Get, "/api/me", "not-a-real-session-token"));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Passwords_are_stored_as_salted_pbkdf2_hashes_never_in_plaintext()
    {
        using var http = RawHttp.Client(fixture.App);
        var username = ParleyClient.NewUsername();
        const string password = "correct horse battery staple";
        await RawHttp.RegisterAsync(http, username, password);
        var other = ParleyClient.NewUsername();
        await RawHttp.RegisterAsync(http, other, password);

        var rows = DatabaseFile.Query(fixture.App.DatabasePath,
            "SELECT username, password_hash FROM users WHERE username IN (@a, @b)", ("@a", username), ("@b", other));

        Assert.Equal(2, rows.Count);
        var hashes = rows.Select(r => (string)r[1]!).ToList();
        foreach (var hash in hashes)
        {
            Assert.StartsWith("pbkdf2-sha256$", hash);
            Assert.DoesNotContain(password, hash);
            var parts = hash.Split('$');
            Assert.Equal(4, parts.Length);
            Assert.True(int.Parse(parts[1]) >= 10_000, $"Work factor in '{hash}' is too low.");
        }
        // Same password, different salt: the stored hashes differ.
        Assert.NotEqual(hashes[0], hashes[1]);
        Assert.DoesNotContain(password, DatabaseFile.RawText(fixture.App.DatabasePath));
    }

    [Fact]
    public void Default_password_work_factor_is_at_least_600000_pbkdf2_iterations()
    {
        var defaults = new AuthOptions();
        Assert.True(defaults.PasswordIterations >= 600_000, $"Default PasswordIterations is {defaults.PasswordIterations}.");

        var hasher = new PasswordHasher(Options.Create(defaults));
        var hash = hasher.Hash("a password");
        Assert.StartsWith($"pbkdf2-sha256${defaults.PasswordIterations}$", hash);
        Assert.True(hasher.Verify("a password", hash));
        Assert.False(hasher.Verify("another password", hash));
    }

    [Fact]
    public async Task Parallel_wrong_passwords_cannot_all_slip_under_the_throttle()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?> { ["Parley:Auth:MaxFailedLogins"] = "3" });
        using var owner = app.NewClient();
        var username = ParleyClient.NewUsername();
        await owner.SignUpAsync(username);

        // Ten guesses at once: each is counted before its (slow) password check, in the same step as the check
        // against the limit, so exactly the limit get an answer about the password.
        var guesses = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            using var guesser = app.NewClient();
            return (await guesser.Http.PostAsJsonAsync("/api/auth/login", new { username, password = $"wrong-{i}-password" })).StatusCode;
        }));
        Assert.True(guesses.Count(s => s == System.Net.HttpStatusCode.Unauthorized) == 3, string.Join(",", guesses));
        Assert.Equal(7, guesses.Count(s => s == System.Net.HttpStatusCode.TooManyRequests));
    }
}
