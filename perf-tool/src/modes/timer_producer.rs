//! `perf-tool timer-producer`: Java 5.x's benchmark `timer.TimerProducer` on the SDK's
//! [`Producer`]: every worker sends `slotsTotal x msgsTotalPerSlotThread` timer messages
//! whose delivery times fall on `slotsTotal` slots `slotDis` ms apart, the first slot two
//! minutes from now (rounded down to `precisionMs`), as Java does. Each message carries
//! its intended delivery time in the user property `MY_RECORD_TIMER_DELIVER_MS` too, so
//! `perf-tool timer-consumer` can measure how late it arrives.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use rocketmq::producer::Producer;
use rocketmq::protocol::message::Message;
use serde::Serialize;

use super::send::{
    BACKOFF, PRODUCER_LAYOUT, SEND_SERIES, SendFigures, counter, drive, producers, send_one,
};
use crate::argv::Alias;
use crate::cli::{AclArgs, CommonArgs};
use crate::report::Report;
use crate::run::{Pacer, Run, RunSpec};
use crate::stats::{Recorder, Window};
use crate::target::Target;

/// Java's producer group for this tool.
const GROUP: &str = "benchmark_producer";
/// The user property with the intended delivery time, epoch ms.
pub(crate) const RECORD_PROPERTY: &str = "MY_RECORD_TIMER_DELIVER_MS";

/// Multi-letter short options of this mode (beyond the shared ones).
pub(crate) const ALIASES: &[Alias] = &[
    ("-tc", "--threadCount"),
    ("-ms", "--messageSize"),
    ("-st", "--slotsTotal"),
    ("-mt", "--msgsTotalPerSlotThread"),
    ("-sd", "--slotDis"),
];

/// Flags of `perf-tool timer-producer` (Java's `benchmark.timer.TimerProducer`).
#[derive(Args, Clone, Debug, Serialize)]
pub(crate) struct TimerProducerArgs {
    /// Topic to send to.
    #[arg(short = 't', long = "topic", default_value = "BenchmarkTest")]
    pub(crate) topic: String,
    /// Sending workers (`-tc`).
    #[arg(long = "threadCount", default_value_t = 16)]
    pub(crate) threads: usize,
    /// Body size in bytes (`-ms`; ignored with --body-file).
    #[arg(long = "messageSize", default_value_t = 1024)]
    pub(crate) size: usize,
    /// The timer's precision: the first slot is rounded down to a multiple of it, ms.
    #[arg(short = 'p', long = "precisionMs", default_value_t = 1000)]
    pub(crate) precision_ms: u64,
    /// Delivery slots (`-st`).
    #[arg(long = "slotsTotal", default_value_t = 100)]
    pub(crate) slots: u64,
    /// Messages per slot and worker (`-mt`).
    #[arg(long = "msgsTotalPerSlotThread", default_value_t = 5000)]
    pub(crate) per_slot: u64,
    /// Distance between two slots, ms (`-sd`).
    #[arg(long = "slotDis", default_value_t = 1000)]
    pub(crate) slot_distance_ms: u64,
    /// How far ahead the first slot lies, ms (Java: two minutes; lower it to see
    /// deliveries in a short run).
    #[arg(long = "start-delay-ms", default_value_t = 120_000)]
    pub(crate) start_delay_ms: u64,
    /// Messages to send in all (default: workers x slots x messages per slot, as Java).
    #[arg(short = 'q', long = "messageQuantity")]
    pub(crate) quantity: Option<u64>,
    #[command(flatten)]
    pub(crate) acl: AclArgs,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

/// Delivery times: slot `n % slots` of the schedule.
#[derive(Clone, Debug)]
struct Schedule {
    template: Message,
    first_ms: u64,
    slots: u64,
    distance_ms: u64,
}

impl Schedule {
    fn message(&self, n: u64) -> anyhow::Result<Message> {
        let at = self.first_ms + (n % self.slots) * self.distance_ms;
        let mut msg = self.template.clone();
        msg.put_user_property(RECORD_PROPERTY, at.to_string())?;
        msg.set_deliver_time(UNIX_EPOCH + Duration::from_millis(at));
        Ok(msg)
    }
}

/// Runs the mode.
pub(crate) async fn run(args: TimerProducerArgs) -> anyhow::Result<()> {
    args.common.validate()?;
    anyhow::ensure!(args.threads >= 1, "-tc/--threadCount must be at least 1");
    anyhow::ensure!(args.slots >= 1, "-st/--slotsTotal must be at least 1");
    anyhow::ensure!(
        args.precision_ms >= 1,
        "-p/--precisionMs must be at least 1"
    );
    anyhow::ensure!(!args.topic.trim().is_empty(), "-t/--topic is empty");
    let quantity = args.quantity.unwrap_or(
        (args.threads as u64)
            .saturating_mul(args.slots)
            .saturating_mul(args.per_slot),
    );
    let now_ms = u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_millis(),
    )
    .unwrap_or(0);
    let body = args
        .common
        .body_file
        .is_some()
        .then(|| args.common.body(0))
        .transpose()?;
    let body = body.unwrap_or_else(|| vec![b'a'; args.size.max(1)].into());
    let schedule = Schedule {
        template: Message::new(args.topic.trim(), body),
        first_ms: now_ms / args.precision_ms * args.precision_ms + args.start_delay_ms + 10,
        slots: args.slots,
        distance_ms: args.slot_distance_ms,
    };
    let target = Target::resolve(args.common.namesrv.as_deref()).await?;
    let producers = producers(&args.common, &args.acl, &target, GROUP, None, None).await?;
    eprintln!(
        "perf-tool timer-producer: topic {}, {} worker(s), {} messages over {} slots {} ms apart from +{} ms",
        args.topic, args.threads, quantity, args.slots, args.slot_distance_ms, args.start_delay_ms
    );
    let run = Run::start(
        RunSpec {
            mode: "timer-producer",
            layout: &PRODUCER_LAYOUT,
            main_counter: counter::ACKNOWLEDGED,
            main_series: SEND_SERIES,
            quantity,
            config: serde_json::to_value(&args)?,
            report: Box::new(TimerReport),
        },
        &args.common,
        &target,
    );
    let sequence = Arc::new(AtomicU64::new(0));
    drive(
        run,
        producers,
        target,
        args.threads,
        |_, producer, pacer, recorder| {
            worker(
                producer,
                schedule.clone(),
                pacer,
                recorder,
                Arc::clone(&sequence),
            )
        },
    )
    .await
}

