//! The real Java `TransactionMQProducer` of one release, through our program
//! `interop/java/tools/rocketmqrs/tools/TransactionProduce.java`: half messages settled by
//! the local transaction at once (commit, rollback) or left unknown and settled when the
//! broker checks back (CHECK_TRANSACTION_STATE).

use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::java_client::{JavaClient, run_collect};
use crate::java_records::hex_bytes;

/// How the producer settles one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TxMode {
    /// `executeLocalTransaction` answers COMMIT_MESSAGE.
    Commit,
    /// `executeLocalTransaction` answers ROLLBACK_MESSAGE.
    Rollback,
    /// `executeLocalTransaction` answers UNKNOW; the check answers COMMIT_MESSAGE.
    UnknownCommit,
    /// `executeLocalTransaction` answers UNKNOW; the check answers ROLLBACK_MESSAGE.
    UnknownRollback,
}

impl TxMode {
    /// Every mode.
    pub const ALL: [TxMode; 4] = [
        TxMode::Commit,
        TxMode::Rollback,
        TxMode::UnknownCommit,
        TxMode::UnknownRollback,
    ];

    /// The program's name of the mode.
    pub fn arg(self) -> &'static str {
        match self {
            TxMode::Commit => "commit",
            TxMode::Rollback => "rollback",
            TxMode::UnknownCommit => "unknown-commit",
            TxMode::UnknownRollback => "unknown-rollback",
        }
    }

    /// Whether the message must end up delivered.
    pub fn commits(self) -> bool {
        matches!(self, TxMode::Commit | TxMode::UnknownCommit)
    }

    /// Whether the broker has to check back before the message is settled.
    pub fn needs_check(self) -> bool {
        matches!(self, TxMode::UnknownCommit | TxMode::UnknownRollback)
    }
}

/// What `TransactionProduce` sends.
#[derive(Clone, Debug)]
pub struct TxSpec {
    /// Topic.
    pub topic: String,
    /// Producer group (the broker checks back with a producer of this group).
    pub group: String,
    /// Message `i` is settled by `modes[i % modes.len()]`.
    pub modes: Vec<TxMode>,
    /// Number of messages.
    pub count: usize,
    /// Tags of every message.
    pub tags: String,
    /// How long the program waits for the checks of the unknown messages.
    pub check_timeout: Duration,
}

impl TxSpec {
    /// `count` messages to `topic` from `group`, cycling through `modes`, tagged `TagTx`,
    /// waiting up to 60 s for the checks.
    pub fn new(topic: &str, group: &str, modes: &[TxMode], count: usize) -> Self {
        TxSpec {
            topic: topic.to_owned(),
            group: group.to_owned(),
            modes: modes.to_vec(),
            count,
            tags: "TagTx".to_owned(),
            check_timeout: Duration::from_secs(60),
        }
    }

    fn args(&self, namesrv: &str) -> Vec<String> {
        let modes: Vec<&str> = self.modes.iter().map(|m| m.arg()).collect();
        vec![
            "--namesrv".to_owned(),
            namesrv.to_owned(),
            format!("--topic={}", self.topic),
            format!("--group={}", self.group),
            format!("--modes={}", modes.join(",")),
            "--count".to_owned(),
            self.count.to_string(),
            format!("--tags={}", self.tags),
            "--check-timeout-ms".to_owned(),
            self.check_timeout.as_millis().to_string(),
        ]
    }
}

/// One transactional message as `TransactionProduce` reported it after
/// `sendMessageInTransaction` returned.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxSent {
    /// Index of the message in the run (also its `idx` user property).
    pub index: usize,
    /// The mode's program name (`commit`, `unknown-rollback`, ...).
    pub mode: String,
    /// The client's unique id (`UNIQ_KEY`).
    pub msg_id: String,
    /// `TransactionSendResult.getTransactionId`: the send response's `transactionId`
    /// (a 5.x broker sets it to the unique id; a 4.9.8 broker leaves it out).
    pub transaction_id: Option<String>,
    /// `LocalTransactionState` name the local transaction answered.
    pub local_state: Option<String>,
    /// `SendStatus` name of the half message's send.
    pub send_status: Option<String>,
    /// Queue of the half message.
    pub queue_id: i32,
    /// Topic.
    pub topic: String,
    /// Client clock just before the send, ms since the epoch.
    pub sent_at: i64,
    /// The body bytes.
    #[serde(deserialize_with = "hex_bytes")]
    pub body: Vec<u8>,
    /// Tags.
    pub tags: Option<String>,
    /// Keys.
    pub keys: Option<String>,
}

