//! The broker's query and admin requests in-process on 127.0.0.1:0, driven by the SDK's
//! RemotingClient as Java's mqadmin and admin client send them: QUERY_MESSAGE,
//! VIEW_MESSAGE_BY_ID, topic and subscription-group management, runtime info, broker
//! config, consume and topic stats, connection lists, offset resets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use bytes::Bytes;
use rocketmq::protocol::body::{
    ConsumeStats, ConsumeType, ConsumerConnection, ConsumerData, ConsumerRunningInfo, Heartbeat,
    KvTable, MessageModel, ProducerConnection, ProducerData, ResetOffset, SubscriptionData,
    SubscriptionGroupConfig, SubscriptionGroupTable, TopicConfigTable, TopicStats,
};
use rocketmq::protocol::header::{
    CreateTopicRequestHeader, DeleteSubscriptionGroupRequestHeader, DeleteTopicRequestHeader,
    GetConsumeStatsRequestHeader, GetConsumerConnectionListRequestHeader,
    GetConsumerRunningInfoRequestHeader, GetConsumerStatusRequestHeader,
    GetProducerConnectionListRequestHeader, GetTopicConfigRequestHeader,
    GetTopicStatsInfoRequestHeader, QueryMessageRequestHeader, QueryMessageResponseHeader,
    QueryTopicConsumeByWhoRequestHeader, ResetOffsetRequestHeader, SendMessageRequestHeaderV2,
    SendMessageResponseHeader, UpdateConsumerOffsetRequestHeader, ViewMessageRequestHeader,
};
use rocketmq::protocol::json::{self, JsonBody, JsonValue};
use rocketmq::protocol::message::{OffsetMsgId, StoredMessage};
use rocketmq::protocol::{MessageQueue, RemotingCommand, RequestCode, ResponseCode, Version};
use rocketmq::remoting::{RemotingClient, RequestContext};
use tokio::sync::mpsc;

mod broker_env;
use broker_env::{Env, TIMEOUT, decode, unique};

/// A broker with small index files (queries reach several of them quickly).
async fn start() -> Env {
    Env::start_with(|config| {
        config.store.index_hash_slots = 1024;
        config.store.index_entries = 4096;
    })
    .await
}

