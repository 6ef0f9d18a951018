//! The load generator: N keep-alive HTTP/1.1 connections, each sending its next request as
//! soon as the previous response has been read in full (a closed loop, like `wrk`). Every
//! request's latency — from sending the request to the last byte of the body — is kept, so
//! percentiles are exact. [`drive`] also runs open loops (requests due at a fixed rate,
//! latency counted from when each was due, as `wrk2` does) and finite lists of requests.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use hyper_util::rt::TokioIo;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio_util::sync::CancellationToken;

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
    /// Body (JSON unless `headers` name another content type).
    pub body: Option<Bytes>,
    /// Further headers; a `Host`, `Accept` or `Content-Type` here replaces the default.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Req {
    /// A client-API request as the user of `token`, with a JSON body if given.
    pub fn api(
        method: Method,
        path: impl Into<String>,
        token: Arc<str>,
        body: Option<&serde_json::Value>,
    ) -> Req {
        Req {
            method,
            path: path.into(),
            token: Some(token),
            body: body.map(|b| Bytes::from(b.to_string())),
            headers: Vec::new(),
        }
    }

    /// A GET of `path`, with a bearer token if given.
    pub fn get(path: impl Into<String>, token: Option<Arc<str>>) -> Req {
        Req {
            method: Method::GET,
            path: path.into(),
            token,
            body: None,
            headers: Vec::new(),
        }
    }
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
        let given = |name: &HeaderName| req.headers.iter().any(|(n, _)| n == name);
        let mut builder = hyper::Request::builder()
            .method(req.method.clone())
            .uri(req.path.as_str());
        if !given(&HOST) {
            builder = builder.header(HOST, self.host.as_str());
        }
        if !given(&ACCEPT) {
            builder = builder.header(ACCEPT, "application/json");
        }
        if let Some(token) = &req.token {
            builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if req.body.is_some() && !given(&CONTENT_TYPE) {
            builder = builder.header(CONTENT_TYPE, "application/json");
        }
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
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

    /// The connection in `slot` if there is one, else a new one to `addr`.
    pub async fn reuse(
        slot: &mut Option<Connection>,
        addr: SocketAddr,
    ) -> anyhow::Result<Connection> {
        match slot.take() {
            Some(c) => Ok(c),
            None => Connection::open(addr).await,
        }
    }

    /// Whether the server closed the connection.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// Samples the server's RSS (its peak) and the CPU time of server and load generator over
/// a window.
struct Sampler {
    peak_rss: Option<u64>,
    /// CPU times of server and benchmark when the window opened.
    opened: Option<(Option<Duration>, Option<Duration>, Instant)>,
}

impl Sampler {
    fn new(server: &Server) -> Sampler {
        Sampler {
            peak_rss: server.rss(),
            opened: None,
        }
    }

    /// Starts the CPU window (once).
    fn open(&mut self, server: &Server) {
        if self.opened.is_none() {
            self.opened = Some((server.cpu_time(), own_cpu_time(), Instant::now()));
        }
    }

    fn sample(&mut self, server: &Server) {
        if let Some(r) = server.rss() {
            self.peak_rss = Some(self.peak_rss.unwrap_or(0).max(r));
        }
    }

    /// CPU time of server and load generator since [`Sampler::open`], as shares of one core.
    fn cpu_shares(&self, server: &Server) -> (Option<f64>, Option<f64>) {
        match self.opened {
            Some((s0, c0, t0)) => {
                let wall = t0.elapsed().as_secs_f64();
                let share = |a: Option<Duration>, b: Option<Duration>| {
                    Some((b?.saturating_sub(a?)).as_secs_f64() / wall)
                };
                (share(s0, server.cpu_time()), share(c0, own_cpu_time()))
            }
            None => (None, None),
        }
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

    let mut sampler = Sampler::new(server);
    loop {
        let now = Instant::now();
        if now >= measure_from {
            sampler.open(server);
        }
        sampler.sample(server);
        if now >= end {
            break;
        }
        let next = (now + Duration::from_millis(100)).min(if sampler.opened.is_none() {
            measure_from
        } else {
            end
        });
        tokio::time::sleep_until(next.into()).await;
    }
    let (server_cpu, client_cpu) = sampler.cpu_shares(server);
    let stats = collect(workers).await;
    Outcome {
        stats,
        window: duration,
        peak_rss: sampler.peak_rss,
        server_cpu,
        client_cpu,
    }
}

/// The merged, sorted statistics of finished workers.
async fn collect(workers: Vec<tokio::task::JoinHandle<Stats>>) -> Stats {
    let mut stats = Stats::default();
    for w in workers {
        match w.await {
            Ok(s) => stats.merge(s),
            Err(e) => stats.transport_error(format!("worker failed: {e}")),
        }
    }
    stats.finish();
    stats
}

/// Where the requests of [`drive`] come from: the `n`th request (counting from 0), or `None`
/// when there are no more.
pub type Source = Arc<dyn Fn(u64, &mut SmallRng) -> Option<Req> + Send + Sync>;

/// A finite list of requests, each sent once, in order.
pub fn list(reqs: Vec<Req>) -> Source {
    Arc::new(move |n: u64, _: &mut SmallRng| reqs.get(n as usize).cloned())
}

/// Endless requests from a generator.
pub fn endless(generator: ReqGen) -> Source {
    Arc::new(move |_: u64, rng: &mut SmallRng| Some(generator(rng)))
}

/// How [`drive`] sends its requests.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Keep-alive connections.
    pub connections: usize,
    /// `None`: closed loop, each connection sends its next request as soon as the previous
    /// answer is in. `Some(r)`: open loop, request `n` is due `n / r` seconds after the start
    /// and its latency counts from then, so a server that falls behind is charged for the
    /// wait (no coordinated omission).
    pub rate: Option<f64>,
}

/// Sends the requests of `source` (all of them, until it returns `None`, or until `stop` is
/// cancelled) over `plan.connections` connections, measuring every response. The window is
/// from the start until the last answer.
pub async fn drive(
    server: &Server,
    source: Source,
    plan: Plan,
    stop: CancellationToken,
) -> Outcome {
    let start = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..plan.connections.max(1))
        .map(|k| {
            tokio::spawn(drive_worker(
                server.addr,
                source.clone(),
                next.clone(),
                start,
                plan.rate,
                stop.clone(),
                k as u64,
            ))
        })
        .collect();
    let mut sampler = Sampler::new(server);
    sampler.open(server);
    while !workers.iter().all(|w| w.is_finished()) {
        sampler.sample(server);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let window = start.elapsed();
    let (server_cpu, client_cpu) = sampler.cpu_shares(server);
    let stats = collect(workers).await;
    Outcome {
        stats,
        window,
        peak_rss: sampler.peak_rss,
        server_cpu,
        client_cpu,
    }
}

async fn drive_worker(
    addr: SocketAddr,
    source: Source,
    next: Arc<AtomicU64>,
    start: Instant,
    rate: Option<f64>,
    stop: CancellationToken,
    seed: u64,
) -> Stats {
    let mut rng = SmallRng::seed_from_u64(0xd21e_0000 + seed);
    let mut stats = Stats::default();
    let mut conn: Option<Connection> = None;
    while !stop.is_cancelled() {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let Some(req) = source(n, &mut rng) else {
            break;
        };
        let due = rate.map(|r| start + Duration::from_secs_f64(n as f64 / r));
        if let Some(due) = due {
            tokio::select! {
                _ = tokio::time::sleep_until(due.into()) => {}
                _ = stop.cancelled() => break,
            }
        }
        let t0 = due.unwrap_or_else(Instant::now);
        let mut c = match Connection::reuse(&mut conn, addr).await {
            Ok(c) => c,
            Err(e) => {
                stats.transport_error(format!("connect: {e}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        match tokio::time::timeout(REQUEST_TIMEOUT, c.send(&req, false)).await {
            Ok(Ok(reply)) => {
                stats.record(&reply, t0.elapsed());
                if !c.is_closed() {
                    conn = Some(c);
                }
            }
            Ok(Err(e)) => stats.transport_error(format!("{} {}: {e:#}", req.method, req.path)),
            Err(_) => stats.transport_error(format!("{} {}: timed out", req.method, req.path)),
        }
    }
    stats
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
        let mut c = match Connection::reuse(&mut conn, addr).await {
            Ok(c) => c,
            Err(e) => {
                if Instant::now() >= measure_from {
                    stats.transport_error(format!("connect: {e}"));
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
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
