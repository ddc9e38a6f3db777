//! Golden vectors of kind "json": command bodies as Java's `RemotingSerializable` (fastjson)
//! writes them, for 4.9.8 and 5.x. Each is read into its typed body, checked against the
//! manifest's `meta` (the text itself and any expected field values), then re-encoded and
//! compared byte for byte when the vector is deterministic, or value for value otherwise.
//!
//! The manifests live in `tests/golden/<java-version>/manifest.json`; this test fails when the
//! 4.9.8 or the 5.x manifest is missing, when a version has no "json" vector, or when a vector
//! names a Java class this test does not know.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::fmt::Debug;
use std::fs;

use rocketmq::protocol::MessageQueue;
use rocketmq::protocol::body::{
    ClusterInfo, ConsumeStats, ConsumerConnection, ConsumerRunningInfo, ExpressionType, Heartbeat,
    KvTable, LockBatchRequest, ResetOffset, SubscriptionGroupTable, TopicConfigTable, TopicList,
    TopicRoute, TopicStats,
};
use rocketmq::protocol::json::{self, JsonBody, WriteOptions};
use serde_json::Value;

mod golden_util;
use golden_util::{golden_root, manifest, versions};

/// The body as standard JSON (numbers-as-string keys), read by serde_json for comparing with
/// the manifest's expectations.
fn as_standard<T: JsonBody>(body: &T) -> Value {
    serde_json::from_slice(&body.to_json_with(WriteOptions::STANDARD)).unwrap()
}

/// Whether `got` has everything `want` has: equal scalars, arrays of the same length with
/// matching elements, objects with (at least) the expected keys (the manifest lists the
/// fields every Java version has; 5.x adds some).
fn contains(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| g.get(k).is_some_and(|gv| contains(gv, wv))),
        (Value::Array(g), Value::Array(w)) => {
            g.len() == w.len() && g.iter().zip(w).all(|(gv, wv)| contains(gv, wv))
        }
        _ => got == want,
    }
}

/// Reads `bytes` as `T`, checks `meta`, and re-encodes.
fn check<T: JsonBody + PartialEq + Debug>(
    id: &str,
    bytes: &[u8],
    deterministic: bool,
    meta: &Value,
) -> T {
    let body = T::from_json(bytes).unwrap_or_else(|e| panic!("{id}: {e}"));
    // Every expected field other than the bookkeeping ones must match what we read.
    let ours = as_standard(&body);
    for (key, want) in meta.as_object().unwrap() {
        if key == "class" || key == "text" {
            continue;
        }
        let got = ours.get(key).unwrap_or(&Value::Null);
        assert!(
            contains(got, want),
            "{id}: meta field {key}: expected {want}, read {got}"
        );
    }
    let again = body.to_json();
    if deterministic {
        assert_eq!(
            String::from_utf8_lossy(&again),
            String::from_utf8_lossy(bytes),
            "{id}: re-encoding differs"
        );
    } else {
        assert_eq!(T::from_json(&again).unwrap(), body, "{id}: round trip");
    }
    // The same body in standard JSON (what 4.9.4+ name servers send for routes) reads back
    // to the same value.
    let standard = body.to_json_with(WriteOptions::STANDARD);
    assert_eq!(
        T::from_json(&standard).unwrap(),
        body,
        "{id}: standard JSON"
    );
    // The untyped reader and writer alone reproduce the bytes too.
    if deterministic {
        let value = json::parse(bytes).unwrap();
        assert_eq!(
            json::write(&value, WriteOptions::FASTJSON),
            bytes,
            "{id}: value"
        );
    }
    body
}

fn mq(topic: &str, broker: &str, queue_id: i32) -> MessageQueue {
    MessageQueue {
        topic: topic.into(),
        broker_name: broker.into(),
        queue_id,
    }
}

