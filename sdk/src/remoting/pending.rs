//! The opaque -> reply-slot table of one connection, the requests' deadlines, and the
//! connection's closed state.
//!
//! All three live under one mutex so that a request can never be registered on a
//! connection that has already failed: either the registration happens first and the
//! failure drains it, or the failure happens first and the registration is refused with
//! its cause.
//!
//! Timeouts: a request waits until its deadline (Java's `invokeSync` waits on its own
//! latch for the timeout), but there is no timer per request. The deadlines are kept in
//! one queue ordered by deadline, and one sweeper task per connection sleeps until the
//! earliest; when it wakes it fails every request whose deadline has passed with
//! [`Reply::Expired`]. A request answered in time leaves a stale entry in the queue,
//! dropped when it reaches the front or when stale entries outnumber live ones. So a
//! request still times out at its deadline, to the millisecond of tokio's timer, and the
//! timer is set about once per timeout period instead of once per request.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

use crate::Error;
use crate::protocol::RemotingCommand;

/// What a waiting request receives.
#[derive(Debug)]
pub(crate) enum Reply {
    /// The peer's response.
    Response(RemotingCommand),
    /// The request failed before an answer (e.g. it could not be encoded).
    Failed(Error),
    /// Its deadline passed first.
    Expired,
}

/// Reply slots by opaque, their deadlines, plus why the connection closed once it has.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    state: Mutex<State>,
    /// Wakes the sweeper: a deadline earlier than the one it sleeps until, or the close.
    wake: Notify,
}

#[derive(Debug, Default)]
struct State {
    slots: HashMap<i32, Slot, BuildHasherDefault<OpaqueHasher>>,
    /// `(deadline, opaque)` of every live request, sorted by deadline, plus stale entries
    /// of requests no longer waiting (their slot is gone, or holds another deadline).
    deadlines: VecDeque<(Instant, i32)>,
    /// What the sweeper sleeps until; `None` while it waits for a request.
    armed: Option<Instant>,
    closed: Option<String>,
}

#[derive(Debug)]
struct Slot {
    tx: oneshot::Sender<Reply>,
    deadline: Instant,
}

impl State {
    fn is_live(&self, (deadline, opaque): (Instant, i32)) -> bool {
        self.slots
            .get(&opaque)
            .is_some_and(|s| s.deadline == deadline)
    }

    /// Drops stale entries at the front, and compacts the queue once stale entries
    /// outnumber live ones (requests answered out of deadline order, e.g. behind a long
    /// poll), so it stays within about twice the requests in flight.
    fn prune(&mut self) {
        while let Some(&front) = self.deadlines.front() {
            if self.is_live(front) {
                break;
            }
            self.deadlines.pop_front();
        }
        if self.deadlines.len() > 2 * self.slots.len() + 32 {
            let slots = &self.slots;
            self.deadlines
                .retain(|&(d, o)| slots.get(&o).is_some_and(|s| s.deadline == d));
        }
    }
}

/// Java's opaques are consecutive numbers: a multiplicative hash spreads them over the
/// table (the default SipHash costs more than the rest of a lookup). Keys come from
/// our own counter; a peer can only look them up.
#[derive(Debug, Default, Clone, Copy)]
struct OpaqueHasher(u64);

