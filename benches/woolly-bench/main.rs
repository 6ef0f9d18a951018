//! `cargo bench`: Woolly's load benchmark.
//!
//! For each backend (SQLite, PostgreSQL) it seeds a fresh database — 10,000 accounts that all
//! follow `user1`, a random follow graph, 1,000,000 statuses, materialised home feeds — starts
//! the release `woolly` binary on it as a child process, drives it with many keep-alive
//! connections, and prints requests/s, latency percentiles, response sizes, errors and the
//! server's memory. It measures; it never fails because a number is bad. See BENCHMARKS.md.
//!
//! The federation rows (`--only inbox,delivery,backlog`, not run by default) add fake remote
//! servers on loopback addresses: inbox ingestion, delivery of a post to 1,000 remote
//! followers, and a backlog drained after a restart (see `federation/`).
//!
//! Options: `cargo bench -- --help`.

mod dataset;
mod federation;
mod load;
mod post;
mod server;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, ValueEnum};
use rand::Rng;
use woolly::db::seed;
use woolly::db::{Backend, Db, DbOptions};

use crate::dataset::{Dataset, Spec};
use crate::load::{Connection, Outcome, Req, ReqGen};
use crate::server::Server;

/// The public URL the seeded data and the server use.
const BASE_URL: &str = "https://bench.woolly.example";

/// Load benchmark of a release Woolly server on SQLite and PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "woolly-bench")]
struct Args {
    /// Which database engines to benchmark.
    #[arg(long, value_enum, default_value = "both")]
    backend: BackendArg,
    /// Local accounts to seed (all of them follow user1).
    #[arg(long, default_value_t = 10_000)]
    accounts: usize,
    /// Statuses to seed.
    #[arg(long, default_value_t = 1_000_000)]
    statuses: usize,
    /// Average number of other accounts each account follows (besides user1).
    #[arg(long, default_value_t = 50)]
    follows: usize,
    /// Entries materialised per home feed (Mastodon keeps 400).
    #[arg(long, default_value_t = 400)]
    feed_depth: usize,
    /// Measured seconds per endpoint.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Unmeasured warm-up seconds before each endpoint's measurement.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Threads of the load generator (it shares the machine with the server).
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// Statuses posted by user1 in the POST scenario (one after another).
    #[arg(long, default_value_t = 50)]
    posts: usize,
    /// Milliseconds from one post to the next (a post also waits for the previous fan-out).
    #[arg(long, default_value_t = 1000)]
    post_interval: u64,
    /// PostgreSQL server to create the benchmark database on.
    #[arg(long, env = "WOOLLY_TEST_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Name of the dedicated PostgreSQL database (dropped and re-created).
    #[arg(long, default_value = "woolly_bench")]
    postgres_db: String,
    /// The `woolly` binary to run (default: the one `cargo bench` just built).
    #[arg(long, alias = "release-server")]
    server: Option<PathBuf>,
    /// Working directory for the SQLite database and server logs.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Reuse a database kept by an earlier `--keep` run instead of seeding.
    #[arg(long)]
    reuse: bool,
    /// Keep the seeded databases afterwards (for `--reuse`).
    #[arg(long)]
    keep: bool,
    /// Seed (and report seeding times) without starting the server.
    #[arg(long)]
    seed_only: bool,
    /// Scenarios to run, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "home,public,account,verify,static,post"
    )]
    only: Vec<Scenario>,
    /// Seed of the data generator.
    #[arg(long, default_value_t = 42)]
    rng_seed: u64,
    /// Port of the federation rows' fake remote servers (on 127.0.1.1–50 and 127.0.2.1–100);
    /// fixed so that a kept database's remote accounts stay valid.
    #[arg(long, default_value_t = 18480)]
    remote_port: u16,
    /// Signed activities per measured inbox run.
    #[arg(long, default_value_t = 20_000)]
    inbox_activities: usize,
    /// Connections the remote servers deliver over (inbox and backlog rows).
    #[arg(long, default_value_t = 50)]
    inbox_connections: usize,
    /// Activities per second of the inbox row's open-loop runs (one run per rate,
    /// comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "2000")]
    inbox_rate: Vec<f64>,
    /// Posts measured per delivery variant (shared and personal inboxes).
    #[arg(long, default_value_t = 3)]
    delivery_posts: usize,
    /// Inbound activities in the backlog (default: two hours at 5 activities/s).
    #[arg(long, default_value_t = 36_000)]
    backlog_inbound: usize,
    /// Queued posts in the backlog, each to 100 shared inboxes (default: two hours at one
    /// post a minute).
    #[arg(long, default_value_t = 120)]
    backlog_posts: usize,
    /// Home-timeline requests per second during the backlog row (open loop).
    #[arg(long, default_value_t = 100.0)]
    home_rate: f64,
    /// Connections of the backlog row's home-timeline load.
    #[arg(long, default_value_t = 16)]
    home_connections: usize,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// GET /api/v1/timelines/home?limit=40 as a random user.
    Home,
    /// GET /api/v1/timelines/public?local=true&limit=40 as a random user.
    Public,
    /// GET /api/v1/accounts/:id/statuses of a random account, as a random user.
    Account,
    /// GET /api/v1/accounts/verify_credentials as a random user.
    Verify,
    /// GET /avatars/original/missing.png: the HTTP stack without the database.
    Static,
    /// POST /api/v1/statuses by user1 and its fan-out.
    Post,
    /// Signed Create(Note) deliveries from 500 remote actors to the shared inbox.
    Inbox,
    /// A post delivered to 1,000 remote followers on 100 hosts.
    Delivery,
    /// A two-hour federation backlog drained after a restart, with home-timeline reads.
    Backlog,
}

