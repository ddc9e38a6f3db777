//! Helpers for perf-tool's integration tests: run the built binary with `--json` (to its
//! end, or started first to learn its embedded name server) and read the summary back.

#![allow(dead_code)] // each test binary uses a subset

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::{Context, ensure};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Longest a perf-tool run may take in these tests.
const RUN_LIMIT: Duration = Duration::from_secs(180);

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

fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_perf-tool"));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// A perf-tool run in progress, writing its summary to a scratch file.
#[derive(Debug)]
pub(crate) struct Running {
    child: Child,
    json: PathBuf,
    /// What was read of stderr before [`finish`](Self::finish).
    stderr_so_far: String,
}

impl Running {
    /// Starts `perf-tool <args> --json <scratch file>`.
    pub(crate) fn start(args: &[&str]) -> anyhow::Result<Running> {
        let json = scratch_json();
        let child = command(args)
            .arg("--json")
            .arg(&json)
            .spawn()
            .context("cannot run perf-tool")?;
        Ok(Running {
            child,
            json,
            stderr_so_far: String::new(),
        })
    }

    /// Starts perf-tool without `-n` and returns it with its embedded name server's address,
    /// read from its stderr.
    pub(crate) async fn embedded(args: &[&str]) -> anyhow::Result<(Running, String)> {
        let mut run = Running::start(args)?;
        let stderr = run.child.stderr.take().context("stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let seen = &mut run.stderr_so_far;
        let addr = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                seen.push_str(&line);
                seen.push('\n');
                if let Some(rest) = line.split_once("name server ").map(|(_, r)| r) {
                    let addr = rest.split([',', ' ']).next().unwrap_or_default();
                    return Ok::<_, anyhow::Error>(addr.to_owned());
                }
            }
            anyhow::bail!("perf-tool exited without naming its embedded broker:\n{seen}")
        })
        .await
        .context("no embedded broker address on stderr")??;
        // Keep draining stderr so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok((run, addr))
    }

    /// Waits for the run to end successfully and returns its summary; fails with both
    /// outputs when it fails.
    pub(crate) async fn finish(self) -> anyhow::Result<Outcome> {
        let out = tokio::time::timeout(RUN_LIMIT, self.child.wait_with_output())
            .await
            .context("perf-tool did not finish in time")??;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = format!(
            "{}{}",
            self.stderr_so_far,
            String::from_utf8_lossy(&out.stderr)
        );
        ensure!(
            out.status.success(),
            "perf-tool failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status
        );
        let text = std::fs::read_to_string(&self.json)
            .with_context(|| format!("no JSON summary; stdout:\n{stdout}\nstderr:\n{stderr}"))?;
        let _ = std::fs::remove_file(&self.json);
        let json: Value = serde_json::from_str(&text).context("summary is not JSON")?;
        Ok(Outcome {
            json,
            stdout,
            stderr,
        })
    }
}

/// Runs `perf-tool <args> --json <scratch file>` to its end and returns the summary; fails
/// with both outputs when the run fails.
pub(crate) async fn perf_tool(args: &[&str]) -> anyhow::Result<Outcome> {
    Running::start(args)?.finish().await
}

/// Runs perf-tool expecting it to fail; returns stderr.
pub(crate) async fn perf_tool_fails(args: &[&str]) -> anyhow::Result<String> {
    let out = tokio::time::timeout(RUN_LIMIT, command(args).output())
        .await
        .context("perf-tool did not finish in time")??;
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
