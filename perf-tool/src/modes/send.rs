//! What the producer-side modes share: building the producers (one per `--connections`),
//! the Java tools' compression flags, running the workers to the end of the run, sending
//! one message the way the sync workers do, classifying a send's outcome into counters,
//! and the figures of the Java producer tools' lines.

use std::time::{Duration, Instant};

use clap::Args;
use rocketmq::producer::{Producer, ProducerBuilder, SendResult, SendStatus, TransactionProducer};
use rocketmq::protocol::SerializeType;
use rocketmq::protocol::message::{CompressionType, Message};
use serde::Serialize;

use crate::argv::Alias;
use crate::cli::{AclArgs, CommonArgs, java_bool};
use crate::report::whole_ms;
use crate::run::{Pacer, Run};
use crate::stats::{Layout, Recorder, Window};
use crate::target::Target;

/// How long a worker pauses after a failed send (the Java benchmark tools sleep 3 s).
pub(crate) const BACKOFF: Duration = Duration::from_secs(3);

/// The multi-letter short options of [`CompressArgs`].
pub(crate) const COMPRESS_ALIASES: &[Alias] = &[
    ("-ct", "--compressType"),
    ("-cl", "--compressLevel"),
    ("-ch", "--compressOverHowMuch"),
];

/// The Java tools' compression flags (`-c true -ct ZLIB -cl 5 -ch 4096`).
#[derive(Args, Clone, Debug, Serialize)]
pub(crate) struct CompressArgs {
    /// Compress bodies over the threshold (`true`/`false`); off, nothing is compressed.
    #[arg(short = 'c', long = "compressEnable", value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true", default_value = "false", value_parser = java_bool)]
    pub(crate) compress_enable: bool,
    /// Compression algorithm: ZLIB, LZ4 or ZSTD.
    #[arg(long = "compressType", value_name = "TYPE", default_value = "ZLIB")]
    pub(crate) compress_type: String,
    /// Compression level.
    #[arg(long = "compressLevel", value_name = "LEVEL", default_value_t = 5)]
    pub(crate) compress_level: i32,
    /// Compress bodies of at least this many bytes.
    #[arg(
        long = "compressOverHowMuch",
        value_name = "BYTES",
        default_value_t = 4096
    )]
    pub(crate) compress_over: usize,
}

impl CompressArgs {
    /// Applies the flags to a producer builder (off: threshold beyond any body, as Java
    /// sets `Integer.MAX_VALUE`).
    fn apply<M>(&self, builder: ProducerBuilder<M>) -> anyhow::Result<ProducerBuilder<M>> {
        if !self.compress_enable {
            return Ok(builder.compress_threshold(usize::MAX));
        }
        let kind = CompressionType::from_name(self.compress_type.trim()).ok_or_else(|| {
            anyhow::anyhow!(
                "-ct/--compressType: unknown type {:?} (ZLIB, LZ4 or ZSTD)",
                self.compress_type
            )
        })?;
        Ok(builder
            .compression(kind)
            .compress_level(self.compress_level)
            .compress_threshold(self.compress_over))
    }
}

/// Automatic batching of the SDK producer (no Java tool flag: Java's `setAutoBatch`).
#[derive(Args, Clone, Debug, Default, Serialize)]
pub(crate) struct AutoBatchArgs {
    /// Let the producer gather sends into batch requests (`true`/`false`).
    #[arg(long = "auto-batch", value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true", default_value = "false", value_parser = java_bool)]
    pub(crate) auto_batch: bool,
    /// Longest a message waits for its batch, in milliseconds (with --auto-batch).
    #[arg(long = "batch-max-delay-ms", value_name = "MS", default_value_t = 10)]
    pub(crate) max_delay_ms: u64,
}

impl AutoBatchArgs {
    fn apply<M>(&self, builder: ProducerBuilder<M>) -> ProducerBuilder<M> {
        if self.auto_batch {
            builder.batch_max_delay(Duration::from_millis(self.max_delay_ms))
        } else {
            builder
        }
    }
}

