//! Inbox ingestion: the fake hosts' actors deliver signed `Create(Note)` activities to the
//! shared inbox. Each run signs its activities first (on all cores, before anything is
//! measured), then sends them all — closed loop or open loop — while the database is polled
//! for their processing: accepted/s and the accept latency come from the responses (202),
//! processed/s from `inbox_activities.processed_at` and the job queue.

use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;
use woolly::db::Db;

use super::activity::{Actor, signed_creates};
use super::{Drained, latencies, per_item_ms, secs, watch};
use crate::load::{self, Outcome, Plan};
use crate::server::Server;
use crate::{errors, group, mb};

/// One inbox run.
pub struct InboxRow {
    pub label: String,
    pub activities: usize,
    pub outcome: Outcome,
    pub drained: Drained,
    /// Actor documents the fake hosts served during the run.
    pub key_fetches: u64,
}

/// Signs `count` new posts by `actors`, delivers them with `plan` and waits until they are
/// processed.
pub async fn measure(
    server: &Server,
    db: &Db,
    actors: &Arc<Vec<Actor>>,
    count: usize,
    plan: Plan,
    label: &str,
) -> anyhow::Result<InboxRow> {
    let first = woolly::id::next_id();
    let signer = actors.clone();
    let reqs = tokio::task::spawn_blocking(move || signed_creates(&signer, count, first)).await?;
    let since = woolly::time::now_ms();
    let cpu0 = server.cpu_time();
    let start = Instant::now();
    let (outcome, drained) = tokio::join!(
        load::drive(server, load::list(reqs), plan, CancellationToken::new()),
        watch(server, db, since, count as i64, start, cpu0),
    );
    Ok(InboxRow {
        label: label.to_owned(),
        activities: count,
        outcome,
        drained: drained?,
        key_fetches: 0,
    })
}

/// Prints the inbox table.
pub fn print(rows: &[InboxRow]) {
    println!();
    println!(
        "Inbox ingestion: signed `Create(Note)` deliveries to `POST /inbox` from 500 actors \
         (each followed by 10 local accounts, each post mentioning one of them). Accepted = \
         202 answers; processed = the `Inbox` job has stored the status and no job (fan-out, \
         notifications) is left; both rates are over the time from the first request."
    );
    println!();
    println!(
        "| run | activities | accepted/s | accept p50 / p99 / max ms | errors | processed/s | all processed after | server CPU per activity | peak RSS |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let o = &r.outcome;
        let processed = r.drained.jobs_done.map_or_else(
            || format!("incomplete ({} of {})", r.drained.processed, r.activities),
            |t| format!("{:.0}", r.activities as f64 / t.as_secs_f64()),
        );
        println!(
            "| {}{} | {} | {:.0} | {} | {} | {} | {} | {} ms | {} |",
            r.label,
            if r.key_fetches > 0 {
                format!(" ({} actor documents fetched)", r.key_fetches)
            } else {
                String::new()
            },
            group(r.activities as u64),
            o.rate(),
            latencies(&o.stats),
            errors(&o.stats),
            processed,
            secs(r.drained.jobs_done),
            per_item_ms(r.drained.server_cpu, r.activities),
            mb(o.peak_rss),
        );
    }
    for r in rows {
        if let Some(e) = &r.outcome.stats.first_error {
            println!("- {}: first error: {}", r.label, crate::one_line(e));
        }
    }
}
