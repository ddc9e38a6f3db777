//! The opaque -> reply-slot table of one connection, and its closed state.
//!
//! Both live under one mutex so that a request can never be registered on a connection
//! that has already failed: either the registration happens first and the failure drains
//! it, or the failure happens first and the registration is refused with its cause.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

use crate::Result;
use crate::protocol::RemotingCommand;

/// Reply slots by opaque, plus why the connection closed once it has.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    slots: HashMap<i32, oneshot::Sender<Result<RemotingCommand>>>,
    closed: Option<String>,
}

impl Pending {
    fn state(&self) -> MutexGuard<'_, State> {
        // The sections under this lock cannot panic half-way, so a poisoned lock still
        // holds a consistent table.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a reply slot for `opaque`. Fails with the close cause if the connection
    /// is already closed. Dropping the returned guard removes the slot.
    pub(crate) fn register(
        self: &Arc<Self>,
        opaque: i32,
    ) -> std::result::Result<(oneshot::Receiver<Result<RemotingCommand>>, SlotGuard), String> {
        let mut state = self.state();
        if let Some(cause) = &state.closed {
            return Err(cause.clone());
        }
        let (tx, rx) = oneshot::channel();
        // An occupied slot would take 2^32 requests outstanding on one connection; the
        // newer request wins, and the older one sees its slot vanish as a close.
        state.slots.insert(opaque, tx);
        let guard = SlotGuard {
            pending: Arc::clone(self),
            opaque,
        };
        Ok((rx, guard))
    }

    /// Hands a response to the request waiting for it. Returns the response back when no
    /// request waits for that opaque any more (it timed out or its caller went away).
    pub(crate) fn complete(
        &self,
        response: RemotingCommand,
    ) -> std::result::Result<(), RemotingCommand> {
        let slot = self.state().slots.remove(&response.opaque);
        match slot {
            // A receiver gone at this very moment is a caller that stopped waiting.
            Some(tx) => {
                let _ = tx.send(Ok(response));
                Ok(())
            }
            None => Err(response),
        }
    }

    /// Fails the request waiting for `opaque` with `err` (e.g. it could not be encoded).
    pub(crate) fn fail(&self, opaque: i32, err: crate::Error) {
        let slot = self.state().slots.remove(&opaque);
        if let Some(tx) = slot {
            let _ = tx.send(Err(err));
        }
    }

    /// Marks the connection closed and fails every pending request with `cause` at once
    /// (their receivers see the slot dropped and read the cause from here). Only the
    /// first cause is kept.
    pub(crate) fn close(&self, cause: String) {
        let slots = {
            let mut state = self.state();
            state.closed.get_or_insert(cause);
            std::mem::take(&mut state.slots)
        };
        drop(slots);
    }

    /// Why the connection closed, if it has.
    pub(crate) fn closed(&self) -> Option<String> {
        self.state().closed.clone()
    }

    /// Number of requests waiting for a reply.
    pub(crate) fn len(&self) -> usize {
        self.state().slots.len()
    }

    fn remove(&self, opaque: i32) {
        self.state().slots.remove(&opaque);
    }
}

/// Removes a reply slot when the request stops waiting (answered, timed out or dropped).
#[derive(Debug)]
pub(crate) struct SlotGuard {
    pending: Arc<Pending>,
    opaque: i32,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.pending.remove(self.opaque);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(opaque: i32) -> RemotingCommand {
        crate::remoting::wire::ReplyTo::for_test(opaque)
            .response(crate::protocol::ResponseCode::SUCCESS, None)
    }

    #[tokio::test]
    async fn complete_delivers_to_the_matching_slot() {
        let pending = Arc::new(Pending::default());
        let (rx1, _g1) = pending.register(1).unwrap();
        let (rx2, _g2) = pending.register(2).unwrap();
        assert!(pending.complete(response(2)).is_ok());
        assert_eq!(rx2.await.unwrap().unwrap().opaque, 2);
        assert_eq!(pending.len(), 1);
        drop(rx1);
    }

    #[test]
    fn unknown_opaque_is_returned() {
        let pending = Arc::new(Pending::default());
        assert_eq!(pending.complete(response(7)).unwrap_err().opaque, 7);
    }

    #[tokio::test]
    async fn fail_delivers_the_error() {
        let pending = Arc::new(Pending::default());
        let (rx, _guard) = pending.register(5).unwrap();
        pending.fail(5, crate::Error::Shutdown);
        assert!(matches!(rx.await.unwrap(), Err(crate::Error::Shutdown)));
        assert_eq!(pending.len(), 0);
    }

    #[test]
    fn dropping_the_guard_removes_the_slot() {
        let pending = Arc::new(Pending::default());
        let (_rx, guard) = pending.register(3).unwrap();
        assert_eq!(pending.len(), 1);
        drop(guard);
        assert_eq!(pending.len(), 0);
    }

    #[tokio::test]
    async fn close_fails_everything_and_refuses_new_slots() {
        let pending = Arc::new(Pending::default());
        let (rx, _guard) = pending.register(1).unwrap();
        pending.close("peer reset".into());
        pending.close("second cause is ignored".into());
        assert!(rx.await.is_err());
        assert_eq!(pending.closed().as_deref(), Some("peer reset"));
        assert_eq!(pending.register(2).unwrap_err(), "peer reset");
        assert_eq!(pending.len(), 0);
    }
}
