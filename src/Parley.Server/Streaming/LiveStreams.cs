using Microsoft.Extensions.Options;
using Parley.Server.Storage;

namespace Parley.Server.Streaming;

// In-process fan-out of replies that have readers on this node. Each live reply keeps one bounded buffer of
// its newest stored events, shared by all of its readers; a reader only holds a wake-up signal and its own
// position. A reader that falls behind the buffer reads from the store instead, so a slow reader costs no
// memory and never slows the generator or the other readers.
internal sealed class LiveStreams(IOptions<StreamingOptions> options)
{
    private readonly Dictionary<string, LiveReply> _replies = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public LiveSubscription Subscribe(string messageId)
    {
        lock (_gate)
        {
            if (!_replies.TryGetValue(messageId, out var reply))
            {
                _replies[messageId] = reply = new LiveReply(options.Value.LiveBufferEvents);
            }
            var subscription = new LiveSubscription(this, messageId, reply);
            reply.Add(subscription);
            return subscription;
        }
    }

    // Called only after the events are committed, so a reader never sees an event the store could lose.
    public void Publish(string messageId, IReadOnlyList<StreamEvent> events)
    {
        if (events.Count == 0) return;
        var reply = Find(messageId);
        if (reply is null) return;
        reply.Append(events);
        reply.WakeAll();
    }

    public void PublishStatus(string messageId, string status)
    {
        var reply = Find(messageId);
        if (reply is null) return;
        reply.Status = status;
        reply.WakeAll();
    }

    // Another node committed events of this reply: its readers here read them from the store.
    public void Wake(string messageId) => Find(messageId)?.WakeAll();

    // Notifications may have been missed (the LISTEN connection dropped): every reader looks in the store again.
    public void WakeAll()
    {
        List<LiveReply> replies;
        lock (_gate) replies = [.. _replies.Values];
        foreach (var reply in replies) reply.WakeAll();
    }

    // The message was deleted: its readers end their streams.
    public void Remove(string messageId)
    {
        var reply = Find(messageId);
        if (reply is null) return;
        reply.Deleted = true;
        reply.WakeAll();
    }

    internal void Unsubscribe(LiveSubscription subscription)
    {
        lock (_gate)
        {
            if (!_replies.TryGetValue(subscription.MessageId, out var reply)) return;
            if (reply.Remove(subscription) > 0) return;
            _replies.Remove(subscription.MessageId);
            reply.Release();
        }
    }

    private LiveReply? Find(string messageId)
    {
        lock (_gate) return _replies.GetValueOrDefault(messageId);
    }

    internal sealed class LiveReply(int capacity)
    {
        private readonly Lock _lock = new();
        private readonly RecentEvents _recent = new(capacity);

        // Replaced whole when a reader comes or goes, which is rare, so that waking them, once per flush of
        // the reply, walks it as it is instead of copying it.
        private volatile LiveSubscription[] _subscribers = [];

        public volatile string? Status;
        public volatile bool Deleted;

        public void Append(IReadOnlyList<StreamEvent> events)
        {
            lock (_lock) _recent.Append(events);
        }

        // No reader is left. The buffer lets go of its events at once: a buffer that outlived a collection sits
        // in an older generation, and the collector would keep the young events it points to until that
        // generation is collected too.
        public void Release()
        {
            lock (_lock) _recent.Clear();
        }

        // Fills `into` with the buffered events after `after`; false when the buffer cannot prove it holds all of them.
        // The buffer then drops what every reader has taken: with readers that keep up it holds only the events of
        // the last flush or two, which die young, rather than the `capacity` newest, which a collection during
        // the reply would have to keep and move.
        public bool TryReadAfter(LiveSubscription reader, long after, List<StreamEvent> into)
        {
            into.Clear();
            lock (_lock)
            {
                if (!_recent.TryReadAfter(after, into)) return false;
                reader.Taken = into.Count > 0 ? into[^1].Seq : after;
                var slowest = long.MaxValue;
                foreach (var s in _subscribers) slowest = Math.Min(slowest, s.Taken);
                _recent.DropThrough(slowest);
                return true;
            }
        }

        // Both under LiveStreams' lock.
        public void Add(LiveSubscription subscription) => _subscribers = [.. _subscribers, subscription];

        public int Remove(LiveSubscription subscription)
        {
            _subscribers = Array.FindAll(_subscribers, s => s != subscription);
            return _subscribers.Length;
        }

        public void WakeAll()
        {
            foreach (var s in _subscribers) s.Signal.Set();
        }
    }
}

internal sealed class LiveSubscription(LiveStreams owner, string messageId, LiveStreams.LiveReply reply) : IDisposable
{
    public string MessageId { get; } = messageId;
    public WakeSignal Signal { get; } = new();
    public string? LiveStatus => reply.Status;
    public bool Deleted => reply.Deleted;

    // The last event this reader took from the shared buffer; until its first read there, none, which keeps the
    // buffer from dropping anything it may still need.
    internal long Taken = long.MinValue;

    public bool TryReadAfter(long after, List<StreamEvent> into) => reply.TryReadAfter(this, after, into);

    public void Dispose()
    {
        owner.Unsubscribe(this);
        Signal.Dispose();
    }
}
