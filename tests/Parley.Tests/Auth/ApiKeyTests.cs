using System.Net;
using System.Net.Http.Json;
using Parley.Tests.Errors;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Auth;

public sealed class ApiKeyTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task Create_returns_201_with_the_key_once_and_the_key_works_as_a_bearer_token()
    {
        using var owner = await fixture.SignedInAsync();

        var response = await owner.Http.PostAsJsonAsync("/api/keys", new { name = "laptop script" });
        var created = await ParleyClient.ExpectAsync(response, HttpStatusCode.Created);

        Assert.False(string.IsNullOrEmpty(created.Str("id")));
        Assert.Equal("laptop script", created.Str("name"));
        var key = created.Str("key");
        Assert.True(key.Length >= 32, $"Key '{key}' is too short to be unguessable.");
        var createdAt = created.GetProperty("createdAt").GetDateTime();
        Assert.InRange(createdAt, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(5));

        using var program = RawHttp.Client(fixture.App, bearer: key);
        var me = await ParleyClient.ExpectAsync(await program.GetAsync("/api/me"), HttpStatusCode.OK);
        Assert.Equal(owner.UserId, me.Str("id"));
        var session = await program.PostAsJsonAsync("/api/sessions", new { title = "from a program" });
        await ParleyClient.ExpectAsync(session, HttpStatusCode.Created);
    }

    [Fact]
    public async Task List_shows_the_keys_without_the_secret()
    {
        using var owner = await fixture.SignedInAsync();
        var first = await owner.PostAsync("/api/keys", new { name = "first" }, HttpStatusCode.Created);
        var second = await owner.PostAsync("/api/keys", new { name = "second" }, HttpStatusCode.Created);

        var response = await owner.Http.GetAsync("/api/keys");
        var text = await response.Content.ReadAsStringAsync();
        var list = await ParleyClient.ExpectAsync(response, HttpStatusCode.OK);

        var items = list.EnumerateArray().ToList();
        Assert.Equal(new[] { first.Str("id"), second.Str("id") }.Order(StringComparer.Ordinal), items.Select(k => k.Str("id")).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "first", "second" }, items.Select(k => k.Str("name")).Order(StringComparer.Ordinal));
        Assert.All(items, k => Assert.False(k.TryGetProperty("key", out _), $"Listed key carries its secret: {k}"));
        Assert.DoesNotContain(first.Str("key"), text);
        Assert.DoesNotContain(second.Str("key"), text);
    }

    [Fact]
    public async Task Keys_are_stored_hashed_never_in_plaintext()
    {
        using var owner = await fixture.SignedInAsync();
        var created = await owner.PostAsync("/api/keys", new { name = "stored" }, HttpStatusCode.Created);
        var key = created.Str("key");

        var rows = DatabaseFile.Query(fixture.App.DatabasePath, "SELECT key_hash, * FROM api_keys WHERE id = @id", ("@id", created.Str("id")));

        var row = Assert.Single(rows);
        var hash = Assert.IsType<string>(row[0]);
        Assert.NotEqual(key, hash);
        Assert.DoesNotContain(key, hash);
        Assert.All(row, column => Assert.DoesNotContain(key, Convert.ToString(column, System.Globalization.CultureInfo.InvariantCulture) ?? ""));
        Assert.DoesNotContain(key, DatabaseFile.RawText(fixture.App.DatabasePath));
    }

    [Fact]
    public async Task Deleted_key_returns_204_and_then_gets_401()
    {
        using var owner = await fixture.SignedInAsync();
        var created = await owner.PostAsync("/api/keys", new { name = "short-lived" }, HttpStatusCode.Created);
        using var program = RawHttp.Client(fixture.App, bearer: created.Str("key"));
        await ParleyClient.ExpectAsync(await program.GetAsync("/api/me"), HttpStatusCode.OK);

        await owner.DeleteAsync($"/api/keys/{created.Str("id")}");

        await ProblemAssert.IsProblemAsync(await program.GetAsync("/api/me"), HttpStatusCode.Unauthorized);
        await ProblemAssert.IsProblemAsync(await program.GetAsync("/api/sessions"), HttpStatusCode.Unauthorized);
        var list = await owner.GetAsync("/api/keys");
        Assert.DoesNotContain(created.Str("id"), list.GetRawText());
        var again = await owner.Http.DeleteAsync($"/api/keys/{created.Str("id")}");
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Deleting_another_users_key_returns_404_and_the_key_keeps_working()
    {
        using var owner = await fixture.SignedInAsync();
        using var stranger = await fixture.SignedInAsync();
        var created = await owner.PostAsync("/api/keys", new { name = "mine" }, HttpStatusCode.Created);

        var response = await stranger.Http.DeleteAsync($"/api/keys/{created.Str("id")}");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
        using var program = RawHttp.Client(fixture.App, bearer: created.Str("key"));
        var me = await ParleyClient.ExpectAsync(await program.GetAsync("/api/me"), HttpStatusCode.OK);
        Assert.Equal(owner.UserId, me.Str("id"));
    }

    [Theory]
    [InlineData("pk_not-a-real-key")]
    [InlineData("garbage")]
    public async Task An_unknown_bearer_token_gets_401(string token)
    {
        using var http = RawHttp.Client(fixture.App, bearer: token);

        await ProblemAssert.IsProblemAsync(await http.GetAsync("/api/me"), HttpStatusCode.Unauthorized);
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/api/sessions", new { }), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_bad_bearer_token_is_not_rescued_by_a_valid_cookie()
    {
        // The Authorization header names the credential; a wrong key must not silently fall back to the cookie.
        using var http = RawHttp.Client(fixture.App, bearer: "pk_wrong");
        var username = ParleyClient.NewUsername();
        await RawHttp.RegisterAsync(http, username);
        var cookie = await RawHttp.LoginAsync(http, username);

        var response = await http.SendAsync(RawHttp.WithCookie(HttpMethod.Get, "/api/me", cookie));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public async Task Create_without_a_name_returns_400_with_a_name_error(string? name)
    {
        using var owner = await fixture.SignedInAsync();

        var response = await owner.Http.PostAsJsonAsync("/api/keys", new { name });

        await ProblemAssert.HasFieldErrorAsync(response, "name");
        Assert.Equal(0, (await owner.GetAsync("/api/keys")).GetArrayLength());
    }
}
