//! [`TaskSet`]: the tasks a consumer spawns, counted, cancellable and awaitable, so every
//! task has an owner and a shutdown path.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// A group of spawned tasks sharing one cancellation token.
#[derive(Clone, Debug)]
pub(crate) struct TaskSet {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    live: AtomicUsize,
    idle: Notify,
    cancel: CancellationToken,
}

/// Decrements the live count when a task ends, however it ends.
struct Guard(Arc<Inner>);

impl Drop for Guard {
    fn drop(&mut self) {
        if self.0.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl TaskSet {
    pub(crate) fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                live: AtomicUsize::new(0),
                idle: Notify::new(),
                cancel: CancellationToken::new(),
            }),
        }
    }

    /// Spawns `task` on the current runtime; it is counted until it ends.
    pub(crate) fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.inner.live.fetch_add(1, Ordering::AcqRel);
        let guard = Guard(Arc::clone(&self.inner));
        tokio::spawn(async move {
            let _guard = guard;
            task.await;
        });
    }

    /// Spawns `task`, dropped as soon as the set is cancelled.
    pub(crate) fn spawn_cancellable<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let cancel = self.inner.cancel.clone();
        self.spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                () = task => {}
            }
        });
    }

    pub(crate) fn cancel(&self) {
        self.inner.cancel.cancel();
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// How many tasks are running.
    pub(crate) fn live(&self) -> usize {
        self.inner.live.load(Ordering::Acquire)
    }

    /// Waits until no task runs, at most `limit`; whether that happened.
    pub(crate) async fn wait_idle(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let idle = self.inner.idle.notified();
                tokio::pin!(idle);
                idle.as_mut().enable();
                if self.live() == 0 {
                    return;
                }
                idle.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }

    /// Sleeps `delay` unless the set is cancelled first; whether the sleep completed.
    pub(crate) async fn sleep(&self, delay: Duration) -> bool {
        tokio::select! {
            () = self.inner.cancel.cancelled() => false,
            () = tokio::time::sleep(delay) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_cancels_and_waits() {
        let set = TaskSet::new();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        set.spawn(async move {
            let _ = rx.await;
        });
        set.spawn_cancellable(std::future::pending());
        assert_eq!(set.live(), 2);
        assert!(!set.wait_idle(Duration::from_millis(20)).await);
        set.cancel();
        assert!(!set.sleep(Duration::from_secs(60)).await);
        let _ = tx.send(());
        assert!(set.wait_idle(Duration::from_secs(5)).await);
        assert_eq!(set.live(), 0);
    }
}
