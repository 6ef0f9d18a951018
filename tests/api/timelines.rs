//! Home, public and hashtag timelines: fan-out visibility rules, filters, pagination, shapes.

use reqwest::StatusCode;

use crate::common::*;
use support::*;

/// Test data written straight into the database (statuses and follows are built by other
/// modules; these tests must not depend on their endpoints).
pub mod support {
    use reqwest::Response;
    use serde_json::Value;
    use woolly::db::accounts::{self, Counter, NewAccount};
    use woolly::db::statuses::{self, Status};
    use woolly::id::next_id;
    use woolly::jobs::{self, Job, PRIORITY_LOCAL};
    use woolly::time::now_ms;

    use crate::common::{TestApp, TestUser};

    /// Options of a status written by [`post_with`].
    #[derive(Debug, Clone)]
    pub struct Post {
        pub text: String,
        pub visibility: &'static str,
        pub mentions: Vec<i64>,
        pub tags: Vec<String>,
        pub reply_to: Option<i64>,
        pub reblog_of: Option<i64>,
        pub language: Option<String>,
    }

    impl Post {
        /// A public post.
        pub fn new(text: &str) -> Post {
            Post {
                text: text.into(),
                visibility: "public",
                mentions: Vec::new(),
                tags: Vec::new(),
                reply_to: None,
                reblog_of: None,
                language: Some("en".into()),
            }
        }

        /// With this visibility.
        pub fn vis(mut self, v: &'static str) -> Post {
            self.visibility = v;
            self
        }

        /// Mentioning this account.
        pub fn mention(mut self, id: i64) -> Post {
            self.mentions.push(id);
            self
        }

        /// With this hashtag (any casing).
        pub fn tag(mut self, t: &str) -> Post {
            self.tags.push(t.into());
            self
        }

        /// Replying to this status.
        pub fn reply(mut self, id: i64) -> Post {
            self.reply_to = Some(id);
            self
        }
    }

    /// The numeric account id of a test user.
    pub fn aid(u: &TestUser) -> i64 {
        u.account_id.parse().unwrap()
    }

