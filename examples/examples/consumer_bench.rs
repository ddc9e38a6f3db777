//! Consumer benchmark: one [`PushConsumer`] counting what it consumes, like Java's
//! `org.apache.rocketmq.example.benchmark.Consumer` (20 consume threads, one message per
//! listener call). Prints consume TPS, born-to-consume (B2C) and store-to-consume (S2C)
//! latency (average, p50, p99, max, from a histogram of 0.1 ms buckets: the consumer's
//! clock in microseconds against the messages' millisecond timestamps), the process's
//! CPU time per message over the measured window (after a warm-up), and its threads'
//! wait for a CPU per run and runs (times put on a CPU) per message.
//!
//! ```text
//! cargo run --release -p examples --example consumer_bench -- \
//!     --namesrv 127.0.0.1:9876 --topic BenchTopic8 --from first --duration 30
//! ```
//!
//! `--histogram-out FILE` also writes both histograms (non-empty buckets) to FILE, so a
//! script can pool several runs.
//!
//! `--expect N` stops once N messages were consumed (draining a backlog) and reports the
//! rate over that time instead. `BENCH_READY_FILE=<path>` in the environment creates that
//! file once the rebalance has given the consumer its first queues, so a script can start
//! its producer only then. `--start-at <unix ms>` replaces the warm-up with a
//! wall-clock start, to measure the same window as another consumer. `examples/bench/consumer-bench.sh` runs it side by side
//! with its Java counterpart (`examples/bench/JavaConsumerBench.java`) against one Java
//! broker. CPU time is utime + stime of this process
//! from `/proc/self/stat` (Linux).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use rocketmq::consumer::{ConsumeFrom, ConsumeStatus, PushConsumer};
use rocketmq::protocol::SerializeType;

struct Options {
    namesrv: String,
    topic: String,
    group: String,
    from: ConsumeFrom,
    duration: Duration,
    warmup: Duration,
    start_at: Option<i64>,
    expect: u64,
    consume_threads: usize,
    batch: usize,
    threads: usize,
    histogram_out: Option<String>,
}

/// What `--help` prints.
const USAGE: &str = "\
consumer_bench: a push consumer that counts what it consumes and reports TPS, B2C/S2C
latency and CPU per message (one line, key=value).

Flags (defaults in brackets):
  --namesrv ADDR          name server [$NAMESRV_ADDR or 127.0.0.1:9876]
  --topic NAME            topic to consume [BenchTopic8]
  --group NAME            consumer group [rust_bench_<pid>]
  --from first|last       where a new group starts [last]
  --duration SECS         measured window; with --expect, the longest drain [30]
  --warmup SECS           consumed but not counted before the window [5]
  --start-at UNIX_MS      start the window at this wall-clock time instead of a warm-up
  --expect N              stop after N messages and report the rate over them
  --consume-threads N     listener calls in flight at once [20]
  --batch N               messages per listener call [1]
  --threads N             runtime worker threads; 0 is a one-thread runtime [0]
  --histogram-out FILE    also write the latency histograms to FILE
  --help                  print this
BENCH_READY_FILE=PATH in the environment: created once the consumer has its first queues.
";

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        namesrv: std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".to_owned()),
        topic: "BenchTopic8".to_owned(),
        group: format!("rust_bench_{}", std::process::id()),
        from: ConsumeFrom::LastOffset,
        duration: Duration::from_secs(30),
        warmup: Duration::from_secs(5),
        start_at: None,
        expect: 0,
        consume_threads: 20,
        batch: 1,
        threads: 0,
        histogram_out: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--namesrv" => o.namesrv = value()?,
            "--topic" => o.topic = value()?,
            "--group" => o.group = value()?,
            "--from" => {
                o.from = match value()?.as_str() {
                    "first" => ConsumeFrom::FirstOffset,
                    "last" => ConsumeFrom::LastOffset,
                    other => bail!("--from first|last, not {other}"),
                }
            }
            "--duration" => o.duration = Duration::from_secs(value()?.parse()?),
            "--warmup" => o.warmup = Duration::from_secs(value()?.parse()?),
            "--start-at" => o.start_at = Some(value()?.parse()?),
            "--expect" => o.expect = value()?.parse()?,
            "--consume-threads" => o.consume_threads = value()?.parse()?,
            "--batch" => o.batch = value()?.parse()?,
            "--threads" => o.threads = value()?.parse()?,
            "--histogram-out" => o.histogram_out = Some(value()?),
            "--help" | "-h" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown flag {other} (--help lists them)"),
        }
    }
    Ok(o)
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// utime + stime of this process, in seconds.
fn cpu_seconds() -> f64 {
    let ticks = 100.0; // CLK_TCK on Linux
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / ticks)
        })
        .unwrap_or(0.0)
}

