//! Acceptance of broker-lite by the real Java mqadmin (4.9.8 and 5.x): clusterList,
//! topicList, topicRoute, topicStatus, updateTopic, deleteTopic, consumerProgress,
//! consumerConnection, queryMsgById, queryMsgByKey and brokerStatus print the right values
//! for messages the real Java client sent and consumed.
//!
//! `INTEROP_BROKER=java cargo test -p interop --test broker_lite_mqadmin` runs the same test
//! against the real Java broker. Fails (never skips) when Java or the cache from
//! scripts/fetch-java.sh is missing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod broker_lite_support;

use anyhow::Context as _;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use broker_lite_support::{Target, poll, unique};
use interop::{ConsumeSpec, ConsumerEvent, JavaVersion, ProduceSpec, SendMode, SentMessage};
use rocketmq::protocol::body::TopicRoute;
use rocketmq::protocol::header::QueryConsumerOffsetRequestHeader;
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::request::QueryConsumerOffset;
use rocketmq::remoting::RemotingClient;

const LIMIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_4_9_8_mqadmin() -> anyhow::Result<()> {
    mqadmin(JavaVersion::V4_9_8).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_5_mqadmin() -> anyhow::Result<()> {
    mqadmin(JavaVersion::V5).await
}

/// The data rows of an mqadmin table: lines after the `#` header, split on whitespace.
fn rows(out: &str) -> Vec<Vec<&str>> {
    out.lines()
        .skip_while(|l| !l.trim_start().starts_with('#'))
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|cols| !cols.is_empty())
        .collect()
}

/// `name : value` / `name: value` lines (brokerStatus, queryMsgById).
fn fields(out: &str) -> BTreeMap<String, String> {
    out.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect()
}

/// The Java client's version text in mqadmin output (`V4_9_8`, `V5_5_0`).
fn version_desc(version: JavaVersion) -> anyhow::Result<String> {
    Ok(format!("V{}", version.label()?.replace('.', "_")))
}

