//! The `woolly` binary: logging set-up, then the command line in [`woolly::cli`].

use tracing_subscriber::EnvFilter;

/// mimalloc instead of glibc malloc: glibc's arenas showed up as ~10% of CPU (lock contention
/// and consolidation) under the timeline benchmark. The crate's `override` feature also routes
/// C code's `malloc` (SQLite copies every column value it hands to sqlx) to mimalloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filter = EnvFilter::try_from_env("WOOLLY_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = std::env::var("WOOLLY_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
    match woolly::cli::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
