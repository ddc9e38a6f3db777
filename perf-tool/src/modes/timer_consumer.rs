//! `perf-tool timer-consumer`: Java's 5.x benchmark `timer/TimerConsumer`, on the SDK's
//! push consumer.
//!
//! For every timer message consumed it measures the delayed duration: the consume time
//! minus the time the message was meant to be delivered. That time comes from the user
//! property `MY_RECORD_TIMER_DELIVER_MS`, which Java's `TimerProducer` (and perf-tool's
//! `timer-producer`) set next to the system property `TIMER_DELIVER_MS`; messages
//! without it fall back to the broker's `TIMER_OUT_MS` (the delivery time the timer wheel
//! scheduled, rounded to its precision), then to `TIMER_DELIVER_MS`.
//!
//! The periodic line is Java's: TPS and the average over the last ten one-second samples;
//! the maximum and the percentiles over everything since the start (Java keeps a sorted
//! set of the distinct durations, so its percentiles weigh each distinct value once;
//! perf-tool's are HDR percentiles of every message). Messages delivered before their
//! time count as `early` (their duration as 0); messages with none of the properties
//! count as `no_deliver_time` and are not measured.

use std::sync::{Arc, Mutex, PoisonError};

use clap::Args;
use hdrhistogram::Histogram;
use rocketmq::consumer::{ConsumeStatus, Expression, ReceivedMessage};
use serde::Serialize;

use super::consuming::{
    ConsumerSetup, Sink, StartAt, Tally, consume, now_millis, refuse_producer_flags, span_us,
};
use crate::cli::{AclArgs, CommonArgs};
use crate::report::{Report, whole_ms};
use crate::run::RunSpec;
use crate::stats::{Layout, Window, new_histogram};
use crate::target::Target;

/// The user property Java's `TimerProducer` records the intended delivery time in.
pub(crate) const RECORD_DELIVER_MS: &str = "MY_RECORD_TIMER_DELIVER_MS";
/// The broker's scheduled delivery time of a timer message (5.x).
const TIMER_OUT_MS: &str = "TIMER_OUT_MS";
/// The delivery time a 5.x producer asks for.
const TIMER_DELIVER_MS: &str = "TIMER_DELIVER_MS";

/// Counters of `perf-tool timer-consumer`, in [`TIMER_LAYOUT`] order.
mod counter {
    /// Messages handed to the listener.
    pub(super) const CONSUMED: usize = 0;
    /// Of those, consumed before their delivery time.
    pub(super) const EARLY: usize = 1;
    /// Of those, without any delivery-time property (not measured).
    pub(super) const NO_DELIVER_TIME: usize = 2;
}

/// Delayed-duration series.
const DELAYED: usize = 0;

static TIMER_LAYOUT: Layout = Layout {
    counters: &["consumed", "early", "no_deliver_time"],
    series: &["delayed"],
};

/// Flags of `perf-tool timer-consumer` (Java's `timer.TimerConsumer`: `-n` and `-t`; the
/// rest are perf-tool's).
#[derive(Args, Clone, Debug, Serialize)]
pub(crate) struct TimerConsumerArgs {
    /// Topic to consume.
    #[arg(short = 't', long = "topic", default_value = "BenchmarkTest")]
    pub(crate) topic: String,
    /// Consumer group (Java's tool always uses `benchmark_consumer`).
    #[arg(short = 'g', long = "group", default_value = "benchmark_consumer")]
    pub(crate) group: String,
    /// Listener calls in flight at once.
    #[arg(short = 'w', long = "threadCount", default_value_t = 20)]
    pub(crate) threads: usize,
    /// Stop after this many messages (0: until --duration or Ctrl-C).
    #[arg(short = 'q', long = "messageQuantity", default_value_t = 0)]
    pub(crate) quantity: u64,
    /// Where a new group starts: `last` (Java's default) or `first`.
    #[arg(long = "consumeFrom", value_enum, default_value_t = StartAt::Last)]
    pub(crate) from: StartAt,
    #[command(flatten)]
    pub(crate) acl: AclArgs,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

/// When `message` was meant to be delivered, ms since the epoch.
/// `property` looks a property up by name.
fn deliver_time<'a>(property: impl Fn(&str) -> Option<&'a str>) -> Option<i64> {
    [RECORD_DELIVER_MS, TIMER_OUT_MS, TIMER_DELIVER_MS]
        .iter()
        .find_map(|key| property(key)?.trim().parse::<i64>().ok())
}

/// Delayed durations since the start, for the percentiles of the periodic line.
type Cumulative = Arc<Mutex<Histogram<u64>>>;

/// What the listener counts into, once the run has started.
struct Delays {
    tally: Tally,
    cumulative: Cumulative,
}

impl Sink for Delays {
    fn consume(&self, messages: &[ReceivedMessage]) -> ConsumeStatus {
        let now = now_millis();
        let recorder = self.tally.recorders.pick();
        let mut early = 0;
        let mut unknown = 0;
        let mut spans = Vec::with_capacity(messages.len());
        for m in messages {
            match deliver_time(|key| m.property(key)) {
                Some(at) => {
                    if at > now {
                        early += 1;
                    }
                    let us = span_us(now, at);
                    recorder.record_us(DELAYED, us);
                    spans.push(us);
                }
                None => unknown += 1,
            }
        }
        // The core forgets what warm-up recorded; so does the line's cumulative view.
        if !spans.is_empty() && self.tally.is_measuring() {
            let mut h = self
                .cumulative
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for us in spans {
                // Auto-resizing: recording a u64 cannot fail.
                let _ = h.record(us.max(1));
            }
        }
        let stats = &self.tally.stats;
        stats.add(counter::EARLY, early);
        stats.add(counter::NO_DELIVER_TIME, unknown);
        self.tally
            .consumed(counter::CONSUMED, messages.len() as u64);
        ConsumeStatus::Success
    }
}

