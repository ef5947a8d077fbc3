-- Administration: a user can be disabled, and can have quotas of their own instead of the configured defaults.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN daily_token_quota INTEGER NULL;
ALTER TABLE users ADD COLUMN max_concurrent_replies INTEGER NULL;
