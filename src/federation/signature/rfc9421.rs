//! RFC 9421 HTTP Message Signatures (verification only; Woolly signs with draft-cavage, as
//! Mastodon does).
//!
//! Supported: algorithms `rsa-v1_5-sha256` and `rsa-pss-sha512` (or none stated, inferred
//! from the RSA key); derived components `@method`, `@target-uri`, `@authority`, `@scheme`,
//! `@request-target`, `@path`, `@query`, `@query-param;name=…`; ordinary header fields
//! (including `content-digest`, checked against the body); signature parameters `created`,
//! `expires`, `keyid`, `alg`, `nonce`, `tag`. Component parameters other than `name` (`sf`,
//! `key`, `bs`, `req`, `tr`) are refused.
//!
//! Required, like Mastodon (`SignedRequest::HttpMessageSignature#verify_signature_strength!`):
//! `keyid` and `created`, `@method`, the target (`@target-uri`, or `@request-target`/`@path`
//! with `@authority`/`host`), and on POST or with a body `content-digest`. When several
//! signatures are present, the first one that meets these requirements is used.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sfv::{BareItem, Dictionary, Item, ListEntry};

use super::{
    Algorithm, IncomingRequest, MAX_SIGNATURE_HEADER_BYTES, MAX_SIGNED_COMPONENTS, SignatureError,
    SignatureScheme, SignedRequest, check_content_digest, check_digest_header, check_host,
    check_window, header_value, unix_seconds,
};

