//! The SDK push consumer with a Java master/slave pair (same broker name, ids 0 and 1,
//! `slaveReadEnable=true`, the group told to read from broker 1 with `mqadmin
//! updateSubGroup -i 1`): the master suggests the slave and the SDK follows; with the
//! master killed, the SDK keeps consuming from the slave what it had replicated, as the
//! Java client does. Against Java 4.9.8 and the newest 5.x in the cache.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod sdk_consumer_support;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use interop::{JavaCluster, JavaVersion, ScratchDir};
use rocketmq::protocol::header::{GetMaxOffsetRequestHeader, RpcFields};
use rocketmq::protocol::request::{GetMaxOffset, GetRouteInfo};
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use sdk_consumer_support::{
    Env, Record, Recorder, Target, bodies, exactly_once, push_plain, send_bodies, unique,
};

const LIMIT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_reads_with_java_4_9_8() -> anyhow::Result<()> {
    run(JavaVersion::V4_9_8).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_reads_with_java_5() -> anyhow::Result<()> {
    run(JavaVersion::V5).await
}

/// A port whose neighbours (port - 2, the VIP channel; port + 1, HA) are free too.
fn free_broker_port() -> anyhow::Result<u16> {
    for _ in 0..50 {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = probe.local_addr()?.port();
        drop(probe);
        if port < 1026 {
            continue;
        }
        let free = [port - 2, port, port + 1]
            .iter()
            .all(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok());
        if free {
            return Ok(port);
        }
    }
    bail!("no free broker port")
}

/// A Java slave broker process (killed on drop), its scratch directory removed.
struct Slave {
    child: tokio::process::Child,
    port: u16,
    // Dropped after `child`: the process is killed first, then its directory removed.
    _dir: ScratchDir,
}

impl Drop for Slave {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn logback(home: &Path) -> anyhow::Result<()> {
    let conf = home.join("conf");
    std::fs::create_dir_all(&conf)?;
    let xml = format!(
        "<configuration><appender name=\"F\" class=\"ch.qos.logback.core.FileAppender\"><file>{}</file>\
         <encoder><pattern>%d %-5p %c{{0}} - %m%n</pattern></encoder></appender>\
         <root level=\"INFO\"><appender-ref ref=\"F\"/></root></configuration>\n",
        home.join("broker.log").display()
    );
    std::fs::write(conf.join("logback_broker.xml"), xml)?;
    Ok(())
}

async fn start_slave(version: JavaVersion, cluster: &JavaCluster) -> anyhow::Result<Slave> {
    let scratch = ScratchDir::for_java_store("h7-java-slave")?;
    let dir = scratch.path().to_path_buf();
    let home = dir.join("rocketmq_home");
    logback(&home)?;
    let port = free_broker_port()?;
    let store = dir.join("store");
    let conf = [
        ("brokerClusterName", cluster.cluster_name().to_owned()),
        ("brokerName", cluster.broker_name().to_owned()),
        ("brokerId", "1".to_owned()),
        ("brokerRole", "SLAVE".to_owned()),
        ("brokerIP1", "127.0.0.1".to_owned()),
        ("listenPort", port.to_string()),
        ("namesrvAddr", cluster.namesrv_addr()),
        ("flushDiskType", "ASYNC_FLUSH".to_owned()),
        ("slaveReadEnable", "true".to_owned()),
        ("storePathRootDir", store.display().to_string()),
        (
            "storePathCommitLog",
            store.join("commitlog").display().to_string(),
        ),
        ("diskMaxUsedSpaceRatio", "95".to_owned()),
    ];
    let text: String = conf.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    let file = dir.join("broker.conf");
    std::fs::write(&file, text)?;
    let out = dir.join("broker.out");
    let mut cmd = version.java_command(
        "org.apache.rocketmq.broker.BrokerStartup",
        &["-Xms512m", "-Xmx512m", "-XX:MaxDirectMemorySize=512m"],
        &dir,
    )?;
    cmd.arg("-c")
        .arg(&file)
        .env("ROCKETMQ_HOME", &home)
        .stdout(std::fs::File::create(&out)?)
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let child = cmd.spawn().context("starting the slave")?;
    let slave = Slave {
        child,
        port,
        _dir: scratch,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.contains("boot success") {
            return Ok(slave);
        }
        ensure!(Instant::now() < deadline, "slave did not boot:\n{text}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Waits until `check` holds for the route of `topic`.
async fn wait_route(
    env: &Env,
    topic: &str,
    what: &str,
    check: impl Fn(&rocketmq::protocol::body::TopicRoute) -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Ok(route) = env
            .remoting
            .call(&env.namesrv, &GetRouteInfo::new(topic))
            .await
            && check(&route)
        {
            return Ok(());
        }
        ensure!(Instant::now() < deadline, "route of {topic}: no {what}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits until the slave holds as many messages of queue `id` as the master.
async fn wait_replicated(env: &Env, slave: &str, topic: &str, queues: i32) -> anyhow::Result<()> {
    let deadline = Instant::now() + LIMIT;
    let max = |addr: String, id: i32| {
        let request = GetMaxOffset(GetMaxOffsetRequestHeader {
            topic: topic.to_owned(),
            queue_id: id,
            committed: true,
            rpc: RpcFields::default(),
        });
        let client = &env.remoting;
        async move { client.call(&addr, &request).await.map(|h| h.offset) }
    };
    loop {
        let mut same = true;
        for id in 0..queues {
            let m = max(env.broker.clone(), id).await?;
            let s = max(slave.to_owned(), id).await.unwrap_or(-1);
            same &= m == s;
        }
        if same {
            return Ok(());
        }
        ensure!(Instant::now() < deadline, "slave never caught up");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Whether the broker at `addr` handed messages of `topic` to `group` (its
/// VIEW_BROKER_STATS_DATA for `GROUP_GET_NUMS` exists only once it did).
async fn served_by(env: &Env, addr: &str, topic: &str, group: &str) -> anyhow::Result<()> {
    let request = RemotingCommand::request(RequestCode::VIEW_BROKER_STATS_DATA)
        .with_ext_field("statsName", "GROUP_GET_NUMS")
        .with_ext_field("statsKey", format!("{topic}@{group}"));
    let reply = env
        .remoting
        .invoke(addr, request, Duration::from_secs(5))
        .await?;
    ensure!(
        reply.response_code() == ResponseCode::SUCCESS,
        "stats of {topic}@{group} on {addr}: {:?} {:?}",
        reply.response_code(),
        reply.remark
    );
    Ok(())
}

async fn run(version: JavaVersion) -> anyhow::Result<()> {
    let target = Target::start_java(version, &[("slaveReadEnable", "true")]).await?;
    let env = &target.env;
    let result = async {
        let cluster = target.cluster().context("a Java cluster")?;
        let slave = start_slave(version, cluster).await?;
        let slave_addr = format!("127.0.0.1:{}", slave.port);
        let topic = unique("h7_ha");
        let group = unique("h7_ha_cg");
        cluster
            .admin(&[
                "updateTopic",
                "-c",
                cluster.cluster_name(),
                "-t",
                &topic,
                "-r",
                "2",
                "-w",
                "2",
            ])
            .await?;
        cluster
            .admin(&[
                "updateSubGroup",
                "-c",
                cluster.cluster_name(),
                "-g",
                &group,
                "-i",
                "1",
                "-w",
                "1",
            ])
            .await?;
        let name = cluster.broker_name().to_owned();
        wait_route(env, &topic, "slave", |r| {
            r.brokers
                .iter()
                .any(|b| b.broker_name == name && b.broker_addrs.len() == 2)
        })
        .await?;
        env.produce(&topic, 20, "T").await?;
        wait_replicated(env, &slave_addr, &topic, 2).await?;
        let record = Record::new();
        let consumer = push_plain(env, &group, &topic)
            .route_refresh_interval(Duration::from_secs(1))
            .rebalance_interval(Duration::from_secs(2))
            .listener(Recorder::new("c", &record))
            .build()
            .await?;
        record.wait_count(20, LIMIT).await?;
        // The first pull went to the master, which suggested broker 1: what comes next is
        // pulled from the slave, which counts the group's found messages (Java
        // `BrokerStatsManager` GROUP_GET_NUMS).
        let producer = env.producer().await?;
        send_bodies(&producer, &topic, 20..30).await?;
        record.wait_count(30, LIMIT).await?;
        served_by(env, &slave_addr, &topic, &group)
            .await
            .context("the slave served no pull of the group while the master was up")?;
        consumer.pause();
        send_bodies(&producer, &topic, 30..40).await?;
        producer.close().await;
        wait_replicated(env, &slave_addr, &topic, 2).await?;
        // Kill the master; the name server drops it from the route.
        let (_, master_pid) = cluster.pids();
        let pid = master_pid.context("master pid")?;
        std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()?;
        wait_route(env, &topic, "route without the master", |r| {
            r.brokers
                .iter()
                .all(|b| !b.broker_addrs.values().any(|a| a == &env.broker))
        })
        .await?;
        consumer.resume();
        record
            .wait_count(40, LIMIT)
            .await
            .context("consuming from the slave with the master down")?;
        exactly_once(&record.all(), &bodies(0..40))?;
        consumer.close().await;
        drop(slave);
        anyhow::Ok(())
    }
    .await
    .with_context(|| format!("against Java RocketMQ {}", env.label));
    let _ = target.stop().await;
    result
}
