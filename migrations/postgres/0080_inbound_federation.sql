-- Inbound federation: what Woolly keeps about remote actors, the durable inbox, and reports.

-- Remote actors (NULL for local accounts): the `publicKey.id` that signs their requests,
-- when the document was last fetched (stale after a day; refetched on a key-verification
-- failure at most every few minutes), their kind, their featured (pinned posts) collection,
-- their aliases (JSON array of actor URIs) and the `movedTo` they announced.
ALTER TABLE accounts ADD COLUMN key_id TEXT;
ALTER TABLE accounts ADD COLUMN fetched_at BIGINT;
ALTER TABLE accounts ADD COLUMN actor_type TEXT;
ALTER TABLE accounts ADD COLUMN featured_url TEXT;
ALTER TABLE accounts ADD COLUMN also_known_as TEXT NOT NULL DEFAULT '[]';
ALTER TABLE accounts ADD COLUMN moved_to_uri TEXT;
CREATE INDEX accounts_key_id ON accounts (key_id) WHERE key_id IS NOT NULL;

-- Every activity received by an inbox after its signature verified, unique on the activity
-- id (or, for an activity without one, the SHA-256 of its body), so a redelivery is stored
-- once. A job processes it; the row stays as the record that it was seen.
CREATE TABLE inbox_activities (
    id BIGINT PRIMARY KEY,
    activity_uri TEXT NOT NULL,
    -- The actor whose key signed the delivery.
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    processed_at BIGINT
);
CREATE UNIQUE INDEX inbox_activities_uri ON inbox_activities (activity_uri);
CREATE INDEX inbox_activities_received ON inbox_activities (received_at);

-- Reports (a Flag from another server, for now).
CREATE TABLE reports (
    id BIGINT PRIMARY KEY,
    -- Who reported: the remote actor that sent the Flag.
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- JSON array of status ids (as strings).
    status_ids TEXT NOT NULL DEFAULT '[]',
    comment TEXT NOT NULL DEFAULT '',
    uri TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX reports_uri ON reports (uri);
CREATE INDEX reports_target ON reports (target_account_id, id DESC);

-- Undo, Accept and Reject name follows, favourites and blocks by their activity id.
CREATE INDEX follows_uri ON follows (uri) WHERE uri IS NOT NULL;
CREATE INDEX follow_requests_uri ON follow_requests (uri) WHERE uri IS NOT NULL;
CREATE INDEX favourites_uri ON favourites (uri) WHERE uri IS NOT NULL;
CREATE INDEX blocks_uri ON blocks (uri) WHERE uri IS NOT NULL;
