//! draft-cavage signing and verification, with the dialects and attacks seen in the wild.

use super::*;
use crate::federation::keys::tests::{other_pair, test_pair};

const KEY_ID: &str = "https://remote.example/users/bob#main-key";
const BODY: &[u8] = br#"{"type":"Create","actor":"https://remote.example/users/bob"}"#;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

fn signing_key() -> SigningKey {
    SigningKey::from_pem(KEY_ID, &test_pair().0).unwrap()
}

fn public_key() -> PublicKey {
    PublicKey::from_pem(&test_pair().1).unwrap()
}

fn headers_from(list: Vec<(HeaderName, HeaderValue)>, extra: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in list {
        h.append(name, value);
    }
    for (name, value) in extra {
        h.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    h
}

/// A delivery to `url` signed by us, as the receiving side sees it.
fn signed_post(url: &str, at: SystemTime) -> HeaderMap {
    let url = url::Url::parse(url).unwrap();
    let list = sign_request(
        &signing_key(),
        "POST",
        &url,
        &[("content-type", ACTIVITY_CONTENT_TYPE)],
        Some(BODY),
        at,
    );
    headers_from(list, &[("content-type", ACTIVITY_CONTENT_TYPE)])
}

fn post<'a>(headers: &'a HeaderMap, path: &'a str) -> IncomingRequest<'a> {
    IncomingRequest {
        method: "POST",
        path_and_query: path,
        scheme: "https",
        host: "local.example",
        headers,
        body: BODY,
    }
}

/// Signs the given (name, value) lines by hand, the way other servers do.
fn hand_signed(params: &str, lines: &[(&str, String)], key: &SigningKey) -> String {
    let string: Vec<String> = lines.iter().map(|(n, v)| format!("{n}: {v}")).collect();
    let sig = STANDARD.encode(key.sign(string.join("\n").as_bytes()));
    format!("{params},signature=\"{sig}\"")
}

fn base_headers(date: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("local.example"));
    h.insert("date", HeaderValue::from_str(date).unwrap());
    h.insert(
        "digest",
        HeaderValue::from_str(&format!(
            "SHA-256={}",
            STANDARD.encode(Sha256::digest(BODY))
        ))
        .unwrap(),
    );
    h
}

