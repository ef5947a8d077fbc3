-- The PostgreSQL twin of Sqlite/0001_initial.sql: the same tables and indexes, with native types (boolean,
-- timestamptz, bigint). Ids sort byte-wise (COLLATE "C"), as they do in SQLite, whatever the cluster's locale.
CREATE TABLE users (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    username      text NOT NULL,
    username_key  text COLLATE "C" NOT NULL,
    password_hash text NOT NULL,
    is_admin      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX ux_users_username_key ON users (username_key);

CREATE TABLE login_sessions (
    token_hash text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id    text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX ix_login_sessions_user ON login_sessions (user_id);

CREATE TABLE api_keys (
    id           text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id      text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    key_hash     text COLLATE "C" NOT NULL,
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz NULL
);
CREATE UNIQUE INDEX ux_api_keys_hash ON api_keys (key_hash);
CREATE INDEX ix_api_keys_user ON api_keys (user_id);

CREATE TABLE sessions (
    id               text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id          text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title            text NOT NULL,
    auto_title       boolean NOT NULL,
    persona_id       text NOT NULL,
    model            text NOT NULL,
    system_prompt    text NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    message_count    integer NOT NULL DEFAULT 0,
    next_ordinal     integer NOT NULL DEFAULT 0,
    active_reply_id  text COLLATE "C" NULL
);
CREATE INDEX ix_sessions_user_updated ON sessions (user_id, updated_at DESC, id DESC);

CREATE TABLE messages (
    id                text COLLATE "C" NOT NULL PRIMARY KEY,
    session_id        text COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id           text COLLATE "C" NOT NULL,
    parent_id         text COLLATE "C" NULL,
    role              text NOT NULL,
    content           text NOT NULL,
    status            text NOT NULL,
    model             text NULL,
    persona_id        text NULL,
    finish_reason     text NULL,
    prompt_tokens     integer NULL,
    completion_tokens integer NULL,
    error_code        text NULL,
    error_message     text NULL,
    tool_calls        text NULL,
    client_message_id text NULL,
    ordinal           integer NOT NULL,
    superseded        boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL,
    completed_at      timestamptz NULL
);
CREATE INDEX ix_messages_session_ordinal ON messages (session_id, ordinal);
CREATE UNIQUE INDEX ux_messages_client_id ON messages (session_id, client_message_id) WHERE client_message_id IS NOT NULL;
CREATE INDEX ix_messages_user_created ON messages (user_id, created_at);

-- One row per streamed event; the primary key makes "events of a message after seq N" an index range scan.
CREATE TABLE stream_events (
    message_id text COLLATE "C" NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    kind       text NOT NULL,
    data       text NOT NULL,
    PRIMARY KEY (message_id, seq)
);

CREATE TABLE reply_jobs (
    message_id       text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    user_id          text COLLATE "C" NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    lease_owner      text NULL,
    lease_expires_at timestamptz NULL,
    created_at       timestamptz NOT NULL
);
CREATE INDEX ix_reply_jobs_created ON reply_jobs (created_at);
