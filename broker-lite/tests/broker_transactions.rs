//! Transactions and timers on the broker in-process: half messages, END_TRANSACTION
//! commit/rollback, the CHECK_TRANSACTION_STATE loop, and 5.x timer sends, driven by the
//! SDK's RemotingClient as Java producers drive them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::time::Duration;

use bytes::Bytes;
use rocketmq::protocol::body::{Heartbeat, ProducerData};
use rocketmq::protocol::header::{
    CheckTransactionStateRequestHeader, EndTransactionRequestHeader, PullMessageRequestHeader,
    SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::message::{DecodeOptions, Records, StoredMessage, SysFlag};
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode, Version};
use rocketmq::remoting::{RemotingClient, RequestContext};
use tokio::sync::mpsc;

mod broker_env;
use broker_env::{Env, TIMEOUT, unique};

const HALF: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
const OP: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
const COMMIT: i32 = 8;
const ROLLBACK: i32 = 12;
const UNKNOWN: i32 = 0;

fn half_header(topic: &str, group: &str, uniq: &str) -> SendMessageRequestHeaderV2 {
    SendMessageRequestHeaderV2 {
        producer_group: group.into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 2,
        sys_flag: SysFlag::TRANSACTION_PREPARED.bits(),
        born_timestamp: 1_700_000_000_000,
        flag: 3,
        properties: Some(format!(
            "TRAN_MSG\u{1}true\u{2}PGROUP\u{1}{group}\u{2}UNIQ_KEY\u{1}{uniq}\u{2}TAGS\u{1}tx\u{2}"
        )),
        ..Default::default()
    }
}

impl Env {
    async fn send_half(&self, topic: &str, group: &str, uniq: &str) -> SendMessageResponseHeader {
        let r = self
            .call(
                RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
                    .with_header(&half_header(topic, group, uniq))
                    .with_body(Bytes::from_static(b"tx body")),
            )
            .await;
        assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
        r.read_header().unwrap()
    }

    async fn end(
        &self,
        group: &str,
        queue_offset: i64,
        commit_log_offset: i64,
        action: i32,
        from_check: bool,
    ) -> RemotingCommand {
        let h = EndTransactionRequestHeader {
            producer_group: group.into(),
            tran_state_table_offset: queue_offset,
            commit_log_offset,
            commit_or_rollback: action,
            from_transaction_check: from_check,
            msg_id: "m".into(),
            ..Default::default()
        };
        self.call(RemotingCommand::request(RequestCode::END_TRANSACTION).with_header(&h))
            .await
    }

    async fn pull(&self, topic: &str, queue_id: i32, offset: i64) -> (i32, Vec<StoredMessage>) {
        let h = PullMessageRequestHeader {
            consumer_group: "CG".into(),
            topic: topic.into(),
            queue_id,
            queue_offset: offset,
            max_msg_nums: 32,
            sys_flag: 4,
            subscription: Some("*".into()),
            ..Default::default()
        };
        let r = self
            .call(RemotingCommand::request(RequestCode::PULL_MESSAGE).with_header(&h))
            .await;
        let msgs = Records::new(r.body.clone(), DecodeOptions::default())
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        (r.code, msgs)
    }

    async fn register_producer(&self, group: &str) {
        let hb = Heartbeat {
            client_id: unique("127.0.0.1@producer"),
            producer_data_set: vec![ProducerData {
                group_name: group.into(),
            }],
            ..Default::default()
        };
        let r = self
            .call(RemotingCommand::request(RequestCode::HEART_BEAT).with_body(hb.to_json()))
            .await;
        assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    }
}

/// A client whose CHECK_TRANSACTION_STATE requests arrive on the returned channel.
fn checking_client() -> (RemotingClient, mpsc::Receiver<RemotingCommand>) {
    let (tx, rx) = mpsc::channel(16);
    let client = RemotingClient::builder()
        .handler(
            RequestCode::CHECK_TRANSACTION_STATE,
            move |_ctx: RequestContext, request: RemotingCommand| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(request).await;
                    Ok(None)
                }
            },
        )
        .build();
    (client, rx)
}

