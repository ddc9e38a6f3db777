//! A real Java name server + single-master broker on loopback, for one test.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::acl::JavaAcl;
use crate::java::{JavaVersion, run_to_end};
use crate::ports::{ScratchDir, free_broker_port, free_port};
use crate::process::JavaProcess;

/// How long a Java name server or broker may take to say "boot success" (a few seconds on an
/// idle machine; much longer when the two cores are saturated by parallel tests).
const BOOT_LIMIT: Duration = Duration::from_secs(180);
const TOOL_LIMIT: Duration = Duration::from_secs(90);
const CLUSTER_NAME: &str = "InteropCluster";
const BROKER_NAME: &str = "broker-a";

/// One message sent by the Java client (`JavaProducer`), as its `SendResult` reported it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JavaSendRecord {
    /// `SendStatus` name, e.g. `SEND_OK`.
    pub status: String,
    /// The client-side unique id (`UNIQ_KEY`).
    pub msg_id: String,
    /// The broker's offset message id (store host + commit log offset).
    pub offset_msg_id: Option<String>,
    /// The broker that stored the message.
    pub broker_name: String,
    /// The queue it went to.
    pub queue_id: i32,
    /// Its offset in that queue.
    pub queue_offset: i64,
    /// The body text that was sent.
    pub body: String,
}

/// A running Java name server and broker (single master), stopped and cleaned up on
/// [`JavaCluster::stop`] or drop (processes killed by PID, scratch directory removed).
#[derive(Debug)]
pub struct JavaCluster {
    version: JavaVersion,
    label: String,
    namesrv_port: u16,
    broker_port: u16,
    // Field order matters for drop: processes first, then their directory.
    broker: JavaProcess,
    namesrv: JavaProcess,
    dir: ScratchDir,
}

impl JavaCluster {
    /// Starts a name server and a broker of `version` on free loopback ports and waits until
    /// both report "boot success".
    pub async fn start(version: JavaVersion) -> anyhow::Result<JavaCluster> {
        Self::start_with(version, &[]).await
    }

    /// Like [`JavaCluster::start`], with extra `key=value` lines for the broker config
    /// (they override the defaults written here).
    pub async fn start_with(
        version: JavaVersion,
        broker_conf: &[(&str, &str)],
    ) -> anyhow::Result<JavaCluster> {
        Self::start_inner(version, broker_conf, None).await
    }

    /// Like [`JavaCluster::start_with`], with the broker enforcing `acl` (see
    /// [`JavaAcl`]): its `plain_acl.yml` is written under the broker's `ROCKETMQ_HOME` and
    /// the release's ACL settings added before `broker_conf`. The name server has no ACL.
    /// [`JavaCluster::admin`] signs with the first admin account (`conf/tools.yml`).
    pub async fn start_with_acl(
        version: JavaVersion,
        broker_conf: &[(&str, &str)],
        acl: &JavaAcl,
    ) -> anyhow::Result<JavaCluster> {
        Self::start_inner(version, broker_conf, Some(acl)).await
    }

    async fn start_inner(
        version: JavaVersion,
        broker_conf: &[(&str, &str)],
        acl: Option<&JavaAcl>,
    ) -> anyhow::Result<JavaCluster> {
        let label = version.label()?;
        version.home()?;
        let dir = ScratchDir::for_java_store(&format!("rocketmq-java-{label}"))?;
        let home = dir.path().join("rocketmq_home");
        write_logback_configs(&home)?;
        let mut extra_conf = Vec::new();
        if let Some(acl) = acl {
            acl.write_files(&home)?;
            extra_conf = acl.broker_conf(version);
        }
        let extra: Vec<(&str, &str)> = extra_conf
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(broker_conf.iter().copied())
            .collect();
        let broker_conf = extra.as_slice();

        let (namesrv, namesrv_port) = spawn_namesrv(version, dir.path(), &home).await?;

        let broker_port = free_broker_port()?;
        let store = dir.path().join("store");
        let mut conf = crate::broker::broker_properties(
            CLUSTER_NAME,
            BROKER_NAME,
            broker_port,
            &format!("127.0.0.1:{namesrv_port}"),
            &store,
        );
        for (k, v) in broker_conf {
            conf.retain(|(key, _)| key != k);
            conf.push(((*k).to_owned(), (*v).to_owned()));
        }
        let mut broker = crate::broker::spawn_broker(version, dir.path(), &home, &conf)?;
        if let Err(e) = broker.wait_for_output("boot success", BOOT_LIMIT).await {
            return Err(e.context(format!("name server output:\n{}", namesrv.log_tail())));
        }
        // "boot success" can come before the first registration reaches the name server
        // (seen with 5.5.0 under load): a started cluster is one whose broker is listed.
        let sdk = rocketmq::remoting::RemotingClient::builder().build();
        crate::sdk_ops::wait_for_broker(&sdk, &format!("127.0.0.1:{namesrv_port}"), BROKER_NAME)
            .await
            .context("the Java broker booted but never registered with the name server")?;
        Ok(JavaCluster {
            version,
            label,
            namesrv_port,
            broker_port,
            broker,
            namesrv,
            dir,
        })
    }