/// Time this process's threads spent runnable but waiting for a CPU, and how many times
/// they were put on a CPU (`/proc/self/task/*/schedstat`, Linux): a woken thread that
/// waits for a core delays the listener however little the client itself does.
fn run_queue() -> (f64, u64) {
    let mut wait_ns = 0.0;
    let mut runs = 0;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) else {
                continue;
            };
            let mut fields = stat.split_whitespace().skip(1);
            wait_ns += fields
                .next()
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0);
            runs += fields
                .next()
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    (wait_ns, runs)
}

/// Latencies below [`FINE_LIMIT_US`] have a bucket of [`FINE_US`] each; above, a bucket
/// per millisecond up to about 131 s; the last bucket holds everything above.
const FINE_US: u64 = 100;
const FINE_LIMIT_US: u64 = 100_000;
const FINE_BUCKETS: usize = (FINE_LIMIT_US / FINE_US) as usize;
const BUCKETS: usize = FINE_BUCKETS + (1 << 17);

/// A histogram of microseconds, 0.1 ms buckets below 100 ms and 1 ms buckets above: the
/// same structure and percentile rule as `examples/bench/JavaConsumerBench.java`, so both
/// sides pay the same to record and report alike. The message timestamps are whole
/// milliseconds (truncated), the consumer's clock is read in microseconds: a latency is
/// over-stated by up to 1 ms (0.5 ms on average), the same for both consumers.
struct Histogram {
    counts: Vec<AtomicU64>,
    sum: AtomicU64,
    max: AtomicU64,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }

    fn bucket(us: u64) -> usize {
        let b = if us < FINE_LIMIT_US {
            us / FINE_US
        } else {
            FINE_BUCKETS as u64 + (us - FINE_LIMIT_US) / 1000
        };
        usize::try_from(b).map_or(BUCKETS - 1, |b| b.min(BUCKETS - 1))
    }

    /// The smallest latency of bucket `i`, in milliseconds.
    fn floor_ms(i: usize) -> f64 {
        if i < FINE_BUCKETS {
            (i as u64 * FINE_US) as f64 / 1000.0
        } else {
            (FINE_LIMIT_US / 1000) as f64 + (i - FINE_BUCKETS) as f64
        }
    }

    fn record(&self, us: i64) {
        let v = u64::try_from(us).unwrap_or(0);
        self.counts[Self::bucket(v)].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(v, Ordering::Relaxed);
        self.max.fetch_max(v, Ordering::Relaxed);
    }

    fn total(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// The floor (ms) of the smallest bucket with at least `fraction` of the samples at
    /// or below it.
    fn percentile(&self, fraction: f64) -> f64 {
        let n = self.total();
        if n == 0 {
            return 0.0;
        }
        let rank = ((n as f64 * fraction).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c.load(Ordering::Relaxed);
            if seen >= rank {
                return Self::floor_ms(i);
            }
        }
        Self::floor_ms(BUCKETS - 1)
    }

    fn average_ms(&self) -> f64 {
        let n = self.total();
        if n == 0 {
            0.0
        } else {
            self.sum.load(Ordering::Relaxed) as f64 / n as f64 / 1000.0
        }
    }

    fn max_ms(&self) -> f64 {
        self.max.load(Ordering::Relaxed) as f64 / 1000.0
    }

    /// The histogram as text for pooling runs: `<name> sum <us> max <us>`, then
    /// `<name> <bucket> <count>` for every non-empty bucket (the format
    /// `JavaConsumerBench.java` writes too).
    fn dump(&self, name: &str, out: &mut String) {
        use std::fmt::Write;
        let _ = writeln!(
            out,
            "{name} sum {} max {}",
            self.sum.load(Ordering::Relaxed),
            self.max.load(Ordering::Relaxed)
        );
        for (i, c) in self.counts.iter().enumerate() {
            let c = c.load(Ordering::Relaxed);
            if c > 0 {
                let _ = writeln!(out, "{name} {i} {c}");
            }
        }
    }
}

/// What the listener counts while measuring.
struct Tally {
    measuring: AtomicBool,
    count: AtomicU64,
    total: AtomicU64,
    b2c: Histogram,
    s2c: Histogram,
}

