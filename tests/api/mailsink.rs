//! A minimal SMTP server that keeps every message it receives, so tests can read the mails
//! Woolly sends (confirmation links carry secrets that are stored only as digests).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A running SMTP sink on 127.0.0.1.
#[derive(Clone)]
pub struct MailSink {
    /// `smtp://127.0.0.1:PORT`, for `Config::smtp_url`.
    pub url: String,
    messages: Arc<Mutex<Vec<String>>>,
}

impl MailSink {
    /// Starts listening; the server runs on the current runtime until the test ends.
    pub async fn start() -> MailSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, store.clone()));
            }
        });
        MailSink { url, messages }
    }

    /// Forgets the messages received so far.
    pub fn clear(&self) {
        self.messages.lock().unwrap().clear();
    }

    /// The raw messages (headers and body) received so far that were addressed to `to`.
    pub fn messages_to(&self, to: &str) -> Vec<String> {
        self.messages
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(to)))
            .cloned()
            .collect()
    }

    /// Waits (up to 10 s) until `n` messages to `to` have arrived; returns them, oldest first.
    pub async fn wait_for(&self, to: &str, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self.messages_to(to);
            if found.len() >= n {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} e-mails to {to}, got {}",
                found.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The `confirmation_token` of the confirmation link in a message.
pub fn confirmation_token(message: &str) -> String {
    let start = message
        .find("confirmation_token=")
        .unwrap_or_else(|| panic!("a confirmation link in {message}"))
        + "confirmation_token=".len();
    message[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The message with a quoted-printable body decoded (soft line breaks joined, `=XX` bytes
/// restored).
fn decode(message: &str) -> String {
    let Some((headers, body)) = message.split_once("\r\n\r\n") else {
        return message.to_owned();
    };
    if !headers.contains("Content-Transfer-Encoding: quoted-printable") {
        return message.to_owned();
    }
    let body = body.replace("=\r\n", "");
    let bytes = body.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    format!("{headers}\r\n\r\n{}", String::from_utf8_lossy(&out))
}

/// One SMTP conversation: accepts every command, stores each DATA payload.
async fn session(stream: TcpStream, store: Arc<Mutex<Vec<String>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if read.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("EHLO") || command.starts_with("HELO") {
            write.write_all(b"250 sink\r\n").await?;
        } else if command == "DATA" {
            write.write_all(b"354 end with .\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if read.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            store.lock().unwrap().push(decode(&data));
            write.write_all(b"250 queued\r\n").await?;
        } else if command == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"250 ok\r\n").await?;
        }
    }
}
