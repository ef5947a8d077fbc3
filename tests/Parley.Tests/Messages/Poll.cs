namespace Parley.Tests.Messages;

// Waits for a condition the server reaches on its own time (a background title, a reply's end), checking it
// until a deadline instead of sleeping a guessed amount.
public static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> reached, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await probe();
            if (reached(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Waited {timeout.TotalSeconds:0.#} s for {what}; last value: {value}");
            await Task.Delay(25);
        }
    }
}