fn check_vector(version: &str, vector: &Value) -> &'static str {
    let name = vector["name"].as_str().unwrap();
    let id = format!("{version}/{name}");
    let file = golden_root()
        .join(version)
        .join(vector["file"].as_str().unwrap());
    let bytes = fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let deterministic = vector["deterministic"].as_bool().unwrap();
    let meta = &vector["meta"];
    if let Some(text) = meta["text"].as_str() {
        assert_eq!(text.as_bytes(), bytes, "{id}: file differs from meta.text");
    }
    let five = version.starts_with('5');
    let class = meta["class"].as_str().unwrap_or("");
    match class {
        "TopicRouteData" => {
            let route: TopicRoute = check(&id, &bytes, deterministic, meta);
            let broker = &route.brokers[0];
            assert!(broker.master_addr().is_some(), "{id}");
            assert_eq!(broker.enable_acting_master.is_some(), five, "{id}");
            "TopicRouteData"
        }
        "HeartbeatData" => {
            let hb: Heartbeat = check(&id, &bytes, deterministic, meta);
            assert!(!hb.client_id.is_empty(), "{id}");
            let subs = &hb.consumer_data_set[0].subscription_data_set;
            assert!(
                subs.iter()
                    .any(|s| s.expression_type == ExpressionType::Sql92)
            );
            for sub in subs
                .iter()
                .filter(|s| s.expression_type == ExpressionType::Tag)
            {
                let rebuilt = rocketmq::protocol::body::SubscriptionData::tags(
                    &sub.topic,
                    &sub.sub_string,
                    sub.sub_version,
                );
                assert_eq!(&rebuilt, sub, "{id}: tags and codes as Java builds them");
            }
            assert_eq!(hb.without_sub.is_some(), five, "{id}");
            "HeartbeatData"
        }
        "ClusterInfo" => {
            let info: ClusterInfo = check(&id, &bytes, deterministic, meta);
            for (name, broker) in &info.broker_addr_table {
                assert_eq!(&broker.broker_name, name, "{id}");
                assert!(broker.master_addr().is_some(), "{id}");
            }
            "ClusterInfo"
        }
        "ConsumeStats" => {
            let stats: ConsumeStats = check(&id, &bytes, deterministic, meta);
            assert!(stats.offset_table.len() >= 2, "{id}");
            assert!(
                stats.offset_table.keys().all(|q| !q.topic.is_empty()),
                "{id}"
            );
            "ConsumeStats"
        }
        "TopicStatsTable" => {
            let stats: TopicStats = check(&id, &bytes, deterministic, meta);
            assert_eq!(stats.topic_put_tps.is_some(), five, "{id}");
            "TopicStatsTable"
        }
        "LockBatchRequestBody" => {
            let req: LockBatchRequest = check(&id, &bytes, deterministic, meta);
            assert!(!req.mq_set.is_empty(), "{id}");
            "LockBatchRequestBody"
        }
        "ResetOffsetBody" => {
            let reset: ResetOffset = check(&id, &bytes, deterministic, meta);
            let (first, _) = reset.offset_table.iter().next().unwrap();
            assert!(reset.offset_table.get(first).is_some(), "{id}");
            "ResetOffsetBody"
        }
        "KVTable" => {
            let _: KvTable = check(&id, &bytes, deterministic, meta);
            "KVTable"
        }
        "TopicList" => {
            let list: TopicList = check(&id, &bytes, deterministic, meta);
            assert!(!list.topics.is_empty(), "{id}");
            "TopicList"
        }
        "ConsumerConnection" => {
            let conn: ConsumerConnection = check(&id, &bytes, deterministic, meta);
            assert!(
                conn.connection_set.iter().all(|c| c.language.is_some()),
                "{id}"
            );
            "ConsumerConnection"
        }
        "ConsumerRunningInfo" => {
            let info: ConsumerRunningInfo = check(&id, &bytes, deterministic, meta);
            assert!(!info.mq_table.is_empty(), "{id}");
            assert_eq!(info.mq_pop_table.is_some(), five, "{id}");
            "ConsumerRunningInfo"
        }
        "TopicConfigSerializeWrapper" => {
            let table: TopicConfigTable = check(&id, &bytes, deterministic, meta);
            assert!(table.data_version.is_some(), "{id}");
            "TopicConfigSerializeWrapper"
        }
        "SubscriptionGroupWrapper" => {
            let table: SubscriptionGroupTable = check(&id, &bytes, deterministic, meta);
            assert!(!table.subscription_group_table.is_empty(), "{id}");
            "SubscriptionGroupWrapper"
        }
        other => panic!("{id}: no typed body for Java class {other:?}"),
    }
}

#[test]
fn json_vectors_read_check_and_reencode() {
    for version in versions() {
        let manifest = manifest(&version);
        let vectors: Vec<&Value> = manifest["vectors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["kind"] == "json")
            .collect();
        assert!(!vectors.is_empty(), "{version}: no json vectors");
        let mut classes: Vec<&str> = vectors.iter().map(|v| check_vector(&version, v)).collect();
        classes.sort_unstable();
        classes.dedup();
        eprintln!(
            "{version}: {} json vectors passed ({})",
            vectors.len(),
            classes.join(", ")
        );
    }
}

#[test]
fn consume_stats_keys_are_typed_queues() {
    let version = versions().into_iter().next().unwrap();
    let bytes = fs::read(golden_root().join(&version).join("json_consume_stats.json")).unwrap();
    let stats = ConsumeStats::from_json(&bytes).unwrap();
    let q0 = stats
        .offset_table
        .get(&mq("GoldenTopic", "broker-a", 0))
        .unwrap();
    assert_eq!((q0.broker_offset, q0.consumer_offset), (100, 90));
    assert_eq!(stats.consume_tps, 12.5);
}
