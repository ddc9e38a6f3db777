//! The run: when workers may send (quantity, duration, rate, warm-up, Ctrl-C), the
//! once-a-second sampling behind the periodic lines and the live bar, and the summary at
//! the end.
//!
//! A mode builds a [`RunSpec`], calls [`Run::start`], spreads [`Pacer`] clones over its
//! workers (each loops on [`Pacer::next`]), waits for them and calls [`Run::finish`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::cli::CommonArgs;
use crate::report::{Display, Report};
use crate::stats::{Layout, Ring, Stats, new_histogram};
use crate::summary::{CpuSample, Parts, Summary};
use crate::target::Target;

/// Snapshots kept for the periodic lines (Java keeps ten one-second snapshots).
const RING: usize = 10;

/// What a mode tells the core about a run.
pub(crate) struct RunSpec {
    /// The mode's name, as on the command line.
    pub(crate) mode: &'static str,
    /// Its counters and latency series.
    pub(crate) layout: &'static Layout,
    /// The counter of messages: progress, live TPS and CPU per message use it.
    pub(crate) main_counter: usize,
    /// The series the live bar shows p50/p99 of.
    pub(crate) main_series: usize,
    /// How many [`Pacer::next`] permits the run grants after warm-up (`-q`; 0 = no bound).
    pub(crate) quantity: u64,
    /// The flags, for the JSON summary (`serde_json::to_value(&args)`).
    pub(crate) config: serde_json::Value,
    /// How the mode words its lines.
    pub(crate) report: Box<dyn Report>,
}

/// State shared by the pacers and the reporter.
#[derive(Debug)]
struct Control {
    quantity: u64,
    /// Seconds per permit when a rate is set.
    interval: Option<Duration>,
    /// Base for the rate schedule.
    origin: Instant,
    /// Nanoseconds after `origin` at which permit 0 of the current phase was due.
    phase_start_ns: AtomicU64,
    /// Permits granted in the current phase (warm-up, then measuring).
    issued: AtomicU64,
    measuring: AtomicBool,
    stop: watch::Sender<bool>,
}

/// A worker's handle on the run: asks for permission to send and sees the stop.
#[derive(Clone, Debug)]
pub(crate) struct Pacer {
    control: Arc<Control>,
    stopped: watch::Receiver<bool>,
}

impl Pacer {
    /// Waits for the next permit: `false` once the run is over (quantity granted, duration
    /// elapsed, Ctrl-C, or [`stop`](Self::stop)). With `--rate`, permits are spaced evenly
    /// over time across all workers.
    pub(crate) async fn next(&self) -> bool {
        let c = &*self.control;
        if self.is_stopped() {
            return false;
        }
        let n = c.issued.fetch_add(1, Ordering::Relaxed);
        if c.quantity > 0 && c.measuring.load(Ordering::Relaxed) && n >= c.quantity {
            return false;
        }
        if let Some(interval) = c.interval {
            let start = Duration::from_nanos(c.phase_start_ns.load(Ordering::Relaxed));
            let due = c.origin + start + interval.mul_f64(n as f64);
            if due > Instant::now() {
                let mut stopped = self.stopped.clone();
                tokio::select! {
                    () = tokio::time::sleep_until(due.into()) => {}
                    _ = stopped.wait_for(|s| *s) => return false,
                }
            }
        }
        true
    }

    /// Whether the run is over.
    pub(crate) fn is_stopped(&self) -> bool {
        *self.stopped.borrow()
    }

    /// Resolves once the run is over.
    pub(crate) async fn stopped(&self) {
        let mut rx = self.stopped.clone();
        let _ = rx.wait_for(|s| *s).await;
    }

    /// Sleeps for `period`, or less when the run ends first (the Java tools' pause after a
    /// failed send, or between sends).
    pub(crate) async fn pause(&self, period: Duration) {
        tokio::select! {
            () = tokio::time::sleep(period) => {}
            () = self.stopped() => {}
        }
    }

    /// Ends the run (e.g. a consumer that received what it waited for).
    pub(crate) fn stop(&self) {
        self.control.stop.send_replace(true);
    }

    /// Whether warm-up is over. An operation that starts during warm-up should not be
    /// counted even if it ends after (the counters are zeroed when warm-up ends, so
    /// counting its end alone would break `sent = acknowledged + failed`): read this when
    /// the operation starts and count nothing for it when `false`.
    pub(crate) fn is_measuring(&self) -> bool {
        self.control.measuring.load(Ordering::Acquire)
    }
}

