-- Lists (Mastodon's `lists`, `list_accounts`) and their feeds, materialised on write like
-- `home_feed`. A member must be followed by the list's owner when added; unfollowing
-- removes the membership and the member's entries.
CREATE TABLE lists (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    replies_policy TEXT NOT NULL DEFAULT 'list' CHECK (replies_policy IN ('followed', 'list', 'none')),
    -- Members' posts are left out of the owner's home feed.
    exclusive BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX lists_account ON lists (account_id, id);

CREATE TABLE list_accounts (
    -- Snowflake of the membership: the cursor of GET /api/v1/lists/:id/accounts.
    id BIGINT NOT NULL,
    list_id BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (list_id, account_id)
);
-- Fan-out ("which lists hold this author") and the exclusive-list probe of home fan-out.
CREATE INDEX list_accounts_account ON list_accounts (account_id, list_id);
CREATE UNIQUE INDEX list_accounts_page ON list_accounts (list_id, id);

CREATE TABLE list_feed (
    list_id BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    -- The entry's author (the booster for boosts) and boosted status, as in `home_feed`.
    author_id BIGINT NOT NULL,
    reblog_of_id BIGINT,
    reblog_author_id BIGINT,
    PRIMARY KEY (list_id, status_id)
);
CREATE INDEX list_feed_status ON list_feed (status_id);
CREATE INDEX list_feed_author ON list_feed (list_id, author_id);
CREATE INDEX list_feed_reblog ON list_feed (list_id, reblog_of_id) WHERE reblog_of_id IS NOT NULL;
