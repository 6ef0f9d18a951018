//! The federation rows (`--only inbox,delivery,backlog`): the release server federating with
//! fake remote servers run by the benchmark itself (see [`hosts`]).
//!
//! The world: 50 sending hosts (127.0.1.1–50) with 10 actors each, every actor followed by
//! 10 local accounts; 100 receiving hosts (127.0.2.1–100), 95 answering 202 after 20–300 ms,
//! 3 answering HTTP 500 after the same delay and 2 refusing connections, each with 10
//! followers of one local account (through the host's shared inbox) and 10 followers of
//! another (personal inboxes only). The remote accounts and follows are written into the
//! database before the server starts, without keys: the server fetches the actors'
//! documents (and keys) from the fake hosts the first time they sign something, which the
//! warm-up does before anything is measured.
//!
//! - [`inbox`]: signed `Create(Note)` deliveries, accepted (202) and processed.
//! - [`delivery`]: one post to 1,000 remote followers.
//! - [`backlog`]: a queue built up over two hours, drained after a restart while the home
//!   timeline is read.

mod activity;
mod backlog;
mod delivery;
mod hosts;
mod inbox;

use std::path::Path;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use woolly::db::seed::{self, FollowRow, RemoteAccountRow};
use woolly::db::{Db, DbOptions};
use woolly::federation::keys::SigningKey;

use crate::dataset::Dataset;
use crate::server::{self, Server};
use crate::{Args, Scenario, group, ms};
use activity::Actor;
use hosts::{Behaviour, Host, Network};

/// Sending hosts and actors on each.
const SENDER_HOSTS: usize = 50;
const ACTORS_PER_HOST: usize = 10;
/// Local accounts following each actor.
const LOCAL_FOLLOWERS: usize = 10;
/// Receiving hosts: healthy ones first, then those answering 500, then those refusing.
const TARGET_HOSTS: usize = 100;
const FAILING_500: usize = 3;
const REFUSING: usize = 2;
/// Followers of each delivery sender on each receiving host.
const FOLLOWERS_PER_HOST: usize = 10;
/// The receiving hosts' answer delay, in milliseconds.
const DELAY_MS: (u64, u64) = (20, 300);
/// How long the benchmark waits for queues to drain before reporting them incomplete.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(900);

/// What the federation rows need from the benchmark.
pub struct Bench<'a> {
    pub args: &'a Args,
    pub server_bin: &'a Path,
    pub workdir: &'a Path,
    pub db_url: &'a str,
    pub data: &'a Dataset,
}

impl Bench<'_> {
    /// Starts the server allowed to reach the fake hosts on loopback over plain HTTP.
    async fn start_server(&self, log_name: &str) -> anyhow::Result<Server> {
        Server::start(
            self.server_bin,
            self.db_url,
            crate::BASE_URL,
            server::free_port()?,
            self.workdir,
            &[("WOOLLY_ALLOW_PRIVATE_ADDRESSES", "true")],
            log_name,
        )
        .await
    }
}

/// The fake servers and who is who.
struct World {
    net: Network,
    actors: std::sync::Arc<Vec<Actor>>,
    /// Dataset indexes of the local accounts whose remote followers use shared inboxes and
    /// personal inboxes.
    shared_sender: usize,
    personal_sender: usize,
}

impl World {
    fn healthy_hosts(&self) -> usize {
        self.targets().filter(|h| h.behaviour.healthy()).count()
    }

    fn targets(&self) -> impl Iterator<Item = &Host> {
        self.net.hosts.iter().skip(SENDER_HOSTS)
    }
}

