//! [`PullLoops`]: the pull loops of every queue a consumer holds (push or lite pull),
//! driven together by one task, as Java's push consumer issues the pulls of every queue
//! from its one `PullMessageService` thread.
//!
//! One task rather than one per queue matters on a multi-thread runtime. A read from a
//! broker often completes the pulls of several queues at once. With a task per queue,
//! waking two of them makes the runtime rouse a second worker to take one; the two
//! workers then queue their next pull requests one at a time, and the connection writes
//! each with a system call of its own. Waking one task keeps the answers and the next
//! requests on one worker, so the requests leave together, as on a one-thread runtime.
//! A loop only parks while it waits for the broker, a delay or room for its messages; a
//! push listener that does not finish at once moves to a consume task of its own (see
//! `push::concurrent::submit`), so the loops do not hold each other up.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::Poll;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use futures_util::task::AtomicWaker;

/// One queue's pull loop.
type Loop = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The loops added and not yet taken by the driver, and the driver's waker.
#[derive(Default)]
pub(crate) struct PullLoops {
    added: Mutex<Added>,
    driver: AtomicWaker,
}

#[derive(Default)]
struct Added {
    loops: Vec<Loop>,
    /// Set by [`PullLoops::close`]: no loop is taken any more.
    closed: bool,
}

impl PullLoops {
    fn added(&self) -> std::sync::MutexGuard<'_, Added> {
        // Sections only push, drain or set a flag: a poisoned lock is consistent.
        self.added.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands `pull_loop` to the driver, which polls it from its next turn until it ends.
    /// After [`close`](Self::close) the loop is dropped at once.
    pub(crate) fn add(&self, pull_loop: impl Future<Output = ()> + Send + 'static) {
        let mut added = self.added();
        if added.closed {
            // `pull_loop` is dropped after the guard: parameters drop after locals.
            return;
        }
        added.loops.push(Box::pin(pull_loop));
        drop(added);
        self.driver.wake();
    }

    /// Takes no more loops and drops those the driver has not taken. Called when the
    /// consumer closes, after its background tasks (the driver among them) are
    /// cancelled: a loop holds the consumer's state, so one left in the list would keep
    /// that state alive.
    pub(crate) fn close(&self) {
        let left = {
            let mut added = self.added();
            added.closed = true;
            std::mem::take(&mut added.loops)
        };
        // Dropped outside the lock.
        drop(left);
    }

    /// Polls every loop added, as each one is woken, until this future is dropped (the
    /// consumer's background tasks are cancelled on close); the loops are dropped with
    /// it. Loops added before it first runs wait in the list.
    pub(crate) async fn drive(&self) {
        let mut running = FuturesUnordered::new();
        poll_fn(|cx| {
            // Registered before the list is read, so an `add` after the read wakes us.
            self.driver.register(cx.waker());
            running.extend(std::mem::take(&mut self.added().loops));
            // Ends when every woken loop has been polled (or the set asks for a turn of
            // the scheduler, having woken this task); finished loops are let go.
            while let Poll::Ready(Some(())) = running.poll_next_unpin(cx) {}
            Poll::<()>::Pending
        })
        .await;
    }
}

impl std::fmt::Debug for PullLoops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let added = self.added();
        f.debug_struct("PullLoops")
            .field("waiting", &added.loops.len())
            .field("closed", &added.closed)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::sync::{mpsc, oneshot};

    /// A loop that waits for its go, then reports `id`.
    fn waiting_loop(
        id: u8,
        done: &mpsc::Sender<u8>,
    ) -> (
        oneshot::Sender<()>,
        impl Future<Output = ()> + Send + 'static,
    ) {
        let (go, wait) = oneshot::channel::<()>();
        let done = done.clone();
        (go, async move {
            if wait.await.is_ok() {
                let _ = done.send(id).await;
            }
        })
    }

    #[tokio::test]
    async fn loops_added_before_and_after_the_driver_starts_all_run() {
        let loops = Arc::new(PullLoops::default());
        let (done, mut finished) = mpsc::channel::<u8>(4);
        let (go_early, early) = waiting_loop(1, &done);
        loops.add(early);
        let driver = tokio::spawn({
            let loops = Arc::clone(&loops);
            async move { loops.drive().await }
        });
        tokio::task::yield_now().await;
        let (go_late, late) = waiting_loop(2, &done);
        loops.add(late);
        assert!(go_late.send(()).is_ok());
        assert_eq!(finished.recv().await, Some(2));
        assert!(go_early.send(()).is_ok());
        assert_eq!(finished.recv().await, Some(1));

        // Dropping the driver drops the loops still running.
        let (go_never, never) = waiting_loop(3, &done);
        loops.add(never);
        tokio::task::yield_now().await;
        driver.abort();
        assert!(driver.await.is_err_and(|e| e.is_cancelled()));
        assert!(go_never.is_closed());

        // Closing drops the loops waiting for a driver, and any added later.
        let (go_waiting, waiting) = waiting_loop(4, &done);
        loops.add(waiting);
        assert!(!go_waiting.is_closed());
        loops.close();
        assert!(go_waiting.is_closed());
        let (go_late, late) = waiting_loop(5, &done);
        loops.add(late);
        assert!(go_late.is_closed());
    }
}
