//! The client against a scripted HTTP/1.1 server on loopback (allowed only with
//! `allow_private_addresses`), and its refusals without it.

use std::sync::Mutex;

use reqwest::header::{HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;
use crate::federation::keys::tests::test_pair;
use crate::federation::signature::{IncomingRequest, PublicKey, SignatureScheme, verify_request};

/// A request as the scripted server received it.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// What the scripted server answers.
struct Reply {
    head: String,
    body: Vec<u8>,
    delay: Duration,
}

fn reply(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut head = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    Reply {
        head,
        body: body.to_vec(),
        delay: Duration::ZERO,
    }
}

type Handler = Arc<dyn Fn(&Received) -> Reply + Send + Sync>;

/// Serves `handler` on 127.0.0.1; returns the base URL and the log of requests.
async fn serve(
    handler: impl Fn(&Received) -> Reply + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let handler: Handler = Arc::new(handler);
    let shared = log.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            let log = shared.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break pos;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let mut lines = head.split("\r\n");
                let mut first = lines.next().unwrap_or_default().split(' ');
                let method = first.next().unwrap_or_default().to_owned();
                let path = first.next().unwrap_or_default().to_owned();
                let mut headers = HeaderMap::new();
                for line in lines {
                    if let Some((name, value)) = line.split_once(':') {
                        headers.append(
                            HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
                            HeaderValue::from_str(value.trim()).unwrap(),
                        );
                    }
                }
                let length: usize = headers
                    .get("content-length")
                    .and_then(|v| v.to_str().ok()?.parse().ok())
                    .unwrap_or(0);
                let mut body = buf[head_end + 4..].to_vec();
                while body.len() < length {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    body.extend_from_slice(&chunk[..n]);
                }
                let received = Received {
                    method,
                    path,
                    headers,
                    body,
                };
                let answer = handler(&received);
                log.lock().unwrap().push(received);
                tokio::time::sleep(answer.delay).await;
                let _ = socket.write_all(answer.head.as_bytes()).await;
                let _ = socket.write_all(b"\r\n").await;
                let _ = socket.write_all(&answer.body).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (base, log)
}

fn config(allow_private: bool) -> Config {
    Config {
        url: "https://woolly.example".into(),
        allow_private_addresses: allow_private,
        ..Config::default()
    }
}

fn local_client() -> FedClient {
    FedClient::new(&config(true)).unwrap()
}

fn key() -> SigningKey {
    SigningKey::from_pem(
        "https://woolly.example/users/alice#main-key",
        &test_pair().0,
    )
    .unwrap()
}

const NOTE: &str = r#"{"id":"https://remote.example/notes/1","type":"Note"}"#;

#[tokio::test]
async fn signed_get_of_an_activity() {
    let (base, log) = serve(|_| {
        reply(
            "200 OK",
            &[("content-type", "application/activity+json; charset=utf-8")],
            NOTE.as_bytes(),
        )
    })
    .await;
    let doc = local_client()
        .get_activity(&format!("{base}/notes/1?x=1"), &key())
        .await
        .unwrap();
    assert_eq!(doc.json["type"], "Note");
    assert_eq!(doc.url.as_str(), format!("{base}/notes/1?x=1"));

    let received = log.lock().unwrap()[0].clone();
    assert_eq!(received.method, "GET");
    assert_eq!(received.headers.get("accept").unwrap(), ACTIVITY_ACCEPT);
    assert_eq!(
        received.headers.get("user-agent").unwrap(),
        &format!(
            "Woolly/{} (+https://woolly.example)",
            env!("CARGO_PKG_VERSION")
        )
    );
    // The receiving side verifies the signature.
    let public = PublicKey::from_pem(&test_pair().1).unwrap();
    let req = IncomingRequest {
        method: &received.method,
        path_and_query: &received.path,
        scheme: "http",
        host: base.trim_start_matches("http://"),
        headers: &received.headers,
        body: &received.body,
    };
    let verified = verify_request(&req, &public, SystemTime::now()).unwrap();
    assert_eq!(
        verified.key_id,
        "https://woolly.example/users/alice#main-key"
    );
    assert_eq!(verified.scheme, SignatureScheme::Cavage);
}

#[tokio::test]
async fn activity_content_type_and_status_are_checked() {
    let (base, _) = serve(|r| match r.path.as_str() {
        "/html" => reply("200 OK", &[("content-type", "text/html")], b"<p>hi</p>"),
        "/json" => reply(
            "200 OK",
            &[("content-type", "application/json")],
            NOTE.as_bytes(),
        ),
        "/ld" => reply(
            "200 OK",
            &[(
                "content-type",
                "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
            )],
            NOTE.as_bytes(),
        ),
        "/bad" => reply(
            "200 OK",
            &[("content-type", "application/activity+json")],
            b"{not json",
        ),
        "/deep" => reply(
            "200 OK",
            &[("content-type", "application/activity+json")],
            "[".repeat(10_000).as_bytes(),
        ),
        _ => reply("404 Not Found", &[], b""),
    })
    .await;
    let client = local_client();
    let get = |path: &'static str| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move { client.get_activity(&url, &key()).await }
    };
    assert!(matches!(get("/html").await, Err(FetchError::ContentType(t)) if t == "text/html"));
    assert!(matches!(
        get("/json").await,
        Err(FetchError::ContentType(_))
    ));
    assert!(get("/ld").await.is_ok());
    assert!(matches!(get("/bad").await, Err(FetchError::Json(_))));
    assert!(matches!(get("/deep").await, Err(FetchError::Json(_))));
    assert!(
        matches!(get("/missing").await, Err(FetchError::Status(s)) if s == StatusCode::NOT_FOUND)
    );
}

