//! The load generator: N keep-alive HTTP/1.1 connections, each sending its next request as
//! soon as the previous response has been read in full (a closed loop, like `wrk`). Every
//! request's latency — from sending the request to the last byte of the body — is kept, so
//! percentiles are exact.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, StatusCode};
use hyper_util::rt::TokioIo;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use crate::server::{Server, own_cpu_time};

/// Longest a single request may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One request to send.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    /// Path and query.
    pub path: String,
    /// Bearer token.
    pub token: Option<Arc<str>>,
    /// JSON body.
    pub body: Option<Bytes>,
}

/// Makes each connection's next request (random user, random account…).
pub type ReqGen = Arc<dyn Fn(&mut SmallRng) -> Req + Send + Sync>;

/// A response as the load generator sees it.
pub struct Reply {
    pub status: StatusCode,
    pub bytes: usize,
    /// The body, when asked for.
    pub body: Option<Bytes>,
}

/// Counts and latencies of one run.
#[derive(Debug, Default)]
pub struct Stats {
    /// Responses received in the measured window (any status).
    pub responses: u64,
    /// Non-2xx responses, by status.
    pub error_statuses: BTreeMap<u16, u64>,
    /// Connection failures, resets and timeouts.
    pub transport_errors: u64,
    /// Body bytes of all responses.
    pub bytes: u64,
    /// Latency of every response, in microseconds (sorted after [`Stats::finish`]).
    pub latencies_us: Vec<u32>,
    /// The first failure seen, for diagnosis.
    pub first_error: Option<String>,
}

impl Stats {
    fn merge(&mut self, other: Stats) {
        self.responses += other.responses;
        for (k, v) in other.error_statuses {
            *self.error_statuses.entry(k).or_default() += v;
        }
        self.transport_errors += other.transport_errors;
        self.bytes += other.bytes;
        self.latencies_us.extend(other.latencies_us);
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn finish(&mut self) {
        self.latencies_us.sort_unstable();
    }

    /// Failed requests: non-2xx responses plus transport errors.
    pub fn errors(&self) -> u64 {
        self.error_statuses.values().sum::<u64>() + self.transport_errors
    }

    /// The `q` quantile of latency (0 < q ≤ 1).
    pub fn percentile(&self, q: f64) -> Option<Duration> {
        let n = self.latencies_us.len();
        if n == 0 {
            return None;
        }
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        Some(Duration::from_micros(self.latencies_us[rank - 1] as u64))
    }

    /// Mean body size.
    pub fn mean_bytes(&self) -> u64 {
        self.bytes.checked_div(self.responses).unwrap_or(0)
    }

    fn record(&mut self, reply: &Reply, latency: Duration) {
        self.responses += 1;
        self.bytes += reply.bytes as u64;
        self.latencies_us
            .push(latency.as_micros().min(u32::MAX as u128) as u32);
        if !reply.status.is_success() {
            *self
                .error_statuses
                .entry(reply.status.as_u16())
                .or_default() += 1;
            if self.first_error.is_none() {
                let snippet = reply
                    .body
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned())
                    .unwrap_or_default();
                self.first_error = Some(format!("HTTP {} {snippet}", reply.status));
            }
        }
    }

    fn transport_error(&mut self, e: impl std::fmt::Display) {
        self.transport_errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(e.to_string());
        }
    }
}

/// The result of driving one endpoint.
#[derive(Debug)]
pub struct Outcome {
    pub stats: Stats,
    /// Length of the measured window.
    pub window: Duration,
    /// Highest RSS of the server sampled during the run, in bytes.
    pub peak_rss: Option<u64>,
    /// Server CPU time in the measured window, as a share of one core.
    pub server_cpu: Option<f64>,
    /// This process's CPU time in the measured window, as a share of one core.
    pub client_cpu: Option<f64>,
}

impl Outcome {
    /// Responses per second in the measured window.
    pub fn rate(&self) -> f64 {
        self.stats.responses as f64 / self.window.as_secs_f64()
    }
}

