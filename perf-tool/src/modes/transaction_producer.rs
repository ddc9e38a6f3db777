//! `perf-tool transaction-producer`: Java's benchmark `TransactionProducer` on the SDK's
//! [`TransactionProducer`]. Each body starts with the run's batch id, a message number,
//! the local transaction's decision and the decisions of up to 20 later checks (drawn
//! with the `-sr/-su/-cr/-cu` rates), so the checker can tell checks that should not have
//! happened (the decision was not "unknown") and checks asked twice.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use rocketmq::producer::{LocalTransactionState, SendStatus, TransactionProducer};
use rocketmq::protocol::message::{Message, StoredMessage, property};
use serde::Serialize;

use super::send::{configure, drive};
use crate::argv::Alias;
use crate::cli::{AclArgs, CommonArgs, TraceArgs};
use crate::report::{Report, human_time, whole_ms};
use crate::run::{Pacer, Run, RunSpec};
use crate::stats::{Layout, Recorder, Stats, Window};
use crate::target::Target;

/// Java's producer group for this tool.
const GROUP: &str = "benchmark_transaction_producer";
/// Check decisions carried in each body.
const CHECK_SLOTS: usize = 20;
/// Bytes of the body header: batch id, message number, send decision, check decisions.
const HEADER: usize = 8 + 8 + 1 + CHECK_SLOTS;
/// Message numbers remembered for duplicate-check detection (Java keeps 200 000).
const REMEMBERED: usize = 200_000;

/// Multi-letter short options of this mode (beyond the shared ones).
pub(crate) const ALIASES: &[Alias] = &[
    ("-sr", "--sendRollbackRate"),
    ("-su", "--sendUnknownRate"),
    ("-cr", "--checkRollbackRate"),
    ("-cu", "--checkUnknownRate"),
];

const SENT: usize = 0;
const ACKNOWLEDGED: usize = 1;
const FAILED: usize = 2;
const CHECKS: usize = 3;
const UNEXPECTED_CHECKS: usize = 4;
const DUPLICATED_CHECKS: usize = 5;
const COMMITTED: usize = 6;
const ROLLED_BACK: usize = 7;
const UNKNOWN: usize = 8;
const SEND_RT: usize = 0;

static LAYOUT: Layout = Layout {
    counters: &[
        "sent",
        "acknowledged",
        "failed",
        "checks",
        "unexpected_checks",
        "duplicated_checks",
        "committed",
        "rolled_back",
        "unknown",
    ],
    series: &["send"],
};

