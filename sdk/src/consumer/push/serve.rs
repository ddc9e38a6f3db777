//! What a push consumer tells brokers and tools (Java `ClientRemotingProcessor` and
//! `DefaultMQPushConsumerImpl.consumerRunningInfo`): heartbeat data, rebalance on
//! `NOTIFY_CONSUMER_IDS_CHANGED` (40), offset reset (220), offsets (221), running info
//! (307, the JSON `mqadmin consumerStatus` prints) and direct consumption (309).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::core::Core;
use super::listener::{ConsumeContext, ConsumeStatus, Listener, OrderlyContext, OrderlyStatus};
use crate::Result;
use crate::client::ConsumerGroup;
use crate::consumer::ReceivedMessage;
use crate::consumer::process_queue::ProcessQueue;
use crate::protocol::body::{
    ConsumeType, ConsumerData, ConsumerRunningInfo, LinkedMap, ResetOffset, prop,
};
use crate::protocol::header::{
    ConsumeMessageDirectlyResultRequestHeader, GetConsumerRunningInfoRequestHeader,
    GetConsumerStatusRequestHeader, ResetOffsetRequestHeader,
};
use crate::protocol::json::JsonBody;
use crate::protocol::message::{DecodeOptions, StoredMessage};
use crate::protocol::{MessageQueue, RemotingCommand, RequestCode, ResponseCode, Version};
use crate::remoting::RequestContext;

/// Java's wait for consumption in flight before applying an offset reset (10 s).
const RESET_WAIT: Duration = Duration::from_secs(10);

use crate::consumer::BrokerAnswer as Answer;

/// The push consumer's entry in the client's consumer table.
pub(crate) struct PushGroup {
    pub(crate) core: Weak<Core>,
    pub(crate) group: String,
}

impl ConsumerGroup for PushGroup {
    fn consumer_data(&self) -> ConsumerData {
        let Some(core) = self.core.upgrade() else {
            return ConsumerData {
                group_name: self.group.clone(),
                ..ConsumerData::default()
            };
        };
        ConsumerData {
            group_name: core.group.clone(),
            consume_type: Some(ConsumeType::Push),
            message_model: Some(core.settings.model.java()),
            consume_from_where: Some(core.settings.consume_from.java()),
            subscription_data_set: core.subscriptions(),
            unit_mode: false,
        }
    }

    fn rebalance_soon(&self) {
        if let Some(core) = self.core.upgrade() {
            core.rebalance_now.notify_one();
        }
    }

    fn handle_request(&self, _ctx: RequestContext, request: RemotingCommand) -> Option<Answer> {
        let core = self.core.upgrade()?;
        let code = RequestCode(request.code);
        let answer: Answer = match code {
            RequestCode::NOTIFY_CONSUMER_IDS_CHANGED => {
                core.rebalance_now.notify_one();
                Box::pin(async { Ok(None) })
            }
            RequestCode::RESET_CONSUMER_CLIENT_OFFSET => Box::pin(reset_offset(core, request)),
            RequestCode::GET_CONSUMER_STATUS_FROM_CLIENT => {
                Box::pin(async move { consumer_status(&core, &request) })
            }
            RequestCode::GET_CONSUMER_RUNNING_INFO => {
                Box::pin(async move { running_info(&core, &request).await })
            }
            RequestCode::CONSUME_MESSAGE_DIRECTLY => {
                Box::pin(async move { consume_directly(&core, &request).await })
            }
            _ => return None,
        };
        Some(answer)
    }
}

/// RESET_CONSUMER_CLIENT_OFFSET (Java `MQClientInstance.resetOffset`): pause, drop the
/// topic's queues, let consumption in flight end, store the new offsets, resume and
/// rebalance (which starts the queues again at the new offsets).
async fn reset_offset(
    core: Arc<Core>,
    request: RemotingCommand,
) -> Result<Option<RemotingCommand>> {
    let header: ResetOffsetRequestHeader = request.read_header()?;
    let body = ResetOffset::from_json(&request.body)?;
    let table: BTreeMap<MessageQueue, i64> = body
        .offset_table
        .iter()
        .map(|(q, o)| (q.clone(), *o))
        .collect();
    tracing::info!(group = %core.group, topic = %header.topic, queues = table.len(), "offset reset by the broker");
    let core2 = Arc::clone(&core);
    core.background.spawn_cancellable(async move {
        apply_reset(&core2, &header.topic, &table).await;
    });
    Ok(None)
}

