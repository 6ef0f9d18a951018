//! The benchmark's data set: local accounts with logins and tokens, a follow graph in which
//! everybody follows `user1`, and statuses spread over six months (replies, boosts, hashtags,
//! mentions, links, every visibility), with home feeds materialised as the fan-out builds
//! them. Rows are generated on a separate thread and bulk-inserted through
//! `woolly::db::seed`, in large transactions.
//!
//! Home feeds are computed here rather than with `INSERT … SELECT`: keeping each feed's
//! newest 400 entries by SQL means ranking every follower × followee-status pair (about
//! 90 million at full size, hours of work), while replaying the fan-out in memory with a
//! bounded queue per feed takes seconds and writes only the rows that stay. The rules are
//! those of `db::timelines::fan_out`; with an unbounded depth the result is identical to
//! fanning out every status in order.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use woolly::db::Db;
use woolly::db::seed::{
    self, AccountRow, FollowRow, HomeFeedRow, MentionRow, StatusRow, StatusTagRow, TagRow,
    TokenRow, UserRow,
};
use woolly::id::id_at;
use woolly::service::text::{self, MentionTarget};

/// Password of every seeded user.
pub const PASSWORD: &str = "woolly-bench-password";
/// Scopes of every seeded token.
const SCOPES: &str = "read write follow push";
const DAY_MS: i64 = 86_400_000;
/// Statuses generated per transaction.
const CHUNK: usize = 10_000;
/// Rows per transaction for the large tables.
const TX_ROWS: usize = 200_000;
/// "None" in the compact per-status index fields.
const NONE: u32 = u32::MAX;

/// What to seed.
#[derive(Debug, Clone)]
pub struct Spec {
    pub accounts: usize,
    pub statuses: usize,
    /// Average number of accounts each account follows besides `user1`.
    pub follows: usize,
    /// Entries kept per home feed (Mastodon keeps 400).
    pub feed_depth: usize,
    /// The server's public URL, used in URIs.
    pub base_url: String,
    /// Seed of the random generator, so runs are comparable.
    pub rng_seed: u64,
}

/// The seeded accounts the load generator uses.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Account ids, oldest first; index 0 is `user1`, followed by everyone.
    pub account_ids: Vec<i64>,
    /// Bearer tokens, parallel to `account_ids`.
    pub tokens: Vec<Arc<str>>,
}

impl Dataset {
    /// The account every other account follows.
    pub fn star(&self) -> (i64, Arc<str>) {
        (self.account_ids[0], self.tokens[0].clone())
    }
}

/// Time and rows of one seeding step.
#[derive(Debug, Clone)]
pub struct Step {
    pub name: &'static str,
    pub rows: u64,
    pub took: Duration,
}

/// The raw bearer token of `user{n}`.
pub fn token_for(n: usize) -> String {
    format!("woolly-bench-token-{n:07}")
}

fn username(n: usize) -> String {
    format!("user{n}")
}

/// Reads the accounts of a database seeded earlier (`--reuse`).
pub async fn load(db: &Db) -> anyhow::Result<Dataset> {
    let mut h = db.read().await?;
    let rows = seed::local_accounts(h.conn()).await?;
    let mut numbered: Vec<(usize, i64)> = rows
        .into_iter()
        .filter_map(|(id, name)| Some((name.strip_prefix("user")?.parse().ok()?, id)))
        .collect();
    numbered.sort();
    anyhow::ensure!(
        numbered.first().is_some_and(|(n, _)| *n == 1),
        "this database was not seeded by the benchmark (no user1)"
    );
    Ok(Dataset {
        account_ids: numbered.iter().map(|(_, id)| *id).collect(),
        tokens: numbered
            .iter()
            .map(|(n, _)| Arc::from(token_for(*n)))
            .collect(),
    })
}

/// Ids unique within one table, derived from timestamps like the server's.
#[derive(Default)]
struct UniqueIds(HashSet<i64>);

impl UniqueIds {
    fn at(&mut self, ms: i64) -> i64 {
        loop {
            let id = id_at(ms);
            if self.0.insert(id) {
                return id;
            }
        }
    }
}

