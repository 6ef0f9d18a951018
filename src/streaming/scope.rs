//! Events raised inside a transaction leave only when it commits.
//!
//! A unit of work (an API request, a background job) runs inside [`run`], which keeps a list
//! of the events raised so far in a task-local. `db::Db::begin` marks the list
//! ([`TxEvents::begin`]); `db::Tx::commit` publishes what was raised since the mark once the
//! commit succeeded, and a transaction dropped without committing forgets it. Events raised
//! outside a transaction are published at once. Outside any unit of work (the command line,
//! unit tests) events are dropped: no process streams them.
//!
//! This keeps the code that causes events free of plumbing: `service::notify` raises a
//! `notification` event wherever it is called from, and the commit that makes the
//! notification real is the one that sends it.

use std::cell::RefCell;
use std::future::Future;

use super::Event;
use super::bus::BusHandle;

struct Pending {
    bus: BusHandle,
    events: Vec<Event>,
    /// Where the open transaction's events start.
    tx_mark: Option<usize>,
}

tokio::task_local! {
    static PENDING: RefCell<Pending>;
}

/// Runs `work` as a unit of work whose committed events go to `bus`.
pub async fn run<F: Future>(bus: BusHandle, work: F) -> F::Output {
    let pending = RefCell::new(Pending {
        bus,
        events: Vec::new(),
        tx_mark: None,
    });
    PENDING.scope(pending, work).await
}

/// Raises `event`: published when the open transaction commits (at once when none is open).
pub fn raise(event: Event) {
    let _ = PENDING.try_with(|p| {
        let mut p = p.borrow_mut();
        if p.tx_mark.is_some() {
            p.events.push(event);
        } else {
            p.bus.publish(event);
        }
    });
}

/// The events of one transaction (held by `db::Tx`).
#[derive(Debug)]
pub struct TxEvents {
    mark: Option<usize>,
}

impl TxEvents {
    /// A transaction begins: later events wait for its commit.
    pub fn begin() -> TxEvents {
        let mark = PENDING
            .try_with(|p| {
                let mut p = p.borrow_mut();
                let mark = p.events.len();
                p.tx_mark = Some(mark);
                mark
            })
            .ok();
        TxEvents { mark }
    }

    /// The transaction committed: publish its events.
    pub fn committed(mut self) {
        if let Some(mark) = self.mark.take() {
            let _ = PENDING.try_with(|p| {
                let mut p = p.borrow_mut();
                let start = mark.min(p.events.len());
                let events: Vec<Event> = p.events.drain(start..).collect();
                p.tx_mark = None;
                for e in events {
                    p.bus.publish(e);
                }
            });
        }
    }
}

impl Drop for TxEvents {
    /// Rolled back (or never committed): its events never happened.
    fn drop(&mut self) {
        if let Some(mark) = self.mark.take() {
            let _ = PENDING.try_with(|p| {
                let mut p = p.borrow_mut();
                let keep = mark.min(p.events.len());
                p.events.truncate(keep);
                p.tx_mark = None;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streaming::bus::LocalBus;

    fn event(n: i64) -> Event {
        Event::FiltersChanged { account_id: n }
    }

    #[tokio::test]
    async fn only_committed_events_are_published() {
        let (bus, mut rx) = LocalBus::handle(16);
        run(bus, async {
            raise(event(1));
            let tx = TxEvents::begin();
            raise(event(2));
            drop(tx);
            let tx = TxEvents::begin();
            raise(event(3));
            tx.committed();
        })
        .await;
        let mut got = Vec::new();
        while let Ok(e) = rx.try_recv() {
            got.push(e);
        }
        assert_eq!(got, vec![event(1).into(), event(3).into()]);
    }

    #[tokio::test]
    async fn outside_a_unit_of_work_events_are_dropped() {
        raise(event(1));
        let tx = TxEvents::begin();
        raise(event(2));
        tx.committed();
    }
}
