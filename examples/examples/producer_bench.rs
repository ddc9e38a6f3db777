//! Producer benchmark: N tasks sending synchronously through one [`Producer`], like Java's
//! `org.apache.rocketmq.example.benchmark.Producer -w N -s SIZE` (which also uses the
//! ROCKETMQ binary headers). Prints send TPS, latency percentiles and the process's CPU
//! time per message over the measured window (after a warm-up). The senders are tasks on
//! one thread by default (`--threads 0`); `--threads N` uses a multi-thread runtime.
//!
//! ```text
//! cargo run --release -p examples --example producer_bench -- \
//!     --namesrv 127.0.0.1:9876 --topic BenchTopic8 --senders 16 --size 128 --duration 30
//! ```
//!
//! `examples/bench/producer-bench.sh` runs it side by side with the Java tools against one
//! Java broker. CPU time is utime + stime of this process from `/proc/self/stat` (Linux).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rocketmq::producer::Producer;
use rocketmq::protocol::SerializeType;
use rocketmq::protocol::message::Message;

struct Options {
    namesrv: String,
    topic: String,
    senders: usize,
    size: usize,
    duration: Duration,
    warmup: Duration,
    serialize: SerializeType,
    /// Runtime worker threads; 0 runs everything on the main thread.
    threads: usize,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        namesrv: std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".to_owned()),
        topic: "BenchTopic8".to_owned(),
        senders: 16,
        size: 128,
        duration: Duration::from_secs(30),
        warmup: Duration::from_secs(5),
        serialize: SerializeType::RocketMq,
        threads: 0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--json" {
            o.serialize = SerializeType::Json;
            continue;
        }
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--namesrv" => o.namesrv = value,
            "--topic" => o.topic = value,
            "--senders" => o.senders = value.parse()?,
            "--size" => o.size = value.parse()?,
            "--duration" => o.duration = Duration::from_secs(value.parse()?),
            "--warmup" => o.warmup = Duration::from_secs(value.parse()?),
            "--threads" => o.threads = value.parse()?,
            other => bail!("unknown option {other}"),
        }
    }
    Ok(o)
}

/// CPU time of this process so far (utime + stime), from `/proc/self/stat`.
fn cpu_time() -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name (which may hold spaces) start at state (field 3).
    let rest = stat.rsplit_once(") ").context("odd /proc/self/stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11).context("no utime")?.parse::<u64>()?
        + fields.get(12).context("no stime")?.parse::<u64>()?;
    // USER_HZ is 100 on every Linux this runs on (getconf CLK_TCK).
    Ok(Duration::from_millis(ticks * 10))
}

/// The value below which `fraction` of the sorted samples lie.
fn percentile(sorted: &[u32], fraction: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((sorted.len() as f64) * fraction).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
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

async fn run(o: Options) -> anyhow::Result<()> {
    let producer = Producer::builder()
        .namesrv_addr(o.namesrv.clone())
        .group("benchmark_producer_rs")
        .serialize_type(o.serialize)
        .build()
        .await?;
    let body = vec![b'a'; o.size];
    // Route and connection before the clock starts.
    producer
        .send(Message::new(o.topic.as_str(), body.clone()))
        .await?;

    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let failed = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..o.senders {
        let (producer, measuring, stop, failed) = (
            producer.clone(),
            Arc::clone(&measuring),
            Arc::clone(&stop),
            Arc::clone(&failed),
        );
        let message = Message::new(o.topic.as_str(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::with_capacity(1 << 16);
            while !stop.load(Ordering::Relaxed) {
                let began = Instant::now();
                let sent = producer.send(message.clone()).await;
                let micros = u32::try_from(began.elapsed().as_micros()).unwrap_or(u32::MAX);
                if measuring.load(Ordering::Relaxed) {
                    match sent {
                        Ok(_) => latencies.push(micros),
                        Err(_) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            latencies
        }));
    }
    tokio::time::sleep(o.warmup).await;
    measuring.store(true, Ordering::Relaxed);
    let (t0, cpu0) = (Instant::now(), cpu_time()?);
    tokio::time::sleep(o.duration).await;
    measuring.store(false, Ordering::Relaxed);
    let (elapsed, cpu) = (t0.elapsed(), cpu_time()? - cpu0);
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await?);
    }
    producer.close().await;

    latencies.sort_unstable();
    let sent = latencies.len() as f64;
    let avg = latencies.iter().map(|&l| f64::from(l)).sum::<f64>() / sent.max(1.0);
    println!(
        "rust senders={} size={} headers={} threads={} sent={} failed={} seconds={:.1} tps={:.0} \
         p50_ms={:.3} p99_ms={:.3} avg_ms={:.3} max_ms={:.3} cpu_s={:.2} cpu_us_per_msg={:.2}",
        o.senders,
        o.size,
        o.serialize.name(),
        o.threads,
        latencies.len(),
        failed.load(Ordering::Relaxed),
        elapsed.as_secs_f64(),
        sent / elapsed.as_secs_f64(),
        f64::from(percentile(&latencies, 0.50)) / 1000.0,
        f64::from(percentile(&latencies, 0.99)) / 1000.0,
        avg / 1000.0,
        f64::from(latencies.last().copied().unwrap_or(0)) / 1000.0,
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / sent.max(1.0),
    );
    Ok(())
}