/// Java's timer consumer line.
struct TimerReport {
    cumulative: Cumulative,
}

impl Report for TimerReport {
    fn line(&self, w: &Window<'_>) -> String {
        let tps = w.rate(counter::CONSUMED);
        let avg = w.avg_ms(DELAYED);
        let h = self
            .cumulative
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if h.is_empty() {
            return format!(
                "Consume TPS: {tps}, Avg delayedDuration: {avg:7.3}, Max delayedDuration: 0, "
            );
        }
        let q = |quantile: f64| whole_ms(h.value_at_quantile(quantile));
        format!(
            "Consume TPS: {tps}, Avg delayedDuration: {avg:7.3}, Max delayedDuration: {}, delayDuration %25: {}, %50: {}; %80: {}; %90: {}; %99: {}; %99.9: {}",
            whole_ms(h.max()),
            q(0.25),
            q(0.5),
            q(0.8),
            q(0.9),
            q(0.99),
            q(0.999),
        )
    }
}

/// Runs `perf-tool timer-consumer`.
pub(crate) async fn run(args: TimerConsumerArgs) -> anyhow::Result<()> {
    args.common.validate()?;
    refuse_producer_flags(&args.common)?;
    anyhow::ensure!(args.threads >= 1, "-w/--threadCount must be at least 1");
    let target = Target::resolve(args.common.namesrv.as_deref()).await?;
    println!(
        "namesrvAddr: {}, topic: {}",
        target.namesrv(),
        args.topic.trim()
    );
    let result = measure(&args, &target).await;
    target.shutdown().await;
    result
}

/// Consumes from the moment the group's consumers start to the summary.
async fn measure(args: &TimerConsumerArgs, target: &Target) -> anyhow::Result<()> {
    let setup = ConsumerSetup {
        target,
        acl: &args.acl,
        group: args.group.trim(),
        topic: args.topic.trim(),
        expression: Expression::all(),
        threads: args.threads,
        batch: 1,
        from: args.from.sdk(),
        connections: args.common.connections,
    };
    let cumulative: Cumulative = Arc::new(Mutex::new(new_histogram()));
    let spec = RunSpec {
        mode: "timer-consumer",
        layout: &TIMER_LAYOUT,
        main_counter: counter::CONSUMED,
        main_series: DELAYED,
        quantity: args.quantity,
        config: serde_json::to_value(args)?,
        report: Box::new(TimerReport {
            cumulative: Arc::clone(&cumulative),
        }),
    };
    consume(
        setup,
        "Start receiving messages",
        &args.common,
        spec,
        |run| Delays {
            tally: Tally::new(run, args.threads, args.quantity),
            cumulative,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Stats;

    fn lookup<'a>(props: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |key| props.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    #[test]
    fn deliver_time_prefers_the_recorded_property() {
        let all = [
            (TIMER_DELIVER_MS, "3"),
            (TIMER_OUT_MS, "2"),
            (RECORD_DELIVER_MS, "1"),
        ];
        assert_eq!(deliver_time(lookup(&all)), Some(1));
        assert_eq!(deliver_time(lookup(&all[..2])), Some(2));
        assert_eq!(deliver_time(lookup(&all[..1])), Some(3));
        assert_eq!(deliver_time(lookup(&[])), None);
        // Garbage in the first falls back to the next.
        let odd = [(RECORD_DELIVER_MS, "soon"), (TIMER_OUT_MS, " 5 ")];
        assert_eq!(deliver_time(lookup(&odd)), Some(5));
    }

    #[test]
    fn line_has_java_layout() {
        use crate::stats::Ring;
        let stats = Stats::new(&TIMER_LAYOUT);
        let rec = stats.recorder();
        let cumulative: Cumulative = Arc::new(Mutex::new(new_histogram()));
        let report = TimerReport {
            cumulative: Arc::clone(&cumulative),
        };
        let mut ring = Ring::new(10);
        ring.push(stats.snapshot());
        ring.push(stats.snapshot());
        let empty = report.line(&ring.window().unwrap());
        assert!(
            empty.starts_with(
                "Consume TPS: 0, Avg delayedDuration:     NaN, Max delayedDuration: 0, "
            ),
            "{empty}"
        );
        for ms in 1..=100u64 {
            rec.record_us(DELAYED, ms * 1000);
            cumulative.lock().unwrap().record(ms * 1000).unwrap();
        }
        stats.add(counter::CONSUMED, 100);
        ring.push(stats.snapshot());
        let line = report.line(&ring.window().unwrap());
        let tail = line.split_once("Avg delayedDuration:").unwrap().1;
        assert!(
            tail.starts_with("  50.500, Max delayedDuration: 100, delayDuration %25: 25, %50: 50; %80: 80; %90: 90; %99: 99; %99.9: 100"),
            "{line}"
        );
    }
}
