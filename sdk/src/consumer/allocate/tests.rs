//! The strategies against Java's own output: `java_vectors.txt` is what
//! `interop/java/tools/rocketmqrs/tools/ConsumerAllocateVectors.java` printed with the
//! 4.9.8 and the 5.5.0 client jars (identical for both). The inputs below are the ones that
//! program builds.

use std::collections::BTreeMap;

use super::*;

const JAVA: &str = include_str!("java_vectors.txt");

fn queues(topic: &str, brokers: &[&str], per_broker: i32) -> Vec<MessageQueue> {
    let mut out: Vec<MessageQueue> = brokers
        .iter()
        .flat_map(|b| {
            (0..per_broker).map(move |i| MessageQueue {
                topic: topic.to_owned(),
                broker_name: (*b).to_owned(),
                queue_id: i,
            })
        })
        .collect();
    out.sort();
    out
}

fn ids(n: usize) -> Vec<String> {
    let mut out: Vec<String> = (0..n)
        .map(|i| format!("10.0.0.{}@{}#{}", i + 1, 1000 + i, 77 * i))
        .collect();
    out.sort();
    out
}

fn render(queues: &[MessageQueue]) -> String {
    queues
        .iter()
        .map(|q| format!("{}:{}:{}", q.topic, q.broker_name, q.queue_id))
        .collect::<Vec<_>>()
        .join(",")
}

/// Java's output: case -> client id -> rendered allocation.
fn java() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for line in JAVA.lines().filter(|l| !l.is_empty()) {
        let mut parts = line.splitn(3, '|');
        let (case, id, got) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap_or(""),
        );
        out.entry(case.to_owned())
            .or_default()
            .insert(id.to_owned(), got.to_owned());
    }
    out
}

fn run(
    expected: &BTreeMap<String, BTreeMap<String, String>>,
    case: &str,
    strategy: &dyn AllocateStrategy,
    mqs: &[MessageQueue],
    cids: &[String],
) -> usize {
    let want = expected
        .get(case)
        .unwrap_or_else(|| panic!("no Java vectors for {case}"));
    assert_eq!(want.len(), cids.len(), "{case}: member count");
    for cid in cids {
        let got = render(&strategy.allocate("g", cid, mqs, cids));
        assert_eq!(&got, &want[cid], "{case} for {cid}");
    }
    cids.len()
}

#[test]
fn every_strategy_matches_java() {
    let expected = java();
    let mut checked = 0;
    for (n_queues, n_ids) in [(8, 3), (3, 5), (4, 4), (10, 4), (1, 1), (7, 2)] {
        let mqs = queues("T", &["broker-a"], n_queues);
        let cids = ids(n_ids);
        let tag = format!("{n_queues}x{n_ids}");
        checked += run(&expected, &format!("avg-{tag}"), &Averagely, &mqs, &cids);
        checked += run(
            &expected,
            &format!("circle-{tag}"),
            &AveragelyByCircle,
            &mqs,
            &cids,
        );
        checked += run(
            &expected,
            &format!("hash-{tag}"),
            &ConsistentHash::default(),
            &mqs,
            &cids,
        );
        checked += run(
            &expected,
            &format!("hash3-{tag}"),
            &ConsistentHash::new(3),
            &mqs,
            &cids,
        );
    }
    let two = queues("TopicTest", &["broker-a", "broker-b"], 4);
    checked += run(&expected, "avg-2b", &Averagely, &two, &ids(3));
    checked += run(
        &expected,
        "hash-2b",
        &ConsistentHash::default(),
        &two,
        &ids(3),
    );

    let room = ByMachineRoom::new(["hz", "sh"]);
    let rooms = queues("T", &["hz@b1", "sh@b2", "bj@b3", "b4", "hz@b5@x"], 3);
    checked += run(&expected, "room-3", &room, &rooms, &ids(3));
    checked += run(&expected, "room-4", &room, &rooms, &ids(4));

    struct ByDash;
    impl MachineRoomResolver for ByDash {
        fn broker_room(&self, queue: &MessageQueue) -> String {
            queue.broker_name.split('-').next().unwrap_or("").to_owned()
        }
        fn consumer_room(&self, client_id: &str) -> String {
            client_id.split('-').next().unwrap_or("").to_owned()
        }
    }
    let near = queues("T", &["hz-a", "hz-b", "sh-a", "bj-a"], 3);
    let mut near_ids: Vec<String> = ["hz-1", "hz-2", "sh-1", "gz-1"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    near_ids.sort();
    let nearby = MachineRoomNearby::new(Averagely, ByDash);
    checked += run(&expected, "nearby", &nearby, &near, &near_ids);
    assert_eq!(nearby.name(), "MACHINE_ROOM_NEARBY-AVG");
    // Every line of Java's output was compared.
    assert_eq!(checked, JAVA.lines().filter(|l| !l.is_empty()).count());
}

#[test]
fn shares_cover_every_queue_once() {
    for (n_queues, n_ids) in [(8, 3), (3, 5), (16, 16), (17, 4), (2, 9)] {
        let mqs = queues("T", &["a", "b"], n_queues);
        let cids = ids(n_ids);
        let strategies: [&dyn AllocateStrategy; 3] =
            [&Averagely, &AveragelyByCircle, &ConsistentHash::default()];
        for s in strategies {
            let mut all: Vec<MessageQueue> = cids
                .iter()
                .flat_map(|c| s.allocate("g", c, &mqs, &cids))
                .collect();
            all.sort();
            assert_eq!(all, mqs, "{} with {n_queues}x{n_ids}", s.name());
        }
    }
}

#[test]
fn unknown_member_and_config() {
    let mqs = queues("T", &["a"], 4);
    let cids = ids(2);
    assert!(Averagely.allocate("g", "stranger", &mqs, &cids).is_empty());
    assert!(
        ConsistentHash::default()
            .allocate("g", "stranger", &mqs, &cids)
            .is_empty()
    );
    let fixed = ByConfig::new(vec![mqs[3].clone()]);
    assert_eq!(
        fixed.allocate("g", "anyone", &mqs, &cids),
        vec![mqs[3].clone()]
    );
    assert_eq!(fixed.name(), "CONFIG");
    assert_eq!(Averagely.name(), "AVG");
    assert_eq!(AveragelyByCircle.name(), "AVG_BY_CIRCLE");
    assert_eq!(ByMachineRoom::default().name(), "MACHINE_ROOM");
    assert_eq!(ConsistentHash::default().name(), "CONSISTENT_HASH");
}

#[test]
fn repeated_ids_continue_replica_numbers() {
    // With the same id twice, Java numbers the second set of virtual nodes 10..19.
    struct Record(std::sync::Mutex<Vec<String>>);
    impl HashFunction for std::sync::Arc<Record> {
        fn hash(&self, key: &str) -> i64 {
            self.0.lock().unwrap().push(key.to_owned());
            key.len() as i64
        }
    }
    let rec = std::sync::Arc::new(Record(std::sync::Mutex::new(Vec::new())));
    let ring = ConsistentHash::with_hash(2, std::sync::Arc::clone(&rec));
    let cids = vec!["c".to_owned(), "c".to_owned()];
    let _ = ring.allocate("g", "c", &queues("T", &["a"], 1), &cids);
    let keys = rec.0.lock().unwrap().clone();
    assert_eq!(keys[..4], ["c-0", "c-1", "c-2", "c-3"]);
}
