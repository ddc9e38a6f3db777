//! Typed headers against the `extFields` that real Java (4.9.8 and 5.x) wrote in the golden
//! command vectors: each map reads into its typed header, and writing the header back gives
//! the same entries (keys Java adds outside the header class, such as `TRACE_ON` on a send
//! reply, are left aside).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use rocketmq::protocol::header::{
    GetRouteInfoRequestHeader, NotifyConsumerIdsChangedRequestHeader, PullMessageRequestHeader,
    SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use rocketmq::protocol::{CommandHeader, ExtFields};
use serde_json::Value;

mod golden_util;
use golden_util::{manifest, versions};

fn vectors() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for version in versions() {
        let manifest = manifest(&version);
        for v in manifest["vectors"].as_array().unwrap() {
            if v["kind"] == "command" {
                out.push((
                    format!("{version}/{}", v["name"].as_str().unwrap()),
                    v["meta"].clone(),
                ));
            }
        }
    }
    out
}

fn ext_fields(meta: &Value) -> ExtFields {
    meta["extFields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// Reads `H` from the vector's map and checks that writing it back reproduces every entry
/// it writes, and that it writes every Java entry except `extra`.
fn check<H: CommandHeader + std::fmt::Debug>(name: &str, meta: &Value, extra: &[&str]) -> H {
    let java = ext_fields(meta);
    let header = H::read_from(&java).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut ours = ExtFields::new();
    header.write_to(&mut ours);
    for (k, v) in ours.iter() {
        assert_eq!(java.get(k), Some(v), "{name}: key {k}");
    }
    for (k, _) in java.iter() {
        if !extra.contains(&k) {
            assert!(ours.get(k).is_some(), "{name}: Java key {k} not written");
        }
    }
    header
}

#[test]
fn java_headers_read_and_rewrite() {
    let mut seen = 0;
    for (name, meta) in vectors() {
        if name.ends_with("cmd_send_v2_json") || name.ends_with("cmd_send_v2_rocketmq") {
            let h: SendMessageRequestHeaderV2 = check(&name, &meta, &[]);
            assert_eq!(h.producer_group, "golden_producer_group");
            assert_eq!(h.born_timestamp, 1_700_000_000_123);
            assert_eq!(h.queue_id, 2);
            let v1 = SendMessageRequestHeader::from(h.clone());
            assert_eq!(SendMessageRequestHeaderV2::from(v1), h);
            seen += 1;
        } else if name.contains("cmd_pull_") {
            let h: PullMessageRequestHeader = check(&name, &meta, &[]);
            assert_eq!(h.consumer_group, "golden_consumer_group");
            assert_eq!(h.queue_offset, 1_234_567_890_123);
            assert_eq!(h.sys_flag, 7);
            seen += 1;
        } else if name.contains("cmd_send_response_") {
            let h: SendMessageResponseHeader = check(&name, &meta, &["TRACE_ON", "MSG_REGION"]);
            assert_eq!(h.queue_offset, 77);
            seen += 1;
        } else if name.contains("cmd_route_") {
            let h: GetRouteInfoRequestHeader = check(&name, &meta, &[]);
            assert_eq!(h.topic, "GoldenTopic");
            seen += 1;
        } else if name.contains("cmd_oneway_") {
            let h: NotifyConsumerIdsChangedRequestHeader = check(&name, &meta, &[]);
            assert_eq!(h.consumer_group, "golden_consumer_group");
            seen += 1;
        }
    }
    assert!(
        seen >= 10,
        "expected the send/pull/route/oneway vectors of both versions, saw {seen}"
    );
}
