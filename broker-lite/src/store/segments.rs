//! A directory of fixed-size segment files named by their 20-digit zero-padded start offset
//! (Java `MappedFileQueue`), read and written with positioned I/O (`pread`/`pwrite`), no mmap.
//!
//! Files are created at their full size (sparse), as Java maps them, so a Java broker can
//! open the directory; bytes never written read as zeros.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};

/// One segment file.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub(crate) start: u64,
    pub(crate) path: PathBuf,
    pub(crate) file: Arc<File>,
}

/// Segment files of one log (the commit log, or one consume queue).
///
/// Invariants: segments are sorted by start, contiguous (`start[i+1] = start[i] + size`) and
/// each start is a multiple of `size`; every file is exactly `size` bytes long.
#[derive(Debug)]
pub(crate) struct Segments {
    dir: PathBuf,
    size: u64,
    list: Vec<Segment>,
}

/// The file name of a segment starting at `start`.
pub(crate) fn segment_name(start: u64) -> String {
    format!("{start:020}")
}

impl Segments {
    /// Opens (creating the directory) the segments under `dir`. Files whose name is not a
    /// 20-digit offset are ignored; a wrong size or a gap is an error.
    pub(crate) fn open(dir: &Path, size: u64) -> Result<Self> {
        fs::create_dir_all(dir)?;
        let mut found = Vec::new();
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.len() != 20 || !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(start) = name.parse::<u64>() else {
                continue;
            };
            found.push((start, entry.path()));
        }
        found.sort();
        let mut list = Vec::with_capacity(found.len());
        for (start, path) in found {
            let corrupt = |reason: String| Error::Corrupt {
                path: path.clone(),
                reason,
            };
            if !start.is_multiple_of(size) {
                return Err(corrupt(format!("start is not a multiple of {size}")));
            }
            if let Some(prev) = list.last().map(|s: &Segment| s.start)
                && prev + size != start
            {
                return Err(corrupt(format!("gap after segment {prev}")));
            }
            let file = OpenOptions::new().read(true).write(true).open(&path)?;
            let len = file.metadata()?.len();
            if len != size {
                // A segment cut short (e.g. copied or torn): give it back its size; the
                // missing bytes read as zeros, which recovery treats as the end of data.
                file.set_len(size)?;
            }
            list.push(Segment {
                start,
                path,
                file: Arc::new(file),
            });
        }
        Ok(Segments {
            dir: dir.to_owned(),
            size,
            list,
        })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    pub(crate) fn list(&self) -> &[Segment] {
        &self.list
    }

    /// Start of the first segment (0 when there is none).
    pub(crate) fn min_offset(&self) -> u64 {
        self.list.first().map_or(0, |s| s.start)
    }

    /// The segment holding `offset`, if any.
    pub(crate) fn find(&self, offset: u64) -> Option<&Segment> {
        let first = self.list.first()?.start;
        let idx = usize::try_from(offset.checked_sub(first)? / self.size).ok()?;
        self.list.get(idx)
    }

    /// The segment holding `offset`, created (with any segments before it) if missing.
    fn find_or_create(&mut self, offset: u64) -> Result<&Segment> {
        let start = offset - offset % self.size;
        if self.list.is_empty() {
            self.create(start)?;
        }
        while self.list.last().is_some_and(|s| s.start < start) {
            let next = self.list.last().map_or(0, |s| s.start + self.size);
            self.create(next)?;
        }
        self.find(offset).ok_or_else(|| Error::Corrupt {
            path: self.dir.clone(),
            reason: format!("offset {offset} is before the first segment"),
        })
    }

    fn create(&mut self, start: u64) -> Result<()> {
        let path = self.dir.join(segment_name(start));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        file.set_len(self.size)?;
        self.list.push(Segment {
            start,
            path,
            file: Arc::new(file),
        });
        Ok(())
    }

