using Parley.UiTests.Infrastructure;

namespace Parley.UiTests.Layout;

public sealed class AccessibilityTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    // Every control a keyboard or screen reader reaches has a name.
    private const string UnnamedControls = """
        () => [...document.querySelectorAll('button, select, textarea, input, a[href]')]
          .filter(el => el.getClientRects().length > 0)
          .filter(el => !(el.getAttribute('aria-label') || el.textContent.trim() || el.labels?.length || el.title))
          .map(el => el.outerHTML)
        """;

    [Fact]
    public async Task Controls_are_named_and_the_chat_works_from_the_keyboard()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        var page = chat.Page;
        await chat.SendAsync("Hello from the keyboard.");
        await chat.WaitForReplyStatusAsync("complete");
        Assert.Empty(await page.EvaluateAsync<string[]>(UnnamedControls));

        // Settings open from the keyboard and Escape closes the dialog.
        await page.Locator("button.settings-button").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("dialog[open]")).ToBeVisibleAsync();
        Assert.Empty(await page.EvaluateAsync<string[]>(UnnamedControls));
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("dialog")).ToHaveCountAsync(0);

        // The sidebar's rename button is reachable with Tab from the chat link.
        await page.Locator(".session-list .session-link").First.FocusAsync();
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("session-rename", await page.EvaluateAsync<string>("() => document.activeElement.classList[1]"));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#prompt-input")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
    }
}
