//! Handing a message back for a later delivery (Java `sendMessageBack`): first
//! CONSUMER_SEND_MSG_BACK to the broker the message came from, which schedules it on the
//! group's retry topic (or moves it to the dead-letter topic after the maximum number of
//! deliveries); if that fails, the message is sent as a new message to the retry topic,
//! as Java's internal producer does.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::broker;
use super::message::ReceivedMessage;
use super::subscription::now_millis;
use crate::client::Client;
use crate::client::namespace::RETRY_PREFIX;
use crate::protocol::MessageQueue;
use crate::protocol::header::{
    ConsumerSendMsgBackRequestHeader, RpcFields, SendMessageRequestHeaderV2,
};
use crate::protocol::message::{SysFlag, property};
use crate::protocol::request::{ConsumerSendMsgBack, SendMessageV2};
use crate::{Error, Result};

/// Java's timeout of CONSUMER_SEND_MSG_BACK (5 s).
const BACK_TIMEOUT: Duration = Duration::from_secs(5);
/// Java's producer send timeout (3 s).
const SEND_TIMEOUT: Duration = Duration::from_secs(3);
/// The group of Java's internal producer (`MixAll.CLIENT_INNER_PRODUCER_GROUP`).
const INNER_PRODUCER_GROUP: &str = "CLIENT_INNER_PRODUCER";

/// Sends messages back for one consumer group.
pub(crate) struct SendBack {
    client: Client,
    /// The group, namespaced.
    group: String,
    /// Round robin over the retry topic's queues for the fallback.
    next_queue: AtomicUsize,
}

/// Where a message goes back to.
pub(crate) struct BackTo<'a> {
    pub(crate) message: &'a ReceivedMessage,
    /// The delay level: 0 lets the broker pick `3 + reconsume times`, -1 is the DLQ.
    pub(crate) delay_level: i32,
    /// Java's `getMaxReconsumeTimes()` of the consumer.
    pub(crate) max_reconsume_times: i32,
    /// The reconsume count the fallback message carries (Java: one more than now for
    /// concurrent consumers, the current count for orderly ones).
    pub(crate) fallback_reconsume_times: i32,
}

impl SendBack {
    pub(crate) fn new(client: Client, group: String) -> Self {
        Self {
            client,
            group,
            next_queue: AtomicUsize::new(0),
        }
    }

    /// CONSUMER_SEND_MSG_BACK, then the retry-topic fallback (Java 5.x
    /// `DefaultMQPushConsumerImpl.sendMessageBack`). Fails only when both fail.
    pub(crate) async fn send(&self, back: BackTo<'_>) -> Result<()> {
        match self.to_broker(&back).await {
            Ok(()) => Ok(()),
            Err(err) => {
                tracing::debug!(msg_id = %back.message.msg_id(), %err, "send back refused; sending to the retry topic");
                self.to_retry_topic(&back).await
            }
        }
    }

    /// Only CONSUMER_SEND_MSG_BACK (Java's pull consumer's `sendMessageBack`).
    pub(crate) async fn to_broker(&self, back: &BackTo<'_>) -> Result<()> {
        let msg = back.message;
        let queue = MessageQueue {
            broker_name: msg.broker_name().to_owned(),
            ..msg.queue()
        };
        let addr = match self.client.master_addr(msg.broker_name()) {
            Some(addr) => addr,
            None => broker::master(&self.client, &queue).await?,
        };
        let request = ConsumerSendMsgBack(ConsumerSendMsgBackRequestHeader {
            offset: msg.commit_log_offset(),
            group: self.group.clone(),
            delay_level: back.delay_level,
            origin_msg_id: Some(msg.msg_id()),
            origin_topic: Some(self.client.with_namespace(msg.topic())),
            unit_mode: false,
            max_reconsume_times: Some(back.max_reconsume_times),
            rpc: RpcFields {
                broker_name: Some(msg.broker_name().to_owned()),
                ..RpcFields::default()
            },
        });
        self.client.call(&addr, &request, BACK_TIMEOUT).await
    }

    /// The message as a new message to `%RETRY%<group>` with Java's properties
    /// (`RETRY_TOPIC`, `ORIGIN_MESSAGE_ID`, `RECONSUME_TIME`, `MAX_RECONSUME_TIMES`) and
    /// delay level `3 + reconsume times`.
    pub(crate) async fn to_retry_topic(&self, back: &BackTo<'_>) -> Result<()> {
        let msg = back.message;
        let topic = format!("{RETRY_PREFIX}{}", self.group);
        let mut props = msg.properties().clone();
        if props
            .get(property::ORIGIN_MESSAGE_ID)
            .is_none_or(|id| id.trim().is_empty())
        {
            props.insert(property::ORIGIN_MESSAGE_ID, msg.msg_id());
        }
        props.insert(
            property::RETRY_TOPIC,
            self.client.with_namespace(msg.topic()),
        );
        props.insert(
            property::RECONSUME_TIME,
            back.fallback_reconsume_times.to_string(),
        );
        props.insert(
            property::MAX_RECONSUME_TIMES,
            back.max_reconsume_times.to_string(),
        );
        props.remove(property::TRAN_MSG);
        props.insert(property::DELAY, (3 + msg.reconsume_times()).to_string());
        if props.get(property::UNIQ_KEY).is_none() {
            props.insert(property::UNIQ_KEY, self.client.next_unique_id());
        }
        let route = self.client.publish_route(&topic, "TBW102", 4).await?;
        let queues = route.write_queues();
        if queues.is_empty() {
            return Err(Error::NoRoute { topic });
        }
        let queue = &queues[self.next_queue.fetch_add(1, Ordering::Relaxed) % queues.len()];
        let addr = broker::master(&self.client, queue).await?;
        let request = SendMessageV2 {
            header: SendMessageRequestHeaderV2 {
                producer_group: INNER_PRODUCER_GROUP.to_owned(),
                topic: topic.clone(),
                default_topic: "TBW102".to_owned(),
                default_topic_queue_nums: 4,
                queue_id: queue.queue_id,
                sys_flag: SysFlag::EMPTY.bits(),
                born_timestamp: now_millis(),
                flag: msg.message().flag(),
                properties: Some(props.encode()),
                reconsume_times: Some(back.fallback_reconsume_times),
                unit_mode: false,
                max_reconsume_times: Some(back.max_reconsume_times),
                batch: false,
                broker_name: Some(queue.broker_name.clone()),
            },
            body: msg.body().clone(),
        };
        self.client
            .call(&addr, &request, SEND_TIMEOUT)
            .await
            .map(|_| ())
    }
}
