//! Store tests: round trips across segments, reopen, crash simulation, consume-queue
//! rebuild, sync flush.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use broker_lite::store::{FlushMode, GetStatus, Store, StoreConfig, tag_hash};
use rocketmq::protocol::message::{Message, StoredMessage};

mod temp_dir;
use temp_dir::TempDir;

fn config(root: &Path) -> StoreConfig {
    let mut c = StoreConfig::new(root);
    c.commit_log_segment_size = 64 << 10;
    c.max_record_size = 16 << 10;
    c.consume_queue_entries_per_file = 8;
    c
}

fn msg(topic: &str, queue_id: i32, i: usize) -> StoredMessage {
    let mut m = Message::new(topic, format!("body-{i}-{}", "x".repeat(i * 37 % 3000)));
    m.set_tags(if i.is_multiple_of(2) { "even" } else { "odd" });
    m.set_keys([format!("k{i}")]);
    StoredMessage {
        message: m,
        queue_id,
        born_timestamp: 1_700_000_000_000 + i as i64,
        ..StoredMessage::default()
    }
}

fn body_of(i: usize) -> String {
    format!("body-{i}-{}", "x".repeat(i * 37 % 3000))
}

fn read_all(store: &Store, topic: &str, q: i32) -> Vec<StoredMessage> {
    let mut out = Vec::new();
    let mut off = store.min_offset(topic, q);
    loop {
        let r = store.get_messages(topic, q, off, 7, None).unwrap();
        if r.status != GetStatus::Found {
            break;
        }
        out.extend(r.records.iter().map(|b| Store::decode(b).unwrap()));
        off = r.next_begin_offset;
    }
    out
}

#[test]
fn round_trip_across_segments_and_reopen() {
    let dir = TempDir::new("roundtrip");
    let store = Store::open(config(&dir.0)).unwrap();
    let mut results = Vec::new();
    for i in 0..120 {
        results.push(store.append(msg("TopicA", (i % 2) as i32, i)).unwrap());
    }
    assert!(
        store.max_phys_offset() > 2 * (64 << 10),
        "spans several segments"
    );
    // Records never cross a segment and the tail of a full segment is the Java filler.
    for r in &results {
        assert_eq!(
            r.phys_offset / (64 << 10),
            (r.phys_offset + r.size as u64 - 1) / (64 << 10)
        );
        let raw = store.read_by_phys_offset(r.phys_offset).unwrap().unwrap();
        let m = Store::decode(&raw).unwrap();
        assert_eq!(m.commit_log_offset as u64, r.phys_offset);
        assert_eq!(m.queue_offset as u64, r.queue_offset);
    }
    let seg0 = fs::read(dir.0.join("commitlog").join(format!("{:020}", 0))).unwrap();
    assert_eq!(seg0.len(), 64 << 10);
    let first_in_1 = results.iter().find(|r| r.phys_offset >= 64 << 10).unwrap();
    let last_in_0 = results
        .iter()
        .rev()
        .find(|r| r.phys_offset < 64 << 10)
        .unwrap();
    let blank_at = (last_in_0.phys_offset as usize) + last_in_0.size;
    assert_eq!(first_in_1.phys_offset, 64 << 10);
    assert_eq!(
        &seg0[blank_at..blank_at + 4],
        &((64 << 10) - blank_at as i32).to_be_bytes()
    );
    assert_eq!(
        &seg0[blank_at + 4..blank_at + 8],
        &(-875_286_124i32).to_be_bytes()
    );

    let check = |store: &Store| {
        for q in 0..2 {
            let got = read_all(store, "TopicA", q);
            assert_eq!(got.len(), 60);
            for (n, m) in got.iter().enumerate() {
                let i = n * 2 + q as usize;
                assert_eq!(m.message.body().as_ref(), body_of(i).as_bytes());
                assert_eq!(m.queue_offset, n as i64);
                assert_eq!(m.message.keys().collect::<Vec<_>>(), vec![format!("k{i}")]);
                // Exactly the properties sent: the store's record CRC stays internal.
                let mut names: Vec<_> = m.message.properties().iter().map(|(k, _)| k).collect();
                names.sort_unstable();
                assert_eq!(names, ["KEYS", "TAGS"]);
            }
        }
    };
    check(&store);
    let even = store
        .get_messages("TopicA", 0, 0, 100, Some(&|h| h == tag_hash("odd")))
        .unwrap();
    assert_eq!(
        even.status,
        GetStatus::NoMatchedMessage,
        "queue 0 holds only even tags"
    );
    assert_eq!(store.max_offset("TopicA", 0), 60);
    let r = store.get_messages("TopicA", 0, 60, 10, None).unwrap();
    assert_eq!(r.status, GetStatus::OffsetOverflowOne);
    store.close().unwrap();
    assert!(!dir.0.join("abort").exists());
    assert!(store.append(msg("TopicA", 0, 1)).is_err(), "closed");

    let store = Store::open(config(&dir.0)).unwrap();
    assert!(!store.recovered_after_crash());
    assert!(dir.0.join("abort").exists());
    check(&store);
    let r = store.append(msg("TopicA", 0, 500)).unwrap();
    assert_eq!(r.queue_offset, 60);
    assert_eq!(
        r.phys_offset,
        results
            .last()
            .map(|r| r.phys_offset + r.size as u64)
            .unwrap()
    );
    let t = store
        .offset_by_time("TopicA", 0, r.store_timestamp)
        .unwrap();
    assert!(t <= 60);
    store.close().unwrap();
}

