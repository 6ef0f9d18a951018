//! HTTP signatures: signing outgoing requests the way Mastodon does (draft-cavage
//! `rsa-sha256`), and verifying incoming ones in both the draft-cavage dialects seen in the
//! wild and RFC 9421 HTTP Message Signatures ([`rfc9421`]).
//!
//! Verification is split in two so that the caller can look the key up in between:
//! [`SignedRequest::parse`] checks everything that needs no key (header syntax, required
//! signed headers, the body digest against the raw body, the time window) and exposes the
//! `keyId`; [`SignedRequest::verify`] then checks the signature with the key. The caller
//! must also compare the key's owner with the activity's actor. [`verify_request`] does both
//! steps when the key is already at hand.
//!
//! Time window, as Mastodon enforces it (`app/lib/signed_request.rb`, `matches_time_window?`,
//! with `EXPIRATION_WINDOW_LIMIT = 12.hours` and `CLOCK_SKEW_MARGIN = 1.hour`): a signature is
//! created at its `Date` (or signed `created`) and expires at its `expires` parameter, or five
//! minutes after creation when there is none, but never more than 12 hours after creation; it
//! is refused when created more than one hour in the future or when expired for more than one
//! hour. A signature dated by `Date` alone is therefore good from one hour before to 65
//! minutes after its date; the 12-hour figure only caps explicit `expires` values.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use sha2::{Digest as _, Sha256, Sha512};

pub use super::keys::{KeyError, PublicKey, SigningKey};

pub mod rfc9421;

/// Longest expiry Mastodon accepts after a signature's creation.
pub const EXPIRATION_WINDOW_LIMIT: Duration = Duration::from_secs(12 * 3600);
/// Clock skew tolerated in both directions.
pub const CLOCK_SKEW_MARGIN: Duration = Duration::from_secs(3600);
/// Expiry of a signature that states none.
pub const DEFAULT_EXPIRY: Duration = Duration::from_secs(5 * 60);
/// Largest `Signature`/`Signature-Input` header accepted.
pub const MAX_SIGNATURE_HEADER_BYTES: usize = 8 * 1024;
/// Most headers/components one signature may cover.
pub const MAX_SIGNED_COMPONENTS: usize = 32;

/// `Accept` of ActivityPub fetches; signed on GET like Mastodon does.
pub const ACTIVITY_ACCEPT: &str = "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
/// `Content-Type` of deliveries.
pub const ACTIVITY_CONTENT_TYPE: &str = "application/activity+json";

/// Why a request's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Signature` (or `Authorization: Signature`) header.
    #[error("request is not signed")]
    Unsigned,
    /// The signature header cannot be parsed.
    #[error("malformed signature: {0}")]
    Malformed(&'static str),
    /// The signature header, or the list of what it covers, is too large.
    #[error("signature header too large")]
    TooLarge,
    /// An algorithm other than RSA-SHA256 (`rsa-sha256`, `hs2019`, `rsa-v1_5-sha256`) or
    /// RSA-PSS-SHA512.
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The `Host` header names another server.
    #[error("request addressed to another host")]
    WrongHost,
    /// Something that must be signed is not covered by the signature.
    #[error("{0} must be signed")]
    NotCovered(&'static str),
    /// A header the signature covers is absent from the request.
    #[error("signed header {0:?} is missing")]
    MissingHeader(String),
    /// The `Digest`/`Content-Digest` uses no algorithm we check (SHA-256, SHA-512).
    #[error("unsupported digest algorithm")]
    UnsupportedDigest,
    /// The body does not match its digest.
    #[error("body does not match its digest")]
    DigestMismatch,
    /// The date or `created`/`expires` parameters cannot be read.
    #[error("invalid signature date")]
    BadDate,
    /// Created too far in the future, or expired too long ago.
    #[error("signed request date outside the acceptable time window")]
    OutsideWindow,
    /// The signature does not verify with the key.
    #[error("signature verification failed")]
    Invalid,
}

/// Which specification the request was signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureScheme {
    /// draft-cavage-http-signatures (`Signature: keyId=…,signature=…`), what Mastodon sends.
    Cavage,
    /// RFC 9421 HTTP Message Signatures (`Signature-Input` + `Signature`).
    Rfc9421,
}

