//! The producer-side modes (producer sync and async, batch-producer, transaction-producer,
//! timer-producer) run to a small quantity against an embedded broker-lite (no -n) and
//! against the real Java broker (5.x and 4.9.8); each JSON summary must add up.
//! Fails (never skips) when Java RocketMQ is not in the cache or does not start.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use anyhow::ensure;
use common::{Outcome, check_send_summary, perf_tool, perf_tool_fails};
use interop::{AclAccount, JavaAcl, JavaCluster, JavaVersion};

/// One perf-tool run (or Java cluster) at a time: each embeds a broker or starts JVMs, and
/// the machine may have two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn run(args: Vec<String>) -> anyhow::Result<Outcome> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    perf_tool(&args).await
}

fn args(list: &[&str], namesrv: Option<&str>) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
    if let Some(ns) = namesrv {
        v.extend(["-n".to_owned(), ns.to_owned()]);
    }
    v
}

/// Every producer-side mode against the name server `namesrv` (embedded broker-lite when
/// `None`), topic `topic`.
async fn all_modes(namesrv: Option<&str>, topic: &str) -> anyhow::Result<()> {
    // Sync producer: the Java flags, the multi-letter ones included.
    let o = run(args(
        &[
            "producer", "-t", topic, "-w", "4", "-s", "128", "-q", "200", "-k", "true", "-l", "3",
            "-ri", "1000", "-c", "true", "-ct", "LZ4", "-cl", "1", "-ch", "64",
        ],
        namesrv,
    ))
    .await?;
    check_send_summary(&o, "producer", 200)?;
    ensure!(
        o.json["config"]["compress"]["compress_type"] == "LZ4",
        "{:#}",
        o.json["config"]
    );
    ensure!(
        o.stdout
            .lines()
            .any(|l| l.starts_with("[Complete] Send Total: 200 ")),
        "no complete line:\n{}",
        o.stdout
    );
    ensure!(
        o.json["target"]["embedded_broker_lite"] == namesrv.is_none(),
        "{:#}",
        o.json["target"]
    );

    // Async producer.
    let o = run(args(
        &["producer", "-t", topic, "-y", "true", "-q", "500"],
        namesrv,
    ))
    .await?;
    check_send_summary(&o, "producer", 500)?;
    ensure!(
        o.json["config"]["async_send"] == true,
        "{:#}",
        o.json["config"]
    );

    // Batches: 100 messages in batches of 16 is 7 batches, 112 messages.
    let o = run(args(
        &[
            "batch-producer",
            "-t",
            topic,
            "-w",
            "2",
            "-b",
            "16",
            "-q",
            "100",
        ],
        namesrv,
    ))
    .await?;
    check_send_summary(&o, "batch-producer", 112)?;
    ensure!(
        o.total("batches_acknowledged") == 7,
        "{:#}",
        o.json["totals"]
    );

    // Transactions: some roll back, some stay unknown for the broker to check later.
    let o = run(args(
        &[
            "transaction-producer",
            "-t",
            topic,
            "-w",
            "4",
            "-s",
            "256",
            "-q",
            "100",
            "-sr",
            "0.2",
            "-su",
            "0.2",
        ],
        namesrv,
    ))
    .await?;
    check_send_summary(&o, "transaction-producer", 100)?;
    let decided = o.total("committed") + o.total("rolled_back") + o.total("unknown");
    ensure!(decided == o.total("acknowledged"), "{:#}", o.json["totals"]);
    ensure!(
        o.total("rolled_back") > 0 && o.total("unknown") > 0,
        "{:#}",
        o.json["totals"]
    );

    // Timer messages, due a minute from now.
    let o = run(args(
        &[
            "timer-producer",
            "-t",
            topic,
            "-tc",
            "2",
            "-ms",
            "64",
            "-st",
            "5",
            "-mt",
            "10",
            "-sd",
            "100",
            "--start-delay-ms",
            "60000",
        ],
        namesrv,
    ))
    .await?;
    check_send_summary(&o, "timer-producer", 100)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_modes_against_embedded_broker_lite() -> anyhow::Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    all_modes(None, "PerfToolLite").await
}