/// Parses the first acceptable signature of `req`.
pub(super) fn parse(
    req: &IncomingRequest<'_>,
    now: SystemTime,
) -> Result<SignedRequest, SignatureError> {
    let inputs = dictionary(req, "signature-input")?;
    let signatures = dictionary(req, "signature")?;
    let mut first_error = None;
    for (label, input) in &inputs {
        let ListEntry::InnerList(input) = input else {
            first_error.get_or_insert(SignatureError::Malformed("Signature-Input member"));
            continue;
        };
        let signature = match signatures.get(label) {
            Some(ListEntry::Item(Item {
                bare_item: BareItem::ByteSequence(bytes),
                ..
            })) if !bytes.is_empty() => bytes.clone(),
            _ => {
                first_error.get_or_insert(SignatureError::Malformed("no Signature for the label"));
                continue;
            }
        };
        match candidate(req, input, signature, now) {
            Ok(signed) => return Ok(signed),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(SignatureError::Unsigned))
}

/// A structured-field dictionary made of every line of header `name`.
fn dictionary(req: &IncomingRequest<'_>, name: &str) -> Result<Dictionary, SignatureError> {
    let value = header_value(req.headers, name).map_err(|e| match e {
        SignatureError::MissingHeader(_) => SignatureError::Unsigned,
        other => other,
    })?;
    if value.len() > MAX_SIGNATURE_HEADER_BYTES {
        return Err(SignatureError::TooLarge);
    }
    sfv::Parser::new(&value)
        .parse()
        .map_err(|_| SignatureError::Malformed("not a structured-field dictionary"))
}

fn candidate(
    req: &IncomingRequest<'_>,
    input: &sfv::InnerList,
    signature: Vec<u8>,
    now: SystemTime,
) -> Result<SignedRequest, SignatureError> {
    if input.items.len() > MAX_SIGNED_COMPONENTS {
        return Err(SignatureError::TooLarge);
    }

    // Signature parameters.
    let mut key_id = None;
    let mut created = None;
    let mut expires = None;
    let mut algorithm = Algorithm::Unstated;
    for (name, value) in &input.params {
        match name.as_str() {
            "keyid" => key_id = value.as_string().map(|s| s.as_str().to_owned()),
            "created" => created = value.as_integer().map(i64::from),
            "expires" => expires = value.as_integer().map(i64::from),
            "alg" => {
                let alg = value
                    .as_string()
                    .ok_or(SignatureError::Malformed("alg"))?
                    .as_str();
                algorithm = match alg {
                    "rsa-v1_5-sha256" => Algorithm::Pkcs1Sha256,
                    "rsa-pss-sha512" => Algorithm::PssSha512,
                    other => return Err(SignatureError::UnsupportedAlgorithm(other.to_owned())),
                };
            }
            _ => {}
        }
    }
    let key_id = key_id
        .filter(|k| !k.is_empty())
        .ok_or(SignatureError::Malformed("keyid is required"))?;
    let created = created.ok_or(SignatureError::NotCovered("created"))?;

    // Covered components.
    let mut names = Vec::with_capacity(input.items.len());
    for item in &input.items {
        let name = item
            .bare_item
            .as_string()
            .ok_or(SignatureError::Malformed("component identifier"))?
            .as_str();
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(SignatureError::Malformed("component names are lower case"));
        }
        names.push(name);
    }
    let covers = |name: &str| names.contains(&name);
    if !covers("@method") {
        return Err(SignatureError::NotCovered("@method"));
    }
    let target = covers("@target-uri")
        || ((covers("@request-target") || covers("@path"))
            && (covers("@authority") || covers("host")));
    if !target {
        return Err(SignatureError::NotCovered("@target-uri"));
    }
    let needs_digest = req.method.eq_ignore_ascii_case("POST") || !req.body.is_empty();
    if needs_digest && !covers("content-digest") && !covers("digest") {
        return Err(SignatureError::NotCovered("content-digest"));
    }

    check_host(req)?;

    // The body against its digest, then the time window.
    if covers("content-digest") {
        check_content_digest(&header_value(req.headers, "content-digest")?, req.body)?;
    }
    if covers("digest") {
        check_digest_header(&header_value(req.headers, "digest")?, req.body)?;
    }
    check_window(created, expires, unix_seconds(now))?;

    // The signature base (RFC 9421 §2.5).
    let mut base = String::new();
    for (item, name) in input.items.iter().zip(&names) {
        base.push_str(&serialize_item(item)?);
        base.push_str(": ");
        base.push_str(&component_value(req, name, &item.params)?);
        base.push('\n');
    }
    base.push_str("\"@signature-params\": ");
    let mut list = sfv::ListSerializer::new();
    list.members(std::iter::once(&ListEntry::InnerList(input.clone())));
    base.push_str(
        &list
            .finish()
            .ok_or(SignatureError::Malformed("signature parameters"))?,
    );

    Ok(SignedRequest {
        key_id,
        scheme: SignatureScheme::Rfc9421,
        algorithm,
        message: base.into_bytes(),
        message_without_query: None,
        signature,
        created: UNIX_EPOCH + Duration::from_secs(created.max(0) as u64),
    })
}

/// The canonical serialization of a component identifier (`"@query-param";name="Pet"`).
fn serialize_item(item: &Item) -> Result<String, SignatureError> {
    let mut list = sfv::ListSerializer::new();
    list.members(std::iter::once(&ListEntry::Item(item.clone())));
    list.finish()
        .ok_or(SignatureError::Malformed("component identifier"))
}