/// Applies the shared producer settings (name server, group, instance, compression).
pub(crate) fn configure<M>(
    builder: ProducerBuilder<M>,
    target: &Target,
    group: &str,
    index: usize,
    compress: Option<&CompressArgs>,
) -> anyhow::Result<ProducerBuilder<M>> {
    let builder = builder
        .namesrv_addr(target.namesrv())
        .group(group)
        // Java's benchmark tools set the ROCKETMQ binary header encoding.
        .serialize_type(SerializeType::RocketMq)
        // One client instance per connection: distinct instance names.
        .instance_name(format!("perf-tool-{}-{index}", std::process::id()));
    match compress {
        Some(c) => c.apply(builder),
        None => Ok(builder),
    }
}

/// Builds `--connections` plain producers (signing with `-a true`'s credentials, batching
/// with `--auto-batch`); when one
/// cannot start, those already started are closed.
pub(crate) async fn producers(
    common: &CommonArgs,
    acl: &AclArgs,
    target: &Target,
    group: &str,
    compress: Option<&CompressArgs>,
    batching: Option<&AutoBatchArgs>,
) -> anyhow::Result<Vec<Producer>> {
    let mut out = Vec::with_capacity(common.connections);
    for i in 0..common.connections {
        let mut builder = configure(Producer::builder(), target, group, i, compress)?;
        if let Some(batching) = batching {
            builder = batching.apply(builder);
        }
        if let Some(credentials) = acl.credentials() {
            builder = builder.credentials(credentials);
        }
        match builder.build().await {
            Ok(p) => out.push(p),
            Err(e) => {
                for p in &out {
                    p.close().await;
                }
                anyhow::bail!("cannot start producer: {e}");
            }
        }
    }
    Ok(out)
}

/// A client the workers of a producer-side mode share out.
pub(crate) trait Client: Clone + Send + 'static {
    /// The plain producer underneath, closed at the end of the run.
    fn producer(&self) -> &Producer;
}

impl Client for Producer {
    fn producer(&self) -> &Producer {
        self
    }
}

impl Client for TransactionProducer {
    fn producer(&self) -> &Producer {
        TransactionProducer::producer(self)
    }
}

/// Runs a producer-side mode to its end: spawns `workers` tasks made by `worker` (worker
/// `i` gets client `i % clients.len()` and a pacer and a recorder of its own), waits for
/// them, finishes the run (complete line, summary, JSON), closes the clients and stops the
/// target. A worker's error (the last one) is returned after all that.
pub(crate) async fn drive<C, F>(
    run: Run,
    clients: Vec<C>,
    target: Target,
    workers: usize,
    mut worker: impl FnMut(usize, C, Pacer, Recorder) -> F,
) -> anyhow::Result<()>
where
    C: Client,
    F: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    // Workers that all run on one thread share one recorder: its histogram stays in the
    // cache between their sends, where one histogram each would cost a cache miss per
    // recorded latency. On more threads each worker has its own, so none waits for a lock.
    let one_thread = tokio::runtime::Handle::current().runtime_flavor()
        == tokio::runtime::RuntimeFlavor::CurrentThread;
    let shared = one_thread.then(|| run.stats().recorder());
    let mut tasks = Vec::with_capacity(workers);
    for i in 0..workers {
        let client = clients[i % clients.len()].clone();
        let recorder = match &shared {
            Some(recorder) => recorder.clone(),
            None => run.stats().recorder(),
        };
        tasks.push(tokio::spawn(worker(i, client, run.pacer(), recorder)));
    }
    let mut failed = None;
    for task in tasks {
        if let Err(e) = task.await? {
            failed = Some(e);
        }
    }
    let summary = run.finish().await;
    for c in &clients {
        c.producer().close().await;
    }
    target.shutdown().await;
    if let Some(e) = failed {
        return Err(e);
    }
    summary.map(|_| ())
}

