//! The broker's consumer-group side in-process on 127.0.0.1:0, driven by the SDK's
//! RemotingClient with requests built as Java's clients send them: heartbeats and
//! membership notices, offsets, queue locks, subscription checks and filtered pulls.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod group_support;

use std::time::Duration;

use group_support::{TIMEOUT, TempDir, config, ok, pull, pull_header, records, send, start};
use rocketmq::protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerData, ConsumerList, ExpressionType, Heartbeat,
    LockBatchRequest, LockBatchResponse, MessageModel, ProducerData, SubscriptionData,
    UnlockBatchRequest,
};
use rocketmq::protocol::header::{
    GetConsumerListByGroupRequestHeader, GetEarliestMsgStoretimeRequestHeader,
    GetEarliestMsgStoretimeResponseHeader, GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader,
    NotifyConsumerIdsChangedRequestHeader, QueryConsumerOffsetRequestHeader,
    QueryConsumerOffsetResponseHeader, UnregisterClientRequestHeader,
    UpdateConsumerOffsetRequestHeader,
};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::{MessageQueue, RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::{RemotingClient, RequestContext};
use tokio::sync::mpsc;

/// A client that records the groups of the NOTIFY_CONSUMER_IDS_CHANGED it receives.
fn notified_client() -> (RemotingClient, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let client = RemotingClient::builder()
        .handler(
            RequestCode::NOTIFY_CONSUMER_IDS_CHANGED,
            move |_ctx: RequestContext, req: RemotingCommand| {
                let tx = tx.clone();
                async move {
                    let h: NotifyConsumerIdsChangedRequestHeader = req.read_header()?;
                    let _ = tx.send(h.consumer_group);
                    Ok(None)
                }
            },
        )
        .build();
    (client, rx)
}

fn consumer(group: &str, topic: &str, model: MessageModel) -> ConsumerData {
    ConsumerData {
        group_name: group.into(),
        consume_type: Some(ConsumeType::Push),
        message_model: Some(model),
        consume_from_where: Some(ConsumeFromWhere::LastOffset),
        subscription_data_set: vec![SubscriptionData::tags(topic, "*", 1)],
        unit_mode: false,
    }
}

fn heartbeat_request(client_id: &str, consumers: Vec<ConsumerData>) -> RemotingCommand {
    let hb = Heartbeat {
        client_id: client_id.into(),
        producer_data_set: vec![ProducerData {
            group_name: "CLIENT_INNER_PRODUCER".into(),
        }],
        consumer_data_set: consumers,
        heartbeat_fingerprint: None,
        without_sub: None,
    };
    RemotingCommand::request(RequestCode::HEART_BEAT).with_body(hb.to_json())
}

async fn consumer_ids(client: &RemotingClient, addr: &str, group: &str) -> Option<Vec<String>> {
    let h = GetConsumerListByGroupRequestHeader {
        consumer_group: group.into(),
        rpc: Default::default(),
    };
    let r = client
        .invoke(
            addr,
            RemotingCommand::request(RequestCode::GET_CONSUMER_LIST_BY_GROUP).with_header(&h),
            TIMEOUT,
        )
        .await
        .unwrap();
    if r.code == ResponseCode::SYSTEM_ERROR.0 {
        assert_eq!(
            r.remark.as_deref(),
            Some(format!("no consumer for this group, {group}").as_str())
        );
        return None;
    }
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let mut ids = ConsumerList::from_json(&r.body).unwrap().consumer_id_list;
    ids.sort();
    Some(ids)
}

async fn next_notice(rx: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(TIMEOUT, rx.recv())
        .await
        .expect("no NOTIFY_CONSUMER_IDS_CHANGED in time")
        .unwrap()
}

/// Waits until the group's members are `want` (membership changes on close and expiry
/// happen in the background).
async fn wait_for_ids(client: &RemotingClient, addr: &str, group: &str, want: Option<Vec<&str>>) {
    let want = want.map(|v| v.into_iter().map(String::from).collect::<Vec<_>>());
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let got = consumer_ids(client, addr, group).await;
        if got == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "members {got:?}, want {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn heartbeat_registers_consumers_and_notifies_on_join_leave_close() {
    let dir = TempDir::new("hb");
    let (broker, addr) = start(config(&dir)).await;
    let group = "hb_group";
    let (a, mut a_rx) = notified_client();
    let (b, mut b_rx) = notified_client();

    assert_eq!(consumer_ids(&a, &addr, group).await, None);
    let r = ok(
        &a,
        &addr,
        heartbeat_request("a@1", vec![consumer(group, "T", MessageModel::Clustering)]),
    )
    .await;
    assert_eq!(r.ext_field("IS_SUPPORT_HEART_BEAT_V2"), Some("true"));
    assert_eq!(r.ext_field("IS_SUB_CHANGE"), Some("true"));
    assert_eq!(next_notice(&mut a_rx).await, group);
    assert_eq!(
        consumer_ids(&a, &addr, group).await,
        Some(vec!["a@1".into()])
    );

    // A repeated heartbeat changes nothing: no notice.
    ok(
        &a,
        &addr,
        heartbeat_request("a@1", vec![consumer(group, "T", MessageModel::Clustering)]),
    )
    .await;

    // b joins: both are told.
    ok(
        &b,
        &addr,
        heartbeat_request("b@1", vec![consumer(group, "T", MessageModel::Clustering)]),
    )
    .await;
    assert_eq!(next_notice(&mut a_rx).await, group);
    assert_eq!(next_notice(&mut b_rx).await, group);
    assert!(a_rx.try_recv().is_err(), "the repeat heartbeat notified");
    assert_eq!(
        consumer_ids(&a, &addr, group).await,
        Some(vec!["a@1".into(), "b@1".into()])
    );

    // b leaves with UNREGISTER_CLIENT: a is told.
    let h = UnregisterClientRequestHeader {
        client_id: "b@1".into(),
        producer_group: Some("CLIENT_INNER_PRODUCER".into()),
        consumer_group: Some(group.into()),
        rpc: Default::default(),
    };
    ok(
        &b,
        &addr,
        RemotingCommand::request(RequestCode::UNREGISTER_CLIENT).with_header(&h),
    )
    .await;
    assert_eq!(next_notice(&mut a_rx).await, group);
    assert_eq!(
        consumer_ids(&a, &addr, group).await,
        Some(vec!["a@1".into()])
    );

    // b joins again, then its connection closes: a is told and b is gone.
    ok(
        &b,
        &addr,
        heartbeat_request("b@1", vec![consumer(group, "T", MessageModel::Clustering)]),
    )
    .await;
    assert_eq!(next_notice(&mut a_rx).await, group);
    b.close().await;
    assert_eq!(next_notice(&mut a_rx).await, group);
    wait_for_ids(&a, &addr, group, Some(vec!["a@1"])).await;
    broker.shutdown().await;
}

#[tokio::test]
async fn broadcasting_groups_are_not_notified_and_subscription_change_is() {
    let dir = TempDir::new("bc");
    let (broker, addr) = start(config(&dir)).await;
    let (a, mut a_rx) = notified_client();
    ok(
        &a,
        &addr,
        heartbeat_request("a@1", vec![consumer("bc", "T", MessageModel::Broadcasting)]),
    )
    .await;
    assert_eq!(
        consumer_ids(&a, &addr, "bc").await,
        Some(vec!["a@1".into()])
    );
    // A clustering group: a new topic in the subscriptions is a change.
    ok(
        &a,
        &addr,
        heartbeat_request("a@1", vec![consumer("cl", "T", MessageModel::Clustering)]),
    )
    .await;
    assert_eq!(next_notice(&mut a_rx).await, "cl");
    let mut two = consumer("cl", "T", MessageModel::Clustering);
    two.subscription_data_set
        .push(SubscriptionData::tags("U", "a || b", 2));
    ok(&a, &addr, heartbeat_request("a@1", vec![two])).await;
    assert_eq!(next_notice(&mut a_rx).await, "cl");
    assert!(
        a_rx.try_recv().is_err(),
        "the broadcasting group was notified"
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn silent_clients_expire() {
    let dir = TempDir::new("expiry");
    let mut c = config(&dir);
    c.client_expiry = Duration::from_millis(300);
    let (broker, addr) = start(c).await;
    let (a, mut a_rx) = notified_client();
    let (b, mut b_rx) = notified_client();
    let watcher = RemotingClient::builder().build();
    ok(
        &a,
        &addr,
        heartbeat_request("a@1", vec![consumer("ex", "T", MessageModel::Clustering)]),
    )
    .await;
    ok(
        &b,
        &addr,
        heartbeat_request("b@1", vec![consumer("ex", "T", MessageModel::Clustering)]),
    )
    .await;
    assert_eq!(next_notice(&mut a_rx).await, "ex");
    assert_eq!(next_notice(&mut b_rx).await, "ex");
    assert_eq!(next_notice(&mut a_rx).await, "ex");
    // Keep a alive; b goes silent and is dropped (its connection closed by the broker).
    let keep_alive = {
        let a = a.clone();
        let addr = addr.clone();
        tokio::spawn(async move {
            loop {
                let _ = a
                    .invoke(
                        &addr,
                        heartbeat_request(
                            "a@1",
                            vec![consumer("ex", "T", MessageModel::Clustering)],
                        ),
                        TIMEOUT,
                    )
                    .await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    wait_for_ids(&watcher, &addr, "ex", Some(vec!["a@1"])).await;
    assert_eq!(next_notice(&mut a_rx).await, "ex");
    keep_alive.abort();
    wait_for_ids(&watcher, &addr, "ex", None).await;
    broker.shutdown().await;
}

#[tokio::test]
async fn heartbeat_v2_fingerprints() {
    let dir = TempDir::new("v2");
    let (broker, addr) = start(config(&dir)).await;
    let client = RemotingClient::builder().build();
    let send = |fingerprint: i32, without_sub: bool| {
        let mut data = consumer("v2", "T", MessageModel::Clustering);
        if without_sub {
            data.subscription_data_set.clear();
        }
        let hb = Heartbeat {
            client_id: "c@1".into(),
            producer_data_set: Vec::new(),
            consumer_data_set: vec![data],
            heartbeat_fingerprint: Some(fingerprint),
            without_sub: Some(without_sub),
        };
        RemotingCommand::request(RequestCode::HEART_BEAT).with_body(hb.to_json())
    };
    // Unknown group, no subscriptions sent: the client must resend them.
    let r = ok(&client, &addr, send(7, true)).await;
    assert_eq!(r.ext_field("IS_SUB_CHANGE"), Some("true"));
    let r = ok(&client, &addr, send(7, false)).await;
    assert_eq!(r.ext_field("IS_SUB_CHANGE"), Some("false"));
    let r = ok(&client, &addr, send(7, true)).await;
    assert_eq!(r.ext_field("IS_SUB_CHANGE"), Some("false"));
    let r = ok(&client, &addr, send(8, true)).await;
    assert_eq!(r.ext_field("IS_SUB_CHANGE"), Some("true"));
    assert_eq!(
        consumer_ids(&client, &addr, "v2").await,
        Some(vec!["c@1".into()])
    );
    broker.shutdown().await;
}

fn query_offset_request(group: &str, topic: &str, queue_id: i32) -> RemotingCommand {
    RemotingCommand::request(RequestCode::QUERY_CONSUMER_OFFSET).with_header(
        &QueryConsumerOffsetRequestHeader {
            consumer_group: group.into(),
            topic: topic.into(),
            queue_id,
            set_zero_if_not_found: None,
            rpc: Default::default(),
        },
    )
}

fn update_offset_request(group: &str, topic: &str, queue_id: i32, offset: i64) -> RemotingCommand {
    RemotingCommand::request(RequestCode::UPDATE_CONSUMER_OFFSET).with_header(
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: group.into(),
            topic: topic.into(),
            queue_id,
            commit_offset: offset,
            rpc: Default::default(),
        },
    )
}

#[tokio::test]
async fn offsets_are_committed_checked_and_survive_a_restart() {
    let dir = TempDir::new("offsets");
    let client = RemotingClient::builder().build();
    let (broker, addr) = start(config(&dir)).await;
    let retry = "%RETRY%off_group";
    // Unknown group: refused; the heartbeat creates the group and its retry topic.
    let r = client
        .invoke(
            &addr,
            update_offset_request("off_group", retry, 0, 3),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(r.code, ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST.0);
    assert_eq!(r.remark.as_deref(), Some("Group off_group not exist!"));
    ok(
        &client,
        &addr,
        heartbeat_request(
            "c@1",
            vec![consumer("off_group", "T", MessageModel::Clustering)],
        ),
    )
    .await;
    let r = client
        .invoke(
            &addr,
            update_offset_request("off_group", "NoSuchTopic", 0, 3),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(r.code, ResponseCode::TOPIC_NOT_EXIST.0);
    let r = client
        .invoke(&addr, query_offset_request("off_group", retry, 0), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(
        r.code,
        ResponseCode::QUERY_NOT_FOUND.0,
        "empty queue, no offset"
    );
    ok(
        &client,
        &addr,
        update_offset_request("off_group", retry, 0, 42),
    )
    .await;
    // Oneway, as clients usually send it.
    client
        .invoke_oneway(
            &addr,
            update_offset_request("off_group", "SELF_TEST_TOPIC", 0, 7),
            TIMEOUT,
        )
        .await
        .unwrap();
    let r = ok(&client, &addr, query_offset_request("off_group", retry, 0)).await;
    let h: QueryConsumerOffsetResponseHeader = r.read_header().unwrap();
    assert_eq!(h.offset, 42);
    broker.shutdown().await;

    let text = std::fs::read_to_string(dir.0.join("config/consumerOffset.json")).unwrap();
    assert!(
        text.contains(r#""%RETRY%off_group@off_group":{0:42}"#),
        "{text}"
    );
    let (broker, addr) = start(config(&dir)).await;
    let client = RemotingClient::builder().build();
    for (topic, want) in [(retry, 42), ("SELF_TEST_TOPIC", 7)] {
        let r = ok(&client, &addr, query_offset_request("off_group", topic, 0)).await;
        let h: QueryConsumerOffsetResponseHeader = r.read_header().unwrap();
        assert_eq!(h.offset, want, "{topic}");
    }
    // Queue offsets of an empty queue.
    let r = ok(
        &client,
        &addr,
        RemotingCommand::request(RequestCode::GET_MAX_OFFSET).with_header(
            &GetMaxOffsetRequestHeader {
                topic: retry.into(),
                queue_id: 0,
                ..Default::default()
            },
        ),
    )
    .await;
    assert_eq!(
        r.read_header::<GetMaxOffsetResponseHeader>()
            .unwrap()
            .offset,
        0
    );
    let r = ok(
        &client,
        &addr,
        RemotingCommand::request(RequestCode::GET_EARLIEST_MSG_STORETIME).with_header(
            &GetEarliestMsgStoretimeRequestHeader {
                topic: retry.into(),
                queue_id: 0,
                rpc: Default::default(),
            },
        ),
    )
    .await;
    assert_eq!(
        r.read_header::<GetEarliestMsgStoretimeResponseHeader>()
            .unwrap()
            .timestamp,
        -1
    );
    broker.shutdown().await;
}

/// Locks queues `ids` of topic T for `client_id`; returns the ids it now holds.
async fn lock(client: &RemotingClient, addr: &str, client_id: &str, ids: &[i32]) -> Vec<i32> {
    let body = LockBatchRequest {
        consumer_group: "lock_group".into(),
        client_id: client_id.into(),
        only_this_broker: None,
        mq_set: ids.iter().map(|&id| mq(id)).collect(),
    };
    let r = ok(
        client,
        addr,
        RemotingCommand::request(RequestCode::LOCK_BATCH_MQ).with_body(body.to_json()),
    )
    .await;
    let mut locked: Vec<i32> = LockBatchResponse::from_json(&r.body)
        .unwrap()
        .locked
        .into_iter()
        .map(|q| q.queue_id)
        .collect();
    locked.sort_unstable();
    locked
}

fn mq(id: i32) -> MessageQueue {
    MessageQueue {
        topic: "T".into(),
        broker_name: "broker-a".into(),
        queue_id: id,
    }
}

#[tokio::test]
async fn queue_locks_are_exclusive_renewable_and_expire() {
    let dir = TempDir::new("locks");
    let mut c = config(&dir);
    c.queue_lock_expiry = Duration::from_millis(400);
    let (broker, addr) = start(c).await;
    let client = RemotingClient::builder().build();
    // Taken before the lock: the broker cannot grant queue 1 to b sooner than 400ms after.
    let locked_at = tokio::time::Instant::now();
    assert_eq!(lock(&client, &addr, "a", &[0, 1]).await, [0, 1]);
    assert_eq!(lock(&client, &addr, "b", &[1, 2]).await, [2]);
    // Queue 1 expires and b takes it over; a keeps queue 0 by renewing it just before b
    // asks.
    loop {
        assert_eq!(lock(&client, &addr, "a", &[0]).await, [0]);
        let got = lock(&client, &addr, "b", &[0, 1]).await;
        if got == [1] {
            assert!(locked_at.elapsed() >= Duration::from_millis(400));
            break;
        }
        assert!(got.is_empty(), "{got:?}");
        assert!(locked_at.elapsed() < TIMEOUT, "queue 1 never expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let body = UnlockBatchRequest {
        consumer_group: "lock_group".into(),
        client_id: "a".into(),
        only_this_broker: None,
        mq_set: vec![mq(0)],
    };
    ok(
        &client,
        &addr,
        RemotingCommand::request(RequestCode::UNLOCK_BATCH_MQ).with_body(body.to_json()),
    )
    .await;
    assert_eq!(lock(&client, &addr, "b", &[0]).await, [0]);
    broker.shutdown().await;
}

#[tokio::test]
async fn check_client_config_compiles_sql92() {
    let dir = TempDir::new("check");
    let (broker, addr) = start(config(&dir)).await;
    let client = RemotingClient::builder().build();
    let check = |sql: &str, kind: ExpressionType| {
        let sub = SubscriptionData {
            topic: "T".into(),
            sub_string: sql.into(),
            expression_type: kind,
            ..SubscriptionData::default()
        };
        let body = format!(
            r#"{{"clientId":"c@1","group":"g","subscriptionData":{}}}"#,
            String::from_utf8(rocketmq::protocol::json::to_vec(&sub).unwrap()).unwrap()
        );
        RemotingCommand::request(RequestCode::CHECK_CLIENT_CONFIG).with_body(body)
    };
    ok(
        &client,
        &addr,
        check("a > 1 AND b IN ('x')", ExpressionType::Sql92),
    )
    .await;
    ok(&client, &addr, check("tag || other", ExpressionType::Tag)).await;
    let r = client
        .invoke(&addr, check("a >", ExpressionType::Sql92), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(r.code, ResponseCode::SUBSCRIPTION_PARSE_FAILED.0);
    assert!(
        r.remark
            .as_deref()
            .unwrap_or("")
            .starts_with("Invalid MessageSelector."),
        "{:?}",
        r.remark
    );
    broker.shutdown().await;

    let dir = TempDir::new("check-off");
    let mut c = config(&dir);
    c.enable_property_filter = false;
    let (broker, addr) = start(c).await;
    let r = client
        .invoke(&addr, check("a > 1", ExpressionType::Sql92), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);
    assert_eq!(
        r.remark.as_deref(),
        Some("The broker does not support consumer to filter message by SQL92")
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn pulls_filter_by_tag_and_sql92() {
    let dir = TempDir::new("filter-pull");
    let (broker, addr) = start(config(&dir)).await;
    let client = RemotingClient::builder().build();
    for i in 1..=5 {
        let n = i.to_string();
        let tag = if i % 2 == 0 { "even" } else { "odd" };
        send(
            &client,
            &addr,
            "FilterT",
            &[("TAGS", tag), ("n", n.as_str())],
        )
        .await;
    }
    let numbers = |r: &RemotingCommand| -> Vec<String> {
        records(r)
            .iter()
            .map(|m| m.message.property("n").unwrap_or("").to_owned())
            .collect()
    };
    let r = pull(&client, &addr, "fg", "FilterT", "even", "TAG").await;
    assert_eq!(numbers(&r), ["2", "4"]);
    let r = pull(&client, &addr, "fg", "FilterT", "odd || even", "TAG").await;
    assert_eq!(numbers(&r).len(), 5);
    let r = pull(
        &client,
        &addr,
        "fg",
        "FilterT",
        "n > 2 AND TAGS = 'odd'",
        "SQL92",
    )
    .await;
    assert_eq!(numbers(&r), ["3", "5"]);
    let r = pull(
        &client,
        &addr,
        "fg",
        "FilterT",
        "n IN ('1', '4') OR n IS NULL",
        "SQL92",
    )
    .await;
    assert_eq!(numbers(&r), ["1", "4"]);
    let r = pull(&client, &addr, "fg", "FilterT", "n >", "SQL92").await;
    assert_eq!(r.code, ResponseCode::SUBSCRIPTION_PARSE_FAILED.0);
    broker.shutdown().await;
}

/// A pull without the subscription flag (Java push consumers by default) is served with
/// the subscription the group registered by heartbeat, and refused as Java refuses it
/// when there is none, when it is older than the pull's, or when the group consumes by
/// broadcasting and its config forbids that.
#[tokio::test]
async fn pulls_without_a_subscription_use_the_registered_one() {
    let dir = TempDir::new("registered-pull");
    let (broker, addr) = start(config(&dir)).await;
    let client = RemotingClient::builder().build();
    for tag in ["a", "b", "a"] {
        send(&client, &addr, "RegT", &[("TAGS", tag)]).await;
    }
    send(&client, &addr, "OtherT", &[]).await;
    let pull_registered = |group: &'static str, topic: &'static str, sub_version: i64| {
        let h = rocketmq::protocol::header::PullMessageRequestHeader {
            consumer_group: group.into(),
            topic: topic.into(),
            max_msg_nums: 32,
            sub_version,
            ..Default::default()
        };
        let (client, addr) = (&client, &addr);
        async move { pull_header(client, addr, &h).await }
    };
    let refused = |r: RemotingCommand, code: ResponseCode, remark: &str| {
        assert_eq!(r.code, code.0, "{:?}", r.remark);
        let got = r.remark.unwrap_or_default();
        assert!(got.starts_with(remark), "{got}");
    };
    refused(
        pull_registered("rg", "RegT", 0).await,
        ResponseCode::SUBSCRIPTION_NOT_EXIST,
        "the consumer's group info not exist",
    );
    let mut rg = consumer("rg", "RegT", MessageModel::Clustering);
    rg.subscription_data_set = vec![SubscriptionData::tags("RegT", "a", 1)];
    ok(&client, &addr, heartbeat_request("c@1", vec![rg])).await;
    let r = pull_registered("rg", "RegT", 1).await;
    let tags: Vec<_> = records(&r)
        .iter()
        .map(|m| m.message.tags().unwrap_or("").to_owned())
        .collect();
    assert_eq!(tags, ["a", "a"]);
    refused(
        pull_registered("rg", "OtherT", 0).await,
        ResponseCode::SUBSCRIPTION_NOT_EXIST,
        "the consumer's subscription not exist",
    );
    refused(
        pull_registered("rg", "RegT", 2).await,
        ResponseCode::SUBSCRIPTION_NOT_LATEST,
        "the consumer's subscription not latest",
    );
    // A broadcasting group: served while its config allows broadcasting, refused after.
    ok(
        &client,
        &addr,
        heartbeat_request(
            "c@1",
            vec![consumer("rb", "RegT", MessageModel::Broadcasting)],
        ),
    )
    .await;
    assert_eq!(records(&pull_registered("rb", "RegT", 0).await).len(), 3);
    let mut group: rocketmq::protocol::body::SubscriptionGroupConfig =
        rocketmq::protocol::json::from_slice(b"{}").unwrap();
    group.group_name = "rb".into();
    group.consume_broadcast_enable = false;
    ok(
        &client,
        &addr,
        RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
            .with_body(rocketmq::protocol::json::to_vec(&group).unwrap()),
    )
    .await;
    refused(
        pull_registered("rb", "RegT", 0).await,
        ResponseCode::NO_PERMISSION,
        "the consumer group[rb] can not consume by broadcast way",
    );
    broker.shutdown().await;
}
