//! A real Java broker alone, registering with a name server the test provides (for
//! example broker-lite's), so the name server under test is not Java's.

use std::path::Path;
use std::time::Duration;

use crate::cluster::{JavaSendRecord, run_admin, run_producer, write_logback_configs};
use crate::java::JavaVersion;
use crate::ports::{ScratchDir, free_broker_port};
use crate::process::JavaProcess;

/// How long a Java name server or broker may take to say "boot success" (a few seconds on an
/// idle machine; much longer when the two cores are saturated by parallel tests).
const BOOT_LIMIT: Duration = Duration::from_secs(180);

/// The broker settings the harness uses (single master, async flush, loopback), for a
/// broker on `port` registering with `namesrv` and storing under `store`.
pub(crate) fn broker_properties(
    cluster: &str,
    name: &str,
    port: u16,
    namesrv: &str,
    store: &Path,
) -> Vec<(String, String)> {
    [
        ("brokerClusterName", cluster.to_owned()),
        ("brokerName", name.to_owned()),
        ("brokerId", "0".to_owned()),
        ("brokerIP1", "127.0.0.1".to_owned()),
        ("listenPort", port.to_string()),
        ("namesrvAddr", namesrv.to_owned()),
        ("autoCreateTopicEnable", "true".to_owned()),
        ("brokerRole", "ASYNC_MASTER".to_owned()),
        ("flushDiskType", "ASYNC_FLUSH".to_owned()),
        ("storePathRootDir", store.display().to_string()),
        (
            "storePathCommitLog",
            store.join("commitlog").display().to_string(),
        ),
        ("diskMaxUsedSpaceRatio", "95".to_owned()),
        // Tests run on a loaded 2-core machine, where a send can sit in the broker's queue,
        // or the commit-log lock be held, longer than Java's defaults (200 ms, 1 s) allow
        // before the broker sheds it with SYSTEM_BUSY, which the Java client does not
        // retry (a CI run failed so). 3 s is the clients' own send timeout.
        ("waitTimeMillsInSendQueue", "3000".to_owned()),
        ("osPageCacheBusyTimeOutMills", "3000".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Writes `conf` to `<dir>/broker.conf` and starts a Java broker with it (output in
/// `<dir>/broker.out`); the caller waits for "boot success".
pub(crate) fn spawn_broker(
    version: JavaVersion,
    dir: &Path,
    home: &Path,
    conf: &[(String, String)],
) -> anyhow::Result<JavaProcess> {
    let text: String = conf.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    let file = dir.join("broker.conf");
    std::fs::write(&file, text)?;
    let mut cmd = version.java_command(
        "org.apache.rocketmq.broker.BrokerStartup",
        &["-Xms512m", "-Xmx512m", "-XX:MaxDirectMemorySize=512m"],
        dir,
    )?;
    cmd.arg("-c").arg(&file).env("ROCKETMQ_HOME", home);
    JavaProcess::spawn("broker", cmd, &dir.join("broker.out"))
}

/// A running Java broker (single master) registered with a given name server; killed by
/// PID and its scratch directory removed on [`JavaBroker::stop`] or drop.
#[derive(Debug)]
pub struct JavaBroker {
    version: JavaVersion,
    namesrv_addr: String,
    port: u16,
    cluster: String,
    name: String,
    // Field order matters for drop: the process first, then its directory.
    broker: JavaProcess,
    dir: ScratchDir,
}

impl JavaBroker {
    /// Starts a broker of `version` on a free loopback port, registering with the name
    /// server at `namesrv_addr` as `cluster`/`name`, and waits for "boot success".
    pub async fn start(
        version: JavaVersion,
        namesrv_addr: &str,
        cluster: &str,
        name: &str,
    ) -> anyhow::Result<JavaBroker> {
        let label = version.label()?;
        version.home()?;
        let dir = ScratchDir::for_java_store(&format!("rocketmq-java-broker-{label}"))?;
        let home = dir.path().join("rocketmq_home");
        write_logback_configs(&home)?;
        let port = free_broker_port()?;
        let conf = broker_properties(cluster, name, port, namesrv_addr, &dir.path().join("store"));
        let mut broker = spawn_broker(version, dir.path(), &home, &conf)?;
        broker.wait_for_output("boot success", BOOT_LIMIT).await?;
        Ok(JavaBroker {
            version,
            namesrv_addr: namesrv_addr.to_owned(),
            port,
            cluster: cluster.to_owned(),
            name: name.to_owned(),
            broker,
            dir,
        })
    }

    /// The broker address, `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The cluster name it registers.
    pub fn cluster_name(&self) -> &str {
        &self.cluster
    }

    /// The broker name it registers.
    pub fn broker_name(&self) -> &str {
        &self.name
    }

    /// The broker's PID while running.
    pub fn pid(&self) -> Option<u32> {
        self.broker.pid()
    }

    /// Runs the Java mqadmin against the given name server (see [`crate::JavaCluster::admin`]).
    pub async fn admin(&self, args: &[&str]) -> anyhow::Result<String> {
        run_admin(self.version, self.dir.path(), &self.namesrv_addr, args).await
    }

    /// Creates `topic` on this broker with `queues` read and write queues (mqadmin updateTopic).
    pub async fn create_topic(&self, topic: &str, queues: u32) -> anyhow::Result<()> {
        let q = queues.to_string();
        let addr = self.addr();
        self.admin(&["updateTopic", "-b", &addr, "-t", topic, "-r", &q, "-w", &q])
            .await?;
        Ok(())
    }

    /// Sends messages with the real Java client, which resolves routes from the name server
    /// this broker registered with (see [`crate::JavaCluster::java_produce`]).
    pub async fn java_produce(
        &self,
        topic: &str,
        count: usize,
        tags: &str,
        keys: &str,
    ) -> anyhow::Result<Vec<JavaSendRecord>> {
        run_producer(
            self.version,
            self.dir.path(),
            &self.namesrv_addr,
            (topic, count, tags, keys, None),
        )
        .await
    }

    /// Kills the broker by PID, waits for it, and removes the scratch directory.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.broker.stop().await
    }
}