impl Env {
    /// Sends one message (SEND_MESSAGE_V2 as a 5.x producer) with `properties`.
    async fn send(
        &self,
        topic: &str,
        queue_id: i32,
        properties: &str,
        body: &str,
    ) -> SendMessageResponseHeader {
        let header = SendMessageRequestHeaderV2 {
            producer_group: "PG".into(),
            topic: topic.into(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: 4,
            queue_id,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_123,
            flag: 0,
            properties: Some(properties.into()),
            reconsume_times: Some(0),
            unit_mode: false,
            max_reconsume_times: None,
            batch: false,
            broker_name: Some("broker-a".into()),
        };
        let r = self
            .call(
                RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
                    .with_version(Version::V5_3_3)
                    .with_header(&header)
                    .with_body(Bytes::from(body.to_owned())),
            )
            .await;
        assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
        r.read_header().unwrap()
    }
}

fn props(keys: &str, uniq: &str) -> String {
    format!("KEYS\u{1}{keys}\u{2}UNIQ_KEY\u{1}{uniq}\u{2}WAIT\u{1}true\u{2}TAGS\u{1}t\u{2}")
}

fn query(topic: &str, key: &str, max: i32, uniq: Option<bool>) -> RemotingCommand {
    RemotingCommand::request(RequestCode::QUERY_MESSAGE).with_header(&QueryMessageRequestHeader {
        topic: topic.into(),
        key: key.into(),
        max_num: max,
        begin_timestamp: 0,
        end_timestamp: i64::MAX,
        unique_key_query: uniq,
        rpc: Default::default(),
    })
}

fn bodies(msgs: &[StoredMessage]) -> Vec<String> {
    msgs.iter()
        .map(|m| String::from_utf8(m.message.body().to_vec()).unwrap())
        .collect()
}

#[tokio::test]
async fn query_by_key_unique_key_and_offset_id() {
    let mut env = start().await;
    let topic = unique("Query");
    let mut sent = Vec::new();
    for i in 0..40 {
        let uniq = format!("7F00000100002A9F0000000000{i:04}");
        let keys = format!("order-{i} shared");
        sent.push(
            env.send(&topic, i % 4, &props(&keys, &uniq), &format!("body-{i}"))
                .await,
        );
    }

    // By key: the record of that key only, with exactly the properties sent (plus what
    // the broker adds), and the index's progress in the header.
    let r = env.call(query(&topic, "order-7", 32, None)).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let h: QueryMessageResponseHeader = r.read_header().unwrap();
    assert!(h.index_last_update_timestamp > 0);
    assert!(h.index_last_update_phyoffset > 0);
    let msgs = decode(&r.body);
    assert_eq!(bodies(&msgs), ["body-7"]);
    let m = &msgs[0];
    assert_eq!(m.message.topic(), topic);
    assert_eq!(m.message.keys().collect::<Vec<_>>(), ["order-7", "shared"]);
    assert!(
        m.message.property("__CRC32#").is_none(),
        "the store's CRC stays internal"
    );

    // A key shared by every message: maxNum respected, commit-log order.
    let r = env.call(query(&topic, "shared", 5, None)).await;
    let msgs = decode(&r.body);
    assert_eq!(
        bodies(&msgs),
        ["body-35", "body-36", "body-37", "body-38", "body-39"]
    );

    // A unique-key query gets at most 32 whatever maxNum says.
    let uniq = "7F00000100002A9F00000000000012";
    let r = env.call(query(&topic, uniq, 1, Some(true))).await;
    assert_eq!(bodies(&decode(&r.body)), ["body-12"]);
    let r = env.call(query(&topic, "shared", 1, Some(true))).await;
    assert_eq!(decode(&r.body).len(), 32);

    // Nothing: QUERY_NOT_FOUND with Java's remark; other topics do not match.
    for (t, k) in [(topic.as_str(), "nope"), ("OtherTopic", "order-7")] {
        let r = env.call(query(t, k, 32, None)).await;
        assert_eq!(r.code, ResponseCode::QUERY_NOT_FOUND.0);
        assert_eq!(
            r.remark.as_deref(),
            Some("can not find message, maybe time range not correct")
        );
    }

    // By offset message id.
    let id: OffsetMsgId = sent[21].msg_id.parse().unwrap();
    let view = |offset: i64| {
        RemotingCommand::request(RequestCode::VIEW_MESSAGE_BY_ID).with_header(
            &ViewMessageRequestHeader {
                offset,
                topic: None,
            },
        )
    };
    let r = env.call(view(id.commit_log_offset())).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let msgs = decode(&r.body);
    assert_eq!(bodies(&msgs), ["body-21"]);
    assert_eq!(msgs[0].commit_log_offset, id.commit_log_offset());
    assert_eq!(msgs[0].queue_offset, sent[21].queue_offset);
    for bad in [id.commit_log_offset() + 1, -5, 1 << 40] {
        let r = env.call(view(bad)).await;
        assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);
        assert_eq!(
            r.remark.as_deref(),
            Some(format!("can not find message by the offset, {bad}").as_str())
        );
    }

    env.stop().await;
}

fn request<H: rocketmq::protocol::CommandHeader>(code: RequestCode, h: &H) -> RemotingCommand {
    RemotingCommand::request(code).with_header(h)
}

