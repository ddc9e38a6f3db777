//! The final summary: printed for people, and written as JSON with `--json`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::stats::{FailureKind, Layout};

/// Latency figures of one series, milliseconds.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Percentiles {
    /// Latencies recorded.
    pub(crate) count: u64,
    /// Mean.
    pub(crate) mean: f64,
    /// Median.
    pub(crate) p50: f64,
    /// 90th percentile.
    pub(crate) p90: f64,
    /// 99th percentile.
    pub(crate) p99: f64,
    /// 99.9th percentile.
    pub(crate) p99_9: f64,
    /// Largest.
    pub(crate) max: f64,
}

impl Percentiles {
    /// The figures of a histogram of microseconds.
    pub(crate) fn of(h: &Histogram<u64>) -> Percentiles {
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            count: h.len(),
            mean: if h.is_empty() { 0.0 } else { h.mean() / 1000.0 },
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p99_9: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

/// One kind of failure and how often it happened.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct FailureCount {
    /// The broker's response code, or null for a client-side failure.
    pub(crate) code: Option<i32>,
    /// The code's Java name or the client-side cause.
    pub(crate) name: String,
    /// Occurrences.
    pub(crate) count: u64,
}

/// Client CPU time over the measured period (an embedded broker's threads excluded).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct CpuUse {
    /// CPU time of the embedded broker-lite's threads, seconds (0 with `-n`).
    pub(crate) embedded_broker_s: f64,
    /// User time, seconds.
    pub(crate) user_s: f64,
    /// System time, seconds.
    pub(crate) system_s: f64,
    /// Both, seconds.
    pub(crate) total_s: f64,
    /// Microseconds of CPU per unit of the main counter.
    pub(crate) us_per_msg: f64,
    /// The counter `us_per_msg` divides by.
    pub(crate) per: String,
}

/// What `--json` writes.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Summary {
    /// Always `perf-tool`.
    pub(crate) tool: &'static str,
    /// perf-tool's version.
    pub(crate) version: &'static str,
    /// The mode (`producer`, ...).
    pub(crate) mode: &'static str,
    /// The name server and whether it was an embedded broker-lite.
    pub(crate) target: serde_json::Value,
    /// The flags in effect.
    pub(crate) config: serde_json::Value,
    /// Warm-up before measuring, seconds.
    pub(crate) warmup_s: f64,
    /// The measured period, seconds.
    pub(crate) elapsed_s: f64,
    /// Every counter of the mode (e.g. `sent`, `acknowledged`, `failed`).
    pub(crate) totals: BTreeMap<&'static str, u64>,
    /// Every counter per second of the measured period.
    pub(crate) rates_per_s: BTreeMap<&'static str, f64>,
    /// Every latency series.
    pub(crate) latency_ms: BTreeMap<&'static str, Percentiles>,
    /// Failures by response code or client-side cause.
    pub(crate) failures: Vec<FailureCount>,
    /// Outcomes that are not failures but worth knowing (e.g. send statuses other than
    /// `SEND_OK`).
    pub(crate) notes: BTreeMap<String, u64>,
    /// Client CPU time.
    pub(crate) cpu: CpuUse,
    /// Counter names in the mode's order, for the printed summary.
    #[serde(skip)]
    pub(crate) counter_order: &'static [&'static str],
}

/// The pieces the core gathers at the end of a run.
pub(crate) struct Parts<'a> {
    pub(crate) mode: &'static str,
    pub(crate) layout: &'static Layout,
    pub(crate) main_counter: usize,
    pub(crate) target: serde_json::Value,
    pub(crate) config: serde_json::Value,
    pub(crate) warmup: Duration,
    pub(crate) elapsed: Duration,
    pub(crate) counters: &'a [u64],
    pub(crate) histograms: &'a [Histogram<u64>],
    pub(crate) failures: BTreeMap<FailureKind, u64>,
    pub(crate) notes: BTreeMap<String, u64>,
    pub(crate) cpu: ((Duration, Duration), Duration),
}