    /// An OAuth application for statuses to be "posted with" (Mastodon always names one).
    pub async fn app_id(app: &TestApp) -> i64 {
        let mut h = app.state.db.read().await.unwrap();
        if let Some(id) = with_conn_scalar(
            h.conn(),
            "SELECT id FROM oauth_applications WHERE name = 'Woolly tests'",
        )
        .await
        {
            return id;
        }
        drop(h);
        let id = next_id();
        let mut tx = app.state.db.begin().await.unwrap();
        woolly::db::oauth::insert_application(
            tx.conn(),
            &woolly::db::oauth::Application {
                id,
                name: "Woolly tests".into(),
                website: None,
                redirect_uris: "urn:ietf:wg:oauth:2.0:oob".into(),
                scopes: "read write".into(),
                client_id: woolly::crypto::random_token(16),
                client_secret_hash: "x".into(),
                created_at: now_ms(),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    }

    async fn with_conn_scalar(c: woolly::db::Conn<'_>, sql: &'static str) -> Option<i64> {
        woolly::with_conn!(c, |c| sqlx::query_scalar::<_, i64>(sql)
            .fetch_optional(c)
            .await
            .unwrap())
    }

    /// Runs one statement with integer parameters.
    pub async fn exec(app: &TestApp, sql: &'static str, args: &[i64]) {
        let mut tx = app.state.db.begin().await.unwrap();
        woolly::with_conn!(tx.conn(), |c| {
            let mut q = sqlx::query(sql);
            for a in args {
                q = q.bind(*a);
            }
            q.execute(c).await.unwrap();
        });
        tx.commit().await.unwrap();
    }

    /// A public post by `author`, fanned out.
    pub async fn post(app: &TestApp, author: i64, text: &str) -> i64 {
        post_with(app, author, Post::new(text)).await
    }

    /// Writes a status by `author` with its mentions and tags, enqueues fan-out and runs it.
    pub async fn post_with(app: &TestApp, author: i64, p: Post) -> i64 {
        let application = app_id(app).await;
        let id = next_id();
        let now = now_ms();
        let mut tx = app.state.db.begin().await.unwrap();
        let (local, username): (bool, String) = {
            let a = accounts::get(tx.conn(), author).await.unwrap().unwrap();
            (a.domain.is_none(), a.username)
        };
        let parent = match p.reply_to {
            Some(r) => statuses::get(tx.conn(), r).await.unwrap(),
            None => None,
        };
        let uri = format!("{}/users/{username}/statuses/{id}", app.url);
        statuses::insert(
            tx.conn(),
            &Status {
                id,
                uri: uri.clone(),
                url: (p.reblog_of.is_none()).then(|| format!("{}/@{username}/{id}", app.url)),
                account_id: author,
                text: p.text.clone(),
                content: if p.reblog_of.is_some() {
                    String::new()
                } else {
                    format!("<p>{}</p>", p.text)
                },
                spoiler_text: String::new(),
                sensitive: false,
                visibility: p.visibility.into(),
                language: if p.reblog_of.is_some() {
                    None
                } else {
                    p.language.clone()
                },
                in_reply_to_id: parent.as_ref().map(|s| s.id),
                in_reply_to_account_id: parent.as_ref().map(|s| s.account_id),
                reblog_of_id: p.reblog_of,
                conversation_id: Some(
                    parent
                        .as_ref()
                        .and_then(|s| s.conversation_id)
                        .unwrap_or(id),
                ),
                application_id: local.then_some(application),
                local,
                replies_count: 0,
                reblogs_count: 0,
                favourites_count: 0,
                created_at: now,
                edited_at: None,
            },
        )
        .await
        .unwrap();
        woolly::with_conn!(tx.conn(), |c| {
            for m in &p.mentions {
                sqlx::query("INSERT INTO mentions (id, status_id, account_id, silent) VALUES ($1, $2, $3, FALSE)")
                    .bind(next_id())
                    .bind(id)
                    .bind(*m)
                    .execute(&mut *c)
                    .await
                    .unwrap();
            }
            for t in &p.tags {
                let name = t.to_lowercase();
                sqlx::query("INSERT INTO tags (id, name, display_name, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING")
                    .bind(next_id())
                    .bind(&name)
                    .bind(t)
                    .bind(now)
                    .execute(&mut *c)
                    .await
                    .unwrap();
                sqlx::query("INSERT INTO status_tags (tag_id, status_id) SELECT id, $1 FROM tags WHERE name = $2")
                    .bind(id)
                    .bind(&name)
                    .execute(&mut *c)
                    .await
                    .unwrap();
            }
        });
        accounts::bump(tx.conn(), author, Counter::Statuses, 1)
            .await
            .unwrap();
        accounts::touch_last_status(tx.conn(), author, now)
            .await
            .unwrap();
        jobs::enqueue(tx.conn(), &Job::FanOut { status_id: id }, PRIORITY_LOCAL)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        app.run_jobs().await;
        id
    }

    /// `booster` boosts `status`.
    pub async fn boost(app: &TestApp, booster: i64, status: i64) -> i64 {
        let mut p = Post::new("");
        p.reblog_of = Some(status);
        post_with(app, booster, p).await
    }

    /// `follower` follows `target` (optionally hiding their boosts).
    pub async fn follow_with(app: &TestApp, follower: i64, target: i64, show_reblogs: bool) {
        let mut tx = app.state.db.begin().await.unwrap();
        woolly::with_conn!(tx.conn(), |c| {
            sqlx::query(
            "INSERT INTO follows (id, account_id, target_account_id, show_reblogs, created_at) VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(next_id())
        .bind(follower)
        .bind(target)
        .bind(show_reblogs)
        .bind(now_ms())
        .execute(c)
        .await
        .map(|_| ())
        .unwrap()
        });
        accounts::bump(tx.conn(), follower, Counter::Following, 1)
            .await
            .unwrap();
        accounts::bump(tx.conn(), target, Counter::Followers, 1)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    /// `follower` follows `target`.
    pub async fn follow(app: &TestApp, follower: i64, target: i64) {
        follow_with(app, follower, target, true).await;
    }

    /// `a` blocks `b`.
    pub async fn block(app: &TestApp, a: i64, b: i64) {
        exec(
            app,
            "INSERT INTO blocks (id, account_id, target_account_id, created_at) VALUES ($1, $2, $3, $4)",
            &[next_id(), a, b, now_ms()],
        )
        .await;
    }

    /// `a` mutes `b` (hiding notifications when `notifications`).
    pub async fn mute(app: &TestApp, a: i64, b: i64, notifications: bool) {
        exec(
            app,
            "INSERT INTO mutes (id, account_id, target_account_id, hide_notifications, created_at) \
             VALUES ($1, $2, $3, $4 = 1, $5)",
            &[next_id(), a, b, notifications as i64, now_ms()],
        )
        .await;
    }

    /// A remote account on `domain`.
    pub async fn remote_account(app: &TestApp, username: &str, domain: &str) -> i64 {
        let id = next_id();
        let mut tx = app.state.db.begin().await.unwrap();
        accounts::insert(
            tx.conn(),
            &NewAccount {
                id,
                username: username.into(),
                domain: Some(domain.into()),
                display_name: username.into(),
                uri: format!("https://{domain}/users/{username}"),
                url: Some(format!("https://{domain}/@{username}")),
                inbox_url: None,
                shared_inbox_url: None,
                outbox_url: None,
                followers_url: None,
                following_url: None,
                public_key_pem: String::new(),
                private_key_pem: None,
                locked: false,
                bot: false,
                created_at: now_ms(),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    }

    /// The ids of a JSON array of entities, as numbers.
    pub fn ids(v: &Value) -> Vec<i64> {
        v.as_array()
            .unwrap_or_else(|| panic!("not an array: {v}"))
            .iter()
            .map(|s| s["id"].as_str().unwrap().parse().unwrap())
            .collect()
    }

    /// The `rel` links of a `Link` header, as paths with query (base URL removed).
    pub fn links(resp: &Response, base: &str) -> Vec<(String, String)> {
        let Some(h) = resp.headers().get("link") else {
            return Vec::new();
        };
        h.to_str()
            .unwrap()
            .split(", ")
            .map(|part| {
                let (url, rel) = part.split_once("; ").unwrap();
                let url = url
                    .trim_matches(['<', '>'])
                    .trim_start_matches(base)
                    .to_owned();
                let rel = rel
                    .trim_start_matches("rel=\"")
                    .trim_end_matches('"')
                    .to_owned();
                (rel, url)
            })
            .collect()
    }

    /// The link with relation `rel`.
    pub fn link(resp: &Response, base: &str, rel: &str) -> Option<String> {
        links(resp, base)
            .into_iter()
            .find(|(r, _)| r == rel)
            .map(|(_, u)| u)
    }

    /// GETs `path` as `token`, asserting 200, and returns the JSON.
    pub async fn get_ok(app: &TestApp, path: &str, token: Option<&str>) -> Value {
        crate::common::json(app.get(path, token).await, reqwest::StatusCode::OK).await
    }
}

async fn home_ids(app: &TestApp, user: &TestUser) -> Vec<i64> {
    ids(&get_ok(app, "/api/v1/timelines/home", Some(&user.token)).await)
}

#[tokio::test]
async fn home_requires_a_user_token_with_read_statuses() {
    each_backend(|app| async move {
        let v = error(
            app.get("/api/v1/timelines/home", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_shape("GET /api/v1/timelines/home 401", &v);
        error(
            app.get("/api/v1/timelines/home", Some("not-a-token")).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let narrow = app.user_with_scopes("narrow", "read:accounts").await;
        error(
            app.get("/api/v1/timelines/home", Some(&narrow.token)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let fine = app.user_with_scopes("fine", "read:statuses").await;
        let v = get_ok(&app, "/api/v1/timelines/home", Some(&fine.token)).await;
        assert_eq!(v, serde_json::json!([]));
    })
    .await;
}

#[tokio::test]
async fn home_shows_own_and_followed_posts_with_mastodon_shape() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        follow(&app, aid(&alice), aid(&bob)).await;
        let own = post(&app, aid(&alice), "mine").await;
        let followed = post(&app, aid(&bob), "from bob").await;
        let stranger = post(&app, aid(&carol), "from carol").await;
        let home = home_ids(&app, &alice).await;
        assert_eq!(home, vec![followed, own]);
        assert!(!home.contains(&stranger));
        // The author's own feed holds their posts.
        assert_eq!(home_ids(&app, &bob).await, vec![followed]);
        // Shape: the viewer's own post carries every key Mastodon sends.
        let v = get_ok(
            &app,
            &format!("/api/v1/timelines/home?max_id={followed}"),
            Some(&alice.token),
        )
        .await;
        assert_eq!(ids(&v), vec![own]);
        assert_shape("GET /api/v1/timelines/home 200", &v);
        assert_eq!(v[0]["content"], "<p>mine</p>");
        assert_eq!(v[0]["account"]["username"], "alice");
    })
    .await;
}

#[tokio::test]
async fn fan_out_respects_visibility() {
    each_backend(|app| async move {
        let author = app.user("author").await;
        let follower = app.user("follower").await;
        let mentioned_follower = app.user("mfollower").await;
        let mentioned_stranger = app.user("mstranger").await;
        let stranger = app.user("stranger").await;
        for f in [&follower, &mentioned_follower] {
            follow(&app, aid(f), aid(&author)).await;
        }
        let private = post_with(
            &app,
            aid(&author),
            Post::new("followers only").vis("private"),
        )
        .await;
        let unlisted = post_with(&app, aid(&author), Post::new("quiet").vis("unlisted")).await;
        let direct = post_with(
            &app,
            aid(&author),
            Post::new("psst")
                .vis("direct")
                .mention(aid(&mentioned_follower))
                .mention(aid(&mentioned_stranger)),
        )
        .await;
        assert_eq!(home_ids(&app, &follower).await, vec![unlisted, private]);
        assert_eq!(
            home_ids(&app, &mentioned_follower).await,
            vec![direct, unlisted, private]
        );
        // Direct messages reach only mentioned followers; strangers never get anything.
        assert_eq!(home_ids(&app, &mentioned_stranger).await, Vec::<i64>::new());
        assert_eq!(home_ids(&app, &stranger).await, Vec::<i64>::new());
        assert_eq!(
            home_ids(&app, &author).await,
            vec![direct, unlisted, private]
        );
        // Re-running fan-out is harmless.
        let mut tx = app.state.db.begin().await.unwrap();
        assert_eq!(
            woolly::db::timelines::fan_out(tx.conn(), private)
                .await
                .unwrap(),
            Vec::<i64>::new()
        );
        tx.commit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn replies_reach_only_followers_of_both() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let dave = app.user("dave").await;
        // alice follows bob only; dave follows bob and carol.
        follow(&app, aid(&alice), aid(&bob)).await;
        follow(&app, aid(&dave), aid(&bob)).await;
        follow(&app, aid(&dave), aid(&carol)).await;
        let by_carol = post(&app, aid(&carol), "hello").await;
        let reply_to_carol =
            post_with(&app, aid(&bob), Post::new("hi carol").reply(by_carol)).await;
        let by_bob = post(&app, aid(&bob), "thread").await;
        let self_reply = post_with(&app, aid(&bob), Post::new("more").reply(by_bob)).await;
        let alice_post = post(&app, aid(&alice), "me").await;
        let reply_to_alice =
            post_with(&app, aid(&bob), Post::new("hi alice").reply(alice_post)).await;
        assert_eq!(
            home_ids(&app, &alice).await,
            vec![reply_to_alice, alice_post, self_reply, by_bob]
        );
        assert!(!home_ids(&app, &alice).await.contains(&reply_to_carol));
        let dave_home = home_ids(&app, &dave).await;
        assert!(dave_home.contains(&reply_to_carol));
        assert!(dave_home.contains(&by_carol));
        assert!(!dave_home.contains(&reply_to_alice));
    })
    .await;
}

#[tokio::test]
async fn muted_and_blocked_authors_are_excluded() {
    each_backend(|app| async move {
        let viewer = app.user("viewer").await;
        let muted = app.user("muted").await;
        let blocked = app.user("blocked").await;
        let booster = app.user("booster").await;
        let outsider = app.user("outsider").await;
        for t in [&muted, &blocked, &booster] {
            follow(&app, aid(&viewer), aid(t)).await;
        }
        let m = post(&app, aid(&muted), "muted soon").await;
        let b = post(&app, aid(&blocked), "blocked soon").await;
        let o = post(&app, aid(&outsider), "boost me").await;
        let boost_of_outsider = boost(&app, aid(&booster), o).await;
        assert_eq!(home_ids(&app, &viewer).await, vec![boost_of_outsider, b, m]);
        let boosted = get_ok(&app, "/api/v1/timelines/home?limit=1", Some(&viewer.token)).await;
        assert_eq!(boosted[0]["reblog"]["id"], o.to_string());
        // Mutes and blocks made after fan-out apply on read, also to boosted authors.
        mute(&app, aid(&viewer), aid(&muted), false).await;
        block(&app, aid(&viewer), aid(&blocked)).await;
        mute(&app, aid(&viewer), aid(&outsider), true).await;
        assert_eq!(home_ids(&app, &viewer).await, Vec::<i64>::new());
        // And new posts by them are not even fanned out to the viewer.
        post(&app, aid(&muted), "still muted").await;
        let mut h = app.state.db.read().await.unwrap();
        let n: i64 = woolly::with_conn!(h.conn(), |c| sqlx::query_scalar(
            "SELECT count(*) FROM home_feed WHERE account_id = $1 AND author_id = $2"
        )
        .bind(aid(&viewer))
        .bind(aid(&muted))
        .fetch_one(c)
        .await
        .unwrap());
        assert_eq!(n, 1, "only the pre-mute post is stored");
    })
    .await;
}

#[tokio::test]
async fn boosts_follow_show_reblogs_and_are_aggregated() {
    each_backend(|app| async move {
        let viewer = app.user("viewer").await;
        let author = app.user("author").await;
        let loud = app.user("loud").await;
        let quiet = app.user("quiet").await;
        let other = app.user("other").await;
        follow(&app, aid(&viewer), aid(&author)).await;
        follow(&app, aid(&viewer), aid(&loud)).await;
        follow(&app, aid(&viewer), aid(&other)).await;
        follow_with(&app, aid(&viewer), aid(&quiet), false).await;
        let original = post(&app, aid(&author), "original").await;
        // The original is already on top: a boost of it is not added again.
        let dup = boost(&app, aid(&loud), original).await;
        let hidden = boost(&app, aid(&quiet), post(&app, aid(&other), "x").await).await;
        let home = home_ids(&app, &viewer).await;
        assert!(home.contains(&original));
        assert!(!home.contains(&dup));
        assert!(!home.contains(&hidden), "quiet's boosts are hidden");
        // A fresh boost of a status not in the feed shows up once; a second boost does not.
        let stranger = app.user("stranger").await;
        let s = post(&app, aid(&stranger), "not followed").await;
        let first = boost(&app, aid(&loud), s).await;
        let second = boost(&app, aid(&other), s).await;
        let home = home_ids(&app, &viewer).await;
        assert!(home.contains(&first));
        assert!(!home.contains(&second));
    })
    .await;
}

#[tokio::test]
async fn merge_on_follow_and_removal_on_unfollow() {
    each_backend(|app| async move {
        let viewer = app.user("viewer").await;
        let author = app.user("author").await;
        let public = post(&app, aid(&author), "public").await;
        let private = post_with(&app, aid(&author), Post::new("private").vis("private")).await;
        let direct = post_with(
            &app,
            aid(&author),
            Post::new("direct").vis("direct").mention(aid(&viewer)),
        )
        .await;
        follow(&app, aid(&viewer), aid(&author)).await;
        let mut tx = app.state.db.begin().await.unwrap();
        let n = woolly::db::timelines::merge_author_into_home(
            tx.conn(),
            aid(&viewer),
            aid(&author),
            200,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(n, 2);
        assert_eq!(home_ids(&app, &viewer).await, vec![private, public]);
        assert!(!home_ids(&app, &viewer).await.contains(&direct));
        let mut tx = app.state.db.begin().await.unwrap();
        woolly::db::timelines::remove_author_from_home(tx.conn(), aid(&viewer), aid(&author))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(home_ids(&app, &viewer).await, Vec::<i64>::new());
    })
    .await;
}

#[tokio::test]
async fn clearing_an_account_removes_its_posts_boosts_and_mentions() {
    each_backend(|app| async move {
        let viewer = app.user("viewer").await;
        let friend = app.user("friend").await;
        let target = app.user("target").await;
        follow(&app, aid(&viewer), aid(&friend)).await;
        follow(&app, aid(&viewer), aid(&target)).await;
        let own = post(&app, aid(&target), "by target").await;
        let mentioning = post_with(
            &app,
            aid(&friend),
            Post::new("@target hi").mention(aid(&target)),
        )
        .await;
        let unrelated = post(&app, aid(&friend), "unrelated").await;
        let stranger = app.user("stranger").await;
        let s = post(&app, aid(&stranger), "x").await;
        let boost_by_target = boost(&app, aid(&target), s).await;
        assert_eq!(
            home_ids(&app, &viewer).await,
            vec![boost_by_target, unrelated, mentioning, own]
        );
        let mut tx = app.state.db.begin().await.unwrap();
        let n =
            woolly::db::timelines::clear_account_from_home(tx.conn(), aid(&viewer), aid(&target))
                .await
                .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(n, 3);
        assert_eq!(home_ids(&app, &viewer).await, vec![unrelated]);
    })
    .await;
}

#[tokio::test]
async fn home_pagination_and_link_header_round_trip() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let mut posted = Vec::new();
        for i in 0..5 {
            posted.push(post(&app, aid(&alice), &format!("post {i}")).await);
        }
        posted.reverse(); // newest first
        let resp = app
            .get("/api/v1/timelines/home?limit=2", Some(&alice.token))
            .await;
        let next = link(&resp, &app.url, "next").unwrap();
        let prev = link(&resp, &app.url, "prev").unwrap();
        assert_eq!(ids(&json(resp, StatusCode::OK).await), posted[0..2]);
        assert_eq!(
            next,
            format!("/api/v1/timelines/home?limit=2&max_id={}", posted[1])
        );
        assert_eq!(
            prev,
            format!("/api/v1/timelines/home?limit=2&min_id={}", posted[0])
        );
        let resp = app.get(&next, Some(&alice.token)).await;
        let next2 = link(&resp, &app.url, "next").unwrap();
        assert_eq!(ids(&json(resp, StatusCode::OK).await), posted[2..4]);
        assert_eq!(
            ids(&get_ok(&app, &next2, Some(&alice.token)).await),
            posted[4..5]
        );
        // Going back up from the oldest: min_id returns the page immediately newer.
        let v = get_ok(
            &app,
            &format!("/api/v1/timelines/home?limit=2&min_id={}", posted[4]),
            Some(&alice.token),
        )
        .await;
        assert_eq!(ids(&v), posted[2..4]);
        // since_id returns the newest page above the bound.
        let v = get_ok(
            &app,
            &format!("/api/v1/timelines/home?limit=2&since_id={}", posted[4]),
            Some(&alice.token),
        )
        .await;
        assert_eq!(ids(&v), posted[0..2]);
        // max_id and min_id together bound both sides.
        let v = get_ok(
            &app,
            &format!(
                "/api/v1/timelines/home?max_id={}&min_id={}",
                posted[0], posted[3]
            ),
            Some(&alice.token),
        )
        .await;
        assert_eq!(ids(&v), posted[1..3]);
        // An empty page has no Link header; limits are clamped.
        let resp = app
            .get(
                &format!("/api/v1/timelines/home?min_id={}", posted[0]),
                Some(&alice.token),
            )
            .await;
        assert!(resp.headers().get("link").is_none());
        assert_eq!(json(resp, StatusCode::OK).await, serde_json::json!([]));
        let v = get_ok(
            &app,
            "/api/v1/timelines/home?limit=1000",
            Some(&alice.token),
        )
        .await;
        assert_eq!(ids(&v).len(), 5);
        let v = get_ok(
            &app,
            "/api/v1/timelines/home?max_id=garbage",
            Some(&alice.token),
        )
        .await;
        assert_eq!(ids(&v).len(), 5);
        error(
            app.get("/api/v1/timelines/home?limit=lots", Some(&alice.token))
                .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn public_timeline_shows_public_posts_only() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let remote = remote_account(&app, "rita", "remote.example").await;
        let public = post(&app, aid(&alice), "public").await;
        post_with(&app, aid(&alice), Post::new("unlisted").vis("unlisted")).await;
        post_with(&app, aid(&alice), Post::new("private").vis("private")).await;
        post_with(
            &app,
            aid(&alice),
            Post::new("direct").vis("direct").mention(aid(&bob)),
        )
        .await;
        let reply_other = post_with(&app, aid(&bob), Post::new("reply").reply(public)).await;
        let self_reply = post_with(&app, aid(&alice), Post::new("thread").reply(public)).await;
        boost(&app, aid(&bob), public).await;
        let remote_post = post(&app, remote, "from afar").await;

        let all = get_ok(&app, "/api/v1/timelines/public", None).await;
        assert_eq!(ids(&all), vec![remote_post, self_reply, public]);
        assert!(!ids(&all).contains(&reply_other));
        // Anonymous viewers get no per-viewer flags.
        assert!(all[0].get("favourited").is_none());
        let local = get_ok(&app, "/api/v1/timelines/public?local=true", None).await;
        assert_eq!(ids(&local), vec![self_reply, public]);
        let remote_only = get_ok(&app, "/api/v1/timelines/public?remote=1", None).await;
        assert_eq!(ids(&remote_only), vec![remote_post]);
        let both = get_ok(
            &app,
            "/api/v1/timelines/public?local=true&remote=true",
            None,
        )
        .await;
        assert_eq!(both, serde_json::json!([]));
        let media = get_ok(&app, "/api/v1/timelines/public?only_media=true", None).await;
        assert_eq!(media, serde_json::json!([]));

        // Shape, as the author sees their own posts.
        let v = get_ok(
            &app,
            "/api/v1/timelines/public?local=true",
            Some(&alice.token),
        )
        .await;
        assert_shape("GET /api/v1/timelines/public 200", &v);

        // A viewer's blocks (either way) and mutes hide authors.
        let carol = app.user("carol").await;
        block(&app, aid(&carol), aid(&alice)).await;
        let v = get_ok(&app, "/api/v1/timelines/public", Some(&carol.token)).await;
        assert_eq!(ids(&v), vec![remote_post]);
        let v = get_ok(&app, "/api/v1/timelines/public", Some(&alice.token)).await;
        assert_eq!(ids(&v), vec![remote_post, self_reply, public]);
        let dave = app.user("dave").await;
        block(&app, aid(&alice), aid(&dave)).await;
        mute(&app, aid(&dave), remote, false).await;
        let v = get_ok(&app, "/api/v1/timelines/public", Some(&dave.token)).await;
        assert_eq!(v, serde_json::json!([]));
        // Suspended authors disappear for everyone.
        exec(
            &app,
            "UPDATE accounts SET suspended_at = $1 WHERE id = $2",
            &[1, remote],
        )
        .await;
        let v = get_ok(&app, "/api/v1/timelines/public", None).await;
        assert_eq!(ids(&v), vec![self_reply, public]);
        // A token without read:statuses is refused even on this public endpoint.
        let narrow = app.user_with_scopes("narrow", "write:statuses").await;
        error(
            app.get("/api/v1/timelines/public", Some(&narrow.token))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn public_timeline_pagination_keeps_filters_in_links() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let mut posted = Vec::new();
        for i in 0..3 {
            posted.push(post(&app, aid(&alice), &format!("p{i}")).await);
        }
        let resp = app
            .get("/api/v1/timelines/public?local=true&limit=2", None)
            .await;
        let next = link(&resp, &app.url, "next").unwrap();
        assert_eq!(
            next,
            format!(
                "/api/v1/timelines/public?local=true&limit=2&max_id={}",
                posted[1]
            )
        );
        assert_eq!(
            ids(&json(resp, StatusCode::OK).await),
            vec![posted[2], posted[1]]
        );
        assert_eq!(ids(&get_ok(&app, &next, None).await), vec![posted[0]]);
    })
    .await;
}

#[tokio::test]
async fn tag_timeline_matches_case_insensitively_with_any_all_none() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let cats = post_with(&app, aid(&alice), Post::new("#Cats").tag("Cats")).await;
        let cats_dogs = post_with(
            &app,
            aid(&alice),
            Post::new("#cats #dogs").tag("cats").tag("dogs"),
        )
        .await;
        let dogs = post_with(&app, aid(&alice), Post::new("#dogs").tag("dogs")).await;
        let birds = post_with(&app, aid(&alice), Post::new("#birds").tag("birds")).await;
        post_with(
            &app,
            aid(&alice),
            Post::new("#cats private").tag("cats").vis("private"),
        )
        .await;
        post_with(
            &app,
            aid(&alice),
            Post::new("#cats unlisted").tag("cats").vis("unlisted"),
        )
        .await;

        let v = get_ok(&app, "/api/v1/timelines/tag/CATS", None).await;
        assert_eq!(ids(&v), vec![cats_dogs, cats]);
        let v = get_ok(&app, "/api/v1/timelines/tag/cats?any[]=dogs", None).await;
        assert_eq!(ids(&v), vec![dogs, cats_dogs, cats]);
        let v = get_ok(&app, "/api/v1/timelines/tag/cats?all[]=Dogs", None).await;
        assert_eq!(ids(&v), vec![cats_dogs]);
        let v = get_ok(&app, "/api/v1/timelines/tag/cats?none[]=dogs", None).await;
        assert_eq!(ids(&v), vec![cats]);
        let v = get_ok(
            &app,
            "/api/v1/timelines/tag/cats?any[]=birds&any[]=dogs&none[]=dogs",
            None,
        )
        .await;
        assert_eq!(ids(&v), vec![birds, cats]);
        let v = get_ok(&app, "/api/v1/timelines/tag/unknown", None).await;
        assert_eq!(v, serde_json::json!([]));
        let v = get_ok(&app, "/api/v1/timelines/tag/cats?remote=true", None).await;
        assert_eq!(v, serde_json::json!([]));
        let v = get_ok(&app, "/api/v1/timelines/tag/cats?local=true&limit=1", None).await;
        assert_eq!(ids(&v), vec![cats_dogs]);
        let resp = app
            .get("/api/v1/timelines/tag/cats?limit=1", Some(&alice.token))
            .await;
        let next = link(&resp, &app.url, "next").unwrap();
        assert_eq!(
            next,
            format!("/api/v1/timelines/tag/cats?limit=1&max_id={cats_dogs}")
        );
        let v = json(resp, StatusCode::OK).await;
        assert_shape("GET /api/v1/timelines/tag/:tag 200", &v);
        assert_eq!(v[0]["tags"].as_array().unwrap().len(), 2);
        assert_eq!(
            ids(&get_ok(&app, &next, Some(&alice.token)).await),
            vec![cats]
        );
    })
    .await;
}

#[tokio::test]
async fn timeline_queries_use_their_indexes() {
    use woolly::db::timelines::{
        Page, PublicFilter, TagFilter, home_query, public_query, tag_query,
    };
    each_backend(|app| async move {
        let page = Page {
            max_id: Some(i64::MAX),
            limit: 40,
            ..Default::default()
        };
        let filter = PublicFilter {
            local: None,
            only_media: false,
            viewer: Some(1),
            now: 0,
        };
        let tags = TagFilter {
            any: vec![1],
            all: Vec::new(),
            none: Vec::new(),
        };
        let mut h = app.state.db.read().await.unwrap();
        if app.backend == woolly::db::Backend::Postgres {
            // Empty tables: tell the planner to use indexes the way it will on real data.
            woolly::with_conn!(h.conn(), |c| {
                sqlx::query("SET enable_seqscan = off")
                    .execute(&mut *c)
                    .await
                    .unwrap();
                sqlx::query("SET enable_bitmapscan = off")
                    .execute(&mut *c)
                    .await
                    .unwrap();
            });
        }
        let home = home_query(1, 0, &page)
            .explain(h.conn())
            .await
            .unwrap()
            .join("\n");
        let public = public_query(&filter, &page)
            .explain(h.conn())
            .await
            .unwrap()
            .join("\n");
        let local = public_query(
            &PublicFilter {
                local: Some(true),
                ..filter
            },
            &page,
        )
        .explain(h.conn())
        .await
        .unwrap()
        .join("\n");
        let tag = tag_query(&tags, &filter, &page)
            .explain(h.conn())
            .await
            .unwrap()
            .join("\n");
        match app.backend {
            woolly::db::Backend::Sqlite => {
                assert!(
                    home.contains("SEARCH f USING PRIMARY KEY (account_id=? AND status_id<?)"),
                    "{home}"
                );
                assert!(
                    public.contains("USING INDEX statuses_public_all (id<?)"),
                    "{public}"
                );
                assert!(local.contains("USING INDEX statuses_public"), "{local}");
                assert!(
                    tag.contains("sqlite_autoindex_status_tags_1 (tag_id=? AND status_id<?)"),
                    "{tag}"
                );
                for plan in [&home, &public, &local, &tag] {
                    assert!(!plan.contains("TEMP B-TREE"), "no sort expected:\n{plan}");
                    assert!(!plan.contains("SCAN "), "no table scan expected:\n{plan}");
                }
            }
            woolly::db::Backend::Postgres => {
                assert!(
                    home.contains("Index Scan Backward using home_feed_pkey"),
                    "{home}"
                );
                assert!(public.contains("statuses_public"), "{public}");
                assert!(local.contains("statuses_public"), "{local}");
                assert!(tag.contains("status_tags_pkey"), "{tag}");
                for plan in [&home, &public, &local, &tag] {
                    assert!(!plan.contains("Sort"), "no sort expected:\n{plan}");
                    assert!(!plan.contains("Seq Scan on statuses"), "{plan}");
                    assert!(!plan.contains("Seq Scan on home_feed"), "{plan}");
                }
            }
        }
    })
    .await;
}

/// Statuses are written from cached renderings; every change a reader should see must show
/// on the next read: counters, edits, profile changes, the author's own counters, and the
/// per-reader flags, on the status and inside a boost.
#[tokio::test]
async fn cached_renderings_follow_every_change() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let v = json(
            app.post_json(
                "/api/v1/statuses",
                Some(&alice.token),
                &serde_json::json!({"status": "first"}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let id = v["id"].as_str().unwrap().to_owned();
        json(
            app.post_empty(
                &format!("/api/v1/accounts/{}/follow", alice.account_id),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        json(
            app.post_empty(
                &format!("/api/v1/accounts/{}/follow", carol.account_id),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let status = |v: &serde_json::Value, id: &str| {
            v.as_array()
                .unwrap()
                .iter()
                .find(|s| s["id"] == id)
                .cloned()
                .unwrap_or_else(|| panic!("{id} not in {v}"))
        };
        let home = |token: String| {
            let app = &app;
            async move { get_ok(app, "/api/v1/timelines/home", Some(&token)).await }
        };
        let s = status(&home(bob.token.clone()).await, &id);
        assert_eq!(s["favourites_count"], 0);
        assert_eq!(s["favourited"], false);
        assert_eq!(s["account"]["statuses_count"], 1);

        // Someone else's favourite: the count changes, the reader's flag does not.
        app.post_empty(
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&carol.token),
        )
        .await;
        let s = status(&home(bob.token.clone()).await, &id);
        assert_eq!(s["favourites_count"], 1);
        assert_eq!(s["favourited"], false);
        // The reader's own favourite.
        app.post_empty(
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&bob.token),
        )
        .await;
        let s = status(&home(bob.token.clone()).await, &id);
        assert_eq!(s["favourites_count"], 2);
        assert_eq!(s["favourited"], true);
        // Another reader sees the same counts and their own flag.
        let s = status(&home(alice.token.clone()).await, &id);
        assert_eq!(s["favourites_count"], 2);
        assert_eq!(s["favourited"], false);

        // An edit.
        let edited = app
            .req(reqwest::Method::PUT, &format!("/api/v1/statuses/{id}"))
            .bearer_auth(&alice.token)
            .json(&serde_json::json!({"status": "first, edited"}))
            .send()
            .await
            .unwrap();
        assert_eq!(edited.status(), StatusCode::OK);
        let s = status(&home(bob.token.clone()).await, &id);
        assert_eq!(s["content"], "<p>first, edited</p>");
        assert!(s["edited_at"].is_string());

        // A profile change and the author's counters.
        let patched = app
            .req(
                reqwest::Method::PATCH,
                "/api/v1/accounts/update_credentials",
            )
            .bearer_auth(&alice.token)
            .json(&serde_json::json!({"display_name": "Alice A."}))
            .send()
            .await
            .unwrap();
        assert_eq!(patched.status(), StatusCode::OK);
        app.post_json(
            "/api/v1/statuses",
            Some(&alice.token),
            &serde_json::json!({"status": "second"}),
        )
        .await;
        app.run_jobs().await;
        let s = status(&home(bob.token.clone()).await, &id);
        assert_eq!(s["account"]["display_name"], "Alice A.");
        assert_eq!(s["account"]["statuses_count"], 2);

        // Inside a boost (read by someone who follows only the booster, so the boost is not
        // folded into the original already in the feed): the original's counts, and the
        // reader's flags on both levels.
        let dave = app.user("dave").await;
        app.post_empty(
            &format!("/api/v1/accounts/{}/follow", carol.account_id),
            Some(&dave.token),
        )
        .await;
        app.post_empty(
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&dave.token),
        )
        .await;
        let boost = json(
            app.post_empty(&format!("/api/v1/statuses/{id}/reblog"), Some(&carol.token))
                .await,
            StatusCode::OK,
        )
        .await;
        app.run_jobs().await;
        let boost_id = boost["id"].as_str().unwrap();
        let b = status(&home(dave.token.clone()).await, boost_id);
        assert_eq!(b["reblog"]["id"], id.as_str());
        assert_eq!(b["reblog"]["reblogs_count"], 1);
        assert_eq!(b["reblog"]["favourites_count"], 3);
        assert_eq!(b["reblog"]["favourited"], true);
        assert_eq!(b["favourited"], true);
        assert_eq!(b["account"]["username"], "carol");
        assert_eq!(b["reblog"]["account"]["display_name"], "Alice A.");
        // Both levels are complete `Status` objects.
        let keys = |v: &serde_json::Value| {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.retain(|k| k != "pinned");
            k.sort();
            k
        };
        assert_eq!(keys(&b), keys(&b["reblog"]));
        assert_eq!(keys(&b), keys(&s));

        // A deleted status disappears at once.
        let deleted = app
            .req(reqwest::Method::DELETE, &format!("/api/v1/statuses/{id}"))
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), StatusCode::OK);
        error(
            app.get(&format!("/api/v1/statuses/{id}"), Some(&bob.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let home_now = home(bob.token.clone()).await;
        assert!(
            home_now
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["id"] != id.as_str() && s["reblog"]["id"] != id.as_str())
        );
    })
    .await;
}

/// Home feeds are trimmed to their newest entries (Mastodon keeps 400); the timeline then
/// ends there, and other feeds keep theirs.
#[tokio::test]
async fn home_feeds_are_trimmed_to_their_newest_entries() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        follow(&app, aid(&bob), aid(&alice)).await;
        let mut posted = Vec::new();
        for i in 0..6 {
            posted.push(post(&app, aid(&alice), &format!("post {i}")).await);
        }
        posted.reverse();
        assert_eq!(home_ids(&app, &bob).await, posted);
        let removed = woolly::service::feeds::trim_home_feeds(&app.state.db, 4)
            .await
            .unwrap();
        // Two entries each from alice's and bob's feeds.
        assert_eq!(removed, 4);
        assert_eq!(home_ids(&app, &bob).await, posted[..4].to_vec());
        assert_eq!(home_ids(&app, &alice).await, posted[..4].to_vec());
        // Nothing more to trim; the statuses themselves remain.
        let again = woolly::service::feeds::trim_home_feeds(&app.state.db, 4)
            .await
            .unwrap();
        assert_eq!(again, 0);
        get_ok(
            &app,
            &format!("/api/v1/statuses/{}", posted[5]),
            Some(&bob.token),
        )
        .await;
    })
    .await;
}