/// Seeds an empty, migrated database. Returns the data set and the time of each step.
pub async fn seed(db: &Db, spec: &Spec) -> anyhow::Result<(Dataset, Vec<Step>)> {
    anyhow::ensure!(spec.accounts >= 2, "need at least 2 accounts");
    let mut steps = Vec::new();
    let mut rng = StdRng::seed_from_u64(spec.rng_seed);
    let now = woolly::time::now_ms();
    // Accounts appear over the year before the statuses' six months.
    let accounts_start = now - 400 * DAY_MS;
    let statuses_start = now - 180 * DAY_MS;
    let n = spec.accounts;
    seed::prepare_bulk_load(db).await?;

    // Accounts, users, the application and tokens.
    let t = Instant::now();
    let (private_pem, public_pem) = woolly::crypto::generate_rsa_keypair()?;
    let password_hash = woolly::crypto::hash_password(PASSWORD)?;
    let step_ms = (200 * DAY_MS / n as i64).max(1);
    let mut account_ids = Vec::with_capacity(n);
    let mut user_ids = UniqueIds::default();
    let mut token_ids = UniqueIds::default();
    let app_id = id_at(accounts_start - DAY_MS);
    let mut tx = db.begin().await?;
    seed::fast_commit(tx.conn()).await?;
    woolly::db::oauth::insert_application(
        tx.conn(),
        &woolly::db::oauth::Application {
            id: app_id,
            name: "Woolly benchmark".into(),
            website: None,
            redirect_uris: "urn:ietf:wg:oauth:2.0:oob".into(),
            scopes: SCOPES.into(),
            client_id: woolly::crypto::random_token(32),
            client_secret_hash: woolly::crypto::sha256_hex(&woolly::crypto::random_token(32)),
            created_at: accounts_start - DAY_MS,
        },
    )
    .await?;
    let mut rows = 0;
    for start in (0..n).step_by(CHUNK) {
        let end = (start + CHUNK).min(n);
        let mut accounts = Vec::with_capacity(end - start);
        let mut users = Vec::with_capacity(end - start);
        let mut tokens = Vec::with_capacity(end - start);
        for i in start..end {
            let created = accounts_start + i as i64 * step_ms;
            let id = id_at(created);
            account_ids.push(id);
            let name = username(i + 1);
            let uri = format!("{}/users/{name}", spec.base_url);
            let bio = sentence(&mut rng, 6, 20);
            accounts.push(AccountRow {
                id,
                display_name: display_name(i),
                note: text::to_html(&text::scan(&bio), &HashMap::new(), &spec.base_url),
                note_source: bio,
                url: format!("{}/@{name}", spec.base_url),
                inbox_url: format!("{uri}/inbox"),
                shared_inbox_url: format!("{}/inbox", spec.base_url),
                outbox_url: format!("{uri}/outbox"),
                followers_url: format!("{uri}/followers"),
                following_url: format!("{uri}/following"),
                uri,
                username: name.clone(),
                public_key_pem: public_pem.clone(),
                private_key_pem: private_pem.clone(),
                created_at: created,
            });
            let user_id = user_ids.at(created);
            users.push(UserRow {
                id: user_id,
                account_id: id,
                email: format!("{name}@bench.example"),
                password_hash: password_hash.clone(),
                created_at: created,
            });
            tokens.push(TokenRow {
                id: token_ids.at(created + 1000),
                token_hash: woolly::crypto::sha256_hex(&token_for(i + 1)),
                application_id: app_id,
                user_id,
                scopes: SCOPES.into(),
                created_at: created + 1000,
            });
        }
        rows += seed::insert_rows(tx.conn(), &accounts).await?;
        rows += seed::insert_rows(tx.conn(), &users).await?;
        rows += seed::insert_rows(tx.conn(), &tokens).await?;
    }
    tx.commit().await?;
    steps.push(Step {
        name: "accounts, users, tokens",
        rows,
        took: t.elapsed(),
    });

    // The follow graph: everyone follows user1, plus ~`follows` others, skewed towards
    // older accounts so that popularity follows a power law.
    let t = Instant::now();
    let mut follow_ids = UniqueIds::default();
    let mut follows = Vec::new();
    let mut graph = Graph {
        followers: vec![Vec::new(); n],
        pairs: HashSet::new(),
    };
    let created_of = |i: usize| accounts_start + i as i64 * step_ms;
    for i in 1..n {
        let mut targets = HashSet::new();
        targets.insert(0usize);
        let k = if spec.follows == 0 {
            0
        } else {
            rng.random_range(spec.follows / 2..=spec.follows * 3 / 2)
        }
        .min(n - 2);
        while targets.len() < k + 1 {
            let u: f64 = rng.random();
            let j = ((n as f64) * u * u) as usize;
            if j != i && j < n {
                targets.insert(j);
            }
        }
        for j in targets {
            graph.followers[j].push(i as u32);
            graph.pairs.insert(Graph::key(i as u32, j as u32));
            let at = created_of(i).max(created_of(j)) + rng.random_range(1000..DAY_MS);
            follows.push(FollowRow {
                id: follow_ids.at(at),
                account_id: account_ids[i],
                target_account_id: account_ids[j],
                created_at: at,
            });
        }
    }
    let mut rows = 0;
    for chunk in follows.chunks(TX_ROWS) {
        let mut tx = db.begin().await?;
        seed::fast_commit(tx.conn()).await?;
        rows += seed::insert_rows(tx.conn(), chunk).await?;
        tx.commit().await?;
    }
    drop(follows);
    steps.push(Step {
        name: "follows",
        rows,
        took: t.elapsed(),
    });

    // Statuses, with their mentions and hashtags, generated on another thread.
    let t = Instant::now();
    let tags: Vec<TagRow> = TAGS
        .iter()
        .enumerate()
        .map(|(k, name)| TagRow {
            id: id_at(statuses_start - DAY_MS + k as i64),
            name: name.to_lowercase(),
            display_name: (*name).into(),
            created_at: statuses_start - DAY_MS,
        })
        .collect();
    let mut tx = db.begin().await?;
    let mut rows = seed::insert_rows(tx.conn(), &tags).await?;
    tx.commit().await?;
    let generator = StatusGenerator {
        rng: StdRng::seed_from_u64(spec.rng_seed ^ 0x5eed),
        account_ids: account_ids.clone(),
        base_url: spec.base_url.clone(),
        app_id,
        tag_ids: tags
            .iter()
            .map(|t| (t.display_name.clone(), t.id))
            .collect(),
        history: Vec::with_capacity(spec.statuses),
        direct_mentions: HashMap::new(),
        boosts: HashSet::new(),
        mention_ids: UniqueIds::default(),
        start: statuses_start,
        step: ((now - statuses_start) / spec.statuses.max(1) as i64).max(1),
        total: spec.statuses,
    };
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Chunk>(2);
    let producer = std::thread::spawn(move || {
        let mut generator = generator;
        while let Some(chunk) = generator.next_chunk(CHUNK) {
            if sender.blocking_send(chunk).is_err() {
                break;
            }
        }
        (generator.history, generator.direct_mentions)
    });
    let mut inserted = 0usize;
    let mut next_report = spec.statuses / 10;
    while let Some(chunk) = receiver.recv().await {
        let mut tx = db.begin().await?;
        seed::fast_commit(tx.conn()).await?;
        rows += seed::insert_rows(tx.conn(), &chunk.statuses).await?;
        rows += seed::insert_rows(tx.conn(), &chunk.mentions).await?;
        rows += seed::insert_rows(tx.conn(), &chunk.tags).await?;
        tx.commit().await?;
        inserted += chunk.statuses.len();
        if inserted >= next_report && inserted < spec.statuses {
            eprintln!(
                "    … {inserted} statuses ({:.0} s)",
                t.elapsed().as_secs_f64()
            );
            next_report += spec.statuses / 10;
        }
    }
    let (history, direct_mentions) = producer
        .join()
        .map_err(|_| anyhow::anyhow!("status generator panicked"))?;
    steps.push(Step {
        name: "statuses, mentions, hashtags",
        rows,
        took: t.elapsed(),
    });

    // Home feeds, as the fan-out would have built them.
    let t = Instant::now();
    let feeds = home_feeds(&history, &direct_mentions, &graph, spec.feed_depth);
    drop((direct_mentions, graph));
    let mut rows = 0;
    let mut batch = Vec::with_capacity(TX_ROWS);
    for (account, feed) in feeds.iter().enumerate() {
        // Oldest first, so each feed's primary-key range is written in order.
        for e in feed {
            let boosted = (e.boost_of != NONE).then(|| history[e.boost_of as usize]);
            batch.push(HomeFeedRow {
                account_id: account_ids[account],
                status_id: e.status_id,
                author_id: account_ids[e.author as usize],
                reblog_of_id: boosted.map(|o| o.id),
                reblog_author_id: boosted.map(|o| account_ids[o.author as usize]),
            });
        }
        if batch.len() >= TX_ROWS || account + 1 == feeds.len() {
            let mut tx = db.begin().await?;
            seed::fast_commit(tx.conn()).await?;
            rows += seed::insert_rows(tx.conn(), &batch).await?;
            tx.commit().await?;
            batch.clear();
        }
    }
    steps.push(Step {
        name: "home feeds",
        rows,
        took: t.elapsed(),
    });

    // Counters, then leave the database as a running server would find it.
    let t = Instant::now();
    let mut tx = db.begin().await?;
    seed::fast_commit(tx.conn()).await?;
    seed::recount(tx.conn()).await?;
    tx.commit().await?;
    steps.push(Step {
        name: "counters",
        rows: 0,
        took: t.elapsed(),
    });
    let t = Instant::now();
    seed::finish_bulk_load(db).await?;
    steps.push(Step {
        name: match db.backend() {
            woolly::db::Backend::Sqlite => "WAL checkpoint",
            woolly::db::Backend::Postgres => "VACUUM ANALYZE",
        },
        rows: 0,
        took: t.elapsed(),
    });

    let tokens = (1..=n).map(|k| Arc::from(token_for(k))).collect();
    Ok((
        Dataset {
            account_ids,
            tokens,
        },
        steps,
    ))
}

