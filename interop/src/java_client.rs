//! The real Java client of one release, driven through our programs in
//! `interop/java/tools` (`Produce`, `PushConsume`, `QueryMsg`) against any name server:
//! the Java one of a [`crate::JavaCluster`] or broker-lite's.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;

use crate::cluster::write_logback_configs;
use crate::java::{JavaVersion, tail};
use crate::java_records::{ConsumerEvent, Delivery, ReceivedMessage, SentMessage};
use crate::ports::ScratchDir;

/// JVM options of the client programs: small heap, quick start on two cores.
const CLIENT_JVM: &[&str] = &["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"];
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// How `Produce` sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendMode {
    /// `send(msg)`.
    Sync,
    /// `send(msg, callback)`, all in flight at once.
    Async,
    /// `sendOneway(msg)`.
    Oneway,
    /// `send(Collection<Message>)` in batches of [`ProduceSpec::batch_size`].
    Batch,
    /// `send(msg, MessageQueueSelector, orderKey)`: the same order key always picks the
    /// same queue ([`ProduceSpec::order_keys`] keys, message i gets key i mod that).
    Orderly,
}

impl SendMode {
    fn arg(self) -> &'static str {
        match self {
            SendMode::Sync => "sync",
            SendMode::Async => "async",
            SendMode::Oneway => "oneway",
            SendMode::Batch => "batch",
            SendMode::Orderly => "orderly",
        }
    }
}

/// What `Produce` sends. In `tags`, `keys` and property values `{i}` becomes the message
/// index and `{k}` the order key.
#[derive(Clone, Debug)]
pub struct ProduceSpec {
    /// Topic.
    pub topic: String,
    /// Send mode.
    pub mode: SendMode,
    /// Number of messages.
    pub count: usize,
    /// Tags template (empty: none).
    pub tags: String,
    /// Keys template (empty: none).
    pub keys: String,
    /// User properties (templates), besides `idx` which is always set.
    pub props: Vec<(String, String)>,
    /// Body starts with `<prefix>-<i>|`.
    pub body_prefix: String,
    /// Body size in bytes, padded with non-UTF-8 bytes (0: just the prefix).
    pub body_size: usize,
    /// Messages per batch in [`SendMode::Batch`].
    pub batch_size: usize,
    /// Number of order keys in [`SendMode::Orderly`].
    pub order_keys: usize,
    /// Delay level (0: none).
    pub delay_level: i32,
}

impl ProduceSpec {
    /// `count` messages to `topic` with `mode`, tags `TagA`, keys `key-{i}`, a `colour`
    /// property, a short body.
    pub fn new(topic: &str, mode: SendMode, count: usize) -> Self {
        ProduceSpec {
            topic: topic.to_owned(),
            mode,
            count,
            tags: "TagA".to_owned(),
            keys: "key-{i} shared-key".to_owned(),
            props: vec![
                ("colour".to_owned(), "blue".to_owned()),
                ("n".to_owned(), "v{i}".to_owned()),
            ],
            body_prefix: "body".to_owned(),
            body_size: 64,
            batch_size: 4,
            order_keys: 1,
            delay_level: 0,
        }
    }

    fn args(&self, namesrv: &str) -> Vec<String> {
        let mut a = vec![
            "--namesrv".to_owned(),
            namesrv.to_owned(),
            "--topic".to_owned(),
            self.topic.clone(),
            "--mode".to_owned(),
            self.mode.arg().to_owned(),
            "--count".to_owned(),
            self.count.to_string(),
            format!("--tags={}", self.tags),
            format!("--keys={}", self.keys),
            format!("--body-prefix={}", self.body_prefix),
            "--body-size".to_owned(),
            self.body_size.to_string(),
            "--batch-size".to_owned(),
            self.batch_size.to_string(),
            "--order-keys".to_owned(),
            self.order_keys.to_string(),
            "--delay-level".to_owned(),
            self.delay_level.to_string(),
        ];
        for (k, v) in &self.props {
            a.push(format!("--prop={k}={v}"));
        }
        a
    }
}

