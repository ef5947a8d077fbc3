using Parley.UiTests.Infrastructure;

namespace Parley.UiTests.Chat;

public sealed class StreamingTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    [Fact]
    public async Task Stop_midway_keeps_the_partial_text_and_shows_stopped()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        await chat.Page.Locator("select.model-select").SelectOptionAsync(UiFixture.SlowModel);
        await chat.SendAsync("Write a long answer, please.");
        await Expect(chat.LastReplyBody).Not.ToBeEmptyAsync();

        await chat.StopButton.ClickAsync();
        await chat.WaitForReplyStatusAsync("cancelled");

        var shown = await chat.LastReplyRawTextAsync();
        Assert.False(string.IsNullOrWhiteSpace(shown));
        await Expect(chat.LastReply.Locator(".message-status")).ToHaveTextAsync("Stopped");
        var stored = await chat.GetJsonAsync($"/api/messages/{await chat.LastReplyIdAsync()}");
        Assert.Equal("cancelled", stored.GetProperty("status").GetString());
        Assert.Equal(stored.GetProperty("content").GetString(), shown);
        await Expect(chat.SendButton).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Reloading_during_a_reply_resumes_it_and_ends_equal_to_the_stored_message()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        await chat.Page.Locator("select.model-select").SelectOptionAsync(UiFixture.SlowModel);
        await chat.SendAsync("Tell me a story about resuming streams.");
        await Expect(chat.LastReplyBody).Not.ToBeEmptyAsync();
        var replyId = await chat.LastReplyIdAsync();
        var before = await chat.LastReplyRawTextAsync();

        await chat.Page.ReloadAsync();
        var reply = chat.Page.Locator($"article[data-message-id='{replyId}']");
        await Expect(reply).ToBeVisibleAsync();
        // Still running after the reload: the page picked the stream up rather than showing a finished reply.
        Assert.Contains(await reply.GetAttributeAsync("data-status"), new[] { "queued", "generating" });
        await Expect(reply).ToHaveAttributeAsync("data-status", "complete", new() { Timeout = 30_000 });

        var shown = await reply.EvaluateAsync<string>("el => el.parleyText");
        var stored = await chat.GetJsonAsync($"/api/messages/{replyId}");
        Assert.Equal(stored.GetProperty("content").GetString(), shown);
        Assert.StartsWith(before, shown);
        Assert.True(shown.Length > before.Length);
    }

    [Fact]
    public async Task Losing_the_network_mid_reply_shows_it_and_resumes_without_loss_or_duplicates()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        await chat.Page.Locator("select.model-select").SelectOptionAsync(UiFixture.SlowModel);
        await chat.SendAsync("Keep talking while my network drops.");
        await Expect(chat.LastReplyBody).Not.ToBeEmptyAsync();
        var replyId = await chat.LastReplyIdAsync();

        // Offline, then the open stream's connection is reset: reconnecting fails until the network is back.
        await chat.Page.Context.SetOfflineAsync(true);
        Assert.True(fixture.Server.Streams.AbortAll() > 0);
        await Expect(chat.Page.Locator(".notice")).ToContainTextAsync("Connection lost. Reconnecting…");
        var whileOffline = await chat.LastReplyRawTextAsync();
        Assert.Contains(await chat.LastReply.GetAttributeAsync("data-status"), new[] { "queued", "generating" });
        await Task.Delay(1000);
        await chat.Page.Context.SetOfflineAsync(false);

        await chat.WaitForReplyStatusAsync("complete");
        await Expect(chat.Page.Locator(".notice")).ToBeHiddenAsync();
        var shown = await chat.LastReplyRawTextAsync();
        var stored = await chat.GetJsonAsync($"/api/messages/{replyId}");
        Assert.Equal(stored.GetProperty("content").GetString(), shown);
        Assert.StartsWith(whileOffline, shown);
    }

    [Fact]
    public async Task The_conversation_follows_the_reply_unless_the_reader_scrolled_up()
    {
        // A small screen, so a long reply overflows the conversation.
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync(new() { ViewportSize = new() { Width = 390, Height = 480 } }));
        var conversation = chat.Page.Locator(".conversation");
        const string distanceFromBottom = "el => el.scrollHeight - el.scrollTop - el.clientHeight";
        await chat.Page.Locator("select.model-select").SelectOptionAsync(UiFixture.SlowModel);
        await chat.SendAsync("A long reply, please.");

        // Following: while the reply grows past the screen, the view stays at its end.
        await Expect(chat.LastReplyBody).ToContainTextAsync("w90");
        Assert.True(await conversation.EvaluateAsync<double>("el => el.scrollHeight - el.clientHeight") > 50);
        Assert.True(await conversation.EvaluateAsync<double>(distanceFromBottom) < 50);

        // Scrolled up: the reply keeps growing, the view stays put, and a button offers the way back.
        await conversation.EvaluateAsync("el => el.scrollTo(0, 0)");
        await Expect(chat.LastReplyBody).ToContainTextAsync("w150");
        Assert.Equal(0, await conversation.EvaluateAsync<double>("el => el.scrollTop"));
        var jump = chat.Page.Locator("button.jump-button");
        await Expect(jump).ToBeVisibleAsync();
        await jump.ClickAsync();
        await Expect(jump).ToBeHiddenAsync();
        await chat.WaitForReplyStatusAsync("complete");
        Assert.True(await conversation.EvaluateAsync<double>(distanceFromBottom) < 50);
    }

    [Fact]
    public async Task A_reply_that_finished_while_the_page_was_away_shows_complete()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        await chat.SendAsync("Reply while I am away.");
        var replyId = await chat.LastReplyIdAsync();
        var sessionId = chat.CurrentSessionId();
        await chat.Page.GotoAsync("about:blank");

        // Wait on the API until the reply is done without any page watching.
        for (var i = 0; i < 200; i++)
        {
            var status = (await chat.GetJsonAsync($"/api/messages/{replyId}")).GetProperty("status").GetString();
            if (status == "complete") break;
            await Task.Delay(100);
        }
        await chat.Page.GotoAsync($"/?chat={sessionId}");
        var reply = chat.Page.Locator($"article[data-message-id='{replyId}']");
        await Expect(reply).ToHaveAttributeAsync("data-status", "complete");
        var stored = await chat.GetJsonAsync($"/api/messages/{replyId}");
        Assert.Equal(stored.GetProperty("content").GetString(), await reply.EvaluateAsync<string>("el => el.parleyText"));
    }

    [Fact]
    public async Task Regenerate_replaces_the_last_reply_with_a_new_one()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        await chat.Page.Locator("select.model-select").SelectOptionAsync(UiFixture.EchoModel);
        await chat.SendAsync("echo these words");
        await chat.WaitForReplyStatusAsync("complete");
        var first = await chat.LastReplyIdAsync();

        await chat.LastReply.Locator("button.regenerate").ClickAsync();
        await Expect(chat.LastReply).Not.ToHaveAttributeAsync("data-message-id", first);
        await chat.WaitForReplyStatusAsync("complete");
        await Expect(chat.Page.Locator("article.message.assistant")).ToHaveCountAsync(1);
        await Expect(chat.LastReplyBody).ToContainTextAsync("echo these words");
    }

    [Fact]
    public async Task Shift_Enter_adds_a_line_and_Enter_sends()
    {
        var chat = await ChatPage.RegisterAsync(await fixture.NewPageAsync());
        await chat.Input.FillAsync("first line");
        await chat.Input.PressAsync("Shift+Enter");
        await chat.Input.PressSequentiallyAsync("second line");
        Assert.Equal("first line\nsecond line", await chat.Input.InputValueAsync());
        await Expect(chat.Page.Locator("article.message.user")).ToHaveCountAsync(0);

        await chat.Input.PressAsync("Enter");
        var sent = chat.Page.Locator("article.message.user .message-body");
        await Expect(sent).ToHaveCountAsync(1);
        Assert.Equal("first line\nsecond line", await sent.TextContentAsync());
        await Expect(chat.Input).ToHaveValueAsync("");
    }
}
