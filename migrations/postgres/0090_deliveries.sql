-- Outbound federation: activities waiting to be delivered, one row per (activity, inbox) to
-- deliver, and the delivery health of remote hosts (Mastodon's DeliveryFailureTracker and
-- UnavailableDomain).

-- An activity to deliver, written in the same transaction as the action that caused it.
-- Signed at send time with the sender's key, so no signature is stored.
CREATE TABLE outbox_activities (
    id BIGINT PRIMARY KEY,
    -- The local account whose key signs the deliveries (no foreign key: a deleted account's
    -- last activities must still go out while its key row exists).
    sender_account_id BIGINT NOT NULL,
    -- The activity JSON exactly as sent.
    payload TEXT NOT NULL,
    -- JSON of the recipients still to expand into `deliveries` (followers, accounts,
    -- inboxes); NULL once the expansion job has run.
    recipients TEXT,
    created_at BIGINT NOT NULL
);

-- One POST of an activity to one inbox (shared inboxes preferred, deduplicated).
CREATE TABLE deliveries (
    id BIGINT PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES outbox_activities (id) ON DELETE CASCADE,
    inbox_url TEXT NOT NULL,
    -- The inbox URL's authority (host[:port], lower case): per-host concurrency and health.
    host TEXT NOT NULL,
    -- Attempts made so far (incremented when claimed).
    attempts BIGINT NOT NULL DEFAULT 0,
    run_at BIGINT NOT NULL,
    -- Lease of the worker sending it; an expired lease means the worker died.
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX deliveries_activity_inbox ON deliveries (activity_id, inbox_url);
CREATE INDEX deliveries_due ON deliveries (run_at);

-- Hosts whose deliveries failed recently. A host that failed on 7 distinct days is
-- unavailable (deliveries to it are dropped) until any success clears its row.
CREATE TABLE delivery_hosts (
    host TEXT PRIMARY KEY,
    -- Distinct UTC days (unix day numbers) with a failure, counted once per day.
    failure_days BIGINT NOT NULL DEFAULT 0,
    last_failure_day BIGINT NOT NULL,
    unavailable_since BIGINT
);