    /// The release this cluster runs.
    pub fn version(&self) -> JavaVersion {
        self.version
    }

    /// The release number, e.g. `"4.9.8"`.
    pub fn version_label(&self) -> &str {
        &self.label
    }

    /// The name server address, `127.0.0.1:<port>`.
    pub fn namesrv_addr(&self) -> String {
        format!("127.0.0.1:{}", self.namesrv_port)
    }

    /// The broker address, `127.0.0.1:<port>`.
    pub fn broker_addr(&self) -> String {
        format!("127.0.0.1:{}", self.broker_port)
    }

    /// The broker's cluster name.
    pub fn cluster_name(&self) -> &str {
        CLUSTER_NAME
    }

    /// The broker's name.
    pub fn broker_name(&self) -> &str {
        BROKER_NAME
    }

    /// The scratch directory (store, logs, configs); removed when the cluster stops.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The PIDs of the name server and broker, while running.
    pub fn pids(&self) -> (Option<u32>, Option<u32>) {
        (self.namesrv.pid(), self.broker.pid())
    }

    /// Runs the Java mqadmin (`MQAdminStartup`) with `args` against this cluster's name
    /// server (`-n` is added unless given) and returns its stdout. Fails on a non-zero exit
    /// and on the "command failed" report mqadmin prints while still exiting 0.
    pub async fn admin(&self, args: &[&str]) -> anyhow::Result<String> {
        run_admin(self.version, self.dir.path(), &self.namesrv_addr(), args).await
    }

    /// Creates `topic` on the broker with `queues` read and write queues (mqadmin updateTopic).
    pub async fn create_topic(&self, topic: &str, queues: u32) -> anyhow::Result<()> {
        let q = queues.to_string();
        self.admin(&[
            "updateTopic",
            "-b",
            &self.broker_addr(),
            "-t",
            topic,
            "-r",
            &q,
            "-w",
            &q,
        ])
        .await?;
        Ok(())
    }

    /// Waits until the name server returns a route for `topic` that names this broker
    /// (polls mqadmin topicRoute; each call starts a JVM, so this takes seconds).
    pub async fn wait_for_route(&self, topic: &str) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(45);
        loop {
            let attempt = self.admin(&["topicRoute", "-t", topic]).await;
            match attempt {
                Ok(out) if out.contains(BROKER_NAME) => return Ok(out),
                Ok(_) | Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Ok(out) => bail!("no route for {topic} naming {BROKER_NAME} in time; last:\n{out}"),
                Err(e) => return Err(e.context(format!("no route for {topic} in time"))),
            }
        }
    }

    /// Sends `count` messages to `topic` with the real Java client (`JavaProducer`): tags,
    /// keys, and an optional user property. Returns what the client reported per message.
    pub async fn java_produce(
        &self,
        topic: &str,
        count: usize,
        tags: &str,
        keys: &str,
        property: Option<(&str, &str)>,
    ) -> anyhow::Result<Vec<JavaSendRecord>> {
        run_producer(
            self.version,
            self.dir.path(),
            &self.namesrv_addr(),
            (topic, count, tags, keys, property),
        )
        .await
    }

    /// The real Java client of this release against this cluster's name server, with a
    /// scratch directory of its own.
    pub fn client(&self) -> anyhow::Result<crate::JavaClient> {
        crate::JavaClient::new(self.version, &self.namesrv_addr())
    }

    /// Runs any class of this release (or our programs) to completion, with this cluster's
    /// `user.home` and `ROCKETMQ_HOME`, and returns its stdout.
    pub async fn run_java(&self, main_class: &str, args: &[&str]) -> anyhow::Result<String> {
        let mut cmd = self
            .version
            .java_command(main_class, &["-Xmx512m"], self.dir.path())?;
        cmd.args(args)
            .env("ROCKETMQ_HOME", self.dir.path().join("rocketmq_home"));
        run_to_end(cmd, main_class, TOOL_LIMIT).await
    }

    /// Stops the broker, then the name server (killed by PID and waited for), and removes
    /// the scratch directory.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.broker.stop().await?;
        self.namesrv.stop().await?;
        Ok(())
    }
}

