CREATE TABLE users (
    id            TEXT NOT NULL PRIMARY KEY,
    username      TEXT NOT NULL,
    username_key  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_users_username_key ON users (username_key);

CREATE TABLE login_sessions (
    token_hash TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX ix_login_sessions_user ON login_sessions (user_id);

CREATE TABLE api_keys (
    id           TEXT NOT NULL PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    key_hash     TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NULL
);
CREATE UNIQUE INDEX ux_api_keys_hash ON api_keys (key_hash);
CREATE INDEX ix_api_keys_user ON api_keys (user_id);

CREATE TABLE sessions (
    id               TEXT NOT NULL PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title            TEXT NOT NULL,
    auto_title       INTEGER NOT NULL,
    persona_id       TEXT NOT NULL,
    model            TEXT NOT NULL,
    system_prompt    TEXT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    message_count    INTEGER NOT NULL DEFAULT 0,
    next_ordinal     INTEGER NOT NULL DEFAULT 0,
    active_reply_id  TEXT NULL
);
CREATE INDEX ix_sessions_user_updated ON sessions (user_id, updated_at DESC, id DESC);

CREATE TABLE messages (
    id                TEXT NOT NULL PRIMARY KEY,
    session_id        TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id           TEXT NOT NULL,
    parent_id         TEXT NULL,
    role              TEXT NOT NULL,
    content           TEXT NOT NULL,
    status            TEXT NOT NULL,
    model             TEXT NULL,
    persona_id        TEXT NULL,
    finish_reason     TEXT NULL,
    prompt_tokens     INTEGER NULL,
    completion_tokens INTEGER NULL,
    error_code        TEXT NULL,
    error_message     TEXT NULL,
    tool_calls        TEXT NULL,
    client_message_id TEXT NULL,
    ordinal           INTEGER NOT NULL,
    superseded        INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    completed_at      TEXT NULL
);
CREATE INDEX ix_messages_session_ordinal ON messages (session_id, ordinal);
CREATE UNIQUE INDEX ux_messages_client_id ON messages (session_id, client_message_id) WHERE client_message_id IS NOT NULL;
CREATE INDEX ix_messages_user_created ON messages (user_id, created_at);

-- One row per streamed event. The clustered key makes "events of a message after seq N" a range scan;
-- the foreign key makes a deleted message take its events along and refuses events for a deleted reply.
CREATE TABLE stream_events (
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    data       TEXT NOT NULL,
    PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;

CREATE TABLE reply_jobs (
    message_id       TEXT NOT NULL PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT NULL,
    lease_expires_at TEXT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX ix_reply_jobs_created ON reply_jobs (created_at);
