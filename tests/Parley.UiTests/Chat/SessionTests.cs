using Parley.UiTests.Infrastructure;

namespace Parley.UiTests.Chat;

public sealed class SessionTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    [Fact]
    public async Task Persona_and_model_are_chosen_and_a_session_is_renamed_and_deleted()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        var page = chat.Page;
        var persona = page.Locator("select.persona-select");
        var model = page.Locator("select.model-select");

        // The choosers list the built-in personas and every model, the demo labelled offline.
        await Expect(persona.Locator("option")).ToHaveTextAsync(new[] { "Assistant", "Teacher", "Programmer" });
        await Expect(model.Locator("option[value='demo']")).ToHaveTextAsync("Offline demo (offline)");
        await Expect(page.Locator(".offline-badge")).ToBeVisibleAsync();

        await persona.SelectOptionAsync("programmer");
        await chat.SendAsync("Which persona are you?");
        await chat.WaitForReplyStatusAsync("complete");
        var sessionId = chat.CurrentSessionId();
        Assert.NotNull(sessionId);
        var session = await chat.GetJsonAsync($"/api/sessions/{sessionId}");
        Assert.Equal("programmer", session.GetProperty("personaId").GetString());
        Assert.Equal("demo", session.GetProperty("model").GetString());

        // Changing the choosers on an existing chat updates the session.
        await persona.SelectOptionAsync("teacher");
        await model.SelectOptionAsync(UiFixture.EchoModel);
        await Expect(page.Locator(".offline-badge")).ToBeHiddenAsync();
        await WaitForAsync(async () =>
        {
            var s = await chat.GetJsonAsync($"/api/sessions/{sessionId}");
            return s.GetProperty("personaId").GetString() == "teacher" && s.GetProperty("model").GetString() == UiFixture.EchoModel;
        });
        await chat.SendAsync("now through the other model");
        await chat.WaitForReplyStatusAsync("complete");
        await Expect(chat.LastReplyBody).ToContainTextAsync("now through the other model");

        // Rename from the sidebar.
        var item = page.Locator($".session-list li[data-session-id='{sessionId}']");
        await item.Locator("button.session-rename").ClickAsync();
        await page.Locator("#prompt-input").FillAsync("Renamed by the browser test");
        await page.Locator("dialog button[value=ok]").ClickAsync();
        await Expect(item.Locator(".session-link")).ToHaveTextAsync("Renamed by the browser test");
        await Expect(page.Locator(".chat-title")).ToHaveTextAsync("Renamed by the browser test");
        Assert.Equal("Renamed by the browser test", (await chat.GetJsonAsync($"/api/sessions/{sessionId}")).GetProperty("title").GetString());

        // Delete asks first; cancelling keeps the session.
        await item.Locator("button.session-delete").ClickAsync();
        await page.Locator("dialog button[value=cancel]").ClickAsync();
        await Expect(item).ToBeVisibleAsync();
        await item.Locator("button.session-delete").ClickAsync();
        await Expect(page.Locator("dialog")).ToContainTextAsync("Renamed by the browser test");
        await page.Locator("dialog button[value=ok]").ClickAsync();
        await Expect(item).ToHaveCountAsync(0);
        await Expect(page.Locator(".empty-state")).ToBeVisibleAsync();
        Assert.Equal(404, await chat.StatusOfAsync($"/api/sessions/{sessionId}"));
    }

    [Fact]
    public async Task Session_settings_set_the_system_prompt_and_clear_the_history()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        var page = chat.Page;
        await chat.SendAsync("hello");
        await chat.WaitForReplyStatusAsync("complete");
        var sessionId = chat.CurrentSessionId();

        await page.Locator("button.settings-button").ClickAsync();
        await page.Locator("#settings-prompt").FillAsync("Always answer in haiku.");
        await page.Locator("dialog button[value=save]").ClickAsync();
        await WaitForAsync(async () =>
            (await chat.GetJsonAsync($"/api/sessions/{sessionId}")).GetProperty("systemPrompt").GetString() == "Always answer in haiku.");

        await page.Locator("button.settings-button").ClickAsync();
        await page.Locator("dialog button[value=clear]").ClickAsync();
        await page.Locator("dialog button[value=ok]").ClickAsync();
        await Expect(page.Locator("article.message")).ToHaveCountAsync(0);
        var messages = await chat.GetJsonAsync($"/api/sessions/{sessionId}/messages");
        Assert.Equal(0, messages.GetProperty("items").GetArrayLength());
        Assert.Equal(200, await chat.StatusOfAsync($"/api/sessions/{sessionId}"));
    }

    [Fact]
    public async Task The_sidebar_lists_sessions_newest_first_and_pages_as_it_scrolls()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        // Forty sessions through the API: more than one page of the sidebar's thirty.
        for (var i = 1; i <= 40; i++)
        {
            var response = await chat.Page.Context.APIRequest.PostAsync("/api/sessions", new() { DataObject = new { title = $"Chat {i:00}" } });
            Assert.Equal(201, response.Status);
        }
        await chat.Page.ReloadAsync();
        var items = chat.Page.Locator(".session-list .session-link");
        await Expect(items.First).ToHaveTextAsync("Chat 40");
        await Expect(items).ToHaveCountAsync(30);
        await items.Nth(29).ScrollIntoViewIfNeededAsync();
        await Expect(items).ToHaveCountAsync(40);
        await Expect(items.Last).ToHaveTextAsync("Chat 01");
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail("The condition did not become true within 10 s.");
    }
}