fn create_topic(topic: &str, queues: i32, attributes: Option<&str>) -> RemotingCommand {
    request(
        RequestCode::UPDATE_AND_CREATE_TOPIC,
        &CreateTopicRequestHeader {
            topic: topic.into(),
            default_topic: "TBW102".into(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm: 6,
            topic_filter_type: "SINGLE_TAG".into(),
            topic_sys_flag: Some(0),
            order: false,
            attributes: attributes.map(str::to_owned),
            force: false,
            rpc: Default::default(),
        },
    )
}

fn topic_stats(topic: &str) -> RemotingCommand {
    request(
        RequestCode::GET_TOPIC_STATS_INFO,
        &GetTopicStatsInfoRequestHeader {
            topic: topic.into(),
            rpc: Default::default(),
        },
    )
}

fn plain(code: RequestCode) -> RemotingCommand {
    RemotingCommand::request(code)
}

#[tokio::test]
async fn topics_create_stats_delete() {
    let mut env = start().await;
    let topic = unique("Admin");
    let r = env
        .call(create_topic(&topic, 3, Some("+message.type=NORMAL")))
        .await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let all = env.call(plain(RequestCode::GET_ALL_TOPIC_CONFIG)).await;
    let table = TopicConfigTable::from_json(&all.body).unwrap();
    let t = &table.topic_config_table[&topic];
    assert_eq!((t.read_queue_nums, t.write_queue_nums, t.perm), (3, 3, 6));
    assert_eq!(
        t.attributes
            .as_ref()
            .and_then(|a| a.get("message.type"))
            .map(String::as_str),
        Some("NORMAL")
    );
    assert!(table.data_version.is_some());
    assert!(
        table.mapping_data_version.is_some(),
        "5.x shape for a 5.x caller"
    );

    // GET_TOPIC_CONFIG (5.x mqadmin topicStatus/consumerProgress ask it first): the
    // config as the 5.5.0 broker writes it, or TOPIC_NOT_EXIST.
    let one = |t: &str| {
        request(
            RequestCode::GET_TOPIC_CONFIG,
            &GetTopicConfigRequestHeader {
                topic: t.to_owned(),
                lo: Some(true),
                ..Default::default()
            },
        )
    };
    let r = env.call(one(&topic)).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    assert_eq!(
        text,
        format!(
            "{{\"attributes\":{{\"message.type\":\"NORMAL\"}},\"order\":false,\"perm\":6,\"readQueueNums\":3,\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":\"{topic}\",\"topicSysFlag\":0,\"writeQueueNums\":3}}"
        )
    );
    let r = env.call(one("NoSuchTopic")).await;
    assert_eq!(r.code, ResponseCode::TOPIC_NOT_EXIST.0);
    assert_eq!(
        r.remark.as_deref(),
        Some("No topic in this broker. topic: NoSuchTopic")
    );

    // Java's refusals.
    for (bad, remark) in [
        (
            "bad topic!",
            "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$",
        ),
        ("TBW102", "The topic[TBW102] is conflict with system topic."),
        (
            "rmq_sys_x",
            "The topic[rmq_sys_x] is conflict with system topic.",
        ),
    ] {
        let r = env.call(create_topic(bad, 1, None)).await;
        assert_eq!(r.code, ResponseCode::INVALID_PARAMETER.0, "{bad}");
        assert_eq!(r.remark.as_deref(), Some(remark));
    }
    let r = env
        .call(create_topic(&unique("A"), 1, Some("+nope=1")))
        .await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);
    assert_eq!(r.remark.as_deref(), Some("unsupported key: nope"));

    // Stats per queue: min/max offset and last store time.
    for i in 0..5 {
        env.send(
            &topic,
            i % 2,
            &props(&format!("k{i}"), &format!("U{i}")),
            "b",
        )
        .await;
    }
    let r = env.call(topic_stats(&topic)).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let stats = TopicStats::from_json(&r.body).unwrap();
    assert_eq!(stats.offset_table.len(), 3);
    let q = |id| MessageQueue {
        topic: topic.clone(),
        broker_name: "broker-a".into(),
        queue_id: id,
    };
    assert_eq!(stats.offset_table[&q(0)].max_offset, 3);
    assert_eq!(stats.offset_table[&q(1)].max_offset, 2);
    assert_eq!(stats.offset_table[&q(2)].max_offset, 0);
    assert!(stats.offset_table[&q(0)].last_update_timestamp > 1_700_000_000_000);
    assert_eq!(stats.offset_table[&q(2)].last_update_timestamp, 0);
    assert!(stats.topic_put_tps.is_some());

    // Delete: gone from the table, its queues and offsets dropped.
    let del = |t: &str| {
        request(
            RequestCode::DELETE_TOPIC_IN_BROKER,
            &DeleteTopicRequestHeader {
                topic: t.into(),
                rpc: Default::default(),
            },
        )
    };
    let r = env.call(del(&topic)).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let r = env.call(topic_stats(&topic)).await;
    assert_eq!(r.code, ResponseCode::TOPIC_NOT_EXIST.0);
    assert_eq!(
        r.remark.as_deref(),
        Some(format!("topic[{topic}] not exist").as_str())
    );
    let r = env.call(del("SCHEDULE_TOPIC_XXXX")).await;
    assert_eq!(r.code, ResponseCode::INVALID_PARAMETER.0);
    env.call(create_topic(&topic, 3, None)).await;
    let stats = TopicStats::from_json(&env.call(topic_stats(&topic)).await.body).unwrap();
    assert_eq!(stats.offset_table[&q(0)].max_offset, 0, "queues start over");
    env.stop().await;
}