    /// Writes `data` at `offset`; the range must lie within one segment.
    pub(crate) fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        let size = self.size;
        let seg = self.find_or_create(offset)?;
        let at = offset - seg.start;
        if at + data.len() as u64 > size {
            return Err(Error::Corrupt {
                path: seg.path.clone(),
                reason: format!("write of {} bytes at {at} crosses the end", data.len()),
            });
        }
        seg.file.write_all_at(data, at)?;
        Ok(())
    }

    /// Reads `len` bytes at `offset`, clamped to the end of its segment; `None` when no
    /// segment holds `offset`.
    pub(crate) fn read_at(&self, offset: u64, len: usize) -> Result<Option<Vec<u8>>> {
        let Some(seg) = self.find(offset) else {
            return Ok(None);
        };
        let at = offset - seg.start;
        let len = len.min(usize::try_from(self.size - at).unwrap_or(usize::MAX));
        let mut buf = vec![0; len];
        seg.file.read_exact_at(&mut buf, at)?;
        Ok(Some(buf))
    }

    /// Drops everything from `offset` on: later segments are deleted, the rest of the
    /// segment holding `offset` is zeroed (by cutting and re-growing the sparse file).
    pub(crate) fn truncate_from(&mut self, offset: u64) -> Result<()> {
        while self.list.last().is_some_and(|s| s.start > offset) {
            if let Some(seg) = self.list.pop() {
                fs::remove_file(&seg.path)?;
            }
        }
        if let Some(seg) = self.find(offset) {
            let at = offset - seg.start;
            if at == 0 && seg.start > 0 && self.list.len() > 1 {
                // Keep no empty trailing segment except the first.
                if let Some(seg) = self.list.pop() {
                    fs::remove_file(&seg.path)?;
                }
            } else {
                seg.file.set_len(at)?;
                seg.file.set_len(self.size)?;
            }
        }
        Ok(())
    }

    /// Files overlapping `[from, to)`, for syncing outside a lock.
    pub(crate) fn files_in(&self, from: u64, to: u64) -> Vec<Arc<File>> {
        self.list
            .iter()
            .filter(|s| s.start < to && s.start + self.size > from)
            .map(|s| s.file.clone())
            .collect()
    }

    /// Removes the first segment.
    pub(crate) fn remove_first(&mut self) -> Result<()> {
        if !self.list.is_empty() {
            let seg = self.list.remove(0);
            fs::remove_file(&seg.path)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TestDir;

    #[test]
    fn write_read_truncate_reopen() -> Result<()> {
        let dir = TestDir::new("segments");
        let mut segs = Segments::open(dir.path(), 16)?;
        segs.write_at(0, b"0123456789")?;
        segs.write_at(35, b"abc")?;
        assert_eq!(segs.list().len(), 3);
        assert_eq!(
            fs::read_dir(dir.path())?.count(),
            3,
            "segments 0, 16 and 32 exist"
        );
        assert!(dir.path().join("00000000000000000032").exists());
        assert!(segs.write_at(14, b"xyz").is_err(), "crosses a segment end");
        assert_eq!(segs.read_at(2, 3)?.as_deref(), Some(&b"234"[..]));
        assert_eq!(segs.read_at(35, 100)?.map(|b| b.len()), Some(13));
        assert_eq!(segs.read_at(48, 1)?, None);
        segs.truncate_from(5)?;
        assert_eq!(segs.list().len(), 1);
        assert_eq!(segs.read_at(0, 8)?.as_deref(), Some(&b"01234\0\0\0"[..]));
        drop(segs);
        let segs = Segments::open(dir.path(), 16)?;
        assert_eq!(segs.list().len(), 1);
        assert_eq!(segs.read_at(0, 5)?.as_deref(), Some(&b"01234"[..]));
        Ok(())
    }

    #[test]
    fn gaps_are_refused() -> Result<()> {
        let dir = TestDir::new("segments-gap");
        fs::write(dir.path().join(segment_name(0)), [0u8; 16])?;
        fs::write(dir.path().join(segment_name(32)), [0u8; 16])?;
        fs::write(dir.path().join("not-a-segment"), b"x")?;
        assert!(matches!(
            Segments::open(dir.path(), 16),
            Err(Error::Corrupt { .. })
        ));
        Ok(())
    }
}
