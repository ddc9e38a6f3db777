use super::*;
use rocketmq::protocol::body::TopicConfig;

fn reg(name: &str, addr: &str, id: i64, topics: &[&str], counter: i64) -> Registration {
    let mut table = LinkedMap::new();
    for t in topics {
        table.insert(
            (*t).to_owned(),
            TopicConfig {
                topic_name: (*t).to_owned(),
                read_queue_nums: 4,
                write_queue_nums: 4,
                ..TopicConfig::default()
            },
        );
    }
    Registration {
        cluster: "c".into(),
        addr: addr.into(),
        name: name.into(),
        id,
        ha_server_addr: format!("{addr}-ha"),
        topics: TopicConfigTable {
            topic_config_table: table,
            data_version: Some(DataVersion {
                state_version: None,
                timestamp: 1,
                counter,
            }),
            ..TopicConfigTable::default()
        },
        connection: Some(7),
        ..Registration::default()
    }
}

#[test]
fn unchanged_version_keeps_name_server_changes() {
    let mut t = RouteTable::new(Duration::from_secs(120), false);
    let now = Instant::now();
    t.register(reg("b", "a:1", 0, &["T1", "T2"], 1), now);
    assert_eq!(t.wipe_write_perm("b"), 2);
    t.register(reg("b", "a:1", 0, &["T1", "T2"], 1), now);
    assert_eq!(t.route("T1").unwrap().queues[0].perm, PERM_READ);
    // A new data version rewrites the queues from the broker's configs.
    t.register(reg("b", "a:1", 0, &["T1", "T2"], 2), now);
    assert_eq!(t.route("T1").unwrap().queues[0].perm, 6);
}

#[test]
fn slave_learns_master_and_expiry_removes_everything() {
    let mut t = RouteTable::new(Duration::from_secs(10), false);
    let start = Instant::now();
    t.register(reg("b", "m:1", 0, &["T"], 1), start);
    let r = t.register(reg("b", "s:1", 1, &["T"], 1), start);
    assert_eq!(r.master_addr.as_deref(), Some("m:1"));
    assert_eq!(r.ha_server_addr.as_deref(), Some("m:1-ha"));
    assert_eq!(t.route("T").unwrap().brokers[0].broker_addrs.len(), 2);
    let later = start + Duration::from_secs(11);
    assert!(t.touch(
        &BrokerKey {
            cluster: "c".into(),
            addr: "s:1".into()
        },
        later
    ));
    let gone = t.expire(later);
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].addr, "m:1");
    assert!(
        t.route("T").is_some(),
        "the slave still serves the broker name"
    );
    let gone = t.expire(later + Duration::from_secs(11));
    assert_eq!(gone.len(), 1);
    assert!(t.route("T").is_none());
    assert!(t.cluster_info().cluster_addr_table.is_empty());
    assert!(t.all_topics().topics.is_empty());
}

#[test]
fn connection_close_and_delete_topic() {
    let mut t = RouteTable::new(Duration::from_secs(120), false);
    let now = Instant::now();
    t.register(reg("b1", "a:1", 0, &["T", "U"], 1), now);
    let mut other = reg("b2", "a:2", 0, &["T"], 1);
    other.cluster = "d".into();
    other.connection = Some(8);
    t.register(other, now);
    assert_eq!(t.topics_of_cluster("d").topics, ["T"]);
    assert!(t.topics_of_cluster("nope").topics.is_empty());
    let sys = t.system_topics();
    assert_eq!(sys.topics, ["c", "b1", "d", "b2"]);
    t.delete_topic("T", Some("d"));
    assert_eq!(t.route("T").unwrap().brokers.len(), 1);
    t.delete_topic("U", None);
    assert!(t.route("U").is_none());
    assert_eq!(t.connection_closed(7).len(), 1);
    assert!(t.route("T").is_none());
    assert_eq!(t.connection_closed(99).len(), 0);
}