/// Runs the federation rows chosen with `--only` and prints their results.
pub async fn run(b: &Bench<'_>) -> anyhow::Result<()> {
    let only = |s| b.args.only.contains(&s);
    anyhow::ensure!(
        b.data.account_ids.len() >= 3,
        "the federation rows need at least 3 local accounts"
    );
    eprintln!("  federation: starting the fake remote servers…");
    let world = build_world(b).await?;
    let db = Db::connect(
        b.db_url,
        &DbOptions {
            max_connections: 2,
            ..DbOptions::default()
        },
    )
    .await?;
    seed_world(&db, b.data, &world, b.args.rng_seed).await?;

    let mut server = b.start_server("server-federation.log").await?;
    let mut inbox_rows = Vec::new();
    let mut delivery_rows = Vec::new();
    if only(Scenario::Inbox) || only(Scenario::Backlog) {
        eprintln!("  federation: warm-up (key fetches)…");
        let fetches = world
            .net
            .log
            .actor_fetches
            .load(std::sync::atomic::Ordering::Relaxed);
        let mut warm = inbox::measure(
            &server,
            &db,
            &world.actors,
            world.actors.len(),
            crate::load::Plan {
                connections: b.args.inbox_connections,
                rate: None,
            },
            "warm-up: one post per actor, keys not yet known",
        )
        .await?;
        warm.key_fetches = world
            .net
            .log
            .actor_fetches
            .load(std::sync::atomic::Ordering::Relaxed)
            - fetches;
        inbox_rows.push(warm);
    }
    if only(Scenario::Inbox) {
        let rates = b.args.inbox_rate.iter().map(|r| Some(*r));
        for rate in std::iter::once(None).chain(rates) {
            eprintln!("  federation: inbox, rate {rate:?}…");
            let label = match rate {
                None => format!(
                    "closed loop, {} connections (as fast as accepted)",
                    b.args.inbox_connections
                ),
                Some(r) => format!(
                    "open loop at {}/s, {} connections",
                    group(r as u64),
                    b.args.inbox_connections
                ),
            };
            inbox_rows.push(
                inbox::measure(
                    &server,
                    &db,
                    &world.actors,
                    b.args.inbox_activities,
                    crate::load::Plan {
                        connections: b.args.inbox_connections,
                        rate,
                    },
                    &label,
                )
                .await?,
            );
        }
    }
    if only(Scenario::Delivery) {
        for (sender, shared) in [(world.shared_sender, true), (world.personal_sender, false)] {
            eprintln!("  federation: delivery, shared inboxes {shared}…");
            delivery_rows.push(
                delivery::measure(
                    &server,
                    &db,
                    &world,
                    b.data.tokens[sender].clone(),
                    shared,
                    b.args.delivery_posts,
                )
                .await?,
            );
        }
    }
    let backlog_row = if only(Scenario::Backlog) {
        eprintln!("  federation: backlog…");
        let (row, restarted) = backlog::run(b, &world, &db, server).await?;
        server = restarted;
        Some(row)
    } else {
        None
    };
    let peak = server.peak_rss();
    server.stop().await?;
    world.net.stop();
    // Leave no delivery behind for a later `--reuse` run (the failing hosts' retries).
    let mut tx = db.begin().await?;
    seed::clear_delivery_queue(tx.conn()).await?;
    tx.commit().await?;
    db.close().await;

    println!();
    println!("### Federation");
    println!();
    println!(
        "Remote side: {SENDER_HOSTS} sending hosts × {ACTORS_PER_HOST} actors (each followed by \
         {LOCAL_FOLLOWERS} local accounts); {TARGET_HOSTS} receiving hosts answering after \
         {}–{} ms ({} healthy, {FAILING_500} answering 500, {REFUSING} refusing connections). \
         Server peak RSS (VmHWM) over the federation rows: {}.",
        DELAY_MS.0,
        DELAY_MS.1,
        world.healthy_hosts(),
        crate::mb(peak),
    );
    if !inbox_rows.is_empty() {
        inbox::print(&inbox_rows);
    }
    if !delivery_rows.is_empty() {
        delivery::print(&delivery_rows);
    }
    if let Some(row) = &backlog_row {
        backlog::print(row, b.args);
    }
    Ok(())
}