/// What the reporter hands back at the end.
struct Gathered {
    ring: Ring,
    histograms: Vec<Histogram<u64>>,
    measured_from: Instant,
    cpu_from: CpuSample,
}

/// A run in progress.
pub(crate) struct Run {
    stats: Arc<Stats>,
    pacer: Pacer,
    spec_mode: &'static str,
    layout: &'static Layout,
    main_counter: usize,
    config: serde_json::Value,
    target: serde_json::Value,
    warmup: Duration,
    json: Option<std::path::PathBuf>,
    report: Arc<dyn Report>,
    display: Arc<Display>,
    done: Option<oneshot::Sender<()>>,
    reporter: JoinHandle<Gathered>,
}

impl Run {
    /// Starts the clock, the sampler and the display. Call inside the runtime.
    pub(crate) fn start(spec: RunSpec, common: &CommonArgs, target: &Target) -> Run {
        let stats = Stats::new(spec.layout);
        let (stop, stopped) = watch::channel(false);
        let warmup = common.warmup();
        let control = Arc::new(Control {
            quantity: spec.quantity,
            interval: common.rate.map(|r| Duration::from_secs_f64(1.0 / r)),
            origin: Instant::now(),
            phase_start_ns: AtomicU64::new(0),
            issued: AtomicU64::new(0),
            measuring: AtomicBool::new(warmup.is_zero()),
            stop,
        });
        let pacer = Pacer { control, stopped };
        let display = Arc::new(Display::new(spec.quantity, common.duration()));
        let report: Arc<dyn Report> = Arc::from(spec.report);
        let (done_tx, done_rx) = oneshot::channel();
        let reporter = tokio::spawn(reporter(Reporter {
            stats: Arc::clone(&stats),
            pacer: pacer.clone(),
            report: Arc::clone(&report),
            display: Arc::clone(&display),
            main_counter: spec.main_counter,
            main_series: spec.main_series,
            quantity: spec.quantity,
            warmup,
            duration: common.duration(),
            report_interval: common.report_interval(),
            done: done_rx,
        }));
        Run {
            stats,
            pacer,
            spec_mode: spec.mode,
            layout: spec.layout,
            main_counter: spec.main_counter,
            config: spec.config,
            target: target.describe(),
            warmup,
            json: common.json.clone(),
            report,
            display,
            done: Some(done_tx),
            reporter,
        }
    }

    /// The run's stats (give each worker its own [`Stats::recorder`]).
    pub(crate) fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// A pacer for a worker.
    pub(crate) fn pacer(&self) -> Pacer {
        self.pacer.clone()
    }

    /// Ends the run once the workers are done: takes the last snapshot, prints the
    /// complete line and the summary, writes the JSON file when asked, returns the summary.
    pub(crate) async fn finish(mut self) -> anyhow::Result<Summary> {
        self.pacer.stop();
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        let gathered = self.reporter.await?;
        let cpu_now = CpuSample::now();
        self.display.finish();
        let last = gathered
            .ring
            .last()
            .cloned()
            .unwrap_or_else(|| self.stats.snapshot());
        if let Some(line) = self.report.complete(gathered.ring.window().as_ref(), &last) {
            println!("{line}");
        }
        let summary = Summary::new(Parts {
            mode: self.spec_mode,
            layout: self.layout,
            main_counter: self.main_counter,
            target: self.target.clone(),
            config: self.config.clone(),
            warmup: self.warmup,
            elapsed: last.at.saturating_duration_since(gathered.measured_from),
            counters: &last.counters,
            histograms: &gathered.histograms,
            failures: self.stats.failures(),
            notes: self.stats.notes(),
            cpu: cpu_now.since(&gathered.cpu_from),
        });
        println!("{}", summary.human());
        if let Some(path) = &self.json {
            summary.write_json(path)?;
        }
        Ok(summary)
    }
}

struct Reporter {
    stats: Arc<Stats>,
    pacer: Pacer,
    report: Arc<dyn Report>,
    display: Arc<Display>,
    main_counter: usize,
    main_series: usize,
    quantity: u64,
    warmup: Duration,
    duration: Option<Duration>,
    report_interval: Duration,
    done: oneshot::Receiver<()>,
}