async fn apply_reset(core: &Arc<Core>, topic: &str, table: &BTreeMap<MessageQueue, i64>) {
    core.paused.store(true, Ordering::Release);
    let affected: Vec<(MessageQueue, Arc<ProcessQueue>)> = core
        .queues()
        .iter()
        .filter(|(q, _)| q.topic == topic && table.contains_key(*q))
        .map(|(q, pq)| (q.clone(), Arc::clone(pq)))
        .collect();
    for (_, pq) in &affected {
        pq.drop_queue();
        pq.clear();
    }
    // Java sleeps 10 s; consumption in flight on those queues is what it waits for.
    let deadline = Instant::now() + RESET_WAIT;
    for (_, pq) in &affected {
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(left, pq.orderly_lock.lock()).await;
        let _ = tokio::time::timeout(left, pq.consume_lock.lock()).await;
    }
    for (queue, pq) in &affected {
        if let Some(offset) = table.get(queue) {
            core.offsets.update(queue, *offset, false);
            core.remove_unnecessary(queue, pq).await;
            core.queues().remove(queue);
        }
    }
    core.paused.store(false, Ordering::Release);
    core.rebalance_now.notify_one();
}

/// Java `GetConsumerStatusBody`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ConsumerStatusBody {
    message_queue_table: LinkedMap<MessageQueue, i64>,
    consumer_table: LinkedMap<String, LinkedMap<MessageQueue, i64>>,
}

impl JsonBody for ConsumerStatusBody {}

/// GET_CONSUMER_STATUS_FROM_CLIENT: the offsets of the topic's queues.
fn consumer_status(core: &Core, request: &RemotingCommand) -> Result<Option<RemotingCommand>> {
    let header: GetConsumerStatusRequestHeader = request.read_header()?;
    let mut body = ConsumerStatusBody::default();
    for (queue, offset) in core.offsets.offsets_of(&header.topic) {
        body.message_queue_table.insert(queue, offset);
    }
    Ok(Some(
        RemotingCommand::response(ResponseCode::SUCCESS).with_body(body.to_json()),
    ))
}

/// GET_CONSUMER_RUNNING_INFO: settings, subscriptions, per-queue state, statistics.
async fn running_info(
    core: &Arc<Core>,
    request: &RemotingCommand,
) -> Result<Option<RemotingCommand>> {
    let header: GetConsumerRunningInfoRequestHeader = request.read_header()?;
    let mut info = running_info_of(core).await;
    if header.jstack_enable {
        info.jstack = Some(format!(
            "rocketmq-rust consumer {}: {} background tasks, {} consume tasks\n",
            core.group,
            core.background.live(),
            core.consuming.live()
        ));
    }
    Ok(Some(
        RemotingCommand::response(ResponseCode::SUCCESS).with_body(info.to_json()),
    ))
}

/// The running info Java's tools read (`ConsumerRunningInfo`).
pub(crate) async fn running_info_of(core: &Arc<Core>) -> ConsumerRunningInfo {
    let mut info = ConsumerRunningInfo::default();
    let s = &core.settings;
    let config = core.client.config();
    let mut props: Vec<(&str, String)> = vec![
        ("consumerGroup", core.group.clone()),
        ("messageModel", s.model.java().to_string()),
        ("consumeFromWhere", s.consume_from.java().to_string()),
        ("allocateMessageQueueStrategy", core.strategy.name()),
        ("consumeThreadMin", s.consume_threads.to_string()),
        ("consumeThreadMax", s.consume_threads.to_string()),
        (
            "pullThresholdForQueue",
            s.pull_threshold_for_queue.to_string(),
        ),
        (
            "pullThresholdSizeForQueue",
            s.pull_threshold_size_for_queue.to_string(),
        ),
        ("pullThresholdForTopic", limit(s.pull_threshold_for_topic)),
        (
            "pullThresholdSizeForTopic",
            limit(s.pull_threshold_size_for_topic),
        ),
        ("consumeConcurrentlyMaxSpan", s.max_span.to_string()),
        ("pullInterval", s.pull_interval.as_millis().to_string()),
        ("pullBatchSize", s.pull_batch_size.to_string()),
        (
            "consumeMessageBatchMaxSize",
            s.consume_batch_size.to_string(),
        ),
        (
            "postSubscriptionWhenPull",
            s.post_subscription_when_pull.to_string(),
        ),
        ("maxReconsumeTimes", core.max_reconsume().to_string()),
        (
            "suspendCurrentQueueTimeMillis",
            s.suspend_time.as_millis().to_string(),
        ),
        (
            "consumeTimeout",
            (s.consume_timeout.as_secs() / 60).to_string(),
        ),
        ("namesrvAddr", config.namesrv_addrs().join(";")),
        ("clientIP", config.client_ip().to_owned()),
        ("instanceName", config.instance_name().to_owned()),
        ("unitMode", "false".to_owned()),
        (prop::NAMESERVER_ADDR, config.namesrv_addrs().join(";")),
        (prop::CONSUME_TYPE, ConsumeType::Push.to_string()),
        (
            prop::CLIENT_VERSION,
            Version::CURRENT.name().unwrap_or("V5_3_3").to_owned(),
        ),
        (prop::CONSUME_ORDERLY, core.orderly().to_string()),
        (prop::THREADPOOL_CORE_SIZE, s.consume_threads.to_string()),
        (prop::CONSUMER_START_TIMESTAMP, core.started_at.to_string()),
    ];
    if let Some(ns) = config.namespace() {
        props.push(("namespace", ns.to_owned()));
    }
    for (key, value) in props {
        info.properties.insert(key.to_owned(), value);
    }
    let subs = core.subscriptions();
    let held: Vec<(MessageQueue, Arc<ProcessQueue>)> = core
        .queues()
        .iter()
        .map(|(q, pq)| (q.clone(), Arc::clone(pq)))
        .collect();
    for (queue, pq) in held {
        let commit = core
            .offsets
            .read_memory_then_store(&queue)
            .await
            .ok()
            .flatten()
            .unwrap_or(-1);
        info.mq_table.insert(queue, pq.info(commit));
    }
    for sub in &subs {
        info.status_table
            .insert(sub.topic.clone(), core.stats.status(&sub.topic));
    }
    info.subscription_set = subs;
    info
}