#[tokio::test]
async fn commit_puts_the_real_message_and_an_op_record() {
    let env = Env::start_with_client(|_| {}, RemotingClient::builder().build()).await;
    let topic = unique("TxCommit");
    let sent = env.send_half(&topic, "PG", "UNIQ1").await;
    let (_, halves) = env.pull(HALF, 0, sent.queue_offset).await;
    let half = &halves[0];
    let r = env
        .end(
            "PG",
            sent.queue_offset,
            half.commit_log_offset,
            COMMIT,
            false,
        )
        .await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);

    let (code, msgs) = env.pull(&topic, 2, 0).await;
    assert_eq!(code, ResponseCode::SUCCESS.0);
    let m = &msgs[0];
    assert_eq!(m.message.body().as_ref(), b"tx body");
    assert_eq!(m.message.flag(), 3);
    assert_eq!(m.message.tags(), Some("tx"));
    assert_eq!(m.message.unique_key(), Some("UNIQ1"));
    assert_eq!(m.message.property("TRAN_MSG"), None);
    assert_eq!(m.message.property("REAL_TOPIC"), None);
    assert_eq!(m.message.property("REAL_QID"), None);
    assert_eq!(m.message.property("PGROUP"), Some("PG"));
    assert_eq!(m.sys_flag, SysFlag::TRANSACTION_COMMIT);
    assert_eq!(m.prepared_transaction_offset, half.commit_log_offset);
    assert_eq!(m.born_timestamp, 1_700_000_000_000);

    let (code, ops) = env.pull(OP, 0, 0).await;
    assert_eq!(code, ResponseCode::SUCCESS.0);
    assert_eq!(ops[0].message.tags(), Some("d"));
    assert_eq!(
        ops[0].message.body().as_ref(),
        sent.queue_offset.to_string().as_bytes()
    );
}

#[tokio::test]
async fn rollback_and_refusals() {
    let env = Env::start_with_client(|_| {}, RemotingClient::builder().build()).await;
    let topic = unique("TxRollback");
    let sent = env.send_half(&topic, "PG", "UNIQ2").await;
    let (_, halves) = env.pull(HALF, 0, sent.queue_offset).await;
    let half_offset = halves[0].commit_log_offset;

    let r = env
        .end("OTHER", sent.queue_offset, half_offset, COMMIT, false)
        .await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.0);
    assert_eq!(r.remark.as_deref(), Some("The producer group wrong"));
    let r = env
        .end("PG", sent.queue_offset + 1, half_offset, COMMIT, false)
        .await;
    assert_eq!(
        r.remark.as_deref(),
        Some("The transaction state table offset wrong")
    );
    let r = env
        .end(
            "PG",
            sent.queue_offset,
            half_offset + 999_999,
            COMMIT,
            false,
        )
        .await;
    assert_eq!(
        r.remark.as_deref(),
        Some("Find prepared transaction message failed")
    );

    let r = env
        .end("PG", sent.queue_offset, half_offset, ROLLBACK, false)
        .await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let (code, _) = env.pull(&topic, 2, 0).await;
    assert_eq!(code, ResponseCode::PULL_NOT_FOUND.0);
    let (_, ops) = env.pull(OP, 0, 0).await;
    assert_eq!(ops.len(), 1);
}

#[tokio::test]
async fn unknown_transactions_are_checked_then_committed() {
    let (client, mut checks) = checking_client();
    let env = Env::start_with_client(
        |c| {
            c.transaction_timeout = Duration::from_millis(1);
            c.transaction_check_interval = Duration::from_millis(50);
        },
        client,
    )
    .await;
    let group = unique("PG");
    env.register_producer(&group).await;
    let topic = unique("TxCheck");
    let sent = env.send_half(&topic, &group, "UNIQ3").await;
    // An unknown end gets no answer; with a oneway request that is what Java sends.
    env.client
        .invoke_oneway(
            &env.addr,
            RemotingCommand::request(RequestCode::END_TRANSACTION).with_header(
                &EndTransactionRequestHeader {
                    producer_group: group.clone(),
                    tran_state_table_offset: sent.queue_offset,
                    commit_log_offset: 0,
                    commit_or_rollback: UNKNOWN,
                    msg_id: "UNIQ3".into(),
                    ..Default::default()
                },
            ),
            TIMEOUT,
        )
        .await
        .unwrap();

    let check = tokio::time::timeout(TIMEOUT, checks.recv())
        .await
        .expect("a check request")
        .unwrap();
    let h: CheckTransactionStateRequestHeader = check.read_header().unwrap();
    assert_eq!(h.msg_id.as_deref(), Some("UNIQ3"));
    assert_eq!(h.transaction_id.as_deref(), Some("UNIQ3"));
    assert!(
        h.tran_state_table_offset > sent.queue_offset,
        "the check names the renewed copy"
    );
    let body = Records::new(check.body.clone(), DecodeOptions::default())
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(body.message.topic(), topic);
    assert_eq!(body.queue_id, 2);
    assert_eq!(body.commit_log_offset, h.commit_log_offset);
    assert_eq!(body.queue_offset, h.tran_state_table_offset);
    assert_eq!(body.message.property("TRANSACTION_CHECK_TIMES"), Some("1"));
    assert_eq!(
        h.offset_msg_id.as_deref(),
        Some(body.offset_msg_id().to_string().as_str())
    );

    let r = env
        .end(
            &group,
            h.tran_state_table_offset,
            h.commit_log_offset,
            COMMIT,
            true,
        )
        .await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let (code, msgs) = env.pull(&topic, 2, 0).await;
    assert_eq!(code, ResponseCode::SUCCESS.0);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].message.body().as_ref(), b"tx body");
}

