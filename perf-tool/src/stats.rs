//! Measurement: named counters (atomics), latency series (an HDR histogram per worker,
//! merged once a second), failures by response code, and the ring of one-second
//! snapshots the Java tools compute their periodic lines from.
//!
//! Hot path: a worker owns a [`Recorder`]; recording a latency locks the worker's own
//! mutex (uncontended except during the once-a-second merge) and counts into its
//! histogram; counters are relaxed atomic adds.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use hdrhistogram::Histogram;
use rocketmq::Error;

/// What a mode measures: the names of its counters and of its latency series. Counters
/// and series are addressed by their index in these lists (modes define constants).
#[derive(Debug)]
pub(crate) struct Layout {
    /// Counter names, as they appear in the JSON summary's `totals`.
    pub(crate) counters: &'static [&'static str],
    /// Latency series names, as they appear in the JSON summary's `latency_ms`.
    pub(crate) series: &'static [&'static str],
}

/// A new empty histogram of microseconds (auto-resizing, 3 significant digits).
#[allow(clippy::expect_used)] // a constant precision in 0..=5 is always accepted
pub(crate) fn new_histogram() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant figures is a valid precision")
}

/// One worker's latency data for one series.
#[derive(Debug)]
struct WorkerSeries {
    interval: Histogram<u64>,
    count: u64,
    sum_us: u64,
    max_us: u64,
    interval_max_us: u64,
}

/// The shared measurement state of one run.
#[derive(Debug)]
pub(crate) struct Stats {
    layout: &'static Layout,
    counters: Box<[AtomicU64]>,
    workers: Mutex<Vec<Arc<Mutex<Vec<WorkerSeries>>>>>,
    failures: Mutex<BTreeMap<FailureKind, u64>>,
    notes: Mutex<BTreeMap<String, u64>>,
}

/// How a failure is classified: a broker's response code, or a client-side cause.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct FailureKind {
    /// The broker's response code, when the broker answered.
    pub(crate) code: Option<i32>,
    /// The Java name of the code, or the client-side cause (`timeout`, `connection_closed`, ...).
    pub(crate) name: String,
}

impl FailureKind {
    /// Classifies an SDK error.
    pub(crate) fn of(error: &Error) -> FailureKind {
        let (code, name) = match error {
            Error::Broker { code, .. } => (
                Some(code.0),
                code.name()
                    .map_or_else(|| format!("CODE_{}", code.0), str::to_owned),
            ),
            Error::Timeout { .. } => (None, "timeout".to_owned()),
            Error::ConnectionClosed { .. } => (None, "connection_closed".to_owned()),
            Error::Connect { .. } => (None, "connect".to_owned()),
            Error::TooManyRequests { .. } => (None, "too_many_requests".to_owned()),
            Error::NoRoute { .. } => (None, "no_route".to_owned()),
            Error::Shutdown => (None, "shutdown".to_owned()),
            Error::Io(_) => (None, "io".to_owned()),
            Error::TooLarge { .. } => (None, "too_large".to_owned()),
            Error::Config(_) => (None, "config".to_owned()),
            Error::Compression(_) => (None, "compression".to_owned()),
            _ => (None, "other".to_owned()),
        };
        FailureKind { code, name }
    }

    /// Whether the broker answered (Java's "Response Failed") rather than the request
    /// failing on the client side ("Send Failed").
    pub(crate) fn is_response(&self) -> bool {
        self.code.is_some()
    }
}

impl Stats {
    /// Empty stats for `layout`.
    pub(crate) fn new(layout: &'static Layout) -> Arc<Stats> {
        Arc::new(Stats {
            layout,
            counters: layout.counters.iter().map(|_| AtomicU64::new(0)).collect(),
            workers: Mutex::new(Vec::new()),
            failures: Mutex::new(BTreeMap::new()),
            notes: Mutex::new(BTreeMap::new()),
        })
    }