/// One CHECK_TRANSACTION_STATE the producer's `checkLocalTransaction` answered.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxCheck {
    /// `idx` property of the checked message (-1 if missing).
    pub index: i64,
    /// The checked message's unique id.
    pub msg_id: Option<String>,
    /// The transaction id the client saw.
    pub transaction_id: Option<String>,
    /// Topic of the checked message as the broker handed it over.
    pub topic: Option<String>,
    /// The message's mode.
    pub mode: String,
    /// `LocalTransactionState` name answered.
    pub answer: String,
}

/// Everything a `TransactionProduce` run printed.
#[derive(Clone, Debug)]
pub struct TxRun {
    /// Sent messages, by index.
    pub sent: Vec<TxSent>,
    /// Checks in the order they were answered.
    pub checks: Vec<TxCheck>,
}

/// The whole run, checks included, must fit in this much beyond the check timeout.
const TX_RUN_SLACK: Duration = Duration::from_secs(90);

impl JavaClient {
    /// Sends with `TransactionProduce` and waits for it to exit; fails unless every
    /// message was reported sent and every unknown one was checked.
    pub async fn transaction_produce(&self, spec: &TxSpec) -> anyhow::Result<TxRun> {
        let cmd = self.command(
            "rocketmqrs.tools.TransactionProduce",
            &spec.args(self.namesrv()),
        )?;
        let what = format!("TransactionProduce to {} / {}", spec.topic, spec.group);
        let run = run_collect(cmd, &what, spec.check_timeout + TX_RUN_SLACK).await?;
        if !run.status.success() {
            bail!("{what} failed ({}):\n{}", run.status, run.describe());
        }
        let mut sent = Vec::new();
        let mut checks = Vec::new();
        for line in run.json_lines() {
            let v: serde_json::Value = serde_json::from_str(line)
                .with_context(|| format!("{what}: bad output line {line}"))?;
            match v.get("event").and_then(serde_json::Value::as_str) {
                Some("sent") => sent.push(
                    serde_json::from_value::<TxSent>(v)
                        .with_context(|| format!("{what}: bad sent line {line}"))?,
                ),
                Some("check") => checks.push(
                    serde_json::from_value::<TxCheck>(v)
                        .with_context(|| format!("{what}: bad check line {line}"))?,
                ),
                _ => {}
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
        Ok(TxRun { sent, checks })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_program_lines() {
        let sent: TxSent = serde_json::from_str(
            r#"{"event":"sent","index":2,"mode":"unknown-commit","msgId":"AA",
            "transactionId":"AA","localState":"UNKNOW","sendStatus":"SEND_OK","queueId":1,
            "topic":"T","sentAt":5,"body":"6162","tags":"TagTx","keys":"key-2 tx-key"}"#,
        )
        .unwrap();
        assert_eq!(sent.body, b"ab");
        assert_eq!(sent.local_state.as_deref(), Some("UNKNOW"));
        let check: TxCheck = serde_json::from_str(
            r#"{"event":"check","index":2,"msgId":"AA","transactionId":"AA","topic":"T",
            "mode":"unknown-commit","answer":"COMMIT_MESSAGE"}"#,
        )
        .unwrap();
        assert_eq!(check.answer, "COMMIT_MESSAGE");
        let args = TxSpec::new("T", "G", &TxMode::ALL, 4).args("ns");
        assert!(
            args.contains(&"--modes=commit,rollback,unknown-commit,unknown-rollback".to_owned())
        );
    }
}
