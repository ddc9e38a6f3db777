//! The two non-Java clients the interop tests drive: the Apache RocketMQ Go client
//! (`interop/go`, rocketmq-client-go v2) and ali-ons for Node.js (`interop/node`), both
//! built by `scripts/fetch-clients.sh` into `<cache>/clients`.
//!
//! Each program produces messages with tags, keys and user properties and consumes them
//! with its push consumer, printing one JSON line per event; [`OtherClient::run`] collects
//! those lines and [`check_round_trip`] compares what was sent with what was received.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use serde::Deserialize;
use tokio::process::Command;

use crate::java::tail;

const FETCH_HINT: &str = "run scripts/fetch-clients.sh";

/// A non-Java RocketMQ client program from the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OtherClient {
    /// `interop/go`: github.com/apache/rocketmq-client-go/v2.
    Go,
    /// `interop/node`: ali-ons (npm).
    Node,
}

/// What a client program does in one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Produce, then consume what was produced.
    Both,
    /// Produce only.
    Produce,
    /// Consume only (messages of [`ClientArgs::run`]).
    Consume,
}

/// The arguments of one client run.
#[derive(Clone, Debug)]
pub struct ClientArgs {
    /// Name server address(es), `;`-separated.
    pub namesrv: String,
    /// Topic (created by the caller).
    pub topic: String,
    /// Consumer group (producer group is `<group>_P`).
    pub group: String,
    /// Messages to produce.
    pub count: usize,
    /// What to do.
    pub mode: Mode,
    /// Run id, written into bodies, keys and the `p_run` property; only messages of this run
    /// count as received.
    pub run: String,
    /// Consume mode: how many messages to wait for (default: those of `count` that match
    /// the consumer's `TagA || TagB` selector).
    pub expect: Option<usize>,
    /// How long the consumer waits for the expected messages.
    pub timeout: Duration,
}

/// One JSON line a client program printed.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientRecord {
    /// `sent`, `received` or `done`.
    pub event: String,
    /// Message body (UTF-8).
    #[serde(default)]
    pub body: String,
    /// The `TAGS` property.
    #[serde(default)]
    pub tags: Option<String>,
    /// The `KEYS` property.
    #[serde(default)]
    pub keys: Option<String>,
    /// Every property the client saw (sent: what it set; received: as delivered).
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// The client's message id.
    #[serde(default)]
    pub msg_id: Option<String>,
    /// Queue id.
    #[serde(default)]
    pub queue_id: Option<i64>,
    /// Queue offset.
    #[serde(default)]
    pub queue_offset: Option<i64>,
}

/// The outcome of one client run.
#[derive(Clone, Debug)]
pub struct ClientOutput {
    /// Every JSON line, in order.
    pub records: Vec<ClientRecord>,
    /// Whether the program exited 0 (every expected message arrived in time).
    pub success: bool,
    /// The end of the client's own log (stderr), for failure messages.
    pub log_tail: String,
}

impl ClientOutput {
    /// The `sent` records.
    pub fn sent(&self) -> Vec<&ClientRecord> {
        self.by_event("sent")
    }

    /// The `received` records.
    pub fn received(&self) -> Vec<&ClientRecord> {
        self.by_event("received")
    }

    fn by_event(&self, event: &str) -> Vec<&ClientRecord> {
        self.records.iter().filter(|r| r.event == event).collect()
    }
}

impl OtherClient {
    /// Both clients.
    pub const ALL: [OtherClient; 2] = [OtherClient::Go, OtherClient::Node];

