-- /v1 usage is summed per API key on GET /api/keys.
CREATE INDEX ix_usage_records_api_key ON usage_records (api_key_id) WHERE api_key_id IS NOT NULL;
