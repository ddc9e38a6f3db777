//! Retry, dead letter and delayed delivery in-process on 127.0.0.1:0: CONSUMER_SEND_MSG_BACK,
//! delay levels (with a short custom schedule) and 5.x timer messages, observed through
//! queue offsets and pulls.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod group_support;

use std::time::Duration;

use group_support::{
    TIMEOUT, TempDir, config, max_offset, ok, pull, records, send, start, wait_for_messages,
};
use rocketmq::protocol::header::{ConsumerSendMsgBackRequestHeader, SendMessageRequestHeader};
use rocketmq::protocol::message::{OffsetMsgId, Properties};
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::RemotingClient;

#[tokio::test]
async fn delay_levels_deliver_no_earlier_than_due_and_persist_progress() {
    let dir = TempDir::new("delay");
    let mut c = config(&dir);
    c.message_delay_level = "1s 2s".into();
    let (broker, addr) = start(c.clone()).await;
    let client = RemotingClient::builder().build();
    let sent = tokio::time::Instant::now();
    send(&client, &addr, "DelayT", &[("DELAY", "1"), ("TAGS", "a")]).await;
    assert_eq!(
        max_offset(&client, &addr, "SCHEDULE_TOPIC_XXXX", 0).await,
        1
    );
    assert_eq!(max_offset(&client, &addr, "DelayT", 0).await, 0);
    let delivered = wait_for_messages(&client, &addr, "DelayT", 0, 1).await;
    assert!(
        delivered - sent >= Duration::from_millis(999),
        "delivered after {:?}",
        delivered - sent
    );
    // Delivered with the properties Java stores: the schedule topic's, DELAY included.
    let got = records(&pull(&client, &addr, "dg", "DelayT", "*", "TAG").await);
    let p = got[0].message.properties();
    assert_eq!(p.get("DELAY"), Some("1"));
    assert_eq!(p.get("REAL_TOPIC"), Some("DelayT"));
    assert_eq!(p.get("REAL_QID"), Some("0"));
    assert_eq!(p.get("TAGS"), Some("a"));
    broker.shutdown().await;
    let text = std::fs::read_to_string(dir.0.join("config/delayOffset.json")).unwrap();
    assert!(text.contains(r#""offsetTable":{1:1}"#), "{text}");

    // After a restart the level continues from its offset: nothing is delivered twice,
    // and a message sent before the shutdown is delivered after it.
    let (broker, addr) = start(c.clone()).await;
    send(&client, &addr, "DelayT", &[("DELAY", "2")]).await;
    broker.shutdown().await;
    let (broker, addr) = start(c).await;
    wait_for_messages(&client, &addr, "DelayT", 0, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(max_offset(&client, &addr, "DelayT", 0).await, 2);
    broker.shutdown().await;
}

#[tokio::test]
async fn send_back_goes_to_retry_after_its_delay_then_to_the_dlq() {
    let dir = TempDir::new("sendback");
    let mut c = config(&dir);
    c.message_delay_level = "1s 2s".into();
    let (broker, addr) = start(c).await;
    let client = RemotingClient::builder().build();
    let offset = send(&client, &addr, "SbT", &[("TAGS", "a")]).await;
    let back = |delay_level: i32, max: Option<i32>| {
        RemotingCommand::request(RequestCode::CONSUMER_SEND_MSG_BACK).with_header(
            &ConsumerSendMsgBackRequestHeader {
                offset,
                group: "sb_group".into(),
                delay_level,
                origin_msg_id: None,
                origin_topic: Some("SbT".into()),
                unit_mode: false,
                max_reconsume_times: max,
                rpc: Default::default(),
            },
        )
    };
    let sent = tokio::time::Instant::now();
    ok(&client, &addr, back(2, None)).await;
    assert_eq!(
        max_offset(&client, &addr, "SCHEDULE_TOPIC_XXXX", 1).await,
        1
    );
    let delivered = wait_for_messages(&client, &addr, "%RETRY%sb_group", 0, 1).await;
    assert!(delivered - sent >= Duration::from_millis(1999));
    // No retries allowed: straight to the DLQ, no delay.
    ok(&client, &addr, back(0, Some(0))).await;
    assert_eq!(max_offset(&client, &addr, "%DLQ%sb_group", 0).await, 1);
    // An unknown offset.
    let r = client
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::CONSUMER_SEND_MSG_BACK).with_header(
                &ConsumerSendMsgBackRequestHeader {
                    offset: 1 << 40,
                    group: "sb_group".into(),
                    ..Default::default()
                },
            ),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);
    broker.shutdown().await;
}

#[tokio::test]
async fn retried_message_carries_java_properties_when_pulled() {
    let dir = TempDir::new("retry-pull");
    let mut c = config(&dir);
    c.message_delay_level = "1s".into();
    let (broker, addr) = start(c).await;
    let client = RemotingClient::builder().build();
    let offset = send(&client, &addr, "RpT", &[("TAGS", "a"), ("color", "red")]).await;
    let h = ConsumerSendMsgBackRequestHeader {
        offset,
        group: "rp_group".into(),
        delay_level: 0, // 3 + 0, capped at the only level
        origin_msg_id: None,
        origin_topic: Some("RpT".into()),
        ..Default::default()
    };
    ok(
        &client,
        &addr,
        RemotingCommand::request(RequestCode::CONSUMER_SEND_MSG_BACK).with_header(&h),
    )
    .await;
    wait_for_messages(&client, &addr, "%RETRY%rp_group", 0, 1).await;
    let r = pull(&client, &addr, "rp_group", "%RETRY%rp_group", "*", "TAG").await;
    let got = records(&r);
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.reconsume_times, 1);
    assert_eq!(m.message.body().as_ref(), b"hello");
    let p = m.message.properties();
    assert_eq!(p.get("RETRY_TOPIC"), Some("RpT"));
    assert_eq!(p.get("color"), Some("red"));
    assert_eq!(p.get("TAGS"), Some("a"));
    assert_eq!(p.get("WAIT"), Some("false"));
    // Java 4.9.8 and 5.5.0 deliver the properties they stored in the schedule topic.
    assert_eq!(p.get("DELAY"), Some("1"), "3, capped at the only level");
    assert_eq!(
        p.get("REAL_TOPIC"),
        Some("%RETRY%rp_group"),
        "Java keeps it"
    );
    assert_eq!(p.get("REAL_QID"), Some("0"));
    let origin = OffsetMsgId::new(broker.addr(), offset).to_string();
    assert_eq!(p.get("ORIGIN_MESSAGE_ID"), Some(origin.as_str()));
    broker.shutdown().await;
}

