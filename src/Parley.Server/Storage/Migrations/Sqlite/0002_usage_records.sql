-- Token usage per reply (and, later, per /v1 call), kept apart from messages so that deleting a conversation
-- does not erase what was spent. Existing replies are carried over.
CREATE TABLE usage_records (
    id                TEXT NOT NULL PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_key_id        TEXT NULL,
    message_id        TEXT NULL,
    model             TEXT NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX ix_usage_records_user_created ON usage_records (user_id, created_at);

INSERT INTO usage_records (id, user_id, message_id, model, prompt_tokens, completion_tokens, created_at)
SELECT 'use_' || id, user_id, id, COALESCE(model, 'unknown'), COALESCE(prompt_tokens, 0), COALESCE(completion_tokens, 0),
       COALESCE(completed_at, created_at)
FROM messages
WHERE role = 'assistant' AND (prompt_tokens IS NOT NULL OR completion_tokens IS NOT NULL);
