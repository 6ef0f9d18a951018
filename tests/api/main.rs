//! Integration tests: a real server over HTTP, on SQLite and (when configured) PostgreSQL.
//! One test binary, so the crate links once.

mod common;
mod smoke;
mod statuses;
