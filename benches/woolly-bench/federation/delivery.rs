//! Delivery: a local account with 1,000 remote followers on the 100 receiving hosts posts
//! through the client API; the fake hosts record when they answered each delivery. Measured
//! per post, from sending the POST: the time until every healthy inbox has answered 202, and
//! the server's CPU time until then and until the queue settled (every delivery attempted;
//! the failed ones rescheduled). The posts are deleted afterwards (their `Delete`s delivered
//! too, unmeasured), so a kept database stays as it was.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::Method;
use woolly::db::Db;
use woolly::db::seed;

use super::{FOLLOWERS_PER_HOST, World, cpu_since, secs};
use crate::load::{Connection, Req};
use crate::server::Server;
use crate::{group, ms};

/// Longest wait for one post's deliveries.
const TIMEOUT: Duration = Duration::from_secs(60);

/// One post's deliveries.
pub struct Post {
    /// Latency of `POST /api/v1/statuses`.
    pub api: Duration,
    /// Healthy inboxes that answered within the timeout.
    pub reached: usize,
    /// From sending the POST until the last healthy inbox answered.
    pub all_healthy: Option<Duration>,
    /// Server CPU time from just before the POST until then.
    pub cpu_healthy: Option<Duration>,
    /// From sending the POST until every delivery had been attempted.
    pub settled: Option<Duration>,
    pub cpu_settled: Option<Duration>,
}

/// The posts of one variant.
pub struct DeliveryRow {
    pub shared: bool,
    pub inboxes: usize,
    pub healthy: usize,
    pub posts: Vec<Post>,
    pub first_error: Option<String>,
}

/// Posts `count` statuses as the account of `token` (followed through shared inboxes when
/// `shared`, personal ones otherwise), one at a time after the queue settled.
pub async fn measure(
    server: &Server,
    db: &Db,
    world: &World,
    token: Arc<str>,
    shared: bool,
    count: usize,
) -> anyhow::Result<DeliveryRow> {
    let per_host = if shared { 1 } else { FOLLOWERS_PER_HOST };
    let mut row = DeliveryRow {
        shared,
        inboxes: world.targets().count() * per_host,
        healthy: world.healthy_hosts() * per_host,
        posts: Vec::new(),
        first_error: None,
    };
    let mut conn = Connection::open(server.addr).await?;
    let mut posted = Vec::new();
    for i in 0..count {
        settle(db, Instant::now()).await?;
        world.net.log.clear();
        let body = serde_json::json!({
            "status": format!("Delivery benchmark post {i}: one post, a thousand remote followers."),
            "visibility": "public",
        });
        let req = Req::api(Method::POST, "/api/v1/statuses", token.clone(), Some(&body));
        let cpu0 = server.cpu_time();
        let t0 = Instant::now();
        let reply = conn.send(&req, true).await?;
        let api = t0.elapsed();
        let json: serde_json::Value =
            serde_json::from_slice(reply.body.as_deref().unwrap_or_default()).unwrap_or_default();
        let (Some(uri), Some(id)) = (json["uri"].as_str(), json["id"].as_str()) else {
            row.first_error.get_or_insert_with(|| {
                format!("POST /api/v1/statuses answered {}: {json}", reply.status)
            });
            continue;
        };
        posted.push(id.to_owned());
        let (mut reached, mut all_healthy, mut cpu_healthy) = (0, None, None);
        while t0.elapsed() < TIMEOUT {
            let arrivals = world.net.log.arrivals_of(uri);
            reached = arrivals.len();
            if reached >= row.healthy {
                cpu_healthy = cpu_since(server, cpu0);
                all_healthy = arrivals.iter().map(|a| a.answered - t0).max();
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let settled = settle(db, t0).await?;
        row.posts.push(Post {
            api,
            reached,
            all_healthy,
            cpu_healthy,
            settled,
            cpu_settled: cpu_since(server, cpu0),
        });
    }
    for id in posted {
        let req = crate::post::delete(&id, token.clone());
        conn.send(&req, false).await?;
    }
    settle(db, Instant::now()).await?;
    Ok(row)
}

/// Waits until no job is left and every queued delivery has been attempted (at most
/// [`TIMEOUT`]); returns the time since `from` when that was seen.
async fn settle(db: &Db, from: Instant) -> anyhow::Result<Option<Duration>> {
    let start = Instant::now();
    while start.elapsed() < TIMEOUT {
        let (jobs, unsettled) = {
            let mut h = db.read().await?;
            let jobs = woolly::db::jobs::pending(h.conn()).await?;
            (jobs, seed::delivery_progress(h.conn()).await?.1)
        };
        if jobs == 0 && unsettled == 0 {
            return Ok(Some(from.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(None)
}

/// Prints the delivery table.
pub fn print(rows: &[DeliveryRow]) {
    println!();
    println!(
        "Delivery: one public post (`POST /api/v1/statuses`) by a local account with 1,000 \
         remote followers, 10 on each receiving host. Times from sending the POST; \"served\" = \
         the last healthy inbox answered 202; \"settled\" = every delivery attempted (failures \
         rescheduled). CPU = the server process's user + system time over the same span."
    );
    println!();
    println!(
        "| followers' inboxes | posts | POST p50 ms | all healthy served (each post) | server CPU-s to served | settled | server CPU-s to settled |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let each =
            |f: &dyn Fn(&Post) -> String| r.posts.iter().map(f).collect::<Vec<_>>().join(", ");
        let mut api: Vec<Duration> = r.posts.iter().map(|p| p.api).collect();
        api.sort_unstable();
        println!(
            "| {} ({} inboxes, {} healthy) | {} | {} | {} | {} | {} | {} |",
            if r.shared { "shared" } else { "personal" },
            group(r.inboxes as u64),
            group(r.healthy as u64),
            r.posts.len(),
            ms(api.get(api.len() / 2).copied()),
            each(&|p| {
                if p.reached >= r.healthy {
                    secs(p.all_healthy)
                } else {
                    format!("{} of {} in 60 s", p.reached, r.healthy)
                }
            }),
            each(&|p| secs(p.cpu_healthy)),
            each(&|p| secs(p.settled)),
            each(&|p| secs(p.cpu_settled)),
        );
    }
    for r in rows {
        if let Some(e) = &r.first_error {
            println!("- first error: {}", crate::one_line(e));
        }
    }
}