/// Starts the fake hosts and makes the actors' signing keys.
async fn build_world(b: &Bench<'_>) -> anyhow::Result<World> {
    let senders = vec![
        Behaviour::Answers {
            status: 202,
            min_ms: 0,
            max_ms: 0,
        };
        SENDER_HOSTS
    ];
    let targets: Vec<Behaviour> = (0..TARGET_HOSTS)
        .map(|k| {
            if k >= TARGET_HOSTS - REFUSING {
                Behaviour::Refuses
            } else {
                let status = if k >= TARGET_HOSTS - REFUSING - FAILING_500 {
                    500
                } else {
                    202
                };
                Behaviour::Answers {
                    status,
                    min_ms: DELAY_MS.0,
                    max_ms: DELAY_MS.1,
                }
            }
        })
        .collect();
    let net = Network::start(
        b.args.remote_port,
        vec![(1, senders, true), (2, targets, false)],
    )
    .await?;
    let n = b.data.account_ids.len();
    let mut rng = StdRng::seed_from_u64(b.args.rng_seed ^ 0xfed);
    let mut actors = Vec::new();
    for host in net.hosts.iter().take(SENDER_HOSTS) {
        let (private_pem, _) = host.key.as_ref().expect("sending hosts have keys");
        for j in 0..ACTORS_PER_HOST {
            let username = format!("actor{j}");
            let key =
                SigningKey::from_pem(format!("{}#main-key", host.actor(&username)), private_pem)?;
            let mut followers: Vec<String> = Vec::new();
            while followers.len() < LOCAL_FOLLOWERS.min(n) {
                let name = format!("user{}", rng.random_range(0..n) + 1);
                if !followers.contains(&name) {
                    followers.push(name);
                }
            }
            actors.push(Actor {
                username,
                base: host.base.clone(),
                key,
                followers,
            });
        }
    }
    Ok(World {
        net,
        actors: std::sync::Arc::new(actors),
        // The newest accounts: few local followers, so a post's local fan-out is small.
        shared_sender: n - 1,
        personal_sender: n - 2,
    })
}

/// Writes the remote accounts and follows (idempotent, for `--reuse`), forgets the
/// sending actors' keys (so the warm-up fetches them) and empties the delivery queue.
async fn seed_world(db: &Db, data: &Dataset, world: &World, rng_seed: u64) -> anyhow::Result<()> {
    let now = woolly::time::now_ms();
    let mut rows = Vec::new();
    let account = |host: &Host, username: String, shared: bool| RemoteAccountRow {
        id: woolly::id::next_id(),
        domain: host.authority.clone(),
        uri: host.actor(&username),
        inbox_url: host.inbox(&username),
        shared_inbox_url: shared.then(|| host.shared_inbox()),
        followers_url: format!("{}/followers", host.actor(&username)),
        username,
        created_at: now,
    };
    for host in world.net.hosts.iter().take(SENDER_HOSTS) {
        for j in 0..ACTORS_PER_HOST {
            rows.push(account(host, format!("actor{j}"), true));
        }
    }
    for host in world.targets() {
        for j in 0..FOLLOWERS_PER_HOST {
            rows.push(account(host, format!("f{j}"), true));
            rows.push(account(host, format!("p{j}"), false));
        }
    }
    let domains: Vec<String> = world
        .net
        .hosts
        .iter()
        .map(|h| h.authority.clone())
        .collect();
    let sender_domains = domains[..SENDER_HOSTS].to_vec();
    let mut tx = db.begin().await?;
    seed::insert_rows(tx.conn(), &rows).await?;
    let ids: std::collections::HashMap<String, i64> = seed::accounts_on(tx.conn(), &domains)
        .await?
        .into_iter()
        .map(|(id, uri)| (uri, id))
        .collect();
    let id_of = |uri: &str| {
        ids.get(uri)
            .copied()
            .ok_or_else(|| anyhow::anyhow!("remote account {uri} missing after seeding"))
    };
    let local_id = |name: &str| -> anyhow::Result<i64> {
        let k: usize = name.trim_start_matches("user").parse()?;
        Ok(data.account_ids[k - 1])
    };
    let mut follows = Vec::new();
    let mut touched = Vec::new();
    let mut rng = StdRng::seed_from_u64(rng_seed ^ 0xf011);
    let mut follow = |follower: i64, target: i64| {
        touched.extend([follower, target]);
        follows.push(FollowRow {
            id: woolly::id::id_at(now - rng.random_range(1..86_400_000)),
            account_id: follower,
            target_account_id: target,
            created_at: now,
        });
    };
    for actor in world.actors.iter() {
        let target = id_of(&actor.uri())?;
        for name in &actor.followers {
            follow(local_id(name)?, target);
        }
    }
    for host in world.targets() {
        for j in 0..FOLLOWERS_PER_HOST {
            follow(
                id_of(&host.actor(&format!("f{j}")))?,
                data.account_ids[world.shared_sender],
            );
            follow(
                id_of(&host.actor(&format!("p{j}")))?,
                data.account_ids[world.personal_sender],
            );
        }
    }
    seed::insert_rows(tx.conn(), &follows).await?;
    touched.sort_unstable();
    touched.dedup();
    seed::recount_follows(tx.conn(), &touched).await?;
    seed::forget_keys(tx.conn(), &sender_domains).await?;
    seed::clear_delivery_queue(tx.conn()).await?;
    tx.commit().await?;
    Ok(())
}

