-- Polls (Mastodon's `polls` and `poll_votes`). One poll per status; `options` and `tallies`
-- are JSON arrays (titles; votes per option). Local polls count their tallies from
-- `poll_votes`; remote polls take them from the author's server (Question/Update), and keep
-- the votes of local accounts only, for `own_votes` and the end-of-poll notifications.
CREATE TABLE polls (
    id INTEGER PRIMARY KEY,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- A poll of a local status (counted here) or a copy of a remote one.
    local BOOLEAN NOT NULL,
    options TEXT NOT NULL,
    tallies TEXT NOT NULL,
    multiple BOOLEAN NOT NULL DEFAULT FALSE,
    hide_totals BOOLEAN NOT NULL DEFAULT FALSE,
    votes_count BIGINT NOT NULL DEFAULT 0,
    -- NULL when unknown (remote polls that do not say).
    voters_count BIGINT,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX polls_status ON polls (status_id);

CREATE TABLE poll_votes (
    id INTEGER PRIMARY KEY,
    poll_id BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    choice BIGINT NOT NULL,
    -- The vote's ActivityPub id: a remote vote's Note, or the Note a local vote on a remote
    -- poll was sent as.
    uri TEXT,
    created_at BIGINT NOT NULL
);
-- One vote per option and account (a single-choice poll allows one row in all: service rule).
CREATE UNIQUE INDEX poll_votes_once ON poll_votes (poll_id, account_id, choice);
-- "Did the viewer vote, and for what" on pages of statuses.
CREATE INDEX poll_votes_account ON poll_votes (account_id, poll_id);
CREATE UNIQUE INDEX poll_votes_uri ON poll_votes (uri) WHERE uri IS NOT NULL;

-- The poll options of each stored version of an edited status (JSON array of titles; NULL
-- when that version had no poll), for the edit history.
ALTER TABLE status_edits ADD COLUMN poll_options TEXT;
