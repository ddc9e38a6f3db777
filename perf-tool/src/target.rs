//! Where a run sends to: the name server given with `-n`, or an embedded broker-lite
//! started in this process (temporary store, 127.0.0.1 on free ports) when none is given.
//!
//! The embedded broker runs on its own runtime, on threads named [`BROKER_THREAD`], apart
//! from the client's (named [`CLIENT_THREAD`]), so the client's CPU time can be told apart
//! from the broker's (see [`broker_cpu_time`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use broker_lite::BrokerLite;
use tokio::runtime::Runtime;

/// Name of the embedded broker's runtime threads.
pub(crate) const BROKER_THREAD: &str = "perf-broker";
/// Name of the client runtime's threads (set in `main`).
pub(crate) const CLIENT_THREAD: &str = "perf-client";

/// Whether this process runs an embedded broker (whose threads are then not the client's).
static EMBEDDED: AtomicBool = AtomicBool::new(false);

/// The embedded broker and the runtime it runs on (both taken by [`Target::shutdown`]).
struct Embedded {
    broker: Option<BrokerLite>,
    runtime: Option<Runtime>,
}

impl Drop for Embedded {
    /// A target dropped without [`Target::shutdown`] (a mode that fails early): stop the
    /// broker and let its runtime go without waiting for it, which would panic inside the
    /// client's runtime.
    fn drop(&mut self) {
        drop(self.broker.take());
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The name server a run uses, and the embedded broker when perf-tool started one.
pub(crate) struct Target {
    namesrv: String,
    embedded: Option<Embedded>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("namesrv", &self.namesrv)
            .field("embedded", &self.embedded.is_some())
            .finish()
    }
}

impl Target {
    /// Uses `namesrv` when given; otherwise starts an embedded broker-lite and says so on
    /// stderr.
    pub(crate) async fn resolve(namesrv: Option<&str>) -> anyhow::Result<Target> {
        if let Some(addr) = namesrv {
            anyhow::ensure!(!addr.trim().is_empty(), "-n/--namesrvAddr is empty");
            return Ok(Target {
                namesrv: addr.trim().to_owned(),
                embedded: None,
            });
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(BROKER_THREAD)
            // Threads that exit take their CPU time out of the per-thread accounting;
            // keep the blocking pool's threads for the whole run.
            .thread_keep_alive(Duration::from_secs(24 * 3600))
            .enable_all()
            .build()?;
        let broker = runtime
            .spawn(BrokerLite::start())
            .await?
            .map_err(|e| anyhow::anyhow!("cannot start the embedded broker-lite: {e}"))?;
        let namesrv = broker.namesrv_addr().to_string();
        EMBEDDED.store(true, Ordering::Relaxed);
        eprintln!(
            "perf-tool: no -n given; embedded broker-lite: name server {namesrv}, broker {}, store {}",
            broker.broker_addr(),
            broker.dir().display()
        );
        Ok(Target {
            namesrv,
            embedded: Some(Embedded {
                broker: Some(broker),
                runtime: Some(runtime),
            }),
        })
    }

    /// The name server address(es) to give the SDK.
    pub(crate) fn namesrv(&self) -> &str {
        &self.namesrv
    }

    /// Whether this is an embedded broker-lite.
    pub(crate) fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// A JSON description for the summary.
    pub(crate) fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "namesrv": self.namesrv,
            "embedded_broker_lite": self.is_embedded(),
        })
    }

    /// Stops the embedded broker, if any (its temporary store is removed).
    pub(crate) async fn shutdown(self) {
        if let Some(mut embedded) = self.embedded
            && let (Some(broker), Some(runtime)) = (embedded.broker.take(), embedded.runtime.take())
        {
            let _ = runtime.spawn(broker.shutdown()).await;
            runtime.shutdown_background();
        }
    }
}

/// CPU time (user, system) of this process's live threads that are not the client's (the
/// embedded broker's runtime and the threads its store starts), from
/// `/proc/self/task/*/stat`. The client's threads are the main thread and those named
/// [`CLIENT_THREAD`].
pub(crate) fn broker_cpu_time() -> (Duration, Duration) {
    let mut total = (Duration::ZERO, Duration::ZERO);
    if !EMBEDDED.load(Ordering::Relaxed) {
        return total;
    }
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return total;
    };
    let main = std::process::id().to_string();
    for task in tasks.flatten() {
        if task.file_name().to_str() == Some(main.as_str()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // The thread name is between the first '(' and the last ')' (the kernel keeps
        // 15 bytes of it).
        let name = stat
            .split_once('(')
            .and_then(|(_, rest)| rest.rsplit_once(')'))
            .map_or("", |(name, _)| name);
        if !name.starts_with(CLIENT_THREAD) {
            let (u, s) = crate::summary::parse_stat_times(&stat);
            total.0 += u;
            total.1 += s;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mode that fails after starting the embedded broker drops its target inside the
    /// client's runtime: that must neither panic nor leave the temporary store behind.
    #[tokio::test]
    async fn an_embedded_target_can_be_dropped_in_async_code() {
        let target = Target::resolve(None).await.unwrap();
        let dir = target
            .embedded
            .as_ref()
            .and_then(|e| e.broker.as_ref())
            .map(|b| b.dir().to_path_buf())
            .unwrap();
        assert!(dir.exists());
        drop(target);
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
}
