-- Domain blocks set by the operator (Mastodon's admin domain blocks). A block covers the
-- domain and all its subdomains. `suspend` cuts the domain off: its deliveries are refused,
-- nothing is fetched from it or delivered to it, and its signatures open nothing;
-- `silence` and `noop` are recorded (and listed) for the moderation features to come.
CREATE TABLE domain_blocks (
    id BIGINT PRIMARY KEY,
    -- Lower case, without a trailing dot; a port only when the block names one.
    domain TEXT NOT NULL,
    severity TEXT NOT NULL DEFAULT 'silence' CHECK (severity IN ('silence', 'suspend', 'noop')),
    reject_media BOOLEAN NOT NULL DEFAULT FALSE,
    reject_reports BOOLEAN NOT NULL DEFAULT FALSE,
    private_comment TEXT,
    public_comment TEXT,
    obfuscate BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX domain_blocks_domain ON domain_blocks (domain);
