using Parley.UiTests.Infrastructure;

namespace Parley.UiTests.Chat;

public sealed class ToolCallTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    [Fact]
    public async Task A_reply_shows_the_tool_it_ran_with_its_arguments_and_result_live_and_after_a_reload()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        await chat.Page.Locator("select.model-select").SelectOptionAsync(UiFixture.ToolModel);
        await chat.SendAsync("What is (2+3)*4?");
        await chat.WaitForReplyStatusAsync("complete");
        var replyId = await chat.LastReplyIdAsync();

        await AssertShowsCalculatorAsync(chat.LastReply);
        await Expect(chat.LastReplyBody).ToContainTextAsync("tool said: 20");

        // The stored message carries the same call, and the page shows it from there after a reload.
        await chat.Page.ReloadAsync();
        var reply = chat.Page.Locator($"article[data-message-id='{replyId}']");
        await Expect(reply).ToHaveAttributeAsync("data-status", "complete");
        await AssertShowsCalculatorAsync(reply);

        // The block follows the page's language.
        await chat.Page.Locator(".sidebar select.language-select").SelectOptionAsync("zh");
        await Expect(reply.Locator(".tool-call summary")).ToHaveTextAsync("调用了工具 calculator");
    }

    private static async Task AssertShowsCalculatorAsync(ILocator reply)
    {
        var call = reply.Locator(".tool-call");
        await Expect(call).ToHaveCountAsync(1);
        await Expect(call.Locator("summary")).ToHaveTextAsync("Used the tool calculator");
        // Closed until asked for; opening it shows what the tool got and gave.
        await Expect(call.Locator(".tool-result")).Not.ToBeVisibleAsync();
        await call.Locator("summary").ClickAsync();
        await Expect(call.Locator(".tool-arguments")).ToHaveTextAsync("{\"expression\":\"(2+3)*4\"}");
        await Expect(call.Locator(".tool-result")).ToHaveTextAsync("20");
    }
}