/// Sends `msg` and waits for the outcome, as a sync worker does. When `measured` (the send
/// starts after warm-up) it counts as sent and its outcome is recorded; after a failure
/// the worker pauses `backoff` (cut short when the run ends). Returns whether the broker
/// stored the message.
#[inline]
pub(crate) async fn send_one(
    producer: &Producer,
    msg: Message,
    measured: bool,
    recorder: &Recorder,
    pacer: &Pacer,
    backoff: Duration,
) -> bool {
    if measured {
        recorder.stats().add(counter::SENT, 1);
    }
    let began = Instant::now();
    let outcome = producer.send(msg).await;
    let failed = match measured {
        true => record_send(recorder, began.elapsed(), &outcome),
        false => outcome.is_err(),
    };
    if failed {
        pacer.pause(backoff).await;
    }
    !failed
}

/// Counters of the single-message producer modes, in [`PRODUCER_LAYOUT`] order.
pub(crate) mod counter {
    /// Sends started.
    pub(crate) const SENT: usize = 0;
    /// Sends the broker stored (any send status).
    pub(crate) const ACKNOWLEDGED: usize = 1;
    /// Sends that failed, whatever the cause.
    pub(crate) const FAILED: usize = 2;
    /// Failures on the client side or in transport (Java's "Send Failed").
    pub(crate) const SEND_FAILED: usize = 3;
    /// Failures the broker answered with a response code (Java's "Response Failed").
    pub(crate) const RESPONSE_FAILED: usize = 4;
}

/// The latency series of the producer modes.
pub(crate) const SEND_SERIES: usize = 0;

/// Counters and series of the single-message producer modes.
pub(crate) static PRODUCER_LAYOUT: Layout = Layout {
    counters: &[
        "sent",
        "acknowledged",
        "failed",
        "send_failed",
        "response_failed",
    ],
    series: &["send"],
};

/// Records a send's outcome: acknowledged with its latency, or failed by cause. Returns
/// whether it failed, so callers can back off as the Java tools do.
#[inline]
pub(crate) fn record_send(
    recorder: &Recorder,
    latency: Duration,
    outcome: &rocketmq::Result<SendResult>,
) -> bool {
    let stats = recorder.stats();
    match outcome {
        Ok(result) => {
            recorder.record(SEND_SERIES, latency);
            stats.add(counter::ACKNOWLEDGED, 1);
            if result.status != SendStatus::SendOk {
                stats.note(&format!("send status {:?}", result.status));
            }
            false
        }
        Err(e) => {
            record_failure(recorder, e);
            true
        }
    }
}

/// Counts a failed send by its cause.
pub(crate) fn record_failure(recorder: &Recorder, error: &rocketmq::Error) {
    let stats = recorder.stats();
    let kind = stats.fail(error);
    stats.add(counter::FAILED, 1);
    stats.add(
        if kind.is_response() {
            counter::RESPONSE_FAILED
        } else {
            counter::SEND_FAILED
        },
        1,
    );
}

/// The figures of the Java producer tools' lines over a window: acknowledged sends per
/// second, the largest and the average send time since the start, and the failures.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SendFigures {
    /// Acknowledged sends per second.
    pub(crate) tps: u64,
    /// The largest send time since the start, whole ms.
    pub(crate) max_ms: u64,
    /// The window's average send time, ms.
    pub(crate) avg_ms: f64,
    /// Client-side or transport failures so far (Java's "Send Failed").
    pub(crate) send_failed: u64,
    /// Failures the broker answered so far (Java's "Response Failed").
    pub(crate) response_failed: u64,
}

impl SendFigures {
    /// The figures of `w`, a window over [`PRODUCER_LAYOUT`] stats.
    pub(crate) fn of(w: &Window<'_>) -> SendFigures {
        SendFigures {
            tps: w.rate(counter::ACKNOWLEDGED),
            max_ms: whole_ms(w.max_total_us(SEND_SERIES)),
            avg_ms: w.avg_ms(SEND_SERIES),
            send_failed: w.total(counter::SEND_FAILED),
            response_failed: w.total(counter::RESPONSE_FAILED),
        }
    }
}