fn commit_offset(group: &str, topic: &str, queue_id: i32, offset: i64) -> RemotingCommand {
    request(
        RequestCode::UPDATE_CONSUMER_OFFSET,
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: group.into(),
            topic: topic.into(),
            queue_id,
            commit_offset: offset,
            rpc: Default::default(),
        },
    )
}

fn consume_stats(group: &str, topic: Option<&str>) -> RemotingCommand {
    request(
        RequestCode::GET_CONSUME_STATS,
        &GetConsumeStatsRequestHeader {
            consumer_group: group.into(),
            topic: topic.map(str::to_owned),
            topic_list: None,
            rpc: Default::default(),
        },
    )
}

#[tokio::test]
async fn groups_and_consume_progress() {
    let mut env = start().await;
    let group = unique("CG");
    let mut config: SubscriptionGroupConfig = json::from_slice(b"{}").unwrap();
    config.group_name = group.clone();
    config.retry_max_times = 5;
    let r = env
        .call(
            plain(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
                .with_body(json::to_vec(&config).unwrap()),
        )
        .await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let all = env
        .call(plain(RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG))
        .await;
    let table = SubscriptionGroupTable::from_json(&all.body).unwrap();
    assert_eq!(table.subscription_group_table[&group].retry_max_times, 5);

    let topic = unique("Progress");
    env.call(create_topic(&topic, 2, None)).await;
    for i in 0..6 {
        env.send(&topic, 0, &props(&format!("k{i}"), &format!("U{i}")), "b")
            .await;
    }
    env.send(&topic, 1, &props("x", "U9"), "b").await;
    let r = env.call(commit_offset(&group, &topic, 0, 4)).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);

    for topic_arg in [Some(topic.as_str()), None] {
        let r = env.call(consume_stats(&group, topic_arg)).await;
        assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
        let stats = ConsumeStats::from_json(&r.body).unwrap();
        assert_eq!(stats.offset_table.len(), 2, "{topic_arg:?}");
        let q0 = MessageQueue {
            topic: topic.clone(),
            broker_name: "broker-a".into(),
            queue_id: 0,
        };
        let o = &stats.offset_table[&q0];
        assert_eq!((o.broker_offset, o.consumer_offset), (6, 4));
        assert!(
            o.last_timestamp > 1_700_000_000_000,
            "store time of message 3"
        );
        assert_eq!(stats.total_diff(), 2 + 1);
    }

    // Who consumes the topic: the group with offsets on it.
    let r = env
        .call(request(
            RequestCode::QUERY_TOPIC_CONSUME_BY_WHO,
            &QueryTopicConsumeByWhoRequestHeader {
                topic: topic.clone(),
                rpc: Default::default(),
            },
        ))
        .await;
    let groups: JsonValue = json::from_slice(&r.body).unwrap();
    assert_eq!(
        json::to_vec(&groups).unwrap(),
        format!(r#"{{"groupList":["{group}"]}}"#).into_bytes()
    );

    // Every offset, in consumerOffset.json's form.
    let r = env.call(plain(RequestCode::GET_ALL_CONSUMER_OFFSET)).await;
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    assert!(
        text.contains(&format!(r#""{topic}@{group}":{{0:4}}"#)),
        "{text}"
    );

    // Delete the group with its offsets.
    let r = env
        .call(request(
            RequestCode::DELETE_SUBSCRIPTIONGROUP,
            &DeleteSubscriptionGroupRequestHeader::new(group.clone(), true),
        ))
        .await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0);
    let table = SubscriptionGroupTable::from_json(
        &env.call(plain(RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG))
            .await
            .body,
    )
    .unwrap();
    assert!(!table.subscription_group_table.contains_key(&group));
    let stats = ConsumeStats::from_json(&env.call(consume_stats(&group, None)).await.body).unwrap();
    assert!(stats.offset_table.is_empty(), "no offsets left");
    env.stop().await;
}

#[tokio::test]
async fn runtime_info_config_and_stats_data() {
    let mut env = start().await;
    let topic = unique("Rt");
    for i in 0..3 {
        env.send(
            &topic,
            0,
            &props(&format!("k{i}"), &format!("U{i}")),
            "body",
        )
        .await;
    }
    let r = env.call(plain(RequestCode::GET_BROKER_RUNTIME_INFO)).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0);
    let kv = KvTable::from_json(&r.body).unwrap().table;
    assert_eq!(kv["msgPutTotalTodayNow"], "3");
    assert_eq!(kv["brokerVersionDesc"], "V5_3_3");
    assert!(kv["commitLogMaxOffset"].parse::<u64>().unwrap() > 0);
    assert_eq!(kv["commitLogMinOffset"], "0");
    assert!(
        kv["runtime"].starts_with("[ 0 days, 0 hours, "),
        "{}",
        kv["runtime"]
    );
    assert!(kv["bootTimestamp"].parse::<i64>().unwrap() > 1_700_000_000_000);
    assert!(kv["earliestMessageTimeStamp"].parse::<i64>().unwrap() > 1_700_000_000_000);
    let ratio: f64 = kv["commitLogDiskRatio"].parse().unwrap();
    assert!((0.0..=1.0).contains(&ratio));
    for key in [
        "putTps",
        "getTransferedTps",
        "getTransferredTps",
        "msgGetTotalTodayNow",
        "commitLogDirCapacity",
    ] {
        assert!(kv.contains_key(key), "{key}");
    }

    // Config: Java's properties text, runtime updates, refusals.
    let get = || plain(RequestCode::GET_BROKER_CONFIG);
    let r = env.call(get()).await;
    assert!(
        r.ext_field("version")
            .is_some_and(|v| v.contains("counter"))
    );
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    assert!(text.contains("brokerName=broker-a\n"), "{text}");
    assert!(text.contains("autoCreateTopicEnable=true\n"));
    let update = |body: &str| {
        plain(RequestCode::UPDATE_BROKER_CONFIG).with_body(body.to_owned().into_bytes())
    };
    let r = env.call(update("autoCreateTopicEnable=false\n")).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let text = String::from_utf8(env.call(get()).await.body.to_vec()).unwrap();
    assert!(text.contains("autoCreateTopicEnable=false\n"), "{text}");
    let r = env.call(update("brokerConfigPath=/tmp/x")).await;
    assert_eq!(r.code, ResponseCode::NO_PERMISSION.0);
    assert_eq!(
        r.remark.as_deref(),
        Some("Can not update config in black list.")
    );
    let r = env.call(update("fileReservedTime=1")).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);
    let r = env.call(update("defaultTopicQueueNums=0")).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0, "validated");

    // Stats items: a known one answers, an unknown one is Java's SYSTEM_ERROR.
    let view = |name: &str, key: &str| {
        plain(RequestCode::VIEW_BROKER_STATS_DATA)
            .with_ext_field("statsName", name)
            .with_ext_field("statsKey", key)
    };
    let r = env.call(view("TOPIC_PUT_NUMS", &topic)).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    assert!(text.starts_with(r#"{"statsDay":{"avgpt":"#), "{text}");
    let r = env.call(view("TOPIC_PUT_NUMS", "nope")).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);
    assert_eq!(
        r.remark.as_deref(),
        Some("The stats <TOPIC_PUT_NUMS> <nope> not exist")
    );
    env.stop().await;
}

