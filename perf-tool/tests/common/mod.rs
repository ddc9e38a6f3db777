//! Helpers for perf-tool's integration tests: run the built binary with `--json` and read
//! the summary back.

#![allow(dead_code)] // each test binary uses a subset

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, ensure};
use serde_json::Value;

/// What one perf-tool run left behind.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The `--json` summary.
    pub(crate) json: Value,
    /// Everything printed on stdout.
    pub(crate) stdout: String,
    /// Everything printed on stderr.
    pub(crate) stderr: String,
}

impl Outcome {
    /// A counter from `totals`.
    pub(crate) fn total(&self, name: &str) -> u64 {
        self.json["totals"][name].as_u64().unwrap_or(u64::MAX)
    }
}

fn scratch_json() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "perf-tool-test-{}-{}.json",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Runs `perf-tool <args> --json <tmp>` (blocking; call from `spawn_blocking` in async
/// tests) and returns the summary; fails with both outputs when the run fails.
pub(crate) fn perf_tool(args: &[&str]) -> anyhow::Result<Outcome> {
    let json_path = scratch_json();
    let out = Command::new(env!("CARGO_BIN_EXE_perf-tool"))
        .args(args)
        .arg("--json")
        .arg(&json_path)
        .output()
        .context("cannot run perf-tool")?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    ensure!(
        out.status.success(),
        "perf-tool {args:?} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let text = std::fs::read_to_string(&json_path)
        .with_context(|| format!("no JSON summary; stdout:\n{stdout}\nstderr:\n{stderr}"))?;
    let _ = std::fs::remove_file(&json_path);
    let json: Value = serde_json::from_str(&text).context("summary is not JSON")?;
    Ok(Outcome {
        json,
        stdout,
        stderr,
    })
}

/// Runs perf-tool expecting it to fail; returns stderr.
pub(crate) fn perf_tool_fails(args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_perf-tool"))
        .args(args)
        .output()
        .context("cannot run perf-tool")?;
    ensure!(!out.status.success(), "perf-tool {args:?} succeeded");
    Ok(String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The checks every producer-side summary must pass: `sent = acknowledged + failed`,
/// `sent` as expected, no failures unless allowed, failures listed match the count,
/// latency samples present, CPU accounted.
pub(crate) fn check_send_summary(
    o: &Outcome,
    mode: &str,
    expected_sent: u64,
) -> anyhow::Result<()> {
    let j = &o.json;
    ensure!(j["mode"] == mode, "mode {} in {j:#}", j["mode"]);
    let (sent, acked, failed) = (o.total("sent"), o.total("acknowledged"), o.total("failed"));
    ensure!(
        sent == expected_sent,
        "sent {sent}, expected {expected_sent}: {j:#}"
    );
    ensure!(
        sent == acked + failed,
        "sent {sent} != acknowledged {acked} + failed {failed}"
    );
    let listed: u64 = j["failures"]
        .as_array()
        .context("failures is not a list")?
        .iter()
        .map(|f| f["count"].as_u64().unwrap_or(0))
        .sum();
    ensure!(
        failed == 0,
        "failures in a clean run: {:#}\n{}",
        j["failures"],
        o.stderr
    );
    ensure!(
        listed == 0,
        "failures listed without being counted: {:#}",
        j["failures"]
    );
    let elapsed = j["elapsed_s"].as_f64().context("elapsed_s")?;
    ensure!(elapsed > 0.0, "elapsed {elapsed}");
    let rate = j["rates_per_s"]["acknowledged"].as_f64().context("rate")?;
    ensure!(
        (rate - acked as f64 / elapsed).abs() < 1e-6 * rate.max(1.0),
        "rate {rate}"
    );
    let series = j["latency_ms"].as_object().context("latency_ms")?;
    for (name, p) in series {
        let count = p["count"].as_u64().context("count")?;
        ensure!(count > 0, "no {name} latencies");
        let (p50, p99, max) = (
            p["p50"].as_f64().context("p50")?,
            p["p99"].as_f64().context("p99")?,
            p["max"].as_f64().context("max")?,
        );
        ensure!(
            0.0 < p50 && p50 <= p99 && p99 <= max,
            "{name}: p50 {p50} p99 {p99} max {max}"
        );
    }
    ensure!(j["cpu"]["total_s"].as_f64().is_some(), "cpu in {j:#}");
    Ok(())
}
