using Parley.UiTests.Infrastructure;

namespace Parley.UiTests.Chat;

// Failures reach the user as sentences that say what to do, never as raw JSON.
public sealed class ErrorTests(RateLimitedFixture fixture) : IClassFixture<RateLimitedFixture>
{
    [Fact]
    public async Task The_rate_limit_says_when_to_retry_and_keeps_the_typed_message()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        await chat.Page.Locator("select.model-select").SelectOptionAsync(UiFixture.EchoModel);
        for (var i = 1; i <= RateLimitedFixture.Limit; i++)
        {
            await chat.SendAsync($"message number {i}");
            await chat.WaitForReplyStatusAsync("complete");
        }

        await chat.Input.FillAsync("one too many");
        await chat.Input.PressAsync("Enter");
        var notice = chat.Page.Locator(".notice");
        await Expect(notice).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"You are sending too fast\. Try again in \d+ s\."));
        Assert.DoesNotContain("{", await notice.InnerTextAsync());
        await Expect(notice.Locator("button.notice-retry")).ToBeVisibleAsync();
        await Expect(notice.Locator("button.notice-retry")).ToBeDisabledAsync();
        await Expect(chat.Input).ToHaveValueAsync("one too many");
    }

    [Fact]
    public async Task An_upstream_failure_is_explained_and_the_reply_can_be_regenerated()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        await chat.Page.Locator("select.model-select").SelectOptionAsync(UiFixture.RefusingModel);
        await chat.SendAsync("this upstream refuses us");
        await chat.WaitForReplyStatusAsync("error");
        var status = chat.LastReply.Locator(".message-status");
        await Expect(status).ToHaveTextAsync("Failed: The server could not sign in to the model provider. Ask the administrator.");
        await Expect(chat.LastReply.Locator("button.regenerate")).ToBeVisibleAsync();
        Assert.DoesNotContain("{", await chat.LastReply.InnerTextAsync());
    }
}
