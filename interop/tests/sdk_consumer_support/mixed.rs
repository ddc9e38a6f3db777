//! Groups shared by an SDK push consumer and a Java push consumer: the queues split
//! between them as the allocation strategy says, each message consumed once.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, ensure};
use interop::{
    ConsumeSpec, ConsumerEvent, Delivery, JavaVersion, ProduceSpec, RunningConsumer, SendMode,
};
use rocketmq::consumer::{
    AllocateStrategy, AveragelyByCircle, ConsistentHash, PushConsumer, PushConsumerBuilder,
};
use rocketmq::protocol::MessageQueue;

use super::{
    Env, Got, Record, Recorder, Target, bodies, each_sent_once, exactly_once, push, recording,
    unique,
};

/// What a Java consumer reported so far.
trait JavaSide {
    fn events(&self) -> Vec<ConsumerEvent>;

    fn deliveries(&self) -> Vec<Delivery> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                ConsumerEvent::Msg(d) => Some(*d),
                _ => None,
            })
            .collect()
    }

    /// The last allocation it reported for `topic`: the group's client ids and its queues.
    fn allocation(&self, topic: &str) -> Option<(Vec<String>, Vec<String>)> {
        self.events().into_iter().rev().find_map(|e| match e {
            ConsumerEvent::Allocate(a) if a.topic.as_deref() == Some(topic) => {
                Some((a.cids, a.mine))
            }
            _ => None,
        })
    }
}

impl JavaSide for RunningConsumer {
    fn events(&self) -> Vec<ConsumerEvent> {
        RunningConsumer::events(self)
    }

    fn deliveries(&self) -> Vec<Delivery> {
        RunningConsumer::deliveries(self)
    }
}

/// How the queues of an eight-queue topic are split between the SDK member and the Java
/// member (`broker:queueId` each), and the client ids Java saw in the group.
struct Split {
    mine: BTreeSet<String>,
    theirs: BTreeSet<String>,
    cids: Vec<String>,
}

