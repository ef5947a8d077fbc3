using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Parley.Tests.Errors;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Catalog;

public sealed class PersonaAndModelTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task Personas_include_the_three_built_ins_with_name_description_and_system_prompt()
    {
        using var user = await fixture.SignedInAsync();

        var personas = (await user.GetAsync("/api/personas")).EnumerateArray().ToDictionary(p => p.Str("id"));

        foreach (var id in new[] { "assistant", "teacher", "programmer" })
        {
            Assert.True(personas.TryGetValue(id, out var persona), $"No built-in persona '{id}'.");
            Assert.False(string.IsNullOrWhiteSpace(persona.Str("name")));
            Assert.False(string.IsNullOrWhiteSpace(persona.Str("description")));
            Assert.False(string.IsNullOrWhiteSpace(persona.Str("systemPrompt")));
        }
        Assert.Contains("teach", personas["teacher"].Str("systemPrompt"), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("step", personas["teacher"].Str("description"), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("program", personas["programmer"].Str("description"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_configured_persona_is_listed_and_can_start_a_session()
    {
        await using var app = new ParleyApp(new Dictionary<string, string?>
        {
            ["Parley:Personas:0:Id"] = "pirate",
            ["Parley:Personas:0:Name"] = "Pirate",
            ["Parley:Personas:0:Description"] = "Talks like a pirate.",
            ["Parley:Personas:0:SystemPrompt"] = "You are a pirate. Answer in pirate speak.",
        });
        using var user = app.NewClient();
        await user.SignUpAsync();

        var personas = await user.GetAsync("/api/personas");
        var pirate = Assert.Single(personas.EnumerateArray(), p => p.Str("id") == "pirate");
        Assert.Equal("Pirate", pirate.Str("name"));
        Assert.Equal("Talks like a pirate.", pirate.Str("description"));
        Assert.Equal("You are a pirate. Answer in pirate speak.", pirate.Str("systemPrompt"));
        Assert.Contains(personas.EnumerateArray(), p => p.Str("id") == "assistant");

        var session = await user.CreateSessionAsync(new { personaId = "pirate" });
        Assert.Equal("pirate", session.Str("personaId"));
        Assert.Equal("pirate", (await user.GetAsync($"/api/sessions/{session.Str("id")}")).Str("personaId"));
        var reply = await user.ChatAsync(session.Str("id"), "Ahoy?");
        Assert.Equal("complete", reply.Str("status"));
        Assert.Equal("pirate", reply.Str("personaId"));
    }

    [Fact]
    public async Task A_session_defaults_to_the_assistant_persona_and_the_default_model()
    {
        using var user = await fixture.SignedInAsync();

        var session = await user.CreateSessionAsync();

        Assert.Equal("assistant", session.Str("personaId"));
        Assert.Equal((await user.GetAsync("/api/models")).Str("default"), session.Str("model"));
    }

    [Fact]
    public async Task An_unknown_persona_is_a_400_with_a_personaId_error()
    {
        using var user = await fixture.SignedInAsync();

        var create = await user.Http.PostAsJsonAsync("/api/sessions", new { personaId = "no-such-persona" });
        await ProblemAssert.HasFieldErrorAsync(create, "personaId");
        Assert.Empty((await user.GetAsync("/api/sessions")).GetProperty("items").EnumerateArray());

        var session = await user.CreateSessionAsync();
        var patch = await user.Http.PatchAsJsonAsync($"/api/sessions/{session.Str("id")}", new { personaId = "no-such-persona" });
        await ProblemAssert.HasFieldErrorAsync(patch, "personaId");
    }

    [Fact]
    public async Task Models_list_the_offline_demo_model_as_the_default()
    {
        using var user = await fixture.SignedInAsync();

        var models = await user.GetAsync("/api/models");

        Assert.Equal("demo", models.Str("default"));
        var demo = Assert.Single(models.GetProperty("items").EnumerateArray(), m => m.Str("id") == "demo");
        Assert.False(string.IsNullOrWhiteSpace(demo.Str("provider")));
        var displayName = demo.Str("displayName");
        Assert.True(displayName.Contains("offline", StringComparison.OrdinalIgnoreCase) || displayName.Contains("demo", StringComparison.OrdinalIgnoreCase),
            $"Display name '{displayName}' does not say the model is an offline demo.");
        Assert.Equal(JsonValueKind.Number, demo.GetProperty("contextWindow").ValueKind);
        Assert.True(demo.GetProperty("contextWindow").GetInt32() > 0);
    }

    [Fact]
    public async Task An_unknown_model_is_a_400_with_a_model_error()
    {
        using var user = await fixture.SignedInAsync();

        var create = await user.Http.PostAsJsonAsync("/api/sessions", new { model = "gpt-imaginary" });
        await ProblemAssert.HasFieldErrorAsync(create, "model");
        Assert.Empty((await user.GetAsync("/api/sessions")).GetProperty("items").EnumerateArray());

        var session = await user.CreateSessionAsync(new { model = "demo" });
        Assert.Equal("demo", session.Str("model"));
        var send = await user.Http.PostAsJsonAsync($"/api/sessions/{session.Str("id")}/messages", new { content = "hi", model = "gpt-imaginary" });
        await ProblemAssert.HasFieldErrorAsync(send, "model");
    }
}