/// Samples once a second, prints lines or updates the bar, handles warm-up, the duration
/// bound and Ctrl-C; returns everything measured when told the run is done.
async fn reporter(mut r: Reporter) -> Gathered {
    let started = Instant::now();
    let mut measured_from = started;
    let mut cpu_from = CpuSample::now();
    let mut ring = Ring::new(RING);
    let mut histograms: Vec<Histogram<u64>> = r
        .stats
        .layout()
        .series
        .iter()
        .map(|_| new_histogram())
        .collect();
    let mut tick = tokio::time::interval_at(
        (started + Duration::from_secs(1)).into(),
        Duration::from_secs(1),
    );
    let mut print =
        tokio::time::interval_at((started + r.report_interval).into(), r.report_interval);
    let mut warming = !r.warmup.is_zero();
    let warm_end = tokio::time::sleep(r.warmup);
    tokio::pin!(warm_end);
    let mut deadline = r.duration.map(|d| started + r.warmup + d);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut ctrl_c_seen = false;
    // Workers may have recorded before this task first ran: the first snapshot's samples
    // count like any tick's (a snapshot takes them out of the workers' histograms).
    let first = r.stats.snapshot();
    if !warming {
        merge(&mut histograms, &first);
    }
    ring.push(first);
    loop {
        tokio::select! {
            _ = &mut r.done => break,
            _ = tick.tick() => {
                let snap = r.stats.snapshot();
                if !warming {
                    for (total, s) in histograms.iter_mut().zip(&snap.series) {
                        let _ = total.add(&s.interval);
                    }
                }
                ring.push(snap);
                update_display(&r, &ring, measured_from, deadline);
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    deadline = None;
                    r.pacer.stop();
                }
            }
            _ = print.tick(), if r.display.is_lines() && !warming => {
                if ring.is_full() && let Some(w) = ring.window() {
                    println!("{}", r.report.line(&w));
                }
            }
            () = &mut warm_end, if warming => {
                warming = false;
                r.stats.reset();
                ring.clear();
                let first = r.stats.snapshot();
                merge(&mut histograms, &first);
                ring.push(first);
                measured_from = Instant::now();
                cpu_from = CpuSample::now();
                let c = &r.pacer.control;
                c.phase_start_ns.store(
                    u64::try_from(measured_from.duration_since(c.origin).as_nanos()).unwrap_or(u64::MAX),
                    Ordering::Relaxed,
                );
                c.issued.store(0, Ordering::Relaxed);
                c.measuring.store(true, Ordering::Release);
            }
            res = &mut ctrl_c, if !ctrl_c_seen => {
                ctrl_c_seen = true;
                if res.is_ok() {
                    eprintln!("perf-tool: interrupted; finishing");
                    r.pacer.stop();
                }
            }
        }
    }
    // The final state, so the summary sees everything the workers recorded.
    let snap = r.stats.snapshot();
    if !warming {
        for (total, s) in histograms.iter_mut().zip(&snap.series) {
            let _ = total.add(&s.interval);
        }
    } else {
        // Stopped before warm-up ended: nothing was measured.
        measured_from = snap.at;
    }
    ring.push(snap);
    Gathered {
        ring,
        histograms,
        measured_from,
        cpu_from,
    }
}

/// Adds a snapshot's interval histograms to the run's totals.
fn merge(histograms: &mut [Histogram<u64>], snap: &crate::stats::Snapshot) {
    for (total, s) in histograms.iter_mut().zip(&snap.series) {
        // Auto-resizing: adding cannot fail.
        let _ = total.add(&s.interval);
    }
}

/// Puts the last second's figures on the bar.
fn update_display(r: &Reporter, ring: &Ring, measured_from: Instant, deadline: Option<Instant>) {
    if r.display.is_lines() {
        return;
    }
    let Some(last) = ring.last() else { return };
    let count = last.counters.get(r.main_counter).copied().unwrap_or(0);
    let position = if r.quantity > 0 {
        count
    } else if deadline.is_some() {
        u64::try_from(measured_from.elapsed().as_millis()).unwrap_or(u64::MAX)
    } else {
        count
    };
    let (tps, p50, p99) = match ring.len().checked_sub(2).and_then(|i| ring.nth(i)) {
        Some(prev) => {
            let dt = last
                .at
                .saturating_duration_since(prev.at)
                .as_secs_f64()
                .max(1e-3);
            let dc = count.saturating_sub(prev.counters.get(r.main_counter).copied().unwrap_or(0));
            let h = last.series.get(r.main_series).map(|s| &s.interval);
            (
                dc as f64 / dt,
                h.map_or(0, |h| h.value_at_quantile(0.5)),
                h.map_or(0, |h| h.value_at_quantile(0.99)),
            )
        }
        None => (0.0, 0, 0),
    };
    let failed: u64 = r.stats.failures().values().sum();
    r.display.update(
        position,
        format!(
            "{tps:.0}/s | p50 {:.3} ms | p99 {:.3} ms | failed {failed}",
            p50 as f64 / 1000.0,
            p99 as f64 / 1000.0
        ),
    );
}