/// The value of one covered component.
fn component_value(
    req: &IncomingRequest<'_>,
    name: &str,
    params: &sfv::Parameters,
) -> Result<String, SignatureError> {
    let mut query_name = None;
    for (key, value) in params {
        match (key.as_str(), name) {
            ("name", "@query-param") => {
                query_name = Some(
                    value
                        .as_string()
                        .ok_or(SignatureError::Malformed("@query-param name"))?
                        .as_str(),
                )
            }
            _ => return Err(SignatureError::Malformed("unsupported component parameter")),
        }
    }
    let (path, query) = match req.path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (req.path_and_query, None),
    };
    let path = if path.is_empty() { "/" } else { path };
    let value = match name {
        "@method" => req.method.to_owned(),
        "@scheme" => req.scheme.to_ascii_lowercase(),
        "@authority" => authority(req)?,
        "@target-uri" => format!(
            "{}://{}{}",
            req.scheme.to_ascii_lowercase(),
            authority(req)?,
            req.path_and_query
        ),
        "@request-target" => req.path_and_query.to_owned(),
        "@path" => path.to_owned(),
        "@query" => format!("?{}", query.unwrap_or_default()),
        "@query-param" => {
            let wanted =
                query_name.ok_or(SignatureError::Malformed("@query-param needs a name"))?;
            let wanted: String = form_urlencoded::parse(wanted.as_bytes())
                .next()
                .map(|(k, _)| k.into_owned())
                .unwrap_or_default();
            let mut found = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .filter(|(k, _)| *k == wanted);
            match (found.next(), found.next()) {
                (Some((_, value)), None) => encode_query_value(&value),
                (None, _) => return Err(SignatureError::MissingHeader(format!("?{wanted}"))),
                (Some(_), Some(_)) => {
                    return Err(SignatureError::Malformed("repeated query parameter"));
                }
            }
        }
        "@signature-params" | "@status" => {
            return Err(SignatureError::Malformed(
                "component not allowed in a request",
            ));
        }
        derived if derived.starts_with('@') => {
            return Err(SignatureError::Malformed("unknown derived component"));
        }
        header => header_value(req.headers, header)?,
    };
    Ok(value)
}

/// `@authority`: the `Host` header, lower case, without the scheme's default port.
fn authority(req: &IncomingRequest<'_>) -> Result<String, SignatureError> {
    let host = header_value(req.headers, "host")?.to_ascii_lowercase();
    let default = if req.scheme.eq_ignore_ascii_case("https") {
        ":443"
    } else {
        ":80"
    };
    Ok(host.strip_suffix(default).unwrap_or(&host).to_owned())
}

