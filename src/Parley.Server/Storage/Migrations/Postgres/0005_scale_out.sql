-- Scale-out (SPEC §11.5). A cancel for a reply that another node generates is also recorded on its job, so the
-- generating node's heartbeat sees it even if the wake-up was missed.
ALTER TABLE reply_jobs ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false;

-- Which node ran which attempt of a reply: one row per claim, kept after the reply ends, so that operators
-- (and tests) can see that a job ran once, or on which nodes it was retried.
CREATE TABLE reply_attempts (
    message_id text COLLATE "C" NOT NULL,
    attempt    integer NOT NULL,
    node_id    text NOT NULL,
    claimed_at timestamptz NOT NULL
);
CREATE INDEX ix_reply_attempts_message ON reply_attempts (message_id);

-- The claim query looks for free or lapsed jobs in creation order.
CREATE INDEX ix_reply_jobs_lease ON reply_jobs (created_at) WHERE lease_owner IS NULL;

-- Fixed-window counters for rate limits shared by every node: one row per limited key and window, bumped with
-- INSERT ... ON CONFLICT DO UPDATE ... RETURNING. Old windows are deleted as new ones start.
CREATE TABLE rate_windows (
    bucket       text COLLATE "C" NOT NULL,
    window_start bigint NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