async fn mqadmin(version: JavaVersion) -> anyhow::Result<()> {
    let target = Target::start(version).await?;
    let client = target.client(version)?;
    let broker = target.broker_addr();
    let (cluster, bname) = (target.cluster_name(), target.broker_name());
    let topic = unique("AdminT");
    let group = unique("AdminG");
    let conn_group = unique("AdminConnG");
    let shared_key = unique("sharedkey");

    // updateTopic creates the topic on the broker; the route reaches the name server.
    let out = client
        .admin(&[
            "updateTopic",
            "-b",
            &broker,
            "-t",
            &topic,
            "-r",
            "4",
            "-w",
            "4",
        ])
        .await?;
    assert!(
        out.contains(&format!("create topic to {broker} success")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "topicName={topic}, readQueueNums=4, writeQueueNums=4, perm=RW-"
        )),
        "{out}"
    );
    target.wait_for_route(&topic).await?;

    // Traffic: 8 messages sent, consumed by group G (whose consumer then stops: the Java
    // client commits its offsets on shutdown, or only 10 s after start); group G2 stays
    // connected for consumerConnection.
    let mut spec = ConsumeSpec::new(&topic, &group);
    spec.expect = 8;
    let consumer = client.consume(&spec)?;
    let mut conn_spec = ConsumeSpec::new(&topic, &conn_group);
    conn_spec.expr = "TagA || TagB".into();
    conn_spec.instance = Some("admin-conn".into());
    let connected = client.consume(&conn_spec)?;
    consumer.wait_ready(LIMIT).await?;
    let mut produce = ProduceSpec::new(&topic, SendMode::Sync, 8);
    produce.keys = format!("mk-{{i}} {shared_key}");
    let sent = client.produce(&produce).await?;
    let (consumed, delivered) = tokio::join!(
        consumer.finish(LIMIT),
        connected.wait_deliveries(sent.len(), LIMIT)
    );
    assert_eq!(consumed?.deliveries.len(), sent.len());
    delivered?;
    let client_id = connected.client_id().unwrap();
    let mut per_queue: BTreeMap<i32, i64> = BTreeMap::new();
    for s in &sent {
        *per_queue.entry(s.queue_id).or_default() += 1;
    }
    wait_for_committed_offsets(&target, &group, &topic, &per_queue).await?;

    let by_id = [
        "queryMsgById",
        "-i",
        sent[0].offset_msg_id.as_deref().unwrap(),
    ];
    let by_id_5 = [&by_id[..], &["-t", &topic]].concat();
    let route_args = ["topicRoute", "-t", &topic];
    let status_args = ["topicStatus", "-t", &topic];
    let progress_args = ["consumerProgress", "-g", &group];
    let conn_args = ["consumerConnection", "-g", &conn_group];
    let key_args = ["queryMsgByKey", "-t", &topic, "-k", &shared_key];
    let broker_args = ["brokerStatus", "-b", &broker];
    // Independent read-only commands at once: each JVM spends most of its time starting
    // and (5.x) shutting down.
    let (clusters, topics, route, status, progress, conn, by_id_out, by_key, broker_status) = tokio::join!(
        client.admin(&["clusterList"]),
        client.admin(&["topicList"]),
        client.admin(&route_args),
        client.admin(&status_args),
        client.admin(&progress_args),
        client.admin(&conn_args),
        client.admin(if version == JavaVersion::V4_9_8 {
            &by_id[..]
        } else {
            &by_id_5[..]
        }),
        client.admin(&key_args),
        client.admin(&broker_args),
    );
    // Report every failed command at once.
    let mut failed = String::new();
    let mut ok = |r: anyhow::Result<String>| match r {
        Ok(out) => out,
        Err(e) => {
            failed.push_str(&format!("{e:#}\n\n"));
            String::new()
        }
    };
    let (clusters, topics, route, status, progress, conn, by_id_out, by_key, broker_status) = (
        ok(clusters),
        ok(topics),
        ok(route),
        ok(status),
        ok(progress),
        ok(conn),
        ok(by_id_out),
        ok(by_key),
        ok(broker_status),
    );
    assert!(failed.is_empty(), "mqadmin commands failed:\n{failed}");

    check_cluster_list(&clusters, cluster, bname, &broker);
    assert!(topics.lines().any(|l| l.trim() == topic), "{topics}");
    check_route(&route, bname, &broker)?;
    check_topic_status(&status, bname, &per_queue);
    check_progress(&progress, &topic, &per_queue);
    check_connection(
        &conn,
        &client_id,
        &version_desc(version)?,
        &topic,
        &conn_spec.expr,
    );
    check_view(&by_id_out, &sent[0], &topic, &broker)?;
    check_by_key(&by_key, &sent);
    check_broker_status(&broker_status, sent.len());

    // deleteTopic removes it from the broker and the name server (while the connected
    // consumer shuts down).
    let delete_args = ["deleteTopic", "-t", &topic, "-c", cluster];
    let (out, connected) = tokio::join!(client.admin(&delete_args), connected.stop());
    let (out, connected) = (out?, connected?);
    assert_eq!(connected.deliveries.len(), sent.len());
    assert!(
        connected
            .events
            .iter()
            .any(|e| matches!(e, ConsumerEvent::Allocate(a) if a.cids.contains(&client_id))),
        "the consumer saw itself in its group"
    );
    assert!(
        out.contains(&format!(
            "delete topic [{topic}] from cluster [{cluster}] success"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("delete topic [{topic}] from NameServer success")),
        "{out}"
    );
    let (topics, route) = tokio::join!(client.admin(&["topicList"]), client.admin_raw(&route_args));
    let topics = topics?;
    assert!(!topics.lines().any(|l| l.trim() == topic), "{topics}");
    let (ok, route) = route?;
    assert!(!ok, "route of a deleted topic:\n{route}");
    assert!(route.contains("CODE: 17"), "TOPIC_NOT_EXIST:\n{route}");
    target.stop().await
}