/// An open keep-alive connection.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Connection {
    /// Connects to `addr`.
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Connection> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Connection {
            sender,
            host: addr.to_string(),
        })
    }

    /// Sends `req` and reads the whole response; the body is kept when `keep_body` is set or
    /// the status is not 2xx.
    pub async fn send(&mut self, req: &Req, keep_body: bool) -> anyhow::Result<Reply> {
        self.sender.ready().await?;
        let mut builder = hyper::Request::builder()
            .method(req.method.clone())
            .uri(req.path.as_str())
            .header(HOST, self.host.as_str())
            .header(ACCEPT, "application/json");
        if let Some(token) = &req.token {
            builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if req.body.is_some() {
            builder = builder.header(CONTENT_TYPE, "application/json");
        }
        let request = builder.body(Full::new(req.body.clone().unwrap_or_default()))?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let keep = keep_body || !status.is_success();
        let mut body = response.into_body();
        let mut bytes = 0;
        let mut kept = Vec::new();
        while let Some(frame) = body.frame().await {
            if let Some(data) = frame?.data_ref() {
                bytes += data.len();
                if keep {
                    kept.extend_from_slice(data);
                }
            }
        }
        Ok(Reply {
            status,
            bytes,
            body: keep.then(|| Bytes::from(kept)),
        })
    }

    /// Whether the server closed the connection.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// Drives the server with `concurrency` connections: `warmup` unmeasured, then `duration`
/// measured, sampling the server's RSS every 100 ms throughout.
pub async fn run(
    server: &Server,
    generator: ReqGen,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> Outcome {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|k| {
            let generator = generator.clone();
            let addr = server.addr;
            tokio::spawn(worker(addr, generator, k as u64, measure_from, end))
        })
        .collect();

    let mut peak_rss = server.rss();
    let mut cpu_start = None;
    loop {
        let now = Instant::now();
        if cpu_start.is_none() && now >= measure_from {
            cpu_start = Some((server.cpu_time(), own_cpu_time(), now));
        }
        if let Some(r) = server.rss() {
            peak_rss = Some(peak_rss.unwrap_or(0).max(r));
        }
        if now >= end {
            break;
        }
        let next = (now + Duration::from_millis(100)).min(if cpu_start.is_none() {
            measure_from
        } else {
            end
        });
        tokio::time::sleep_until(next.into()).await;
    }
    let (server_cpu, client_cpu) = match cpu_start {
        Some((s0, c0, t0)) => {
            let wall = t0.elapsed().as_secs_f64();
            let share = |a: Option<Duration>, b: Option<Duration>| {
                Some((b?.saturating_sub(a?)).as_secs_f64() / wall)
            };
            (share(s0, server.cpu_time()), share(c0, own_cpu_time()))
        }
        None => (None, None),
    };

    let mut stats = Stats::default();
    for w in workers {
        match w.await {
            Ok(s) => stats.merge(s),
            Err(e) => stats.transport_error(format!("worker failed: {e}")),
        }
    }
    stats.finish();
    Outcome {
        stats,
        window: duration,
        peak_rss,
        server_cpu,
        client_cpu,
    }
}

async fn worker(
    addr: SocketAddr,
    generator: ReqGen,
    seed: u64,
    measure_from: Instant,
    end: Instant,
) -> Stats {
    let mut rng = SmallRng::seed_from_u64(0xbe4c_0000 + seed);
    let mut stats = Stats::default();
    let mut conn: Option<Connection> = None;
    while Instant::now() < end {
        let mut c = match conn.take() {
            Some(c) => c,
            None => match Connection::open(addr).await {
                Ok(c) => c,
                Err(e) => {
                    if Instant::now() >= measure_from {
                        stats.transport_error(format!("connect: {e}"));
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let req = generator(&mut rng);
        let t0 = Instant::now();
        let result = tokio::time::timeout(REQUEST_TIMEOUT, c.send(&req, false)).await;
        let t1 = Instant::now();
        let measured = t0 >= measure_from && t1 <= end;
        match result {
            Ok(Ok(reply)) => {
                if measured {
                    stats.record(&reply, t1 - t0);
                }
                if !c.is_closed() {
                    conn = Some(c);
                }
            }
            Ok(Err(e)) => {
                if measured {
                    stats.transport_error(format!("{} {}: {e:#}", req.method, req.path));
                }
            }
            Err(_) => {
                if measured {
                    stats.transport_error(format!("{} {}: timed out", req.method, req.path));
                }
            }
        }
    }
    stats
}