    /// A short name for messages and group names.
    pub fn name(self) -> &'static str {
        match self {
            OtherClient::Go => "go",
            OtherClient::Node => "node",
        }
    }

    /// The program in the cache, checked to exist.
    pub fn program(self) -> anyhow::Result<PathBuf> {
        let path = match self {
            OtherClient::Go => cache_dir().join("go").join("rmq-go-interop"),
            OtherClient::Node => cache_dir().join("node").join("rmq-node-interop.js"),
        };
        ensure!(
            path.is_file(),
            "the {} client is not built ({} missing): {FETCH_HINT}",
            self.name(),
            path.display()
        );
        Ok(path)
    }

    fn command(self, args: &ClientArgs) -> anyhow::Result<Command> {
        let program = self.program()?;
        let mut cmd = match self {
            OtherClient::Go => Command::new(&program),
            OtherClient::Node => {
                let mut c = Command::new("node");
                c.arg(&program);
                c
            }
        };
        let mode = match args.mode {
            Mode::Both => "both",
            Mode::Produce => "produce",
            Mode::Consume => "consume",
        };
        // Both programs accept `--flag value` (Go's flag package takes one or two dashes).
        cmd.arg("--namesrv")
            .arg(&args.namesrv)
            .arg("--topic")
            .arg(&args.topic)
            .arg("--group")
            .arg(&args.group)
            .arg("--n")
            .arg(args.count.to_string())
            .arg("--mode")
            .arg(mode)
            .arg("--run")
            .arg(&args.run);
        if let Some(expect) = args.expect {
            cmd.arg("--expect").arg(expect.to_string());
        }
        match self {
            OtherClient::Go => cmd
                .arg("--timeout")
                .arg(format!("{}ms", args.timeout.as_millis())),
            OtherClient::Node => cmd
                .arg("--timeout-ms")
                .arg(args.timeout.as_millis().to_string()),
        };
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        Ok(cmd)
    }

    /// Runs the program to its end (bounded by the consumer timeout plus a minute) and
    /// parses its JSON lines. A non-zero exit is reported in [`ClientOutput::success`],
    /// not as an error, so the caller can show what did arrive; an exit status of 2 (a
    /// send or start-up failure) is an error.
    pub async fn run(self, args: &ClientArgs) -> anyhow::Result<ClientOutput> {
        let child = self
            .command(args)?
            .spawn()
            .with_context(|| format!("cannot start the {} client", self.name()))?;
        let limit = args.timeout + Duration::from_secs(60);
        let out = tokio::time::timeout(limit, child.wait_with_output())
            .await
            .with_context(|| format!("the {} client did not finish within {limit:?}", self.name()))?
            .with_context(|| format!("waiting for the {} client", self.name()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let log_tail = tail(&String::from_utf8_lossy(&out.stderr), 6000).to_owned();
        if !matches!(out.status.code(), Some(0 | 1)) {
            bail!(
                "the {} client failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{log_tail}",
                self.name(),
                out.status,
                tail(&stdout, 4000)
            );
        }
        let records = stdout
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(serde_json::from_str)
            .collect::<Result<Vec<ClientRecord>, _>>()
            .with_context(|| format!("cannot parse the {} client's output", self.name()))?;
        ensure!(
            records.last().is_some_and(|r| r.event == "done"),
            "the {} client printed no final line:\n{}\n{log_tail}",
            self.name(),
            tail(&stdout, 4000)
        );
        Ok(ClientOutput {
            records,
            success: out.status.success(),
            log_tail,
        })
    }
}

/// `$ROCKETMQ_RS_CACHE/clients`, default `$HOME/.cache/rocketmq-rs/clients`.
pub fn cache_dir() -> PathBuf {
    crate::java::cache_root()
        .parent()
        .map_or_else(|| PathBuf::from("/tmp"), PathBuf::from)
        .join("clients")
}

/// The tags the programs' consumers subscribe to (`TagA || TagB`).
pub const SUBSCRIBED_TAGS: [&str; 2] = ["TagA", "TagB"];

/// Checks that every sent message whose tag the consumer subscribed to was received with
/// the identical body, tags, keys and user properties (every property the producer set
/// must arrive unchanged), that nothing outside the subscription or of another run was
/// delivered, and returns how many sent messages were expected.
pub fn check_round_trip(
    sent: &[&ClientRecord],
    received: &[&ClientRecord],
    run: &str,
) -> anyhow::Result<usize> {
    let mut by_body: BTreeMap<&str, &ClientRecord> = BTreeMap::new();
    for r in received {
        if r.properties.get("p_run").map(String::as_str) != Some(run) {
            continue; // an older run's message on a reused topic
        }
        let tag = r.tags.as_deref().unwrap_or_default();
        ensure!(
            SUBSCRIBED_TAGS.contains(&tag),
            "received a message outside the subscription (tags {tag:?}): {r:?}"
        );
        by_body.entry(r.body.as_str()).or_insert(r);
    }
    let mut expected = 0;
    let mut missing = Vec::new();
    for s in sent {
        let tag = s.tags.as_deref().unwrap_or_default();
        if !SUBSCRIBED_TAGS.contains(&tag) {
            continue;
        }
        expected += 1;
        let Some(r) = by_body.remove(s.body.as_str()) else {
            missing.push(s.body.chars().take(40).collect::<String>());
            continue;
        };
        ensure!(r.tags == s.tags, "tags differ: sent {s:?}, received {r:?}");
        ensure!(r.keys == s.keys, "keys differ: sent {s:?}, received {r:?}");
        for (k, v) in &s.properties {
            ensure!(
                r.properties.get(k) == Some(v),
                "property {k}={v:?} arrived as {:?}: sent {s:?}, received {r:?}",
                r.properties.get(k)
            );
        }
    }
    ensure!(
        missing.is_empty(),
        "{} of {expected} messages never arrived: {missing:?}",
        missing.len()
    );
    ensure!(
        by_body.is_empty(),
        "received messages that were never sent: {:?}",
        by_body.keys().collect::<Vec<_>>()
    );
    ensure!(expected > 0, "nothing was expected: check the arguments");
    Ok(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(event: &str, body: &str, tag: &str, props: &[(&str, &str)]) -> ClientRecord {
        ClientRecord {
            event: event.into(),
            body: body.into(),
            tags: Some(tag.into()),
            keys: Some(format!("k-{body}")),
            properties: props
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            msg_id: None,
            queue_id: None,
            queue_offset: None,
        }
    }

    #[test]
    fn round_trip_check_catches_each_kind_of_difference() {
        let p = [("p_run", "r1"), ("p_text", "x")];
        let sent = [
            rec("sent", "a", "TagA", &p),
            rec("sent", "b", "TagB", &p),
            rec("sent", "c", "TagC", &p),
        ];
        let sent: Vec<&ClientRecord> = sent.iter().collect();
        let good = [
            rec("received", "b", "TagB", &p),
            rec("received", "a", "TagA", &p),
        ];
        let good_refs: Vec<&ClientRecord> = good.iter().collect();
        assert_eq!(check_round_trip(&sent, &good_refs, "r1").ok(), Some(2));

        // Missing message.
        assert!(check_round_trip(&sent, &good_refs[..1], "r1").is_err());
        // Changed property.
        let bad = rec("received", "a", "TagA", &[("p_run", "r1"), ("p_text", "y")]);
        assert!(check_round_trip(&sent, &[good_refs[0], &bad], "r1").is_err());
        // A filtered-out tag delivered.
        let c = rec("received", "c", "TagC", &p);
        assert!(check_round_trip(&sent, &[good_refs[0], good_refs[1], &c], "r1").is_err());
        // Changed keys.
        let mut k = good[1].clone();
        k.keys = Some("other".into());
        assert!(check_round_trip(&sent, &[good_refs[0], &k], "r1").is_err());
        // Another run's message is ignored.
        let old = rec("received", "zz", "TagA", &[("p_run", "r0")]);
        assert_eq!(
            check_round_trip(&sent, &[good_refs[0], good_refs[1], &old], "r1").ok(),
            Some(2)
        );
    }
}
