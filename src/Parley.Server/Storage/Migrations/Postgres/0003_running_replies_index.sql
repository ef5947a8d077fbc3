-- The per-user cap on concurrent replies counts a user's queued and generating replies on every send.
CREATE INDEX ix_messages_user_running ON messages (user_id) WHERE status IN ('queued', 'generating');
