//! Integration tests: a real server over HTTP, on SQLite and (when configured) PostgreSQL.
//! One test binary, so the crate links once.

mod accounts;
mod cli;
mod common;
mod oauth;
mod registration;
mod smoke;
mod statuses;