/// One transaction's worth of generated statuses.
struct Chunk {
    statuses: Vec<StatusRow>,
    mentions: Vec<MentionRow>,
    tags: Vec<StatusTagRow>,
}

/// What later statuses, and the home feeds, need to know about a status.
#[derive(Clone, Copy)]
struct Past {
    id: i64,
    author: u32,
    conversation: i64,
    /// Account replied to, or [`NONE`].
    reply_to: u32,
    /// Index in the history of the boosted status, or [`NONE`].
    boost_of: u32,
    /// Public or unlisted original (not a boost): can be replied to.
    open: bool,
    /// Public original: can be boosted.
    public: bool,
    direct: bool,
}

/// The follow graph, by account index.
struct Graph {
    /// Followers of each account.
    followers: Vec<Vec<u32>>,
    /// (follower, followed) pairs, see [`Graph::key`].
    pairs: HashSet<u64>,
}

impl Graph {
    fn key(follower: u32, followed: u32) -> u64 {
        (follower as u64) << 32 | followed as u64
    }

    fn follows(&self, follower: u32, followed: u32) -> bool {
        self.pairs.contains(&Self::key(follower, followed))
    }
}

/// One entry of a simulated home feed.
#[derive(Clone, Copy)]
struct FeedEntry {
    status_id: i64,
    author: u32,
    /// History index of the boosted status, or [`NONE`].
    boost_of: u32,
}

