-- Administration: a user can be disabled, and can have quotas of their own instead of the configured defaults.
ALTER TABLE users
    ADD COLUMN disabled boolean NOT NULL DEFAULT false,
    ADD COLUMN daily_token_quota bigint NULL,
    ADD COLUMN max_concurrent_replies integer NULL;
