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
    /// Events waiting for their transaction, tagged with its number.
    events: Vec<(u64, Event)>,
    /// The open transactions, in the order they began (events go to the newest).
    open: Vec<u64>,
    next_tx: u64,
}

tokio::task_local! {
    static PENDING: RefCell<Pending>;
}

/// Runs `work` as a unit of work whose committed events go to `bus`.
pub async fn run<F: Future>(bus: BusHandle, work: F) -> F::Output {
    let pending = RefCell::new(Pending {
        bus,
        events: Vec::new(),
        open: Vec::new(),
        next_tx: 0,
    });
    PENDING.scope(pending, work).await
}

/// Raises `event`: published when the open transaction commits (at once when none is open).
pub fn raise(event: Event) {
    let _ = PENDING.try_with(|p| {
        let mut p = p.borrow_mut();
        match p.open.last().copied() {
            Some(tx) => p.events.push((tx, event)),
            None => p.bus.publish(event),
        }
    });
}

/// The events of one transaction (held by `db::Tx`).
#[derive(Debug)]
pub struct TxEvents {
    tx: Option<u64>,
}

impl TxEvents {
    /// A transaction begins: events raised until it ends wait for its commit.
    pub fn begin() -> TxEvents {
        let tx = PENDING
            .try_with(|p| {
                let mut p = p.borrow_mut();
                p.next_tx += 1;
                let tx = p.next_tx;
                p.open.push(tx);
                tx
            })
            .ok();
        TxEvents { tx }
    }

    /// Ends the transaction: its events are published when it `committed`, else dropped.
    fn end(&mut self, committed: bool) {
        let Some(tx) = self.tx.take() else { return };
        let _ = PENDING.try_with(|p| {
            let mut p = p.borrow_mut();
            p.open.retain(|t| *t != tx);
            let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut p.events)
                .into_iter()
                .partition(|(t, _)| *t == tx);
            p.events = others;
            if committed {
                for (_, e) in mine {
                    p.bus.publish(e);
                }
            }
        });
    }

    /// The transaction committed: publish its events.
    pub fn committed(mut self) {
        self.end(true);
    }
}

impl Drop for TxEvents {
    /// Rolled back (or never committed): its events never happened.
    fn drop(&mut self) {
        self.end(false);
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
    async fn overlapping_transactions_keep_their_own_events() {
        let (bus, mut rx) = LocalBus::handle(16);
        run(bus, async {
            let outer = TxEvents::begin();
            raise(event(1));
            let inner = TxEvents::begin();
            raise(event(2));
            inner.committed();
            // Raised in the outer transaction again: it waits for the outer commit.
            raise(event(3));
            assert!(rx.try_recv().map(|e| *e == event(2)).unwrap_or(false));
            assert!(rx.try_recv().is_err());
            drop(outer);
        })
        .await;
        assert!(rx.try_recv().is_err(), "the outer transaction rolled back");
    }

    #[tokio::test]
    async fn outside_a_unit_of_work_events_are_dropped() {
        raise(event(1));
        let tx = TxEvents::begin();
        raise(event(2));
        tx.committed();
    }
}
