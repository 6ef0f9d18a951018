//! `GET /api/v1/statuses/:id/context`.

use reqwest::StatusCode;
use serde_json::Value;

use super::*;

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn context(app: &TestApp, id: &str, token: Option<&str>) -> (Vec<String>, Vec<String>) {
    let (code, v) = get_json(app, &format!("/api/v1/statuses/{id}/context"), token).await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_shape("GET /api/v1/statuses/:id/context 200", &v);
    (ids(&v["ancestors"]), ids(&v["descendants"]))
}

#[tokio::test]
async fn context_orders_the_tree_and_filters_it() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let carol = member(&app, "carol").await;
        let dave = member(&app, "dave").await;
        follow(&app, &dave, &bob, false).await;
        let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
        let root = id(&say(&app, &alice, "root").await);
        let a = id(&reply(&app, &bob, &root, "a", "public").await);
        let b = id(&reply(&app, &alice, &root, "b (self)", "public").await);
        let a1 = id(&reply(&app, &carol, &a, "a1", "unlisted").await);
        let b1 = id(&reply(&app, &alice, &b, "b1 (self)", "public").await);
        let c = id(&reply(&app, &bob, &root, "c (followers of bob)", "private").await);

        // Self-replies are promoted; the rest is depth-first in posting order.
        let (anc, desc) = context(&app, &root, None).await;
        assert!(anc.is_empty());
        assert_eq!(desc, vec![b.clone(), b1.clone(), a.clone(), a1.clone()]);
        let (_, desc) = context(&app, &root, Some(&dave.token)).await;
        assert_eq!(
            desc,
            vec![b.clone(), b1.clone(), a.clone(), a1.clone(), c.clone()]
        );
        let (_, desc) = context(&app, &root, Some(&bob.token)).await;
        assert_eq!(desc.len(), 5);

        let (anc, desc) = context(&app, &a1, None).await;
        assert_eq!(anc, vec![root.clone(), a.clone()]);
        assert!(desc.is_empty());
        let (anc, _) = context(&app, &b1, Some(&carol.token)).await;
        assert_eq!(anc, vec![root.clone(), b.clone()]);

        // Muted and blocked authors are left out of the viewer's thread.
        mute(&app, &alice, &carol).await;
        block(&app, &alice, &bob).await;
        let (_, desc) = context(&app, &root, Some(&alice.token)).await;
        assert_eq!(desc, vec![b.clone(), b1.clone()]);

        // The invisible status itself is a 404.
        for (path, token) in [
            (format!("/api/v1/statuses/{c}/context"), None),
            ("/api/v1/statuses/1/context".to_owned(), None),
        ] {
            error(app.get(&path, token).await, StatusCode::NOT_FOUND).await;
        }
    })
    .await;
}

#[tokio::test]
async fn context_limits_for_anonymous_viewers() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let root = say(&app, &alice, "root").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut chain = vec![root.clone()];
        for i in 0..45 {
            let parent = chain.last().unwrap().clone();
            chain.push(
                reply(&app, &alice, &parent, &format!("{i}"), "public").await["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        let last = chain.last().unwrap().clone();
        let (anc, _) = context(&app, &last, None).await;
        assert_eq!(anc.len(), 40);
        assert_eq!(anc, chain[5..45].to_vec(), "the nearest 40, oldest first");
        let (anc, _) = context(&app, &last, Some(&alice.token)).await;
        assert_eq!(anc, chain[..45].to_vec());
        let (_, desc) = context(&app, &root, None).await;
        assert_eq!(desc, chain[1..21].to_vec(), "20 levels deep");
        let (_, desc) = context(&app, &root, Some(&alice.token)).await;
        assert_eq!(desc.len(), 45);

        let wide = say(&app, &alice, "wide").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut replies = Vec::new();
        for i in 0..62 {
            replies.push(
                reply(&app, &alice, &wide, &format!("r{i}"), "public").await["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        let (_, desc) = context(&app, &wide, None).await;
        assert_eq!(desc, replies[..60].to_vec());
        let (_, desc) = context(&app, &wide, Some(&alice.token)).await;
        assert_eq!(desc.len(), 62);
    })
    .await;
}