/// Each account's home feed, oldest first, holding its newest `depth` entries: what
/// `db::timelines::fan_out` inserts when every status is fanned out in the order it was
/// posted, trimmed to the newest `depth`. The rules: the author always gets their own status;
/// followers get it unless it is direct and does not mention them, or it replies to someone
/// they neither are nor follow; a boost is left out where the boosted status, or another boost
/// of it, is among the newest `REBLOG_FALLOFF` entries. Blocks, mutes and language filters are
/// not seeded, so they play no part.
fn home_feeds(
    history: &[Past],
    direct_mentions: &HashMap<u32, Vec<u32>>,
    graph: &Graph,
    depth: usize,
) -> Vec<VecDeque<FeedEntry>> {
    let falloff = woolly::db::timelines::REBLOG_FALLOFF as usize;
    let depth = depth.max(falloff);
    let mut feeds: Vec<VecDeque<FeedEntry>> = vec![VecDeque::new(); graph.followers.len()];
    for (idx, p) in history.iter().enumerate() {
        let audience =
            std::iter::once(p.author).chain(graph.followers[p.author as usize].iter().copied());
        for f in audience {
            if f != p.author {
                if p.direct
                    && !direct_mentions
                        .get(&(idx as u32))
                        .is_some_and(|m| m.contains(&f))
                {
                    continue;
                }
                if p.reply_to != NONE
                    && p.reply_to != p.author
                    && p.reply_to != f
                    && !graph.follows(f, p.reply_to)
                {
                    continue;
                }
            }
            let feed = &mut feeds[f as usize];
            if p.boost_of != NONE {
                let original = history[p.boost_of as usize].id;
                let seen = feed
                    .iter()
                    .rev()
                    .take(falloff)
                    .any(|e| e.status_id == original || e.boost_of == p.boost_of);
                if seen {
                    continue;
                }
            }
            if feed.len() == depth {
                feed.pop_front();
            }
            feed.push_back(FeedEntry {
                status_id: p.id,
                author: p.author,
                boost_of: p.boost_of,
            });
        }
    }
    feeds
}