async fn against_java(version: JavaVersion) -> anyhow::Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let cluster = JavaCluster::start(version).await?;
    let topic = "PerfToolJava";
    cluster.create_topic(topic, 4).await?;
    cluster.wait_for_route(topic).await?;
    let result = all_modes(Some(&cluster.namesrv_addr()), topic).await;
    cluster.stop().await?;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_modes_against_java_5() -> anyhow::Result<()> {
    against_java(JavaVersion::V5).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_modes_against_java_4_9_8() -> anyhow::Result<()> {
    against_java(JavaVersion::V4_9_8).await
}

/// Periodic lines in the Java 5.x format, once ten one-second snapshots exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periodic_lines_in_java_format() -> anyhow::Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let o = run(args(
        &[
            "producer",
            "-w",
            "2",
            "--duration",
            "12",
            "--rate",
            "200",
            "-ri",
            "1000",
        ],
        None,
    ))
    .await?;
    let lines: Vec<&str> = o
        .stdout
        .lines()
        .filter(|l| l.starts_with("Current Time: "))
        .collect();
    ensure!(!lines.is_empty(), "no periodic line:\n{}", o.stdout);
    for line in &lines {
        let fields: Vec<&str> = line.split(" | ").collect();
        ensure!(fields.len() == 6, "{line}");
        let names = [
            "Current Time",
            "Send TPS",
            "Max RT(ms)",
            "Average RT(ms)",
            "Send Failed",
            "Response Failed",
        ];
        for (field, name) in fields.iter().zip(names) {
            ensure!(field.starts_with(&format!("{name}: ")), "{line}");
        }
        let tps: u64 = fields[1].trim_start_matches("Send TPS: ").parse()?;
        // --rate 200: the window's rate is close to it.
        ensure!((150..=250).contains(&tps), "{line}");
    }
    let sent = o.total("sent");
    ensure!(sent == o.total("acknowledged") + o.total("failed"));
    // 12 s at 200/s.
    ensure!((2000..=2600).contains(&sent), "sent {sent}");
    Ok(())
}

#[tokio::test]
async fn unsupported_flags_fail_clearly() -> anyhow::Result<()> {
    let err = perf_tool_fails(&["producer", "-m", "true", "-q", "1"]).await?;
    ensure!(
        err.contains("trace") && err.contains("not supported"),
        "{err}"
    );
    let err = perf_tool_fails(&["producer", "-y", "maybe"]).await?;
    ensure!(err.contains("true or false"), "{err}");
    Ok(())
}

/// `-a true -ak -sk` against a Java 5.x broker enforcing ACL: the account allowed to publish
/// sends everything (producer and transaction-producer); a wrong secret key fails every send,
/// each failure counted under the broker's response code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_with_acl_against_java_5() -> anyhow::Result<()> {
    const ADMIN: (&str, &str) = ("perf_admin", "admin-secret-1");
    const USER: (&str, &str) = ("perf_producer", "producer-secret-2");
    let _one = ONE_AT_A_TIME.lock().await;
    let topic = "PerfToolAcl";
    let acl = JavaAcl::new(vec![
        AclAccount::admin(ADMIN.0, ADMIN.1),
        AclAccount::user(
            USER.0,
            USER.1,
            &[&format!("{topic}=PUB")],
            &[
                "benchmark_producer=PUB|SUB",
                "benchmark_transaction_producer=PUB|SUB",
            ],
        ),
    ]);
    let cluster = JavaCluster::start_with_acl(JavaVersion::V5, &[], &acl).await?;
    let ns = cluster.namesrv_addr();
    let result = async {
        cluster.create_topic(topic, 4).await?;
        cluster.wait_for_route(topic).await?;
        let signed = |mode: &str, secret: &str, q: &str| {
            args(
                &[
                    mode, "-t", topic, "-w", "2", "-q", q, "-a", "true", "-ak", USER.0, "-sk",
                    secret,
                ],
                Some(&ns),
            )
        };
        let o = run(signed("producer", USER.1, "50")).await?;
        check_send_summary(&o, "producer", 50)?;
        let o = run(signed("transaction-producer", USER.1, "20")).await?;
        check_send_summary(&o, "transaction-producer", 20)?;
        // A wrong secret: every send refused by the broker, counted by its code.
        let o = run(signed("producer", "wrong-secret", "2")).await?;
        ensure!(
            o.total("sent") == 2 && o.total("failed") == 2,
            "{:#}",
            o.json["totals"]
        );
        ensure!(o.total("response_failed") == 2, "{:#}", o.json);
        let failures = o.json["failures"].as_array().cloned().unwrap_or_default();
        ensure!(
            failures.len() == 1
                && failures[0]["code"].as_i64().is_some()
                && failures[0]["count"] == 2,
            "{failures:#?}"
        );
        anyhow::Ok(())
    }
    .await;
    cluster.stop().await?;
    result
}