impl Summary {
    /// Builds the summary.
    pub(crate) fn new(p: Parts<'_>) -> Summary {
        let secs = p.elapsed.as_secs_f64().max(1e-9);
        let value = |i: usize| p.counters.get(i).copied().unwrap_or(0);
        let totals = p
            .layout
            .counters
            .iter()
            .enumerate()
            .map(|(i, name)| (*name, value(i)))
            .collect();
        let rates_per_s = p
            .layout
            .counters
            .iter()
            .enumerate()
            .map(|(i, name)| (*name, value(i) as f64 / secs))
            .collect();
        let latency_ms = p
            .layout
            .series
            .iter()
            .zip(p.histograms)
            .map(|(name, h)| (*name, Percentiles::of(h)))
            .collect();
        let ((user, system), broker) = p.cpu;
        let total = (user + system).as_secs_f64();
        let main = value(p.main_counter);
        Summary {
            tool: "perf-tool",
            version: env!("CARGO_PKG_VERSION"),
            mode: p.mode,
            target: p.target,
            config: p.config,
            warmup_s: p.warmup.as_secs_f64(),
            elapsed_s: p.elapsed.as_secs_f64(),
            totals,
            rates_per_s,
            latency_ms,
            failures: p
                .failures
                .into_iter()
                .map(|(kind, count)| FailureCount {
                    code: kind.code,
                    name: kind.name,
                    count,
                })
                .collect(),
            notes: p.notes,
            counter_order: p.layout.counters,
            cpu: CpuUse {
                user_s: user.as_secs_f64(),
                embedded_broker_s: broker.as_secs_f64(),
                system_s: system.as_secs_f64(),
                total_s: total,
                us_per_msg: if main == 0 {
                    0.0
                } else {
                    total * 1e6 / main as f64
                },
                per: p
                    .layout
                    .counters
                    .get(p.main_counter)
                    .copied()
                    .unwrap_or("")
                    .to_owned(),
            },
        }
    }

    /// The summary for people (several lines, no trailing newline).
    pub(crate) fn human(&self) -> String {
        let mut out = format!("perf-tool {}: {:.2} s measured", self.mode, self.elapsed_s);
        for name in self.counter_order {
            out.push_str(&format!(
                ", {name} {}",
                self.totals.get(name).copied().unwrap_or(0)
            ));
        }
        if let Some(rate) = self.rates_per_s.get(self.cpu.per.as_str()) {
            out.push_str(&format!(" ({} {:.0}/s)", self.cpu.per, rate));
        }
        for (name, p) in &self.latency_ms {
            out.push_str(&format!(
                "\n  {name} latency ms: p50 {:.3} | p90 {:.3} | p99 {:.3} | p99.9 {:.3} | max {:.3} | mean {:.3} ({} samples)",
                p.p50, p.p90, p.p99, p.p99_9, p.max, p.mean, p.count
            ));
        }
        out.push_str(&format!(
            "\n  client CPU: {:.2} s user + {:.2} s system = {:.2} µs per {}",
            self.cpu.user_s, self.cpu.system_s, self.cpu.us_per_msg, self.cpu.per
        ));
        if self.cpu.embedded_broker_s > 0.0 {
            out.push_str(&format!(
                " (embedded broker-lite: {:.2} s, not included)",
                self.cpu.embedded_broker_s
            ));
        }
        for f in &self.failures {
            match f.code {
                Some(code) => out.push_str(&format!(
                    "\n  failed: {} x code {code} ({})",
                    f.count, f.name
                )),
                None => out.push_str(&format!("\n  failed: {} x {}", f.count, f.name)),
            }
        }
        for (label, n) in &self.notes {
            out.push_str(&format!("\n  note: {n} x {label}"));
        }
        out
    }

    /// Writes the JSON to `path`.
    pub(crate) fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text + "\n")
            .map_err(|e| anyhow::anyhow!("cannot write --json {}: {e}", path.display()))
    }
}

/// CPU times at one instant: the whole process and the embedded broker's threads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CpuSample {
    process: (Duration, Duration),
    broker: (Duration, Duration),
}

impl CpuSample {
    /// Now.
    pub(crate) fn now() -> CpuSample {
        CpuSample {
            process: cpu_time(),
            broker: crate::target::broker_cpu_time(),
        }
    }