/// Waits (bounded) until the broker holds the group's offsets of every queue: the Java
/// consumer persists them when it shuts down.
async fn wait_for_committed_offsets(
    target: &Target,
    group: &str,
    topic: &str,
    per_queue: &BTreeMap<i32, i64>,
) -> anyhow::Result<()> {
    let sdk = RemotingClient::builder().build();
    let last_seen = std::sync::Mutex::new(BTreeMap::new());
    let polled = poll("committed consumer offsets", LIMIT, async || {
        for (&queue_id, &count) in per_queue {
            let header = QueryConsumerOffsetRequestHeader {
                consumer_group: group.to_owned(),
                topic: topic.to_owned(),
                queue_id,
                ..Default::default()
            };
            let offset = sdk
                .call(&target.broker_addr(), &QueryConsumerOffset(header))
                .await
                .ok()?;
            if let Ok(mut seen) = last_seen.lock() {
                seen.insert(queue_id, offset.0);
            }
            if offset.0 != Some(count) {
                return None;
            }
        }
        Some(())
    })
    .await;
    // Say what the broker had, next to what was expected, when it never got there.
    polled.with_context(|| {
        let seen = last_seen
            .lock()
            .map(|s| format!("{s:?}"))
            .unwrap_or_default();
        format!("group {group}: expected offsets {per_queue:?}, last seen {seen}")
    })
}

fn check_cluster_list(out: &str, cluster: &str, bname: &str, broker: &str) {
    let rows = rows(out);
    let row = rows
        .iter()
        .find(|r| r.get(1) == Some(&bname))
        .unwrap_or_else(|| panic!("no row for {bname}:\n{out}"));
    assert_eq!(row[..4], [cluster, bname, "0", broker], "{out}");
    assert!(row[4].starts_with('V'), "broker version: {out}");
}

fn check_route(out: &str, bname: &str, broker: &str) -> anyhow::Result<()> {
    let json = &out[out.find('{').unwrap()..=out.rfind('}').unwrap()];
    let route = TopicRoute::from_json(json.as_bytes())?;
    assert_eq!(route.brokers.len(), 1, "{out}");
    assert_eq!(route.brokers[0].broker_name, bname);
    assert_eq!(route.brokers[0].master_addr(), Some(broker), "{out}");
    assert_eq!(route.queues.len(), 1, "{out}");
    let q = &route.queues[0];
    assert_eq!(
        (q.read_queue_nums, q.write_queue_nums, q.perm),
        (4, 4, 6),
        "{out}"
    );
    Ok(())
}

fn check_topic_status(out: &str, bname: &str, per_queue: &BTreeMap<i32, i64>) {
    let rows = rows(out);
    let table: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == bname).collect();
    assert_eq!(table.len(), 4, "{out}");
    for r in table {
        let q: i32 = r[1].parse().unwrap();
        let (min, max): (i64, i64) = (r[2].parse().unwrap(), r[3].parse().unwrap());
        assert_eq!(min, 0, "queue {q}: {out}");
        assert_eq!(
            max,
            per_queue.get(&q).copied().unwrap_or(0),
            "queue {q}: {out}"
        );
    }
}

fn check_progress(out: &str, topic: &str, per_queue: &BTreeMap<i32, i64>) {
    let rows = rows(out);
    let table: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == topic).collect();
    assert_eq!(table.len(), 4, "{out}");
    for r in table {
        let q: i32 = r[2].parse().unwrap();
        let expected = per_queue.get(&q).copied().unwrap_or(0).to_string();
        // #Broker Offset, #Consumer Offset, #Diff.
        assert_eq!(
            r[3..6],
            [expected.as_str(), expected.as_str(), "0"],
            "{out}"
        );
    }
    assert!(
        out.lines()
            .any(|l| l.contains("Diff Total:") && l.trim().ends_with(": 0")),
        "{out}"
    );
}

