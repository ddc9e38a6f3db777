//! ACL signing through the whole client: the signature is computed last, over the ext fields
//! and body the broker receives (fields other RPC hooks add included), on every request
//! (sends, heartbeats); and credentials are refused when they cannot sign.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod producer_support;

use producer_support::{MockBroker, MockNamesrv};
use rocketmq::Error;
use rocketmq::acl::{ACCESS_KEY, Credentials, SECURITY_TOKEN, SIGNATURE};
use rocketmq::producer::Producer;
use rocketmq::protocol::message::Message;
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::RpcHook;

/// A hook that adds a field, registered before the credentials are.
struct AddsField;

impl RpcHook for AddsField {
    fn before_request(&self, _addr: &str, request: &mut RemotingCommand) -> rocketmq::Result<()> {
        request
            .ext_fields_mut()
            .insert("zz_added_by_hook", "late value");
        Ok(())
    }
}

/// The broker's check: the signature recomputed over what arrived equals the one sent.
fn assert_signed(request: &RemotingCommand, creds: &Credentials) {
    assert_eq!(request.ext_field(ACCESS_KEY), Some(creds.access_key()));
    assert_eq!(request.ext_field(SECURITY_TOKEN), creds.security_token());
    let sent = request.ext_field(SIGNATURE).expect("a signature");
    assert_eq!(
        creds.signature(request),
        sent,
        "request code {}",
        request.code
    );
}

#[tokio::test]
async fn every_request_is_signed_over_its_final_fields() {
    let ns = MockNamesrv::start().await;
    let broker = MockBroker::start("broker-a").await;
    ns.route("t", &[&broker], 2, 6);
    let creds = Credentials::new("ak", "sk").with_security_token("token");
    // The credentials are set before the other hook, yet the signature covers its field.
    let producer = Producer::builder()
        .namesrv_addr(ns.addr.clone())
        .credentials(creds.clone())
        .rpc_hook(AddsField)
        .group("pg")
        .build()
        .await
        .unwrap();
    producer
        .send(Message::new("t", "body bytes"))
        .await
        .unwrap();
    let sends = broker.state.wait_for(RequestCode::SEND_MESSAGE_V2, 1).await;
    assert_eq!(sends[0].ext_field("zz_added_by_hook"), Some("late value"));
    assert_eq!(&sends[0].body[..], b"body bytes");
    assert_signed(&sends[0], &creds);
    let beats = broker.state.wait_for(RequestCode::HEART_BEAT, 1).await;
    assert_signed(&beats[0], &creds);

    // A different secret gives a different signature: the broker would refuse it.
    let wrong = Credentials::new("ak", "other").with_security_token("token");
    assert_ne!(
        wrong.signature(&sends[0]),
        sends[0].ext_field(SIGNATURE).unwrap()
    );

    // A refusal the mock broker sends back reaches the caller typed, code and remark kept.
    *broker.state.refuse.lock().unwrap() = Some((
        ResponseCode::NO_PERMISSION,
        "check signature failed.".to_owned(),
    ));
    let err = producer
        .send(Message::new("t", "refused"))
        .await
        .unwrap_err();
    match &err {
        Error::Broker { code, remark } => {
            assert_eq!(*code, ResponseCode::NO_PERMISSION);
            assert_eq!(remark.as_deref(), Some("check signature failed."));
        }
        other => panic!("not a broker refusal: {other:?}"),
    }
    assert!(err.is_access_denied());
    producer.close().await;
}

#[tokio::test]
async fn credentials_that_cannot_sign_are_refused_at_build() {
    for creds in [Credentials::new("", "sk"), Credentials::new("ak", "")] {
        let built = Producer::builder()
            .namesrv_addr("127.0.0.1:9876")
            .credentials(creds)
            .build()
            .await;
        assert!(matches!(built, Err(Error::Config(_))), "{built:?}");
    }
}
