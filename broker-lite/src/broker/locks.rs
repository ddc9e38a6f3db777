//! Orderly consumers' queue locks: LOCK_BATCH_MQ and UNLOCK_BATCH_MQ with expiry (Java
//! `RebalanceLockManager`, `AdminBrokerProcessor.lockBatchMQ` / `unlockBatchMQ`).
//!
//! A queue of a group is held by one client id until it unlocks it or the lock goes
//! `queue_lock_expiry` without renewal; locking again by the holder renews it. A lock held
//! by another client that has not expired is refused; an expired one is taken over.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rocketmq::protocol::body::{LockBatchRequest, LockBatchResponse, UnlockBatchRequest};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::{MessageQueue, RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::{RemotingServerBuilder, RequestContext};
use tracing::{debug, info};

use super::{Reply, State, lock, now_ms, on};
use crate::config::BrokerConfig;

/// Who holds a queue and since its last renewal.
#[derive(Clone, Debug)]
struct Holder {
    client_id: String,
    renewed: i64,
}

/// Which client holds each queue of each group, and until when.
#[derive(Debug)]
pub(crate) struct QueueLocks {
    expiry: Duration,
    groups: Mutex<HashMap<String, HashMap<MessageQueue, Holder>>>,
}

impl QueueLocks {
    pub(crate) fn new(config: &BrokerConfig) -> Self {
        QueueLocks {
            expiry: config.queue_lock_expiry,
            groups: Mutex::new(HashMap::new()),
        }
    }

    fn expired(&self, holder: &Holder, now: i64) -> bool {
        let limit = i64::try_from(self.expiry.as_millis()).unwrap_or(i64::MAX);
        now.saturating_sub(holder.renewed) > limit
    }

    /// Locks (or renews) each queue for `client_id` unless another live client holds it;
    /// returns the queues now held by `client_id`, in request order (Java `tryLockBatch`).
    pub(crate) fn try_lock(
        &self,
        group: &str,
        client_id: &str,
        queues: &[MessageQueue],
        now: i64,
    ) -> Vec<MessageQueue> {
        let mut groups = lock(&self.groups);
        let table = groups.entry(group.to_owned()).or_default();
        let mut locked = Vec::with_capacity(queues.len());
        for mq in queues {
            let granted = match table.get_mut(mq) {
                None => {
                    table.insert(
                        mq.clone(),
                        Holder {
                            client_id: client_id.to_owned(),
                            renewed: now,
                        },
                    );
                    info!(group, client_id, queue = ?mq, "queue locked");
                    true
                }
                Some(h) if h.client_id == client_id => {
                    h.renewed = now;
                    true
                }
                Some(h) if self.expired(h, now) => {
                    info!(group, client_id, old = %h.client_id, queue = ?mq,
                        "expired queue lock taken over");
                    *h = Holder {
                        client_id: client_id.to_owned(),
                        renewed: now,
                    };
                    true
                }
                Some(h) => {
                    debug!(group, client_id, holder = %h.client_id, queue = ?mq,
                        "queue locked by another client");
                    false
                }
            };
            if granted && !locked.contains(mq) {
                locked.push(mq.clone());
            }
        }
        locked
    }

    /// Releases the queues `client_id` holds (Java `unlockBatch`); others' locks stay.
    pub(crate) fn unlock(&self, group: &str, client_id: &str, queues: &[MessageQueue]) {
        let mut groups = lock(&self.groups);
        let Some(table) = groups.get_mut(group) else {
            return;
        };
        for mq in queues {
            if table.get(mq).is_some_and(|h| h.client_id == client_id) {
                table.remove(mq);
                info!(group, client_id, queue = ?mq, "queue unlocked");
            }
        }
        if table.is_empty() {
            groups.remove(group);
        }
    }

    /// The client id holding a queue of `group` (None when free or expired).
    #[cfg(test)]
    pub(crate) fn holder(&self, group: &str, mq: &MessageQueue, now: i64) -> Option<String> {
        let groups = lock(&self.groups);
        let h = groups.get(group)?.get(mq)?;
        (!self.expired(h, now)).then(|| h.client_id.clone())
    }

    /// Whether some queue of `group` is held by a lock that has not expired (Java
    /// `isLockAllExpired`, negated): the group consumes orderly.
    pub(crate) fn any_live(&self, group: &str, now: i64) -> bool {
        lock(&self.groups)
            .get(group)
            .is_some_and(|t| t.values().any(|h| !self.expired(h, now)))
    }
}

/// Adds the lock processors.
pub(super) fn register(
    builder: RemotingServerBuilder,
    state: &Arc<State>,
) -> RemotingServerBuilder {
    let b = on(builder, RequestCode::LOCK_BATCH_MQ, state, lock_batch);
    on(b, RequestCode::UNLOCK_BATCH_MQ, state, unlock_batch)
}

/// LOCK_BATCH_MQ: locks what it can; the body lists the queues the client now holds.
async fn lock_batch(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let body = LockBatchRequest::from_json(&request.body)?;
    let locked = state.locks.try_lock(
        &body.consumer_group,
        &body.client_id,
        &body.mq_set,
        now_ms(),
    );
    let response = LockBatchResponse { locked };
    Ok(Some(
        RemotingCommand::response(ResponseCode::SUCCESS).with_body(response.to_json()),
    ))
}

/// UNLOCK_BATCH_MQ: releases the client's locks.
async fn unlock_batch(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let body = UnlockBatchRequest::from_json(&request.body)?;
    state
        .locks
        .unlock(&body.consumer_group, &body.client_id, &body.mq_set);
    Ok(Some(RemotingCommand::response(ResponseCode::SUCCESS)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mq(id: i32) -> MessageQueue {
        MessageQueue {
            topic: "t".into(),
            broker_name: "b".into(),
            queue_id: id,
        }
    }

    #[test]
    fn lock_renew_refuse_expire_unlock() {
        let config = BrokerConfig {
            queue_lock_expiry: Duration::from_millis(1000),
            ..BrokerConfig::default()
        };
        let locks = QueueLocks::new(&config);
        assert_eq!(locks.try_lock("g", "a", &[mq(0), mq(1)], 0), [mq(0), mq(1)]);
        // b gets only the free queue.
        assert_eq!(locks.try_lock("g", "b", &[mq(1), mq(2)], 10), [mq(2)]);
        // Another group is independent.
        assert_eq!(locks.try_lock("h", "b", &[mq(1)], 10), [mq(1)]);
        // a renews at 900; at 1500 its lock is still live.
        assert_eq!(locks.try_lock("g", "a", &[mq(0)], 900), [mq(0)]);
        assert!(locks.try_lock("g", "b", &[mq(0)], 1500).is_empty());
        // mq(1) was last renewed at 0: expired at 1500, b takes it over.
        assert_eq!(locks.try_lock("g", "b", &[mq(1)], 1500), [mq(1)]);
        assert_eq!(locks.holder("g", &mq(1), 1500).as_deref(), Some("b"));
        // Unlocking someone else's queue does nothing; one's own frees it.
        locks.unlock("g", "a", &[mq(1)]);
        assert_eq!(locks.holder("g", &mq(1), 1500).as_deref(), Some("b"));
        locks.unlock("g", "a", &[mq(0)]);
        assert_eq!(locks.holder("g", &mq(0), 1500), None);
        assert_eq!(locks.try_lock("g", "b", &[mq(0)], 1600), [mq(0)]);
    }
}