/// A request as the inbox (or an authorized-fetch GET) received it.
#[derive(Debug, Clone, Copy)]
pub struct IncomingRequest<'a> {
    /// The method as sent (`POST`).
    pub method: &'a str,
    /// Path and query exactly as received (`/users/alice/inbox`, `/outbox?page=true`).
    pub path_and_query: &'a str,
    /// Scheme of the public URL (`https` behind a TLS-terminating proxy); used by RFC 9421
    /// `@target-uri` and `@scheme`.
    pub scheme: &'a str,
    /// This server's public host, with the port when not the default (`Config::domain()`).
    /// The request's `Host` must name it: a signature made for another server's inbox must
    /// not be replayable here.
    pub host: &'a str,
    /// The request headers. Must contain `Host` (on HTTP/2, copy the `:authority` into it).
    pub headers: &'a HeaderMap,
    /// The raw body, before any parsing.
    pub body: &'a [u8],
}

/// The RSA algorithm a signature declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Pkcs1Sha256,
    /// RSASSA-PSS with SHA-512.
    PssSha512,
    /// Not stated: inferred from the key (RFC 9421); PKCS#1 v1.5 is tried first.
    Unstated,
}

/// A signed request whose signature is well-formed, covers what it must, matches the body
/// and is within the time window, but is not yet verified with a key.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    key_id: String,
    scheme: SignatureScheme,
    algorithm: Algorithm,
    /// The signing string / signature base.
    message: Vec<u8>,
    /// draft-cavage only: the signing string with `(request-target)` lacking the query,
    /// which older Mastodon versions signed.
    message_without_query: Option<Vec<u8>>,
    signature: Vec<u8>,
    created: SystemTime,
}

/// A request whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The `keyId` that signed; the caller compares its owner with the activity's actor.
    pub key_id: String,
    /// Which specification was used.
    pub scheme: SignatureScheme,
    /// When the signature was made (its `Date` or `created`).
    pub created: SystemTime,
}

impl SignedRequest {
    /// Parses and checks a request's signature, everything but the cryptography: see the
    /// module documentation. `now` is the verifier's clock.
    pub fn parse(
        req: &IncomingRequest<'_>,
        now: SystemTime,
    ) -> Result<SignedRequest, SignatureError> {
        if req.headers.contains_key("signature-input") {
            return rfc9421::parse(req, now);
        }
        cavage::parse(req, now)
    }

    /// The `keyId` to look the public key up by.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The actor the key most likely belongs to, for fetching: the `keyId` without its
    /// fragment (`…/users/alice#main-key`) or without a trailing `/main-key` (GoToSocial).
    /// Only a hint: the key document's `owner` is what counts.
    pub fn actor_hint(&self) -> &str {
        actor_hint(&self.key_id)
    }

    /// Which specification the request was signed with.
    pub fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    /// Checks the signature with `key`.
    pub fn verify(&self, key: &PublicKey) -> Result<VerifiedSignature, SignatureError> {
        let ok = |message: &[u8]| match self.algorithm {
            Algorithm::Pkcs1Sha256 => key.verify_pkcs1_sha256(message, &self.signature),
            Algorithm::PssSha512 => key.verify_pss_sha512(message, &self.signature),
            Algorithm::Unstated => {
                key.verify_pkcs1_sha256(message, &self.signature)
                    || key.verify_pss_sha512(message, &self.signature)
            }
        };
        let verified = ok(&self.message) || self.message_without_query.as_deref().is_some_and(ok);
        if !verified {
            return Err(SignatureError::Invalid);
        }
        Ok(VerifiedSignature {
            key_id: self.key_id.clone(),
            scheme: self.scheme,
            created: self.created,
        })
    }
}

/// Parses and verifies in one step, for callers that already hold the key.
pub fn verify_request(
    req: &IncomingRequest<'_>,
    key: &PublicKey,
    now: SystemTime,
) -> Result<VerifiedSignature, SignatureError> {
    SignedRequest::parse(req, now)?.verify(key)
}

