-- Followed hashtags (Mastodon's `tag_follows`): public posts carrying a followed tag enter the
-- follower's home feed through fan-out.
CREATE TABLE tag_follows (
    -- Snowflake of the follow: the cursor of GET /api/v1/followed_tags.
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
-- One follow per tag and account.
CREATE UNIQUE INDEX tag_follows_account_tag ON tag_follows (account_id, tag_id);
-- The pages of GET /api/v1/followed_tags.
CREATE INDEX tag_follows_page ON tag_follows (account_id, id);
-- Fan-out: who follows the tags of a new status.
CREATE INDEX tag_follows_tag ON tag_follows (tag_id, account_id);

-- Hashtags an account features on its profile (Mastodon's `featured_tags`, at most 10);
-- their counts are read from the account's statuses when shown.
CREATE TABLE featured_tags (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX featured_tags_account_tag ON featured_tags (account_id, tag_id);