impl Scenario {
    /// Whether the scenario is one of the federation rows.
    fn federates(self) -> bool {
        matches!(
            self,
            Scenario::Inbox | Scenario::Delivery | Scenario::Backlog
        )
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let server_bin = args
        .server
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_woolly")));
    anyhow::ensure!(
        server_bin.exists(),
        "no server binary at {} (run `cargo build --release` or pass --server)",
        server_bin.display()
    );
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("woolly-bench"));
    let mut backends = Vec::new();
    if matches!(args.backend, BackendArg::Sqlite | BackendArg::Both) {
        backends.push(Backend::Sqlite);
    }
    if matches!(args.backend, BackendArg::Postgres | BackendArg::Both) {
        match &args.postgres_url {
            Some(u) if !u.is_empty() => backends.push(Backend::Postgres),
            _ if args.backend == BackendArg::Postgres => {
                anyhow::bail!("--backend postgres needs --postgres-url or WOOLLY_TEST_POSTGRES_URL")
            }
            _ => println!(
                "NOTE: PostgreSQL skipped (set WOOLLY_TEST_POSTGRES_URL or pass --postgres-url)."
            ),
        }
    }

    println!("# Woolly benchmark");
    println!();
    println!("- machine: {}", machine());
    println!("- server: {}", server_bin.display());
    println!(
        "- data: {} accounts (all follow user1, ~{} more each), {} statuses, home feeds of {} entries",
        group(args.accounts as u64),
        args.follows,
        group(args.statuses as u64),
        args.feed_depth
    );
    println!(
        "- load: {} connections, {} client threads, {} s warm-up + {} s measured per endpoint",
        args.concurrency, args.client_threads, args.warmup, args.duration
    );
    for backend in backends {
        run_backend(&args, backend, &server_bin, &dir)
            .await
            .with_context(|| format!("{backend:?} benchmark"))?;
    }
    Ok(())
}

