using Parley.UiTests.Infrastructure;

namespace Parley.UiTests.Layout;

public sealed class ThemeAndPhoneTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    private const string Background = "() => getComputedStyle(document.body).backgroundColor";

    [Fact]
    public async Task The_theme_follows_the_system_and_the_switcher_overrides_it()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync(new() { ColorScheme = ColorScheme.Dark }));
        var page = chat.Page;
        Assert.Equal("rgb(23, 25, 29)", await page.EvaluateAsync<string>(Background));
        await chat.SendAsync("Show me the dark theme.");
        await chat.WaitForReplyStatusAsync("complete");
        await chat.ScreenshotAsync("dark-chat");

        // system → light → dark → system
        var button = page.Locator(".sidebar button.theme-button");
        await button.ClickAsync();
        Assert.Equal("rgb(255, 255, 255)", await page.EvaluateAsync<string>(Background));
        await Expect(button).ToHaveAttributeAsync("aria-label", "Light theme");
        await page.ReloadAsync();
        Assert.Equal("rgb(255, 255, 255)", await page.EvaluateAsync<string>(Background));
        await button.ClickAsync();
        Assert.Equal("rgb(23, 25, 29)", await page.EvaluateAsync<string>(Background));
    }

    [Fact]
    public async Task At_phone_width_the_sidebar_is_a_drawer_and_the_chat_is_usable()
    {
        var page = await fixture.NewPageAsync(new()
        {
            ViewportSize = new() { Width = 390, Height = 844 },
            IsMobile = true,
            HasTouch = true,
            ColorScheme = ColorScheme.Light,
            // No drawer animation, so the screenshot shows it open rather than sliding in.
            ReducedMotion = ReducedMotion.Reduce,
        });
        var chat = await ChatPage.RegisterAsync(page);
        await Expect(page.Locator("#sidebar")).ToBeHiddenAsync();
        var menu = page.Locator("button.menu-button");
        await Expect(menu).ToBeVisibleAsync();

        await chat.SendAsync("Hello from a phone.");
        await chat.WaitForReplyStatusAsync("complete");
        await Expect(chat.LastReplyBody).Not.ToBeEmptyAsync();
        foreach (var locator in new[] { chat.Input, chat.SendButton, chat.LastReplyBody })
        {
            var box = await locator.BoundingBoxAsync();
            Assert.NotNull(box);
            Assert.True(box.X >= 0 && box.X + box.Width <= 390.5, $"{locator} sticks out of the screen: {box.X}+{box.Width}");
            Assert.True(box.Y + box.Height <= 844.5);
        }
        // No sideways scrolling.
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 390"));
        await chat.ScreenshotAsync("phone-chat");

        await menu.ClickAsync();
        await Expect(page.Locator("#sidebar")).ToBeVisibleAsync();
        await Expect(menu).ToHaveAttributeAsync("aria-expanded", "true");
        await Expect(page.Locator(".session-list li")).ToHaveCountAsync(1);
        await chat.ScreenshotAsync("phone-drawer");
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("#sidebar")).ToBeHiddenAsync();

        await menu.ClickAsync();
        await page.Locator("button.new-chat").ClickAsync();
        await Expect(page.Locator("#sidebar")).ToBeHiddenAsync();
        await Expect(page.Locator(".empty-state")).ToBeVisibleAsync();
    }
}
