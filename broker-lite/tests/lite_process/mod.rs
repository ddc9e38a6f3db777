//! The `broker-lite` binary as a child process (name server + broker in one process, the
//! default role), on free loopback ports with a store in a scratch directory, for tests
//! that must kill the real process (crash safety) or read its log (malformed frames).
//! Shared by `crash_kill.rs` and `malformed_frames.rs`.

#![allow(dead_code)] // each test file uses a different part of the harness

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use rocketmq::protocol::header::{
    PullMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use rocketmq::protocol::message::{DecodeOptions, Properties, StoredMessage};
use rocketmq::protocol::request::{
    PullMessage, PullResponse, PullStatus, SendMessageV2, SendResponse, SendStatus,
};
use rocketmq::protocol::{FromResponse, RemotingCommand, RequestCode, Rpc};
use rocketmq::remoting::RemotingClient;

/// How long a start (including store recovery) may take before the test fails.
const START_LIMIT: Duration = Duration::from_secs(30);
/// Per-request limit for the test's own requests.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Pull flag: the subscription travels in the request (Java `FLAG_SUBSCRIPTION`).
const FLAG_SUBSCRIPTION: i32 = 0x4;

/// A directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub(crate) struct ScratchDir(PathBuf);

impl ScratchDir {
    pub(crate) fn new(prefix: &str) -> anyhow::Result<Self> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "{prefix}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&path)?;
        Ok(ScratchDir(path))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A small deterministic generator (xorshift64*), seeded per test and printed, so a
/// failing run can be repeated with `LITE_TEST_SEED=<seed>`.
#[derive(Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn from_env_or_time(test: &str) -> Rng {
        let seed = std::env::var("LITE_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        eprintln!("{test}: seed {seed} (repeat with LITE_TEST_SEED={seed})");
        Rng(seed | 1)
    }

    pub(crate) fn from_seed(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `range` (end exclusive; the range must not be empty).
    pub(crate) fn below(&mut self, range: std::ops::Range<u64>) -> u64 {
        range.start + self.next_u64() % (range.end - range.start).max(1)
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// A port that was free a moment ago.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running `broker-lite` process: killed (SIGKILL) on drop.
#[derive(Debug)]
pub(crate) struct LiteProcess {
    child: Option<Child>,
    /// The name server's address.
    pub(crate) namesrv: SocketAddr,
    /// The broker's address.
    pub(crate) broker: SocketAddr,
    /// Combined stdout + stderr of the process.
    pub(crate) log: PathBuf,
    /// From spawn to the broker answering its first request.
    pub(crate) start_time: Duration,
}

impl LiteProcess {
    /// Starts `broker-lite` (name server + broker) with its store under `store_dir`,
    /// SYNC_FLUSH, 64 KiB commit-log segments, small index files, and `extra_broker` TOML
    /// lines appended to the `[broker]` section; waits until the broker answers. The log
    /// goes to `<store_dir>/../<name>.log`. Retries with other ports if one was taken.
    pub(crate) fn start(store_dir: &Path, extra_broker: &str) -> anyhow::Result<LiteProcess> {
        let mut last = None;
        for _ in 0..3 {
            match Self::try_start(store_dir, extra_broker) {
                Ok(p) => return Ok(p),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("no start attempt")))
    }

    /// Starts `broker-lite` as [`start`](Self::start) does, but on the given addresses:
    /// a restart after a kill, on the ports the clients already know (as a real broker
    /// comes back on its configured ports). Retries for a while if a port is not free yet.
    pub(crate) fn start_at(
        store_dir: &Path,
        extra_broker: &str,
        namesrv: SocketAddr,
        broker: SocketAddr,
    ) -> anyhow::Result<LiteProcess> {
        let mut last = None;
        for _ in 0..20 {
            match Self::try_start_at(store_dir, extra_broker, namesrv, broker) {
                Ok(p) => return Ok(p),
                Err(e) => last = Some(e),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("no start attempt")))
    }

    fn try_start(store_dir: &Path, extra_broker: &str) -> anyhow::Result<LiteProcess> {
        let namesrv: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        let broker: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        Self::try_start_at(store_dir, extra_broker, namesrv, broker)
    }

    fn try_start_at(
        store_dir: &Path,
        extra_broker: &str,
        namesrv: SocketAddr,
        broker: SocketAddr,
    ) -> anyhow::Result<LiteProcess> {
        let parent = store_dir.parent().unwrap_or(store_dir);
        let name = store_dir
            .file_name()
            .map_or_else(|| "store".to_owned(), |n| n.to_string_lossy().into_owned());
        let config = parent.join(format!("{name}.toml"));
        let log = parent.join(format!("{name}.log"));
        let toml = format!(
            "[namesrv]\nlisten = \"{namesrv}\"\n\n\
             [broker]\nlisten = \"{broker}\"\nnamesrv_addrs = [\"{namesrv}\"]\n{extra_broker}\n\n\
             [broker.store]\ndir = \"{}\"\nflush_disk_type = \"SYNC_FLUSH\"\n\
             commit_log_segment_size = 65536\nmax_message_size = 16384\n\
             index_hash_slots = 1024\nindex_entries = 4096\n",
            store_dir.display()
        );
        fs::write(&config, toml)?;
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?;
        let err = out.try_clone()?;
        let started = Instant::now();
        let child = Command::new(env!("CARGO_BIN_EXE_broker-lite"))
            .arg("all")
            .arg("--config")
            .arg(&config)
            .env(
                "RUST_LOG",
                std::env::var("LITE_TEST_LOG").unwrap_or_else(|_| "info".to_owned()),
            )
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .context("cannot start the broker-lite binary")?;
        let mut process = LiteProcess {
            child: Some(child),
            namesrv,
            broker,
            log,
            start_time: Duration::ZERO,
        };
        process.wait_ready()?;
        process.start_time = started.elapsed();
        Ok(process)
    }

    /// Polls until the broker answers a request (any response code): the store is open
    /// and recovered and the processors are in place. Fails at once if the process exits.
    fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + START_LIMIT;
        let mut probe = bytes::BytesMut::new();
        RemotingCommand::request(RequestCode::GET_BROKER_RUNTIME_INFO).encode(&mut probe)?;
        loop {
            if let Some(status) = self.try_wait()? {
                bail!(
                    "broker-lite exited ({status}) during start:\n{}",
                    self.log_tail()
                );
            }
            if answers(self.broker, &probe) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "broker-lite did not answer within {START_LIMIT:?}:\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn try_wait(&mut self) -> anyhow::Result<Option<ExitStatus>> {
        match self.child.as_mut() {
            Some(child) => Ok(child.try_wait()?),
            None => Ok(None),
        }
    }

    /// Whether the process is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.try_wait(), Ok(None)) && self.child.is_some()
    }

    /// SIGKILL by PID, then reap.
    pub(crate) fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?; // SIGKILL on Unix
            child.wait()?;
        }
        Ok(())
    }

    /// SIGINT by PID (what Ctrl-C sends: a clean shutdown), then waits up to 20 s.
    pub(crate) fn interrupt(&mut self) -> anyhow::Result<ExitStatus> {
        let Some(mut child) = self.child.take() else {
            bail!("not running");
        };
        let sent = Command::new("kill")
            .arg("-INT")
            .arg(child.id().to_string())
            .status()?;
        anyhow::ensure!(sent.success(), "kill -INT failed");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "broker-lite did not stop within 20 s of SIGINT:\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The whole log so far.
    pub(crate) fn log_text(&self) -> String {
        String::from_utf8_lossy(&fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// The last 4 KiB of the log.
    pub(crate) fn log_tail(&self) -> String {
        let text = self.log_text();
        let mut start = text.len().saturating_sub(4096);
        while !text.is_char_boundary(start) {
            start += 1;
        }
        text[start..].to_owned()
    }
}

impl Drop for LiteProcess {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// Sends one framed request on a fresh blocking connection and reads any reply frame.
fn answers(addr: SocketAddr, frame: &[u8]) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(frame).is_err() {
        return false;
    }
    let mut len = [0u8; 4];
    s.read_exact(&mut len).is_ok()
}

/// What a SYNC_FLUSH send acknowledged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Acked {
    pub(crate) queue_id: i32,
    pub(crate) queue_offset: i64,
    /// The offset message id the broker returned.
    pub(crate) msg_id: String,
    pub(crate) body: Bytes,
}

/// A SEND_MESSAGE_V2 request for `topic`/`queue_id` (auto-creating the topic with 4
/// queues from `TBW102` if needed) carrying `body` and a `KEYS` property.
pub(crate) fn send_request(topic: &str, queue_id: i32, key: &str, body: Bytes) -> SendMessageV2 {
    let mut props = Properties::new();
    props.insert("KEYS", key);
    props.insert("TAGS", "crash");
    props.insert("WAIT", "true");
    SendMessageV2 {
        header: SendMessageRequestHeaderV2 {
            producer_group: "lite_test_producer".to_owned(),
            topic: topic.to_owned(),
            default_topic: "TBW102".to_owned(),
            default_topic_queue_nums: 4,
            queue_id,
            sys_flag: 0,
            born_timestamp: 1,
            flag: 0,
            properties: Some(props.encode()),
            ..Default::default()
        },
        body,
    }
}

/// Sends and returns the acknowledgement, or `None` when the broker stored the message
/// without confirming the flush (any status other than SEND_OK).
pub(crate) async fn send(
    client: &RemotingClient,
    broker: &str,
    req: &SendMessageV2,
) -> anyhow::Result<Option<SendMessageResponseHeader>> {
    let reply = client
        .invoke(broker, req.to_command(), REQUEST_TIMEOUT)
        .await?;
    let resp = SendResponse::from_response(reply)?;
    Ok((resp.status == SendStatus::SendOk).then_some(resp.header))
}

/// Pulls every message of `topic`/`queue_id` from offset 0 (32 per request), CRCs
/// verified, in queue order; fails if offsets are not contiguous from the queue's minimum.
pub(crate) async fn pull_all(
    client: &RemotingClient,
    broker: &str,
    topic: &str,
    queue_id: i32,
) -> anyhow::Result<Vec<StoredMessage>> {
    pull_all_as(client, broker, "lite_test_consumer", topic, queue_id).await
}

/// [`pull_all`] as consumer group `group` (a pull creates the group, as in Java, when
/// the broker auto-creates subscription groups).
pub(crate) async fn pull_all_as(
    client: &RemotingClient,
    broker: &str,
    group: &str,
    topic: &str,
    queue_id: i32,
) -> anyhow::Result<Vec<StoredMessage>> {
    let opts = DecodeOptions {
        verify_body_crc: true,
        ..DecodeOptions::default()
    };
    let mut out = Vec::new();
    let mut offset = 0i64;
    loop {
        let pull = PullMessage(PullMessageRequestHeader {
            consumer_group: group.to_owned(),
            topic: topic.to_owned(),
            queue_id,
            queue_offset: offset,
            max_msg_nums: 32,
            sys_flag: FLAG_SUBSCRIPTION,
            commit_offset: 0,
            suspend_timeout_millis: 0,
            subscription: Some("*".to_owned()),
            sub_version: 0,
            expression_type: Some("TAG".to_owned()),
            ..Default::default()
        });
        let reply = client
            .invoke(broker, pull.to_command(), REQUEST_TIMEOUT)
            .await?;
        let pulled = PullResponse::from_response(reply)?;
        match pulled.status {
            PullStatus::Found => {
                let records = StoredMessage::decode_all(pulled.body, &opts)
                    .with_context(|| format!("{topic}/{queue_id}@{offset}: bad records"))?;
                anyhow::ensure!(
                    !records.is_empty(),
                    "{topic}/{queue_id}@{offset}: empty FOUND"
                );
                for r in records {
                    anyhow::ensure!(
                        r.queue_offset == offset,
                        "{topic}/{queue_id}: expected offset {offset}, got {}",
                        r.queue_offset
                    );
                    offset += 1;
                    out.push(r);
                }
                anyhow::ensure!(
                    pulled.header.next_begin_offset == offset,
                    "{topic}/{queue_id}: next begin {} after reading up to {offset}",
                    pulled.header.next_begin_offset
                );
            }
            PullStatus::NoNewMsg => return Ok(out),
            other => bail!("{topic}/{queue_id}@{offset}: {other:?} {:?}", pulled.header),
        }
    }
}
