-- Account lists paginated by row id (followers, following, blocks, mutes), newest first.
CREATE INDEX follows_account_row ON follows (account_id, id);
CREATE INDEX follows_target_row ON follows (target_account_id, id);
CREATE INDEX blocks_account_row ON blocks (account_id, id);
CREATE INDEX mutes_account_row ON mutes (account_id, id);