/// A consumer that answers the broker's requests the way Java's client does, recording
/// the offset resets it receives.
fn fake_consumer(resets: mpsc::UnboundedSender<ResetOffset>) -> RemotingClient {
    RemotingClient::builder()
        .handler(
            RequestCode::GET_CONSUMER_RUNNING_INFO,
            |_ctx: RequestContext, req: RemotingCommand| async move {
                let h: GetConsumerRunningInfoRequestHeader = req.read_header()?;
                let mut info = ConsumerRunningInfo::default();
                info.properties.insert("PROP_CLIENT_VERSION".into(), "V5_3_3".into());
                info.properties.insert("asked_group".into(), h.consumer_group);
                Ok(Some(RemotingCommand::response(ResponseCode::SUCCESS).with_body(info.to_json())))
            },
        )
        .handler(
            RequestCode::RESET_CONSUMER_CLIENT_OFFSET,
            move |_ctx: RequestContext, req: RemotingCommand| {
                let resets = resets.clone();
                async move {
                    let _ = resets.send(ResetOffset::from_json(&req.body)?);
                    Ok(None)
                }
            },
        )
        .handler(
            RequestCode::GET_CONSUMER_STATUS_FROM_CLIENT,
            |_ctx: RequestContext, req: RemotingCommand| async move {
                let h: GetConsumerStatusRequestHeader = req.read_header()?;
                let body = format!(
                    r#"{{"messageQueueTable":{{{{"brokerName":"broker-a","queueId":0,"topic":"{}"}}:7}}}}"#,
                    h.topic
                );
                Ok(Some(RemotingCommand::response(ResponseCode::SUCCESS).with_body(body.into_bytes())))
            },
        )
        .build()
}

