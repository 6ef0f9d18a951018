//! Time helpers: the database stores unix milliseconds; the API speaks RFC 3339.

use chrono::{DateTime, SecondsFormat, Utc};

/// Current time in unix milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// `2019-12-05T11:34:47.196Z`, as Mastodon formats datetimes.
pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Midnight UTC of the day containing `ms`, as Mastodon reports `Account.created_at`.
pub fn rfc3339_midnight(ms: i64) -> String {
    rfc3339(ms - ms.rem_euclid(86_400_000))
}

/// `YYYY-MM-DD` of the day containing `ms`.
pub fn date(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// Parses an RFC 3339 datetime into unix milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_mastodon() {
        assert_eq!(rfc3339(1_575_545_687_196), "2019-12-05T11:34:47.196Z");
        assert_eq!(
            rfc3339_midnight(1_575_545_687_196),
            "2019-12-05T00:00:00.000Z"
        );
        assert_eq!(date(1_575_545_687_196), "2019-12-05");
        assert_eq!(
            parse_rfc3339("2019-12-05T11:34:47.196Z"),
            Some(1_575_545_687_196)
        );
    }
}
