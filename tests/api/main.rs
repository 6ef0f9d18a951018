//! Integration tests: a real server over HTTP, on SQLite and (when configured) PostgreSQL.
//! One test binary, so the crate links once.

mod accounts;
mod cards;
mod cli;
mod clients;
mod common;
mod conversations;
mod endorsements;
mod featured_tags;
mod federation;
mod filters;
mod followed_tags;
mod instance;
mod journey;
mod lists;
mod mailsink;
mod media;
mod notifications;
mod oauth;
mod registration;
mod search;
mod smoke;
mod startup;
mod statuses;
mod streaming;
mod timelines;
