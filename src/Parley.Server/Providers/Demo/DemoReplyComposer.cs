using System.Text;

namespace Parley.Server.Providers.Demo;

// Writes the demo model's reply. The opening proves what context arrived (persona, the user's last message,
// how many earlier messages were in the prompt); the rest is filler picked by a stable hash of that context,
// so the same input always gives the same reply.
internal static class DemoReplyComposer
{
    private static readonly string[] EnglishFiller =
    [
        "This reply comes from Parley's built-in demo model, which runs offline.",
        "Connect a real provider in the configuration to get real answers.",
        "Every word you see was streamed as a separate event and stored on the server.",
        "You can refresh the page and the reply will carry on where it was.",
        "Press stop at any time and the partial text is kept.",
        "The conversation history is trimmed to the newest turns that fit the window.",
        "Sessions, messages and stream events all live in the database.",
        "Ask another question to see the turn count grow.",
    ];

    private static readonly string[] ChineseFiller =
    [
        "这条回复来自 Parley 内置的离线演示模型。",
        "在配置中接入真实的模型服务，就能得到真正的回答。",
        "你看到的每个词都是作为单独的事件流式发送并保存在服务器上的。",
        "刷新页面后，回复会从中断的地方继续。",
        "随时可以点击停止，已生成的内容会被保留。",
        "对话历史会按窗口大小保留最新的几轮。",
        "会话、消息和流事件都保存在数据库中。",
        "再问一个问题，就能看到轮数的变化。",
    ];

    public static IReadOnlyList<string> Compose(ModelRequest request, int replyTokens)
    {
        var last = request.LastUserMessage.Trim();
        if (last.Length > 500) last = last[..500] + "…";
        var earlier = Math.Max(0, request.Messages.Count(m => m.Role != "system") - 1);
        var chinese = TokenEstimator.IsMostlyChinese(last);

        var opening = chinese
            ? $"【离线演示 · 角色：{request.PersonaName}】你说：“{last}”。我看到了这次对话中之前的 {earlier} 条消息。"
            : $"[Offline demo · persona: {request.PersonaName}] You said: \"{last}\". I can see {earlier} earlier messages in this conversation.";

        var tokens = new List<string>();
        Split(opening, chinese, tokens);

        var filler = chinese ? ChineseFiller : EnglishFiller;
        var seed = StableHash($"{request.PersonaName}\n{last}\n{earlier}");
        for (var i = 0; tokens.Count < replyTokens; i++)
        {
            var sentence = filler[(int)((seed + (uint)i * 7u) % (uint)filler.Length)];
            Split(chinese ? sentence : " " + sentence, chinese, tokens);
        }
        return tokens;
    }

    // English streams word by word, each word with its leading space; Chinese streams two characters at a time.
    // Whole sentences are added, so a reply may run a few tokens past ReplyTokens rather than stop mid-sentence.
    private static void Split(string text, bool chinese, List<string> into)
    {
        if (chinese)
        {
            var enumerator = System.Globalization.StringInfo.GetTextElementEnumerator(text);
            var current = new StringBuilder();
            var count = 0;
            while (enumerator.MoveNext())
            {
                current.Append(enumerator.GetTextElement());
                if (++count == 2)
                {
                    into.Add(current.ToString());
                    current.Clear();
                    count = 0;
                }
            }
            if (current.Length > 0) into.Add(current.ToString());
            return;
        }

        var start = 0;
        for (var i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ' ')
            {
                into.Add(text[start..i]);
                start = i;
            }
        }
    }

    private static uint StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 16777619u;
        }
        return hash;
    }
}
