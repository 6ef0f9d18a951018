//! Backlog drain: what two hours of federation leave to do when a stopped server comes back,
//! drained while local users read their home timelines.
//!
//! The backlog (sizes from `--backlog-inbound` and `--backlog-posts`):
//! - inbound: the activities other servers could not deliver while the server was down.
//!   They hold them and retry; here every sending host redelivers its share as soon as the
//!   server is back, as fast as it accepts them (the worst case: real senders spread their
//!   retries over their backoff schedule);
//! - outbound: posts by a local account that were queued but not yet delivered — their
//!   outbox activities and `ExpandDelivery` jobs, written to the database while the server
//!   is stopped — each to the 100 shared inboxes of the account's 1,000 remote followers.
//!
//! Before stopping, the home timeline is read for `--duration` seconds at `--home-rate`
//! requests/s (open loop) as a baseline. Then: stop, write the outbound backlog, sign the
//! inbound one, start, and from the moment the server listens run the same home-timeline
//! load, the redelivery, and the database poll until every redelivered activity is
//! processed, no job is left and every delivery has been attempted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio_util::sync::CancellationToken;
use woolly::db::Db;
use woolly::federation::outbox::{Recipients, enqueue_resolved};

use super::activity::{create_note, signed_creates};
use super::{Bench, Drained, World, latencies, secs, watch};
use crate::load::{self, Outcome, Plan};
use crate::server::Server;
use crate::{Args, BASE_URL, Scenario, errors, group, pct};

/// The backlog row's results.
pub struct BacklogRow {
    pub inbound: usize,
    pub posts: usize,
    pub inboxes_per_post: usize,
    /// Home timeline before the stop.
    pub baseline: Outcome,
    /// Home timeline during the drain.
    pub during: Outcome,
    /// The redelivery of the inbound backlog.
    pub redelivery: Outcome,
    pub drained: Drained,
}

/// Runs the backlog row on the running `server`; returns the row and the restarted server.
pub async fn run(
    b: &Bench<'_>,
    world: &World,
    db: &Db,
    server: Server,
) -> anyhow::Result<(BacklogRow, Server)> {
    let args = b.args;
    let home = Plan {
        connections: args.home_connections,
        rate: Some(args.home_rate),
    };
    let data = Arc::new(b.data.clone());
    let stop = CancellationToken::new();
    let timer = {
        let stop = stop.clone();
        let secs = args.duration;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            stop.cancel();
        })
    };
    let baseline = load::drive(&server, home_requests(&data), home, stop).await;
    timer.await?;
    server.stop().await?;

    // The outbound backlog, written while the server is down.
    let sender = b.data.account_ids[world.shared_sender];
    let user = format!("user{}", world.shared_sender + 1);
    let author = format!("{BASE_URL}/users/{user}");
    let profile = format!("{BASE_URL}/@{user}");
    let mut rng = SmallRng::seed_from_u64(args.rng_seed);
    for chunk in (0..args.backlog_posts).collect::<Vec<_>>().chunks(100) {
        let mut tx = db.begin().await?;
        for _ in chunk {
            let object_id = format!("{author}/statuses/{}", woolly::id::next_id());
            let activity = create_note(&author, &profile, &object_id, None, &mut rng);
            enqueue_resolved(tx.conn(), sender, &activity, &Recipients::followers()).await?;
        }
        tx.commit().await?;
    }
    // The inbound backlog, signed now so that its dates are those of the redelivery.
    let actors = world.actors.clone();
    let (count, first) = (args.backlog_inbound, woolly::id::next_id());
    let reqs = tokio::task::spawn_blocking(move || signed_creates(&actors, count, first)).await?;

    let since = woolly::time::now_ms();
    let server = b.start_server("server-backlog.log").await?;
    let start = Instant::now();
    let cpu0 = server.cpu_time();
    let stop = CancellationToken::new();
    let inbound = Plan {
        connections: args.inbox_connections,
        rate: None,
    };
    let (during, (redelivery, drained)) = tokio::join!(
        load::drive(&server, home_requests(&data), home, stop.clone()),
        async {
            let both = tokio::join!(
                load::drive(&server, load::list(reqs), inbound, CancellationToken::new()),
                watch(&server, db, since, count as i64, start, cpu0),
            );
            stop.cancel();
            both
        }
    );
    Ok((
        BacklogRow {
            inbound: count,
            posts: args.backlog_posts,
            inboxes_per_post: world.targets().count(),
            baseline,
            during,
            redelivery,
            drained: drained?,
        },
        server,
    ))
}

fn home_requests(data: &Arc<crate::dataset::Dataset>) -> load::Source {
    load::endless(crate::generator(Scenario::Home, data.clone()))
}

/// Prints the backlog results.
pub fn print(r: &BacklogRow, args: &Args) {
    let d = &r.drained;
    println!();
    println!(
        "Backlog drain after a restart: {} inbound activities (signed `Create(Note)`, \
         redelivered by the 50 sending hosts over {} connections as fast as accepted) and {} \
         queued posts × {} shared inboxes = {} deliveries (queued before the start, not yet \
         expanded). Home timeline read at {}/s over {} connections (open loop; latency from \
         when each request was due) before the stop and during the drain.",
        group(r.inbound as u64),
        args.inbox_connections,
        group(r.posts as u64),
        r.inboxes_per_post,
        group((r.posts * r.inboxes_per_post) as u64),
        args.home_rate,
        args.home_connections,
    );
    println!();
    println!("| | value |");
    println!("|---|---|");
    println!(
        "| drained (all processed, no job left, every delivery attempted) | {} after the server listened{} |",
        secs(d.deliveries_done),
        if d.deliveries_done.is_none() {
            format!(
                " (incomplete: {} of {} processed when the benchmark gave up)",
                d.processed, r.inbound
            )
        } else {
            String::new()
        }
    );
    println!(
        "| inbound accepted | {} in {} ({:.0}/s), errors {}, accept p50 / p99 / max {} ms |",
        group(r.redelivery.stats.responses),
        secs(Some(r.redelivery.window)),
        r.redelivery.rate(),
        errors(&r.redelivery.stats),
        latencies(&r.redelivery.stats),
    );
    println!(
        "| inbound processed | all after {}; no job left after {} |",
        secs(d.all_processed),
        secs(d.jobs_done)
    );
    println!(
        "| server CPU during the drain | {} ({} of one core on average) |",
        secs(d.server_cpu),
        pct(d
            .server_cpu
            .zip(d.deliveries_done)
            .map(|(c, t)| c.as_secs_f64() / t.as_secs_f64())),
    );
    for (name, o) in [
        ("home timeline before (baseline)", &r.baseline),
        ("home timeline during the drain", &r.during),
    ] {
        println!(
            "| {name} | p50 / p99 / max {} ms, {:.0} req/s, errors {} |",
            latencies(&o.stats),
            o.rate(),
            errors(&o.stats),
        );
    }
    for (name, o) in [("redelivery", &r.redelivery), ("home timeline", &r.during)] {
        if let Some(e) = &o.stats.first_error {
            println!("- {name}: first error: {}", crate::one_line(e));
        }
    }
}
