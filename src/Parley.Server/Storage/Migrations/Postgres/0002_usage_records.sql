-- Token usage per reply (and, later, per /v1 call), kept apart from messages so that deleting a conversation
-- does not erase what was spent. Existing replies are carried over.
CREATE TABLE usage_records (
    id                text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id           text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_key_id        text COLLATE "C" NULL,
    message_id        text COLLATE "C" NULL,
    model             text NOT NULL,
    prompt_tokens     integer NOT NULL,
    completion_tokens integer NOT NULL,
    created_at        timestamptz NOT NULL
);
CREATE INDEX ix_usage_records_user_created ON usage_records (user_id, created_at);

INSERT INTO usage_records (id, user_id, message_id, model, prompt_tokens, completion_tokens, created_at)
SELECT 'use_' || id, user_id, id, COALESCE(model, 'unknown'), COALESCE(prompt_tokens, 0), COALESCE(completion_tokens, 0),
       COALESCE(completed_at, created_at)
FROM messages
WHERE role = 'assistant' AND (prompt_tokens IS NOT NULL OR completion_tokens IS NOT NULL);
