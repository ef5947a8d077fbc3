using System.Net;
using System.Net.Http.Json;
using FakeLlm;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Parley.Server.Infrastructure.Logging;
using Parley.Tests.Infrastructure;
using Parley.Tests.OpenAiApi;

namespace Parley.Tests.Security;

// SPEC §10: no secret reaches a log. A run that uses every kind of secret, with every category logging at
// Trace, leaves none of them in any entry: not in messages, structured values or exception text.
public sealed class SecretsInLogsTests
{
    private const string ProviderKey = "sk-provider-LEAKCHECK-0123456789";
    private const string Password = "hunter2-LEAKCHECK-pw";

    private sealed class LoggedApp(IDictionary<string, string?> settings, LogCapture capture) : ParleyApp(settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureLogging(logging =>
            {
                logging.SetMinimumLevel(LogLevel.Trace);
                // A rule of its own, so that the configured levels of other providers do not apply to the capture.
                logging.AddFilter<LogCapture>(null, LogLevel.Trace);
                logging.AddProvider(capture);
            });
        }
    }

    [Fact]
    public async Task A_run_that_uses_every_secret_logs_none_of_them()
    {
        await using var fake = await FakeLlmHost.StartAsync();
        var capture = new LogCapture();
        await using var app = new LoggedApp(new Dictionary<string, string?>
        {
            ["Parley:Providers:main:BaseUrl"] = fake.BaseUrl.ToString(),
            ["Parley:Providers:main:ApiKey"] = ProviderKey,
            ["Parley:Providers:main:MaxRetries"] = "0",
            ["Parley:Providers:main:Models:0"] = "fake",
            ["Parley:Providers:main:Models:1"] = "fake?status=400&echo_auth=1",
        }, capture);

        // A password, a session cookie, an API key as a Bearer token, and the provider key on every upstream call.
        var client = app.NewClient();
        var username = ParleyClient.NewUsername();
        (await client.Http.PostAsJsonAsync("/api/auth/register", new { username, password = Password })).EnsureSuccessStatusCode();
        using var login = await client.Http.PostAsJsonAsync("/api/auth/login", new { username, password = Password });
        login.EnsureSuccessStatusCode();
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("parley_session=", StringComparison.Ordinal))
            .Split(';')[0]["parley_session=".Length..];
        (await client.Http.PostAsJsonAsync("/api/auth/login", new { username, password = Password + "x" })).Dispose();
        var key = await client.UseApiKeyAsync();
        var session = (await client.CreateSessionAsync(new { model = "fake" })).Str("id");
        await client.ChatAsync(session, "hello");

        // An upstream that refuses the provider key and quotes it back, over /v1 and in a chat.
        using var v1 = await client.Http.SendAsync(V1Wire.Post(key, V1Wire.Body("fake?status=400&echo_auth=1", "hi")));
        Assert.Equal(HttpStatusCode.BadRequest, v1.StatusCode);
        var v1Body = await v1.Content.ReadAsStringAsync();
        var echoing = (await client.CreateSessionAsync(new { model = "fake?status=400&echo_auth=1" })).Str("id");
        var failed = await client.ChatAsync(echoing, "hi");
        Assert.Equal("error", failed.Str("status"));
        // The quoted key was masked before Parley stored or sent the provider's words.
        Assert.Contains("Incorrect API key provided", failed.GetProperty("error").Str("message"));
        Assert.DoesNotContain(ProviderKey, failed.GetProperty("error").Str("message"));
        Assert.DoesNotContain(ProviderKey, v1Body);
        Assert.Contains(fake.Inspector.Requests, r => r.Authorization == "Bearer " + ProviderKey);

        // A key put where it does not belong, in a query string, which request logging writes out whole.
        (await app.NewClient().Http.GetAsync($"/api/me?api_key={key}&session={cookie}")).Dispose();

        // A wrong key and a stray credential header.
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        wrong.Headers.TryAddWithoutValidation("Authorization", "Bearer pk_LEAKCHECKwrongwrongwrong");
        wrong.Headers.TryAddWithoutValidation("X-Api-Key", key);
        (await app.NewClient().Http.SendAsync(wrong)).Dispose();

        await app.DisposeAsync();
        var entries = capture.Entries.ToList();
        Assert.True(entries.Count > 50, $"the capture should see the run's logging, saw {entries.Count} entries");
        Assert.Contains(entries, e => e.Contains("/api/auth/login", StringComparison.Ordinal));
        foreach (var secret in new[] { ProviderKey, Password, key, cookie, "pk_LEAKCHECKwrongwrongwrong" })
        {
            var leak = entries.FirstOrDefault(e => e.Contains(secret, StringComparison.Ordinal));
            Assert.True(leak is null, $"A log entry holds a secret: {leak}");
        }
    }

    [Fact]
    public void The_redacting_factory_masks_messages_values_and_exceptions()
    {
        var capture = new LogCapture();
        using var inner = LoggerFactory.Create(l => l.AddProvider(capture).SetMinimumLevel(LogLevel.Trace));
        var factory = new RedactingLoggerFactory(inner, new Redactor([ProviderKey]));
        var logger = factory.CreateLogger("test");

        logger.LogWarning(new InvalidOperationException($"upstream said: bad key {ProviderKey}"),
            "Calling with {Header} and {Cookie} for {User}", "Bearer pk_abcdefghijklmnopqrstuvwx", "parley_session=AbCdEf0123456789", "alice");
        logger.LogInformation("Body was {Body}", """{"username":"bob","password":"hunter2-LEAKCHECK-pw"}""");

        var text = string.Join("\n", capture.Entries);
        foreach (var secret in new[] { ProviderKey, "pk_abcdefghijklmnopqrstuvwx", "AbCdEf0123456789", Password })
        {
            Assert.DoesNotContain(secret, text);
        }
        Assert.Contains("alice", text);
        Assert.Contains("upstream said: bad key ***", text);
        Assert.Contains("Bearer ***", text);
    }
}
