using System.Text.Json;

namespace Parley.UiTests.Infrastructure;

// What a person does on the page, in the words of the page: sign up, send, wait for the reply.
public sealed class ChatPage(IPage page)
{
    public const string Password = "correct-horse-42";

    public IPage Page { get; } = page;

    public ILocator Input => Page.Locator("textarea.composer-input");
    public ILocator SendButton => Page.Locator("button.send-button");
    public ILocator StopButton => Page.Locator("button.stop-button");
    public ILocator LastReply => Page.Locator("article.message.assistant").Last;
    public ILocator LastReplyBody => LastReply.Locator(".message-body");

    public static async Task<ChatPage> RegisterAsync(IPage page, string? username = null)
    {
        username ??= "user" + Guid.NewGuid().ToString("N")[..10];
        await page.GotoAsync("/");
        var toggle = page.Locator("button.link-button", new() { HasText = "Create an account" });
        await Expect(page.Locator("#auth-username")).ToBeVisibleAsync();
        if (await toggle.IsVisibleAsync()) await toggle.ClickAsync();
        await page.Locator("#auth-username").FillAsync(username);
        await page.Locator("#auth-password").FillAsync(Password);
        await page.Locator(".auth-form button[type=submit]").ClickAsync();
        var chat = new ChatPage(page);
        await Expect(chat.Input).ToBeVisibleAsync();
        return chat;
    }

    // Sends and waits until the page shows the new message (and so its reply is the last one).
    public async Task SendAsync(string text)
    {
        var sent = Page.Locator("article.message.user");
        var before = await sent.CountAsync();
        await Input.FillAsync(text);
        await Input.PressAsync("Enter");
        await Expect(sent).ToHaveCountAsync(before + 1);
    }

    public async Task<string> LastReplyIdAsync() => (await LastReply.GetAttributeAsync("data-message-id"))!;

    public Task WaitForReplyStatusAsync(string status, float timeoutMs = 30_000) =>
        Expect(LastReply).ToHaveAttributeAsync("data-status", status, new() { Timeout = timeoutMs });

    // The reply's text as the page assembled it from the stream (before markdown rendering).
    public Task<string> LastReplyRawTextAsync() => LastReply.EvaluateAsync<string>("el => el.parleyText");

    public string? CurrentSessionId() =>
        System.Web.HttpUtility.ParseQueryString(new Uri(Page.Url).Query)["chat"];

    // The API with the page's own cookie, to compare what is shown with what is stored.
    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var response = await Page.Context.APIRequest.GetAsync(path);
        Assert.True(response.Ok, $"GET {path} answered {response.Status}");
        return (await response.JsonAsync())!.Value;
    }

    public async Task<int> StatusOfAsync(string path) => (await Page.Context.APIRequest.GetAsync(path)).Status;

    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new() { Path = Path.Combine(RepositoryPaths.Screenshots, name + ".png"), FullPage = false });
}
