using FakeLlm;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Providers;

public sealed class EnvironmentProviderTests
{
    [Fact]
    public async Task OPENAI_variables_alone_add_a_working_provider()
    {
        await using var fake = await FakeLlmHost.StartAsync(new FakeLlmHostOptions { ApiKey = "sk-env-only" });
        // The same keys ASP.NET Core reads from the environment variables of the same names.
        await using var app = new ParleyApp(new Dictionary<string, string?>
        {
            ["OPENAI_API_KEY"] = "sk-env-only",
            ["OPENAI_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_MODEL"] = "fake",
        });
        using var client = app.NewClient();
        await client.SignUpAsync();

        var models = await client.GetAsync("/api/models");
        Assert.Equal("fake", models.Str("default"));
        Assert.Contains(models.GetProperty("items").EnumerateArray(), m => m.Str("id") == "fake" && m.Str("provider") == "openai");

        var session = await client.CreateSessionAsync();
        var reply = await client.ChatAsync(session.Str("id"), "env works");
        Assert.Equal("complete", reply.Str("status"));
        Assert.StartsWith("[fake:2] env works", reply.Str("content"));
        Assert.Equal("Bearer sk-env-only", fake.Inspector.Requests[^1].Authorization);
    }
}