/// How `PushConsume` consumes.
#[derive(Clone, Debug)]
pub struct ConsumeSpec {
    /// Topic to subscribe.
    pub topic: String,
    /// Consumer group.
    pub group: String,
    /// Tag expression (`*`, `TagA || TagB`).
    pub expr: String,
    /// A SQL92 selector instead of the tag expression (`MessageSelector.bySql`).
    pub sql: Option<String>,
    /// Orderly listener (else concurrent).
    pub orderly: bool,
    /// Broadcasting (else clustering).
    pub broadcast: bool,
    /// Stop after this many deliveries (0: run until [`RunningConsumer::stop`]).
    pub expect: usize,
    /// Give up after this long.
    pub timeout: Duration,
    /// Fail (RECONSUME_LATER / SUSPEND) while reconsumeTimes is below this; `u32::MAX`
    /// fails always.
    pub fail_first: u32,
    /// `setMaxReconsumeTimes` (none: the client default).
    pub max_reconsume: Option<i32>,
    /// `ConsumeConcurrentlyContext.setDelayLevelWhenNextConsume` on failure (0: leave it).
    pub retry_delay_level: i32,
    /// Instance name (none: derived from the process id).
    pub instance: Option<String>,
}

impl ConsumeSpec {
    /// A concurrent clustering consumer of `topic` in `group` for every tag, from the first
    /// offset, that acknowledges everything and runs until stopped (at most 60 s).
    pub fn new(topic: &str, group: &str) -> Self {
        ConsumeSpec {
            topic: topic.to_owned(),
            group: group.to_owned(),
            expr: "*".to_owned(),
            sql: None,
            orderly: false,
            broadcast: false,
            expect: 0,
            timeout: Duration::from_secs(60),
            fail_first: 0,
            max_reconsume: None,
            retry_delay_level: 0,
            instance: None,
        }
    }

    fn args(&self, namesrv: &str) -> Vec<String> {
        let mut a = vec![
            "--namesrv".to_owned(),
            namesrv.to_owned(),
            format!("--topic={}", self.topic),
            format!("--group={}", self.group),
            format!("--expr={}", self.expr),
            "--listener".to_owned(),
            if self.orderly {
                "orderly"
            } else {
                "concurrent"
            }
            .to_owned(),
            "--model".to_owned(),
            if self.broadcast {
                "broadcasting"
            } else {
                "clustering"
            }
            .to_owned(),
            "--expect".to_owned(),
            self.expect.to_string(),
            "--timeout-ms".to_owned(),
            self.timeout.as_millis().to_string(),
            "--stdin".to_owned(),
        ];
        if self.fail_first == u32::MAX {
            a.push("--fail-always".to_owned());
        } else {
            a.extend(["--fail-first".to_owned(), self.fail_first.to_string()]);
        }
        if let Some(m) = self.max_reconsume {
            a.extend(["--max-reconsume".to_owned(), m.to_string()]);
        }
        if self.retry_delay_level != 0 {
            a.extend([
                "--retry-delay-level".to_owned(),
                self.retry_delay_level.to_string(),
            ]);
        }
        if let Some(sql) = &self.sql {
            a.push(format!("--sql={sql}"));
        }
        if let Some(i) = &self.instance {
            a.extend(["--instance".to_owned(), i.clone()]);
        }
        a
    }
}

/// What `QueryMsg` looks up.
#[derive(Clone, Debug)]
pub enum Lookup {
    /// `queryMessage(topic, key, ...)`: QUERY_MESSAGE by key.
    Key(String),
    /// `viewMessage(topic, id)`: VIEW_MESSAGE_BY_ID for an offset message id; a unique id
    /// falls back to the unique-key query.
    Id(String),
    /// `queryMessageByUniqKey`: QUERY_MESSAGE with the unique-key flag.
    Uniq(String),
}

impl Lookup {
    fn rank(&self) -> u8 {
        match self {
            Lookup::Key(_) => 0,
            Lookup::Id(_) => 1,
            Lookup::Uniq(_) => 2,
        }
    }

    fn arg(&self) -> String {
        match self {
            Lookup::Key(v) => format!("--key={v}"),
            Lookup::Id(v) => format!("--id={v}"),
            Lookup::Uniq(v) => format!("--uniq={v}"),
        }
    }

