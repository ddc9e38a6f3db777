//! How full the store's disk is (Java `UtilAll.getDiskPartitionSpaceUsedPercent`).
//!
//! The store asks a [`DiskUsage`] probe; the default, [`Statvfs`], calls `statvfs(2)`
//! through `rustix` (a thin, `libc`-free syscall wrapper that `std` lacks; `nix` and
//! `fs2`/`fs4` would add `libc` bindings or wrap `rustix` themselves). Tests inject their
//! own probe instead of filling a disk.

use std::fmt;
use std::io;
use std::path::Path;

/// Reports how full the filesystem holding a path is.
pub trait DiskUsage: Send + Sync + fmt::Debug {
    /// The used fraction (0.0 to 1.0) of the filesystem holding `path`.
    fn used_ratio(&self, path: &Path) -> io::Result<f64>;
}

/// The real probe: `statvfs(2)` on the path, with Java's formula `used / (used + available
/// to unprivileged users)`, rounded up to a whole percent (so the blocks reserved for root
/// count as unavailable, as `df` shows).
#[derive(Clone, Copy, Debug, Default)]
pub struct Statvfs;

impl DiskUsage for Statvfs {
    fn used_ratio(&self, path: &Path) -> io::Result<f64> {
        let st = rustix::fs::statvfs(path)?;
        Ok(ratio(st.f_blocks, st.f_bfree, st.f_bavail))
    }
}

/// Total and free bytes of the filesystem holding `path` (Java `File.getTotalSpace` and
/// `getFreeSpace`).
pub(crate) fn space(path: &Path) -> io::Result<(u64, u64)> {
    let st = rustix::fs::statvfs(path)?;
    Ok((
        st.f_blocks.saturating_mul(st.f_frsize),
        st.f_bfree.saturating_mul(st.f_frsize),
    ))
}

/// Java's rounding: whole percent, rounded up; 0 for an empty filesystem.
fn ratio(blocks: u64, free: u64, available: u64) -> f64 {
    let used = u128::from(blocks.saturating_sub(free));
    let entire = used + u128::from(available);
    if blocks == 0 || entire == 0 {
        return 0.0;
    }
    let percent = (used * 100).div_ceil(entire);
    percent as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_rounding() {
        assert_eq!(ratio(100, 100, 95), 0.0);
        assert_eq!(
            ratio(100, 50, 45),
            0.53,
            "50 used of 95 usable: 52.6% rounds up"
        );
        assert_eq!(ratio(1000, 250, 250), 0.75);
        assert_eq!(ratio(100, 0, 0), 1.0);
        assert_eq!(ratio(0, 0, 0), 0.0);
    }

    #[test]
    fn statvfs_of_a_real_directory() -> io::Result<()> {
        let r = Statvfs.used_ratio(&std::env::temp_dir())?;
        assert!((0.0..=1.0).contains(&r), "{r}");
        assert!(Statvfs.used_ratio(Path::new("/no/such/dir/here")).is_err());
        let (total, free) = space(&std::env::temp_dir())?;
        assert!(total > 0 && free <= total);
        Ok(())
    }
}
