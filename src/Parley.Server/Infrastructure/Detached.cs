namespace Parley.Server.Infrastructure;

// Work that outlives the request that starts it (a reply, a shared loop started on first use) runs without that
// request's execution context. Otherwise it would keep the request's Activity, logging scope and any other
// async-local state alive for as long as it runs, and pass the request's trace on to calls it makes.
internal static class Detached
{
    public static Task Run(Func<Task> work)
    {
        using (Suppress()) return Task.Run(work);
    }

    // Null when the flow is suppressed already.
    public static AsyncFlowControl? Suppress() => ExecutionContext.IsFlowSuppressed() ? null : ExecutionContext.SuppressFlow();
}
