//! Lists: CRUD, members (only followed accounts), the list timeline materialised on write
//! with `replies_policy` and `exclusive`, and removal on member removal and unfollow.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::timelines::support::*;

async fn create_list(app: &TestApp, user: &TestUser, body: Value) -> Value {
    json(
        app.post_json("/api/v1/lists", Some(&user.token), &body)
            .await,
        StatusCode::OK,
    )
    .await
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: &Value,
) -> reqwest::Response {
    app.req(method, path)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn list_ids(app: &TestApp, user: &TestUser, list: &str) -> Vec<i64> {
    ids(&get_ok(
        app,
        &format!("/api/v1/timelines/list/{list}"),
        Some(&user.token),
    )
    .await)
}

async fn add(
    app: &TestApp,
    user: &TestUser,
    list: &str,
    accounts: &[&TestUser],
) -> reqwest::Response {
    let ids: Vec<&str> = accounts.iter().map(|a| a.account_id.as_str()).collect();
    app.post_json(
        &format!("/api/v1/lists/{list}/accounts"),
        Some(&user.token),
        &json!({ "account_ids": ids }),
    )
    .await
}

#[tokio::test]
async fn lists_are_created_edited_and_deleted() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let v = create_list(&app, &alice, json!({ "title": "Friends" })).await;
        assert_shape("POST /api/v1/lists 200", &v);
        assert_eq!(v["title"], "Friends");
        assert_eq!(v["replies_policy"], "list");
        assert_eq!(v["exclusive"], false);
        let id = v["id"].as_str().unwrap().to_owned();
        // Form bodies too, with every field.
        let w = json(
            app.post_form(
                "/api/v1/lists",
                Some(&alice.token),
                &[
                    ("title", "Work"),
                    ("replies_policy", "none"),
                    ("exclusive", "true"),
                ],
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(w["replies_policy"], "none");
        assert_eq!(w["exclusive"], true);

        let all = get_ok(&app, "/api/v1/lists", Some(&alice.token)).await;
        assert_shape("GET /api/v1/lists 200", &all);
        let titles: Vec<&str> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, vec!["Friends", "Work"]);
        assert_eq!(
            get_ok(&app, "/api/v1/lists", Some(&bob.token)).await,
            json!([])
        );
        let one = get_ok(&app, &format!("/api/v1/lists/{id}"), Some(&alice.token)).await;
        assert_shape("GET /api/v1/lists/:id 200", &one);

        let u = json(
            send(
                &app,
                Method::PUT,
                &format!("/api/v1/lists/{id}"),
                &alice.token,
                &json!({ "replies_policy": "followed", "exclusive": true }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("PUT /api/v1/lists/:id 200", &u);
        assert_eq!(u["title"], "Friends");
        assert_eq!(u["replies_policy"], "followed");
        assert_eq!(u["exclusive"], true);

        // Bad input.
        for body in [
            json!({}),
            json!({ "title": "  " }),
            json!({ "title": "x", "replies_policy": "all" }),
        ] {
            error(
                app.post_json("/api/v1/lists", Some(&alice.token), &body)
                    .await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        error(
            send(
                &app,
                Method::PUT,
                &format!("/api/v1/lists/{id}"),
                &alice.token,
                &json!({ "title": "" }),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        error(
            app.post_json(
                "/api/v1/lists",
                Some(&alice.token),
                &json!({ "title": "x", "exclusive": "maybe" }),
            )
            .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        // Someone else's list, unknown and malformed ids are 404.
        for path in [
            format!("/api/v1/lists/{id}"),
            "/api/v1/lists/123".into(),
            "/api/v1/lists/abc".into(),
        ] {
            error(
                app.get(&path, Some(&bob.token)).await,
                StatusCode::NOT_FOUND,
            )
            .await;
        }
        error(
            send(
                &app,
                Method::PUT,
                &format!("/api/v1/lists/{id}"),
                &bob.token,
                &json!({ "title": "mine" }),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            send(
                &app,
                Method::DELETE,
                &format!("/api/v1/lists/{id}"),
                &bob.token,
                &json!({}),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        // Scopes.
        error(
            app.get("/api/v1/lists", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let reader = app.user_with_scopes("reader", "read:lists").await;
        get_ok(&app, "/api/v1/lists", Some(&reader.token)).await;
        error(
            app.post_json(
                "/api/v1/lists",
                Some(&reader.token),
                &json!({ "title": "x" }),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let writer = app.user_with_scopes("writer", "write:statuses").await;
        error(
            app.get("/api/v1/lists", Some(&writer.token)).await,
            StatusCode::FORBIDDEN,
        )
        .await;

        let d = json(
            send(
                &app,
                Method::DELETE,
                &format!("/api/v1/lists/{id}"),
                &alice.token,
                &json!({}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("DELETE /api/v1/lists/:id 200", &d);
        error(
            app.get(&format!("/api/v1/lists/{id}"), Some(&alice.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(
            get_ok(&app, "/api/v1/lists", Some(&alice.token))
                .await
                .as_array()
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn an_account_has_at_most_fifty_lists() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        for i in 0..50 {
            create_list(&app, &alice, json!({ "title": format!("l{i}") })).await;
        }
        error(
            app.post_json(
                "/api/v1/lists",
                Some(&alice.token),
                &json!({ "title": "one more" }),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn only_followed_accounts_become_members() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let dave = app.user("dave").await;
        follow(&app, aid(&alice), aid(&bob)).await;
        follow(&app, aid(&alice), aid(&carol)).await;
        post(&app, aid(&bob), "hi").await;
        post(&app, aid(&carol), "hi").await;
        let list = create_list(&app, &alice, json!({ "title": "Friends" })).await;
        let id = list["id"].as_str().unwrap().to_owned();
        let members = format!("/api/v1/lists/{id}/accounts");

        // Not followed, unknown, malformed: 404, and nothing is added.
        error(
            add(&app, &alice, &id, &[&bob, &dave]).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            app.post_json(
                &members,
                Some(&alice.token),
                &json!({ "account_ids": ["999"] }),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            app.post_json(
                &members,
                Some(&alice.token),
                &json!({ "account_ids": ["x"] }),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(get_ok(&app, &members, Some(&alice.token)).await, json!([]));

        let v = json(add(&app, &alice, &id, &[&bob]).await, StatusCode::OK).await;
        assert_shape("POST /api/v1/lists/:id/accounts 200", &v);
        let v = json(
            app.post_form(
                &members,
                Some(&alice.token),
                &[("account_ids[]", carol.account_id.as_str())],
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v, json!({}));
        // Twice: 422.
        error(
            add(&app, &alice, &id, &[&bob]).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

        let v = get_ok(&app, &members, Some(&alice.token)).await;
        assert_shape("GET /api/v1/lists/:id/accounts 200", &v);
        assert_eq!(ids(&v), vec![aid(&carol), aid(&bob)]);
        // Pagination by membership, and limit=0 for all.
        let resp = app
            .get(&format!("{members}?limit=1"), Some(&alice.token))
            .await;
        let next = link(&resp, &app.url, "next").expect("next link");
        assert_eq!(ids(&json(resp, StatusCode::OK).await), vec![aid(&carol)]);
        assert_eq!(
            ids(&get_ok(&app, &next, Some(&alice.token)).await),
            vec![aid(&bob)]
        );
        assert_eq!(
            ids(&get_ok(&app, &format!("{members}?limit=0"), Some(&alice.token)).await).len(),
            2
        );

        let v = get_ok(
            &app,
            &format!("/api/v1/accounts/{}/lists", bob.account_id),
            Some(&alice.token),
        )
        .await;
        assert_shape("GET /api/v1/accounts/:id/lists 200", &v);
        assert_eq!(v[0]["id"], list["id"]);
        assert_eq!(
            get_ok(
                &app,
                &format!("/api/v1/accounts/{}/lists", dave.account_id),
                Some(&alice.token)
            )
            .await,
            json!([])
        );
        assert_eq!(
            get_ok(
                &app,
                &format!("/api/v1/accounts/{}/lists", bob.account_id),
                Some(&bob.token)
            )
            .await,
            json!([])
        );
        error(
            app.get("/api/v1/accounts/999/lists", Some(&alice.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;

        // Someone else's list.
        error(add(&app, &bob, &id, &[&carol]).await, StatusCode::NOT_FOUND).await;
        error(
            app.get(&members, Some(&bob.token)).await,
            StatusCode::NOT_FOUND,
        )
        .await;

        let resp = app
            .req(
                Method::DELETE,
                &format!(
                    "{members}?account_ids[]={}&account_ids[]={}",
                    bob.account_id, dave.account_id
                ),
            )
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        assert_shape(
            "DELETE /api/v1/lists/:id/accounts 200",
            &json(resp, StatusCode::OK).await,
        );
        assert_eq!(
            ids(&get_ok(&app, &members, Some(&alice.token)).await),
            vec![aid(&carol)]
        );
        // Unfollowing removes the membership.
        json(
            app.post_empty(
                &format!("/api/v1/accounts/{}/unfollow", carol.account_id),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(get_ok(&app, &members, Some(&alice.token)).await, json!([]));
    })
    .await;
}

#[tokio::test]
async fn list_timelines_are_fanned_out_with_replies_policy() {
    each_backend(|app| async move {
        let owner = app.user("olivia").await;
        let member = app.user("member").await;
        let other = app.user("other").await;
        let stranger = app.user("stranger").await;
        follow(&app, aid(&owner), aid(&member)).await;
        follow(&app, aid(&owner), aid(&other)).await;
        // Posted before the member is added: merged when added.
        let early = post(&app, aid(&member), "early").await;
        let direct = post_with(
            &app,
            aid(&member),
            Post::new("dm").vis("direct").mention(aid(&owner)),
        )
        .await;
        let policies = ["list", "followed", "none"];
        let mut lists = Vec::new();
        for p in policies {
            let l = create_list(&app, &owner, json!({ "title": p, "replies_policy": p })).await;
            let id = l["id"].as_str().unwrap().to_owned();
            json(add(&app, &owner, &id, &[&member]).await, StatusCode::OK).await;
            lists.push(id);
        }
        for l in &lists {
            assert_eq!(
                list_ids(&app, &owner, l).await,
                vec![early],
                "merged on add; no direct"
            );
        }
        let page = get_ok(
            &app,
            &format!("/api/v1/timelines/list/{}", lists[0]),
            Some(&owner.token),
        )
        .await;
        assert_shape("GET /api/v1/timelines/list/:id 200", &page);
        let other_post = post(&app, aid(&other), "other").await;
        let stranger_post = post(&app, aid(&stranger), "stranger").await;
        let owner_post = post(&app, aid(&owner), "owner").await;
        let to_owner = post_with(&app, aid(&member), Post::new("to owner").reply(owner_post)).await;
        let to_other = post_with(&app, aid(&member), Post::new("to other").reply(other_post)).await;
        let to_stranger = post_with(
            &app,
            aid(&member),
            Post::new("to stranger").reply(stranger_post),
        )
        .await;
        let own_thread = post_with(&app, aid(&member), Post::new("thread").reply(early)).await;
        let boost_of_other = boost(&app, aid(&member), other_post).await;
        // list: replies to the owner and to members only (`other` is not a member).
        assert_eq!(
            list_ids(&app, &owner, &lists[0]).await,
            vec![boost_of_other, own_thread, to_owner, early]
        );
        // followed: replies to anyone the owner follows.
        assert_eq!(
            list_ids(&app, &owner, &lists[1]).await,
            vec![boost_of_other, own_thread, to_other, to_owner, early]
        );
        // none: replies to the owner only.
        assert_eq!(
            list_ids(&app, &owner, &lists[2]).await,
            vec![boost_of_other, own_thread, to_owner, early]
        );
        assert!(
            !list_ids(&app, &owner, &lists[1])
                .await
                .contains(&to_stranger)
        );
        assert!(!list_ids(&app, &owner, &lists[0]).await.contains(&direct));

        // Adding `other` to the `list` list lets replies to them in from now on.
        json(
            add(&app, &owner, &lists[0], &[&other]).await,
            StatusCode::OK,
        )
        .await;
        let to_other2 = post_with(
            &app,
            aid(&member),
            Post::new("to other again").reply(other_post),
        )
        .await;
        let l0 = list_ids(&app, &owner, &lists[0]).await;
        assert_eq!(l0[0], to_other2);
        assert!(
            l0.contains(&other_post),
            "the new member's posts are merged"
        );

        // Pagination and someone else's list.
        let resp = app
            .get(
                &format!("/api/v1/timelines/list/{}?limit=2", lists[1]),
                Some(&owner.token),
            )
            .await;
        let next = link(&resp, &app.url, "next").expect("next");
        assert_eq!(
            ids(&json(resp, StatusCode::OK).await),
            vec![to_other2, boost_of_other]
        );
        assert_eq!(
            ids(&get_ok(&app, &next, Some(&owner.token)).await),
            vec![own_thread, to_other]
        );
        error(
            app.get(
                &format!("/api/v1/timelines/list/{}", lists[0]),
                Some(&member.token),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            app.get("/api/v1/timelines/list/1", Some(&owner.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            app.get(&format!("/api/v1/timelines/list/{}", lists[0]), None)
                .await,
            StatusCode::UNAUTHORIZED,
        )
        .await;

        // A muted member is hidden on read.
        mute(&app, aid(&owner), aid(&member), false).await;
        assert_eq!(list_ids(&app, &owner, &lists[2]).await, Vec::<i64>::new());
        exec(
            &app,
            "DELETE FROM mutes WHERE account_id = $1",
            &[aid(&owner)],
        )
        .await;

        // Removing a member removes their entries; unfollowing does too.
        let resp = send(
            &app,
            Method::DELETE,
            &format!("/api/v1/lists/{}/accounts", lists[2]),
            &owner.token,
            &json!({ "account_ids": [member.account_id] }),
        )
        .await;
        json(resp, StatusCode::OK).await;
        assert_eq!(list_ids(&app, &owner, &lists[2]).await, Vec::<i64>::new());
        json(
            app.post_empty(
                &format!("/api/v1/accounts/{}/unfollow", member.account_id),
                Some(&owner.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(list_ids(&app, &owner, &lists[1]).await, Vec::<i64>::new());
        assert_eq!(list_ids(&app, &owner, &lists[0]).await, vec![other_post]);
        post(&app, aid(&member), "after unfollow").await;
        assert_eq!(list_ids(&app, &owner, &lists[0]).await, vec![other_post]);
    })
    .await;
}

#[tokio::test]
async fn exclusive_lists_keep_members_out_of_home() {
    each_backend(|app| async move {
        let owner = app.user("olivia").await;
        let member = app.user("member").await;
        let friend = app.user("friend").await;
        follow(&app, aid(&owner), aid(&member)).await;
        follow(&app, aid(&owner), aid(&friend)).await;
        let l = create_list(&app, &owner, json!({ "title": "quiet", "exclusive": true })).await;
        let id = l["id"].as_str().unwrap().to_owned();
        json(add(&app, &owner, &id, &[&member]).await, StatusCode::OK).await;
        let m = post(&app, aid(&member), "member").await;
        let f = post(&app, aid(&friend), "friend").await;
        let home = ids(&get_ok(&app, "/api/v1/timelines/home", Some(&owner.token)).await);
        assert_eq!(home, vec![f]);
        assert_eq!(list_ids(&app, &owner, &id).await, vec![m]);
        // Not exclusive any more: the member's new posts reach home again.
        json(
            send(
                &app,
                Method::PUT,
                &format!("/api/v1/lists/{id}"),
                &owner.token,
                &json!({ "exclusive": false }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let m2 = post(&app, aid(&member), "member again").await;
        let home = ids(&get_ok(&app, "/api/v1/timelines/home", Some(&owner.token)).await);
        assert_eq!(home, vec![m2, f]);
        // Deleting the list deletes its feed.
        json(
            send(
                &app,
                Method::DELETE,
                &format!("/api/v1/lists/{id}"),
                &owner.token,
                &json!({}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let mut h = app.state.db.read().await.unwrap();
        let left = woolly::db::timelines::list_feed::page(
            h.conn(),
            id.parse().unwrap(),
            aid(&owner),
            woolly::time::now_ms(),
            &woolly::db::timelines::Page {
                limit: 40,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(left.is_empty());
    })
    .await;
}
