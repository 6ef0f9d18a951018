-- Woolly core schema: accounts, local users, OAuth, statuses and the social graph.
-- Conventions (both dialects): ids are app-generated 64-bit snowflakes (ms << 16 | seq),
-- timestamps are BIGINT unix milliseconds, enums are TEXT with CHECK, JSON is TEXT.

CREATE TABLE accounts (
    id BIGINT PRIMARY KEY,
    username TEXT NOT NULL,
    -- NULL for local accounts, the remote host otherwise.
    domain TEXT,
    display_name TEXT NOT NULL DEFAULT '',
    -- Rendered HTML of the bio, and its plain-text source (local accounts).
    note TEXT NOT NULL DEFAULT '',
    note_source TEXT NOT NULL DEFAULT '',
    -- JSON array of {"name","value","verified_at"} (value is plain text for local accounts).
    fields TEXT NOT NULL DEFAULT '[]',
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    bot BOOLEAN NOT NULL DEFAULT FALSE,
    discoverable BOOLEAN NOT NULL DEFAULT TRUE,
    indexable BOOLEAN NOT NULL DEFAULT FALSE,
    hide_collections BOOLEAN NOT NULL DEFAULT FALSE,
    avatar_url TEXT,
    header_url TEXT,
    -- ActivityPub identity (local accounts: {WOOLLY_URL}/users/{username}).
    uri TEXT NOT NULL,
    url TEXT,
    inbox_url TEXT,
    shared_inbox_url TEXT,
    outbox_url TEXT,
    followers_url TEXT,
    following_url TEXT,
    public_key_pem TEXT NOT NULL DEFAULT '',
    private_key_pem TEXT,
    statuses_count BIGINT NOT NULL DEFAULT 0,
    followers_count BIGINT NOT NULL DEFAULT 0,
    following_count BIGINT NOT NULL DEFAULT 0,
    last_status_at BIGINT,
    suspended_at BIGINT,
    moved_to_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX accounts_username_domain ON accounts (lower(username), lower(coalesce(domain, '')));
CREATE UNIQUE INDEX accounts_uri ON accounts (uri);

CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin')),
    confirmed_at BIGINT,
    confirmation_token TEXT,
    approved BOOLEAN NOT NULL DEFAULT TRUE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    otp_secret TEXT,
    locale TEXT NOT NULL DEFAULT 'en',
    reason TEXT,
    default_privacy TEXT NOT NULL DEFAULT 'public' CHECK (default_privacy IN ('public', 'unlisted', 'private', 'direct')),
    default_sensitive BOOLEAN NOT NULL DEFAULT FALSE,
    default_language TEXT,
    sign_up_ip TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE oauth_applications (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    website TEXT,
    -- Newline-separated list of allowed redirect URIs.
    redirect_uris TEXT NOT NULL,
    scopes TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    -- The secret is shown once at creation; only its SHA-256 is stored.
    client_secret_hash TEXT NOT NULL,
    owner_user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);

CREATE TABLE oauth_authorization_codes (
    code_hash TEXT PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES oauth_applications (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    code_challenge TEXT,
    code_challenge_method TEXT,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE oauth_access_tokens (
    id BIGINT PRIMARY KEY,
    -- SHA-256 (hex) of the bearer token; the token itself is never stored.
    token_hash TEXT NOT NULL UNIQUE,
    application_id BIGINT REFERENCES oauth_applications (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE INDEX oauth_access_tokens_user ON oauth_access_tokens (user_id);

-- Browser sessions for the server-rendered pages (OAuth consent, sign-in).
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Anti-CSRF token embedded in forms rendered for this session.
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE statuses (
    id BIGINT PRIMARY KEY,
    uri TEXT NOT NULL,
    url TEXT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- Plain-text source as typed (local statuses); '' for boosts and remote statuses.
    text TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL DEFAULT '',
    spoiler_text TEXT NOT NULL DEFAULT '',
    sensitive BOOLEAN NOT NULL DEFAULT FALSE,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'unlisted', 'private', 'direct')),
    language TEXT,
    in_reply_to_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
    in_reply_to_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    reblog_of_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    -- Id of the thread's root status; used for thread mutes and conversations.
    conversation_id BIGINT,
    application_id BIGINT REFERENCES oauth_applications (id) ON DELETE SET NULL,
    local BOOLEAN NOT NULL,
    replies_count BIGINT NOT NULL DEFAULT 0,
    reblogs_count BIGINT NOT NULL DEFAULT 0,
    favourites_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    edited_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX statuses_uri ON statuses (uri);
-- Profile timelines (GET /api/v1/accounts/:id/statuses).
CREATE INDEX statuses_account_id ON statuses (account_id, id DESC);
-- Boost lookups (reblogged_by, unreblog, "did I boost this").
CREATE INDEX statuses_reblog_of ON statuses (reblog_of_id, account_id) WHERE reblog_of_id IS NOT NULL;
-- Thread context.
CREATE INDEX statuses_in_reply_to ON statuses (in_reply_to_id) WHERE in_reply_to_id IS NOT NULL;
-- Public timelines: public, not a boost. Local flag first so local=true is a range scan.
CREATE INDEX statuses_public ON statuses (local, id DESC) WHERE visibility = 'public' AND reblog_of_id IS NULL;
CREATE INDEX statuses_public_all ON statuses (id DESC) WHERE visibility = 'public' AND reblog_of_id IS NULL;

CREATE TABLE status_edits (
    id BIGINT PRIMARY KEY,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    content TEXT NOT NULL,
    spoiler_text TEXT NOT NULL,
    sensitive BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX status_edits_status ON status_edits (status_id, id);

CREATE TABLE mentions (
    id BIGINT PRIMARY KEY,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    silent BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX mentions_status_account ON mentions (status_id, account_id);
CREATE INDEX mentions_account ON mentions (account_id, status_id DESC);

CREATE TABLE tags (
    id BIGINT PRIMARY KEY,
    -- Lower-cased name used for lookups; display_name keeps the first-seen casing.
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE status_tags (
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    PRIMARY KEY (tag_id, status_id)
);
CREATE INDEX status_tags_status ON status_tags (status_id);

CREATE TABLE follows (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    show_reblogs BOOLEAN NOT NULL DEFAULT TRUE,
    notify BOOLEAN NOT NULL DEFAULT FALSE,
    -- JSON array of language codes, or NULL for all.
    languages TEXT,
    uri TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX follows_pair ON follows (account_id, target_account_id);
-- Followers lists and fan-out on write.
CREATE INDEX follows_target ON follows (target_account_id, account_id);

CREATE TABLE follow_requests (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    show_reblogs BOOLEAN NOT NULL DEFAULT TRUE,
    notify BOOLEAN NOT NULL DEFAULT FALSE,
    languages TEXT,
    uri TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX follow_requests_pair ON follow_requests (account_id, target_account_id);
CREATE INDEX follow_requests_target ON follow_requests (target_account_id, id DESC);

CREATE TABLE blocks (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    uri TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX blocks_pair ON blocks (account_id, target_account_id);
CREATE INDEX blocks_target ON blocks (target_account_id, account_id);

CREATE TABLE mutes (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    hide_notifications BOOLEAN NOT NULL DEFAULT TRUE,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mutes_pair ON mutes (account_id, target_account_id);

CREATE TABLE account_notes (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    comment TEXT NOT NULL,
    PRIMARY KEY (account_id, target_account_id)
);

CREATE TABLE favourites (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    uri TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX favourites_pair ON favourites (account_id, status_id);
CREATE INDEX favourites_status ON favourites (status_id, id DESC);
CREATE INDEX favourites_account ON favourites (account_id, id DESC);

CREATE TABLE bookmarks (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX bookmarks_pair ON bookmarks (account_id, status_id);
CREATE INDEX bookmarks_account ON bookmarks (account_id, id DESC);

CREATE TABLE status_pins (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX status_pins_pair ON status_pins (account_id, status_id);

-- Thread mutes: notifications from this conversation are suppressed for account_id.
CREATE TABLE conversation_mutes (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL,
    PRIMARY KEY (account_id, conversation_id)
);

-- Home timelines, materialised on write (fan-out), newest first by status id.
CREATE TABLE home_feed (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    -- Author of the feed entry (the booster for boosts), so unfollow can remove entries cheaply.
    author_id BIGINT NOT NULL,
    PRIMARY KEY (account_id, status_id)
);
CREATE INDEX home_feed_status ON home_feed (status_id);
CREATE INDEX home_feed_author ON home_feed (account_id, author_id);

CREATE TABLE notifications (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    status_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    -- Id of the row that caused it (follow, favourite, status...); makes delivery idempotent.
    activity_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX notifications_activity ON notifications (account_id, type, activity_id);
CREATE INDEX notifications_account ON notifications (account_id, id DESC);
CREATE INDEX notifications_from ON notifications (from_account_id);
CREATE INDEX notifications_status ON notifications (status_id) WHERE status_id IS NOT NULL;

CREATE TABLE markers (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    timeline TEXT NOT NULL CHECK (timeline IN ('home', 'notifications')),
    last_read_id BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, timeline)
);

-- Idempotency-Key of POST /api/v1/statuses, kept for an hour per account.
CREATE TABLE idempotency_keys (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);

CREATE TABLE instance_rules (
    id BIGINT PRIMARY KEY,
    text TEXT NOT NULL,
    hint TEXT NOT NULL DEFAULT '',
    position BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Durable background jobs (fan-out, later federation and media).
CREATE TABLE jobs (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- Lower runs first: local API work before federation work.
    priority BIGINT NOT NULL DEFAULT 0,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 8,
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (priority, run_at);