#[tokio::test]
async fn redirects_are_followed_and_rechecked() {
    let (base, log) = serve(|r| {
        let path = r.path.as_str();
        if let Some(n) = path.strip_prefix("/hop/") {
            let n: usize = n.parse().unwrap();
            let next = if n == 0 {
                "/doc".to_owned()
            } else {
                format!("/hop/{}", n - 1)
            };
            reply("302 Found", &[("location", &next)], b"")
        } else if path == "/to-file" {
            reply(
                "301 Moved Permanently",
                &[("location", "file:///etc/passwd")],
                b"",
            )
        } else if path == "/no-location" {
            reply("302 Found", &[], b"")
        } else {
            reply(
                "200 OK",
                &[("content-type", "application/activity+json")],
                NOTE.as_bytes(),
            )
        }
    })
    .await;
    let client = local_client();
    // Five redirects are followed; the final URL is reported.
    let doc = client
        .get_activity(&format!("{base}/hop/4"), &key())
        .await
        .unwrap();
    assert_eq!(doc.url.as_str(), format!("{base}/doc"));
    // Every hop is signed anew for its own target.
    for received in log.lock().unwrap().iter() {
        let sig = received.headers.get("signature").unwrap().to_str().unwrap();
        assert!(sig.contains("keyId=\"https://woolly.example/users/alice#main-key\""));
        let req = IncomingRequest {
            method: &received.method,
            path_and_query: &received.path,
            scheme: "http",
            host: base.trim_start_matches("http://"),
            headers: &received.headers,
            body: &received.body,
        };
        let public = PublicKey::from_pem(&test_pair().1).unwrap();
        assert!(verify_request(&req, &public, SystemTime::now()).is_ok());
    }
    // A sixth is not.
    assert!(matches!(
        client.get_activity(&format!("{base}/hop/5"), &key()).await,
        Err(FetchError::Redirects)
    ));
    // Each hop's URL is checked like the first.
    assert!(matches!(
        client.get(&format!("{base}/to-file"), "*/*", None).await,
        Err(FetchError::SchemeNotAllowed(s)) if s == "file"
    ));
    assert!(matches!(
        client
            .get(&format!("{base}/no-location"), "*/*", None)
            .await,
        Err(FetchError::Redirects)
    ));
}

