using Parley.UiTests.Infrastructure;

namespace Parley.UiTests.Layout;

public sealed class AccountTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    [Fact]
    public async Task Api_keys_are_created_once_listed_and_revoked_and_usage_is_summed()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        var page = chat.Page;
        await chat.SendAsync("Count my tokens.");
        await chat.WaitForReplyStatusAsync("complete");

        await page.Locator("button", new() { HasText = "API keys and usage" }).ClickAsync();
        await Expect(page.Locator(".usage-totals")).ToContainTextAsync("Requests");
        await Expect(page.Locator(".usage .data-table")).ToContainTextAsync("demo");

        await page.Locator("#key-name").FillAsync("laptop");
        await page.Locator("button", new() { HasText = "Create key" }).ClickAsync();
        var key = page.Locator(".new-key .key-value");
        await Expect(key).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\S{20,}$"));
        var secret = await key.TextContentAsync();
        await Expect(page.Locator(".key-list")).ToContainTextAsync("laptop");
        await chat.ScreenshotAsync("light-account");
        // The list never shows the secret again.
        Assert.DoesNotContain(secret!, await page.Locator(".key-list").InnerTextAsync());

        // A program uses the key on /v1; the key's row then shows what it spent.
        using (var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress })
        {
            http.DefaultRequestHeaders.Authorization = new("Bearer", secret);
            using var body = new StringContent("""{"model":"demo","max_tokens":3,"messages":[{"role":"user","content":"hi"}]}""",
                System.Text.Encoding.UTF8, "application/json");
            (await http.PostAsync("/v1/chat/completions", body)).EnsureSuccessStatusCode();
        }
        await page.Locator("button", new() { HasText = "Back to chat" }).ClickAsync();
        await page.Locator("button", new() { HasText = "API keys and usage" }).ClickAsync();
        await Expect(page.Locator(".key-list")).ToContainTextAsync("(1)");

        await page.Locator(".key-list button", new() { HasText = "Revoke" }).ClickAsync();
        await page.Locator("dialog button[value=ok]").ClickAsync();
        await Expect(page.Locator(".key-list")).ToContainTextAsync("No API keys yet.");
        await page.Locator("button", new() { HasText = "Back to chat" }).ClickAsync();
        await Expect(chat.Input).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Signing_out_returns_to_the_sign_in_page_and_signing_in_again_works()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync(), "returning-user");
        var page = chat.Page;
        await page.Locator("button", new() { HasText = "Sign out" }).ClickAsync();
        await Expect(page.Locator("#auth-heading")).ToHaveTextAsync("Sign in to Parley");

        await page.Locator("#auth-username").FillAsync("returning-user");
        await page.Locator("#auth-password").FillAsync("wrong-password");
        await page.Locator(".auth-form button[type=submit]").ClickAsync();
        await Expect(page.Locator(".form-error")).ToHaveTextAsync("The username or password is wrong.");

        await page.Locator("#auth-password").FillAsync(ChatPage.Password);
        await page.Locator(".auth-form button[type=submit]").ClickAsync();
        await Expect(chat.Input).ToBeVisibleAsync();
    }
}
