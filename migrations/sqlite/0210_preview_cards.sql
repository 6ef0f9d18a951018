-- Link previews ("cards"): one row per URL, fetched once (single-flight: only the
-- transaction that inserts the row enqueues its fetch) and shared by every status linking it.
CREATE TABLE preview_cards (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    -- pending: a fetch is queued; fetched: shown; failed: nothing usable (not shown).
    state TEXT NOT NULL CHECK (state IN ('pending', 'fetched', 'failed')),
    card_type TEXT NOT NULL DEFAULT 'link' CHECK (card_type IN ('link', 'photo', 'video', 'rich')),
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    author_name TEXT NOT NULL DEFAULT '',
    author_url TEXT NOT NULL DEFAULT '',
    provider_name TEXT NOT NULL DEFAULT '',
    provider_url TEXT NOT NULL DEFAULT '',
    html TEXT NOT NULL DEFAULT '',
    width BIGINT NOT NULL DEFAULT 0,
    height BIGINT NOT NULL DEFAULT 0,
    -- The page's image as announced (og:image / oEmbed thumbnail); not hotlinked to clients.
    image_remote_url TEXT,
    embed_url TEXT NOT NULL DEFAULT '',
    language TEXT,
    published_at BIGINT,
    fetched_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The card of a status (its first link); many statuses share one card.
CREATE TABLE preview_card_statuses (
    status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    card_id BIGINT NOT NULL REFERENCES preview_cards (id) ON DELETE CASCADE
);
CREATE INDEX preview_card_statuses_card ON preview_card_statuses (card_id);