/// Starts a Java name server of `version` on a free port with `dir` as `user.home` and
/// `home` as `ROCKETMQ_HOME` (output in `dir/namesrv.out`), and waits for "boot success".
pub(crate) async fn spawn_namesrv(
    version: JavaVersion,
    dir: &Path,
    home: &Path,
) -> anyhow::Result<(JavaProcess, u16)> {
    let port = free_port()?;
    let conf = dir.join("namesrv.properties");
    std::fs::write(&conf, format!("listenPort={port}\n"))?;
    let mut cmd = version.java_command(
        "org.apache.rocketmq.namesrv.NamesrvStartup",
        &["-Xmx256m"],
        dir,
    )?;
    cmd.arg("-c").arg(&conf).env("ROCKETMQ_HOME", home);
    let mut namesrv = JavaProcess::spawn("name server", cmd, &dir.join("namesrv.out"))?;
    namesrv.wait_for_output("boot success", BOOT_LIMIT).await?;
    Ok((namesrv, port))
}

/// Runs the Java mqadmin of `version` against `namesrv` (added as `-n` unless given), with
/// `dir` as `user.home` and `dir/rocketmq_home` as `ROCKETMQ_HOME`; returns its stdout.
pub(crate) async fn run_admin(
    version: JavaVersion,
    dir: &Path,
    namesrv: &str,
    args: &[&str],
) -> anyhow::Result<String> {
    let mut cmd = version.java_command(
        "org.apache.rocketmq.tools.command.MQAdminStartup",
        &["-Xmx256m"],
        dir,
    )?;
    cmd.args(args)
        .env("ROCKETMQ_HOME", dir.join("rocketmq_home"));
    if !args.contains(&"-n") {
        cmd.arg("-n").arg(namesrv);
    }
    let what = format!("mqadmin {}", args.join(" "));
    let out = run_to_end(cmd, &what, TOOL_LIMIT).await?;
    if out.contains("command failed") || out.contains("SubCommandException") {
        bail!("{what} failed:\n{out}");
    }
    Ok(out)
}

/// What `JavaProducer` sends: topic, count, tags, keys and an optional user property.
pub(crate) type ProduceArgs<'a> = (&'a str, usize, &'a str, &'a str, Option<(&'a str, &'a str)>);

/// Runs our `JavaProducer` of `version`, resolving routes from `namesrv`.
pub(crate) async fn run_producer(
    version: JavaVersion,
    dir: &Path,
    namesrv: &str,
    (topic, count, tags, keys, property): ProduceArgs<'_>,
) -> anyhow::Result<Vec<JavaSendRecord>> {
    let mut cmd = version.java_command("rocketmqrs.tools.JavaProducer", &["-Xmx256m"], dir)?;
    let prop = property.map_or(String::new(), |(k, v)| format!("{k}={v}"));
    cmd.arg(namesrv)
        .arg(topic)
        .arg(count.to_string())
        .arg(tags)
        .arg(keys)
        .arg(prop);
    let out = run_to_end(cmd, "JavaProducer", TOOL_LIMIT).await?;
    let records: Vec<JavaSendRecord> = out
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot parse JavaProducer output:\n{out}"))?;
    if records.len() != count {
        bail!(
            "JavaProducer reported {} sends, expected {count}:\n{out}",
            records.len()
        );
    }
    Ok(records)
}

/// Writes small logback configs of our own: 4.9.8 loads these from `$ROCKETMQ_HOME/conf`
/// (5.x ships its own inside the jars and writes under `user.home`).
pub(crate) fn write_logback_configs(home: &Path) -> anyhow::Result<()> {
    let conf = home.join("conf");
    std::fs::create_dir_all(&conf)?;
    for name in ["namesrv", "broker", "tools"] {
        let log: PathBuf = home.join("logs").join(format!("{name}.log"));
        let xml = format!(
            "<configuration>\n  <appender name=\"FILE\" class=\"ch.qos.logback.core.FileAppender\">\n    \
             <file>{}</file>\n    <encoder><pattern>%d{{HH:mm:ss.SSS}} %-5p [%t] %c{{0}} - %m%n</pattern></encoder>\n  \
             </appender>\n  <root level=\"INFO\"><appender-ref ref=\"FILE\"/></root>\n</configuration>\n",
            log.display()
        );
        std::fs::write(conf.join(format!("logback_{name}.xml")), xml)
            .with_context(|| format!("cannot write logback config in {}", conf.display()))?;
    }
    Ok(())
}
