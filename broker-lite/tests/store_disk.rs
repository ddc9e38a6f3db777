//! Retention tests: deletion by age, forced deletion by disk usage (with an injected usage
//! probe, never a full disk), the disk-full refusal, and what queues and the index keep.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::fs;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use broker_lite::Error;
use broker_lite::store::{DiskUsage, GetStatus, Store, StoreConfig};
use rocketmq::protocol::message::{Message, StoredMessage};

mod temp_dir;
use temp_dir::TempDir;

/// A disk whose usage is `base + per_segment × commit-log segments` (so deleting a
/// segment frees space), or a fixed value when `fixed` is set.
#[derive(Debug)]
struct FakeDisk {
    base: f64,
    per_segment: f64,
    fixed: Mutex<Option<f64>>,
}

impl DiskUsage for FakeDisk {
    fn used_ratio(&self, path: &Path) -> io::Result<f64> {
        if let Some(r) = *self.fixed.lock().unwrap() {
            return Ok(r);
        }
        let segments = fs::read_dir(path.join("commitlog"))?.count();
        Ok(self.base + self.per_segment * segments as f64)
    }
}

fn fake(base: f64, per_segment: f64, fixed: Option<f64>) -> Arc<FakeDisk> {
    Arc::new(FakeDisk {
        base,
        per_segment,
        fixed: Mutex::new(fixed),
    })
}

fn config(root: &Path, disk: &Arc<FakeDisk>) -> StoreConfig {
    let mut c = StoreConfig::new(root);
    c.commit_log_segment_size = 64 << 10;
    c.max_record_size = 16 << 10;
    c.consume_queue_entries_per_file = 16;
    c.index_hash_slots = 16;
    c.index_entries = 30;
    c.disk_usage = disk.clone();
    // Forced deletion from 0.75 here, writes refused above Java's 0.90 (broker-lite's
    // defaults are 0.98 and 0.99).
    c.disk_force_clean_ratio = 0.75;
    c.disk_warning_ratio = 0.90;
    c
}

fn msg(i: usize) -> StoredMessage {
    let mut m = Message::new("D", format!("{i}-{}", "x".repeat(2000)));
    m.set_keys([format!("k{i}")]);
    StoredMessage {
        message: m,
        ..StoredMessage::default()
    }
}

fn segments(root: &Path) -> usize {
    fs::read_dir(root.join("commitlog")).unwrap().count()
}

/// Appends until the commit log has `n` segments; returns the append results.
fn fill(store: &Store, root: &Path, n: usize) -> Vec<broker_lite::store::AppendResult> {
    let mut out = Vec::new();
    while segments(root) < n {
        out.push(store.append(msg(out.len())).unwrap());
    }
    out
}

#[test]
fn over_max_ratio_deletes_oldest_until_below() {
    let dir = TempDir::new("disk-force");
    let disk = fake(0.5, 0.06, None);
    let store = Store::open(config(&dir.0, &disk)).unwrap();
    let written = fill(&store, &dir.0, 6);
    assert_eq!(segments(&dir.0), 6);
    let index_files = store.index_file_count();
    // Young segments and 0.86 used: forced deletion down to 0.74 (4 segments).
    let report = store.clean(SystemTime::now()).unwrap();
    assert_eq!(report.expired, 0);
    assert_eq!(report.forced, 2);
    assert_eq!(segments(&dir.0), 4);
    assert!(!report.disk_full);
    assert!((report.used_ratio.unwrap() - 0.74).abs() < 1e-9);
    assert_eq!(store.min_phys_offset(), 2 * (64 << 10));

    // The consume queue starts at the first surviving record; old offsets are too small.
    let first_kept = written
        .iter()
        .find(|r| r.phys_offset >= store.min_phys_offset())
        .unwrap();
    assert_eq!(store.min_offset("D", 0), first_kept.queue_offset);
    let r = store.get_messages("D", 0, 0, 10, None).unwrap();
    assert_eq!(r.status, GetStatus::OffsetTooSmall);
    assert_eq!(r.next_begin_offset, first_kept.queue_offset);
    // Keys of deleted records find nothing; kept ones still do.
    assert!(
        store
            .query_messages("D", "k0", 10, 0, i64::MAX)
            .unwrap()
            .records
            .is_empty()
    );
    let kept = first_kept.queue_offset as usize;
    assert_eq!(
        store
            .query_messages("D", &format!("k{kept}"), 10, 0, i64::MAX)
            .unwrap()
            .records
            .len(),
        1
    );
    // Index files whose entries all point below the new minimum are gone.
    assert!(
        store.index_file_count() < index_files,
        "{} index files of {index_files} left",
        store.index_file_count()
    );
    store.close().unwrap();
    let store = Store::open(config(&dir.0, &disk)).unwrap();
    assert_eq!(
        store.min_offset("D", 0),
        first_kept.queue_offset,
        "survives reopen"
    );
    store.close().unwrap();
}