    /// The client's (user, system) CPU time and the embedded broker's total since
    /// `earlier`: the process's time minus the broker threads'.
    pub(crate) fn since(&self, earlier: &CpuSample) -> ((Duration, Duration), Duration) {
        let d = |a: Duration, b: Duration| a.saturating_sub(b);
        let broker = (
            d(self.broker.0, earlier.broker.0),
            d(self.broker.1, earlier.broker.1),
        );
        let client = (
            d(d(self.process.0, earlier.process.0), broker.0),
            d(d(self.process.1, earlier.process.1), broker.1),
        );
        (client, broker.0 + broker.1)
    }
}

/// This process's CPU time so far, (user, system). The total is the kernel's exact count
/// (`CLOCK_PROCESS_CPUTIME_ID`, in nanoseconds), so a short run still shows the CPU it
/// used; `/proc/self/stat`'s tick counts (10 ms each) only give the split between user
/// and system, as in the kernel's own `getrusage`.
pub(crate) fn cpu_time() -> (Duration, Duration) {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    let total = Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    );
    let (user, system) = std::fs::read_to_string("/proc/self/stat")
        .map_or((Duration::ZERO, Duration::ZERO), |stat| {
            parse_stat_times(&stat)
        });
    split_total(total, user, system)
}

/// `total` split between user and system in the ratio of `user` to `system` (all user
/// when both are zero).
fn split_total(total: Duration, user: Duration, system: Duration) -> (Duration, Duration) {
    let ticks = (user + system).as_secs_f64();
    if ticks <= 0.0 {
        return (total, Duration::ZERO);
    }
    let user = total.mul_f64(user.as_secs_f64() / ticks);
    (user, total.saturating_sub(user))
}

/// utime and stime of a `/proc/.../stat` line.
pub(crate) fn parse_stat_times(stat: &str) -> (Duration, Duration) {
    // Fields after the command name (which may hold spaces and parentheses) start at the
    // state, field 3; utime and stime are fields 14 and 15.
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return (Duration::ZERO, Duration::ZERO);
    };
    let mut fields = rest.split_whitespace().skip(11);
    let mut next = || {
        fields
            .next()
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let (utime, stime) = (next(), next());
    let hz = rustix::param::clock_ticks_per_second().max(1);
    let ticks = |t: u64| Duration::from_secs_f64(t as f64 / hz as f64);
    (ticks(utime), ticks(stime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_in_milliseconds() {
        let mut h = crate::stats::new_histogram();
        for us in 1..=1000u64 {
            h.record(us * 1000).unwrap();
        }
        let p = Percentiles::of(&h);
        assert_eq!(p.count, 1000);
        assert!((p.p50 - 500.0).abs() < 1.0, "{}", p.p50);
        assert!((p.p99 - 990.0).abs() < 1.0, "{}", p.p99);
        assert!((p.max - 1000.0).abs() < 1.0, "{}", p.max);
    }

    #[test]
    fn stat_times_skip_odd_command_names() {
        let line = "42 (a) b (c)) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0";
        let hz = rustix::param::clock_ticks_per_second() as f64;
        let (u, s) = parse_stat_times(line);
        assert!((u.as_secs_f64() - 250.0 / hz).abs() < 1e-9);
        assert!((s.as_secs_f64() - 50.0 / hz).abs() < 1e-9);
    }

    #[test]
    fn total_split_in_the_ticks_ratio() {
        let ms = Duration::from_millis;
        assert_eq!(split_total(ms(100), ms(30), ms(10)), (ms(75), ms(25)));
        assert_eq!(split_total(ms(7), ms(0), ms(0)), (ms(7), ms(0)));
        assert_eq!(split_total(ms(7), ms(0), ms(20)), (ms(0), ms(7)));
    }

    #[test]
    fn cpu_time_sees_a_few_microseconds() {
        // Far less than one 10 ms tick: the exact total must still grow.
        let (u0, s0) = cpu_time();
        let mut x = 0u64;
        for i in 0..200_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let (u1, s1) = cpu_time();
        assert!(u1 + s1 > u0 + s0);
    }
}
