//! Live updates: the events that the streaming API (`api::streaming`) delivers, and how they
//! travel from the change that caused them to every server process.
//!
//! Code that changes something a stream shows raises an [`Event`] with [`raise`] (through
//! `service::live`) while its transaction is open. The event is handed to the bus only when
//! that transaction commits, and forgotten when it rolls back ([`scope`]). The [`bus`] carries
//! it to the dispatcher of every `woolly serve` process on the database: in-process by
//! default, over Redis or NATS pub/sub when `WOOLLY_BUS_URL` is set. Events carry ids, never
//! rendered entities: each process renders what it delivers for each receiver.

pub mod bus;
mod nats;
mod redis;
pub mod scope;

use serde::{Deserialize, Serialize};

pub use bus::{Bus, BusHandle};
pub use scope::raise;

/// Where a public status is shown live: which public and hashtag streams want it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicScope {
    /// Posted on this server (`public:local`), or received (`public:remote`).
    pub local: bool,
    /// Carries media attachments (`public:media` and its variants).
    #[serde(default)]
    pub media: bool,
    /// Its hashtags, lower-cased (`hashtag`, `hashtag:local`).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Something that happened which open streams may have to show. Events name rows by id; the
/// receiving process loads and renders them per receiver (so a rolled-back or since-deleted
/// row simply shows nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A status entered these accounts' home feeds (fan-out): `update` on their `user` streams.
    Home {
        /// The status (or boost).
        status_id: i64,
        /// The accounts whose home feed received it.
        accounts: Vec<i64>,
    },
    /// A new public status: `update` on the public and hashtag streams.
    Public {
        /// The status.
        status_id: i64,
        /// Which streams.
        scope: PublicScope,
    },
    /// A status was edited: `status.update` to the home feeds holding it and, when public,
    /// on the public and hashtag streams.
    Edited {
        /// The status.
        status_id: i64,
        /// Accounts whose home feed holds it.
        home: Vec<i64>,
        /// The public streams showing it, when public.
        public: Option<PublicScope>,
    },
    /// A status was deleted: `delete` (its id) to the home feeds that held it and, when it
    /// was public, on the public and hashtag streams.
    Deleted {
        /// The status.
        status_id: i64,
        /// Accounts whose home feed held it.
        home: Vec<i64>,
        /// The public streams that showed it.
        public: Option<PublicScope>,
    },
    /// A notification was created: `notification` on the recipient's `user` and
    /// `user:notification` streams.
    Notification {
        /// The recipient.
        account_id: i64,
        /// The notification row.
        notification_id: i64,
    },
    /// A direct status was posted or received: `conversation` on its participants' `direct`
    /// streams.
    Conversation {
        /// The status.
        status_id: i64,
        /// Its author and the accounts it mentions.
        accounts: Vec<i64>,
    },
    /// An account's filters changed: `filters_changed` on its `user` streams.
    FiltersChanged {
        /// The account.
        account_id: i64,
    },
    /// Streams opened with a token, or by an account, must close now (token revoked, login
    /// disabled, account suspended).
    Disconnect {
        /// The revoked token.
        token_id: Option<i64>,
        /// The account whose streams all close.
        account_id: Option<i64>,
    },
}

/// Most account ids one bus message carries; longer lists are split into several events
/// (NATS refuses messages over 1 MiB by default, and smaller messages keep delivery smooth).
pub const MAX_ACCOUNTS_PER_EVENT: usize = 2_000;

impl Event {
    /// This event as one or more events with at most [`MAX_ACCOUNTS_PER_EVENT`] accounts
    /// each (the public part, if any, stays with the first).
    pub fn split(self) -> Vec<Event> {
        let chunks = |ids: Vec<i64>| -> Vec<Vec<i64>> {
            if ids.len() <= MAX_ACCOUNTS_PER_EVENT {
                vec![ids]
            } else {
                ids.chunks(MAX_ACCOUNTS_PER_EVENT)
                    .map(<[i64]>::to_vec)
                    .collect()
            }
        };
        match self {
            Event::Home {
                status_id,
                accounts,
            } => chunks(accounts)
                .into_iter()
                .map(|accounts| Event::Home {
                    status_id,
                    accounts,
                })
                .collect(),
            Event::Edited {
                status_id,
                home,
                public,
            } => chunks(home)
                .into_iter()
                .enumerate()
                .map(|(i, home)| Event::Edited {
                    status_id,
                    home,
                    public: if i == 0 { public.clone() } else { None },
                })
                .collect(),
            Event::Deleted {
                status_id,
                home,
                public,
            } => chunks(home)
                .into_iter()
                .enumerate()
                .map(|(i, home)| Event::Deleted {
                    status_id,
                    home,
                    public: if i == 0 { public.clone() } else { None },
                })
                .collect(),
            other => vec![other],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_recipient_lists_are_split() {
        let accounts: Vec<i64> = (0..(MAX_ACCOUNTS_PER_EVENT as i64 * 2 + 1)).collect();
        let parts = Event::Deleted {
            status_id: 7,
            home: accounts.clone(),
            public: Some(PublicScope::default()),
        }
        .split();
        assert_eq!(parts.len(), 3);
        let mut seen = Vec::new();
        for (i, p) in parts.into_iter().enumerate() {
            let Event::Deleted { home, public, .. } = p else {
                panic!("kind changed")
            };
            assert_eq!(public.is_some(), i == 0);
            seen.extend(home);
        }
        assert_eq!(seen, accounts);
        let small = Event::Home {
            status_id: 1,
            accounts: vec![1, 2],
        };
        assert_eq!(small.clone().split(), vec![small]);
    }

    #[test]
    fn events_round_trip_as_json() {
        let e = Event::Public {
            status_id: 5,
            scope: PublicScope {
                local: true,
                media: false,
                tags: vec!["rust".into()],
            },
        };
        let text = serde_json::to_string(&e).unwrap();
        assert!(text.contains("\"kind\":\"public\""));
        assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), e);
    }
}
