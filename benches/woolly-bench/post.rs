//! `POST /api/v1/statuses` by the account everybody follows: the request's latency, then how
//! long until the new status is in every home feed of its audience (polling the database).

use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::Method;
use woolly::db::Db;
use woolly::db::seed;

use crate::load::{Connection, Req, Stats};
use crate::server::Server;

/// Longest the benchmark waits for one fan-out to complete.
const FAN_OUT_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the database is polled while waiting.
const POLL_EVERY: Duration = Duration::from_millis(5);

/// Results of a series of posts.
#[derive(Debug, Default)]
pub struct PostOutcome {
    /// Request latencies and errors.
    pub stats: Stats,
    /// Time from each response until the status was in all `audience` home feeds.
    pub fan_out: Vec<Duration>,
    /// Posts whose fan-out did not complete within the timeout.
    pub incomplete: usize,
    /// Home feeds each post should reach.
    pub audience: i64,
    /// Highest RSS sampled during the series.
    pub peak_rss: Option<u64>,
    /// `DELETE /api/v1/statuses/:id` of the posts afterwards, so that a database kept for
    /// `--reuse` stays as seeded.
    pub deletes: Stats,
}

impl PostOutcome {
    /// The `q` quantile of fan-out completion time.
    pub fn fan_out_percentile(&self, q: f64) -> Option<Duration> {
        let mut v = self.fan_out.clone();
        v.sort_unstable();
        let n = v.len();
        (n > 0).then(|| v[((q * n as f64).ceil() as usize).clamp(1, n) - 1])
    }
}

/// Posts `count` public statuses, one after another: each post waits for the previous one's
/// fan-out to complete and for `interval` to pass since the previous post was sent.
pub async fn series(
    server: &Server,
    db: &Db,
    author: i64,
    token: Arc<str>,
    count: usize,
    interval: Duration,
) -> anyhow::Result<PostOutcome> {
    let mut out = PostOutcome {
        audience: {
            let mut h = db.read().await?;
            seed::local_audience(h.conn(), author).await?
        },
        peak_rss: server.rss(),
        ..PostOutcome::default()
    };
    let mut conn = Connection::open(server.addr).await?;
    let mut next_at = Instant::now();
    let mut posted = Vec::new();
    for i in 0..count {
        tokio::time::sleep_until(next_at.into()).await;
        next_at = Instant::now() + interval;
        let body = serde_json::json!({
            "status": format!("Benchmark post {i}: measuring how fast a post reaches ten thousand home timelines. #Woolly"),
            "visibility": "public",
        });
        let req = Req::api(Method::POST, "/api/v1/statuses", token.clone(), Some(&body));
        let t0 = Instant::now();
        let reply = match conn.send(&req, true).await {
            Ok(r) => r,
            Err(e) => {
                out.stats.transport_errors += 1;
                out.stats.first_error.get_or_insert(format!("{e:#}"));
                conn = Connection::open(server.addr).await?;
                continue;
            }
        };
        let answered = Instant::now();
        out.stats.responses += 1;
        out.stats.bytes += reply.bytes as u64;
        out.stats
            .latencies_us
            .push((answered - t0).as_micros().min(u32::MAX as u128) as u32);
        if !reply.status.is_success() {
            *out.stats
                .error_statuses
                .entry(reply.status.as_u16())
                .or_default() += 1;
            if out.stats.first_error.is_none() {
                let b = reply.body.unwrap_or_default();
                out.stats.first_error = Some(format!(
                    "HTTP {} {}",
                    reply.status,
                    String::from_utf8_lossy(&b[..b.len().min(200)])
                ));
            }
            continue;
        }
        let id = reply
            .body
            .as_deref()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
            .and_then(|v| v.get("id")?.as_str()?.parse::<i64>().ok());
        let Some(id) = id else {
            out.stats.first_error.get_or_insert_with(|| {
                "POST /api/v1/statuses answered 2xx without a status id".into()
            });
            continue;
        };
        posted.push(id);
        loop {
            let reached = {
                let mut h = db.read().await?;
                seed::home_feed_count(h.conn(), id).await?
            };
            if let Some(r) = server.rss() {
                out.peak_rss = Some(out.peak_rss.unwrap_or(0).max(r));
            }
            if reached >= out.audience {
                out.fan_out.push(answered.elapsed());
                break;
            }
            if answered.elapsed() > FAN_OUT_TIMEOUT {
                out.incomplete += 1;
                break;
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
    out.stats.latencies_us.sort_unstable();

    for id in posted {
        let req = delete(&id, token.clone());
        let t0 = Instant::now();
        match conn.send(&req, false).await {
            Ok(reply) => {
                out.deletes.responses += 1;
                out.deletes
                    .latencies_us
                    .push(t0.elapsed().as_micros().min(u32::MAX as u128) as u32);
                if !reply.status.is_success() {
                    *out.deletes
                        .error_statuses
                        .entry(reply.status.as_u16())
                        .or_default() += 1;
                }
            }
            Err(e) => {
                out.deletes.transport_errors += 1;
                out.deletes.first_error.get_or_insert(format!("{e:#}"));
                conn = Connection::open(server.addr).await?;
            }
        }
    }
    out.deletes.latencies_us.sort_unstable();
    Ok(out)
}

/// `DELETE /api/v1/statuses/:id` as the user of `token`.
pub fn delete(id: &impl std::fmt::Display, token: Arc<str>) -> Req {
    Req::api(
        Method::DELETE,
        format!("/api/v1/statuses/{id}"),
        token,
        None,
    )
}
