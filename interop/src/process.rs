//! One long-running Java process (name server or broker) whose output goes to a log file.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use crate::java::tail;

/// A started Java server process, killed by PID on `stop` or drop.
#[derive(Debug)]
pub(crate) struct JavaProcess {
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

impl JavaProcess {
    /// Starts `cmd` with stdout and stderr appended to `log`.
    pub(crate) fn spawn(name: &str, mut cmd: Command, log: &Path) -> anyhow::Result<Self> {
        let out = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let err = out.try_clone()?;
        cmd.stdout(Stdio::from(out)).stderr(Stdio::from(err));
        let child = cmd.spawn().with_context(|| {
            format!("cannot start the Java {name} (is a JDK 17 `java` on PATH?)")
        })?;
        Ok(Self {
            name: name.to_owned(),
            child: Some(child),
            log: log.to_path_buf(),
        })
    }

    /// The OS process id, while running.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// The last part of the process output, for error messages.
    pub(crate) fn log_tail(&self) -> String {
        let text = std::fs::read(&self.log).unwrap_or_default();
        tail(&String::from_utf8_lossy(&text), 6000).to_owned()
    }

    /// Waits until the output contains `marker` (the process's own start-up line). Java
    /// prints it once; nothing else signals readiness, so the log is re-read on a short
    /// interval until the deadline. Fails early if the process exits.
    pub(crate) async fn wait_for_output(
        &mut self,
        marker: &str,
        limit: Duration,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            let text = std::fs::read(&self.log).unwrap_or_default();
            if String::from_utf8_lossy(&text).contains(marker) {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!(
                    "the Java {} exited ({status}) before printing {marker:?}; output:\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            if Instant::now() >= deadline {
                bail!(
                    "the Java {} did not print {marker:?} within {limit:?}; output:\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the process (SIGKILL by PID) and waits for it to exit.
    pub(crate) async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child
                .kill()
                .await
                .with_context(|| format!("cannot kill the Java {}", self.name))?;
        }
        Ok(())
    }

    /// Synchronous kill for drop paths (including panics): signal, then reap for up to 10 s.
    fn kill_blocking(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => return,
                    Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }
    }
}

impl Drop for JavaProcess {
    fn drop(&mut self) {
        self.kill_blocking();
    }
}
