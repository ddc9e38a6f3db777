//! Free loopback ports and scratch directories, so tests never use fixed ports or paths.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, bail};

/// A port that was free a moment ago (bound on all interfaces, then released).
pub(crate) fn free_port() -> anyhow::Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).context("cannot bind an ephemeral port")?;
    Ok(listener.local_addr()?.port())
}

/// A broker listen port `p` such that `p - 2` (the "VIP" channel), `p` and `p + 1` (HA)
/// are all free right now. 4.9.8 binds every interface, so the check does too.
pub(crate) fn free_broker_port() -> anyhow::Result<u16> {
    for _ in 0..200 {
        let p = free_port()?;
        if p < 1026 || p == u16::MAX {
            continue;
        }
        let held: Result<Vec<TcpListener>, _> = [p - 2, p, p + 1]
            .into_iter()
            .map(|port| TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)))
            .collect();
        if held.is_ok() {
            return Ok(p);
        }
    }
    bail!("no free port p with p-2 and p+1 also free after 200 tries")
}

/// A fresh directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Creates `<temp>/<prefix>-<pid>-<n>-<nanos>`.
    pub fn new(prefix: &str) -> anyhow::Result<Self> {
        Self::new_in(&std::env::temp_dir(), prefix)
    }

    /// Like [`new`](Self::new), but on the memory-backed `/dev/shm` when there is one: for
    /// a Java broker's store. A Java broker refuses every write once the disk holding its
    /// store is more than 90% used, a limit its config cannot raise, and a shared build
    /// machine's disk can be that full with gigabytes still free (a CI run failed so).
    /// `/dev/shm` sees only what the tests put there. Falls back to the temp dir.
    pub fn for_java_store(prefix: &str) -> anyhow::Result<Self> {
        let shm = Path::new("/dev/shm");
        if shm.is_dir()
            && let Ok(dir) = Self::new_in(shm, prefix)
        {
            return Ok(dir);
        }
        Self::new(prefix)
    }

    fn new_in(root: &Path, prefix: &str) -> anyhow::Result<Self> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = root.join(format!(
            "{prefix}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_port_has_free_neighbours() -> anyhow::Result<()> {
        let p = free_broker_port()?;
        for port in [p - 2, p, p + 1] {
            TcpListener::bind((Ipv4Addr::UNSPECIFIED, port))?;
        }
        Ok(())
    }

    #[test]
    fn scratch_dir_is_removed_on_drop() -> anyhow::Result<()> {
        let dir = ScratchDir::new("interop-test")?;
        let path = dir.path().to_path_buf();
        std::fs::write(path.join("f"), b"x")?;
        assert!(path.is_dir());
        drop(dir);
        assert!(!path.exists());
        Ok(())
    }
}
