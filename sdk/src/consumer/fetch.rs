//! One pull from a broker, as every consumer kind does it (Java `PullAPIWrapper`): which
//! broker of the group to ask (the one the broker last suggested, e.g. a slave when the
//! master is behind), the request, and the result made ready for the application.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::broker;
use super::message::{Origin, ReceivedMessage};
use super::subscription::tags_match;
use crate::Result;
use crate::client::Client;
use crate::protocol::MessageQueue;
use crate::protocol::body::{MASTER_ID, SubscriptionData};
use crate::protocol::header::{PullMessageRequestHeader, RpcFields};
use crate::protocol::message::{DecodeOptions, Records, property};
use crate::protocol::request::{PullMessage, PullResponse, PullStatus};

/// Pull request flags (Java `PullSysFlag`).
pub(crate) mod flag {
    /// Commit the offset in `commitOffset` along with the pull.
    pub(crate) const COMMIT_OFFSET: i32 = 0x1;
    /// The broker may hold the request until messages arrive.
    pub(crate) const SUSPEND: i32 = 0x2;
    /// The request carries the subscription expression.
    pub(crate) const SUBSCRIPTION: i32 = 0x4;
}

/// What a pull found (Java `PullResult`).
#[derive(Clone, Debug)]
pub struct PullResult {
    /// Found, nothing new, nothing matching, or an offset out of range.
    pub status: PullStatus,
    /// The offset to pull from next.
    pub next_begin_offset: i64,
    /// The queue's smallest offset.
    pub min_offset: i64,
    /// The queue's largest offset (one past the last message).
    pub max_offset: i64,
    /// The messages (after the client-side tag check), in queue order.
    pub messages: Vec<ReceivedMessage>,
}

/// One pull's parameters. The queue is namespaced.
pub(crate) struct PullSpec<'a> {
    pub(crate) queue: &'a MessageQueue,
    pub(crate) sub: &'a SubscriptionData,
    pub(crate) offset: i64,
    pub(crate) max_nums: i32,
    /// Commit this offset with the pull (not to a slave).
    pub(crate) commit_offset: Option<i64>,
    /// Send the expression (else the broker uses the heartbeat's subscription).
    pub(crate) post_subscription: bool,
    /// Let the broker hold the request this long (long polling).
    pub(crate) suspend: Option<Duration>,
    /// How long to wait for the answer.
    pub(crate) timeout: Duration,
}

/// Pulls for one group, remembering the broker each queue should be pulled from.
pub(crate) struct Fetcher {
    client: Client,
    /// The group, namespaced.
    group: String,
    suggested: Mutex<HashMap<MessageQueue, i64>>,
}

impl Fetcher {
    pub(crate) fn new(client: Client, group: String) -> Self {
        Self {
            client,
            group,
            suggested: Mutex::default(),
        }
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn group(&self) -> &str {
        &self.group
    }

    fn suggested(&self, queue: &MessageQueue) -> i64 {
        self.suggested
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(queue)
            .copied()
            .unwrap_or(MASTER_ID)
    }

    fn suggest(&self, queue: &MessageQueue, id: i64) {
        let mut suggested = self
            .suggested
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Updated in place: the queue is copied only the first time.
        match suggested.get_mut(queue) {
            Some(current) => *current = id,
            None => {
                suggested.insert(queue.clone(), id);
            }
        }
    }

    /// Forgets the suggestion for a queue no longer consumed.
    pub(crate) fn forget(&self, queue: &MessageQueue) {
        self.suggested
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(queue);
    }

    /// Pulls once (Java `pullKernelImpl` + `processPullResult`).
    pub(crate) async fn pull(&self, spec: PullSpec<'_>) -> Result<PullResult> {
        let target =
            broker::find_or_refresh(&self.client, spec.queue, self.suggested(spec.queue), false)
                .await?;
        let mut sys_flag = 0;
        if spec.commit_offset.is_some() && !target.slave {
            sys_flag |= flag::COMMIT_OFFSET;
        }
        if spec.suspend.is_some() {
            sys_flag |= flag::SUSPEND;
        }
        if spec.post_subscription {
            sys_flag |= flag::SUBSCRIPTION;
        }
        let header = PullMessageRequestHeader {
            consumer_group: self.group.clone(),
            topic: spec.queue.topic.clone(),
            queue_id: spec.queue.queue_id,
            queue_offset: spec.offset,
            max_msg_nums: spec.max_nums,
            sys_flag,
            commit_offset: spec.commit_offset.unwrap_or(0),
            suspend_timeout_millis: spec
                .suspend
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            subscription: spec.post_subscription.then(|| spec.sub.sub_string.clone()),
            sub_version: spec.sub.sub_version,
            expression_type: Some(spec.sub.expression_type.as_str().to_owned()),
            max_msg_bytes: None,
            request_source: None,
            proxy_forward_client_id: None,
            rpc: RpcFields {
                broker_name: Some(spec.queue.broker_name.clone()),
                ..RpcFields::default()
            },
        };
        let response: PullResponse = self
            .client
            .call(&target.addr, &PullMessage(header), spec.timeout)
            .await?;
        self.suggest(spec.queue, response.header.suggest_which_broker_id);
        let expected = usize::try_from(spec.max_nums).unwrap_or(0).min(1024);
        Ok(self.result(spec.queue, spec.sub, response, expected))
    }

    /// Decodes and checks what a pull found.
    fn result(
        &self,
        queue: &MessageQueue,
        sub: &SubscriptionData,
        response: PullResponse,
        expected: usize,
    ) -> PullResult {
        let header = &response.header;
        let mut messages = Vec::new();
        if response.status == PullStatus::Found {
            messages.reserve(expected);
        }
        if response.status == PullStatus::Found {
            // Shared by every message of the pull: adding them allocates nothing per message.
            let min: std::sync::Arc<str> = header.min_offset.to_string().into();
            let max: std::sync::Arc<str> = header.max_offset.to_string().into();
            let origin = Origin::of(queue);
            let namespace = self.client.config().namespace().is_some();
            for record in Records::new(response.body, DecodeOptions::default()) {
                let mut stored = match record {
                    Ok(stored) => stored,
                    Err(err) => {
                        // Java's decoder keeps what it decoded before a bad record.
                        tracing::warn!(?queue, %err, "undecodable record in pull result");
                        break;
                    }
                };
                if !tags_match(sub, stored.message.tags()) {
                    continue;
                }
                let props = stored.message.properties_mut();
                props.insert_shared(property::MIN_OFFSET, min.clone());
                props.insert_shared(property::MAX_OFFSET, max.clone());
                messages.push(ReceivedMessage::with_origin(
                    stored,
                    &origin,
                    &self.group,
                    |t| {
                        if !namespace {
                            return None;
                        }
                        let stripped = self.client.without_namespace(t);
                        (stripped != t).then_some(stripped)
                    },
                ));
            }
        }
        PullResult {
            status: response.status,
            next_begin_offset: header.next_begin_offset,
            min_offset: header.min_offset,
            max_offset: header.max_offset,
            messages,
        }
    }
}
