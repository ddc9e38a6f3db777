//! The checkpoint file `<root>/checkpoint` (Java `StoreCheckpoint`).
//!
//! Layout: one 4096-byte page (Java maps `OS_PAGE_SIZE`), big-endian i64s at
//! 0 `physicMsgTimestamp` (store time of the last commit-log record known flushed),
//! 8 `logicsMsgTimestamp` (same for consume queues), 16 `indexMsgTimestamp` (same for the
//! index), and in 5.x 24 `masterFlushedOffset`, 32 `confirmPhyOffset` (written as 0 here;
//! 4.9.8 ignores them). The rest is zero.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::Result;

const PAGE: usize = 4096;

/// Flushed-up-to timestamps (epoch ms) of the store's files.
#[derive(Debug)]
pub(crate) struct Checkpoint {
    file: File,
    pub(crate) physic_ts: i64,
    pub(crate) logics_ts: i64,
    pub(crate) index_ts: i64,
}

impl Checkpoint {
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let mut page = [0u8; 24];
        let len = file.metadata()?.len();
        if len >= 24 {
            file.read_exact_at(&mut page, 0)?;
        } else {
            file.set_len(PAGE as u64)?;
        }
        let at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&page[i..i + 8]);
            i64::from_be_bytes(b)
        };
        Ok(Checkpoint {
            file,
            physic_ts: at(0),
            logics_ts: at(8),
            index_ts: at(16),
        })
    }

    /// The time before which everything was flushed, less 3 s of slack (Java
    /// `getMinTimestampIndex` with `getMinTimestamp`'s margin).
    pub(crate) fn safe_timestamp(&self) -> i64 {
        let min = self.physic_ts.min(self.logics_ts).min(self.index_ts);
        (min - 3000).max(0)
    }

    pub(crate) fn flush(&self) -> Result<()> {
        let mut page = [0u8; 40];
        page[0..8].copy_from_slice(&self.physic_ts.to_be_bytes());
        page[8..16].copy_from_slice(&self.logics_ts.to_be_bytes());
        page[16..24].copy_from_slice(&self.index_ts.to_be_bytes());
        self.file.write_all_at(&page, 0)?;
        self.file.sync_data()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TestDir;

    #[test]
    fn layout_round_trip() -> Result<()> {
        let dir = TestDir::new("checkpoint");
        let path = dir.path().join("checkpoint");
        let mut cp = Checkpoint::open(&path)?;
        assert_eq!((cp.physic_ts, cp.logics_ts, cp.index_ts), (0, 0, 0));
        assert_eq!(cp.safe_timestamp(), 0);
        cp.physic_ts = 10_000;
        cp.logics_ts = 9_000;
        cp.index_ts = 20_000;
        cp.flush()?;
        let bytes = std::fs::read(&path)?;
        assert_eq!(bytes.len(), PAGE);
        assert_eq!(&bytes[8..16], &9_000i64.to_be_bytes());
        let cp = Checkpoint::open(&path)?;
        assert_eq!(
            (cp.physic_ts, cp.logics_ts, cp.index_ts),
            (10_000, 9_000, 20_000)
        );
        assert_eq!(cp.safe_timestamp(), 6_000);
        Ok(())
    }
}
