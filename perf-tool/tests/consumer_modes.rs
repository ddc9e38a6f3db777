//! `perf-tool consumer`, `timer-consumer` and `e2e` run as the built binary, each with a
//! small quantity, against perf-tool's embedded broker-lite (no `-n`: the test reads the
//! embedded name server's address from stderr and produces into it) and against the real
//! Java 5.x broker; the JSON summaries are checked for sane totals.
//!
//! Fails (never skips) when Java RocketMQ is not in the cache.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, ensure};
use common::{Running, perf_tool, perf_tool_fails};
use interop::{AclAccount, JavaAcl, JavaCluster, JavaVersion};
use rocketmq::acl::Credentials;
use rocketmq::producer::Producer;
use rocketmq::protocol::message::Message;
use serde_json::Value;

/// One Java cluster at a time: each starts two JVMs, and the machine may have two cores.
static ONE_JAVA_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}_{}_{}", std::process::id(), nanos % 1_000_000_000)
}

fn now_millis() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(unique(name));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs perf-tool to its end and returns its JSON summary.
async fn summary_of(args: &[&str]) -> anyhow::Result<Value> {
    Ok(perf_tool(args).await?.json)
}

/// What the test producer sends.
#[derive(Clone, Copy)]
enum Kind {
    Plain,
    Tagged(&'static str),
    /// User property `n` = the message's index.
    Numbered,
    /// A 5.x timer message due this many ms after its send.
    Timer(i64),
}

async fn produce(namesrv: &str, topic: &str, count: usize, kind: Kind) -> anyhow::Result<()> {
    produce_as(namesrv, topic, count, kind, None).await
}

async fn produce_as(
    namesrv: &str,
    topic: &str,
    count: usize,
    kind: Kind,
    credentials: Option<Credentials>,
) -> anyhow::Result<()> {
    let mut builder = Producer::builder()
        .namesrv_addr(namesrv)
        .group(unique("perf_test_producer"));
    if let Some(credentials) = credentials {
        builder = builder.credentials(credentials);
    }
    let producer = builder.build().await?;
    let result = async {
        for i in 0..count {
            let mut msg = Message::new(topic, format!("message {i}").into_bytes());
            match kind {
                Kind::Plain => {}
                Kind::Tagged(tag) => msg.set_tags(tag),
                Kind::Numbered => msg.put_user_property("n", i.to_string())?,
                Kind::Timer(after) => {
                    let at = (now_millis() + after).to_string();
                    msg.properties_mut().insert("TIMER_DELIVER_MS", at.clone());
                    msg.put_user_property("MY_RECORD_TIMER_DELIVER_MS", at)?;
                }
            }
            send_with_retry(&producer, msg).await?;
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    producer.close().await;
    result
}

/// A fresh topic's first sends may need a moment (route registration).
async fn send_with_retry(producer: &Producer, msg: Message) -> anyhow::Result<()> {
    let mut attempts = 0;
    loop {
        match producer.send(msg.clone()).await {
            Ok(_) => return Ok(()),
            Err(e) if attempts >= 20 => return Err(e.into()),
            Err(_) => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

fn total(summary: &Value, name: &str) -> u64 {
    summary["totals"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("no total {name} in {summary:#}"))
}

fn latency(summary: &Value, series: &str, field: &str) -> f64 {
    summary["latency_ms"][series][field]
        .as_f64()
        .unwrap_or_else(|| panic!("no {series}.{field} in {summary:#}"))
}

/// Checks a consumer-mode summary: `expected` deliveries, every one with both latencies.
fn check_consumer(summary: &Value, expected: u64) {
    assert_eq!(summary["mode"], "consumer");
    let consumed = total(summary, "consumed");
    assert!(consumed >= expected, "{summary:#}");
    for series in ["b2c", "s2c"] {
        assert_eq!(
            latency(summary, series, "count") as u64,
            consumed,
            "{series}: {summary:#}"
        );
        let (p50, p99, max) = (
            latency(summary, series, "p50"),
            latency(summary, series, "p99"),
            latency(summary, series, "max"),
        );
        assert!(0.0 <= p50 && p50 <= p99 && p99 <= max, "{summary:#}");
    }
    assert!(summary["elapsed_s"].as_f64().unwrap() > 0.0, "{summary:#}");
    assert!(
        summary["cpu"]["us_per_msg"].as_f64().unwrap() > 0.0,
        "{summary:#}"
    );
}

/// Checks an e2e summary: everything acknowledged consumed, no duplicates or strangers.
fn check_e2e(summary: &Value, quantity: Option<u64>) {
    assert_eq!(summary["mode"], "e2e");
    let sent = total(summary, "sent");
    if let Some(quantity) = quantity {
        assert_eq!(sent, quantity, "{summary:#}");
    }
    assert!(sent > 0, "{summary:#}");
    let acked = total(summary, "acknowledged");
    assert_eq!(acked + total(summary, "failed"), sent, "{summary:#}");
    assert_eq!(total(summary, "failed"), 0, "{summary:#}");
    assert!(total(summary, "consumed") >= acked, "{summary:#}");
    assert_eq!(total(summary, "unique"), acked, "{summary:#}");
    assert_eq!(total(summary, "missing"), 0, "{summary:#}");
    assert_eq!(total(summary, "duplicates"), 0, "{summary:#}");
    assert_eq!(total(summary, "foreign"), 0, "{summary:#}");
    assert_eq!(
        latency(summary, "e2e", "count") as u64,
        acked,
        "{summary:#}"
    );
    assert_eq!(
        latency(summary, "send", "count") as u64,
        acked,
        "{summary:#}"
    );
    let phases = &summary["e2e"];
    assert_eq!(phases["acknowledged"].as_u64(), Some(acked), "{summary:#}");
    assert_eq!(phases["unique"].as_u64(), Some(acked), "{summary:#}");
    assert_eq!(phases["missing"].as_u64(), Some(0), "{summary:#}");
    for rate in ["produce_tps", "consume_tps"] {
        assert!(phases[rate].as_f64().unwrap() > 0.0, "{rate}: {summary:#}");
    }
    // Each message's end-to-end time includes its send.
    assert!(
        latency(summary, "e2e", "max") >= latency(summary, "send", "p50"),
        "{summary:#}"
    );
}

/// Checks a timer-consumer summary: every message measured, none delivered early.
fn check_timer(summary: &Value, expected: u64) {
    assert_eq!(summary["mode"], "timer-consumer");
    let consumed = total(summary, "consumed");
    assert!(consumed >= expected, "{summary:#}");
    assert_eq!(total(summary, "no_deliver_time"), 0, "{summary:#}");
    assert_eq!(total(summary, "early"), 0, "{summary:#}");
    assert_eq!(
        latency(summary, "delayed", "count") as u64,
        consumed,
        "{summary:#}"
    );
    // Delivered after their time, and not absurdly late for a 1 s timer precision.
    assert!(latency(summary, "delayed", "max") < 30_000.0, "{summary:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_on_embedded_broker_lite() -> anyhow::Result<()> {
    let topic = unique("perf_consumer");
    let (run, namesrv) = Running::embedded(&[
        "consumer", "-t", &topic, "-q", "300", "-r", "0.2", "-ri", "1000",
    ])
    .await?;
    produce(&namesrv, &topic, 300, Kind::Plain).await?;
    let summary = run.finish().await?.json;
    check_consumer(&summary, 300);
    assert_eq!(summary["target"]["embedded_broker_lite"], true);
    // About a fifth of the deliveries answered "reconsume later".
    let failed = total(&summary, "failed");
    assert!((10..=150).contains(&failed), "failed {failed}: {summary:#}");
    Ok(())
}

/// An SQL92 subscription read from an `-e` file; the run ends by its duration, so exactly
/// the matching messages must have arrived.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_sql92_filter_on_embedded_broker_lite() -> anyhow::Result<()> {
    let dir = Scratch::new("perf_sql");
    let expr = dir.path("expr");
    std::fs::write(&expr, "n >= 30\n")?;
    let topic = unique("perf_sql");
    let (run, namesrv) = Running::embedded(&[
        "consumer",
        "-t",
        &topic,
        "-f",
        "SQL92",
        "-e",
        expr.to_str().unwrap(),
        "--duration",
        "8",
    ])
    .await?;
    produce(&namesrv, &topic, 50, Kind::Numbered).await?;
    let summary = run.finish().await?.json;
    check_consumer(&summary, 20);
    assert_eq!(total(&summary, "consumed"), 20, "{summary:#}");
    Ok(())
}

/// `--preload` fills the embedded broker first: a backlog drained to `-q`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_drains_a_preloaded_backlog() -> anyhow::Result<()> {
    let summary = summary_of(&["consumer", "--preload", "1000", "-s", "64", "-q", "1000"]).await?;
    check_consumer(&summary, 1000);
    assert_eq!(total(&summary, "failed"), 0, "{summary:#}");
    assert_eq!(total(&summary, "redelivered"), 0, "{summary:#}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timer_consumer_on_embedded_broker_lite() -> anyhow::Result<()> {
    let topic = unique("perf_timer");
    let (run, namesrv) = Running::embedded(&["timer-consumer", "-t", &topic, "-q", "20"]).await?;
    produce(&namesrv, &topic, 20, Kind::Timer(3_000)).await?;
    let summary = run.finish().await?.json;
    check_timer(&summary, 20);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_on_embedded_broker_lite() -> anyhow::Result<()> {
    let summary = summary_of(&["e2e", "-q", "2000", "-w", "8"]).await?;
    check_e2e(&summary, Some(2000));
    assert_eq!(summary["target"]["embedded_broker_lite"], true);
    Ok(())
}

/// With a warm-up, what is sent during it is neither counted nor measured, yet checked for
/// arrival: the totals still balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_with_warmup_and_duration() -> anyhow::Result<()> {
    let summary = summary_of(&[
        "e2e",
        "--warmup",
        "1",
        "--duration",
        "2",
        "--rate",
        "500",
        "-w",
        "4",
    ])
    .await?;
    check_e2e(&summary, None);
    assert_eq!(summary["warmup_s"].as_f64(), Some(1.0), "{summary:#}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modes_against_java_5() -> anyhow::Result<()> {
    against_java(JavaVersion::V5).await
}

/// 4.9.8 has no timer wheel: consumer and e2e only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modes_against_java_4_9_8() -> anyhow::Result<()> {
    against_java(JavaVersion::V4_9_8).await
}

async fn against_java(version: JavaVersion) -> anyhow::Result<()> {
    let _one = ONE_JAVA_AT_A_TIME.lock().await;
    let cluster = JavaCluster::start(version)
        .await
        .with_context(|| format!("starting Java RocketMQ {version:?}"))?;
    let namesrv = cluster.namesrv_addr();
    let result = java_scenarios(&namesrv, version == JavaVersion::V5)
        .await
        .with_context(|| format!("against Java RocketMQ {}", cluster.version_label()));
    cluster.stop().await?;
    result
}

async fn java_scenarios(namesrv: &str, timers: bool) -> anyhow::Result<()> {
    let dir = Scratch::new("perf_java");

    // consumer: a backlog of tagged messages, only tag A subscribed through an -e file;
    // the run ends by its duration, so exactly the A messages must have arrived.
    let topic = unique("perf_consumer_java");
    produce(namesrv, &topic, 40, Kind::Tagged("A")).await?;
    produce(namesrv, &topic, 40, Kind::Tagged("B")).await?;
    let expr = dir.path("expr");
    std::fs::write(&expr, "A\n")?;
    let summary = summary_of(&[
        "consumer",
        "-n",
        namesrv,
        "-t",
        &topic,
        "-g",
        &unique("perf_group"),
        "-f",
        "TAG",
        "-e",
        expr.to_str().unwrap(),
        "--duration",
        "8",
    ])
    .await
    .context("consumer")?;
    check_consumer(&summary, 40);
    assert_eq!(total(&summary, "consumed"), 40, "{summary:#}");
    assert_eq!(summary["target"]["embedded_broker_lite"], false);

    if timers {
        timer_scenario(namesrv).await?;
    }

    // e2e on its own fresh topic and group.
    let summary = summary_of(&["e2e", "-n", namesrv, "-q", "1000", "-w", "8"])
        .await
        .context("e2e")?;
    check_e2e(&summary, Some(1000));
    Ok(())
}

/// timer-consumer started first, timer messages due 3 s after their send.
async fn timer_scenario(namesrv: &str) -> anyhow::Result<()> {
    let topic = unique("perf_timer_java");
    let run = Running::start(&[
        "timer-consumer",
        "-n",
        namesrv,
        "-t",
        &topic,
        "-g",
        &unique("perf_group"),
        "-q",
        "20",
    ])?;
    produce(namesrv, &topic, 20, Kind::Timer(3_000)).await?;
    let summary = run.finish().await.context("timer-consumer")?.json;
    check_timer(&summary, 20);
    Ok(())
}

/// `-a true -ak -sk` against a Java 5.x broker enforcing ACL: the right account consumes,
/// a wrong secret key gets no queue (the broker refuses its heartbeat) and the run fails;
/// e2e signs both its producer and its consumer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_with_acl_against_java_5() -> anyhow::Result<()> {
    const ADMIN: (&str, &str) = ("perf_admin", "admin-secret-1");
    const USER: (&str, &str) = ("perf_user", "user-secret-2");
    let _one = ONE_JAVA_AT_A_TIME.lock().await;
    let topic = unique("perf_acl");
    let group = unique("perf_acl_group");
    let acl = JavaAcl::new(vec![
        AclAccount::admin(ADMIN.0, ADMIN.1),
        AclAccount::user(
            USER.0,
            USER.1,
            &[&format!("{topic}=SUB")],
            &[&format!("{group}=SUB")],
        ),
    ]);
    let cluster = JavaCluster::start_with_acl(JavaVersion::V5, &[], &acl)
        .await
        .context("starting Java RocketMQ 5.x with ACL")?;
    let namesrv = cluster.namesrv_addr();
    let result = async {
        produce_as(
            &namesrv,
            &topic,
            20,
            Kind::Plain,
            Some(Credentials::new(ADMIN.0, ADMIN.1)),
        )
        .await
        .context("producing as the admin account")?;
        let (ns, topic, group) = (namesrv.as_str(), topic.as_str(), group.as_str());
        let args = move |secret: &'static str, duration: &'static str| {
            [
                "consumer",
                "-n",
                ns,
                "-t",
                topic,
                "-g",
                group,
                "-a",
                "true",
                "-ak",
                USER.0,
                "-sk",
                secret,
                "-q",
                "20",
                "--duration",
                duration,
            ]
        };
        let summary = summary_of(&args(USER.1, "20"))
            .await
            .context("consumer with the right credentials")?;
        check_consumer(&summary, 20);

        let stderr = perf_tool_fails(&args("not-the-secret", "5"))
            .await
            .context("the wrong-secret run")?;
        ensure!(
            stderr.contains("no queue of topic"),
            "a wrong secret key must fail the run:\n{stderr}"
        );

        // e2e signed as the admin account (its fresh topic is auto-created).
        let summary = summary_of(&[
            "e2e", "-n", ns, "-a", "true", "-ak", ADMIN.0, "-sk", ADMIN.1, "-q", "200",
        ])
        .await
        .context("e2e with the admin account")?;
        check_e2e(&summary, Some(200));
        Ok::<_, anyhow::Error>(())
    }
    .await;
    cluster.stop().await?;
    result
}