async fn worker(
    producer: Producer,
    schedule: Schedule,
    pacer: Pacer,
    recorder: Recorder,
    sequence: Arc<AtomicU64>,
) -> anyhow::Result<()> {
    while pacer.next().await {
        let n = sequence.fetch_add(1, Ordering::Relaxed);
        let msg = schedule.message(n)?;
        let measured = pacer.is_measuring();
        send_one(&producer, msg, measured, &recorder, &pacer, BACKOFF).await;
    }
    Ok(())
}

/// Java 5.x `TimerProducer` lines (no time stamp, no complete line).
#[derive(Debug)]
struct TimerReport;

impl Report for TimerReport {
    fn line(&self, w: &Window<'_>) -> String {
        let f = SendFigures::of(w);
        format!(
            "Send TPS: {}, Max RT: {}, Average RT: {:7.3}, Send Failed: {}, Response Failed: {}",
            f.tps, f.max_ms, f.avg_ms, f.send_failed, f.response_failed,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::stats::{Stats, test_ring};

    #[test]
    fn lines_have_the_java_5_layout() {
        let stats = Stats::new(&PRODUCER_LAYOUT);
        let rec = stats.recorder();
        let ring = test_ring(&stats, || {
            stats.add(counter::ACKNOWLEDGED, 300);
            rec.record(SEND_SERIES, Duration::from_micros(1250));
        });
        assert_eq!(
            TimerReport.line(&ring.window().unwrap()),
            "Send TPS: 300, Max RT: 1, Average RT:   1.250, Send Failed: 0, Response Failed: 0"
        );
    }

    #[test]
    fn deliveries_fall_on_the_slots() {
        let schedule = Schedule {
            template: Message::new("T", "x"),
            first_ms: 10_000,
            slots: 3,
            distance_ms: 500,
        };
        let at = |n| {
            schedule
                .message(n)
                .unwrap()
                .user_property(RECORD_PROPERTY)
                .map(str::to_owned)
        };
        assert_eq!(at(0).as_deref(), Some("10000"));
        assert_eq!(at(2).as_deref(), Some("11000"));
        assert_eq!(at(3).as_deref(), Some("10000"));
    }
}