/// When the server's queues emptied, from the start of a run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Drained {
    /// Activities received (stored by an inbox) since the run started.
    pub received: i64,
    /// Those processed by their `Inbox` job.
    pub processed: i64,
    /// When all the expected activities had been processed.
    pub all_processed: Option<Duration>,
    /// When, besides, no job was left (fan-out, notifications, delivery expansion).
    pub jobs_done: Option<Duration>,
    /// When, besides, every queued delivery had been attempted (failed ones wait for their
    /// retry).
    pub deliveries_done: Option<Duration>,
    /// The server's CPU time from the start until `deliveries_done` (or the timeout).
    pub server_cpu: Option<Duration>,
}

/// Polls the database every 100 ms from `start` (when the server's CPU time was `cpu0`)
/// until `expected` activities received since `since` (unix ms) are processed, no job is
/// left and every delivery has been attempted — or [`DRAIN_TIMEOUT`] has passed.
async fn watch(
    server: &Server,
    db: &Db,
    since: i64,
    expected: i64,
    start: Instant,
    cpu0: Option<Duration>,
) -> anyhow::Result<Drained> {
    let mut d = Drained::default();
    loop {
        let (jobs, unsettled) = {
            let mut h = db.read().await?;
            let (received, processed) = seed::inbox_progress(h.conn(), since).await?;
            d.received = received;
            d.processed = processed;
            let jobs = woolly::db::jobs::pending(h.conn()).await?;
            let (_, unsettled) = seed::delivery_progress(h.conn()).await?;
            (jobs, unsettled)
        };
        let elapsed = start.elapsed();
        if d.processed >= expected {
            d.all_processed.get_or_insert(elapsed);
            if jobs == 0 {
                d.jobs_done.get_or_insert(elapsed);
                if unsettled == 0 {
                    d.deliveries_done = Some(elapsed);
                }
            }
        }
        if d.deliveries_done.is_some() || elapsed > DRAIN_TIMEOUT {
            d.server_cpu = cpu_since(server, cpu0);
            return Ok(d);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The server's CPU time since it was `cpu0`.
fn cpu_since(server: &Server, cpu0: Option<Duration>) -> Option<Duration> {
    Some(server.cpu_time()?.saturating_sub(cpu0?))
}

/// `1.23 s`, or `–`.
fn secs(d: Option<Duration>) -> String {
    d.map_or_else(|| "–".into(), |d| format!("{:.2} s", d.as_secs_f64()))
}

/// Milliseconds of a duration divided by `n`.
fn per_item_ms(d: Option<Duration>, n: usize) -> String {
    match d {
        Some(d) if n > 0 => format!("{:.2}", d.as_secs_f64() * 1000.0 / n as f64),
        _ => "–".into(),
    }
}

/// Latency percentiles of a run as `p50 / p99 / max` in ms.
fn latencies(s: &crate::load::Stats) -> String {
    format!(
        "{} / {} / {}",
        ms(s.percentile(0.5)),
        ms(s.percentile(0.99)),
        ms(s.percentile(1.0))
    )
}