#[test]
fn post_round_trip_like_mastodon() {
    let h = signed_post("https://local.example/users/alice/inbox", now());
    let sig = h.get("signature").unwrap().to_str().unwrap();
    assert!(sig.starts_with(&format!("keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",")));
    assert!(sig.contains("headers=\"(request-target) host date digest content-type\""));
    assert_eq!(h.get("host").unwrap(), "local.example");
    assert!(
        h.get("digest")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("SHA-256=")
    );

    let verified = verify_request(&post(&h, "/users/alice/inbox"), &public_key(), now()).unwrap();
    assert_eq!(verified.key_id, KEY_ID);
    assert_eq!(verified.scheme, SignatureScheme::Cavage);
    let parsed = SignedRequest::parse(&post(&h, "/users/alice/inbox"), now()).unwrap();
    assert_eq!(parsed.actor_hint(), "https://remote.example/users/bob");
}

#[test]
fn get_round_trip_with_port_and_query() {
    let url = url::Url::parse("http://127.0.0.1:8080/users/alice/outbox?page=true").unwrap();
    let list = sign_request(
        &signing_key(),
        "GET",
        &url,
        &[("accept", ACTIVITY_ACCEPT)],
        None,
        now(),
    );
    let h = headers_from(list, &[("accept", ACTIVITY_ACCEPT)]);
    assert_eq!(h.get("host").unwrap(), "127.0.0.1:8080");
    assert!(h.get("digest").is_none());
    assert!(
        h.get("signature")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("headers=\"(request-target) host date accept\"")
    );
    let req = IncomingRequest {
        method: "GET",
        path_and_query: "/users/alice/outbox?page=true",
        scheme: "http",
        host: "127.0.0.1:8080",
        headers: &h,
        body: b"",
    };
    assert!(verify_request(&req, &public_key(), now()).is_ok());
    let other_query = IncomingRequest {
        path_and_query: "/users/alice/outbox?page=false",
        ..req
    };
    assert_eq!(
        verify_request(&other_query, &public_key(), now()).unwrap_err(),
        SignatureError::Invalid
    );
}

#[test]
fn tampering_is_detected() {
    let h = signed_post("https://local.example/inbox", now());
    let key = public_key();
    // Another body: the digest no longer matches, refused before any key is needed.
    let req = IncomingRequest {
        body: br#"{"type":"Delete"}"#,
        ..post(&h, "/inbox")
    };
    assert_eq!(
        SignedRequest::parse(&req, now()).unwrap_err(),
        SignatureError::DigestMismatch
    );
    // Another body with a recomputed digest: the signature no longer matches.
    let mut forged = h.clone();
    forged.insert(
        "digest",
        HeaderValue::from_str(&format!(
            "SHA-256={}",
            STANDARD.encode(Sha256::digest(b"{}"))
        ))
        .unwrap(),
    );
    let req = IncomingRequest {
        body: b"{}",
        ..post(&forged, "/inbox")
    };
    assert_eq!(
        verify_request(&req, &key, now()).unwrap_err(),
        SignatureError::Invalid
    );
    // Another path, host, date or content type.
    assert_eq!(
        verify_request(&post(&h, "/users/alice/inbox"), &key, now()).unwrap_err(),
        SignatureError::Invalid
    );
    for (name, value) in [
        ("host", "LOCAL.example:443"),
        (
            "date",
            &httpdate::fmt_http_date(now() - Duration::from_secs(1))[..],
        ),
        ("content-type", "application/json"),
    ] {
        let mut changed = h.clone();
        changed.insert(name, HeaderValue::from_str(value).unwrap());
        assert_eq!(
            verify_request(&post(&changed, "/inbox"), &key, now()).unwrap_err(),
            SignatureError::Invalid,
            "{name}"
        );
    }
    // Another host: refused whatever the signature (see `replay_to_another_host`).
    let mut changed = h.clone();
    changed.insert("host", HeaderValue::from_static("evil.example"));
    assert_eq!(
        SignedRequest::parse(&post(&changed, "/inbox"), now()).unwrap_err(),
        SignatureError::WrongHost
    );
    // A digest that is not base64, and one of an unsupported algorithm only.
    let mut bad = h.clone();
    bad.insert("digest", HeaderValue::from_static("SHA-256=!!!"));
    assert_eq!(
        SignedRequest::parse(&post(&bad, "/inbox"), now()).unwrap_err(),
        SignatureError::Malformed("Digest")
    );
    bad.insert("digest", HeaderValue::from_static("MD5=abc"));
    assert_eq!(
        SignedRequest::parse(&post(&bad, "/inbox"), now()).unwrap_err(),
        SignatureError::UnsupportedDigest
    );
}

#[test]
fn wrong_key_is_refused() {
    let h = signed_post("https://local.example/inbox", now());
    let other = PublicKey::from_pem(&other_pair().1).unwrap();
    assert_eq!(
        verify_request(&post(&h, "/inbox"), &other, now()).unwrap_err(),
        SignatureError::Invalid
    );
}

#[test]
fn required_headers_must_be_signed() {
    let date = httpdate::fmt_http_date(now());
    let key = signing_key();
    let digest = format!("SHA-256={}", STANDARD.encode(Sha256::digest(BODY)));
    let all = [
        ("(request-target)", "post /inbox".to_owned()),
        ("host", "local.example".to_owned()),
        ("date", date.clone()),
        ("digest", digest),
    ];
    for (missing, expected) in [
        ("(request-target)", "(request-target)"),
        ("host", "host"),
        ("date", "date"),
        ("digest", "digest"),
    ] {
        let lines: Vec<(&str, String)> =
            all.iter().filter(|(n, _)| *n != missing).cloned().collect();
        let names: Vec<&str> = lines.iter().map(|(n, _)| *n).collect();
        let mut h = base_headers(&date);
        let params = format!(
            "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",headers=\"{}\"",
            names.join(" ")
        );
        h.insert(
            "signature",
            HeaderValue::from_str(&hand_signed(&params, &lines, &key)).unwrap(),
        );
        assert_eq!(
            SignedRequest::parse(&post(&h, "/inbox"), now()).unwrap_err(),
            SignatureError::NotCovered(expected),
            "{missing}"
        );
    }
    // With everything, the hand-made signature verifies (header order is the signer's).
    let mut h = base_headers(&date);
    let lines: Vec<(&str, String)> = all.iter().rev().cloned().collect();
    let params = format!(
        "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",headers=\"digest date host (request-target)\""
    );
    h.insert(
        "signature",
        HeaderValue::from_str(&hand_signed(&params, &lines, &key)).unwrap(),
    );
    assert!(verify_request(&post(&h, "/inbox"), &public_key(), now()).is_ok());
    // A signed header absent from the request.
    let mut lines = lines;
    lines.push(("x-extra", "1".into()));
    let params = format!(
        "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",headers=\"digest date host (request-target) x-extra\""
    );
    h.insert(
        "signature",
        HeaderValue::from_str(&hand_signed(&params, &lines, &key)).unwrap(),
    );
    assert_eq!(
        SignedRequest::parse(&post(&h, "/inbox"), now()).unwrap_err(),
        SignatureError::MissingHeader("x-extra".into())
    );
}

#[test]
fn hs2019_and_created_expires() {
    let key = signing_key();
    let created = unix_seconds(now());
    let lines = |created: i64, expires: i64| {
        vec![
            ("(request-target)", "post /inbox".to_owned()),
            ("host", "local.example".to_owned()),
            ("(created)", created.to_string()),
            ("(expires)", expires.to_string()),
            (
                "digest",
                format!("SHA-256={}", STANDARD.encode(Sha256::digest(BODY))),
            ),
        ]
    };
    let header = |algorithm: &str, created: i64, expires: i64| {
        let params = format!(
            "keyId=\"{KEY_ID}\",{algorithm}created={created},expires={expires},\
             headers=\"(request-target) host (created) (expires) digest\""
        );
        // No Date header at all: (created) dates the signature.
        let mut h = base_headers("x");
        h.remove("date");
        h.insert(
            "signature",
            HeaderValue::from_str(&hand_signed(&params, &lines(created, expires), &key)).unwrap(),
        );
        h
    };
    let h = header("algorithm=\"hs2019\",", created, created + 60);
    assert!(verify_request(&post(&h, "/inbox"), &public_key(), now()).is_ok());
    // No algorithm at all means hs2019.
    let h = header("", created, created + 60);
    assert!(verify_request(&post(&h, "/inbox"), &public_key(), now()).is_ok());
    // (created) is only defined for hs2019.
    let h = header("algorithm=\"rsa-sha256\",", created, created + 60);
    assert_eq!(
        SignedRequest::parse(&post(&h, "/inbox"), now()).unwrap_err(),
        SignatureError::Malformed("(created) requires hs2019")
    );
    // Unsupported algorithms.
    for alg in ["ed25519", "hmac-sha256", "rsa-sha1"] {
        let h = header(&format!("algorithm=\"{alg}\","), created, created + 60);
        assert_eq!(
            SignedRequest::parse(&post(&h, "/inbox"), now()).unwrap_err(),
            SignatureError::UnsupportedAlgorithm(alg.into())
        );
    }
    // An explicit expiry is honoured, plus the skew margin, but capped at 12 hours.
    let later = |secs: u64| now() + Duration::from_secs(secs);
    let h = header("algorithm=\"hs2019\",", created, created + 2 * 3600);
    assert!(SignedRequest::parse(&post(&h, "/inbox"), later(3 * 3600)).is_ok());
    assert_eq!(
        SignedRequest::parse(&post(&h, "/inbox"), later(3 * 3600 + 1)).unwrap_err(),
        SignatureError::OutsideWindow
    );
    let h = header("algorithm=\"hs2019\",", created, created + 48 * 3600);
    assert!(SignedRequest::parse(&post(&h, "/inbox"), later(13 * 3600)).is_ok());
    assert_eq!(
        SignedRequest::parse(&post(&h, "/inbox"), later(13 * 3600 + 1)).unwrap_err(),
        SignatureError::OutsideWindow
    );
}

#[test]
fn date_window_matches_mastodon() {
    let check = |offset: i64| {
        let at = if offset >= 0 {
            now() + Duration::from_secs(offset as u64)
        } else {
            now() - Duration::from_secs((-offset) as u64)
        };
        let h = signed_post("https://local.example/inbox", at);
        SignedRequest::parse(&post(&h, "/inbox"), now()).map(|_| ())
    };
    // Dated up to an hour ahead, and up to 5 minutes + 1 hour behind.
    assert!(check(3600).is_ok());
    assert_eq!(check(3601).unwrap_err(), SignatureError::OutsideWindow);
    assert!(check(-3900).is_ok());
    assert_eq!(check(-3901).unwrap_err(), SignatureError::OutsideWindow);
    assert_eq!(check(-2 * 3600).unwrap_err(), SignatureError::OutsideWindow);
    assert_eq!(
        check(-13 * 3600).unwrap_err(),
        SignatureError::OutsideWindow
    );
    // An unreadable date.
    let mut h = signed_post("https://local.example/inbox", now());
    h.insert("date", HeaderValue::from_static("yesterday"));
    assert_eq!(
        SignedRequest::parse(&post(&h, "/inbox"), now()).unwrap_err(),
        SignatureError::BadDate
    );
}

#[test]
fn dialects_and_header_forms() {
    let h = signed_post("https://local.example/inbox", now());
    let sig = h.get("signature").unwrap().clone();
    // `Authorization: Signature …`.
    let mut auth = h.clone();
    auth.remove("signature");
    let value = format!("Signature {}", sig.to_str().unwrap());
    auth.insert("authorization", HeaderValue::from_str(&value).unwrap());
    assert!(verify_request(&post(&auth, "/inbox"), &public_key(), now()).is_ok());
    // A bearer token is not a signature.
    auth.insert("authorization", HeaderValue::from_static("Bearer abc"));
    assert_eq!(
        SignedRequest::parse(&post(&auth, "/inbox"), now()).unwrap_err(),
        SignatureError::Unsigned
    );
    // Two Signature headers are ambiguous.
    let mut two = h.clone();
    two.append("signature", sig);
    assert_eq!(
        SignedRequest::parse(&post(&two, "/inbox"), now()).unwrap_err(),
        SignatureError::Malformed("several Signature headers")
    );
    // Older Mastodon signed (request-target) without the query string.
    let url = url::Url::parse("https://local.example/inbox").unwrap();
    let list = sign_request(&signing_key(), "POST", &url, &[], Some(BODY), now());
    let h = headers_from(list, &[]);
    assert!(verify_request(&post(&h, "/inbox?x=1"), &public_key(), now()).is_ok());
}

#[test]
fn sizes_are_bounded() {
    let date = httpdate::fmt_http_date(now());
    let mut h = base_headers(&date);
    let long = format!(
        "keyId=\"{}\",signature=\"AAAA\"",
        "k".repeat(MAX_SIGNATURE_HEADER_BYTES)
    );
    h.insert("signature", HeaderValue::from_str(&long).unwrap());
    assert_eq!(
        SignedRequest::parse(&post(&h, "/inbox"), now()).unwrap_err(),
        SignatureError::TooLarge
    );
    let many = vec!["x-a"; MAX_SIGNED_COMPONENTS + 1].join(" ");
    let value =
        format!("keyId=\"k\",algorithm=\"rsa-sha256\",headers=\"{many}\",signature=\"AAAA\"");
    h.insert("signature", HeaderValue::from_str(&value).unwrap());
    assert_eq!(
        SignedRequest::parse(&post(&h, "/inbox"), now()).unwrap_err(),
        SignatureError::TooLarge
    );
    // Missing keyId or signature.
    h.insert("signature", HeaderValue::from_static("signature=\"AAAA\""));
    assert_eq!(
        SignedRequest::parse(&post(&h, "/inbox"), now()).unwrap_err(),
        SignatureError::Malformed("keyId is required")
    );
    h.insert("signature", HeaderValue::from_static("keyId=\"k\""));
    assert_eq!(
        SignedRequest::parse(&post(&h, "/inbox"), now()).unwrap_err(),
        SignatureError::Malformed("signature is required")
    );
    assert_eq!(
        SignedRequest::parse(&post(&HeaderMap::new(), "/inbox"), now()).unwrap_err(),
        SignatureError::Unsigned
    );
}

#[test]
fn key_id_forms() {
    assert_eq!(
        actor_hint("https://m.example/users/bob#main-key"),
        "https://m.example/users/bob"
    );
    assert_eq!(
        actor_hint("https://gts.example/users/bob/main-key"),
        "https://gts.example/users/bob"
    );
    assert_eq!(
        actor_hint("https://x.example/key/1"),
        "https://x.example/key/1"
    );
    // Whatever its form, the key id is exposed as sent.
    let key =
        SigningKey::from_pem("https://gts.example/users/bob/main-key", &test_pair().0).unwrap();
    let url = url::Url::parse("https://local.example/inbox").unwrap();
    let h = headers_from(
        sign_request(&key, "POST", &url, &[], Some(BODY), now()),
        &[],
    );
    let verified = verify_request(&post(&h, "/inbox"), &public_key(), now()).unwrap();
    assert_eq!(verified.key_id, "https://gts.example/users/bob/main-key");
}

#[test]
fn digest_headers() {
    let sha256 = STANDARD.encode(Sha256::digest(BODY));
    let sha512 = STANDARD.encode(Sha512::digest(BODY));
    assert!(check_digest_header(&format!("SHA-256={sha256}"), BODY).is_ok());
    assert!(check_digest_header(&format!("sha-512={sha512}"), BODY).is_ok());
    assert!(check_digest_header(&format!("MD5=x, SHA-256={sha256}"), BODY).is_ok());
    assert_eq!(
        check_digest_header(&format!("SHA-256={sha256}, SHA-512={sha256}"), BODY).unwrap_err(),
        SignatureError::DigestMismatch
    );
    assert!(check_content_digest(&format!("sha-256=:{sha256}:"), BODY).is_ok());
    assert_eq!(
        check_content_digest(&format!("sha-256=:{sha512}:"), BODY).unwrap_err(),
        SignatureError::DigestMismatch
    );
    assert_eq!(
        check_content_digest("md5=:AAAA:", BODY).unwrap_err(),
        SignatureError::UnsupportedDigest
    );
    // RFC 9530 Appendix B.1: {"hello": "world"} followed by a newline.
    assert!(
        check_content_digest(
            "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:",
            b"{\"hello\": \"world\"}\n"
        )
        .is_ok()
    );
}

#[test]
fn replay_to_another_host() {
    // A delivery genuinely signed for other.example's inbox, replayed to us by other.example
    // (with its Host header intact, or the Host rewritten to ours).
    let h = signed_post("https://other.example/inbox", now());
    assert!(
        verify_request(
            &IncomingRequest {
                host: "other.example",
                ..post(&h, "/inbox")
            },
            &public_key(),
            now()
        )
        .is_ok()
    );
    assert_eq!(
        SignedRequest::parse(&post(&h, "/inbox"), now()).unwrap_err(),
        SignatureError::WrongHost
    );
    let mut rewritten = h.clone();
    rewritten.insert("host", HeaderValue::from_static("local.example"));
    assert_eq!(
        verify_request(&post(&rewritten, "/inbox"), &public_key(), now()).unwrap_err(),
        SignatureError::Invalid
    );
}