async fn run_backend(
    args: &Args,
    backend: Backend,
    server_bin: &Path,
    dir: &Path,
) -> anyhow::Result<()> {
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let workdir = dir.join(name);
    std::fs::create_dir_all(&workdir)?;
    let sqlite_path = workdir.join("woolly.sqlite3");
    let (db_url, exists) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}", sqlite_path.display()),
            sqlite_path.exists(),
        ),
        Backend::Postgres => {
            let admin = args.postgres_url.as_deref().unwrap_or_default();
            (
                seed::postgres_url_for(admin, &args.postgres_db)?,
                seed::postgres_database_exists(admin, &args.postgres_db).await?,
            )
        }
    };

    println!();
    println!("## {}", engine_label(backend));
    println!();
    let seed_opts = DbOptions {
        max_connections: 4,
        ..DbOptions::default()
    };
    let dataset = if args.reuse && exists {
        let db = Db::connect(&db_url, &seed_opts).await?;
        db.migrate().await?;
        let d = dataset::load(&db).await?;
        println!("Reusing the database seeded earlier ({db_url}).");
        print_sizes(&db).await?;
        db.close().await;
        d
    } else {
        remove_database(args, backend, &sqlite_path).await?;
        if let Backend::Postgres = backend {
            seed::recreate_postgres_database(
                args.postgres_url.as_deref().unwrap_or_default(),
                &args.postgres_db,
            )
            .await?;
        }
        let db = Db::connect(&db_url, &seed_opts).await?;
        db.migrate().await?;
        let spec = Spec {
            accounts: args.accounts,
            statuses: args.statuses,
            follows: args.follows,
            feed_depth: args.feed_depth,
            base_url: BASE_URL.into(),
            rng_seed: args.rng_seed,
        };
        eprintln!("  seeding {name}…");
        let t = Instant::now();
        let (d, steps) = dataset::seed(&db, &spec).await?;
        let total = t.elapsed();
        println!("Seeding:");
        println!();
        println!("| step | rows | time |");
        println!("|---|---:|---:|");
        for s in &steps {
            println!(
                "| {} | {} | {:.1} s |",
                s.name,
                if s.rows > 0 { group(s.rows) } else { "".into() },
                s.took.as_secs_f64()
            );
        }
        println!("| **total** | | **{:.1} s** |", total.as_secs_f64());
        println!();
        print_sizes(&db).await?;
        db.close().await;
        d
    };

    if !args.seed_only {
        if args.only.iter().any(|s| !s.federates()) {
            measure(args, backend, server_bin, &workdir, &db_url, &dataset).await?;
        }
        if args.only.iter().any(|s| s.federates()) {
            federation::run(&federation::Bench {
                args,
                server_bin,
                workdir: &workdir,
                db_url: &db_url,
                data: &dataset,
            })
            .await?;
        }
    }

    if args.keep {
        println!();
        println!("Database kept for `--reuse`: {db_url}");
    } else {
        remove_database(args, backend, &sqlite_path).await?;
    }
    Ok(())
}