/// Waits until the SDK member and the Java member hold disjoint queues covering all eight.
async fn wait_java_split(
    env: &Env,
    sdk: &PushConsumer,
    java: &impl JavaSide,
    topic: &str,
) -> anyhow::Result<Split> {
    let deadline = std::time::Instant::now() + env.limit;
    loop {
        let mine: BTreeSet<String> = sdk
            .assigned_queues()
            .into_iter()
            .filter(|q| q.topic == topic)
            .map(|q| format!("{}:{}", q.broker_name, q.queue_id))
            .collect();
        if let Some((cids, theirs)) = java.allocation(topic)
            && cids.len() == 2
        {
            let theirs: BTreeSet<String> = theirs.into_iter().collect();
            if mine.len() + theirs.len() == 8 && mine.union(&theirs).count() == 8 {
                return Ok(Split { mine, theirs, cids });
            }
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "no clean split: sdk {mine:?}, java {:?}",
            java.allocation(topic)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Waits until the two members consumed `n` messages between them; every delivery (Java's
/// in the SDK's shape) after checking each member consumed only its own queues.
async fn both_consumed(
    env: &Env,
    record: &Record,
    java: &impl JavaSide,
    split: &Split,
    n: usize,
) -> anyhow::Result<Vec<Got>> {
    let deadline = std::time::Instant::now() + env.limit;
    loop {
        let got = record.len() + java.deliveries().len();
        if got >= n {
            break;
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "{got} of {n} delivered"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut all: Vec<Got> = record.all();
    for g in &all {
        let queue = g.queue_label();
        ensure!(
            split.mine.contains(&queue),
            "SDK consumed {queue}, not its queue"
        );
    }
    for d in java.deliveries() {
        let queue = format!("{}:{}", d.mq_broker, d.mq_queue_id);
        ensure!(
            split.theirs.contains(&queue),
            "Java consumed {queue}, not its queue"
        );
        all.push(Got::of_java(&d));
    }
    Ok(all)
}

/// An SDK and a Java push consumer in one group split the queues (Java's averagely
/// strategy on both sides) with no overlap and none left out; every message is consumed
/// once; when the SDK member leaves, the Java member takes everything without loss.
pub(crate) async fn mixed_group(t: &Target) -> anyhow::Result<()> {
    let (env, java) = (&t.env, t.java_client()?);
    let topic = env.topic("h7_mixed", 8).await?;
    let group = unique("h7_mixed_cg");
    let mut spec = ConsumeSpec::new(&topic, &group);
    spec.timeout = Duration::from_secs(240);
    let jc = java.consume(&spec)?;
    jc.wait_ready(env.limit).await?;
    let (sdk, record) = recording(push(env, &group, &topic), "sdk").await?;
    let split = wait_java_split(env, &sdk, &jc, &topic).await?;
    ensure!(split.mine.len() == 4 && split.theirs.len() == 4);
    let sent = java
        .produce(&ProduceSpec::new(&topic, SendMode::Sync, 64))
        .await?;
    let ids: BTreeSet<String> = sent.iter().map(|s| s.msg_id.clone()).collect();
    let all = both_consumed(env, &record, &jc, &split, sent.len()).await?;
    each_sent_once(&sent, &all)?;
    // The SDK member leaves: Java gets all eight queues and what follows.
    sdk.close().await;
    let deadline = std::time::Instant::now() + env.limit;
    while !matches!(jc.allocation(&topic), Some((ref c, ref m)) if c.len() == 1 && m.len() == 8) {
        ensure!(
            std::time::Instant::now() < deadline,
            "Java never took all queues"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let before = jc.deliveries().len();
    let more = java
        .produce(&ProduceSpec::new(&topic, SendMode::Sync, 16))
        .await?;
    jc.wait_deliveries(before + more.len(), env.limit).await?;
    let run = jc.stop().await?;
    let late: BTreeSet<String> = run.deliveries[before..]
        .iter()
        .map(|d| d.message.msg_id.clone())
        .collect();
    ensure!(
        more.iter().all(|s| late.contains(&s.msg_id)),
        "messages lost after the SDK member left"
    );
    ensure!(ids.len() == 64);
    Ok(())
}

/// A Java member and an SDK member of one group using the same strategy
/// (`AVG_BY_CIRCLE` or `CONSISTENT_HASH`) split the queues exactly as the strategy says
/// (no overlap, none left out) and consume each message once.
pub(crate) async fn strategy_shared(t: &Target, strategy: &str) -> anyhow::Result<()> {
    let env = &t.env;
    let topic = env.topic("h7_strategy", 8).await?;
    let group = unique("h7_strategy_cg");
    let java = JavaMember::start(
        t.java_client()?.version(),
        &env.namesrv,
        &topic,
        &group,
        strategy,
    )?;
    let record = Record::new();
    let ours = || -> PushConsumerBuilder {
        push(env, &group, &topic).listener(Recorder::new("sdk", &record))
    };
    let sdk = match strategy {
        "AVG_BY_CIRCLE" => ours().allocate_strategy(AveragelyByCircle).build().await?,
        _ => {
            ours()
                .allocate_strategy(ConsistentHash::default())
                .build()
                .await?
        }
    };
    let split = wait_java_split(env, &sdk, &java, &topic).await?;
    // The split is the strategy's, computed here from the same member list.
    let mut all: Vec<MessageQueue> = (0..8)
        .map(|i| MessageQueue {
            topic: topic.clone(),
            broker_name: env.broker_name.clone(),
            queue_id: i,
        })
        .collect();
    all.sort();
    let mut ids = split.cids.clone();
    ids.sort();
    let expected: BTreeSet<String> = match strategy {
        "AVG_BY_CIRCLE" => AveragelyByCircle.allocate(&group, sdk.client().client_id(), &all, &ids),
        _ => ConsistentHash::default().allocate(&group, sdk.client().client_id(), &all, &ids),
    }
    .into_iter()
    .map(|q| format!("{}:{}", q.broker_name, q.queue_id))
    .collect();
    ensure!(
        split.mine == expected,
        "sdk holds {:?}, the strategy says {expected:?}",
        split.mine
    );
    let sent = env.produce(&topic, 32, "T").await?;
    let got = both_consumed(env, &record, &java, &split, sent.len()).await?;
    exactly_once(&got, &bodies(0..32))?;
    sdk.close().await;
    java.stop().await;
    Ok(())
}

/// A Java push consumer with a chosen strategy (`ConsumerStrategyMember`), its output
/// lines collected while it runs.
struct JavaMember {
    child: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
    events: Arc<Mutex<Vec<ConsumerEvent>>>,
    home: std::path::PathBuf,
}

impl JavaSide for JavaMember {
    fn events(&self) -> Vec<ConsumerEvent> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl JavaMember {
    fn start(
        version: JavaVersion,
        namesrv: &str,
        topic: &str,
        group: &str,
        strategy: &str,
    ) -> anyhow::Result<JavaMember> {
        use tokio::io::AsyncBufReadExt;
        let home = std::env::temp_dir().join(unique("h7-java-member"));
        std::fs::create_dir_all(home.join("rocketmq_home").join("conf"))?;
        let mut cmd = version.java_command(
            "rocketmqrs.tools.ConsumerStrategyMember",
            &["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"],
            &home,
        )?;
        cmd.args([
            "--namesrv",
            namesrv,
            "--topic",
            topic,
            "--group",
            group,
            "--strategy",
            strategy,
            "--instance",
            "java-member",
        ])
        .env("ROCKETMQ_HOME", home.join("rocketmq_home"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
        let mut child = cmd.spawn().context("starting ConsumerStrategyMember")?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().context("stdout")?;
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(ev) = serde_json::from_str::<ConsumerEvent>(&line) {
                    sink.lock().unwrap_or_else(PoisonError::into_inner).push(ev);
                }
            }
        });
        Ok(JavaMember {
            child,
            stdin,
            events,
            home,
        })
    }

    async fn stop(mut self) {
        use tokio::io::AsyncWriteExt;
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"stop\n").await;
            let _ = stdin.shutdown().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
        let _ = std::fs::remove_dir_all(&self.home);
    }
}