async fn run(o: Options) -> anyhow::Result<()> {
    let tally = Arc::new(Tally {
        measuring: AtomicBool::new(false),
        count: AtomicU64::new(0),
        total: AtomicU64::new(0),
        b2c: Histogram::new(),
        s2c: Histogram::new(),
    });
    let t = Arc::clone(&tally);
    let consumer = PushConsumer::builder()
        .namesrv_addr(o.namesrv.as_str())
        .serialize_type(SerializeType::RocketMq)
        .group(o.group.as_str())
        .subscribe(o.topic.as_str(), "*")
        .consume_from(o.from)
        .consume_threads(o.consume_threads)
        .consume_batch_size(o.batch)
        .listener_fn(move |msgs| {
            let t = Arc::clone(&t);
            async move {
                let now = now_micros();
                t.total.fetch_add(msgs.len() as u64, Ordering::Relaxed);
                if t.measuring.load(Ordering::Relaxed) {
                    t.count.fetch_add(msgs.len() as u64, Ordering::Relaxed);
                    for m in &msgs {
                        t.b2c.record(now - m.born_timestamp().saturating_mul(1000));
                        t.s2c.record(now - m.store_timestamp().saturating_mul(1000));
                    }
                }
                ConsumeStatus::Success
            }
        })
        .build()
        .await?;
    if let Some(path) = std::env::var_os("BENCH_READY_FILE").filter(|p| !p.is_empty()) {
        let queues = consumer.clone();
        tokio::spawn(async move {
            while queues.assigned_queues().is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            if let Err(e) = std::fs::File::create_new(&path) {
                eprintln!("ready file {}: {e}", path.to_string_lossy());
            }
        });
    }
    let (elapsed, cpu, rq0) = if o.expect > 0 {
        // Drain: from the first message to the expected count.
        tally.measuring.store(true, Ordering::Relaxed);
        while tally.total.load(Ordering::Relaxed) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let (start, cpu0, rq0) = (Instant::now(), cpu_seconds(), run_queue());
        let limit = start + o.duration;
        while tally.total.load(Ordering::Relaxed) < o.expect && Instant::now() < limit {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        (start.elapsed(), cpu_seconds() - cpu0, rq0)
    } else {
        // Warm-up: a fixed time, or until a wall-clock instant shared with another
        // consumer measured side by side (so both windows cover the same traffic).
        let warmup = o.start_at.map_or(o.warmup, |at| {
            Duration::from_millis(u64::try_from(at - now_millis()).unwrap_or(0))
        });
        tokio::time::sleep(warmup).await;
        tally.measuring.store(true, Ordering::Relaxed);
        let (start, cpu0, rq0) = (Instant::now(), cpu_seconds(), run_queue());
        tokio::time::sleep(o.duration).await;
        tally.measuring.store(false, Ordering::Relaxed);
        (start.elapsed(), cpu_seconds() - cpu0, rq0)
    };
    let rq1 = run_queue();
    let runs = rq1.1.saturating_sub(rq0.1);
    let runq_us = if runs > 0 {
        (rq1.0 - rq0.0) / 1e3 / runs as f64
    } else {
        0.0
    };
    let count = tally.count.load(Ordering::Relaxed);
    // Times a thread of this process was put on a CPU, per message: how many wake-ups
    // the messages cost.
    let runs_per_msg = if count > 0 {
        runs as f64 / count as f64
    } else {
        0.0
    };
    consumer.close().await;
    let tps = count as f64 / elapsed.as_secs_f64().max(f64::EPSILON);
    let (b2c, s2c) = (&tally.b2c, &tally.s2c);
    if let Some(path) = &o.histogram_out {
        let mut text = String::new();
        b2c.dump("b2c", &mut text);
        s2c.dump("s2c", &mut text);
        std::fs::write(path, text).with_context(|| format!("writing {path}"))?;
    }
    println!(
        "rust msgs={count} secs={:.1} tps={tps:.0} b2c_avg_ms={:.3} b2c_p50_ms={:.1} b2c_p99_ms={:.1} b2c_max_ms={:.1} s2c_avg_ms={:.3} s2c_p50_ms={:.1} s2c_p99_ms={:.1} s2c_max_ms={:.1} cpu_s={cpu:.2} cpu_us_per_msg={:.2} runq_wait_us_per_run={runq_us:.1} runs_per_msg={runs_per_msg:.3}",
        elapsed.as_secs_f64(),
        b2c.average_ms(),
        b2c.percentile(0.50),
        b2c.percentile(0.99),
        b2c.max_ms(),
        s2c.average_ms(),
        s2c.percentile(0.50),
        s2c.percentile(0.99),
        s2c.max_ms(),
        if count > 0 {
            cpu * 1e6 / count as f64
        } else {
            0.0
        },
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let o = options()?;
    let runtime = if o.threads == 0 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(o.threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(run(o))
}