fn check_connection(out: &str, client_id: &str, version: &str, topic: &str, expr: &str) {
    let line = out
        .lines()
        .find(|l| l.starts_with(client_id))
        .unwrap_or_else(|| panic!("no connection of {client_id}:\n{out}"));
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cols.len(), 4, "{out}");
    assert!(cols[1].starts_with("127.0.0.1:"), "client address: {out}");
    assert_eq!(cols[2..], ["JAVA", version], "{out}");
    let sub = out
        .lines()
        .find(|l| l.split_whitespace().next() == Some(topic))
        .unwrap_or_else(|| panic!("no subscription of {topic}:\n{out}"));
    assert_eq!(sub.split_once(char::is_whitespace).unwrap().1.trim(), expr);
    for expected in [
        "ConsumeType: CONSUME_PASSIVELY",
        "MessageModel: CLUSTERING",
        "ConsumeFromWhere: CONSUME_FROM_FIRST_OFFSET",
    ] {
        assert!(
            out.lines().any(|l| l.trim() == expected),
            "{expected}:\n{out}"
        );
    }
}

fn check_view(out: &str, sent: &SentMessage, topic: &str, broker: &str) -> anyhow::Result<()> {
    let f = fields(out);
    let field = |k: &str| f.get(k).map(String::as_str).unwrap_or("<missing>");
    assert_eq!(
        field("OffsetID"),
        sent.offset_msg_id.as_deref().unwrap(),
        "{out}"
    );
    assert_eq!(field("Topic"), topic, "{out}");
    assert_eq!(
        field("Tags"),
        format!("[{}]", sent.tags.as_deref().unwrap())
    );
    assert_eq!(
        field("Keys"),
        format!("[{}]", sent.keys.as_deref().unwrap())
    );
    assert_eq!(field("Queue ID"), sent.queue_id.to_string(), "{out}");
    assert_eq!(
        field("Queue Offset"),
        sent.queue_offset.to_string(),
        "{out}"
    );
    assert_eq!(field("Reconsume Times"), "0", "{out}");
    assert_eq!(field("Store Host"), broker, "{out}");
    let props = field("Properties");
    for (k, v) in &sent.user_properties {
        assert!(props.contains(&format!("{k}={v}")), "{k}={v} in {props}");
    }
    assert!(
        props.contains(&format!("UNIQ_KEY={}", sent.msg_id)),
        "{props}"
    );
    // mqadmin writes the body to a file and prints its path.
    let path = field("Message Body Path");
    let body = std::fs::read(path)?;
    assert_eq!(body, sent.body, "body written by queryMsgById");
    let _ = std::fs::remove_file(path);
    Ok(())
}

fn check_by_key(out: &str, sent: &[SentMessage]) {
    let rows = rows(out);
    let found: BTreeSet<(&str, i32, i64)> = rows
        .iter()
        .map(|r| (r[0], r[1].parse().unwrap(), r[2].parse().unwrap()))
        .collect();
    let expected: BTreeSet<(&str, i32, i64)> = sent
        .iter()
        .map(|s| (s.msg_id.as_str(), s.queue_id, s.queue_offset))
        .collect();
    assert_eq!(found, expected, "{out}");
}

fn check_broker_status(out: &str, sent: usize) {
    let f = fields(out);
    let number = |k: &str| -> i64 {
        f.get(k)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{k} missing or not a number:\n{out}"))
    };
    assert_eq!(number("msgPutTotalTodayNow"), sent as i64, "{out}");
    // Two groups consumed every message.
    assert_eq!(number("msgGetTotalTodayNow"), 2 * sent as i64, "{out}");
    assert!(number("commitLogMaxOffset") > 0, "{out}");
    let boot = number("bootTimestamp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(
        boot <= now && now - boot < 600_000,
        "bootTimestamp {boot}: {out}"
    );
    assert!(
        f.get("brokerVersionDesc")
            .is_some_and(|v| v.starts_with('V')),
        "{out}"
    );
    assert!(f.contains_key("runtime"), "{out}");
}
