-- Remote statuses deleted by their authors, remembered for a while (Mastodon keeps such a
-- mark for about six hours) so that a Create processed after its Delete, or a redelivered
-- Create, does not bring the status back. Pruned by `federation::prune`.
CREATE TABLE status_tombstones (
    uri TEXT PRIMARY KEY,
    -- The remote author that sent the Delete (no foreign key: the mark outlives the account).
    account_id BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL
);
CREATE INDEX status_tombstones_deleted ON status_tombstones (deleted_at);
