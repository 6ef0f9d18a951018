//! Configuration: an optional `woolly.toml`, overridden by `WOOLLY_*` environment variables.
//!
//! The environment variable names are a public contract (see README): `WOOLLY_URL`,
//! `WOOLLY_LISTEN`, `WOOLLY_DATABASE_URL`, `WOOLLY_DATA_DIR`, `WOOLLY_REGISTRATIONS`,
//! `WOOLLY_TRUSTED_PROXIES`, `WOOLLY_ALLOW_PRIVATE_ADDRESSES`, `WOOLLY_AUTHORIZED_FETCH`,
//! `WOOLLY_BUS_URL`. Every key of the TOML file has the same name in lower case.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Deserializer, Serialize};

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registrations {
    /// Anyone may sign up and use the account at once.
    Open,
    /// Anyone may sign up; a moderator approves the account before it can log in.
    Approval,
    /// Only operators create accounts (`woolly accounts create`).
    Closed,
}

/// The whole server configuration, after defaults, file and environment are merged.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Public base URL, without a trailing slash (`https://social.example`).
    pub url: String,
    /// Socket address the HTTP server binds.
    pub listen: SocketAddr,
    /// `sqlite://PATH` or `postgres://…`; empty means `sqlite://{data_dir}/woolly.sqlite3`.
    #[serde(default)]
    pub database_url: String,
    /// Where the SQLite database and media files live.
    pub data_dir: PathBuf,
    /// Sign-up policy.
    pub registrations: Registrations,
    /// Reverse proxies whose `X-Forwarded-For`/`X-Forwarded-Proto` headers are believed.
    #[serde(deserialize_with = "string_or_list")]
    pub trusted_proxies: Vec<IpAddr>,
    /// Instance title shown to clients.
    pub title: String,
    /// Short instance description shown to clients.
    pub description: String,
    /// Contact e-mail address of the operator.
    pub contact_email: String,
    /// Whether `grant_type=password` is accepted at `POST /oauth/token`.
    pub password_grant: bool,
    /// SMTP server URL; when set, new accounts must confirm their e-mail address.
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://host:465` (implicit TLS)
    /// or `smtp://host:25` (plain, local relays only).
    #[serde(default)]
    pub smtp_url: String,
    /// Sender of the server's e-mails (`Name <address>` or `address`); empty means
    /// `notifications@{host of WOOLLY_URL}`.
    #[serde(default)]
    pub smtp_from: String,
    /// Rate limiting of the API (Mastodon's defaults; loopback clients are exempt).
    pub rate_limit: bool,
    /// Whether loopback clients (127.0.0.1, ::1) are exempt from rate limits, as in Mastodon.
    /// Turn off to rate-limit a server that is only reached through loopback (and in tests).
    pub rate_limit_exempt_loopback: bool,
    /// Requests allowed per account and per IP in each 5-minute window.
    pub rate_limit_requests: u32,
    /// Sign-ups allowed per IP in each 30-minute window.
    pub rate_limit_signups: u32,
    /// Inbox POSTs (deliveries) allowed per IP in each 5-minute window; beyond it 429 with
    /// `Retry-After` (senders retry later). Subject to `rate_limit` and the loopback exemption.
    pub inbox_rate_limit: u32,
    /// `synchronous` setting of SQLite: `normal` (default) or `full`. See ARCHITECTURE.md.
    pub sqlite_synchronous: String,
    /// How much of the SQLite file each connection reads through a memory map, in MiB (0:
    /// none, every page is read with `pread`). See ARCHITECTURE.md, Performance.
    pub sqlite_mmap_mb: u64,
    /// Whether outbound federation requests may reach loopback, private and other
    /// special-purpose addresses, and use plain `http://`. Off by default; tests and local
    /// development turn it on (`WOOLLY_ALLOW_PRIVATE_ADDRESSES=true`).
    #[serde(default)]
    pub allow_private_addresses: bool,
    /// Authorized-fetch ("secure") mode, Mastodon's `AUTHORIZED_FETCH`: ActivityPub
    /// documents other than actors, the instance actor, WebFinger and NodeInfo require a
    /// valid HTTP signature from a server that is not blocked; unsigned actor requests get
    /// the minimal actor (id, type, username, inbox, key, endpoints).
    #[serde(default)]
    pub authorized_fetch: bool,
    /// Deliveries to other servers in flight at once (all hosts together).
    pub delivery_concurrency: usize,
    /// Deliveries in flight at once to one host.
    pub delivery_per_host: usize,
    /// The unit of the retry schedule, in milliseconds: 1000 gives Mastodon's schedule (17
    /// attempts over about 2.5 days); tests shrink it. `Retry-After` is honoured as given.
    pub delivery_retry_unit_ms: u64,
    /// Memory for rendered statuses and accounts (`service::hydrate::cache`), in MiB; 0
    /// turns the cache off. Half holds statuses, half accounts.
    pub render_cache_mb: u64,
    /// Link previews: the fetch of a URL seen for the first time waits a random delay below
    /// this many milliseconds, so that a link arriving in many posts across the fediverse
    /// at once is not fetched by every server in the same instant. 0: fetch at once.
    pub link_preview_jitter_ms: u64,
    /// Remote media: cached copies older than this many days are evicted by the hourly
    /// cleanup (the attachment is then shown by its origin URL, as Mastodon shows media it
    /// has not cached). 0 keeps them (Mastodon's default).
    pub media_cache_retention_days: u64,
    /// Where media files are kept: `local` (a directory, `media_dir`) or `s3` (an
    /// S3-compatible bucket, the `s3_*` keys).
    pub media_storage: String,
    /// The directory of the local media store; empty means `{data_dir}/media`.
    #[serde(default)]
    pub media_dir: String,
    /// The public base URL of media files; empty means `{url}/system`, served by Woolly
    /// itself from whichever store is configured. Set it to a CDN or the bucket's public
    /// address to serve files from there.
    #[serde(default)]
    pub media_base_url: String,
    /// S3 endpoint URL (empty: AWS itself), e.g. `http://127.0.0.1:9000` for MinIO.
    #[serde(default)]
    pub s3_endpoint: String,
    /// S3 bucket name.
    #[serde(default)]
    pub s3_bucket: String,
    /// S3 region.
    pub s3_region: String,
    /// S3 access key id.
    #[serde(default)]
    pub s3_access_key_id: String,
    /// S3 secret access key.
    #[serde(default)]
    pub s3_secret_access_key: String,
    /// The `ffmpeg` program (video, audio and animated GIFs; without it they are refused).
    pub ffmpeg_path: String,
    /// The `ffprobe` program.
    pub ffprobe_path: String,
    /// Longest one transcoding may run, in seconds (below the 120 s job deadline).
    pub media_transcode_timeout_secs: u64,
    /// The event bus between `woolly serve` processes sharing one database, for streaming:
    /// empty (the default) keeps events in the process; `redis://…` or `nats://…` carries
    /// them over Redis or NATS pub/sub so that every process delivers every event.
    #[serde(default)]
    pub bus_url: String,
    /// Most frames waiting to be sent to one streaming client; a client further behind is
    /// disconnected (it reconnects and reloads), so a slow or dead client never holds memory.
    pub stream_queue: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            url: "http://localhost:3000".into(),
            listen: "127.0.0.1:3000".parse().expect("valid default address"),
            database_url: String::new(),
            data_dir: PathBuf::from("./data"),
            registrations: Registrations::Open,
            trusted_proxies: vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
            title: "Woolly".into(),
            description: "A Woolly server".into(),
            contact_email: String::new(),
            password_grant: true,
            smtp_url: String::new(),
            smtp_from: String::new(),
            rate_limit: true,
            rate_limit_exempt_loopback: true,
            rate_limit_requests: 300,
            rate_limit_signups: 5,
            inbox_rate_limit: 6000,
            sqlite_synchronous: "normal".into(),
            sqlite_mmap_mb: 1024,
            allow_private_addresses: false,
            authorized_fetch: false,
            delivery_concurrency: 32,
            delivery_per_host: 4,
            delivery_retry_unit_ms: 1000,
            render_cache_mb: 32,
            link_preview_jitter_ms: 30_000,
            media_cache_retention_days: 0,
            media_storage: "local".into(),
            media_dir: String::new(),
            media_base_url: String::new(),
            s3_endpoint: String::new(),
            s3_bucket: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
            ffmpeg_path: "ffmpeg".into(),
            ffprobe_path: "ffprobe".into(),
            media_transcode_timeout_secs: 90,
            bus_url: String::new(),
            stream_queue: 128,
        }
    }
}

fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpAddr>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        One(String),
        Many(Vec<String>),
    }
    let items = match Raw::deserialize(d)? {
        Raw::One(s) => s
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Raw::Many(v) => v,
    };
    items
        .iter()
        .map(|s| s.trim().parse::<IpAddr>().map_err(serde::de::Error::custom))
        .collect()
}

/// `WOOLLY_*` variables that are not configuration keys: the config file's path, logging,
/// and the test suite's service URLs (exported by CI).
const IGNORED_ENV: &[&str] = &[
    "CONFIG",
    "LOG",
    "LOG_FORMAT",
    "TEST_POSTGRES_URL",
    "TEST_REDIS_URL",
    "TEST_NATS_URL",
    "TEST_S3_URL",
];

/// Problems found while loading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or an environment variable has a wrong value.
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
    /// `WOOLLY_URL` is not an absolute http(s) URL.
    #[error("WOOLLY_URL must be an absolute http:// or https:// URL, got {0:?}")]
    BadUrl(String),
    /// `WOOLLY_MEDIA_STORAGE` is neither `local` nor `s3` (or `s3` lacks a bucket).
    #[error("WOOLLY_MEDIA_STORAGE must be `local` or `s3` (with WOOLLY_S3_BUCKET), got {0:?}")]
    BadMediaStorage(String),
}

