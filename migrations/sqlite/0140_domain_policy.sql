-- Domain block enforcement. `silenced_at` marks a limited account (Mastodon's "silenced"):
-- set to the creation time of the domain block that limits it, so that lifting that block
-- lifts exactly what it did. Limited accounts are left out of public and hashtag timelines
-- and notify only the local accounts that follow them. The partial index keeps the "author
-- not limited" probe of those queries as cheap as the "not suspended" one.
ALTER TABLE accounts ADD COLUMN silenced_at BIGINT;
CREATE INDEX accounts_silenced ON accounts (id) WHERE silenced_at IS NOT NULL;