    /// How `QueryMsg` names the lookup in its output.
    fn name(&self) -> String {
        match self {
            Lookup::Key(v) => format!("key:{v}"),
            Lookup::Id(v) => format!("id:{v}"),
            Lookup::Uniq(v) => format!("uniq:{v}"),
        }
    }
}

/// The result of one `QueryMsg` lookup.
#[derive(Clone, Debug)]
pub struct QueryOutcome {
    /// The messages found.
    pub found: Vec<ReceivedMessage>,
    /// The client's last error, if the last attempt failed (e.g. "no message").
    pub error: Option<String>,
}

/// The real Java client of one release, against the name server at `namesrv`, with its
/// own scratch directory as `user.home` (client logs, broadcasting offsets).
#[derive(Debug)]
pub struct JavaClient {
    version: JavaVersion,
    namesrv: String,
    dir: ScratchDir,
}

impl JavaClient {
    /// A client of `version` using the name server at `namesrv` (`ip:port`).
    pub fn new(version: JavaVersion, namesrv: &str) -> anyhow::Result<JavaClient> {
        version.home()?;
        let dir = ScratchDir::new(&format!("rocketmq-java-client-{}", version.label()?))?;
        write_logback_configs(&dir.path().join("rocketmq_home"))?;
        Ok(JavaClient {
            version,
            namesrv: namesrv.to_owned(),
            dir,
        })
    }

    /// The release.
    pub fn version(&self) -> JavaVersion {
        self.version
    }

    /// The name server it uses.
    pub fn namesrv(&self) -> &str {
        &self.namesrv
    }

    pub(crate) fn command(&self, main_class: &str, args: &[String]) -> anyhow::Result<Command> {
        let mut cmd = self
            .version
            .java_command(main_class, CLIENT_JVM, self.dir.path())?;
        cmd.args(args)
            .env("ROCKETMQ_HOME", self.dir.path().join("rocketmq_home"));
        Ok(cmd)
    }

    /// Sends with `Produce`; fails unless every message was reported sent.
    pub async fn produce(&self, spec: &ProduceSpec) -> anyhow::Result<Vec<SentMessage>> {
        let cmd = self.command("rocketmqrs.tools.Produce", &spec.args(&self.namesrv))?;
        let what = format!("Produce {:?} to {}", spec.mode, spec.topic);
        let run = run_collect(cmd, &what, RUN_LIMIT).await?;
        if !run.status.success() {
            bail!("{what} failed ({}):\n{}", run.status, run.describe());
        }
        let mut sent = Vec::new();
        for line in run.json_lines() {
            let v: serde_json::Value = serde_json::from_str(line)
                .with_context(|| format!("{what}: bad output line {line}"))?;
            if v.get("event").and_then(serde_json::Value::as_str) == Some("sent") {
                sent.push(
                    serde_json::from_value::<SentMessage>(v)
                        .with_context(|| format!("{what}: bad sent line {line}"))?,
                );
            }
        }
        sent.sort_by_key(|s| s.index);
        if sent.len() != spec.count {
            bail!(
                "{what}: {} of {} messages reported sent:\n{}",
                sent.len(),
                spec.count,
                run.describe()
            );
        }
        Ok(sent)
    }

