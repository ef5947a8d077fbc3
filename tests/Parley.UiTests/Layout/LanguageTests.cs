using Parley.UiTests.Infrastructure;

namespace Parley.UiTests.Layout;

public sealed class LanguageTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    [Fact]
    public async Task Switching_to_Chinese_changes_the_strings_and_is_remembered()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        var page = chat.Page;
        await Expect(page.Locator("button.new-chat")).ToHaveTextAsync("New chat");

        await page.Locator(".sidebar select.language-select").SelectOptionAsync("zh");
        await Expect(page.Locator("button.new-chat")).ToHaveTextAsync("新对话");
        await Expect(chat.SendButton).ToHaveTextAsync("发送");
        await Expect(chat.Input).ToHaveAttributeAsync("placeholder", new System.Text.RegularExpressions.Regex("^给 Parley 发消息"));
        await Expect(page.Locator("select.persona-select option")).ToHaveTextAsync(new[] { "智能助手", "AI老师", "编程专家" });
        await Expect(page.Locator("select.model-select option[value='demo']")).ToHaveTextAsync("离线演示 (离线)");
        Assert.Equal("zh-CN", await page.EvaluateAsync<string>("() => document.documentElement.lang"));

        await chat.SendAsync("你好，请介绍一下你自己。");
        await chat.WaitForReplyStatusAsync("complete");
        await chat.ScreenshotAsync("chinese-chat");

        // Remembered across a reload; the only things stored are preferences, and the session cookie is HttpOnly.
        await page.ReloadAsync();
        await Expect(page.Locator("button.new-chat")).ToHaveTextAsync("新对话");
        var keys = await page.EvaluateAsync<string[]>("() => Object.keys(localStorage)");
        Assert.All(keys, key => Assert.Contains(key, new[] { "parley.lang", "parley.theme" }));
        Assert.Equal("", await page.EvaluateAsync<string>("() => document.cookie"));

        await page.Locator(".sidebar select.language-select").SelectOptionAsync("en");
        await Expect(page.Locator("button.new-chat")).ToHaveTextAsync("New chat");
    }

    [Fact]
    public async Task A_Chinese_browser_gets_the_Chinese_sign_in_page()
    {
        var page = await fixture.NewPageAsync(new() { Locale = "zh-CN" });
        // Someone has registered, so the page offers sign-in rather than the first-run setup.
        await page.Context.APIRequest.PostAsync("/api/auth/register", new() { DataObject = new { username = "someone-else", password = ChatPage.Password } });
        await page.GotoAsync("/");
        await Expect(page.Locator("#auth-heading")).ToHaveTextAsync("登录 Parley");
        await Expect(page.Locator("label[for=auth-password]")).ToHaveTextAsync("密码");
    }
}