/// The actor URI a `keyId` most likely belongs to (see [`SignedRequest::actor_hint`]).
pub fn actor_hint(key_id: &str) -> &str {
    if let Some((actor, _)) = key_id.split_once('#') {
        return actor;
    }
    key_id.strip_suffix("/main-key").unwrap_or(key_id)
}

/// Signs an outgoing request as Mastodon does: draft-cavage `rsa-sha256` over
/// `(request-target) host date`, then `digest` when there is a body, then each of `signed`
/// (for example `content-type` on deliveries, `accept` on fetches). Returns the headers to add:
/// `Host`, `Date`, `Digest` (with a body) and `Signature`; the caller sets the `signed`
/// headers itself with the same values.
pub fn sign_request(
    key: &SigningKey,
    method: &str,
    url: &url::Url,
    signed: &[(&str, &str)],
    body: Option<&[u8]>,
    now: SystemTime,
) -> Vec<(HeaderName, HeaderValue)> {
    let host = host_header(url);
    let date = httpdate::fmt_http_date(now);
    let mut target = url.path().to_owned();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    let digest = body.map(|b| format!("SHA-256={}", STANDARD.encode(Sha256::digest(b))));

    let mut names = vec!["(request-target)", "host", "date"];
    let mut lines = vec![
        format!("(request-target): {} {target}", method.to_ascii_lowercase()),
        format!("host: {host}"),
        format!("date: {date}"),
    ];
    if let Some(digest) = &digest {
        names.push("digest");
        lines.push(format!("digest: {digest}"));
    }
    let lower: Vec<String> = signed.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    for ((_, value), name) in signed.iter().zip(&lower) {
        names.push(name);
        lines.push(format!("{name}: {value}"));
    }
    let signature = STANDARD.encode(key.sign(lines.join("\n").as_bytes()));
    let header = format!(
        "keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{signature}\"",
        key.key_id(),
        names.join(" ")
    );

    let value = |s: &str| HeaderValue::from_str(s).expect("signature headers are visible ASCII");
    let mut out = vec![
        (reqwest::header::HOST, value(&host)),
        (reqwest::header::DATE, value(&date)),
    ];
    if let Some(digest) = digest {
        out.push((HeaderName::from_static("digest"), value(&digest)));
    }
    out.push((HeaderName::from_static("signature"), value(&header)));
    out
}

