//! Store index tests: lookups by key and unique key, several index files, time ranges,
//! and the index brought back up to date after a crash, a cut commit log or lost files.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use broker_lite::store::{Store, StoreConfig};
use rocketmq::protocol::message::{Message, StoredMessage, SysFlag, TransactionType};

mod temp_dir;
use temp_dir::TempDir;

fn config(root: &Path) -> StoreConfig {
    let mut c = StoreConfig::new(root);
    c.commit_log_segment_size = 64 << 10;
    c.max_record_size = 16 << 10;
    c.consume_queue_entries_per_file = 64;
    c.index_hash_slots = 16;
    c.index_entries = 40;
    c
}

/// Message `i` of `topic`: keys `k<i>` and `group<i % 5>`, unique key `U<i>`.
fn msg(topic: &str, i: usize) -> StoredMessage {
    let mut m = Message::new(topic, format!("body-{i}"));
    m.set_keys([format!("k{i}"), format!("group{}", i % 5)]);
    m.set_unique_key(format!("U{i}"));
    StoredMessage {
        message: m,
        queue_id: (i % 2) as i32,
        ..StoredMessage::default()
    }
}

fn bodies(store: &Store, topic: &str, key: &str) -> Vec<String> {
    let r = store.query_messages(topic, key, 64, 0, i64::MAX).unwrap();
    r.records
        .iter()
        .map(|b| {
            let m = Store::decode(b).unwrap();
            String::from_utf8(m.message.body().to_vec()).unwrap()
        })
        .collect()
}