/// Re-encodes a decoded query value as RFC 9421 §2.2.8 shows it (spaces as `%20`).
fn encode_query_value(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::keys::tests::{RFC9421_TEST_KEY_RSA, RFC9421_TEST_KEY_RSA_PSS};
    use crate::federation::signature::PublicKey;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

    const BODY: &[u8] = br#"{"hello": "world"}"#;
    const CONTENT_DIGEST: &str = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";

    /// RFC 9421 Appendix B.2's request, with the given signature headers.
    fn headers(host: &str, extra: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in [
            ("host", host),
            ("date", "Tue, 20 Apr 2021 02:07:55 GMT"),
            ("content-type", "application/json"),
            ("content-digest", CONTENT_DIGEST),
            ("content-length", "18"),
        ]
        .iter()
        .chain(extra)
        {
            h.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        h
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn request<'a>(headers: &'a HeaderMap, method: &'a str, path: &'a str) -> IncomingRequest<'a> {
        IncomingRequest {
            method,
            path_and_query: path,
            scheme: "https",
            host: headers.get("host").unwrap().to_str().unwrap(),
            headers,
            body: BODY,
        }
    }

    /// B.2.3 "Full Coverage using rsa-pss-sha512", verified against its published signature.
    #[test]
    fn appendix_b_2_3_full_coverage_rsa_pss() {
        let h = headers(
            "example.com",
            &[
                (
                    "signature-input",
                    r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#,
                ),
                (
                    "signature",
                    "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:",
                ),
            ],
        );
        let req = request(&h, "POST", "/foo?param=Value&Pet=dog");
        let signed = SignedRequest::parse(&req, at(1618884473)).unwrap();
        assert_eq!(signed.key_id(), "test-key-rsa-pss");
        assert_eq!(signed.scheme(), SignatureScheme::Rfc9421);
        assert_eq!(
            String::from_utf8(signed.message.clone()).unwrap(),
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\
             \"@query\": ?param=Value&Pet=dog\n\"@authority\": example.com\n\
             \"content-type\": application/json\n\"content-digest\": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\n\
             \"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@query\" \
             \"@authority\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-rsa-pss\""
        );
        let key = PublicKey::from_pem(RFC9421_TEST_KEY_RSA_PSS).unwrap();
        assert!(signed.verify(&key).is_ok());
        // The PKCS#1 test key does not verify it.
        let other = PublicKey::from_pem(RFC9421_TEST_KEY_RSA).unwrap();
        assert_eq!(signed.verify(&other).unwrap_err(), SignatureError::Invalid);
        // Any covered change breaks it.
        let tampered = request(&h, "POST", "/foo?param=Value&Pet=cat");
        let signed = SignedRequest::parse(&tampered, at(1618884473)).unwrap();
        assert_eq!(signed.verify(&key).unwrap_err(), SignatureError::Invalid);
    }

    /// B.2.2 "Selective Covered Components": a GET-like check of `@query-param` (the request
    /// covers neither `@method` nor a digest, so only the base and signature are checked).
    #[test]
    fn appendix_b_2_2_query_param_base() {
        let h = headers("example.com", &[]);
        let req = request(&h, "POST", "/foo?param=Value&Pet=dog");
        let item: Item = sfv::Parser::new(r#""@query-param";name="Pet""#)
            .parse()
            .unwrap();
        assert_eq!(
            serialize_item(&item).unwrap(),
            r#""@query-param";name="Pet""#
        );
        assert_eq!(
            component_value(&req, "@query-param", &item.params).unwrap(),
            "dog"
        );
        let base = format!(
            "\"@authority\": example.com\n\"content-digest\": {CONTENT_DIGEST}\n\
             \"@query-param\";name=\"Pet\": dog\n\"@signature-params\": (\"@authority\" \
             \"content-digest\" \"@query-param\";name=\"Pet\");created=1618884473;\
             keyid=\"test-key-rsa-pss\";tag=\"header-example\""
        );
        let sig = super::super::decode_base64("LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==").unwrap();
        let key = PublicKey::from_pem(RFC9421_TEST_KEY_RSA_PSS).unwrap();
        assert!(key.verify_pss_sha512(base.as_bytes(), &sig));
        // And the whole request is refused for covering too little.
        let h = headers(
            "example.com",
            &[
                (
                    "signature-input",
                    r#"sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example""#,
                ),
                ("signature", &format!("sig-b22=:{}:", STANDARD.encode(&sig))),
            ],
        );
        let req = request(&h, "POST", "/foo?param=Value&Pet=dog");
        assert_eq!(
            SignedRequest::parse(&req, at(1618884473)).unwrap_err(),
            SignatureError::NotCovered("@method")
        );
    }

    /// §4.3's `proxy_sig`: `rsa-v1_5-sha256` with the PKCS#1 `test-key-rsa`, next to an ECDSA
    /// signature we do not support (skipped because it lacks what we require).
    #[test]
    fn section_4_3_rsa_v1_5_sha256() {
        let mut h = headers(
            "origin.host.internal.example",
            &[
                ("forwarded", "for=192.0.2.123;host=example.com;proto=https"),
                (
                    "signature-input",
                    r#"sig1=("@method" "@authority" "@path" "content-digest" "content-type" "content-length");created=1618884475;keyid="test-key-ecc-p256", proxy_sig=("@method" "@authority" "@path" "content-digest" "content-type" "content-length" "forwarded");created=1618884480;keyid="test-key-rsa";alg="rsa-v1_5-sha256";expires=1618884540"#,
                ),
                (
                    "signature",
                    "sig1=:X5spyd6CFnAG5QnDyHfqoSNICd+BUP4LYMz2Q0JXlb//4Ijpzp+kve2w4NIyqeAuM7jTDX+sNalzA8ESSaHD3A==:, proxy_sig=:S6ZzPXSdAMOPjN/6KXfXWNO/f7V6cHm7BXYUh3YD/fRad4BCaRZxP+JH+8XY1I6+8Cy+CM5g92iHgxtRPz+MjniOaYmdkDcnL9cCpXJleXsOckpURl49GwiyUpZ10KHgOEe11sx3G2gxI8S0jnxQB+Pu68U9vVcasqOWAEObtNKKZd8tSFu7LB5YAv0RAGhB8tmpv7sFnIm9y+7X5kXQfi8NMaZaA8i2ZHwpBdg7a6CMfwnnrtflzvZdXAsD3LH2TwevU+/PBPv0B6NMNk93wUs/vfJvye+YuI87HU38lZHowtznbLVdp770I6VHR6WfgS9ddzirrswsE1w5o0LV/g==:",
                ),
            ],
        );
        h.insert(
            "date",
            HeaderValue::from_static("Tue, 20 Apr 2021 02:07:56 GMT"),
        );
        let req = request(&h, "POST", "/foo?param=Value&Pet=dog");
        let rsa = PublicKey::from_pem(RFC9421_TEST_KEY_RSA).unwrap();
        // sig1 comes first and meets the requirements; the ECDSA key id is what a caller would
        // look up, and no RSA key verifies it.
        let signed = SignedRequest::parse(&req, at(1618884480)).unwrap();
        assert_eq!(signed.key_id(), "test-key-ecc-p256");
        assert_eq!(signed.verify(&rsa).unwrap_err(), SignatureError::Invalid);
        // Only the proxy signature left: it verifies.
        let input = h.get("signature-input").unwrap().to_str().unwrap();
        let proxy_input = input.split(", proxy_sig=").nth(1).unwrap();
        h.insert(
            "signature-input",
            HeaderValue::from_str(&format!("proxy_sig={proxy_input}")).unwrap(),
        );
        let req = request(&h, "POST", "/foo?param=Value&Pet=dog");
        let signed = SignedRequest::parse(&req, at(1618884480)).unwrap();
        assert_eq!(signed.key_id(), "test-key-rsa");
        assert_eq!(
            signed.verify(&rsa).unwrap().scheme,
            SignatureScheme::Rfc9421
        );
        // It expires at 1618884540, plus the hour of clock skew.
        assert!(SignedRequest::parse(&req, at(1618884540 + 3600)).is_ok());
        assert_eq!(
            SignedRequest::parse(&req, at(1618884540 + 3601)).unwrap_err(),
            SignatureError::OutsideWindow
        );
    }

    #[test]
    fn digest_and_requirements_are_enforced() {
        let base = |input: &str, extra: &[(&str, &str)]| {
            let mut all = vec![("signature-input", input), ("signature", "s=:AAAA:")];
            all.extend_from_slice(extra);
            headers("example.com", &all)
        };
        let ok = r#"s=("@method" "@target-uri" "content-digest");created=1618884473;keyid="k""#;
        let h = base(ok, &[]);
        let req = request(&h, "POST", "/inbox");
        assert!(SignedRequest::parse(&req, at(1618884473)).is_ok());
        // It must be addressed to us.
        let elsewhere = IncomingRequest {
            host: "other.example",
            ..req
        };
        assert_eq!(
            SignedRequest::parse(&elsewhere, at(1618884473)).unwrap_err(),
            SignatureError::WrongHost
        );
        // The body must match the digest.
        let tampered = IncomingRequest {
            body: b"{\"hello\": \"World\"}",
            ..req
        };
        assert_eq!(
            SignedRequest::parse(&tampered, at(1618884473)).unwrap_err(),
            SignatureError::DigestMismatch
        );
        for (input, error) in [
            (
                r#"s=("@target-uri" "content-digest");created=1618884473;keyid="k""#,
                SignatureError::NotCovered("@method"),
            ),
            (
                r#"s=("@method" "content-digest");created=1618884473;keyid="k""#,
                SignatureError::NotCovered("@target-uri"),
            ),
            (
                r#"s=("@method" "@target-uri");created=1618884473;keyid="k""#,
                SignatureError::NotCovered("content-digest"),
            ),
            (
                r#"s=("@method" "@target-uri" "content-digest");keyid="k""#,
                SignatureError::NotCovered("created"),
            ),
            (
                r#"s=("@method" "@target-uri" "content-digest");created=1618884473"#,
                SignatureError::Malformed("keyid is required"),
            ),
            (
                r#"s=("@method" "@target-uri" "content-digest");created=1618884473;keyid="k";alg="ed25519""#,
                SignatureError::UnsupportedAlgorithm("ed25519".into()),
            ),
            (
                r#"s=("@method" "@target-uri" "content-digest" "x-missing");created=1618884473;keyid="k""#,
                SignatureError::MissingHeader("x-missing".into()),
            ),
            (
                r#"s=("@method" "@target-uri" "content-digest" "@status");created=1618884473;keyid="k""#,
                SignatureError::Malformed("component not allowed in a request"),
            ),
            (
                r#"s=("@method" "@target-uri" "content-digest" "content-type";sf);created=1618884473;keyid="k""#,
                SignatureError::Malformed("unsupported component parameter"),
            ),
            (
                r#"s=("@method" "@target-uri" "content-digest");created=1618891674;keyid="k""#,
                SignatureError::OutsideWindow,
            ),
            (
                "s=(",
                SignatureError::Malformed("not a structured-field dictionary"),
            ),
            (
                r#"other=("@method" "@target-uri" "content-digest");created=1618884473;keyid="k""#,
                SignatureError::Malformed("no Signature for the label"),
            ),
        ] {
            let h = base(input, &[]);
            assert_eq!(
                SignedRequest::parse(&request(&h, "POST", "/inbox"), at(1618884473)).unwrap_err(),
                error,
                "{input}"
            );
        }
        let big = format!(
            r#"s=({});created=1618884473;keyid="k""#,
            vec!["\"@method\""; MAX_SIGNED_COMPONENTS + 1].join(" ")
        );
        let h = base(&big, &[]);
        assert_eq!(
            SignedRequest::parse(&request(&h, "POST", "/inbox"), at(1618884473)).unwrap_err(),
            SignatureError::TooLarge
        );
        let huge = format!(
            r#"s=("@method");created=1;keyid="{}""#,
            "k".repeat(MAX_SIGNATURE_HEADER_BYTES)
        );
        let h = base(&huge, &[]);
        assert_eq!(
            SignedRequest::parse(&request(&h, "POST", "/inbox"), at(1618884473)).unwrap_err(),
            SignatureError::TooLarge
        );
    }

    #[test]
    fn derived_components() {
        let h = headers("Example.COM:443", &[]);
        let req = IncomingRequest {
            method: "GET",
            path_and_query: "/users/a?page=true&q=a+b%20c",
            scheme: "https",
            host: "example.com",
            headers: &h,
            body: b"",
        };
        let none = sfv::Parameters::new();
        let v = |name| component_value(&req, name, &none).unwrap();
        assert_eq!(v("@method"), "GET");
        assert_eq!(v("@authority"), "example.com");
        assert_eq!(v("@scheme"), "https");
        assert_eq!(
            v("@target-uri"),
            "https://example.com/users/a?page=true&q=a+b%20c"
        );
        assert_eq!(v("@request-target"), "/users/a?page=true&q=a+b%20c");
        assert_eq!(v("@path"), "/users/a");
        assert_eq!(v("@query"), "?page=true&q=a+b%20c");
        let item: Item = sfv::Parser::new(r#""@query-param";name="q""#)
            .parse()
            .unwrap();
        assert_eq!(
            component_value(&req, "@query-param", &item.params).unwrap(),
            "a%20b%20c"
        );
        let plain = IncomingRequest {
            path_and_query: "/x",
            ..req
        };
        assert_eq!(component_value(&plain, "@query", &none).unwrap(), "?");
    }
}