/// The `Host` header for `url`: host, plus the port when it is not the scheme's default.
pub fn host_header(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Checks that the request's `Host` header is this server's host (case-insensitively, a
/// default port ignored).
pub(crate) fn check_host(req: &IncomingRequest<'_>) -> Result<(), SignatureError> {
    let normalize = |host: &str| {
        let host = host.trim().to_ascii_lowercase();
        let default = if req.scheme.eq_ignore_ascii_case("https") {
            ":443"
        } else {
            ":80"
        };
        host.strip_suffix(default)
            .map(str::to_owned)
            .unwrap_or(host)
    };
    if normalize(&header_value(req.headers, "host")?) == normalize(req.host) {
        Ok(())
    } else {
        Err(SignatureError::WrongHost)
    }
}

/// Seconds since the Unix epoch (negative before it), saturating.
pub(crate) fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Mastodon's `matches_time_window?` (see the module documentation), on Unix seconds.
pub(crate) fn check_window(
    created: i64,
    expires: Option<i64>,
    now: i64,
) -> Result<(), SignatureError> {
    let limit = EXPIRATION_WINDOW_LIMIT.as_secs() as i64;
    let skew = CLOCK_SKEW_MARGIN.as_secs() as i64;
    let default = DEFAULT_EXPIRY.as_secs() as i64;
    let expires = expires
        .unwrap_or(created.saturating_add(default))
        .min(created.saturating_add(limit));
    if created > now.saturating_add(skew) || now > expires.saturating_add(skew) {
        return Err(SignatureError::OutsideWindow);
    }
    Ok(())
}

/// The value of a header as it enters a signing string: every field line, trimmed, joined
/// with `", "`.
pub(crate) fn header_value(headers: &HeaderMap, name: &str) -> Result<String, SignatureError> {
    let mut out = String::new();
    let mut any = false;
    for value in headers.get_all(name) {
        let value = value
            .to_str()
            .map_err(|_| SignatureError::Malformed("non-ASCII header value"))?;
        if any {
            out.push_str(", ");
        }
        out.push_str(value.trim());
        any = true;
    }
    if !any {
        return Err(SignatureError::MissingHeader(name.to_owned()));
    }
    Ok(out)
}

/// Decodes base64 as senders produce it (padded or not).
pub(crate) fn decode_base64(value: &str) -> Option<Vec<u8>> {
    let value = value.trim();
    STANDARD
        .decode(value)
        .or_else(|_| STANDARD_NO_PAD.decode(value))
        .ok()
}

/// Checks a draft `Digest` header (`SHA-256=<base64>`, comma-separated alternatives) against
/// the body: every SHA-256/SHA-512 value given must match, and at least one must be given.
pub(crate) fn check_digest_header(value: &str, body: &[u8]) -> Result<(), SignatureError> {
    let mut checked = false;
    for part in value.split(',') {
        let Some((alg, digest)) = part.trim().split_once('=') else {
            return Err(SignatureError::Malformed("Digest"));
        };
        let expected: Vec<u8> = match alg.trim().to_ascii_lowercase().as_str() {
            "sha-256" => Sha256::digest(body).to_vec(),
            "sha-512" => Sha512::digest(body).to_vec(),
            _ => continue,
        };
        let given = decode_base64(digest).ok_or(SignatureError::Malformed("Digest"))?;
        if given != expected {
            return Err(SignatureError::DigestMismatch);
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SignatureError::UnsupportedDigest)
    }
}

/// Checks an RFC 9530 `Content-Digest` (`sha-256=:<base64>:`) against the body, with the
/// same rule as [`check_digest_header`].
pub(crate) fn check_content_digest(value: &str, body: &[u8]) -> Result<(), SignatureError> {
    let dict: sfv::Dictionary = sfv::Parser::new(value)
        .parse()
        .map_err(|_| SignatureError::Malformed("Content-Digest"))?;
    let mut checked = false;
    for (alg, entry) in &dict {
        let expected: Vec<u8> = match alg.as_str() {
            "sha-256" => Sha256::digest(body).to_vec(),
            "sha-512" => Sha512::digest(body).to_vec(),
            _ => continue,
        };
        let sfv::ListEntry::Item(item) = entry else {
            return Err(SignatureError::Malformed("Content-Digest"));
        };
        let given = item
            .bare_item
            .as_byte_sequence()
            .ok_or(SignatureError::Malformed("Content-Digest"))?;
        if given != expected.as_slice() {
            return Err(SignatureError::DigestMismatch);
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SignatureError::UnsupportedDigest)
    }
}

/// draft-cavage-http-signatures, in the dialects Mastodon accepts.
mod cavage {
    use super::*;

    /// The parameters of a `Signature` header.
    #[derive(Default)]
    struct Params {
        key_id: Option<String>,
        algorithm: Option<String>,
        headers: Option<String>,
        signature: Option<String>,
        created: Option<String>,
        expires: Option<String>,
    }

    /// Finds the signature parameters: `Signature: …` or `Authorization: Signature …`.
    fn signature_header(headers: &HeaderMap) -> Result<&str, SignatureError> {
        let mut found = headers.get_all("signature").iter();
        let value = match (found.next(), found.next()) {
            (Some(_), Some(_)) => {
                return Err(SignatureError::Malformed("several Signature headers"));
            }
            (Some(v), None) => v,
            (None, _) => {
                let auth = headers
                    .get(reqwest::header::AUTHORIZATION)
                    .ok_or(SignatureError::Unsigned)?;
                let auth = auth.to_str().map_err(|_| SignatureError::Unsigned)?;
                let (scheme, rest) = auth.split_once(' ').ok_or(SignatureError::Unsigned)?;
                if !scheme.eq_ignore_ascii_case("signature") {
                    return Err(SignatureError::Unsigned);
                }
                return check_len(rest);
            }
        };
        check_len(
            value
                .to_str()
                .map_err(|_| SignatureError::Malformed("non-ASCII Signature header"))?,
        )
    }

    fn check_len(value: &str) -> Result<&str, SignatureError> {
        if value.len() > MAX_SIGNATURE_HEADER_BYTES {
            return Err(SignatureError::TooLarge);
        }
        Ok(value)
    }

    /// `key="value", key=value, …`; quoted values may contain backslash escapes.
    fn parse_params(input: &str) -> Result<Params, SignatureError> {
        let mut params = Params::default();
        let bytes = input.as_bytes();
        let mut i = 0;
        loop {
            while i < bytes.len() && (bytes[i] == b',' || bytes[i].is_ascii_whitespace()) {
                i += 1;
            }
            if i == bytes.len() {
                break;
            }
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-' || bytes[i] == b'_')
            {
                i += 1;
            }
            let key = &input[start..i];
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if key.is_empty() || i == bytes.len() || bytes[i] != b'=' {
                return Err(SignatureError::Malformed("Signature parameters"));
            }
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let value = if i < bytes.len() && bytes[i] == b'"' {
                i += 1;
                let mut value = String::new();
                loop {
                    match bytes.get(i) {
                        None => {
                            return Err(SignatureError::Malformed("unterminated quoted string"));
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') => {
                            let next = input[i + 1..]
                                .chars()
                                .next()
                                .ok_or(SignatureError::Malformed("unterminated quoted string"))?;
                            value.push(next);
                            i += 1 + next.len_utf8();
                        }
                        Some(_) => {
                            let c = input[i..].chars().next().expect("in bounds");
                            value.push(c);
                            i += c.len_utf8();
                        }
                    }
                }
                value
            } else {
                let start = i;
                while i < bytes.len() && bytes[i] != b',' {
                    i += 1;
                }
                input[start..i].trim().to_owned()
            };
            let slot = match key.to_ascii_lowercase().as_str() {
                "keyid" => &mut params.key_id,
                "algorithm" => &mut params.algorithm,
                "headers" => &mut params.headers,
                "signature" => &mut params.signature,
                "created" => &mut params.created,
                "expires" => &mut params.expires,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(SignatureError::Malformed("repeated Signature parameter"));
            }
        }
        Ok(params)
    }

    fn integer(value: Option<&String>) -> Result<Option<i64>, SignatureError> {
        value
            .map(|v| v.trim().parse::<i64>().map_err(|_| SignatureError::BadDate))
            .transpose()
    }

    pub(super) fn parse(
        req: &IncomingRequest<'_>,
        now: SystemTime,
    ) -> Result<SignedRequest, SignatureError> {
        let params = parse_params(signature_header(req.headers)?)?;
        let key_id = params
            .key_id
            .clone()
            .filter(|k| !k.is_empty())
            .ok_or(SignatureError::Malformed("keyId is required"))?;
        let signature = params
            .signature
            .as_deref()
            .and_then(decode_base64)
            .filter(|s| !s.is_empty())
            .ok_or(SignatureError::Malformed("signature is required"))?;
        // Mastodon treats a missing algorithm as hs2019, which means "from the key" (RSA).
        let algorithm = params
            .algorithm
            .as_deref()
            .unwrap_or("hs2019")
            .to_ascii_lowercase();
        if algorithm != "rsa-sha256" && algorithm != "hs2019" {
            return Err(SignatureError::UnsupportedAlgorithm(algorithm));
        }
        let hs2019 = algorithm == "hs2019";
        let signed: Vec<String> = params
            .headers
            .as_deref()
            .unwrap_or(if hs2019 { "(created)" } else { "date" })
            .split_ascii_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        if signed.len() > MAX_SIGNED_COMPONENTS {
            return Err(SignatureError::TooLarge);
        }
        let covers = |name: &str| signed.iter().any(|s| s == name);

        // What must be signed (stricter than Mastodon, which accepts `digest` in place of
        // `(request-target)` and an unsigned `host` on POST).
        if !covers("(request-target)") {
            return Err(SignatureError::NotCovered("(request-target)"));
        }
        if !covers("host") {
            return Err(SignatureError::NotCovered("host"));
        }
        if !covers("date") && !covers("(created)") {
            return Err(SignatureError::NotCovered("date"));
        }
        let needs_digest = req.method.eq_ignore_ascii_case("POST") || !req.body.is_empty();
        if needs_digest && !covers("digest") && !covers("content-digest") {
            return Err(SignatureError::NotCovered("digest"));
        }

        check_host(req)?;

        // The body against its digest, before anything reads it.
        if covers("digest") {
            check_digest_header(&header_value(req.headers, "digest")?, req.body)?;
        }
        if covers("content-digest") {
            check_content_digest(&header_value(req.headers, "content-digest")?, req.body)?;
        }

        // The time window: signed `(created)`/`(expires)` when present, else `Date`.
        let created_param = integer(params.created.as_ref())?;
        let expires_param = integer(params.expires.as_ref())?;
        let created = if covers("(created)") {
            created_param.ok_or(SignatureError::BadDate)?
        } else {
            let date = header_value(req.headers, "date")?;
            let date = httpdate::parse_http_date(&date).map_err(|_| SignatureError::BadDate)?;
            unix_seconds(date)
        };
        let expires = if covers("(expires)") {
            Some(expires_param.ok_or(SignatureError::BadDate)?)
        } else {
            None
        };
        check_window(created, expires, unix_seconds(now))?;

        // The signing string.
        let (path, _) = req
            .path_and_query
            .split_once('?')
            .unwrap_or((req.path_and_query, ""));
        let build = |target: &str| -> Result<Vec<u8>, SignatureError> {
            let mut lines = Vec::with_capacity(signed.len());
            for name in &signed {
                let line = match name.as_str() {
                    "(request-target)" => {
                        format!(
                            "(request-target): {} {target}",
                            req.method.to_ascii_lowercase()
                        )
                    }
                    "(created)" | "(expires)" if !hs2019 => {
                        return Err(SignatureError::Malformed("(created) requires hs2019"));
                    }
                    "(created)" => format!(
                        "(created): {}",
                        params.created.as_deref().unwrap_or_default()
                    ),
                    "(expires)" => format!(
                        "(expires): {}",
                        params.expires.as_deref().unwrap_or_default()
                    ),
                    header => format!("{header}: {}", header_value(req.headers, header)?),
                };
                lines.push(line);
            }
            Ok(lines.join("\n").into_bytes())
        };
        let message = build(req.path_and_query)?;
        let message_without_query = if path.len() != req.path_and_query.len() {
            Some(build(path)?)
        } else {
            None
        };
        Ok(SignedRequest {
            key_id,
            scheme: SignatureScheme::Cavage,
            algorithm: Algorithm::Pkcs1Sha256,
            message,
            message_without_query,
            signature,
            created: UNIX_EPOCH + Duration::from_secs(created.max(0) as u64),
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn parameters_are_parsed_tolerantly() {
            let p = parse_params(
                r#"keyId="https://a.example/users/a#main-key", algorithm = "hs2019",headers="(request-target) host",signature="YWJj\"d", created=1618884473"#,
            )
            .unwrap();
            assert_eq!(
                p.key_id.as_deref(),
                Some("https://a.example/users/a#main-key")
            );
            assert_eq!(p.algorithm.as_deref(), Some("hs2019"));
            assert_eq!(p.headers.as_deref(), Some("(request-target) host"));
            assert_eq!(p.signature.as_deref(), Some("YWJj\"d"));
            assert_eq!(p.created.as_deref(), Some("1618884473"));
            assert!(parse_params(r#"keyId="a",keyId="b""#).is_err());
            assert!(parse_params(r#"keyId="a"#).is_err());
            assert!(parse_params("=x").is_err());
            assert!(parse_params(r#"keyId"a""#).is_err());
        }
    }
}

#[cfg(test)]
mod tests;