#[tokio::test]
async fn a_transaction_checked_too_often_is_discarded() {
    let (client, mut checks) = checking_client();
    let env = Env::start_with_client(
        |c| {
            c.transaction_timeout = Duration::from_millis(1);
            c.transaction_check_interval = Duration::from_millis(50);
            c.transaction_check_max = 2;
        },
        client,
    )
    .await;
    let group = unique("PG");
    env.register_producer(&group).await;
    let topic = unique("TxDiscard");
    env.send_half(&topic, &group, "UNIQ4").await;
    for times in ["1", "2"] {
        let check = tokio::time::timeout(TIMEOUT, checks.recv())
            .await
            .expect("a check request")
            .unwrap();
        let body = Records::new(check.body.clone(), DecodeOptions::default())
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(
            body.message.property("TRANSACTION_CHECK_TIMES"),
            Some(times)
        );
    }
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let (code, msgs) = env.pull("TRANS_CHECK_MAX_TIME_TOPIC", 0, 0).await;
        if code == ResponseCode::SUCCESS.0 {
            assert_eq!(msgs[0].message.unique_key(), Some("UNIQ4"));
            assert_eq!(msgs[0].message.real_topic(), Some(topic.as_str()));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never discarded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Nothing reached the real topic.
    let (code, _) = env.pull(&topic, 2, 0).await;
    assert_eq!(code, ResponseCode::PULL_NOT_FOUND.0);
}

#[tokio::test]
async fn timer_sends_are_rewritten_or_refused() {
    let env = Env::start_with_client(|_| {}, RemotingClient::builder().build()).await;
    let topic = unique("Timer");
    let send = |props: &str| {
        let h = SendMessageRequestHeaderV2 {
            producer_group: "PG".into(),
            topic: topic.clone(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: 4,
            queue_id: 1,
            born_timestamp: 1,
            properties: Some(props.to_owned()),
            ..Default::default()
        };
        RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
            .with_version(Version::V5_3_3)
            .with_header(&h)
            .with_body(Bytes::from_static(b"t"))
    };
    let r = env
        .call(send("TIMER_DELAY_SEC\u{1}60\u{2}UNIQ_KEY\u{1}TU\u{2}"))
        .await;
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    let sent: SendMessageResponseHeader = r.read_header().unwrap();
    assert_eq!(sent.queue_id, 1);
    let handle = sent.recall_handle.expect("a recall handle");
    assert!(!handle.is_empty());
    let (code, msgs) = env.pull("rmq_sys_wheel_timer", 0, 0).await;
    assert_eq!(code, ResponseCode::SUCCESS.0);
    assert_eq!(msgs[0].message.real_topic(), Some(topic.as_str()));
    assert!(msgs[0].message.property("TIMER_OUT_MS").is_some());

    // More than three days ahead: refused as Java refuses it.
    let r = env.call(send("TIMER_DELAY_SEC\u{1}999999\u{2}")).await;
    assert_eq!(r.code, ResponseCode::MESSAGE_ILLEGAL.0);
    assert!(r.remark.unwrap().starts_with("timer message illegal"));
}
