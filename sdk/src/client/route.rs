//! Topic routes as the client uses them: the queues a producer may write and a consumer
//! may read, derived from the name server's [`TopicRoute`] the way Java's
//! `MQClientInstance.topicRouteData2TopicPublishInfo` / `...SubscribeInfo` derive them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::protocol::MessageQueue;
use crate::protocol::body::{BrokerData, MASTER_ID, TopicRoute};

/// Topic permission bits (Java `PermName`).
pub mod perm {
    /// The topic's queues may be read (`PERM_READ`, 4).
    pub const READ: i32 = 0x1 << 2;
    /// The topic's queues may be written (`PERM_WRITE`, 2).
    pub const WRITE: i32 = 0x1 << 1;
    /// Settings are inherited (`PERM_INHERIT`, 1).
    pub const INHERIT: i32 = 0x1;

    /// Whether `perm` allows writing.
    pub const fn is_writeable(perm: i32) -> bool {
        perm & WRITE == WRITE
    }

    /// Whether `perm` allows reading.
    pub const fn is_readable(perm: i32) -> bool {
        perm & READ == READ
    }
}

/// One topic's route and the queues derived from it.
///
/// Queues a producer writes ([`write_queues`](Self::write_queues)) are the writable queues
/// of brokers that have a master online, brokers in name order, or the broker list of the
/// topic's order configuration when the name server has one (an *ordered* topic). Queues
/// a consumer reads ([`read_queues`](Self::read_queues)) are the readable queues of every
/// broker.
pub struct TopicRouteInfo {
    topic: String,
    route: TopicRoute,
    write_queues: Vec<MessageQueue>,
    read_queues: Vec<MessageQueue>,
    ordered: bool,
    from_default_topic: bool,
    fetched_at: Instant,
    next: AtomicUsize,
}

impl TopicRouteInfo {
    /// Derives the queues of `topic` from `route`.
    pub fn new(topic: impl Into<String>, route: TopicRoute) -> Self {
        let topic = topic.into();
        let (write_queues, ordered) = write_queues(&topic, &route);
        let read_queues = read_queues(&topic, &route);
        TopicRouteInfo {
            topic,
            route,
            write_queues,
            read_queues,
            ordered,
            from_default_topic: false,
            fetched_at: Instant::now(),
            next: AtomicUsize::new(start_index()),
        }
    }

    /// A route for `topic` borrowed from the auto-creation template topic's route
    /// (`TBW102`), each broker offering `queue_nums` queues at most, as Java's producer
    /// does for a topic the name server does not know yet: the broker creates the topic on
    /// the first message.
    pub(crate) fn from_default(topic: &str, mut template: TopicRoute, queue_nums: i32) -> Self {
        template.order_topic_conf = None;
        for queue in &mut template.queues {
            let nums = queue_nums.min(queue.read_queue_nums);
            queue.read_queue_nums = nums;
            queue.write_queue_nums = nums;
        }
        let mut info = Self::new(topic, template);
        info.from_default_topic = true;
        info
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The route the name server returned.
    pub fn route(&self) -> &TopicRoute {
        &self.route
    }

    /// The queues a producer may write, in Java's order.
    pub fn write_queues(&self) -> &[MessageQueue] {
        &self.write_queues
    }

    /// The queues a consumer may read.
    pub fn read_queues(&self) -> &[MessageQueue] {
        &self.read_queues
    }

    /// Whether the name server holds an order configuration for the topic.
    pub fn is_ordered(&self) -> bool {
        self.ordered
    }

    /// Whether this route was borrowed from the auto-creation template topic because the
    /// name server does not know the topic yet.
    pub fn is_from_default_topic(&self) -> bool {
        self.from_default_topic
    }

    /// When the route was fetched.
    pub fn fetched_at(&self) -> Instant {
        self.fetched_at
    }

    /// The master address of `broker_name` in this route.
    pub fn master_addr(&self, broker_name: &str) -> Option<&str> {
        self.broker(broker_name).and_then(BrokerData::master_addr)
    }

    /// The broker group named `broker_name` in this route.
    pub fn broker(&self, broker_name: &str) -> Option<&BrokerData> {
        self.route
            .brokers
            .iter()
            .find(|b| b.broker_name == broker_name)
    }

    /// The number of writable queues `broker_name` offers (Java `getQueueIdByBroker`).
    pub fn write_queue_nums(&self, broker_name: &str) -> Option<i32> {
        self.route
            .queues
            .iter()
            .find(|q| q.broker_name == broker_name && perm::is_writeable(q.perm))
            .map(|q| q.write_queue_nums)
    }

    /// The next round-robin index (Java's `sendWhichQueue`), starting at a random place.
    pub(crate) fn next_index(&self) -> usize {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// Whether another route describes the same brokers and queues.
    pub(crate) fn same_route(&self, other: &TopicRoute) -> bool {
        self.route == *other
    }
}

impl fmt::Debug for TopicRouteInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TopicRouteInfo")
            .field("topic", &self.topic)
            .field("write_queues", &self.write_queues.len())
            .field("read_queues", &self.read_queues.len())
            .field("ordered", &self.ordered)
            .field("from_default_topic", &self.from_default_topic)
            .finish_non_exhaustive()
    }
}

/// A random starting point, so producers do not all begin with the same queue (Java's
/// `ThreadLocalIndex` starts at a random number too).
fn start_index() -> usize {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(Instant::now()) as usize % 1024
}