    /// The layout these stats were made for.
    pub(crate) fn layout(&self) -> &'static Layout {
        self.layout
    }

    /// Adds `n` to counter `index`.
    #[inline]
    pub(crate) fn add(&self, index: usize, n: u64) {
        if let Some(c) = self.counters.get(index) {
            c.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// The current value of counter `index`.
    pub(crate) fn counter(&self, index: usize) -> u64 {
        self.counters
            .get(index)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Records a failure by its kind and returns the kind (so the mode can also count it
    /// as a send or response failure).
    pub(crate) fn fail(&self, error: &Error) -> FailureKind {
        let kind = FailureKind::of(error);
        let mut map = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        *map.entry(kind.clone()).or_insert(0) += 1;
        kind
    }

    /// Counts an outcome worth reporting that is not a failure (e.g. a send status other
    /// than `SEND_OK`), by label.
    pub(crate) fn note(&self, label: &str) {
        let mut map = self.notes.lock().unwrap_or_else(PoisonError::into_inner);
        match map.get_mut(label) {
            Some(n) => *n += 1,
            None => {
                map.insert(label.to_owned(), 1);
            }
        }
    }

    /// Failures so far, by kind.
    pub(crate) fn failures(&self) -> BTreeMap<FailureKind, u64> {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Notes so far, by label.
    pub(crate) fn notes(&self) -> BTreeMap<String, u64> {
        self.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Zeroes every counter, latency series and failure (the end of warm-up). Adds racing
    /// with the reset count toward what comes after it.
    pub(crate) fn reset(&self) {
        for c in self.counters.iter() {
            c.store(0, Ordering::Relaxed);
        }
        for worker in self.workers() {
            let mut w = worker.lock().unwrap_or_else(PoisonError::into_inner);
            for ws in w.iter_mut() {
                ws.interval.reset();
                ws.count = 0;
                ws.sum_us = 0;
                ws.max_us = 0;
                ws.interval_max_us = 0;
            }
        }
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// The workers' series, copied out so that none is locked while the list is.
    fn workers(&self) -> Vec<Arc<Mutex<Vec<WorkerSeries>>>> {
        self.workers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A recorder for one worker (one task); keep it for the worker's lifetime.
    pub(crate) fn recorder(self: &Arc<Self>) -> Recorder {
        let series = Arc::new(Mutex::new(
            self.layout
                .series
                .iter()
                .map(|_| WorkerSeries {
                    interval: new_histogram(),
                    count: 0,
                    sum_us: 0,
                    max_us: 0,
                    interval_max_us: 0,
                })
                .collect(),
        ));
        self.workers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::clone(&series));
        Recorder {
            stats: Arc::clone(self),
            series,
        }
    }

    /// Takes a snapshot: counters, and per series the cumulative count and sum plus the
    /// histogram of what was recorded since the previous snapshot.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let mut series: Vec<SeriesSnapshot> = self
            .layout
            .series
            .iter()
            .map(|_| SeriesSnapshot::default())
            .collect();
        for worker in self.workers() {
            let mut w = worker.lock().unwrap_or_else(PoisonError::into_inner);
            for (total, ws) in series.iter_mut().zip(w.iter_mut()) {
                total.count += ws.count;
                total.sum_us += ws.sum_us;
                total.max_us = total.max_us.max(ws.max_us);
                total.interval_max_us = total.interval_max_us.max(ws.interval_max_us);
                // Both are auto-resizing, so adding cannot fail; a failure would only
                // lose this second's percentiles, never the counts.
                let _ = total.interval.add(&ws.interval);
                ws.interval.reset();
                ws.interval_max_us = 0;
            }
        }
        Snapshot {
            at: Instant::now(),
            wall: SystemTime::now(),
            counters: self
                .counters
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect(),
            series,
        }
    }
}

/// A worker's handle for recording latencies. Clones record into the same histograms
/// (for workers that share a thread).
#[derive(Clone, Debug)]
pub(crate) struct Recorder {
    stats: Arc<Stats>,
    series: Arc<Mutex<Vec<WorkerSeries>>>,
}

impl Recorder {
    /// The shared stats (for counters and failures).
    pub(crate) fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Records one latency in series `index`.
    #[inline]
    pub(crate) fn record(&self, index: usize, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.record_us(index, us);
    }

    /// Records one latency of `us` microseconds in series `index`.
    pub(crate) fn record_us(&self, index: usize, us: u64) {
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = series.get_mut(index) {
            // Auto-resizing: recording only fails on a value beyond u64, which `us` is not.
            let _ = s.interval.record(us.max(1));
            s.count += 1;
            s.sum_us = s.sum_us.saturating_add(us);
            s.interval_max_us = s.interval_max_us.max(us);
            s.max_us = s.max_us.max(us);
        }
    }
}

/// One series in a [`Snapshot`].
#[derive(Clone, Debug)]
pub(crate) struct SeriesSnapshot {
    /// Latencies recorded since the start.
    pub(crate) count: u64,
    /// Their sum, µs.
    pub(crate) sum_us: u64,
    /// The largest since the start, µs.
    pub(crate) max_us: u64,
    /// The largest latency since the previous snapshot, µs.
    pub(crate) interval_max_us: u64,
    /// The histogram of latencies since the previous snapshot.
    pub(crate) interval: Histogram<u64>,
}

impl Default for SeriesSnapshot {
    fn default() -> Self {
        SeriesSnapshot {
            count: 0,
            sum_us: 0,
            max_us: 0,
            interval_max_us: 0,
            interval: new_histogram(),
        }
    }
}

/// The state at one instant.
#[derive(Clone, Debug)]
pub(crate) struct Snapshot {
    /// When it was taken (monotonic).
    pub(crate) at: Instant,
    /// When it was taken (wall clock, for the report lines).
    pub(crate) wall: SystemTime,
    /// Counter values, cumulative.
    pub(crate) counters: Vec<u64>,
    /// Series, cumulative counts plus the interval histogram.
    pub(crate) series: Vec<SeriesSnapshot>,
}

/// The last `capacity` one-second snapshots (Java keeps 10).
#[derive(Debug)]
pub(crate) struct Ring {
    capacity: usize,
    snapshots: VecDeque<Snapshot>,
}

impl Ring {
    /// An empty ring keeping `capacity` snapshots (at least 2).
    pub(crate) fn new(capacity: usize) -> Ring {
        Ring {
            capacity: capacity.max(2),
            snapshots: VecDeque::new(),
        }
    }

    /// Adds a snapshot, dropping the oldest beyond the capacity.
    pub(crate) fn push(&mut self, snapshot: Snapshot) {
        self.snapshots.push_back(snapshot);
        while self.snapshots.len() > self.capacity {
            self.snapshots.pop_front();
        }
    }

    /// Snapshots held.
    pub(crate) fn len(&self) -> usize {
        self.snapshots.len()
    }

    /// Whether the ring holds its full capacity (Java prints only then).
    pub(crate) fn is_full(&self) -> bool {
        self.snapshots.len() >= self.capacity
    }

    /// Forgets every snapshot (after warm-up).
    pub(crate) fn clear(&mut self) {
        self.snapshots.clear();
    }

    /// The window from the oldest to the newest snapshot, if there are two.
    pub(crate) fn window(&self) -> Option<Window<'_>> {
        let first = self.snapshots.front()?;
        let last = self.snapshots.back()?;
        (self.snapshots.len() >= 2).then_some(Window {
            first,
            last,
            all: &self.snapshots,
        })
    }

    /// The snapshot at `index` (0 is the oldest).
    pub(crate) fn nth(&self, index: usize) -> Option<&Snapshot> {
        self.snapshots.get(index)
    }

    /// The newest snapshot.
    pub(crate) fn last(&self) -> Option<&Snapshot> {
        self.snapshots.back()
    }
}

/// What happened between two snapshots: what the periodic lines are computed from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window<'a> {
    first: &'a Snapshot,
    last: &'a Snapshot,
    all: &'a VecDeque<Snapshot>,
}

impl<'a> Window<'a> {
    /// Milliseconds between the two snapshots (at least 1).
    pub(crate) fn millis(&self) -> u64 {
        u64::try_from(self.last.at.duration_since(self.first.at).as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// How much counter `index` grew.
    pub(crate) fn delta(&self, index: usize) -> u64 {
        let at = |s: &Snapshot| s.counters.get(index).copied().unwrap_or(0);
        at(self.last).saturating_sub(at(self.first))
    }

    /// Counter `index`'s growth per second, truncated like Java's `(long)` cast.
    pub(crate) fn rate(&self, index: usize) -> u64 {
        (self.delta(index) as f64 / self.millis() as f64 * 1000.0) as u64
    }

    /// Counter `index`'s value at the end of the window.
    pub(crate) fn total(&self, index: usize) -> u64 {
        self.last.counters.get(index).copied().unwrap_or(0)
    }

    /// Latencies recorded in series `index` during the window.
    pub(crate) fn count(&self, index: usize) -> u64 {
        let at = |s: &Snapshot| s.series.get(index).map_or(0, |x| x.count);
        at(self.last).saturating_sub(at(self.first))
    }

    /// Average latency of series `index` in the window, ms (NaN when nothing was recorded,
    /// as Java's division by zero prints).
    pub(crate) fn avg_ms(&self, index: usize) -> f64 {
        let at = |s: &Snapshot| s.series.get(index).map_or(0, |x| x.sum_us);
        let sum = at(self.last).saturating_sub(at(self.first));
        sum as f64 / 1000.0 / self.count(index) as f64
    }

    /// The largest latency of series `index` in the window (after the first snapshot), µs.
    pub(crate) fn max_us(&self, index: usize) -> u64 {
        self.all
            .iter()
            .skip(1)
            .filter_map(|s| s.series.get(index))
            .map(|s| s.interval_max_us)
            .max()
            .unwrap_or(0)
    }

    /// Sum of the latencies of series `index` recorded in the window, ms.
    pub(crate) fn sum_ms(&self, index: usize) -> f64 {
        let at = |s: &Snapshot| s.series.get(index).map_or(0, |x| x.sum_us);
        at(self.last).saturating_sub(at(self.first)) as f64 / 1000.0
    }

    /// The largest latency of series `index` since the start (or the end of warm-up), µs.
    pub(crate) fn max_total_us(&self, index: usize) -> u64 {
        self.last.series.get(index).map_or(0, |s| s.max_us)
    }

    /// The value at `quantile` (0..=1) of series `index` in the window, µs.
    #[allow(dead_code)] // for modes whose lines show percentiles
    pub(crate) fn quantile_us(&self, index: usize, quantile: f64) -> u64 {
        let mut h = new_histogram();
        for s in self.all.iter().skip(1).filter_map(|s| s.series.get(index)) {
            let _ = h.add(&s.interval);
        }
        h.value_at_quantile(quantile)
    }

    /// Wall-clock time of the newest snapshot.
    pub(crate) fn wall(&self) -> SystemTime {
        self.last.wall
    }
}

/// Two snapshots one second apart (wall clock 2026-11-18 11:06:40,000 UTC, then +1 s) around
/// whatever `between` records, for testing report lines.
#[cfg(test)]
pub(crate) fn test_ring(stats: &Arc<Stats>, between: impl FnOnce()) -> Ring {
    let mut ring = Ring::new(10);
    let mut first = stats.snapshot();
    first.wall = std::time::UNIX_EPOCH + Duration::from_millis(1_795_000_000_000);
    let (at, wall) = (first.at, first.wall);
    ring.push(first);
    between();
    let mut last = stats.snapshot();
    last.at = at + Duration::from_secs(1);
    last.wall = wall + Duration::from_secs(1);
    ring.push(last);
    ring
}

#[cfg(test)]
mod tests {
    use super::*;

    static LAYOUT: Layout = Layout {
        counters: &["acknowledged", "failed"],
        series: &["send"],
    };

    #[test]
    fn window_rates_averages_and_max() {
        let stats = Stats::new(&LAYOUT);
        let rec = stats.recorder();
        let mut ring = Ring::new(10);
        ring.push(stats.snapshot());
        assert!(ring.window().is_none());
        stats.add(0, 100);
        rec.record(0, Duration::from_millis(2));
        rec.record(0, Duration::from_millis(4));
        let mut s = stats.snapshot();
        s.at = ring.last().unwrap().at + Duration::from_millis(500);
        ring.push(s);
        let w = ring.window().unwrap();
        assert_eq!(w.millis(), 500);
        assert_eq!(w.delta(0), 100);
        assert_eq!(w.rate(0), 200);
        assert_eq!(w.count(0), 2);
        assert!((w.avg_ms(0) - 3.0).abs() < 1e-9);
        assert_eq!(w.max_us(0), 4000);
        let p50 = w.quantile_us(0, 0.5);
        assert!((1990..=2010).contains(&p50), "{p50}");
        // The next snapshot starts a fresh interval.
        let s = stats.snapshot();
        assert_eq!(s.series[0].interval.len(), 0);
        assert_eq!(s.series[0].count, 2);
    }

    #[test]
    fn ring_keeps_the_last_capacity_snapshots() {
        let stats = Stats::new(&LAYOUT);
        let mut ring = Ring::new(3);
        for i in 0..5 {
            stats.add(1, i);
            ring.push(stats.snapshot());
        }
        assert_eq!(ring.len(), 3);
        assert!(ring.is_full());
        // counter 1 went 0,1,3,6,10: the ring holds 3,6,10.
        assert_eq!(ring.window().unwrap().delta(1), 7);
        ring.clear();
        assert!(!ring.is_full());
    }

    #[test]
    fn failures_are_classified_by_response_code() {
        let stats = Stats::new(&LAYOUT);
        let busy = Error::Broker {
            code: rocketmq::protocol::ResponseCode::SYSTEM_BUSY,
            remark: None,
        };
        assert!(stats.fail(&busy).is_response());
        stats.fail(&busy);
        assert!(!stats.fail(&Error::Shutdown).is_response());
        let failures = stats.failures();
        assert_eq!(failures.len(), 2);
        let kind = FailureKind {
            code: Some(2),
            name: "SYSTEM_BUSY".to_owned(),
        };
        assert_eq!(failures.get(&kind), Some(&2));
    }
}
