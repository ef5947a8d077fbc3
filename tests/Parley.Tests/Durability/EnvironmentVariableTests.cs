using FakeLlm;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Durability;

[Collection(DurabilityCollection.Name)]
public sealed class EnvironmentVariableTests
{
    [Fact]
    public async Task OPENAI_environment_variables_alone_give_a_working_provider()
    {
        await using var fake = await FakeLlmHost.StartAsync(new FakeLlmHostOptions { ApiKey = "sk-from-environment" });
        // Real environment variables of a real server process, and nothing else about providers.
        await using var server = await ParleyProcess.StartAsync(new Dictionary<string, string?>
        {
            ["OPENAI_API_KEY"] = "sk-from-environment",
            ["OPENAI_BASE_URL"] = fake.BaseUrl.ToString(),
            ["OPENAI_MODEL"] = "fake",
        });
        var key = await server.SignUpAsync();
        using var client = server.NewClient(key);

        var models = await client.GetAsync("/api/models");
        Assert.Equal("fake", models.Str("default"));
        var session = await client.CreateSessionAsync();
        var reply = await client.ChatAsync(session.Str("id"), "from the environment");

        Assert.Equal("complete", reply.Str("status"));
        Assert.Equal("fake", reply.Str("model"));
        Assert.StartsWith("[fake:2] from the environment", reply.Str("content"));
        Assert.Contains(fake.Inspector.Requests, r => r.Authorization == "Bearer sk-from-environment");
        // The key is a secret: it must not appear in anything the server wrote to its console.
        Assert.DoesNotContain("sk-from-environment", server.Output);
    }
}