fn index_files(root: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = fs::read_dir(root.join("index"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn lookups_by_key_and_unique_key_across_files() {
    let dir = TempDir::new("index-lookup");
    let store = Store::open(config(&dir.0)).unwrap();
    let mut results = Vec::new();
    for i in 0..60 {
        results.push(store.append(msg("IdxT", i)).unwrap());
    }
    store.append(msg("Other", 7)).unwrap();
    // 3 keys per message, 39 entries per file: several files.
    assert!(
        store.index_file_count() >= 4,
        "{}",
        store.index_file_count()
    );
    let files = index_files(&dir.0);
    assert_eq!(files.len(), store.index_file_count());
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert_eq!(name.len(), 17, "yyyyMMddHHmmssSSS: {name}");
        assert_eq!(fs::metadata(f).unwrap().len(), 40 + 16 * 4 + 40 * 20);
    }

    assert_eq!(bodies(&store, "IdxT", "k13"), vec!["body-13"]);
    assert_eq!(bodies(&store, "IdxT", "U42"), vec!["body-42"]);
    assert_eq!(bodies(&store, "Other", "k7"), vec!["body-7"]);
    assert!(bodies(&store, "IdxT", "nope").is_empty());
    // One key shared by 12 messages spread over every file: all found, commit-log order.
    let want: Vec<String> = (0..60)
        .filter(|i| i % 5 == 3)
        .map(|i| format!("body-{i}"))
        .collect();
    assert_eq!(bodies(&store, "IdxT", "group3"), want);
    let lookup = store
        .query_by_key("IdxT", "group3", 5, 0, i64::MAX)
        .unwrap();
    let newest: Vec<u64> = [58, 53, 48, 43, 38]
        .iter()
        .map(|&i| results[i].phys_offset)
        .collect();
    assert_eq!(lookup.phys_offsets, newest, "max respected, newest first");
    let last = results.last().unwrap();
    assert!(lookup.last_update_phys_offset as u64 > last.phys_offset);
    assert!(lookup.last_update_timestamp >= last.store_timestamp);
    // A time window after every record finds nothing; one covering them finds all.
    let after = last.store_timestamp + 10_000;
    assert!(
        store
            .query_by_key("IdxT", "group3", 64, after, i64::MAX)
            .unwrap()
            .phys_offsets
            .is_empty()
    );
    let covering = store
        .query_by_key(
            "IdxT",
            "group3",
            64,
            results[0].store_timestamp - 1000,
            after,
        )
        .unwrap();
    assert_eq!(covering.phys_offsets.len(), 12);

    // Reopen cleanly: same answers, nothing re-indexed (no duplicates).
    store.close().unwrap();
    let store = Store::open(config(&dir.0)).unwrap();
    assert_eq!(bodies(&store, "IdxT", "group3"), want);
    assert_eq!(bodies(&store, "IdxT", "k59"), vec!["body-59"]);
    store.close().unwrap();
}

#[test]
fn rolled_back_transactions_and_disabled_index() {
    let dir = TempDir::new("index-tx");
    let store = Store::open(config(&dir.0)).unwrap();
    let mut rb = msg("Tx", 1);
    rb.sys_flag = SysFlag::EMPTY.with_transaction_type(TransactionType::Rollback);
    store.append(rb).unwrap();
    let mut commit = msg("Tx", 2);
    commit.sys_flag = SysFlag::EMPTY.with_transaction_type(TransactionType::Commit);
    store.append(commit).unwrap();
    assert!(
        bodies(&store, "Tx", "k1").is_empty(),
        "rollbacks are not indexed"
    );
    assert_eq!(bodies(&store, "Tx", "k2"), vec!["body-2"]);
    store.close().unwrap();

    let dir = TempDir::new("index-off");
    let mut c = config(&dir.0);
    c.index_enabled = false;
    let store = Store::open(c).unwrap();
    store.append(msg("T", 1)).unwrap();
    assert!(bodies(&store, "T", "k1").is_empty());
    assert_eq!(store.index_file_count(), 0);
    store.close().unwrap();
}

#[test]
fn rebuilt_after_crash_and_after_loss() {
    let dir = TempDir::new("index-crash");
    let store = Store::open(config(&dir.0)).unwrap();
    for i in 0..20 {
        store.append(msg("C", i)).unwrap();
    }
    store.flush().unwrap();
    // Not flushed: the index entries of these stay in memory, then the process "dies".
    for i in 20..30 {
        store.append(msg("C", i)).unwrap();
    }
    drop(store);
    let store = Store::open(config(&dir.0)).unwrap();
    assert!(store.recovered_after_crash());
    for i in [0, 19, 20, 29] {
        assert_eq!(
            bodies(&store, "C", &format!("k{i}")),
            vec![format!("body-{i}")]
        );
    }
    assert_eq!(
        bodies(&store, "C", "group4").len(),
        6,
        "no duplicates after re-indexing"
    );
    store.close().unwrap();

    // Every index file lost: rebuilt from the whole commit log on the next open.
    fs::remove_dir_all(dir.0.join("index")).unwrap();
    let store = Store::open(config(&dir.0)).unwrap();
    assert_eq!(bodies(&store, "C", "U25"), vec!["body-25"]);
    assert_eq!(bodies(&store, "C", "group0").len(), 6);
    store.close().unwrap();
}

#[test]
fn entries_of_cut_records_are_dropped() {
    let dir = TempDir::new("index-cut");
    let store = Store::open(config(&dir.0)).unwrap();
    let mut results = Vec::new();
    for i in 0..30 {
        results.push(store.append(msg("Cut", i)).unwrap());
    }
    store.flush().unwrap();
    drop(store); // crash
    // Cut the commit log inside record 25: records 25.. are lost.
    let seg = dir.0.join("commitlog").join(format!("{:020}", 0));
    let cut = results[25].phys_offset + 10;
    OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(cut)
        .unwrap();
    let store = Store::open(config(&dir.0)).unwrap();
    assert_eq!(store.max_phys_offset(), results[25].phys_offset);
    assert!(bodies(&store, "Cut", "k26").is_empty());
    assert_eq!(bodies(&store, "Cut", "k24"), vec!["body-24"]);
    // New records take the lost offsets; the old keys must not point at them.
    for i in 100..110 {
        store.append(msg("Cut", i)).unwrap();
    }
    assert!(bodies(&store, "Cut", "k27").is_empty());
    assert!(bodies(&store, "Cut", "U29").is_empty());
    assert_eq!(bodies(&store, "Cut", "k105"), vec!["body-105"]);
    // group0: 0,5,10,15,20 before the cut, 100 and 105 after.
    assert_eq!(bodies(&store, "Cut", "group0").len(), 7);
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

#[test]
fn random_crashes_keep_index_and_log_in_step() {
    let dir = TempDir::new("index-rounds");
    let mut rng = Lcg(11);
    let mut alive: Vec<(usize, u64, usize)> = Vec::new(); // i, phys, size
    let mut lost = Vec::new();
    let mut next = 0;
    for round in 0..25 {
        let store = Store::open(config(&dir.0)).unwrap();
        assert_eq!(store.recovered_after_crash(), round > 0);
        let end = store.max_phys_offset();
        let (kept, cut): (Vec<_>, Vec<_>) =
            alive.iter().partition(|(_, p, s)| p + *s as u64 <= end);
        for (i, _, _) in &kept {
            assert_eq!(
                bodies(&store, "R", &format!("U{i}")),
                vec![format!("body-{i}")],
                "round {round}"
            );
        }
        lost.extend(cut.iter().map(|(i, _, _)| *i));
        for i in &lost {
            assert!(
                bodies(&store, "R", &format!("U{i}")).is_empty(),
                "round {round}"
            );
        }
        alive = kept;
        for _ in 0..(3 + rng.next(15)) {
            let r = store.append(msg("R", next)).unwrap();
            alive.push((next, r.phys_offset, r.size));
            next += 1;
        }
        if rng.next(2) == 0 {
            store.flush().unwrap();
        }
        drop(store);
        if rng.next(3) > 0 {
            let seg = dir.0.join("commitlog").join(format!("{:020}", 0));
            let data_end = alive.last().map_or(0, |(_, p, s)| p + *s as u64);
            let cut = data_end - rng.next(data_end.min(2000) + 1);
            OpenOptions::new()
                .write(true)
                .open(&seg)
                .unwrap()
                .set_len(cut)
                .unwrap();
        }
    }
    assert!(
        lost.len() > 10 && alive.len() > 20,
        "{} lost, {} alive",
        lost.len(),
        alive.len()
    );
}
