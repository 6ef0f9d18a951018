-- Timelines and notifications: boost bookkeeping in home feeds, notification grouping.

-- For boosts: the boosted status and its author, so that reading a home feed can hide boosts
-- of authors the reader blocks or mutes, and fan-out can aggregate repeated boosts, without
-- joining statuses. NULL for ordinary posts.
ALTER TABLE home_feed ADD COLUMN reblog_of_id BIGINT;
ALTER TABLE home_feed ADD COLUMN reblog_author_id BIGINT;
UPDATE home_feed SET
    reblog_of_id = (SELECT s.reblog_of_id FROM statuses s WHERE s.id = home_feed.status_id),
    reblog_author_id = (SELECT o.account_id FROM statuses s JOIN statuses o ON o.id = s.reblog_of_id
                        WHERE s.id = home_feed.status_id)
WHERE status_id IN (SELECT id FROM statuses WHERE reblog_of_id IS NOT NULL);
CREATE INDEX home_feed_reblog ON home_feed (account_id, reblog_of_id) WHERE reblog_of_id IS NOT NULL;

-- Mastodon's notification group key (`favourite-<status>-<hour bucket>`, `follow-<hour bucket>`…);
-- NULL for notifications that are never grouped (rendered as `ungrouped-<id>`).
ALTER TABLE notifications ADD COLUMN group_key TEXT;
CREATE INDEX notifications_group ON notifications (account_id, group_key, id) WHERE group_key IS NOT NULL;

-- Suspended accounts, for the "author not suspended" checks of timelines and notifications:
-- tiny, so PostgreSQL can hash it once per query instead of scanning accounts.
CREATE INDEX accounts_suspended ON accounts (id) WHERE suspended_at IS NOT NULL;

-- Fan-out looks up who mutes a status's author (blocks already have blocks_target).
CREATE INDEX IF NOT EXISTS mutes_target ON mutes (target_account_id, account_id);