struct StatusGenerator {
    rng: StdRng,
    account_ids: Vec<i64>,
    base_url: String,
    app_id: i64,
    tag_ids: Vec<(String, i64)>,
    history: Vec<Past>,
    /// Mentioned accounts of direct statuses, by history index.
    direct_mentions: HashMap<u32, Vec<u32>>,
    /// (booster, history index) pairs: an account boosts a status at most once.
    boosts: HashSet<u64>,
    mention_ids: UniqueIds,
    start: i64,
    step: i64,
    total: usize,
}

impl StatusGenerator {
    fn next_chunk(&mut self, size: usize) -> Option<Chunk> {
        let done = self.history.len();
        if done >= self.total {
            return None;
        }
        let mut chunk = Chunk {
            statuses: Vec::with_capacity(size),
            mentions: Vec::new(),
            tags: Vec::new(),
        };
        for k in done..(done + size).min(self.total) {
            self.one(k, &mut chunk);
        }
        Some(chunk)
    }

    /// Picks an author: 60% of posts come from the oldest fifth of the accounts.
    fn author(&mut self) -> usize {
        let n = self.account_ids.len();
        if self.rng.random_bool(0.6) {
            self.rng.random_range(0..(n / 5).max(1))
        } else {
            self.rng.random_range(0..n)
        }
    }

    /// A recent earlier status matching `want` and its history index, if one is found quickly.
    fn recent(&mut self, window: usize, want: impl Fn(&Past) -> bool) -> Option<(usize, Past)> {
        let len = self.history.len();
        if len == 0 {
            return None;
        }
        for _ in 0..8 {
            let idx = len - 1 - self.rng.random_range(0..window.min(len));
            let p = self.history[idx];
            if want(&p) {
                return Some((idx, p));
            }
        }
        None
    }