async fn measure(
    args: &Args,
    backend: Backend,
    server_bin: &Path,
    workdir: &Path,
    db_url: &str,
    dataset: &Dataset,
) -> anyhow::Result<()> {
    let poll_db = Db::connect(
        db_url,
        &DbOptions {
            max_connections: 2,
            ..DbOptions::default()
        },
    )
    .await?;
    let port = server::free_port()?;
    let mut server = Server::start(
        server_bin,
        db_url,
        BASE_URL,
        port,
        workdir,
        &[],
        "server.log",
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = server.rss();

    let data = Arc::new(dataset.clone());
    let scenarios: Vec<Scenario> = [
        Scenario::Home,
        Scenario::Public,
        Scenario::Account,
        Scenario::Verify,
        Scenario::Static,
    ]
    .into_iter()
    .filter(|s| args.only.contains(s))
    .collect();

    // One request per endpoint first, to show what a response looks like.
    println!();
    println!("Sample responses (as user2):");
    println!();
    let mut conn = Connection::open(server.addr).await?;
    for s in &scenarios {
        let req = sample_request(*s, &data);
        match conn.send(&req, true).await {
            Ok(reply) => {
                let items = reply
                    .body
                    .as_deref()
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                    .and_then(|v| v.as_array().map(Vec::len));
                println!(
                    "- `{} {}` → {}, {} bytes{}",
                    req.method,
                    req.path,
                    reply.status,
                    group(reply.bytes as u64),
                    items.map(|n| format!(", {n} items")).unwrap_or_default()
                );
            }
            Err(e) => println!("- `{} {}` → failed: {e:#}", req.method, req.path),
        }
        if conn.is_closed() {
            conn = Connection::open(server.addr).await?;
        }
    }
    drop(conn);

    let mut rows: Vec<(String, Outcome)> = Vec::new();
    for s in &scenarios {
        eprintln!("  {}: {:?}…", engine_label(backend), s);
        let outcome = load::run(
            &server,
            generator(*s, data.clone()),
            args.concurrency,
            Duration::from_secs(args.warmup),
            Duration::from_secs(args.duration),
        )
        .await;
        rows.push((label(*s), outcome));
        if !server.is_running() {
            anyhow::bail!("the server died during {s:?}; see {}", server.log.display());
        }
    }
    let posts = if args.only.contains(&Scenario::Post) && args.posts > 0 {
        eprintln!("  {}: Post…", engine_label(backend));
        let (author, token) = data.star();
        Some(
            post::series(
                &server,
                &poll_db,
                author,
                token,
                args.posts,
                Duration::from_millis(args.post_interval),
            )
            .await?,
        )
    } else {
        None
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_after = server.rss();
    let idle_parts = server.rss_parts();
    let hwm = server.peak_rss();

    println!();
    println!(
        "Results ({} connections, {} s each after {} s warm-up; latency from request to last body byte):",
        args.concurrency, args.duration, args.warmup
    );
    println!();
    println!(
        "| endpoint | req/s | p50 ms | p99 ms | max ms | mean bytes | errors | server CPU | client CPU | peak RSS |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, o) in &rows {
        let s = &o.stats;
        println!(
            "| {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} |",
            name,
            o.rate(),
            ms(s.percentile(0.50)),
            ms(s.percentile(0.99)),
            ms(s.percentile(1.0)),
            group(s.mean_bytes()),
            errors(s),
            pct(o.server_cpu),
            pct(o.client_cpu),
            mb(o.peak_rss),
        );
    }
    if let Some(p) = &posts {
        let s = &p.stats;
        println!(
            "| `POST /api/v1/statuses` by user1 (one at a time) | {} posts | {} | {} | {} | {} | {} | | | {} |",
            s.responses,
            ms(s.percentile(0.50)),
            ms(s.percentile(0.99)),
            ms(s.percentile(1.0)),
            group(s.mean_bytes()),
            errors(s),
            mb(p.peak_rss),
        );
    }
    println!();
    for (name, o) in &rows {
        if let Some(e) = &o.stats.first_error {
            println!("- {name}: first error: {}", one_line(e));
        }
    }
    if let Some(p) = &posts {
        if let Some(e) = &p.stats.first_error {
            println!("- POST: first error: {}", one_line(e));
        }
        println!(
            "- Posts by user1 were sent {} ms apart (start to start), each after the previous \
             fan-out had completed.",
            args.post_interval
        );
        if p.deletes.responses > 0 {
            println!(
                "- The posts were then deleted (`DELETE /api/v1/statuses/:id`, each removing its \
                 feed entries): p50 {} ms, max {} ms, errors {}.",
                ms(p.deletes.percentile(0.5)),
                ms(p.deletes.percentile(1.0)),
                errors(&p.deletes)
            );
        }
        if p.fan_out.is_empty() {
            println!("- Fan-out: no post succeeded, nothing to measure.");
        } else {
            println!(
                "- Fan-out of a post by user1 to all {} home feeds (from the POST response until \
                 the status is in every feed): p50 {} ms, p99 {} ms, max {} ms over {} posts{}.",
                group(p.audience as u64),
                ms(p.fan_out_percentile(0.5)),
                ms(p.fan_out_percentile(0.99)),
                ms(p.fan_out_percentile(1.0)),
                p.fan_out.len(),
                if p.incomplete > 0 {
                    format!("; {} did not complete within 30 s", p.incomplete)
                } else {
                    String::new()
                }
            );
        }
    }
    println!(
        "- Server memory (RSS): {} idle after start, {} peak under load (VmHWM {}), {} idle after \
         the load{}.",
        mb(idle_rss),
        mb(rows
            .iter()
            .filter_map(|r| r.1.peak_rss)
            .chain(posts.as_ref().and_then(|p| p.peak_rss))
            .max()),
        mb(hwm),
        mb(idle_after),
        idle_parts
            .map(|(anon, file)| format!(
                " ({} anonymous, {} file-backed)",
                mb(Some(anon)),
                mb(Some(file))
            ))
            .unwrap_or_default(),
    );
    server.stop().await?;
    poll_db.close().await;
    Ok(())
}

/// The request each load connection sends next for scenario `s`.
fn generator(s: Scenario, data: Arc<Dataset>) -> ReqGen {
    Arc::new(move |rng: &mut rand::rngs::SmallRng| {
        let user = rng.random_range(0..data.tokens.len());
        let token = Some(data.tokens[user].clone());
        match s {
            Scenario::Home => Req::get("/api/v1/timelines/home?limit=40", token),
            Scenario::Public => Req::get("/api/v1/timelines/public?local=true&limit=40", token),
            Scenario::Account => {
                let target = data.account_ids[rng.random_range(0..data.account_ids.len())];
                Req::get(format!("/api/v1/accounts/{target}/statuses"), token)
            }
            Scenario::Verify => Req::get("/api/v1/accounts/verify_credentials", token),
            _ => Req::get("/avatars/original/missing.png", None),
        }
    })
}

/// The request of scenario `s` as user2 (a typical account), for the sample responses.
fn sample_request(s: Scenario, data: &Dataset) -> Req {
    let k = 1.min(data.tokens.len() - 1);
    let token = Some(data.tokens[k].clone());
    let path = match s {
        Scenario::Home => "/api/v1/timelines/home?limit=40".into(),
        Scenario::Public => "/api/v1/timelines/public?local=true&limit=40".into(),
        Scenario::Account => format!("/api/v1/accounts/{}/statuses", data.account_ids[0]),
        Scenario::Verify => "/api/v1/accounts/verify_credentials".into(),
        _ => "/avatars/original/missing.png".into(),
    };
    Req::get(path, if s == Scenario::Static { None } else { token })
}

fn label(s: Scenario) -> String {
    match s {
        Scenario::Home => "`GET /api/v1/timelines/home?limit=40`",
        Scenario::Public => "`GET /api/v1/timelines/public?local=true&limit=40`",
        Scenario::Account => "`GET /api/v1/accounts/:id/statuses`",
        Scenario::Verify => "`GET /api/v1/accounts/verify_credentials`",
        Scenario::Static => "`GET /avatars/original/missing.png` (no database)",
        Scenario::Post => "`POST /api/v1/statuses`",
        Scenario::Inbox => "`POST /inbox`",
        Scenario::Delivery => "deliveries",
        Scenario::Backlog => "backlog drain",
    }
    .into()
}

fn engine_label(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

async fn print_sizes(db: &Db) -> anyhow::Result<()> {
    let mut h = db.read().await?;
    let version = seed::engine_version(h.conn()).await?;
    let mut parts = Vec::new();
    for table in seed::COUNTED_TABLES {
        parts.push(format!(
            "{} {}",
            group(seed::count_rows(h.conn(), table).await? as u64),
            table
        ));
    }
    println!("{version}: {}.", parts.join(", "));
    Ok(())
}

async fn remove_database(args: &Args, backend: Backend, sqlite_path: &Path) -> anyhow::Result<()> {
    match backend {
        Backend::Sqlite => {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = sqlite_path.as_os_str().to_owned();
                p.push(suffix);
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e).context("removing the SQLite database"),
                }
            }
        }
        Backend::Postgres => {
            seed::drop_postgres_database(
                args.postgres_url.as_deref().unwrap_or_default(),
                &args.postgres_db,
            )
            .await?
        }
    }
    Ok(())
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_kb: u64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    format!(
        "{cores} cores ({model}), {:.1} GB RAM",
        mem_kb as f64 / 1024.0 / 1024.0
    )
}

fn errors(s: &load::Stats) -> String {
    let n = s.errors();
    if n == 0 {
        return "0".into();
    }
    let mut kinds: Vec<String> = s
        .error_statuses
        .iter()
        .map(|(code, c)| format!("{} × {code}", group(*c)))
        .collect();
    if s.transport_errors > 0 {
        kinds.push(format!("{} × transport", group(s.transport_errors)));
    }
    kinds.join(", ")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(
        || "–".into(),
        |d| format!("{:.2}", d.as_secs_f64() * 1000.0),
    )
}

fn mb(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "–".into(),
        |b| format!("{:.1} MB", b as f64 / 1024.0 / 1024.0),
    )
}

fn pct(share: Option<f64>) -> String {
    share.map_or_else(|| "–".into(), |s| format!("{:.0}%", s * 100.0))
}

/// `1234567` → `1,234,567`.
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