/// A tiny deterministic generator (no dependency needed).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn last_segment(dir: &Path) -> PathBuf {
    let mut segs: Vec<_> = fs::read_dir(dir.join("commitlog"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    segs.sort();
    segs.pop().unwrap()
}

/// With the whole-record CRC (the default) a torn tail is found even when the bytes
/// after the cut are garbage.
#[test]
fn crash_cuts_keep_every_complete_record() {
    crash_rounds(true, true);
}

/// Without it (Java's default) the body CRC and the structural checks find a torn tail
/// that reads as zeros, which is what a crash leaves.
#[test]
fn crash_cuts_without_record_crc() {
    crash_rounds(false, false);
}

fn crash_rounds(record_crc: bool, garbage: bool) {
    let dir = TempDir::new("crash");
    let mut rng = Lcg(7);
    let config = |root: &Path| {
        let mut c = config(root);
        c.record_crc = record_crc;
        c
    };
    let mut written: Vec<(u64, usize, usize)> = Vec::new(); // phys, size, i
    let mut next_i = 0;
    for round in 0..25 {
        let store = Store::open(config(&dir.0)).unwrap();
        if round > 0 {
            assert!(store.recovered_after_crash());
        }
        // Everything that survived must be exactly what was written, in order.
        let got = read_all(&store, "T", 0);
        let end = store.max_phys_offset();
        let expect: Vec<_> = written
            .iter()
            .filter(|(p, s, _)| p + *s as u64 <= end)
            .collect();
        assert_eq!(got.len(), expect.len(), "round {round}");
        for (m, (p, _, i)) in got.iter().zip(&expect) {
            assert_eq!(m.commit_log_offset as u64, *p);
            assert_eq!(m.message.body().as_ref(), body_of(*i).as_bytes());
        }
        written.truncate(expect.len());
        for _ in 0..(5 + rng.next(20)) {
            let r = store.append(msg("T", 0, next_i)).unwrap();
            written.push((r.phys_offset, r.size, next_i));
            next_i += 1;
        }
        store.flush().unwrap();
        drop(store); // no close: the abort file stays, as after a crash
        // Cut the last segment at a random point within its data, maybe add garbage.
        let seg = last_segment(&dir.0);
        let seg_start: u64 = seg.file_name().unwrap().to_str().unwrap().parse().unwrap();
        let data_end = written.last().map_or(0, |(p, s, _)| p + *s as u64) - seg_start;
        let cut = rng.next(data_end + 1);
        let f = OpenOptions::new().write(true).open(&seg).unwrap();
        f.set_len(cut).unwrap();
        if garbage && rng.next(2) == 0 {
            let garbage: Vec<u8> = (0..rng.next(300)).map(|_| rng.next(256) as u8).collect();
            use std::os::unix::fs::FileExt;
            f.write_all_at(&garbage, cut).unwrap();
        }
        drop(f);
        let cut_abs = seg_start + cut;
        let before = written.len();
        written.retain(|(p, s, _)| p + *s as u64 <= cut_abs);
        assert!(written.len() <= before);
    }
}

#[test]
fn consume_queue_rebuilt_after_loss() {
    let dir = TempDir::new("cq-rebuild");
    let store = Store::open(config(&dir.0)).unwrap();
    for i in 0..40 {
        store.append(msg("R", (i % 3) as i32, i)).unwrap();
    }
    store.flush().unwrap();
    drop(store); // crash
    // Lose queue 0 entirely, truncate queue 1 mid-entry.
    fs::remove_dir_all(dir.0.join("consumequeue/R/0")).unwrap();
    let q1 = dir.0.join("consumequeue/R/1");
    let mut files: Vec<_> = fs::read_dir(&q1)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in &files[1..] {
        fs::remove_file(f).unwrap();
    }
    OpenOptions::new()
        .write(true)
        .open(&files[0])
        .unwrap()
        .set_len(3 * 20 + 7)
        .unwrap();
    // Force a full scan: remove the checkpoint (queue 0 has no directory left to lag).
    fs::remove_file(dir.0.join("checkpoint")).unwrap();
    let store = Store::open(config(&dir.0)).unwrap();
    for q in 0..3 {
        let got = read_all(&store, "R", q);
        let want: Vec<usize> = (0..40).filter(|i| i % 3 == q as usize).collect();
        assert_eq!(got.len(), want.len(), "queue {q}");
        for (m, i) in got.iter().zip(want) {
            assert_eq!(m.message.body().as_ref(), body_of(i).as_bytes());
        }
    }
    store.close().unwrap();
}

#[test]
fn sync_flush_acknowledges_after_fsync_with_group_commit() {
    let dir = TempDir::new("sync");
    let mut c = config(&dir.0);
    c.flush_mode = FlushMode::Sync;
    let store = Store::open(c).unwrap();
    let base = store.fsync_count();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let r = store.append(msg("S", t, i)).unwrap();
                    // Acknowledged only once an fsync covered the record.
                    assert!(store.flushed_offset() >= r.phys_offset + r.size as u64);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let fsyncs = store.fsync_count() - base;
    assert!(
        (1..=200).contains(&fsyncs),
        "{fsyncs} fsyncs for 200 appends"
    );
    assert_eq!(store.flushed_offset(), store.max_phys_offset());
    store.close().unwrap();
}

/// Switching the record CRC on for a store written without it keeps the old records
/// after a crash, and holds the new ones to it.
#[test]
fn record_crc_switched_on_keeps_old_records() {
    let dir = TempDir::new("crc-switch");
    let mut c = config(&dir.0);
    c.record_crc = false;
    let store = Store::open(c).unwrap();
    for i in 0..10 {
        store.append(msg("W", 0, i)).unwrap();
    }
    drop(store); // crash
    let store = Store::open(config(&dir.0)).unwrap();
    assert!(store.recovered_after_crash());
    assert_eq!(read_all(&store, "W", 0).len(), 10);
    let mut last = None;
    for i in 10..20 {
        last = Some(store.append(msg("W", 0, i)).unwrap());
    }
    drop(store); // crash, then corrupt a property byte of the last record
    let last = last.unwrap();
    let seg = dir.0.join("commitlog").join(format!("{:020}", 0));
    let f = OpenOptions::new().write(true).open(&seg).unwrap();
    use std::os::unix::fs::FileExt;
    f.write_all_at(b"Z", last.phys_offset + last.size as u64 - 25)
        .unwrap();
    drop(f);
    let store = Store::open(config(&dir.0)).unwrap();
    assert_eq!(
        read_all(&store, "W", 0).len(),
        19,
        "the damaged record is cut"
    );
    store.close().unwrap();
}

/// Every record read back while the in-memory tail still holds it is byte for byte what
/// a read from the files gives, with the record CRC on and off, with the cache holding
/// everything and only a part, across segment ends.
#[test]
fn tail_cache_reads_equal_file_reads() {
    for record_crc in [true, false] {
        for cache in [8 << 20, 4 << 10] {
            let dir = TempDir::new("tailcache");
            let mut c = config(&dir.0);
            c.record_crc = record_crc;
            c.tail_cache_size = cache;
            let store = Store::open(c.clone()).unwrap();
            let raw = |store: &Store| {
                (0..3)
                    .map(|q| {
                        let mut all = Vec::new();
                        let mut off = 0;
                        loop {
                            let r = store.get_messages("TopicT", q, off, 5, None).unwrap();
                            if r.status != GetStatus::Found {
                                break;
                            }
                            all.extend(r.records);
                            off = r.next_begin_offset;
                        }
                        all
                    })
                    .collect::<Vec<_>>()
            };
            let mut live = vec![Vec::new(); 3];
            for i in 0..150 {
                let q = (i % 3) as i32;
                store.append(msg("TopicT", q, i)).unwrap();
                // A live consumer: read each record right after it was stored.
                let off = live[q as usize].len() as u64;
                let r = store.get_messages("TopicT", q, off, 5, None).unwrap();
                assert_eq!(r.records.len(), 1, "record {i}");
                live[q as usize].extend(r.records);
            }
            let cached = raw(&store);
            assert_eq!(cached, live);
            store.close().unwrap();
            c.tail_cache_size = 0;
            let store = Store::open(c).unwrap();
            let from_files = raw(&store);
            assert_eq!(from_files.iter().map(Vec::len).sum::<usize>(), 150);
            assert_eq!(from_files, cached, "record_crc {record_crc}, cache {cache}");
            for r in from_files.iter().flatten() {
                let m = Store::decode(r).unwrap();
                assert!(m.message.properties().get("__CRC32#").is_none());
            }
            store.close().unwrap();
        }
    }
}
