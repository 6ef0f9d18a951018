//! The streaming API over real connections: WebSocket (multiplexed subscriptions, the three
//! ways to pass the token) and server-sent events; which stream gets which event; per-receiver
//! visibility, blocks and mutes; the event payload encoding.

mod bounds;
mod client;
mod events;
mod multiprocess;