fn write_queues(topic: &str, route: &TopicRoute) -> (Vec<MessageQueue>, bool) {
    let queue = |broker: &str, id: i32| MessageQueue {
        topic: topic.to_owned(),
        broker_name: broker.to_owned(),
        queue_id: id,
    };
    if let Some(conf) = route.order_topic_conf.as_deref().filter(|c| !c.is_empty()) {
        // "brokerA:4;brokerB:4"; entries that do not parse are skipped (Java would throw).
        let queues = conf
            .split(';')
            .filter_map(|entry| entry.split_once(':'))
            .filter_map(|(broker, nums)| Some((broker, nums.trim().parse::<i32>().ok()?)))
            .flat_map(|(broker, nums)| (0..nums).map(move |id| queue(broker, id)))
            .collect();
        return (queues, true);
    }
    let mut datas: Vec<_> = route.queues.iter().collect();
    datas.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    let queues = datas
        .into_iter()
        .filter(|q| perm::is_writeable(q.perm))
        .filter(|q| {
            route
                .brokers
                .iter()
                .find(|b| b.broker_name == q.broker_name)
                .is_some_and(|b| b.broker_addrs.get(&MASTER_ID).is_some())
        })
        .flat_map(|q| (0..q.write_queue_nums).map(|id| queue(&q.broker_name, id)))
        .collect();
    (queues, false)
}

fn read_queues(topic: &str, route: &TopicRoute) -> Vec<MessageQueue> {
    route
        .queues
        .iter()
        .filter(|q| perm::is_readable(q.perm))
        .flat_map(|q| {
            (0..q.read_queue_nums).map(|id| MessageQueue {
                topic: topic.to_owned(),
                broker_name: q.broker_name.clone(),
                queue_id: id,
            })
        })
        .collect()
}

/// Every broker group the cached routes name, by broker name (Java's `brokerAddrTable`,
/// rebuilt from the routes, which also drops brokers no route names any more, like
/// `cleanOfflineBroker`).
pub(crate) fn broker_table<'a>(
    routes: impl IntoIterator<Item = &'a TopicRouteInfo>,
) -> BTreeMap<String, BTreeMap<i64, String>> {
    let mut table: BTreeMap<String, BTreeMap<i64, String>> = BTreeMap::new();
    for info in routes {
        for broker in &info.route.brokers {
            let entry = table.entry(broker.broker_name.clone()).or_default();
            for (id, addr) in broker.broker_addrs.iter() {
                entry.insert(*id, addr.clone());
            }
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::body::QueueData;

    fn broker(name: &str, addrs: &[(i64, &str)]) -> BrokerData {
        BrokerData {
            cluster: "c".into(),
            broker_name: name.into(),
            broker_addrs: addrs.iter().map(|(i, a)| (*i, (*a).to_owned())).collect(),
            zone_name: None,
            enable_acting_master: None,
        }
    }

    fn queues(name: &str, read: i32, write: i32, perm: i32) -> QueueData {
        QueueData {
            broker_name: name.into(),
            read_queue_nums: read,
            write_queue_nums: write,
            perm,
            topic_sys_flag: 0,
        }
    }

    fn route() -> TopicRoute {
        TopicRoute {
            queues: vec![
                queues("b", 2, 2, 6),
                queues("a", 3, 2, 6),
                queues("slave-only", 4, 4, 6),
                queues("read-only", 1, 1, perm::READ),
            ],
            brokers: vec![
                broker("a", &[(0, "h:1"), (1, "h:2")]),
                broker("b", &[(0, "h:3")]),
                broker("slave-only", &[(1, "h:4")]),
                broker("read-only", &[(0, "h:5")]),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn write_queues_follow_java() {
        let info = TopicRouteInfo::new("t", route());
        let got: Vec<(&str, i32)> = info
            .write_queues()
            .iter()
            .map(|q| (q.broker_name.as_str(), q.queue_id))
            .collect();
        assert_eq!(got, [("a", 0), ("a", 1), ("b", 0), ("b", 1)]);
        assert!(!info.is_ordered());
        assert_eq!(info.read_queues().len(), 3 + 2 + 4 + 1);
        assert_eq!(info.master_addr("a"), Some("h:1"));
        assert_eq!(info.master_addr("slave-only"), None);
        assert_eq!(info.write_queue_nums("a"), Some(2));
        assert_eq!(info.write_queue_nums("read-only"), None);
    }

    #[test]
    fn order_conf_and_default_topic() {
        let mut r = route();
        r.order_topic_conf = Some("b:2;a:1;junk".into());
        let info = TopicRouteInfo::new("t", r);
        assert!(info.is_ordered());
        let got: Vec<(&str, i32)> = info
            .write_queues()
            .iter()
            .map(|q| (q.broker_name.as_str(), q.queue_id))
            .collect();
        assert_eq!(got, [("b", 0), ("b", 1), ("a", 0)]);

        let template = TopicRoute {
            queues: vec![queues("a", 8, 8, 7)],
            brokers: vec![broker("a", &[(0, "h:1")])],
            ..Default::default()
        };
        let info = TopicRouteInfo::from_default("new", template, 4);
        assert!(info.is_from_default_topic());
        assert_eq!(info.write_queues().len(), 4);
        assert!(info.write_queues().iter().all(|q| q.topic == "new"));
    }

    #[test]
    fn broker_table_merges_routes() {
        let a = TopicRouteInfo::new("t1", route());
        let other = TopicRoute {
            brokers: vec![broker("c", &[(0, "h:9")]), broker("a", &[(2, "h:7")])],
            ..Default::default()
        };
        let b = TopicRouteInfo::new("t2", other);
        let table = broker_table([&a, &b]);
        assert_eq!(table.len(), 5);
        assert_eq!(table["a"].len(), 3);
        assert_eq!(table["c"][&0], "h:9");
    }
}