    fn one(&mut self, k: usize, out: &mut Chunk) {
        let created = self.start + k as i64 * self.step;
        let id = id_at(created);
        let author = self.author();
        let name = username(author + 1);
        let actor = format!("{}/users/{name}", self.base_url);
        let roll: f64 = self.rng.random();

        if roll < 0.05
            && let Some((target_idx, target)) =
                self.recent(50_000, |p| p.public && p.author as usize != author)
            && self
                .boosts
                .insert(((author as u64) << 32) | target_idx as u64)
        {
            out.statuses.push(StatusRow {
                id,
                uri: format!("{actor}/statuses/{id}/activity"),
                url: None,
                account_id: self.account_ids[author],
                text: String::new(),
                content: String::new(),
                visibility: "public",
                language: None,
                in_reply_to_id: None,
                in_reply_to_account_id: None,
                reblog_of_id: Some(target.id),
                conversation_id: None,
                application_id: Some(self.app_id),
                created_at: created,
            });
            self.history.push(Past {
                id,
                author: author as u32,
                conversation: id,
                reply_to: NONE,
                boost_of: target_idx as u32,
                open: false,
                public: false,
                direct: false,
            });
            return;
        }

        let parent = if roll < 0.20 {
            self.recent(20_000, |p| p.open).map(|(_, p)| p)
        } else {
            None
        };
        let visibility = match (parent.is_some(), self.rng.random_range(0..100)) {
            (_, 0..85) => "public",
            (_, 85..94) => "unlisted",
            (true, _) | (false, 94..99) => "private",
            (false, _) => "direct",
        };
        let mut mentioned: Vec<usize> = Vec::new();
        if let Some(p) = parent
            && p.author as usize != author
        {
            mentioned.push(p.author as usize);
        }
        if visibility == "direct" || self.rng.random_bool(0.08) {
            let other = self.rng.random_range(0..self.account_ids.len());
            if other != author && !mentioned.contains(&other) {
                mentioned.push(other);
            }
        }
        let mut body = String::new();
        for m in &mentioned {
            body.push('@');
            body.push_str(&username(m + 1));
            body.push(' ');
        }
        body.push_str(&sentence(&mut self.rng, 6, 40));
        if self.rng.random_bool(0.10) {
            let n = self.rng.random_range(1..100_000);
            body.push_str(&format!(
                " https://news.example/articles/{n}-a-long-headline-slug"
            ));
        }
        let mut tagged = Vec::new();
        if self.rng.random_bool(0.15) {
            body.push('\n');
            for _ in 0..self.rng.random_range(1..=3) {
                let (tag, tag_id) = &self.tag_ids[self.rng.random_range(0..self.tag_ids.len())];
                if !tagged.contains(tag_id) {
                    tagged.push(*tag_id);
                    body.push_str(&format!(" #{tag}"));
                }
            }
        }
        let tokens = text::scan(&body);
        let resolved: HashMap<String, MentionTarget> = mentioned
            .iter()
            .map(|m| {
                let u = username(m + 1);
                (
                    u.clone(),
                    MentionTarget {
                        url: format!("{}/@{u}", self.base_url),
                        username: u,
                    },
                )
            })
            .collect();
        let content = text::to_html(&tokens, &resolved, &self.base_url);
        for m in &mentioned {
            out.mentions.push(MentionRow {
                id: self.mention_ids.at(created),
                status_id: id,
                account_id: self.account_ids[*m],
            });
        }
        for tag_id in tagged {
            out.tags.push(StatusTagRow {
                tag_id,
                status_id: id,
            });
        }
        let conversation = parent.map_or(id, |p| p.conversation);
        // Whom the reply answers; a self-reply continuing a thread keeps the thread's answer.
        let reply_to = match parent {
            Some(p) if p.author as usize == author && p.reply_to != NONE => p.reply_to,
            Some(p) => p.author,
            None => NONE,
        };
        out.statuses.push(StatusRow {
            id,
            uri: format!("{actor}/statuses/{id}"),
            url: Some(format!("{}/@{name}/{id}", self.base_url)),
            account_id: self.account_ids[author],
            text: body,
            content,
            visibility,
            language: Some("en"),
            in_reply_to_id: parent.map(|p| p.id),
            in_reply_to_account_id: (reply_to != NONE).then(|| self.account_ids[reply_to as usize]),
            reblog_of_id: None,
            conversation_id: Some(conversation),
            application_id: Some(self.app_id),
            created_at: created,
        });
        if visibility == "direct" {
            self.direct_mentions.insert(
                self.history.len() as u32,
                mentioned.iter().map(|m| *m as u32).collect(),
            );
        }
        self.history.push(Past {
            id,
            author: author as u32,
            conversation,
            reply_to,
            boost_of: NONE,
            open: matches!(visibility, "public" | "unlisted"),
            public: visibility == "public",
            direct: visibility == "direct",
        });
    }
}

