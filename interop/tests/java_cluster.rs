//! Smoke test of the harness: the real Java name server + broker start, mqadmin sees the
//! broker and creates a topic, the Java client sends to it, and everything is cleaned up.
//! Fails (never skips) when Java or the cache from scripts/fetch-java.sh is missing.

use std::collections::HashSet;

use interop::{JavaCluster, JavaVersion};

async fn smoke(version: JavaVersion) -> anyhow::Result<()> {
    let cluster = JavaCluster::start(version).await?;
    let dir = cluster.dir().to_path_buf();
    let (namesrv_pid, broker_pid) = cluster.pids();
    assert!(namesrv_pid.is_some() && broker_pid.is_some());

    let clusters = cluster.admin(&["clusterList"]).await?;
    assert!(
        clusters.contains(cluster.broker_name()) && clusters.contains(cluster.cluster_name()),
        "clusterList does not show the broker:\n{clusters}"
    );

    let topic = format!("InteropSmoke{}", std::process::id());
    cluster.create_topic(&topic, 4).await?;
    let route = cluster.wait_for_route(&topic).await?;
    assert!(route.contains(cluster.broker_name()), "{route}");

    let sent = cluster
        .java_produce(&topic, 3, "TagA", "k1 k2", Some(("colour", "blue")))
        .await?;
    assert_eq!(sent.len(), 3);
    let ids: HashSet<&str> = sent.iter().map(|r| r.msg_id.as_str()).collect();
    assert_eq!(ids.len(), 3, "message ids must be distinct: {sent:?}");
    for r in &sent {
        assert_eq!(r.status, "SEND_OK", "{r:?}");
        assert_eq!(r.broker_name, cluster.broker_name());
        assert!((0..4).contains(&r.queue_id), "{r:?}");
        assert!(r.queue_offset >= 0, "{r:?}");
        assert!(
            r.offset_msg_id.as_deref().is_some_and(|id| id.len() == 32),
            "{r:?}"
        );
    }

    cluster.stop().await?;
    assert!(!dir.exists(), "scratch dir {} left behind", dir.display());
    for pid in [namesrv_pid, broker_pid].into_iter().flatten() {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "process {pid} still running"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_4_9_8_cluster_smoke() -> anyhow::Result<()> {
    smoke(JavaVersion::V4_9_8).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_5_cluster_smoke() -> anyhow::Result<()> {
    smoke(JavaVersion::V5).await
}

/// Dropping a cluster without `stop` (as on a panic) still kills both JVMs and removes the
/// scratch directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_kills_java_processes() -> anyhow::Result<()> {
    let cluster = JavaCluster::start(JavaVersion::V4_9_8).await?;
    let dir = cluster.dir().to_path_buf();
    let (namesrv_pid, broker_pid) = cluster.pids();
    drop(cluster);
    assert!(!dir.exists(), "scratch dir {} left behind", dir.display());
    for pid in [namesrv_pid, broker_pid] {
        let pid = pid.ok_or_else(|| anyhow::anyhow!("no pid"))?;
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "process {pid} still running"
        );
    }
    Ok(())
}
