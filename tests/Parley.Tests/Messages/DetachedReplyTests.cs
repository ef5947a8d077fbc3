using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Parley.Tests.Infrastructure;

namespace Parley.Tests.Messages;

// A reply outlives the send that started it. It runs without the send request's execution context, so that
// while it generates it keeps nothing of that request alive: not its Activity, not its logging scope.
public sealed class DetachedReplyTests(SlowReplyFixture slow) : IClassFixture<SlowReplyFixture>
{
    [Fact]
    public async Task A_running_reply_keeps_nothing_of_the_send_request_alive()
    {
        using var client = await slow.SignedInAsync();
        var sessionId = (await client.CreateSessionAsync()).Str("id");
        // The send carries a trace of its own, which tells its Activity apart from other tests' requests.
        var trace = ActivityTraceId.CreateRandom();
        var sends = new ConcurrentQueue<WeakReference>();
        using var listener = Listen(activity =>
        {
            if (activity.TraceId == trace) sends.Enqueue(new WeakReference(activity));
        });

        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sessions/{sessionId}/messages")
        {
            Content = JsonContent.Create(new { content = "Take your time" }),
        };
        request.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
        var reply = (await ParleyClient.ExpectAsync(await client.Http.SendAsync(request), HttpStatusCode.Accepted)).GetProperty("assistantMessage");
        try
        {
            await Poll.UntilAsync(() => Task.FromResult(sends.Count), count => count == 1, TimeSpan.FromSeconds(5), "the send's activity to stop");

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();

            Assert.False(sends.Single().IsAlive, "the running reply still holds the send request's Activity");
            Assert.Equal("generating", (await client.GetAsync($"/api/messages/{reply.Str("id")}")).Str("status"));
        }
        finally
        {
            await client.Http.PostAsync($"/api/messages/{reply.Str("id")}/cancel", null);
        }
    }

    // Makes the host record an Activity for every request, as a tracing exporter would, and reports each one
    // that stops.
    private static ActivityListener Listen(Action<Activity> stopped)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