    /// Starts `PushConsume`; its events are collected while it runs.
    pub fn consume(&self, spec: &ConsumeSpec) -> anyhow::Result<RunningConsumer> {
        let mut cmd = self.command("rocketmqrs.tools.PushConsume", &spec.args(&self.namesrv))?;
        let log = self.dir.path().join(format!(
            "consumer-{}-{}.err",
            spec.group,
            CONSUMER_SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let err = std::fs::File::create(&log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(err))
            .kill_on_drop(true);
        let what = format!("PushConsume {} / {}", spec.topic, spec.group);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start {what}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().context("consumer stdout not piped")?;
        let shared = Arc::new(Shared::default());
        let reader = tokio::spawn(read_events(stdout, Arc::clone(&shared)));
        Ok(RunningConsumer {
            what,
            child,
            stdin,
            shared,
            reader,
            stderr_log: log,
        })
    }

    /// Looks messages up with `QueryMsg` (one JVM for all `lookups`), retrying each until
    /// `expect` are found or `wait` passes; one outcome per lookup, in order.
    pub async fn query(
        &self,
        topic: &str,
        lookups: &[Lookup],
        expect: usize,
        wait: Duration,
    ) -> anyhow::Result<Vec<QueryOutcome>> {
        let mut args = vec![
            "--namesrv".to_owned(),
            self.namesrv.clone(),
            format!("--topic={topic}"),
            "--expect".to_owned(),
            expect.to_string(),
            "--wait-ms".to_owned(),
            wait.as_millis().to_string(),
        ];
        // QueryMsg runs keys, then ids, then unique ids: keep that order here too.
        let mut ordered: Vec<&Lookup> = lookups.iter().collect();
        ordered.sort_by_key(|l| l.rank());
        for l in &ordered {
            args.push(l.arg());
        }
        let cmd = self.command("rocketmqrs.tools.QueryMsg", &args)?;
        let what = format!("QueryMsg {topic} {lookups:?}");
        let run = run_collect(cmd, &what, RUN_LIMIT).await?;
        // Exit 4 means "fewer than expected found": still a result for the caller to judge.
        if !run.status.success() && run.status.code() != Some(4) {
            bail!("{what} failed ({}):\n{}", run.status, run.describe());
        }
        let mut by_name: BTreeMap<String, QueryOutcome> = BTreeMap::new();
        for line in run.json_lines() {
            let v: serde_json::Value = serde_json::from_str(line)
                .with_context(|| format!("{what}: bad output line {line}"))?;
            let name = v
                .get("lookup")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let entry = by_name.entry(name).or_insert_with(|| QueryOutcome {
                found: Vec::new(),
                error: None,
            });
            match v.get("event").and_then(serde_json::Value::as_str) {
                Some("msg") => entry.found.push(
                    serde_json::from_value(v["message"].clone())
                        .with_context(|| format!("{what}: bad message line {line}"))?,
                ),
                Some("done") => {
                    entry.error = v
                        .get("error")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned);
                }
                _ => {}
            }
        }
        lookups
            .iter()
            .map(|l| {
                by_name
                    .remove(&l.name())
                    .with_context(|| format!("{what}: no result for {l:?}:\n{}", run.describe()))
            })
            .collect()
    }

    /// Runs the Java mqadmin (`MQAdminStartup`) of this release with `args` against this
    /// client's name server (`-n` is added unless given) and returns its standard output
    /// without logging noise (logback status lines). Fails on a non-zero exit and on the
    /// "command failed" report mqadmin prints while still exiting 0.
    ///
    /// mqadmin's requests time out after a fixed 3 s; on a loaded machine a JVM that is
    /// still starting can miss that, so a command that failed only with a client-side
    /// timeout is run once more (and says so on stderr).
    pub async fn admin(&self, args: &[&str]) -> anyhow::Result<String> {
        let (mut ok, mut out) = self.admin_raw(args).await?;
        if !ok && out.contains("RemotingTimeoutException") {
            eprintln!(
                "mqadmin {} timed out on the client side; running it again",
                args.join(" ")
            );
            (ok, out) = self.admin_raw(args).await?;
        }
        if !ok {
            bail!("mqadmin {} failed:\n{out}", args.join(" "));
        }
        Ok(out)
    }

    /// Like [`JavaClient::admin`], but returns the output (standard output, then standard
    /// error) also when the command failed, with whether it succeeded.
    pub async fn admin_raw(&self, args: &[&str]) -> anyhow::Result<(bool, String)> {
        let mut cmd = self.version.java_command(
            "org.apache.rocketmq.tools.command.MQAdminStartup",
            CLIENT_JVM,
            self.dir.path(),
        )?;
        cmd.args(args)
            .env("ROCKETMQ_HOME", self.dir.path().join("rocketmq_home"));
        if !args.contains(&"-n") {
            cmd.arg("-n").arg(&self.namesrv);
        }
        let what = format!("mqadmin {}", args.join(" "));
        let run = run_collect(cmd, &what, RUN_LIMIT).await?;
        let failed =
            |text: &str| text.contains("command failed") || text.contains("SubCommandException");
        let ok = run.status.success() && !failed(&run.stdout) && !failed(&run.stderr);
        let mut out = without_log_noise(&run.stdout);
        if !run.stderr.trim().is_empty() {
            out.push_str(&without_log_noise(&run.stderr));
        }
        Ok((ok, out))
    }

    /// The scratch directory (`user.home` of the client programs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// `text` without logback's status lines and SLF4J notices (5.x tools print them on
/// standard output).
fn without_log_noise(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let noise = line.starts_with("SLF4J:")
            || ["|-INFO in ", "|-WARN in ", "|-ERROR in "]
                .iter()
                .any(|m| line.contains(m));
        if !noise {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// How many run-to-completion Java programs (mqadmin, Produce, QueryMsg) run at once in
/// this test process.
static TOOL_SLOTS: Semaphore = Semaphore::const_new(4);

/// Numbers the consumers' stderr logs within one process.
static CONSUMER_SEQ: AtomicU32 = AtomicU32::new(0);

/// A finished program's output.
pub(crate) struct Run {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn json_lines(&self) -> impl Iterator<Item = &str> {
        self.stdout.lines().filter(|l| l.starts_with('{'))
    }

    pub(crate) fn describe(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            tail(&self.stdout, 6000),
            tail(&self.stderr, 4000)
        )
    }
}

pub(crate) async fn run_collect(
    mut cmd: Command,
    what: &str,
    limit: Duration,
) -> anyhow::Result<Run> {
    // A permit for the whole run: starting many JVMs at once on a small machine starves
    // them so that the Java clients' own 3 s request timeouts (mqadmin's cannot be
    // configured) expire.
    let _slot = TOOL_SLOTS.acquire().await.context("tool slots closed")?;
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {what} (is a JDK 17 `java` on PATH?)"))?;
    let out = match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(out) => out.with_context(|| format!("waiting for {what}"))?,
        Err(_) => bail!("{what} did not finish within {limit:?}"),
    };
    Ok(Run {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Events of a running consumer, shared between its reader task and the test.
#[derive(Default)]
struct Shared {
    state: Mutex<Collected>,
    changed: Notify,
}

#[derive(Default)]
struct Collected {
    events: Vec<ConsumerEvent>,
    /// Non-JSON output lines (client logging), the last ones kept for diagnostics.
    other: Vec<String>,
    closed: bool,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Collected> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn read_events(stdout: tokio::process::ChildStdout, shared: Arc<Shared>) {
    let mut lines = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let parsed = if line.starts_with('{') {
            serde_json::from_str::<ConsumerEvent>(&line).ok()
        } else {
            None
        };
        {
            let mut state = shared.lock();
            match parsed {
                Some(ev) => state.events.push(ev),
                None => {
                    if state.other.len() >= 200 {
                        state.other.remove(0);
                    }
                    state.other.push(line);
                }
            }
        }
        shared.changed.notify_waiters();
    }
    shared.lock().closed = true;
    shared.changed.notify_waiters();
}

/// A running `PushConsume`: killed on drop; [`RunningConsumer::stop`] ends it cleanly
/// (the client persists its offsets on shutdown).
pub struct RunningConsumer {
    what: String,
    child: Child,
    stdin: Option<ChildStdin>,
    shared: Arc<Shared>,
    reader: JoinHandle<()>,
    stderr_log: std::path::PathBuf,
}

impl std::fmt::Debug for RunningConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningConsumer")
            .field("what", &self.what)
            .finish_non_exhaustive()
    }
}

/// What a consumer saw, once it ended.
#[derive(Clone, Debug)]
pub struct ConsumerRun {
    /// Every event in order.
    pub events: Vec<ConsumerEvent>,
    /// Every delivery in order.
    pub deliveries: Vec<Delivery>,
    /// Exit status.
    pub status: Option<ExitStatus>,
}

impl RunningConsumer {
    /// Every event so far.
    pub fn events(&self) -> Vec<ConsumerEvent> {
        self.shared.lock().events.clone()
    }

    /// Every delivery so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        deliveries_of(&self.shared.lock().events)
    }

    /// The client id it reported once started.
    pub fn client_id(&self) -> Option<String> {
        self.shared.lock().events.iter().find_map(|e| match e {
            ConsumerEvent::Ready { client_id, .. } => Some(client_id.clone()),
            _ => None,
        })
    }

    /// Waits (bounded) until `done` holds for the events so far; returns them.
    pub async fn wait_for(
        &self,
        what: &str,
        limit: Duration,
        done: impl Fn(&[ConsumerEvent]) -> bool,
    ) -> anyhow::Result<Vec<ConsumerEvent>> {
        let deadline = Instant::now() + limit;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let state = self.shared.lock();
                if done(&state.events) {
                    return Ok(state.events.clone());
                }
                if state.closed {
                    bail!(
                        "{}: ended before {what}; {}",
                        self.what,
                        self.diagnostics_locked(&state)
                    );
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                let state = self.shared.lock();
                if done(&state.events) {
                    return Ok(state.events.clone());
                }
                bail!(
                    "{}: no {what} within {limit:?}; {}",
                    self.what,
                    self.diagnostics_locked(&state)
                );
            }
        }
    }

    /// Waits until the consumer has started.
    pub async fn wait_ready(&self, limit: Duration) -> anyhow::Result<()> {
        self.wait_for("start", limit, |ev| {
            ev.iter().any(|e| matches!(e, ConsumerEvent::Ready { .. }))
        })
        .await?;
        Ok(())
    }

    /// Waits until at least `n` deliveries arrived; returns all so far.
    pub async fn wait_deliveries(
        &self,
        n: usize,
        limit: Duration,
    ) -> anyhow::Result<Vec<Delivery>> {
        let ev = self
            .wait_for(&format!("{n} deliveries"), limit, |ev| {
                ev.iter()
                    .filter(|e| matches!(e, ConsumerEvent::Msg(_)))
                    .count()
                    >= n
            })
            .await?;
        Ok(deliveries_of(&ev))
    }

    /// Asks the program to stop (a "stop" line on stdin), waits for it to exit, and returns
    /// everything it printed.
    pub async fn stop(mut self) -> anyhow::Result<ConsumerRun> {
        if let Some(mut stdin) = self.stdin.take() {
            // The program may already have exited (expected count reached).
            let _ = stdin.write_all(b"stop\n").await;
            let _ = stdin.shutdown().await;
        }
        self.finish(Duration::from_secs(30)).await
    }

    /// Waits (bounded) for the program to exit by itself and returns what it printed.
    pub async fn finish(mut self, limit: Duration) -> anyhow::Result<ConsumerRun> {
        let status = match tokio::time::timeout(limit, self.child.wait()).await {
            Ok(s) => Some(s.with_context(|| format!("waiting for {}", self.what))?),
            Err(_) => {
                let _ = self.child.kill().await;
                bail!("{} did not exit within {limit:?}", self.what);
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.reader).await;
        let events = self.shared.lock().events.clone();
        Ok(ConsumerRun {
            deliveries: deliveries_of(&events),
            events,
            status,
        })
    }

    /// Recent client output and the stderr log, for error messages.
    pub fn diagnostics(&self) -> String {
        let state = self.shared.lock();
        self.diagnostics_locked(&state)
    }

    fn diagnostics_locked(&self, state: &Collected) -> String {
        let deliveries = state
            .events
            .iter()
            .filter(|e| matches!(e, ConsumerEvent::Msg(_)))
            .count();
        let allocations: Vec<String> = state
            .events
            .iter()
            .filter_map(|e| match e {
                ConsumerEvent::Allocate(a) => Some(format!(
                    "{:?}: {} cids, mine {:?}",
                    a.topic,
                    a.cids.len(),
                    a.mine
                )),
                _ => None,
            })
            .collect();
        let err = std::fs::read(&self.stderr_log).unwrap_or_default();
        format!(
            "{deliveries} deliveries; allocations {allocations:?}\n--- output ---\n{}\n--- stderr ---\n{}",
            state.other.join("\n"),
            tail(&String::from_utf8_lossy(&err), 4000)
        )
    }
}

fn deliveries_of(events: &[ConsumerEvent]) -> Vec<Delivery> {
    events
        .iter()
        .filter_map(|e| match e {
            ConsumerEvent::Msg(d) => Some(Delivery::clone(d)),
            _ => None,
        })
        .collect()
}
