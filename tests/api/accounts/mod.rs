//! Accounts API: credentials, profiles, statuses, the social graph and relationships.

mod actions;
mod credentials;
mod graph;
mod profiles;
mod statuses;
mod support;