#[tokio::test]
async fn timer_messages_wait_in_the_wheel_topic_until_due() {
    let dir = TempDir::new("timer-send");
    let (broker, addr) = start(config(&dir)).await;
    let client = RemotingClient::builder().build();
    let sent = tokio::time::Instant::now();
    send(&client, &addr, "TimerT", &[("TIMER_DELAY_MS", "700")]).await;
    assert_eq!(
        max_offset(&client, &addr, "rmq_sys_wheel_timer", 0).await,
        1
    );
    assert_eq!(max_offset(&client, &addr, "TimerT", 0).await, 0);
    let delivered = wait_for_messages(&client, &addr, "TimerT", 0, 1).await;
    assert!(delivered - sent >= Duration::from_millis(700));
    let got = records(&pull(&client, &addr, "tg", "TimerT", "*", "TAG").await);
    let p = got[0].message.properties();
    assert!(p.get("TIMER_OUT_MS").is_some());
    assert!(p.get("TIMER_DEQUEUE_MS").is_some());
    assert_eq!(
        p.get("REAL_TOPIC"),
        Some("TimerT"),
        "kept, as Java stores it"
    );
    // Beyond the 3-day maximum: refused as Java does.
    let mut properties = Properties::new();
    properties.insert("TIMER_DELAY_SEC", "259201");
    let h = SendMessageRequestHeader {
        producer_group: "pg".into(),
        topic: "TimerT".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        properties: Some(properties.encode()),
        ..Default::default()
    };
    let r = client
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::SEND_MESSAGE)
                .with_header(&h)
                .with_body(&b"x"[..]),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(r.code, ResponseCode::MESSAGE_ILLEGAL.0, "{:?}", r.remark);
    broker.shutdown().await;
}
