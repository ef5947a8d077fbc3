using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Auth;

// A credential in use is never read or written on a request's path: the cache reads it again in the background
// once it is half its lifetime old, and a key's last use is recorded in the background.
public sealed class CredentialRefreshTests
{
    private sealed class ClockedApp(ManualClock clock) : ParleyApp
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock));
        }
    }

    [Fact]
    public async Task A_key_in_use_is_read_again_in_the_background_and_what_changed_applies_after()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var app = new ClockedApp(clock);
        using var owner = app.NewClient();
        await owner.SignUpAsync();
        var key = (await owner.PostAsync("/api/keys", new { name = "script" }, HttpStatusCode.Created)).Str("key");
        using var program = RawHttp.Client(app, bearer: key);
        Assert.Equal(HttpStatusCode.OK, (await program.GetAsync("/api/me")).StatusCode);

        // A change this node was not told of (its notification lost): the account disabled in the database.
        DatabaseFile.Query(app.DatabasePath, "UPDATE users SET disabled = @yes WHERE id = @id", ("@yes", true), ("@id", owner.UserId!));
        Assert.Equal(HttpStatusCode.OK, (await program.GetAsync("/api/me")).StatusCode);

        // Past half the cache's lifetime the request is still answered from the cache, and starts a read of its own.
        clock.Now += Parley.Server.Auth.CredentialCache.RefreshAfter + TimeSpan.FromSeconds(1);
        Assert.Equal(HttpStatusCode.OK, (await program.GetAsync("/api/me")).StatusCode);

        // That read finds the account disabled, though the clock has not reached the end of the cache's lifetime.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode status;
        while ((status = (await program.GetAsync("/api/me")).StatusCode) == HttpStatusCode.OK && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task A_keys_last_use_is_written_without_the_request_waiting_for_the_write()
    {
        await using var app = new ParleyApp();
        using var owner = app.NewClient();
        await owner.SignUpAsync();
        var created = await owner.PostAsync("/api/keys", new { name = "script" }, HttpStatusCode.Created);
        using var program = RawHttp.Client(app, bearer: created.Str("key"));
        object? LastUsed() => DatabaseFile.Query(app.DatabasePath, "SELECT last_used_at FROM api_keys WHERE id = @id", ("@id", created.Str("id")))[0][0];

        using (DatabaseFile.HoldWriteLock(app.DatabasePath, "api_keys"))
        {
            // A write on the request's path would wait for the lock (SQLite's busy timeout is 30 s).
            var me = await program.GetAsync("/api/me").WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            Assert.Null(LastUsed());
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (LastUsed() is null && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.NotNull(LastUsed());
        var keys = await ParleyClient.ExpectAsync(await owner.Http.GetAsync("/api/keys"), HttpStatusCode.OK);
        Assert.NotNull(keys.EnumerateArray().Single().GetProperty("lastUsedAt").GetString());
    }
}