impl Hasher for OpaqueHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i32(&mut self, n: i32) {
        self.0 = u64::from(n as u32).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl Pending {
    fn state(&self) -> MutexGuard<'_, State> {
        // The sections under this lock cannot panic half-way, so a poisoned lock still
        // holds a consistent table.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a reply slot for `opaque`, failed with [`Reply::Expired`] at `deadline`
    /// by the sweeper ([`sweep`]). Fails with the close cause if the connection is
    /// already closed. Dropping the returned guard removes the slot.
    pub(crate) fn register(
        self: &Arc<Self>,
        opaque: i32,
        deadline: Instant,
    ) -> std::result::Result<(oneshot::Receiver<Reply>, SlotGuard), String> {
        let (tx, rx) = oneshot::channel();
        let wake = {
            let mut state = self.state();
            if let Some(cause) = &state.closed {
                return Err(cause.clone());
            }
            // An occupied slot would take 2^32 requests outstanding on one connection;
            // the newer request wins, and the older one sees its slot vanish as a close.
            state.slots.insert(opaque, Slot { tx, deadline });
            let queue = &mut state.deadlines;
            if queue.back().is_none_or(|&(last, _)| last <= deadline) {
                queue.push_back((deadline, opaque));
            } else {
                // A shorter timeout than earlier requests', or a clock read that lost a
                // race for the lock: keep the queue sorted.
                let at = queue.partition_point(|&(d, _)| d <= deadline);
                queue.insert(at, (deadline, opaque));
            }
            let earlier = state.armed.is_none_or(|armed| deadline < armed);
            if earlier {
                state.armed = Some(deadline);
            }
            earlier
        };
        if wake {
            self.wake.notify_one();
        }
        let guard = SlotGuard {
            pending: Some(Arc::clone(self)),
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
        let slot = {
            let mut state = self.state();
            let slot = state.slots.remove(&response.opaque);
            if slot.is_some() {
                state.prune();
            }
            slot
        };
        match slot {
            // A receiver gone at this very moment is a caller that stopped waiting.
            Some(slot) => {
                let _ = slot.tx.send(Reply::Response(response));
                Ok(())
            }
            None => Err(response),
        }
    }

    /// Fails the request waiting for `opaque` with `err` (e.g. it could not be encoded).
    pub(crate) fn fail(&self, opaque: i32, err: Error) {
        let slot = self.state().slots.remove(&opaque);
        if let Some(slot) = slot {
            let _ = slot.tx.send(Reply::Failed(err));
        }
    }

    /// Marks the connection closed and fails every pending request with `cause` at once
    /// (their receivers see the slot dropped and read the cause from here). Only the
    /// first cause is kept. The sweeper stops.
    pub(crate) fn close(&self, cause: String) {
        let slots = {
            let mut state = self.state();
            state.closed.get_or_insert(cause);
            state.deadlines = VecDeque::new();
            std::mem::take(&mut state.slots)
        };
        drop(slots);
        self.wake.notify_one();
    }

    /// Why the connection closed, if it has.
    pub(crate) fn closed(&self) -> Option<String> {
        self.state().closed.clone()
    }

    /// Whether the connection has closed (without copying the cause).
    pub(crate) fn is_closed(&self) -> bool {
        self.state().closed.is_some()
    }

    /// Number of requests waiting for a reply.
    pub(crate) fn len(&self) -> usize {
        self.state().slots.len()
    }

    fn remove(&self, opaque: i32) {
        let mut state = self.state();
        if state.slots.remove(&opaque).is_some() {
            state.prune();
        }
    }

    /// Fails the requests whose deadline is not after `now`; returns the earliest
    /// deadline still waiting, or `None` when the connection is closed (`Err`) or no
    /// request waits (`Ok(None)`), and remembers it as what the sweeper sleeps until.
    fn expire(&self, now: Instant) -> std::result::Result<Option<Instant>, ()> {
        let mut expired = Vec::new();
        let next = {
            let mut state = self.state();
            if state.closed.is_some() {
                return Err(());
            }
            while let Some(&(deadline, opaque)) = state.deadlines.front() {
                if deadline > now {
                    break;
                }
                state.deadlines.pop_front();
                if state.is_live((deadline, opaque))
                    && let Some(slot) = state.slots.remove(&opaque)
                {
                    expired.push(slot.tx);
                }
            }
            state.prune();
            state.armed = state.deadlines.front().map(|&(d, _)| d);
            state.armed
        };
        for tx in expired {
            let _ = tx.send(Reply::Expired);
        }
        Ok(next)
    }
}

/// The sweeper of one connection: sleeps until the earliest deadline, fails the requests
/// past theirs, and ends once the connection is closed. Started with the connection's
/// first request.
pub(crate) async fn sweep(pending: Arc<Pending>) {
    let sleep = tokio::time::sleep_until(Instant::now());
    let mut sleep = std::pin::pin!(sleep);
    loop {
        match pending.expire(Instant::now()) {
            Err(()) => return,
            Ok(None) => pending.wake.notified().await,
            Ok(Some(deadline)) => {
                sleep.as_mut().reset(deadline);
                tokio::select! {
                    () = &mut sleep => {}
                    () = pending.wake.notified() => {}
                }
            }
        }
    }
}

/// Removes a reply slot when the request stops waiting (timed out or dropped); a caller
/// that received its reply [disarms](SlotGuard::disarm) it, the slot being gone already.
#[derive(Debug)]
pub(crate) struct SlotGuard {
    pending: Option<Arc<Pending>>,
    opaque: i32,
}

impl SlotGuard {
    /// Forgets the slot: whoever sent the reply (or closed the connection) removed it.
    pub(crate) fn disarm(mut self) {
        self.pending = None;
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        if let Some(pending) = self.pending.take() {
            pending.remove(self.opaque);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn response(opaque: i32) -> RemotingCommand {
        crate::remoting::wire::ReplyTo::for_test(opaque)
            .response(crate::protocol::ResponseCode::SUCCESS, None)
    }

    fn later(secs: u64) -> Instant {
        Instant::now() + Duration::from_secs(secs)
    }

    fn entries(pending: &Pending) -> usize {
        pending.state().deadlines.len()
    }

    #[tokio::test]
    async fn complete_delivers_to_the_matching_slot() {
        let pending = Arc::new(Pending::default());
        let (rx1, _g1) = pending.register(1, later(3)).unwrap();
        let (rx2, _g2) = pending.register(2, later(3)).unwrap();
        assert!(pending.complete(response(2)).is_ok());
        assert!(matches!(rx2.await.unwrap(), Reply::Response(r) if r.opaque == 2));
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
        let (rx, _guard) = pending.register(5, later(3)).unwrap();
        pending.fail(5, crate::Error::Shutdown);
        assert!(matches!(
            rx.await.unwrap(),
            Reply::Failed(crate::Error::Shutdown)
        ));
        assert_eq!(pending.len(), 0);
    }

    #[test]
    fn dropping_the_guard_removes_the_slot_and_a_disarmed_one_does_not() {
        let pending = Arc::new(Pending::default());
        let (_rx, guard) = pending.register(3, later(3)).unwrap();
        assert_eq!(pending.len(), 1);
        drop(guard);
        assert_eq!(pending.len(), 0);
        assert_eq!(entries(&pending), 0, "the stale deadline went with it");
        let (_rx, guard) = pending.register(4, later(3)).unwrap();
        guard.disarm();
        assert_eq!(pending.len(), 1);
    }

    #[tokio::test]
    async fn close_fails_everything_and_refuses_new_slots() {
        let pending = Arc::new(Pending::default());
        let (rx, _guard) = pending.register(1, later(3)).unwrap();
        pending.close("peer reset".into());
        pending.close("second cause is ignored".into());
        assert!(rx.await.is_err());
        assert_eq!(pending.closed().as_deref(), Some("peer reset"));
        assert_eq!(pending.register(2, later(3)).unwrap_err(), "peer reset");
        assert_eq!(pending.len(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_sweeper_expires_each_request_at_its_own_deadline() {
        let pending = Arc::new(Pending::default());
        let sweeper = tokio::spawn(sweep(Arc::clone(&pending)));
        let start = Instant::now();
        // Out of deadline order: a long one first, then shorter ones.
        let (long, _g1) = pending
            .register(1, start + Duration::from_millis(3000))
            .unwrap();
        let (short, _g2) = pending
            .register(2, start + Duration::from_millis(100))
            .unwrap();
        let (mid, _g3) = pending
            .register(3, start + Duration::from_millis(250))
            .unwrap();
        let (answered, _g4) = pending
            .register(4, start + Duration::from_millis(50))
            .unwrap();
        assert!(pending.complete(response(4)).is_ok());
        assert!(matches!(answered.await.unwrap(), Reply::Response(_)));
        assert!(matches!(short.await.unwrap(), Reply::Expired));
        assert_eq!(start.elapsed(), Duration::from_millis(100));
        assert!(matches!(mid.await.unwrap(), Reply::Expired));
        assert_eq!(start.elapsed(), Duration::from_millis(250));
        assert!(matches!(long.await.unwrap(), Reply::Expired));
        assert_eq!(start.elapsed(), Duration::from_millis(3000));
        assert_eq!(pending.len(), 0);
        // Idle, then a new request: the sweeper wakes for it.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let again = Instant::now();
        let (rx, _g5) = pending
            .register(5, again + Duration::from_millis(20))
            .unwrap();
        assert!(matches!(rx.await.unwrap(), Reply::Expired));
        assert_eq!(again.elapsed(), Duration::from_millis(20));
        pending.close("done".into());
        sweeper.await.unwrap();
    }

    #[test]
    fn answered_requests_leave_a_bounded_queue() {
        let pending = Arc::new(Pending::default());
        // One request that stays behind (a long poll) ahead of many answered ones.
        let (_rx, _guard) = pending.register(0, later(30)).unwrap();
        for opaque in 1..10_000 {
            let (_rx, guard) = pending.register(opaque, later(60)).unwrap();
            assert!(pending.complete(response(opaque)).is_ok());
            guard.disarm();
            assert!(entries(&pending) <= 2 * pending.len() + 33);
        }
        assert_eq!(pending.len(), 1);
    }

    #[test]
    fn opaques_spread_over_the_table() {
        use std::hash::BuildHasher;
        let build = BuildHasherDefault::<OpaqueHasher>::default();
        let low: std::collections::HashSet<u64> =
            (0..1024).map(|o: i32| build.hash_one(o) & 1023).collect();
        assert_eq!(low.len(), 1024, "consecutive opaques take distinct buckets");
        let top: std::collections::HashSet<u64> =
            (0..1024).map(|o: i32| build.hash_one(o) >> 57).collect();
        assert!(top.len() > 100, "control bytes vary");
    }
}
