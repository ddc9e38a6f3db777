//! The transaction producer against a scripted broker: the half message, END_TRANSACTION
//! after the local transaction, and the answer to a broker's CHECK_TRANSACTION_STATE.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod producer_support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use producer_support::{MockBroker, MockNamesrv};
use rocketmq::producer::{LocalTransactionState, SendStatus, TransactionProducer};
use rocketmq::protocol::header::{
    CheckTransactionStateRequestHeader, EndTransactionRequestHeader, SendMessageRequestHeaderV2,
};
use rocketmq::protocol::message::{Message, Properties, StoredMessage, property};
use rocketmq::protocol::request::CheckTransactionState;
use rocketmq::protocol::{RequestCode, Rpc};

#[tokio::test]
async fn local_decisions_and_broker_checks() {
    let ns = MockNamesrv::start().await;
    let broker = MockBroker::start("broker-a").await;
    ns.route("payments", &[&broker], 2, 6);
    let checked: Arc<Mutex<Vec<StoredMessage>>> = Arc::default();
    let seen = Arc::clone(&checked);
    let producer = TransactionProducer::builder(move |half: StoredMessage| {
        let seen = Arc::clone(&seen);
        async move {
            let decision = match half.message.body().as_ref() {
                b"commit me" => LocalTransactionState::Commit,
                _ => LocalTransactionState::Rollback,
            };
            seen.lock().unwrap().push(half);
            decision
        }
    })
    .namesrv_addr(ns.addr.clone())
    .group("tx_group")
    .build()
    .await
    .unwrap();

    // Commit: half message with Java's markers, then END_TRANSACTION(commit).
    let mut msg = Message::new("payments", "debit");
    msg.set_delay_level(2);
    let mut local_saw = None;
    let result = producer
        .send(msg, |m: &Message| {
            local_saw = Some(m.clone());
            async { LocalTransactionState::Commit }
        })
        .await
        .unwrap();
    assert_eq!(result.local_state, LocalTransactionState::Commit);
    assert_eq!(result.send.status, SendStatus::SendOk);
    let local_saw = local_saw.unwrap();
    assert_eq!(local_saw.unique_key(), Some(result.send.msg_id.as_str()));
    assert_eq!(
        local_saw.transaction_id(),
        result.send.transaction_id.as_deref()
    );

    let sent = broker.state.seen(RequestCode::SEND_MESSAGE_V2);
    let half: SendMessageRequestHeaderV2 = sent[0].read_header().unwrap();
    assert_eq!(
        half.sys_flag & 0x4,
        0x4,
        "TRANSACTION_PREPARED_TYPE in sysFlag"
    );
    let props = Properties::decode(half.properties.as_deref().unwrap());
    assert_eq!(props.get(property::TRAN_MSG), Some("true"));
    assert_eq!(props.get(property::PGROUP), Some("tx_group"));
    assert_eq!(
        props.get(property::DELAY),
        None,
        "delay is dropped for half messages"
    );

    let ends = broker.state.wait_for(RequestCode::END_TRANSACTION, 1).await;
    assert!(ends[0].is_oneway());
    let end: EndTransactionRequestHeader = ends[0].read_header().unwrap();
    assert_eq!(end.producer_group, "tx_group");
    assert_eq!(end.commit_or_rollback, 8);
    assert!(!end.from_transaction_check);
    assert_eq!(end.msg_id, result.send.msg_id);
    assert_eq!(end.tran_state_table_offset, result.send.queue_offset);
    assert_eq!(end.commit_log_offset, 1000 + result.send.queue_offset);
    assert_eq!(end.transaction_id, result.send.transaction_id);
    assert_eq!(end.topic.as_deref(), Some("payments"));
    assert_eq!(end.rpc.broker_name.as_deref(), Some("broker-a"));

    // Rollback and unknown.
    let rolled = producer
        .send(Message::new("payments", "r"), |_: &Message| async {
            LocalTransactionState::Rollback
        })
        .await
        .unwrap();
    assert_eq!(rolled.local_state, LocalTransactionState::Rollback);
    let unknown = producer
        .send(Message::new("payments", "u"), |_: &Message| async {
            LocalTransactionState::Unknown
        })
        .await
        .unwrap();
    let ends = broker.state.wait_for(RequestCode::END_TRANSACTION, 3).await;
    let states: Vec<i32> = ends
        .iter()
        .map(|c| {
            c.read_header::<EndTransactionRequestHeader>()
                .unwrap()
                .commit_or_rollback
        })
        .collect();
    assert_eq!(states, [8, 12, 0]);

    // The broker checks the unknown one on the heartbeat connection; the checker decides.
    broker.state.wait_for(RequestCode::HEART_BEAT, 1).await;
    let connection = broker.state.client.lock().unwrap().clone().unwrap();
    for (body, want) in [(&b"commit me"[..], 8), (&b"other"[..], 12)] {
        let mut stored = StoredMessage {
            message: Message::new("payments", body.to_vec()),
            commit_log_offset: 4242,
            store_host: "127.0.0.1:10911".parse::<SocketAddr>().unwrap(),
            ..StoredMessage::default()
        };
        stored.message.set_transaction_prepared(true);
        stored.message.set_producer_group("tx_group");
        stored.message.set_unique_key(unknown.send.msg_id.clone());
        let check = CheckTransactionState {
            header: CheckTransactionStateRequestHeader {
                tran_state_table_offset: 7,
                commit_log_offset: 4242,
                msg_id: Some(unknown.send.msg_id.clone()),
                transaction_id: unknown.send.transaction_id.clone(),
                offset_msg_id: Some(unknown.send.offset_msg_id.clone()),
                topic: Some("payments".into()),
                rpc: Default::default(),
            },
            body: stored.to_bytes().unwrap().into(),
        };
        let before = broker.state.seen(RequestCode::END_TRANSACTION).len();
        connection
            .invoke_oneway(check.to_command(), Duration::from_secs(3))
            .await
            .unwrap();
        let ends = broker
            .state
            .wait_for(RequestCode::END_TRANSACTION, before + 1)
            .await;
        let answer: EndTransactionRequestHeader = ends[before].read_header().unwrap();
        assert!(answer.from_transaction_check);
        assert_eq!(answer.commit_or_rollback, want);
        assert_eq!(answer.commit_log_offset, 4242);
        assert_eq!(answer.tran_state_table_offset, 7);
        assert_eq!(answer.msg_id, unknown.send.msg_id);
        assert_eq!(answer.transaction_id, unknown.send.transaction_id);
        assert_eq!(answer.producer_group, "tx_group");
        assert_eq!(answer.topic.as_deref(), Some("payments"));
    }
    let (count, first_id) = {
        let checked = checked.lock().unwrap();
        let first = checked[0].message.unique_key().map(str::to_owned);
        (checked.len(), first)
    };
    assert_eq!(count, 2);
    assert_eq!(first_id.as_deref(), Some(unknown.send.msg_id.as_str()));

    // Checks for a group this client does not have are ignored: only the valid check
    // sent after it is answered.
    let mut stranger = StoredMessage {
        message: Message::new("payments", "x"),
        ..StoredMessage::default()
    };
    stranger.message.set_producer_group("someone_else");
    let mut valid = stranger.clone();
    valid.message.set_producer_group("tx_group");
    valid.message.set_unique_key(unknown.send.msg_id.clone());
    for stored in [stranger, valid] {
        let check = CheckTransactionState {
            header: CheckTransactionStateRequestHeader::default(),
            body: stored.to_bytes().unwrap().into(),
        };
        connection
            .invoke_oneway(check.to_command(), Duration::from_secs(3))
            .await
            .unwrap();
    }
    let ends = broker.state.wait_for(RequestCode::END_TRANSACTION, 6).await;
    let last: EndTransactionRequestHeader = ends[5].read_header().unwrap();
    assert_eq!(last.msg_id, unknown.send.msg_id);
    producer.close().await;
}