fn heartbeat(client_id: &str, group: &str, topic: &str) -> RemotingCommand {
    let hb = Heartbeat {
        client_id: client_id.into(),
        producer_data_set: vec![ProducerData {
            group_name: format!("{group}_producer"),
        }],
        consumer_data_set: vec![ConsumerData {
            group_name: group.into(),
            consume_type: Some(ConsumeType::Push),
            message_model: Some(MessageModel::Clustering),
            consume_from_where: None,
            subscription_data_set: vec![SubscriptionData::tags(topic, "*", 1)],
            unit_mode: false,
        }],
        heartbeat_fingerprint: None,
        without_sub: None,
    };
    plain(RequestCode::HEART_BEAT).with_body(hb.to_json())
}

#[tokio::test]
async fn connections_running_info_reset_and_status() {
    let mut env = start().await;
    let (group, topic) = (unique("LiveCG"), unique("Live"));
    env.call(create_topic(&topic, 2, None)).await;
    for i in 0..4 {
        env.send(&topic, 0, &props(&format!("k{i}"), &format!("U{i}")), "b")
            .await;
    }
    let (tx, mut resets) = mpsc::unbounded_channel();
    let consumer = fake_consumer(tx);
    let r = consumer
        .invoke(&env.addr, heartbeat("c@1", &group, &topic), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);

    let conn = |g: &str| {
        request(
            RequestCode::GET_CONSUMER_CONNECTION_LIST,
            &GetConsumerConnectionListRequestHeader {
                consumer_group: g.into(),
                rpc: Default::default(),
            },
        )
    };
    let r = env.call(conn(&group)).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let c = ConsumerConnection::from_json(&r.body).unwrap();
    assert_eq!(c.connection_set.len(), 1);
    assert_eq!(c.connection_set[0].client_id, "c@1");
    assert!(c.subscription_table.contains_key(&topic));
    let r = env.call(conn("nobody")).await;
    assert_eq!(r.code, ResponseCode::CONSUMER_NOT_ONLINE.0);
    assert_eq!(
        r.remark.as_deref(),
        Some("the consumer group[nobody] not online")
    );

    let prod = |g: String| {
        request(
            RequestCode::GET_PRODUCER_CONNECTION_LIST,
            &GetProducerConnectionListRequestHeader {
                producer_group: g,
                rpc: Default::default(),
            },
        )
    };
    let r = env.call(prod(format!("{group}_producer"))).await;
    assert_eq!(
        ProducerConnection::from_json(&r.body)
            .unwrap()
            .connection_set
            .len(),
        1
    );
    let r = env.call(prod("nobody".into())).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);
    assert_eq!(
        r.remark.as_deref(),
        Some("the producer group[nobody] not exist")
    );

    // Running info comes from the consumer itself.
    let running = |client: &str| {
        request(
            RequestCode::GET_CONSUMER_RUNNING_INFO,
            &GetConsumerRunningInfoRequestHeader {
                consumer_group: group.clone(),
                client_id: client.into(),
                jstack_enable: false,
                rpc: Default::default(),
            },
        )
    };
    let r = env.call(running("c@1")).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let info = ConsumerRunningInfo::from_json(&r.body).unwrap();
    assert_eq!(info.properties.get("asked_group"), Some(&group));
    let r = env.call(running("c@2")).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);
    assert_eq!(
        r.remark,
        Some(format!("The Consumer <{group}> <c@2> not online"))
    );

    // Reset to the beginning: offsets move back, the consumer is told.
    env.call(commit_offset(&group, &topic, 0, 3)).await;
    let reset = |timestamp: i64, force: bool| {
        request(
            RequestCode::INVOKE_BROKER_TO_RESET_OFFSET,
            &ResetOffsetRequestHeader {
                topic: topic.clone(),
                group: group.clone(),
                timestamp,
                is_force: force,
                queue_id: -1,
                offset: None,
                rpc: Default::default(),
            },
        )
    };
    let r = env.call(reset(0, false)).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let body = ResetOffset::from_json(&r.body).unwrap();
    let q0 = MessageQueue {
        topic: topic.clone(),
        broker_name: "broker-a".into(),
        queue_id: 0,
    };
    assert_eq!(body.offset_table[&q0], 0);
    assert_eq!(body.offset_table.len(), 2);
    let told = tokio::time::timeout(TIMEOUT, resets.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(told, body);
    let stats =
        ConsumeStats::from_json(&env.call(consume_stats(&group, Some(&topic))).await.body).unwrap();
    assert_eq!(
        stats.offset_table[&q0].consumer_offset, 0,
        "committed on the broker too"
    );
    // To the end (-1) without force: offsets never move forward.
    let body = ResetOffset::from_json(&env.call(reset(-1, false)).await.body).unwrap();
    assert_eq!(body.offset_table[&q0], 0);
    let body = ResetOffset::from_json(&env.call(reset(-1, true)).await.body).unwrap();
    assert_eq!(body.offset_table[&q0], 4);

    // Consumer status is collected from the consumers.
    let status = request(
        RequestCode::INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
        &GetConsumerStatusRequestHeader {
            topic: topic.clone(),
            group: group.clone(),
            client_addr: None,
            rpc: Default::default(),
        },
    );
    let r = env.call(status).await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    assert!(
        text.contains(r#""consumerTable":{"c@1":{{"brokerName":"broker-a""#),
        "{text}"
    );

    // With the consumer gone, a reset still updates the broker's offsets.
    consumer.close().await;
    let body = ResetOffset::from_json(&env.call(reset(0, true)).await.body).unwrap();
    assert_eq!(body.offset_table[&q0], 0);
    env.stop().await;
}
