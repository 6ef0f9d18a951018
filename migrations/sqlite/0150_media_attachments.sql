-- Media attachments: uploads of local accounts and cached copies of remote statuses' media.
-- Files live in the media store (local directory or S3-compatible bucket) under keys
-- chosen at upload time (`file_key`, `preview_key`, with a random component so URLs cannot
-- be guessed); `upload_key` holds the raw upload until the `ProcessMedia` job has made the
-- web-safe versions. A status's media are ordered by `position`. Deleting a status detaches
-- its media (Mastodon's `dependent: :nullify`, so "delete and redraft" can reattach them);
-- unattached media older than a day are removed by the cleanup pass with their files.
CREATE TABLE media_attachments (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
    position BIGINT NOT NULL DEFAULT 0,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'gifv', 'video', 'audio', 'unknown')),
    processing TEXT NOT NULL CHECK (processing IN ('queued', 'done', 'failed')),
    upload_key TEXT,
    file_key TEXT,
    preview_key TEXT,
    content_type TEXT,
    file_size BIGINT NOT NULL DEFAULT 0,
    description TEXT NOT NULL DEFAULT '',
    focus_x REAL NOT NULL DEFAULT 0,
    focus_y REAL NOT NULL DEFAULT 0,
    -- JSON: Mastodon's `meta` without `focus` (original/small sizes, duration, ...).
    meta TEXT NOT NULL DEFAULT '{}',
    blurhash TEXT,
    -- Remote media: where the original lives, and when our copy was made (NULL: not cached,
    -- or evicted from the bounded cache; fetched again when next needed).
    remote_url TEXT,
    cached_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX media_attachments_status ON media_attachments (status_id, position)
    WHERE status_id IS NOT NULL;
CREATE INDEX media_attachments_unattached ON media_attachments (created_at)
    WHERE status_id IS NULL;
CREATE INDEX media_attachments_account ON media_attachments (account_id);
CREATE INDEX media_attachments_remote_cache ON media_attachments (cached_at)
    WHERE cached_at IS NOT NULL;
-- Raw uploads still referenced (the cleanup's check of files left by interrupted uploads).
CREATE INDEX media_attachments_upload ON media_attachments (upload_key)
    WHERE upload_key IS NOT NULL;
