//! Running the server: open the database, migrate, start job and delivery workers, serve HTTP until
//! SIGINT/SIGTERM, then let in-flight requests finish.

use std::net::SocketAddr;

use anyhow::Context;
use axum::ServiceExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

use crate::config::Config;
use crate::db::{Db, DbOptions};
use crate::state::AppState;

/// Opens the configured database with the configured options.
pub async fn open_db(config: &Config) -> anyhow::Result<Db> {
    let opts = DbOptions {
        sqlite_synchronous: config.sqlite_synchronous.clone(),
        sqlite_mmap_mb: config.sqlite_mmap_mb,
        ..DbOptions::default()
    };
    Db::connect(&config.database_url, &opts).await
}

/// A running server (used by `woolly serve` and by the tests).
pub struct Running {
    /// The bound address.
    pub addr: SocketAddr,
    /// The shared state.
    pub state: AppState,
    /// Cancel to shut down.
    pub shutdown: CancellationToken,
    /// Completes when the HTTP server and the workers have stopped.
    pub handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Starts serving `state` on `listener` with `workers` job workers.
pub fn start(state: AppState, listener: TcpListener, workers: usize) -> anyhow::Result<Running> {
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    // Rails (and so Mastodon) routes ignore a trailing slash, and clients rely on it
    // (Mastodon.py asks for `/api/v2/instance/`). Normalise before routing.
    let app = NormalizePathLayer::trim_trailing_slash().layer(crate::api::router(state.clone()));
    let token = shutdown.clone();
    let db = state.db.clone();
    let st = state.clone();
    let handle = tokio::spawn(async move {
        // The event bus first (connections wait in the listener's backlog meanwhile), so
        // that nothing the workers or requests raise is lost.
        let bus_url = Some(st.config.bus_url.as_str()).filter(|u| !u.is_empty());
        let (bus, events) = crate::streaming::bus::connect(bus_url, &st.domain, token.clone())
            .await
            .context("connecting the event bus (WOOLLY_BUS_URL)")?;
        st.set_bus(bus);
        let mut worker_handles = crate::jobs::spawn_workers(st.clone(), workers, token.clone());
        worker_handles.push(crate::federation::delivery::spawn(
            st.clone(),
            token.clone(),
        ));
        worker_handles.push(crate::federation::prune::spawn(st.clone(), token.clone()));
        worker_handles.push(crate::service::feeds::spawn(st.clone(), token.clone()));
        worker_handles.push(crate::service::media::cleanup::spawn(
            st.clone(),
            token.clone(),
        ));
        worker_handles.push(crate::api::streaming::dispatch::spawn(
            st.clone(),
            events,
            token.clone(),
        ));
        worker_handles.push(crate::api::streaming::dispatch::spawn_recheck(
            st.clone(),
            token.clone(),
        ));
        let serve_token = token.clone();
        axum::serve(
            listener,
            ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<SocketAddr>(
                app,
            ),
        )
        .with_graceful_shutdown(async move { serve_token.cancelled().await })
        .await
        .context("HTTP server")?;
        for h in worker_handles {
            let _ = h.await;
        }
        db.close().await;
        Ok(())
    });
    Ok(Running {
        addr,
        state,
        shutdown,
        handle,
    })
}

/// `woolly serve`.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let db = open_db(&config).await?;
    db.migrate().await?;
    crate::service::instance_actor::ensure(&db).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    tracing::info!(url = %config.url, listen = %config.listen, backend = ?db.backend(), "Woolly is listening");
    let running = start(AppState::new(config, db), listener, 2)?;
    let token = running.shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        token.cancel();
    });
    running.handle.await??;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
