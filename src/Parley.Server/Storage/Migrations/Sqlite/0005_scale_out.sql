-- Scale-out (SPEC §11.5). A cancel for a reply that another node generates is also recorded on its job, so the
-- generating node's heartbeat sees it even if the wake-up was missed.
ALTER TABLE reply_jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;

-- Which node ran which attempt of a reply: one row per claim, kept after the reply ends, so that operators
-- (and tests) can see that a job ran once, or on which nodes it was retried.
CREATE TABLE reply_attempts (
    message_id TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    node_id    TEXT NOT NULL,
    claimed_at TEXT NOT NULL
);
CREATE INDEX ix_reply_attempts_message ON reply_attempts (message_id);

-- Fixed-window counters for rate limits shared by every node (used on PostgreSQL; a single SQLite node counts
-- in memory). One row per limited key and window.
CREATE TABLE rate_windows (
    bucket       TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
) WITHOUT ROWID;
