-- Scheduled statuses (`POST /api/v1/statuses` with `scheduled_at`): the posting parameters
-- as JSON, published by a `PublishScheduledStatus` job at `scheduled_at` through the same
-- posting service.
CREATE TABLE scheduled_statuses (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scheduled_at BIGINT NOT NULL,
    params TEXT NOT NULL,
    -- The request's `Idempotency-Key`: a repeated request answers with this row.
    idempotency_key TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX scheduled_statuses_idempotency ON scheduled_statuses (account_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- Listing, newest first.
CREATE INDEX scheduled_statuses_account ON scheduled_statuses (account_id, id);
-- The per-day limit (scheduled posts of an account on one UTC day).
CREATE INDEX scheduled_statuses_account_time ON scheduled_statuses (account_id, scheduled_at);