/// Flags of `perf-tool transaction-producer` (Java's `benchmark.TransactionProducer`;
/// Java's long names of the rates hold spaces, ours are camel case).
#[derive(Args, Clone, Debug, Serialize)]
pub(crate) struct TransactionProducerArgs {
    /// Topic to send to.
    #[arg(short = 't', long = "topic", default_value = "BenchmarkTest")]
    pub(crate) topic: String,
    /// Sending workers.
    #[arg(short = 'w', long = "threadCount", default_value_t = 32)]
    pub(crate) threads: usize,
    /// Body size in bytes (at least 37 for the decisions it carries).
    #[arg(short = 's', long = "messageSize", default_value_t = 2048)]
    pub(crate) size: usize,
    /// Share of local transactions that roll back (`-sr`).
    #[arg(long = "sendRollbackRate", default_value_t = 0.0)]
    pub(crate) send_rollback: f64,
    /// Share of local transactions left unknown, for the broker to check (`-su`).
    #[arg(long = "sendUnknownRate", default_value_t = 0.0)]
    pub(crate) send_unknown: f64,
    /// Share of checks that roll back (`-cr`).
    #[arg(long = "checkRollbackRate", default_value_t = 0.0)]
    pub(crate) check_rollback: f64,
    /// Share of checks that answer unknown again (`-cu`).
    #[arg(long = "checkUnknownRate", default_value_t = 0.0)]
    pub(crate) check_unknown: f64,
    /// The run's batch id written into the bodies (default: now in epoch ms); checks of
    /// other batches' messages are rolled back.
    #[arg(short = 'b', long = "testBatchId")]
    pub(crate) batch_id: Option<u64>,
    /// Pause after each send, ms.
    #[arg(short = 'i', long = "sendInterval", default_value_t = 0)]
    pub(crate) interval_ms: u64,
    #[command(flatten)]
    #[serde(flatten)]
    pub(crate) msg_trace: TraceArgs,
    /// Messages to send in all (0: until --duration or Ctrl-C; Java has no bound).
    #[arg(short = 'q', long = "messageQuantity", default_value_t = 0)]
    pub(crate) quantity: u64,
    #[command(flatten)]
    pub(crate) acl: AclArgs,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

/// Java `LocalTransactionState` ordinals, as written into the bodies.
fn state_byte(s: LocalTransactionState) -> u8 {
    match s {
        LocalTransactionState::Commit => 0,
        LocalTransactionState::Rollback => 1,
        LocalTransactionState::Unknown => 2,
    }
}

fn byte_state(b: u8) -> LocalTransactionState {
    match b {
        0 => LocalTransactionState::Commit,
        2 => LocalTransactionState::Unknown,
        _ => LocalTransactionState::Rollback,
    }
}

/// A small xorshift generator: the benchmark needs cheap, not strong, randomness.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn seeded(salt: u64) -> Rng {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos().into());
        Rng((nanos ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn chance(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What a body says.
#[derive(Debug, PartialEq)]
struct Meta {
    batch_id: u64,
    number: u64,
    send: LocalTransactionState,
    checks: [LocalTransactionState; CHECK_SLOTS],
}

impl Meta {
    fn parse(body: &[u8]) -> Option<Meta> {
        let head = body.get(..HEADER)?;
        let u64_at = |i: usize| {
            head.get(i..i + 8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
        };
        let mut checks = [LocalTransactionState::Commit; CHECK_SLOTS];
        for (c, b) in checks.iter_mut().zip(&head[17..]) {
            *c = byte_state(*b);
        }
        Some(Meta {
            batch_id: u64_at(0)?,
            number: u64_at(8)?,
            send: byte_state(head[16]),
            checks,
        })
    }
}

/// Draws the decisions and writes a body (Java's layout: big-endian batch id and message
/// number, then one byte per decision, then random filler).
fn body(args: &TransactionProducerArgs, batch_id: u64, number: u64, rng: &mut Rng) -> Vec<u8> {
    let mut draw = |rollback: f64, unknown: f64| {
        if rng.chance() < rollback {
            LocalTransactionState::Rollback
        } else if rng.chance() < unknown {
            LocalTransactionState::Unknown
        } else {
            LocalTransactionState::Commit
        }
    };
    let mut out = Vec::with_capacity(args.size);
    out.extend_from_slice(&batch_id.to_be_bytes());
    out.extend_from_slice(&number.to_be_bytes());
    out.push(state_byte(draw(args.send_rollback, args.send_unknown)));
    for _ in 0..CHECK_SLOTS {
        out.push(state_byte(draw(args.check_rollback, args.check_unknown)));
    }
    while out.len() < args.size {
        out.extend_from_slice(&rng.next().to_le_bytes());
    }
    out.truncate(args.size.max(HEADER));
    out
}

/// Answers the broker's checks from the decisions in the body, counting checks,
/// unexpected checks and duplicates.
#[derive(Debug)]
struct Checker {
    batch_id: u64,
    stats: OnceLock<Arc<Stats>>,
    seen: Mutex<HashMap<u64, u32>>,
}

impl Checker {
    fn check(&self, stored: &StoredMessage) -> LocalTransactionState {
        let msg = &stored.message;
        let Some(meta) = Meta::parse(msg.body()) else {
            return LocalTransactionState::Rollback;
        };
        if meta.batch_id != self.batch_id {
            return LocalTransactionState::Rollback;
        }
        let add = |i: usize| {
            if let Some(s) = self.stats.get() {
                s.add(i, 1);
            }
        };
        add(CHECKS);
        let Some(times) = msg
            .property(property::TRANSACTION_CHECK_TIMES)
            .and_then(|t| t.parse::<u32>().ok())
        else {
            return LocalTransactionState::Rollback;
        };
        let times = times.clamp(1, 32);
        {
            let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            if seen.len() >= REMEMBERED {
                seen.clear();
            }
            let bits = seen.entry(meta.number).or_insert(0);
            let bit = 1u32 << (times - 1);
            if *bits & bit != 0 {
                add(DUPLICATED_CHECKS);
            }
            *bits |= bit;
        }
        let when = human_time(SystemTime::now());
        let when = when
            .split_once(' ')
            .map_or(when.as_str(), |(_, t)| t)
            .to_owned();
        if meta.send != LocalTransactionState::Unknown {
            println!(
                "{when} unexpected check: msgId={},checkTimes={times},sendResult={:?}",
                msg.unique_key().unwrap_or(""),
                meta.send
            );
            add(UNEXPECTED_CHECKS);
            return meta.send;
        }
        let times = times as usize;
        for s in meta.checks.iter().take(times - 1) {
            if *s != LocalTransactionState::Unknown {
                println!(
                    "{when} unexpected check: msgId={},checkTimes={times},lastCheckResult={s:?}",
                    msg.unique_key().unwrap_or("")
                );
                add(UNEXPECTED_CHECKS);
                return *s;
            }
        }
        meta.checks
            .get(times - 1)
            .copied()
            .unwrap_or(LocalTransactionState::Rollback)
    }
}

/// Runs the mode.
pub(crate) async fn run(args: TransactionProducerArgs) -> anyhow::Result<()> {
    args.msg_trace.check()?;
    args.common.validate()?;
    anyhow::ensure!(args.threads >= 1, "-w/--threadCount must be at least 1");
    anyhow::ensure!(
        args.size >= HEADER,
        "-s/--messageSize must be at least {HEADER}"
    );
    anyhow::ensure!(
        args.common.body_file.is_none(),
        "--body-file: transaction bodies carry the decisions; not supported here"
    );
    let batch_id = args.batch_id.unwrap_or_else(|| {
        u64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_millis(),
        )
        .unwrap_or(0)
    });
    let checker = Arc::new(Checker {
        batch_id,
        stats: OnceLock::new(),
        seen: Mutex::new(HashMap::new()),
    });
    let target = Target::resolve(args.common.namesrv.as_deref()).await?;
    let mut producers = Vec::with_capacity(args.common.connections);
    for i in 0..args.common.connections {
        let c = Arc::clone(&checker);
        let builder = TransactionProducer::builder(move |stored: StoredMessage| {
            let state = c.check(&stored);
            async move { state }
        })
        .default_topic_queue_nums(1000);
        let mut builder = configure(builder, &target, GROUP, i, None)?;
        if let Some(credentials) = args.acl.credentials() {
            builder = builder.credentials(credentials);
        }
        let producer = builder
            .build()
            .await
            .map_err(|e| anyhow::anyhow!("cannot start transaction producer: {e}"))?;
        producers.push(producer);
    }
    eprintln!(
        "perf-tool transaction-producer: topic {}, {} worker(s), {}-byte bodies, batch id {batch_id}, quantity {}",
        args.topic, args.threads, args.size, args.quantity
    );
    let run = Run::start(
        RunSpec {
            mode: "transaction-producer",
            layout: &LAYOUT,
            main_counter: ACKNOWLEDGED,
            main_series: SEND_RT,
            quantity: args.quantity,
            config: serde_json::to_value(&args)?,
            report: Box::new(TransactionReport),
        },
        &args.common,
        &target,
    );
    let _ = checker.stats.set(Arc::clone(run.stats()));
    let args = Arc::new(args);
    let sequence = Arc::new(AtomicU64::new(0));
    let workers = args.threads;
    drive(
        run,
        producers,
        target,
        workers,
        |i, producer, pacer, recorder| {
            let (args, sequence) = (Arc::clone(&args), Arc::clone(&sequence));
            worker(
                producer, args, batch_id, i as u64, pacer, recorder, sequence,
            )
        },
    )
    .await
}

async fn worker(
    producer: TransactionProducer,
    args: Arc<TransactionProducerArgs>,
    batch_id: u64,
    index: u64,
    pacer: Pacer,
    recorder: Recorder,
    sequence: Arc<AtomicU64>,
) -> anyhow::Result<()> {
    let stats = Arc::clone(recorder.stats());
    let mut rng = Rng::seeded(index + 1);
    while pacer.next().await {
        let number = sequence.fetch_add(1, Ordering::Relaxed);
        let measured = pacer.is_measuring();
        if measured {
            stats.add(SENT, 1);
        }
        let msg = Message::new(args.topic.trim(), body(&args, batch_id, number, &mut rng));
        let began = Instant::now();
        let outcome = producer
            .send(msg, |m: &Message| {
                let state =
                    Meta::parse(m.body()).map_or(LocalTransactionState::Rollback, |meta| meta.send);
                async move { state }
            })
            .await;
        if measured {
            // Java counts the time of every send, failed or not.
            recorder.record(SEND_RT, began.elapsed());
        }
        match outcome {
            _ if !measured => {}
            Ok(r) if r.send.status == SendStatus::SendOk => {
                stats.add(ACKNOWLEDGED, 1);
                stats.add(
                    match r.local_state {
                        LocalTransactionState::Commit => COMMITTED,
                        LocalTransactionState::Rollback => ROLLED_BACK,
                        LocalTransactionState::Unknown => UNKNOWN,
                    },
                    1,
                );
            }
            Ok(r) => {
                stats.note(&format!("send status {:?}", r.send.status));
                stats.add(FAILED, 1);
            }
            Err(e) => {
                stats.fail(&e);
                stats.add(FAILED, 1);
            }
        }
        if args.interval_ms > 0 {
            pacer.pause(Duration::from_millis(args.interval_ms)).await;
        }
    }
    Ok(())
}

/// Java 5.x `TransactionProducer` lines: counts are deltas over the window, the maximum
/// is the window's (Java resets it at each line). Java has no complete line.
#[derive(Debug)]
struct TransactionReport;

impl Report for TransactionReport {
    fn line(&self, w: &Window<'_>) -> String {
        format!(
            "Current Time: {} | Send TPS: {:5} | Max RT(ms): {:5} | AVG RT(ms): {:3.1} | Send Failed: {} | Check: {} | UnexpectedCheck: {} | DuplicatedCheck: {}",
            human_time(w.wall()),
            w.rate(ACKNOWLEDGED),
            whole_ms(w.max_us(SEND_RT)),
            w.sum_ms(SEND_RT) / w.delta(ACKNOWLEDGED) as f64,
            w.delta(FAILED),
            w.delta(CHECKS),
            w.delta(UNEXPECTED_CHECKS),
            w.delta(DUPLICATED_CHECKS),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_the_java_5_layout() {
        let stats = Stats::new(&LAYOUT);
        let rec = stats.recorder();
        let ring = crate::stats::test_ring(&stats, || {
            stats.add(ACKNOWLEDGED, 40);
            stats.add(FAILED, 1);
            stats.add(CHECKS, 3);
            stats.add(UNEXPECTED_CHECKS, 1);
            for _ in 0..41 {
                rec.record(SEND_RT, Duration::from_millis(2));
            }
        });
        assert_eq!(
            TransactionReport.line(&ring.window().unwrap()),
            "Current Time: 2026-11-18 11:06:41,000 | Send TPS:    40 | Max RT(ms):     2 | \
             AVG RT(ms): 2.0 | Send Failed: 1 | Check: 3 | UnexpectedCheck: 1 | DuplicatedCheck: 0"
        );
    }

    #[test]
    fn bodies_carry_the_decisions() {
        let args = TransactionProducerArgs {
            topic: "T".into(),
            threads: 1,
            size: 64,
            send_rollback: 0.0,
            send_unknown: 1.0,
            check_rollback: 0.0,
            check_unknown: 0.0,
            batch_id: None,
            interval_ms: 0,
            msg_trace: TraceArgs::default(),
            quantity: 0,
            acl: AclArgs::default(),
            common: CommonArgs::default(),
        };
        let b = body(&args, 7, 9, &mut Rng::seeded(1));
        assert_eq!(b.len(), 64);
        let meta = Meta::parse(&b).unwrap();
        assert_eq!((meta.batch_id, meta.number), (7, 9));
        assert_eq!(meta.send, LocalTransactionState::Unknown);
        assert!(
            meta.checks
                .iter()
                .all(|c| *c == LocalTransactionState::Commit)
        );
        assert!(Meta::parse(&b[..HEADER - 1]).is_none());
    }

    #[test]
    fn checker_flags_unexpected_and_duplicate_checks() {
        let checker = Checker {
            batch_id: 7,
            stats: OnceLock::new(),
            seen: Mutex::new(HashMap::new()),
        };
        let stats = Stats::new(&LAYOUT);
        checker.stats.set(Arc::clone(&stats)).unwrap();
        let mut args_body = vec![0u8; HEADER];
        args_body[..8].copy_from_slice(&7u64.to_be_bytes());
        args_body[16] = 2; // unknown at send
        args_body[17] = 2; // unknown at check 1
        args_body[18] = 1; // rollback at check 2
        let mut stored = StoredMessage {
            message: Message::new("T", args_body.clone()),
            ..StoredMessage::default()
        };
        stored
            .message
            .properties_mut()
            .insert(property::TRANSACTION_CHECK_TIMES, "1".to_owned());
        assert_eq!(checker.check(&stored), LocalTransactionState::Unknown);
        assert_eq!(checker.check(&stored), LocalTransactionState::Unknown);
        stored
            .message
            .properties_mut()
            .insert(property::TRANSACTION_CHECK_TIMES, "2".to_owned());
        assert_eq!(checker.check(&stored), LocalTransactionState::Rollback);
        assert_eq!(stats.counter(CHECKS), 3);
        assert_eq!(stats.counter(DUPLICATED_CHECKS), 1);
        assert_eq!(stats.counter(UNEXPECTED_CHECKS), 0);
        // A committed-at-send message should never be checked.
        args_body[16] = 0;
        stored.message = Message::new("T", args_body);
        stored
            .message
            .properties_mut()
            .insert(property::TRANSACTION_CHECK_TIMES, "1".to_owned());
        assert_eq!(checker.check(&stored), LocalTransactionState::Commit);
        assert_eq!(stats.counter(UNEXPECTED_CHECKS), 1);
    }
}
