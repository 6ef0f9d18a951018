//! Filters v2 and v1: CRUD with shapes and bad input, and their application (`filtered`
//! results, `hide`) to timelines, threads, notifications and profiles, by context.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::timelines::support::*;

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

async fn create(app: &TestApp, user: &TestUser, body: Value) -> Value {
    json(
        app.post_json("/api/v2/filters", Some(&user.token), &body)
            .await,
        StatusCode::OK,
    )
    .await
}

fn by_id(list: &Value, id: i64) -> &Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"].as_str().and_then(|x| x.parse::<i64>().ok()) == Some(id))
        .unwrap_or_else(|| panic!("{id} missing from {list}"))
}

#[tokio::test]
async fn filters_v2_crud_with_keywords_and_statuses() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let v = create(
            &app,
            &alice,
            json!({ "title": "Spoilers", "context": ["home", "public"], "filter_action": "warn",
                    "keywords_attributes": [{ "keyword": "finale", "whole_word": true }, { "keyword": "ending" }] }),
        )
        .await;
        assert_shape("POST /api/v2/filters 200", &v);
        assert_eq!(v["context"], json!(["home", "public"]));
        assert_eq!(v["keywords"].as_array().unwrap().len(), 2);
        assert_eq!(v["expires_at"], Value::Null);
        let id = v["id"].as_str().unwrap().to_owned();
        // Form-encoded, Rails-style.
        let f = json(
            app.post_form(
                "/api/v2/filters",
                Some(&alice.token),
                &[("title", "Later"), ("context[]", "thread"), ("filter_action", "blur"),
                  ("expires_in", "3600"), ("keywords_attributes[0][keyword]", "x")],
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(f["filter_action"], "blur");
        assert!(f["expires_at"].is_string());

        let all = get_ok(&app, "/api/v2/filters", Some(&alice.token)).await;
        assert_eq!(all.as_array().unwrap().len(), 2);
        assert_eq!(get_ok(&app, "/api/v2/filters", Some(&bob.token)).await, json!([]));
        let one = get_ok(&app, &format!("/api/v2/filters/{id}"), Some(&alice.token)).await;
        assert_shape("GET /api/v2/filters/:id 200", &one);

        // Update: title, action, and keywords (change one, destroy one, add one).
        let kw: Vec<String> = one["keywords"].as_array().unwrap().iter().map(|k| k["id"].as_str().unwrap().to_owned()).collect();
        let u = json(
            send(&app, Method::PUT, &format!("/api/v2/filters/{id}"), &alice.token, &json!({
                "filter_action": "hide",
                "keywords_attributes": [
                    { "id": kw[0], "keyword": "season finale" },
                    { "id": kw[1], "_destroy": true },
                    { "keyword": "cliffhanger", "whole_word": false }
                ]
            })).await,
            StatusCode::OK,
        )
        .await;
        assert_shape("PUT /api/v2/filters/:id 200", &u);
        assert_eq!(u["title"], "Spoilers");
        assert_eq!(u["filter_action"], "hide");
        let words: Vec<&str> = u["keywords"].as_array().unwrap().iter().map(|k| k["keyword"].as_str().unwrap()).collect();
        assert_eq!(words, vec!["season finale", "cliffhanger"]);

        // Keywords endpoints.
        let k = json(
            app.post_json(&format!("/api/v2/filters/{id}/keywords"), Some(&alice.token), &json!({ "keyword": "spoiler", "whole_word": false })).await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /api/v2/filters/:id/keywords 200", &k);
        let kid = k["id"].as_str().unwrap().to_owned();
        let list = get_ok(&app, &format!("/api/v2/filters/{id}/keywords"), Some(&alice.token)).await;
        assert_shape("GET /api/v2/filters/:id/keywords 200", &list);
        assert_eq!(list.as_array().unwrap().len(), 3);
        let k2 = json(send(&app, Method::PUT, &format!("/api/v2/filters/keywords/{kid}"), &alice.token, &json!({ "whole_word": true })).await, StatusCode::OK).await;
        assert_eq!(k2["whole_word"], true);
        assert_eq!(get_ok(&app, &format!("/api/v2/filters/keywords/{kid}"), Some(&alice.token)).await["keyword"], "spoiler");
        error(app.get(&format!("/api/v2/filters/keywords/{kid}"), Some(&bob.token)).await, StatusCode::NOT_FOUND).await;
        let d = json(send(&app, Method::DELETE, &format!("/api/v2/filters/keywords/{kid}"), &alice.token, &json!({})).await, StatusCode::OK).await;
        assert_shape("DELETE /api/v2/filters/keywords/:id 200", &d);
        error(app.get(&format!("/api/v2/filters/keywords/{kid}"), Some(&alice.token)).await, StatusCode::NOT_FOUND).await;

        // Statuses endpoints.
        let status = post(&app, aid(&bob), "a post").await;
        let private = post_with(&app, aid(&bob), Post::new("hidden").vis("private")).await;
        let s = json(
            app.post_json(&format!("/api/v2/filters/{id}/statuses"), Some(&alice.token), &json!({ "status_id": status.to_string() })).await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /api/v2/filters/:id/statuses 200", &s);
        assert_eq!(s["status_id"], status.to_string());
        let sid = s["id"].as_str().unwrap().to_owned();
        let list = get_ok(&app, &format!("/api/v2/filters/{id}/statuses"), Some(&alice.token)).await;
        assert_shape("GET /api/v2/filters/:id/statuses 200", &list);
        let one = get_ok(&app, &format!("/api/v2/filters/statuses/{sid}"), Some(&alice.token)).await;
        assert_shape("GET /api/v2/filters/statuses/:id 200", &one);
        for bad in [json!({ "status_id": status.to_string() }), json!({ "status_id": private.to_string() }), json!({}), json!({ "status_id": "nope" })] {
            error(app.post_json(&format!("/api/v2/filters/{id}/statuses"), Some(&alice.token), &bad).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        error(app.get(&format!("/api/v2/filters/statuses/{sid}"), Some(&bob.token)).await, StatusCode::NOT_FOUND).await;
        let d = json(send(&app, Method::DELETE, &format!("/api/v2/filters/statuses/{sid}"), &alice.token, &json!({})).await, StatusCode::OK).await;
        assert_shape("DELETE /api/v2/filters/statuses/:id 200", &d);

        // Bad input.
        for body in [
            json!({ "context": ["home"] }),
            json!({ "title": "t" }),
            json!({ "title": "t", "context": ["everywhere"] }),
            json!({ "title": "t", "context": ["home"], "filter_action": "explode" }),
            json!({ "title": "t", "context": ["home"], "expires_in": -5 }),
            json!({ "title": "t", "context": ["home"], "keywords_attributes": [{ "keyword": " " }] }),
        ] {
            error(app.post_json("/api/v2/filters", Some(&alice.token), &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        error(
            app.post_json("/api/v2/filters", Some(&alice.token), &json!({ "title": "t", "context": ["home"], "expires_in": "soon" })).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        error(
            send(&app, Method::PUT, &format!("/api/v2/filters/{id}"), &alice.token, &json!({ "keywords_attributes": [{ "id": "1", "keyword": "x" }] })).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(app.post_json(&format!("/api/v2/filters/{id}/keywords"), Some(&alice.token), &json!({})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        // Others' and unknown filters; scopes.
        error(app.get(&format!("/api/v2/filters/{id}"), Some(&bob.token)).await, StatusCode::NOT_FOUND).await;
        error(send(&app, Method::DELETE, &format!("/api/v2/filters/{id}"), &bob.token, &json!({})).await, StatusCode::NOT_FOUND).await;
        error(app.get("/api/v2/filters/42", Some(&alice.token)).await, StatusCode::NOT_FOUND).await;
        error(app.get("/api/v2/filters", None).await, StatusCode::UNAUTHORIZED).await;
        let reader = app.user_with_scopes("reader", "read:filters").await;
        get_ok(&app, "/api/v2/filters", Some(&reader.token)).await;
        error(app.post_json("/api/v2/filters", Some(&reader.token), &json!({ "title": "t", "context": ["home"] })).await, StatusCode::FORBIDDEN).await;
        let other = app.user_with_scopes("other", "read:statuses").await;
        error(app.get("/api/v1/filters", Some(&other.token)).await, StatusCode::FORBIDDEN).await;

        let d = json(send(&app, Method::DELETE, &format!("/api/v2/filters/{id}"), &alice.token, &json!({})).await, StatusCode::OK).await;
        assert_shape("DELETE /api/v2/filters/:id 200", &d);
        error(app.get(&format!("/api/v2/filters/{id}"), Some(&alice.token)).await, StatusCode::NOT_FOUND).await;
    })
    .await;
}

#[tokio::test]
async fn filters_v1_map_onto_v2() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let v = json(
            app.post_json("/api/v1/filters", Some(&alice.token), &json!({ "phrase": "rust", "context": ["home", "thread"], "irreversible": true, "whole_word": false })).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["phrase"], "rust");
        assert_eq!(v["irreversible"], true);
        assert_eq!(v["whole_word"], false);
        assert_eq!(v["context"], json!(["home", "thread"]));
        let id = v["id"].as_str().unwrap().to_owned();
        let v2 = get_ok(&app, "/api/v2/filters", Some(&alice.token)).await;
        assert_eq!(v2[0]["title"], "rust");
        assert_eq!(v2[0]["filter_action"], "hide");
        assert_eq!(v2[0]["keywords"][0]["id"], id.as_str());
        assert_eq!(get_ok(&app, "/api/v1/filters", Some(&alice.token)).await.as_array().unwrap().len(), 1);
        assert_eq!(get_ok(&app, &format!("/api/v1/filters/{id}"), Some(&alice.token)).await["phrase"], "rust");
        let u = json(
            send(&app, Method::PUT, &format!("/api/v1/filters/{id}"), &alice.token, &json!({ "phrase": "Rust lang", "irreversible": false, "expires_in": 60 })).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(u["phrase"], "Rust lang");
        assert_eq!(u["irreversible"], false);
        assert!(u["expires_at"].is_string());
        error(app.post_json("/api/v1/filters", Some(&alice.token), &json!({ "context": ["home"] })).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        error(app.post_json("/api/v1/filters", Some(&alice.token), &json!({ "phrase": "x" })).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        error(app.get("/api/v1/filters/77", Some(&alice.token)).await, StatusCode::NOT_FOUND).await;
        json(send(&app, Method::DELETE, &format!("/api/v1/filters/{id}"), &alice.token, &json!({})).await, StatusCode::OK).await;
        assert_eq!(get_ok(&app, "/api/v1/filters", Some(&alice.token)).await, json!([]));
        assert_eq!(get_ok(&app, "/api/v2/filters", Some(&alice.token)).await, json!([]));
    })
    .await;
}

#[tokio::test]
async fn filters_apply_by_context_everywhere() {
    each_backend(|app| async move {
        let reader = app.user("reader").await;
        let author = app.user("author").await;
        follow(&app, aid(&reader), aid(&author)).await;
        let warn = create(&app, &reader, json!({ "title": "Food", "context": ["home", "public", "account", "thread"],
            "keywords_attributes": [{ "keyword": "pizza", "whole_word": true }] })).await;
        create(&app, &reader, json!({ "title": "Gone", "context": ["home", "notifications", "thread"], "filter_action": "hide",
            "keywords_attributes": [{ "keyword": "politics", "whole_word": false }] })).await;
        let pizza = post(&app, aid(&author), "I ate PIZZA today").await;
        let pizzas = post(&app, aid(&author), "pizzas are fine (not a whole word)").await;
        let politics = post_with(&app, aid(&author), Post::new("geopolitics talk").mention(aid(&reader))).await;
        exec(&app, "UPDATE statuses SET spoiler_text = 'pizza inside' WHERE id = $1", &[pizzas]).await;
        let plain = post(&app, aid(&author), "nothing to see").await;
        let stranger = app.user("stranger").await;
        let stranger_pizza = post(&app, aid(&stranger), "Pizza party").await;
        let boost = boost(&app, aid(&author), stranger_pizza).await;
        exec(&app,
             "INSERT INTO notifications (id, account_id, from_account_id, type, status_id, activity_id, created_at) VALUES ($1, $2, $3, 'mention', $4, $4, 1)",
             &[woolly::id::next_id(), aid(&reader), aid(&author), politics]).await;

        let home = get_ok(&app, "/api/v1/timelines/home", Some(&reader.token)).await;
        assert_eq!(ids(&home), vec![boost, plain, pizzas, pizza], "hide filters drop statuses");
        let p = by_id(&home, pizza);
        assert_eq!(p["filtered"][0]["filter"]["id"], warn["id"]);
        assert_eq!(p["filtered"][0]["filter"]["title"], "Food");
        assert!(p["filtered"][0]["filter"].get("keywords").is_none());
        assert_eq!(p["filtered"][0]["keyword_matches"], json!(["PIZZA"]));
        assert!(p["filtered"][0]["status_matches"].is_null());
        assert_eq!(by_id(&home, pizzas)["filtered"][0]["keyword_matches"], json!(["pizza"]), "the CW is matched");
        assert_eq!(by_id(&home, plain)["filtered"], json!([]));
        let b = by_id(&home, boost);
        assert_eq!(b["filtered"][0]["keyword_matches"], json!(["Pizza"]), "boosts are matched on the original");
        assert_eq!(b["reblog"]["filtered"][0]["keyword_matches"], json!(["Pizza"]));

        // Public: the warn filter applies, the hide one (no public context) does not.
        let public = get_ok(&app, "/api/v1/timelines/public", Some(&reader.token)).await;
        assert!(ids(&public).contains(&politics));
        assert_eq!(by_id(&public, politics)["filtered"], json!([]));
        assert_eq!(by_id(&public, pizza)["filtered"][0]["keyword_matches"], json!(["PIZZA"]));
        // Anonymous readers get no `filtered`.
        let anon = get_ok(&app, "/api/v1/timelines/public", None).await;
        assert!(by_id(&anon, pizza).get("filtered").is_none());
        // Profile (account context) and thread.
        let profile = get_ok(&app, &format!("/api/v1/accounts/{}/statuses", author.account_id), Some(&reader.token)).await;
        assert_eq!(by_id(&profile, pizza)["filtered"][0]["filter"]["title"], "Food");
        assert!(ids(&profile).contains(&politics), "no account context on the hide filter");
        let reply = post_with(&app, aid(&author), Post::new("more pizza").reply(plain)).await;
        let hidden_reply = post_with(&app, aid(&author), Post::new("politics again").reply(plain)).await;
        let ctx = get_ok(&app, &format!("/api/v1/statuses/{plain}/context"), Some(&reader.token)).await;
        let desc = &ctx["descendants"];
        assert_eq!(ids(desc), vec![reply]);
        assert!(!ids(desc).contains(&hidden_reply));
        assert_eq!(desc[0]["filtered"][0]["keyword_matches"], json!(["pizza"]));
        // Notifications: the mention about a hidden status is left out.
        let notes = get_ok(&app, "/api/v1/notifications", Some(&reader.token)).await;
        assert_eq!(notes, json!([]));
        let grouped = get_ok(&app, "/api/v2/notifications", Some(&reader.token)).await;
        assert_eq!(grouped["notification_groups"], json!([]));
        // The author's own view is never filtered by the reader's filters.
        let own = get_ok(&app, "/api/v1/timelines/home", Some(&author.token)).await;
        assert_eq!(by_id(&own, pizza)["filtered"], json!([]));

        // A status filter matches the status and boosts of it; an expired filter nothing.
        let sf = create(&app, &reader, json!({ "title": "This one", "context": ["home"] })).await;
        json(app.post_json(&format!("/api/v2/filters/{}/statuses", sf["id"].as_str().unwrap()), Some(&reader.token), &json!({ "status_id": plain.to_string() })).await, StatusCode::OK).await;
        let home = get_ok(&app, "/api/v1/timelines/home", Some(&reader.token)).await;
        assert_eq!(by_id(&home, plain)["filtered"][0]["status_matches"], json!([plain.to_string()]));
        exec(&app, "UPDATE filters SET expires_at = 1 WHERE account_id = $1", &[aid(&reader)]).await;
        let home = get_ok(&app, "/api/v1/timelines/home", Some(&reader.token)).await;
        assert!(ids(&home).contains(&politics));
        assert!(home.as_array().unwrap().iter().all(|s| s["filtered"] == json!([])));
        // The cached rendering never carries one reader's results to another.
        let other = app.user("other").await;
        let public = get_ok(&app, "/api/v1/timelines/public", Some(&other.token)).await;
        assert!(public.as_array().unwrap().iter().all(|s| s["filtered"] == json!([])));
    })
    .await;
}
