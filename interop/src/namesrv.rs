//! A real Java name server alone, for brokers under test (such as broker-lite's) to
//! register with.

use crate::cluster::{run_admin, spawn_namesrv, write_logback_configs};
use crate::java::JavaVersion;
use crate::ports::ScratchDir;
use crate::process::JavaProcess;

/// A running Java name server on a free loopback port; killed by PID and its scratch
/// directory removed on [`JavaNameServer::stop`] or drop.
#[derive(Debug)]
pub struct JavaNameServer {
    version: JavaVersion,
    port: u16,
    // Field order matters for drop: the process first, then its directory.
    process: JavaProcess,
    dir: ScratchDir,
}

impl JavaNameServer {
    /// Starts a name server of `version` and waits for "boot success".
    pub async fn start(version: JavaVersion) -> anyhow::Result<JavaNameServer> {
        let label = version.label()?;
        version.home()?;
        let dir = ScratchDir::new(&format!("rocketmq-java-namesrv-{label}"))?;
        let home = dir.path().join("rocketmq_home");
        write_logback_configs(&home)?;
        let (process, port) = spawn_namesrv(version, dir.path(), &home).await?;
        Ok(JavaNameServer {
            version,
            port,
            process,
            dir,
        })
    }

    /// The address, `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The PID while running.
    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    /// The last part of its output, for error messages.
    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }

    /// Runs the Java mqadmin against it (see [`crate::JavaCluster::admin`]).
    pub async fn admin(&self, args: &[&str]) -> anyhow::Result<String> {
        run_admin(self.version, self.dir.path(), &self.addr(), args).await
    }

    /// Kills it by PID, waits for it, and removes the scratch directory.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.process.stop().await
    }
}