#[tokio::test]
async fn bodies_are_capped() {
    let (base, _) = serve(|r| {
        let big = vec![b'a'; MAX_BODY_BYTES + 1];
        match r.path.as_str() {
            // Announced too large: refused without reading.
            "/announced" => reply(
                "200 OK",
                &[("content-length", &big.len().to_string())],
                &big,
            ),
            // Not announced (read until close): abandoned while streaming.
            "/streamed" => reply("200 OK", &[], &big),
            _ => reply("200 OK", &[], &big[..MAX_BODY_BYTES]),
        }
    })
    .await;
    let client = local_client();
    for path in ["/announced", "/streamed"] {
        assert!(matches!(
            client.get(&format!("{base}{path}"), "*/*", None).await,
            Err(FetchError::TooLarge)
        ));
    }
    let exact = client
        .get(&format!("{base}/exact"), "*/*", None)
        .await
        .unwrap();
    assert_eq!(exact.body.len(), MAX_BODY_BYTES);
}

#[tokio::test]
async fn slow_servers_time_out() {
    let (base, _) = serve(|_| Reply {
        delay: Duration::from_secs(5),
        ..reply("200 OK", &[], b"late")
    })
    .await;
    let client = local_client().with_timeout(Duration::from_millis(200));
    let started = std::time::Instant::now();
    assert!(matches!(
        client.get(&format!("{base}/"), "*/*", None).await,
        Err(FetchError::Timeout)
    ));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn deliveries_are_signed_and_classified() {
    let (base, log) = serve(|r| match r.path.as_str() {
        "/inbox" => reply("202 Accepted", &[], b""),
        "/busy" => reply("429 Too Many Requests", &[("retry-after", "120")], b""),
        "/gone" => reply("410 Gone", &[], b""),
        "/down" => reply(
            "503 Service Unavailable",
            &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")],
            b"",
        ),
        "/moved" => reply("308 Permanent Redirect", &[("location", "/inbox")], b""),
        _ => reply("401 Unauthorized", &[], b""),
    })
    .await;
    let client = local_client();
    let body = Bytes::from_static(br#"{"type":"Create"}"#);
    let post = |path: &'static str| {
        let client = client.clone();
        let body = body.clone();
        let url = format!("{base}{path}");
        async move { client.post_activity(&url, body, &key()).await.unwrap() }
    };

    let ok = post("/inbox").await;
    assert_eq!(ok.status, StatusCode::ACCEPTED);
    assert_eq!(ok.verdict(), DeliveryVerdict::Delivered);
    let received = log.lock().unwrap()[0].clone();
    assert_eq!(received.method, "POST");
    assert_eq!(received.body, body.as_ref());
    assert_eq!(
        received.headers.get("content-type").unwrap(),
        ACTIVITY_CONTENT_TYPE
    );
    let sig = received.headers.get("signature").unwrap().to_str().unwrap();
    assert!(sig.contains("headers=\"(request-target) host date digest content-type\""));
    let public = PublicKey::from_pem(&test_pair().1).unwrap();
    let req = IncomingRequest {
        method: &received.method,
        path_and_query: &received.path,
        scheme: "http",
        host: base.trim_start_matches("http://"),
        headers: &received.headers,
        body: &received.body,
    };
    assert!(verify_request(&req, &public, SystemTime::now()).is_ok());

    let busy = post("/busy").await;
    assert_eq!(busy.verdict(), DeliveryVerdict::Retry);
    assert_eq!(busy.retry_after, Some(Duration::from_secs(120)));
    let down = post("/down").await;
    assert_eq!(down.verdict(), DeliveryVerdict::Retry);
    assert_eq!(down.retry_after, Some(Duration::ZERO));
    assert_eq!(post("/gone").await.verdict(), DeliveryVerdict::Rejected);
    assert_eq!(post("/other").await.verdict(), DeliveryVerdict::Retry);
    // A 308 keeps the method and the body, re-signed for the new target.
    assert_eq!(post("/moved").await.verdict(), DeliveryVerdict::Delivered);
    let last = log.lock().unwrap().last().unwrap().clone();
    assert_eq!(
        (last.method.as_str(), last.path.as_str()),
        ("POST", "/inbox")
    );
    assert_eq!(last.body, body.as_ref());
}

#[tokio::test]
async fn private_addresses_are_refused_by_default() {
    let (base, log) = serve(|_| reply("200 OK", &[], b"secret")).await;
    let port = base.rsplit(':').next().unwrap().to_owned();
    let client = FedClient::new(&config(false)).unwrap();
    // Plain http is refused outright.
    assert!(matches!(
        client.get(&base, "*/*", None).await,
        Err(FetchError::SchemeNotAllowed(s)) if s == "http"
    ));
    // IP literals in every encoding, checked before connecting.
    for url in [
        format!("https://127.0.0.1:{port}/"),
        format!("https://2130706433:{port}/"),
        format!("https://0x7f.1:{port}/"),
        format!("https://0177.0.0.1:{port}/"),
        format!("https://127.1:{port}/"),
        format!("https://[::1]:{port}/"),
        format!("https://[::ffff:127.0.0.1]:{port}/"),
        format!("https://[::]:{port}/"),
        "https://0.0.0.0/".to_owned(),
        "https://169.254.169.254/latest/meta-data/".to_owned(),
        "https://[fd00::1]/".to_owned(),
        "https://[64:ff9b::7f00:1]/".to_owned(),
    ] {
        assert!(
            matches!(
                client.get(&url, "*/*", None).await,
                Err(FetchError::BlockedAddress(_))
            ),
            "{url}"
        );
    }
    // Names are checked on what they resolve to.
    assert!(matches!(
        client.get(&format!("https://localhost:{port}/"), "*/*", None).await,
        Err(FetchError::BlockedAddress(host)) if host == "localhost"
    ));
    // Other schemes and malformed URLs.
    for url in [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://x/",
        "data:text/plain,hi",
    ] {
        assert!(
            matches!(client.check_url(url), Err(FetchError::SchemeNotAllowed(_))),
            "{url}"
        );
    }
    assert!(matches!(
        client.check_url("not a url"),
        Err(FetchError::InvalidUrl(_))
    ));
    assert!(matches!(
        client.check_url("https://user:pw@example.com/"),
        Err(FetchError::InvalidUrl(_))
    ));
    assert!(client.check_url("https://example.com/users/a").is_ok());
    assert!(client.check_url("https://93.184.215.14/").is_ok());
    assert!(log.lock().unwrap().is_empty(), "nothing reached the server");
}

#[tokio::test]
async fn resolver_filters_answers() {
    let strict = FilteringResolver {
        allow_private: false,
    };
    let open = FilteringResolver {
        allow_private: true,
    };
    let err = strict
        .resolve("localhost".parse().unwrap())
        .await
        .err()
        .unwrap();
    assert!(err.downcast_ref::<Blocked>().is_some());
    let addrs: Vec<SocketAddr> = open
        .resolve("localhost".parse().unwrap())
        .await
        .unwrap()
        .collect();
    assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
}

#[test]
fn content_types_and_retry_after() {
    assert!(is_activity_content_type("application/activity+json"));
    assert!(is_activity_content_type(
        "Application/Activity+JSON; charset=utf-8"
    ));
    assert!(is_activity_content_type(
        "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
    ));
    assert!(is_activity_content_type(
        "application/ld+json;profile=\"https://example.com/x https://www.w3.org/ns/activitystreams\""
    ));
    assert!(!is_activity_content_type("application/ld+json"));
    assert!(!is_activity_content_type("application/json"));
    assert!(!is_activity_content_type("text/plain"));
    assert!(!is_activity_content_type(""));
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_400);
    assert_eq!(parse_retry_after("30", now), Some(Duration::from_secs(30)));
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
        Some(Duration::from_secs(80))
    );
    assert_eq!(parse_retry_after("soon", now), None);
}
