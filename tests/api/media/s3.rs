//! The S3 backend of the media store, against the S3-compatible server named by
//! `WOOLLY_TEST_S3_URL` (CI starts `moto_server`); skipped, and said so, without it.

use reqwest::{Method, StatusCode};

use super::*;
use woolly::media::store::Key;

fn s3_url() -> Option<String> {
    let url = std::env::var("WOOLLY_TEST_S3_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("NOTE: WOOLLY_TEST_S3_URL is not set; the S3 media store test is skipped.");
    }
    url
}

#[tokio::test]
async fn media_live_in_an_s3_bucket() {
    let Some(endpoint) = s3_url() else { return };
    let endpoint = endpoint.trim_end_matches('/').to_owned();
    let bucket = format!("woolly-{}", woolly::id::next_id());
    // moto accepts unsigned bucket creation.
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "creating the bucket: {}",
        r.status()
    );
    let (e, b) = (endpoint.clone(), bucket.clone());
    each_backend_with(
        move |c| {
            c.media_storage = "s3".into();
            c.s3_endpoint = e.clone();
            c.s3_bucket = b.clone();
            c.s3_access_key_id = "test".into();
            c.s3_secret_access_key = "test".into();
        },
        |app| {
            async move {
                let alice = app.user("alice").await;
                let m = upload_ready(&app, &alice.token, jpeg(320, 200), "image/jpeg").await;
                let url = m["url"].as_str().unwrap();
                // Served by Woolly from the bucket, with the same headers as from disk.
                let file = fetch(&app, url).await;
                assert_eq!(file.status(), StatusCode::OK);
                assert_eq!(file.headers()["content-type"], "image/jpeg");
                assert_eq!(file.headers()["x-content-type-options"], "nosniff");
                let served = file.bytes().await.unwrap();
                // And really in the bucket (read with the server's credentials).
                let key = Key::parse(url.split("/system/").nth(1).unwrap()).unwrap();
                let store = app.state.media().unwrap();
                assert_eq!(store.get(&key).await.unwrap(), served);
                // Nothing on the local disk.
                assert!(stored_files(&app).is_empty());

                let r = app
                    .req(
                        Method::DELETE,
                        &format!("/api/v1/media/{}", m["id"].as_str().unwrap()),
                    )
                    .bearer_auth(&alice.token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                app.run_jobs().await;
                let gone = store.get(&key).await.unwrap_err();
                assert!(gone.is_not_found(), "{gone}");
            }
        },
    )
    .await;
}