fn display_name(i: usize) -> String {
    let first = FIRST_NAMES[i % FIRST_NAMES.len()];
    let last = LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()];
    format!("{first} {last}")
}

/// A sentence of `min..=max` words.
pub fn sentence(rng: &mut impl Rng, min: usize, max: usize) -> String {
    let words = rng.random_range(min..=max);
    let mut s = String::with_capacity(words * 7);
    for w in 0..words {
        let word = WORDS[rng.random_range(0..WORDS.len())];
        if w == 0 {
            let mut c = word.chars();
            if let Some(f) = c.next() {
                s.extend(f.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push(' ');
            s.push_str(word);
        }
    }
    s.push(if rng.random_bool(0.1) { '!' } else { '.' });
    s
}

const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Donald",
    "Hedy",
    "Tim",
    "Sophie",
    "Guido",
    "Katherine",
    "Bjarne",
    "Annie",
    "John",
];

const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Knuth",
    "Lamarr",
    "Berners-Lee",
    "Wilson",
    "Rossum",
    "Johnson",
    "Stroustrup",
    "Easley",
    "McCarthy",
    "Goldberg",
    "Kay",
    "Wirth",
    "Backus",
];

const TAGS: &[&str] = &[
    "Rust",
    "Photography",
    "Fediverse",
    "Music",
    "Cats",
    "Dogs",
    "Gardening",
    "Cooking",
    "Books",
    "Running",
    "Cycling",
    "OpenSource",
    "Linux",
    "Privacy",
    "Science",
    "Space",
    "Art",
    "Coffee",
    "Travel",
    "Hiking",
    "Birds",
    "Climate",
    "Movies",
    "Gaming",
    "Knitting",
    "History",
    "Maths",
    "Design",
    "Podcasts",
    "Jazz",
    "Sourdough",
    "Astronomy",
    "Chess",
    "Poetry",
    "Mastodon",
    "Woolly",
    "SelfHosting",
    "Accessibility",
    "Trains",
    "Weather",
];

const WORDS: &[&str] = &[
    "the",
    "a",
    "and",
    "of",
    "to",
    "in",
    "is",
    "it",
    "that",
    "for",
    "on",
    "with",
    "as",
    "this",
    "was",
    "at",
    "by",
    "but",
    "from",
    "or",
    "have",
    "an",
    "they",
    "which",
    "one",
    "you",
    "were",
    "all",
    "we",
    "when",
    "there",
    "can",
    "more",
    "if",
    "no",
    "out",
    "so",
    "what",
    "up",
    "about",
    "just",
    "new",
    "today",
    "morning",
    "evening",
    "coffee",
    "garden",
    "server",
    "cat",
    "walk",
    "rain",
    "sunshine",
    "train",
    "book",
    "reading",
    "writing",
    "code",
    "release",
    "bug",
    "fixed",
    "finally",
    "really",
    "lovely",
    "weird",
    "interesting",
    "thread",
    "photo",
    "music",
    "album",
    "concert",
    "bread",
    "baked",
    "soup",
    "dinner",
    "friends",
    "weekend",
    "week",
    "project",
    "learned",
    "thinking",
    "wonder",
    "why",
    "how",
    "maybe",
    "tomorrow",
    "yesterday",
    "still",
    "again",
    "never",
    "always",
    "little",
    "big",
    "small",
    "quiet",
    "busy",
    "city",
    "river",
    "mountain",
    "sky",
    "birds",
    "spring",
    "autumn",
    "winter",
    "summer",
    "tea",
    "bike",
    "ride",
    "note",
    "idea",
    "question",
    "answer",
    "help",
    "thanks",
    "everyone",
    "people",
    "community",
    "instance",
    "timeline",
    "post",
    "boost",
    "reply",
    "favourite",
    "open",
    "source",
    "library",
    "compiler",
    "database",
    "query",
    "index",
    "latency",
    "memory",
    "fast",
    "slow",
    "careful",
];