impl Config {
    /// Loads defaults, then `woolly.toml` (or the file named by `WOOLLY_CONFIG`), then `WOOLLY_*`.
    pub fn load() -> Result<Config, ConfigError> {
        let file = std::env::var("WOOLLY_CONFIG").unwrap_or_else(|_| "woolly.toml".into());
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("WOOLLY_").ignore(IGNORED_ENV));
        let config: Config = figment.extract().map_err(Box::new)?;
        config.validated()
    }

    /// Normalises and checks derived values (trailing slash, URL scheme, database URL).
    pub fn validated(mut self) -> Result<Config, ConfigError> {
        self.url = self.url.trim_end_matches('/').to_owned();
        let parsed =
            url::Url::parse(&self.url).map_err(|_| ConfigError::BadUrl(self.url.clone()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(ConfigError::BadUrl(self.url.clone()));
        }
        self.delivery_concurrency = self.delivery_concurrency.max(1);
        self.delivery_per_host = self.delivery_per_host.clamp(1, self.delivery_concurrency);
        self.media_storage = self.media_storage.trim().to_ascii_lowercase();
        if !matches!(self.media_storage.as_str(), "local" | "s3") {
            return Err(ConfigError::BadMediaStorage(self.media_storage.clone()));
        }
        if self.media_storage == "s3" && self.s3_bucket.is_empty() {
            return Err(ConfigError::BadMediaStorage(
                "s3 without WOOLLY_S3_BUCKET".into(),
            ));
        }
        self.media_base_url = self.media_base_url.trim_end_matches('/').to_owned();
        self.media_transcode_timeout_secs = self.media_transcode_timeout_secs.clamp(1, 110);
        self.stream_queue = self.stream_queue.clamp(4, 65_536);
        if self.database_url.is_empty() {
            self.database_url = format!(
                "sqlite://{}",
                self.data_dir.join("woolly.sqlite3").display()
            );
        }
        Ok(self)
    }

    /// The instance's domain as used in `acct` handles: host, plus port when not the default.
    pub fn domain(&self) -> String {
        let parsed = url::Url::parse(&self.url).expect("validated URL");
        let host = parsed.host_str().unwrap_or("localhost").to_owned();
        match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }
    }

    /// Streaming base URL (`ws://` or `wss://`) on the same host.
    pub fn streaming_url(&self) -> String {
        if let Some(rest) = self.url.strip_prefix("https://") {
            format!("wss://{rest}")
        } else {
            format!("ws://{}", self.url.trim_start_matches("http://"))
        }
    }

    /// The sender of the server's e-mails: `smtp_from`, or `notifications@{host}`.
    pub fn mail_from(&self) -> String {
        if !self.smtp_from.is_empty() {
            return self.smtp_from.clone();
        }
        let host = url::Url::parse(&self.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".into());
        format!("notifications@{host}")
    }

    /// Whether rate limits apply to a client at `ip` (see `rate_limit_exempt_loopback`).
    pub fn rate_limited(&self, ip: IpAddr) -> bool {
        self.rate_limit && !(self.rate_limit_exempt_loopback && crate::api::ratelimit::exempt(ip))
    }

    /// The directory of the local media store.
    pub fn media_directory(&self) -> PathBuf {
        if self.media_dir.is_empty() {
            self.data_dir.join("media")
        } else {
            PathBuf::from(&self.media_dir)
        }
    }

    /// The public base URL of media files (no trailing slash).
    pub fn media_base_url(&self) -> String {
        if self.media_base_url.is_empty() {
            format!("{}/system", self.url)
        } else {
            self.media_base_url.clone()
        }
    }

    /// How to run `ffmpeg` for media.
    pub fn ffmpeg(&self) -> crate::media::ffmpeg::Ffmpeg {
        crate::media::ffmpeg::Ffmpeg {
            ffmpeg: PathBuf::from(&self.ffmpeg_path),
            ffprobe: PathBuf::from(&self.ffprobe_path),
            timeout: std::time::Duration::from_secs(self.media_transcode_timeout_secs),
        }
    }

    /// Whether new accounts must confirm their e-mail address before using their token.
    pub fn email_confirmation_required(&self) -> bool {
        !self.smtp_url.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_keeps_non_default_port() {
        let c = Config {
            url: "http://localhost:3000/".into(),
            ..Config::default()
        }
        .validated()
        .unwrap();
        assert_eq!(c.url, "http://localhost:3000");
        assert_eq!(c.domain(), "localhost:3000");
        let c = Config {
            url: "https://social.example".into(),
            ..Config::default()
        }
        .validated()
        .unwrap();
        assert_eq!(c.domain(), "social.example");
        assert_eq!(c.streaming_url(), "wss://social.example");
    }

    #[test]
    fn rejects_relative_url() {
        assert!(
            Config {
                url: "social.example".into(),
                ..Config::default()
            }
            .validated()
            .is_err()
        );
    }
}