#[test]
fn never_the_segment_being_written_and_disk_full_refusal() {
    let dir = TempDir::new("disk-full");
    let disk = fake(0.0, 0.0, None);
    let store = Store::open(config(&dir.0, &disk)).unwrap();
    let written = fill(&store, &dir.0, 14);
    *disk.fixed.lock().unwrap() = Some(0.97);
    let report = store.clean(SystemTime::now()).unwrap();
    assert_eq!(report.forced, 10, "at most a batch per call");
    assert!(report.disk_full);
    assert!(store.is_disk_full());
    match store.append(msg(999)) {
        Err(Error::DiskFull { used_ratio }) => assert_eq!(used_ratio, 0.97),
        other => panic!("expected DiskFull, got {other:?}"),
    }
    let report = store.clean(SystemTime::now()).unwrap();
    assert_eq!(report.forced, 3);
    assert_eq!(segments(&dir.0), 1, "the segment being written stays");
    let last = written.last().unwrap();
    assert!(
        store
            .read_by_phys_offset(last.phys_offset)
            .unwrap()
            .is_some()
    );

    // Room again: the next check lifts the refusal.
    *disk.fixed.lock().unwrap() = Some(0.5);
    assert!(!store.check_disk());
    let r = store.append(msg(1000)).unwrap();
    assert_eq!(r.phys_offset, last.phys_offset + last.size as u64);
    assert_eq!(store.disk_used_ratio(), Some(0.5));
    store.close().unwrap();

    // A store opened on a full disk refuses writes at once; between the two ratios it
    // accepts them.
    *disk.fixed.lock().unwrap() = Some(0.95);
    let store = Store::open(config(&dir.0, &disk)).unwrap();
    assert!(matches!(store.append(msg(1)), Err(Error::DiskFull { .. })));
    *disk.fixed.lock().unwrap() = Some(0.8);
    assert!(!store.check_disk());
    store.append(msg(2)).unwrap();
    store.close().unwrap();
}

#[test]
fn expired_segments_deleted_by_age() {
    let dir = TempDir::new("disk-age");
    let disk = fake(0.1, 0.0, None);
    let mut c = config(&dir.0, &disk);
    c.file_reserved_time = Duration::from_secs(3600);
    let store = Store::open(c).unwrap();
    fill(&store, &dir.0, 4);
    let report = store.clean(SystemTime::now()).unwrap();
    assert_eq!((report.expired, report.forced), (0, 0));
    assert_eq!(segments(&dir.0), 4);
    let later = SystemTime::now() + Duration::from_secs(3601);
    let report = store.clean(later).unwrap();
    assert_eq!((report.expired, report.forced), (3, 0));
    assert_eq!(segments(&dir.0), 1);
    assert_eq!(store.min_phys_offset(), 3 * (64 << 10));
    store.close().unwrap();
}
