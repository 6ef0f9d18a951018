//! Business logic ("processing"): what an action means, independent of HTTP. Services take
//! the shared state or a connection, validate, write in one transaction, enqueue follow-up
//! jobs, and return domain rows; the API layer renders them.

pub mod accounts;
pub mod cards;
pub mod conversations;
pub mod domain_blocks;
pub mod endorsements;
pub mod featured_tags;
pub mod federate;
pub mod federation;
pub mod feeds;
pub mod filters;
pub mod follows;
pub mod hydrate;
pub mod instance_actor;
pub mod lists;
pub mod live;
pub mod locate;
pub mod mail;
pub mod media;
pub mod notify;
pub mod oauth;
pub mod polls;
pub mod profile;
pub mod relationships;
pub mod search;
pub mod statuses;
pub mod stream_filter;
pub mod tags;
pub mod text;