fn limit(value: Option<usize>) -> String {
    value.map_or_else(|| "-1".to_owned(), |v| v.to_string())
}

/// Java `ConsumeMessageDirectlyResult`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct DirectResult {
    order: bool,
    auto_commit: bool,
    consume_result: Option<String>,
    remark: Option<String>,
    spent_time_mills: i64,
}

impl JsonBody for DirectResult {}

/// CONSUME_MESSAGE_DIRECTLY: the listener consumes the message in the body right away
/// (used by tools to resend a message to one consumer); the answer says how it went.
async fn consume_directly(
    core: &Arc<Core>,
    request: &RemotingCommand,
) -> Result<Option<RemotingCommand>> {
    let header: ConsumeMessageDirectlyResultRequestHeader = request.read_header()?;
    let mut body = request.body.clone();
    let stored = StoredMessage::decode(&mut body, &DecodeOptions::default())?;
    let broker_name = header.broker_name.unwrap_or_default();
    let queue = MessageQueue {
        topic: stored.message.topic().to_owned(),
        broker_name,
        queue_id: stored.queue_id,
    };
    let msg = ReceivedMessage::new(stored, &queue, &core.group, |t| {
        core.client.without_namespace(t)
    });
    let user_queue = MessageQueue {
        topic: msg.topic().to_owned(),
        ..queue
    };
    let began = Instant::now();
    let mut result = DirectResult {
        auto_commit: true,
        ..DirectResult::default()
    };
    let (code, panicked) = match &core.listener {
        Listener::Concurrent(l) => {
            let (status, _, panicked) = Arc::clone(l)
                .call(vec![msg], ConsumeContext::new(user_queue))
                .await;
            let code = match status {
                ConsumeStatus::Success => "CR_SUCCESS",
                ConsumeStatus::ReconsumeLater => "CR_LATER",
            };
            (code, panicked)
        }
        Listener::Orderly(l) => {
            result.order = true;
            let (status, _, panicked) = Arc::clone(l)
                .call(vec![msg], OrderlyContext::new(user_queue))
                .await;
            let code = match status {
                OrderlyStatus::Success => "CR_SUCCESS",
                OrderlyStatus::Suspend => "CR_LATER",
            };
            (code, panicked)
        }
    };
    if panicked {
        result.consume_result = Some("CR_THROW_EXCEPTION".to_owned());
        result.remark = Some("listener panicked".to_owned());
    } else {
        result.consume_result = Some(code.to_owned());
    }
    result.spent_time_mills = i64::try_from(began.elapsed().as_millis()).unwrap_or(i64::MAX);
    Ok(Some(
        RemotingCommand::response(ResponseCode::SUCCESS).with_body(result.to_json()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_as_java_writes_them() {
        let mut status = ConsumerStatusBody::default();
        status.message_queue_table.insert(
            MessageQueue {
                topic: "t".into(),
                broker_name: "b".into(),
                queue_id: 1,
            },
            7,
        );
        assert_eq!(
            String::from_utf8(status.to_json()).unwrap(),
            r#"{"consumerTable":{},"messageQueueTable":{{"brokerName":"b","queueId":1,"topic":"t"}:7}}"#
        );
        let direct = DirectResult {
            order: false,
            auto_commit: true,
            consume_result: Some("CR_SUCCESS".into()),
            remark: None,
            spent_time_mills: 3,
        };
        assert_eq!(
            String::from_utf8(direct.to_json()).unwrap(),
            r#"{"autoCommit":true,"consumeResult":"CR_SUCCESS","order":false,"spentTimeMills":3}"#
        );
    }
}
