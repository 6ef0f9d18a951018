//! Woolly: a federated microblogging server with a Mastodon-compatible client API, in one
//! binary, on SQLite or PostgreSQL.
//!
//! Layers, from the edge inwards (see ARCHITECTURE.md):
//! - [`api`] and [`web`]: HTTP (axum). Parse, authenticate, call services, render entities.
//! - [`activitypub`]: the federation HTTP edge (axum): WebFinger, host-meta, and the
//!   content-negotiated ActivityPub documents and public pages.
//! - [`federation`]: ActivityPub without HTTP handlers: outbound HTTP, HTTP signatures,
//!   remote-HTML sanitizing, rendering local rows as documents.
//! - [`service`]: business rules; one transaction per action; enqueue jobs.
//! - [`db`]: all SQL, written once for both engines.
//! - [`media`]: media files without HTTP or SQL: the store, sniffing, image processing.
//! - [`jobs`]: durable background work (fan-out, federation, media processing).

pub mod activitypub;
pub mod api;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod federation;
pub mod id;
pub mod jobs;
pub mod media;
pub mod server;
pub mod service;
pub mod state;
pub mod streaming;
pub mod time;
pub mod web;
