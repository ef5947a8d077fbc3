using Parley.UiTests.Infrastructure;

namespace Parley.UiTests.Chat;

public sealed class FirstRunTests(FreshServerFixture fixture) : IClassFixture<FreshServerFixture>
{
    [Fact]
    public async Task First_visit_creates_the_admin_then_a_reply_streams_in_several_steps()
    {
        var page = await fixture.NewPageAsync(new() { ColorScheme = ColorScheme.Light });
        // Anything the CSP blocked, any script error, or a failed request shows up here. The one expected failure
        // is the page asking who is signed in before anyone is.
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)) errors.Add(message.Text);
        };
        page.PageError += (_, error) => errors.Add(error);
        page.Response += (_, response) =>
        {
            if (response.Status >= 400 && !(response.Status == 401 && response.Url.EndsWith("/api/me", StringComparison.Ordinal)))
            {
                errors.Add($"{response.Status} {response.Url}");
            }
        };
        await page.GotoAsync("/");
        await Expect(page.Locator("#auth-heading")).ToHaveTextAsync("Welcome to Parley");
        await Expect(page.Locator(".auth-form button[type=submit]")).ToHaveTextAsync("Create admin account");
        await page.ScreenshotAsync(new() { Path = Path.Combine(RepositoryPaths.Screenshots, "light-first-run.png") });

        var chat = await ChatPage.RegisterAsync(page, "admin");
        var me = await chat.GetJsonAsync("/api/me");
        Assert.True(me.GetProperty("isAdmin").GetBoolean());

        await chat.SendAsync("Hello! Please tell me about streaming.");
        await Expect(chat.SendButton).ToBeHiddenAsync();
        await Expect(chat.StopButton).ToBeVisibleAsync();
        await Expect(chat.LastReply.Locator(".typing")).ToBeVisibleAsync();

        // Sample the reply as it grows: it must be seen at several lengths before it is complete.
        var seen = new List<string>();
        while (await chat.LastReply.GetAttributeAsync("data-status") is "queued" or "generating")
        {
            var text = await chat.LastReplyBody.InnerTextAsync();
            if (text.Length > 0 && (seen.Count == 0 || seen[^1] != text)) seen.Add(text);
            await Task.Delay(100);
        }
        await chat.WaitForReplyStatusAsync("complete");
        var final = await chat.LastReplyBody.InnerTextAsync();

        var intermediate = seen.Where(s => s != final).ToList();
        Assert.True(intermediate.Count >= 2, $"Expected the reply to appear in steps, saw {intermediate.Count} intermediate texts.");
        Assert.True(intermediate[0].Length < final.Length);
        await Expect(chat.LastReply.Locator(".typing")).ToBeHiddenAsync();
        await Expect(chat.SendButton).ToBeVisibleAsync();
        await Expect(chat.LastReply.Locator("button.regenerate")).ToBeVisibleAsync();

        // The session appears in the sidebar once it has a title.
        await Expect(page.Locator(".session-list li")).ToHaveCountAsync(1);
        await chat.ScreenshotAsync("light-chat");
        Assert.Empty(errors);
    }
}
