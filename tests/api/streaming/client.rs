//! Minimal streaming clients for the tests: a WebSocket and an event-stream reader.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for an event that must come.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long a test waits to be sure an event does not come.
pub const QUIET: Duration = Duration::from_millis(700);

/// An open WebSocket to `/api/v1/streaming`.
pub struct Ws {
    inner: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How the token is passed.
#[derive(Debug, Clone, Copy)]
pub enum TokenIn {
    Header,
    Protocol,
    Query,
}

/// Opens a WebSocket on the server at `base` (`http://…`) with `token`, and `query` (e.g.
/// `stream=user`); the upgrade response's status when it is refused.
pub async fn ws_connect(
    base: &str,
    token: &str,
    how: TokenIn,
    query: &str,
) -> Result<(Ws, Option<String>), StatusCode> {
    let ws_base = base.replacen("http://", "ws://", 1);
    let mut url = format!("{ws_base}/api/v1/streaming?{query}");
    if let TokenIn::Query = how {
        url.push_str(&format!("&access_token={token}"));
    }
    let mut req = url.into_client_request().unwrap();
    match how {
        TokenIn::Header => {
            req.headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        TokenIn::Protocol => {
            req.headers_mut()
                .insert("sec-websocket-protocol", token.parse().unwrap());
        }
        TokenIn::Query => {}
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((inner, resp)) => {
            let proto = resp
                .headers()
                .get("sec-websocket-protocol")
                .map(|v| v.to_str().unwrap().to_owned());
            Ok((Ws { inner }, proto))
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status()),
        Err(e) => panic!("websocket connect failed: {e}"),
    }
}

impl Ws {
    /// Sends a client message.
    pub async fn send(&mut self, v: Value) {
        self.inner
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("send");
    }

    /// Subscribes to `stream` (with extra parameters merged in).
    pub async fn subscribe(&mut self, stream: &str, extra: Value) {
        let mut m = json!({"type": "subscribe", "stream": stream});
        if let (Some(o), Some(e)) = (m.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        self.send(m).await;
    }

    /// The next text frame as JSON within `wait`; `None` on timeout or close.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let m = tokio::time::timeout_at(deadline, self.inner.next())
                .await
                .ok()??;
            match m.ok()? {
                Message::Text(t) => return Some(serde_json::from_str(t.as_str()).unwrap()),
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The next frame, which must come.
    pub async fn next(&mut self) -> Value {
        self.next_within(WAIT).await.expect("a streaming frame")
    }

    /// The next frame must be `event`; returns it with its payload decoded (a JSON string
    /// holding the entity, or a bare id).
    pub async fn expect(&mut self, event: &str) -> (Value, Value) {
        let f = self.next().await;
        assert_eq!(f["event"], event, "unexpected frame {f}");
        let payload = match f["payload"].as_str() {
            Some(s) => serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_owned())),
            None => Value::Null,
        };
        (f, payload)
    }

    /// Nothing arrives for a while.
    pub async fn expect_quiet(&mut self) {
        if let Some(f) = self.next_within(QUIET).await {
            panic!("unexpected frame {f}");
        }
    }

    /// Whether the server closed the connection within `wait`.
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.inner.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

/// An open event stream.
pub struct Sse {
    resp: reqwest::Response,
    buf: String,
}

/// Opens `path` (`/api/v1/streaming/…`) as an event stream with `token`; the refusal's
/// status and body otherwise.
pub async fn sse_connect(
    base: &str,
    path: &str,
    token: Option<&str>,
) -> Result<Sse, (StatusCode, Value)> {
    let mut r = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.expect("request");
    if resp.status() != StatusCode::OK {
        let status = resp.status();
        return Err((status, resp.json().await.unwrap_or(Value::Null)));
    }
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    Ok(Sse {
        resp,
        buf: String::new(),
    })
}

impl Sse {
    /// The next event (`event`, `data`) within `wait`, skipping comments.
    pub async fn next_within(&mut self, wait: Duration) -> Option<(String, String)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf[..end].to_owned();
                self.buf.drain(..end + 2);
                let mut event = None;
                let mut data = None;
                for line in block.lines() {
                    if let Some(e) = line.strip_prefix("event: ") {
                        event = Some(e.to_owned());
                    } else if let Some(d) = line.strip_prefix("data: ") {
                        data = Some(d.to_owned());
                    }
                }
                if let Some(e) = event {
                    return Some((e, data.unwrap_or_default()));
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .ok()?
                .ok()??;
            self.buf.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// The next event must be `event`; returns its data.
    pub async fn expect(&mut self, event: &str) -> String {
        let (e, data) = self.next_within(WAIT).await.expect("an event");
        assert_eq!(e, event, "unexpected event {e}: {data}");
        data
    }

    /// Nothing arrives for a while.
    pub async fn expect_quiet(&mut self) {
        if let Some(e) = self.next_within(QUIET).await {
            panic!("unexpected event {e:?}");
        }
    }
}
