using System.Collections.Concurrent;
using Parley.UiTests.Infrastructure;

namespace Parley.UiTests.Safety;

public sealed class UntrustedOutputTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    // FakeLlm repeats the user's words, so the "model output" is exactly this: each attack sets window.__pwned if
    // it runs, and the remote image would fetch from another origin if it loaded.
    private const string Payload =
        "<img src=x onerror=\"window.__pwned='img'\"> " +
        "<script>window.__pwned='script'</script> " +
        "[click me](javascript:window.__pwned='link') " +
        "<a href=\"javascript:window.__pwned='anchor'\">raw anchor</a> " +
        "![tracker](http://remote.example/x.png) " +
        "<iframe src=\"http://remote.example/frame\"></iframe>";

    [Fact]
    public async Task Hostile_model_output_executes_nothing_and_loads_nothing_remote()
    {
        var page = await fixture.NewPageAsync();
        var server = fixture.Server.BaseAddress;
        var foreign = new ConcurrentBag<string>();
        page.Request += (_, request) =>
        {
            var url = new Uri(request.Url);
            if (url.Scheme is "http" or "https" or "ws" or "wss" && url.Authority != server.Authority) foreign.Add(request.Url);
        };
        // Nothing leaves the machine even if the assertion below were to fail.
        await page.RouteAsync("**/*", route => new Uri(route.Request.Url).Authority == server.Authority || !route.Request.Url.StartsWith("http")
            ? route.ContinueAsync()
            : route.AbortAsync());
        var response = await page.GotoAsync("/");
        Assert.Contains("script-src 'self'", response!.Headers["content-security-policy"]);

        var chat = await ChatPage.RegisterAsync(page);
        await page.Locator("select.model-select").SelectOptionAsync(UiFixture.EchoModel);
        await chat.SendAsync(Payload);
        await chat.WaitForReplyStatusAsync("complete");

        var reply = chat.LastReplyBody;
        // The words arrived (so the attack really was rendered), shown as text.
        await Expect(reply).ToContainTextAsync("<script>window.__pwned='script'</script>");
        await Expect(reply).ToContainTextAsync("<img src=x");
        Assert.Equal(0, await page.Locator(".messages img, .messages script, .messages iframe").CountAsync());
        Assert.Equal(0, await page.Locator(".messages [onerror]").CountAsync());
        Assert.Equal(0, await page.Locator(".messages a[href^='javascript' i]").CountAsync());

        // The remote image is a link to open on purpose, never an image.
        var image = reply.Locator(".remote-image a");
        await Expect(image).ToHaveAttributeAsync("href", "http://remote.example/x.png");
        await Expect(image).ToHaveAttributeAsync("rel", new System.Text.RegularExpressions.Regex("noopener noreferrer"));
        await Expect(reply.Locator(".remote-image")).ToContainTextAsync("Remote image not loaded");

        // Clicking the neutralised link does nothing either.
        await reply.Locator("a", new() { HasText = "click me" }).ClickAsync();
        await page.WaitForTimeoutAsync(500);
        Assert.Null(await page.EvaluateAsync<string?>("() => window.__pwned ?? null"));
        Assert.Empty(foreign);

        // Reloaded from the store, the same reply is just as inert.
        await page.ReloadAsync();
        await chat.WaitForReplyStatusAsync("complete");
        await Expect(chat.LastReplyBody).ToContainTextAsync("<script>window.__pwned='script'</script>");
        await page.WaitForTimeoutAsync(300);
        Assert.Null(await page.EvaluateAsync<string?>("() => window.__pwned ?? null"));
        Assert.Empty(foreign);
    }

    [Fact]
    public async Task Model_output_renders_as_markdown_with_safe_links()
    {
        var page = await fixture.NewPageAsync();
        var chat = await ChatPage.RegisterAsync(page);
        // FakeLlm keeps the message's words but not its line breaks, so only inline markdown is checked here;
        // block markdown (headings, lists, tables, code) is covered by the front end's unit tests.
        await page.Locator("select.model-select").SelectOptionAsync(UiFixture.EchoModel);
        await chat.SendAsync("Here is **bold** and `inline code` and a [link](https://example.com/docs)");
        await chat.WaitForReplyStatusAsync("complete");
        await Expect(chat.LastReplyBody.Locator("strong")).ToHaveTextAsync("bold");
        await Expect(chat.LastReplyBody.Locator("code")).ToHaveTextAsync("inline code");
        var link = chat.LastReplyBody.Locator("a", new() { HasText = "link" });
        await Expect(link).ToHaveAttributeAsync("rel", "noopener noreferrer nofollow");
        await Expect(link).ToHaveAttributeAsync("target", "_blank");
    }
}
