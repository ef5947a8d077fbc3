using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Parley.Server.Cluster;
using Parley.Server.Infrastructure;
using Parley.Server.Storage;

namespace Parley.Server.Generation;

// Claims reply jobs and runs each in its own scope, up to MaxConcurrentReplies at once. Every running reply is
// tracked: at shutdown the worker stops claiming, gives running replies the grace period to finish, then
// hands the rest back so that the next start (or another node) redoes them. Nothing is fire-and-forget.
//
// The drain starts when the application starts stopping, not in StopAsync: the web server stops first and
// waits for open requests, and open reply streams only end once the drain is over (StreamShutdown).
//
// A send on a node with a free slot claims its reply in the send's own transaction (TryTakeSlot, then Run):
// the reply starts without a wake-up, a claim and their waits, which were the largest part of the slowest first
// tokens at 100 replies (docs/BENCHMARKS.md). The claim loop takes up everything else: sends that found the
// node full, sends on api-only nodes, and replies whose node died.
internal sealed class ReplyWorker(
    IServiceScopeFactory scopes,
    ReplyJobQueue queue,
    ReplySignal signal,
    ReplyLifecycle lifecycle,
    ReplyCancellations cancellations,
    IOptions<ClusterOptions> cluster,
    DatabaseTarget database,
    Streaming.StreamShutdown streams,
    IHostApplicationLifetime lifetime,
    IOptions<GenerationOptions> options,
    ILogger<ReplyWorker> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, (ClaimedJob Job, Task Run)> _running = new();
    private readonly CancellationTokenSource _handBack = new();
    private readonly CancellationTokenSource _stopHeartbeat = new();
    private Task _heartbeat = Task.CompletedTask;
    private readonly Lock _drainLock = new();
    private Task? _drain;
    private Task _loop = Task.CompletedTask;
    // Not disposed: replies still running after the claim loop ends release their slot later.
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentReplies);
    // Slots taken by sends that have not started their reply yet; the drain waits for them.
    private int _sendsStarting;
    private bool _acceptingSends;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        lifetime.ApplicationStopping.Register(() => StartDrain());
        // SPEC §11.5: an api-only node never generates; its sends are taken up by the worker nodes.
        if (!cluster.Value.IsWorker) return;
        if (database.Kind == DatabaseKind.Sqlite) await queue.ReleaseAllLeasesAsync(stoppingToken);
        // Only now: the release above must not free a lease that a send has just taken.
        lock (_drainLock) _acceptingSends = _drain is null;

        _heartbeat = HeartbeatLoopAsync(TimeSpan.FromSeconds(settings.LeaseSeconds / 3.0));
        var poll = TimeSpan.FromMilliseconds(settings.PollIntervalMs);
        using var claiming = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime.ApplicationStopping);
        _loop = ClaimLoopAsync(_slots, poll, claiming.Token);
        await _loop;
    }

    private async Task ClaimLoopAsync(SemaphoreSlim slots, TimeSpan poll, CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await slots.WaitAsync(stoppingToken);
                signal.Wake.Reset();
                ClaimedJob? job = null;
                try
                {
                    job = await queue.TryClaimAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Claiming a reply job failed; trying again shortly");
                }

                if (job is null)
                {
                    slots.Release();
                    await signal.Wake.WaitAsync(poll, stoppingToken);
                    continue;
                }

                logger.LogDebug("Claimed reply {MessageId}, attempt {Attempt}", job.MessageId, job.Attempt);
                Launch(job, slots);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // A slot for a reply that the caller claims in its own transaction, or null when this node takes no work
    // now (it is full, api-only, starting or stopping); the reply is then left queued for the claim loop. The
    // slot goes back when disposed unless Run took it.
    public SendSlot? TryTakeSlot()
    {
        lock (_drainLock)
        {
            if (!_acceptingSends || !_slots.Wait(0)) return null;
            _sendsStarting++;
            return new SendSlot(this);
        }
    }

    // Runs a reply that the slot's holder has claimed and committed.
    public void Run(ClaimedJob job, SendSlot slot)
    {
        if (!slot.Hand()) throw new InvalidOperationException("The slot was already used or given back.");
        logger.LogDebug("Started reply {MessageId} with its send", job.MessageId);
        Launch(job, _slots);
        lock (_drainLock) _sendsStarting--;
    }

    // Tracked before it starts, so that it is found by the drain and removes itself only once added. It runs
    // detached from the send that may have started it, and so keeps none of that request alive.
    private void Launch(ClaimedJob job, SemaphoreSlim slots)
    {
        using var detached = Detached.Suppress();
        var run = new Task<Task>(() => RunJobAsync(job, slots));
        _running[job.MessageId] = (job, run.Unwrap());
        run.Start(TaskScheduler.Default);
    }

    private void GiveBack()
    {
        _slots.Release();
        lock (_drainLock) _sendsStarting--;
    }

    internal sealed class SendSlot(ReplyWorker worker) : IDisposable
    {
        private int _used;

        internal bool Hand() => Interlocked.Exchange(ref _used, 1) == 0;

        public void Dispose()
        {
            if (Hand()) worker.GiveBack();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await StartDrain().WaitAsync(cancellationToken);
        await base.StopAsync(cancellationToken);
    }

    private Task StartDrain()
    {
        lock (_drainLock)
        {
            _acceptingSends = false;
            return _drain ??= Task.Run(DrainAsync);
        }
    }

    private async Task DrainAsync()
    {
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        var grace = TimeSpan.FromSeconds(options.Value.ShutdownGraceSeconds);
        // A send that took a slot before the drain began is committing its reply: it is counted below once it runs.
        var sinceStop = Stopwatch.StartNew();
        while (SendsStarting > 0 && sinceStop.Elapsed < grace) await Task.Delay(5);
        try
        {
            await Task.WhenAll(_running.Values.Select(r => r.Run)).WaitAsync(grace);
        }
        catch (TimeoutException)
        {
            logger.LogInformation("Shutdown grace of {Seconds}s is over; handing {Count} running replies back", grace.TotalSeconds, _running.Count);
        }
        await _handBack.CancelAsync();
        await Task.WhenAll(_running.Values.Select(r => r.Run)).ContinueWith(_ => { }, TaskScheduler.Default);
        // Leases were renewed through the grace period; with every reply finished or handed back, stop.
        await _stopHeartbeat.CancelAsync();
        await _heartbeat;
        streams.EndStreams();
    }

    private int SendsStarting
    {
        get
        {
            lock (_drainLock) return _sendsStarting;
        }
    }

    private async Task RunJobAsync(ClaimedJob job, SemaphoreSlim slots)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<ReplyGenerator>().RunAsync(job, _handBack.Token);
        }
        catch (OperationCanceledException) when (_handBack.IsCancellationRequested)
        {
            // Shutdown reached the reply before its generator could hand it back itself (while it was being
            // loaded or started): release the lease, return the attempt and put it back in the queue.
            await lifecycle.HandBackAsync(job.Lease, [], CancellationToken.None);
        }
        catch (Exception ex)
        {
            // Put back for another attempt (counted), unless the database itself is what failed: then the lease
            // lapses and another worker, or this one after a restart, takes the reply up.
            logger.LogError(ex, "Reply job {MessageId} failed on attempt {Attempt}", job.MessageId, job.Attempt);
            try
            {
                await lifecycle.HandBackAsync(job.Lease, [], CancellationToken.None, returnAttempt: false);
            }
            catch (Exception handBackError)
            {
                logger.LogError(handBackError, "Could not hand reply {MessageId} back", job.MessageId);
            }
        }
        finally
        {
            _running.TryRemove(job.MessageId, out _);
            slots.Release();
        }
    }

    private async Task HeartbeatLoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopHeartbeat.Token))
            {
                try
                {
                    var result = await queue.HeartbeatAsync(_running.Values.Select(r => r.Job).ToList(), CancellationToken.None);
                    // Its writes are fenced already; stopping the generator saves the work it would throw away.
                    foreach (var id in result.Lost)
                    {
                        if (cancellations.RequestCancel(id)) logger.LogWarning("This node no longer holds reply {MessageId}; stopping its generator", id);
                    }
                    // A cancel on another node whose notification did not arrive.
                    foreach (var id in result.CancelRequested) cancellations.RequestCancel(id);
                }
                catch (Exception ex)
                {
                    logger.LogWarning(ex, "Renewing reply leases failed");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // The cancellation sources are not disposed: a host may call StopAsync again after disposing its services,
    // and sources without timers hold nothing that needs releasing.
}
