//! Federation with other ActivityPub servers, without HTTP-framework code (the axum edge is
//! `crate::activitypub`).
//!
//! - [`client`]: the one outbound HTTP client. Every remote request goes through it: it
//!   refuses special-purpose addresses (checked on the resolved addresses it connects to and
//!   on IP literals, again on every redirect), caps bodies at 1 MiB and requests at 30 s,
//!   and signs ActivityPub fetches and deliveries.
//! - [`address`]: which IP addresses are globally reachable (the IANA special-purpose
//!   registries).
//! - [`signature`] and [`keys`]: HTTP signatures, draft-cavage (what Mastodon sends and
//!   expects) and RFC 9421, over RSA keys in PEM.
//! - [`sanitize`]: remote HTML reduced to Mastodon's allow-list.
//! - [`render`]: local accounts and statuses as ActivityPub documents, as Mastodon renders
//!   them.
//! - [`vocab`]: tolerant reading of ActivityStreams JSON, origins, addressing → visibility.
//! - [`resolve`]: remote actors, keys (cached in their rows), WebFinger and objects, fetched
//!   from their origin; [`key_failures`]: the negative cache of failed key fetches.
//! - [`inbox`]: processing received activities, one module per kind.
//! - [`outbox`] and [`delivery`]: activities of local accounts queued in the action's
//!   transaction, expanded into per-inbox deliveries, and sent by the delivery workers with
//!   retries (see ARCHITECTURE.md, "How a delivery flows").
//! - [`prune`]: hourly removal of old received activities and remembered deletions.

pub mod address;
pub mod client;
pub mod delivery;
pub mod inbox;
pub mod key_failures;
pub mod keys;
pub mod outbox;
pub mod prune;
pub mod render;
pub mod resolve;
pub mod sanitize;
pub mod signature;
pub mod vocab;
