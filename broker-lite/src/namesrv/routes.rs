//! The name server's route state (Java `RouteInfoManager`): which brokers exist, which
//! topics they serve, and when each broker was last heard from.
//!
//! Pure data, no I/O: the processors and the expiry task call it under one mutex, and
//! every method runs in microseconds. Where 4.9.x and 5.x differ the 5.x behaviour is
//! kept (it is a superset): liveness is keyed by (cluster, address), a broker may bring its
//! own heartbeat timeout, and a topic's queues are refreshed when the broker's data version
//! changed *or* the topic is missing for that broker.
//!
//! Invariants: every broker name in `clusters` has an entry in `brokers` with at least one
//! address; every queue entry in `topics` names a broker that is or was registered (a topic
//! whose last queue entry goes away is removed).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use rocketmq::protocol::body::{
    BrokerData, ClusterInfo, DataVersion, LinkedMap, MASTER_ID, QueueData, TopicConfigTable,
    TopicList, TopicQueueMappingInfo, TopicRoute,
};

/// Java `PermName.PERM_READ`.
pub(crate) const PERM_READ: i32 = 1 << 2;
/// Java `PermName.PERM_WRITE`.
pub(crate) const PERM_WRITE: i32 = 1 << 1;

/// Identifies a broker process: its cluster and address (Java 5.x `BrokerAddrInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct BrokerKey {
    pub(crate) cluster: String,
    pub(crate) addr: String,
}

/// When a broker was last heard from, and what it last reported (Java `BrokerLiveInfo`).
#[derive(Clone, Debug)]
struct Liveness {
    last_seen: Instant,
    timeout: Duration,
    data_version: DataVersion,
    ha_server_addr: String,
    connection: Option<u64>,
}

/// One REGISTER_BROKER call.
#[derive(Clone, Debug, Default)]
pub(crate) struct Registration {
    pub(crate) cluster: String,
    pub(crate) addr: String,
    pub(crate) name: String,
    pub(crate) id: i64,
    pub(crate) ha_server_addr: String,
    pub(crate) zone_name: Option<String>,
    /// The broker's own heartbeat timeout (5.x), else the name server's default.
    pub(crate) timeout: Option<Duration>,
    /// `None` for brokers older than 5.0 (they do not send the field).
    pub(crate) enable_acting_master: Option<bool>,
    pub(crate) topics: TopicConfigTable,
    pub(crate) filter_servers: Option<Vec<String>>,
    /// The connection the registration came on; closing it removes the broker.
    pub(crate) connection: Option<u64>,
}

/// What a registering slave learns about its master.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Registered {
    pub(crate) master_addr: Option<String>,
    pub(crate) ha_server_addr: Option<String>,
}

/// The route tables. See the module documentation.
#[derive(Debug)]
pub(crate) struct RouteTable {
    default_timeout: Duration,
    delete_unreported_topics: bool,
    /// topic -> broker name -> queues.
    topics: BTreeMap<String, BTreeMap<String, QueueData>>,
    /// broker name -> addresses by id.
    brokers: BTreeMap<String, BrokerData>,
    /// cluster -> broker names.
    clusters: BTreeMap<String, BTreeSet<String>>,
    live: HashMap<BrokerKey, Liveness>,
    filter_servers: HashMap<BrokerKey, Vec<String>>,
    /// topic -> broker name -> static-topic mapping (5.x).
    mappings: BTreeMap<String, LinkedMap<String, TopicQueueMappingInfo>>,
}

impl RouteTable {
    pub(crate) fn new(default_timeout: Duration, delete_unreported_topics: bool) -> Self {
        RouteTable {
            default_timeout,
            delete_unreported_topics,
            topics: BTreeMap::new(),
            brokers: BTreeMap::new(),
            clusters: BTreeMap::new(),
            live: HashMap::new(),
            filter_servers: HashMap::new(),
            mappings: BTreeMap::new(),
        }
    }

    pub(crate) fn set_default_timeout(&mut self, timeout: Duration) {
        self.default_timeout = timeout;
    }

    pub(crate) fn set_delete_unreported_topics(&mut self, on: bool) {
        self.delete_unreported_topics = on;
    }

    /// Registers (or re-registers) a broker. A re-registration whose data version is
    /// unchanged only refreshes the broker's liveness (and adds queues for topics the table
    /// lacks), so permission changes made on the name server survive it, as in Java.
    pub(crate) fn register(&mut self, reg: Registration, now: Instant) -> Registered {
        let key = BrokerKey {
            cluster: reg.cluster.clone(),
            addr: reg.addr.clone(),
        };
        self.clusters
            .entry(reg.cluster.clone())
            .or_default()
            .insert(reg.name.clone());
        let mut first = !self.brokers.contains_key(&reg.name);
        let broker = self
            .brokers
            .entry(reg.name.clone())
            .or_insert_with(|| BrokerData {
                cluster: reg.cluster.clone(),
                broker_name: reg.name.clone(),
                ..BrokerData::default()
            });
        let old_version_broker = reg.enable_acting_master.is_none();
        broker.enable_acting_master = Some(reg.enable_acting_master.unwrap_or(false));
        broker.zone_name = reg.zone_name.clone();

        // An address moving to another id (slave promoted to master) loses its old id.
        let stale: Vec<i64> = broker
            .broker_addrs
            .iter()
            .filter(|(id, addr)| **addr == reg.addr && **id != reg.id)
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            broker.broker_addrs.remove(&id);
        }

        // 5.x: a broker with an older controller state version may not take an id that a
        // newer one holds.
        if let Some(old_addr) = broker.broker_addrs.get(&reg.id)
            && *old_addr != reg.addr
        {
            let old_key = BrokerKey {
                cluster: reg.cluster.clone(),
                addr: old_addr.clone(),
            };
            let old_state = self
                .live
                .get(&old_key)
                .and_then(|l| l.data_version.state_version)
                .unwrap_or(0);
            let new_state = reg
                .topics
                .data_version
                .as_ref()
                .and_then(|v| v.state_version)
                .unwrap_or(0);
            if old_state > new_state {
                tracing::warn!(broker = %reg.name, id = reg.id, addr = %reg.addr,
                    "registration refused: older state version {new_state} < {old_state}");
                self.live.remove(&key);
                return Registered::default();
            }
        }

        let previous = broker.broker_addrs.insert(reg.id, reg.addr.clone());
        first = first || previous.as_deref().is_none_or(str::is_empty);
        let is_master = reg.id == MASTER_ID;
        let is_prime_slave =
            !old_version_broker && !is_master && broker.broker_addrs.keys().min() == Some(&reg.id);
        let acting_master = broker.enable_acting_master == Some(true);
        let data_version = reg.topics.data_version.clone().unwrap_or_default();

        if is_master || is_prime_slave {
            let changed = self.data_version_changed(&key, &data_version);
            let no_mappings = reg
                .topics
                .topic_queue_mapping_info_map
                .as_ref()
                .is_none_or(LinkedMap::is_empty);
            if self.delete_unreported_topics && no_mappings {
                let gone: Vec<String> = self
                    .topics
                    .iter()
                    .filter(|(topic, queues)| {
                        queues.contains_key(&reg.name)
                            && !reg.topics.topic_config_table.contains_key(*topic)
                    })
                    .map(|(topic, _)| topic.clone())
                    .collect();
                for topic in gone {
                    self.remove_queues(&topic, &reg.name);
                }
            }
            for config in reg.topics.topic_config_table.values() {
                let missing = self
                    .topics
                    .get(&config.topic_name)
                    .is_none_or(|queues| !queues.contains_key(&reg.name));
                if first || changed || missing {
                    let mut perm = config.perm;
                    if is_prime_slave && acting_master {
                        perm &= !PERM_WRITE;
                    }
                    self.topics
                        .entry(config.topic_name.clone())
                        .or_default()
                        .insert(
                            reg.name.clone(),
                            QueueData {
                                broker_name: reg.name.clone(),
                                read_queue_nums: config.read_queue_nums,
                                write_queue_nums: config.write_queue_nums,
                                perm,
                                topic_sys_flag: config.topic_sys_flag,
                            },
                        );
                }
            }
            if (changed || first)
                && let Some(map) = &reg.topics.topic_queue_mapping_info_map
            {
                for (topic, info) in map.iter() {
                    let bname = info.bname.clone().unwrap_or_else(|| reg.name.clone());
                    self.mappings
                        .entry(topic.clone())
                        .or_default()
                        .insert(bname, info.clone());
                }
            }
        }

        self.live.insert(
            key.clone(),
            Liveness {
                last_seen: now,
                timeout: reg.timeout.unwrap_or(self.default_timeout),
                data_version,
                ha_server_addr: reg.ha_server_addr.clone(),
                connection: reg.connection,
            },
        );
        match reg.filter_servers {
            Some(list) if list.is_empty() => {
                self.filter_servers.remove(&key);
            }
            Some(list) => {
                self.filter_servers.insert(key, list);
            }
            None => {}
        }

        let mut result = Registered::default();
        if !is_master
            && let Some(master) = self
                .brokers
                .get(&reg.name)
                .and_then(|b| b.master_addr())
                .map(str::to_owned)
        {
            let master_key = BrokerKey {
                cluster: reg.cluster,
                addr: master.clone(),
            };
            if let Some(live) = self.live.get(&master_key) {
                result.ha_server_addr = Some(live.ha_server_addr.clone());
                result.master_addr = Some(master);
            }
        }
        result
    }

    /// Whether `version` differs from what the broker last reported (true when unknown).
    pub(crate) fn data_version_changed(&self, key: &BrokerKey, version: &DataVersion) -> bool {
        self.live
            .get(key)
            .is_none_or(|l| !same_version(&l.data_version, version))
    }

    /// The data version the broker last reported.
    pub(crate) fn data_version(&self, key: &BrokerKey) -> Option<DataVersion> {
        self.live.get(key).map(|l| l.data_version.clone())
    }

    /// Marks the broker as heard from now; false if it is not registered.
    pub(crate) fn touch(&mut self, key: &BrokerKey, now: Instant) -> bool {
        match self.live.get_mut(key) {
            Some(live) => {
                live.last_seen = now;
                true
            }
            None => false,
        }
    }

    /// Removes one broker (Java `unregisterBroker`): its liveness, its address, and when it
    /// was the broker name's last address, the name and that name's queues.
    pub(crate) fn unregister(&mut self, cluster: &str, addr: &str, name: &str, id: i64) {
        let key = BrokerKey {
            cluster: cluster.to_owned(),
            addr: addr.to_owned(),
        };
        self.live.remove(&key);
        self.filter_servers.remove(&key);
        let mut name_gone = false;
        if let Some(broker) = self.brokers.get_mut(name) {
            broker.broker_addrs.remove(&id);
            if broker.broker_addrs.is_empty() {
                self.brokers.remove(name);
                name_gone = true;
            }
        }
        if name_gone {
            if let Some(names) = self.clusters.get_mut(cluster) {
                names.remove(name);
                if names.is_empty() {
                    self.clusters.remove(cluster);
                }
            }
            let topics: Vec<String> = self.topics.keys().cloned().collect();
            for topic in topics {
                self.remove_queues(&topic, name);
            }
            for mapping in self.mappings.values_mut() {
                mapping.remove(&name.to_owned());
            }
            self.mappings.retain(|_, m| !m.is_empty());
        }
    }

    /// Removes the broker at `key` wherever it is registered (Java `onChannelDestroy`).
    fn remove_broker(&mut self, key: &BrokerKey) {
        let found = self.brokers.values().find_map(|b| {
            (b.cluster == key.cluster)
                .then(|| {
                    b.broker_addrs
                        .iter()
                        .find(|(_, addr)| **addr == key.addr)
                        .map(|(id, _)| (b.broker_name.clone(), *id))
                })
                .flatten()
        });
        match found {
            Some((name, id)) => self.unregister(&key.cluster, &key.addr, &name, id),
            None => {
                self.live.remove(key);
                self.filter_servers.remove(key);
            }
        }
    }

    /// Removes every broker not heard from within its timeout; returns them.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<BrokerKey> {
        let expired: Vec<BrokerKey> = self
            .live
            .iter()
            .filter(|(_, l)| now.saturating_duration_since(l.last_seen) > l.timeout)
            .map(|(k, _)| k.clone())
            .collect();
        for key in &expired {
            self.remove_broker(key);
        }
        expired
    }

    /// Removes the brokers that registered over connection `id`, which has closed.
    pub(crate) fn connection_closed(&mut self, id: u64) -> Vec<BrokerKey> {
        let gone: Vec<BrokerKey> = self
            .live
            .iter()
            .filter(|(_, l)| l.connection == Some(id))
            .map(|(k, _)| k.clone())
            .collect();
        for key in &gone {
            self.remove_broker(key);
        }
        gone
    }

    fn remove_queues(&mut self, topic: &str, broker_name: &str) {
        if let Some(queues) = self.topics.get_mut(topic) {
            queues.remove(broker_name);
            if queues.is_empty() {
                self.topics.remove(topic);
            }
        }
    }

    /// The route of `topic`, or `None` when no live broker serves it.
    pub(crate) fn route(&self, topic: &str) -> Option<TopicRoute> {
        let queues = self.topics.get(topic)?;
        let brokers: Vec<BrokerData> = queues
            .keys()
            .filter_map(|name| self.brokers.get(name).cloned())
            .collect();
        if brokers.is_empty() {
            return None;
        }
        let mut filter_server_table = LinkedMap::new();
        if !self.filter_servers.is_empty() {
            for broker in &brokers {
                for addr in broker.broker_addrs.values() {
                    let key = BrokerKey {
                        cluster: broker.cluster.clone(),
                        addr: addr.clone(),
                    };
                    if let Some(list) = self.filter_servers.get(&key) {
                        filter_server_table.insert(addr.clone(), list.clone());
                    }
                }
            }
        }
        Some(TopicRoute {
            order_topic_conf: None,
            queues: queues.values().cloned().collect(),
            brokers,
            filter_server_table,
            topic_queue_mapping_by_broker: self.mappings.get(topic).cloned(),
        })
    }

    /// Every broker and cluster.
    pub(crate) fn cluster_info(&self) -> ClusterInfo {
        ClusterInfo {
            broker_addr_table: self
                .brokers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            cluster_addr_table: self
                .clusters
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().cloned().collect()))
                .collect(),
        }
    }

    /// Every topic with queues on some broker.
    pub(crate) fn all_topics(&self) -> TopicList {
        TopicList {
            topics: self.topics.keys().cloned().collect(),
            broker_addr: None,
        }
    }

    /// The topics with queues on a broker of `cluster` (empty for an unknown cluster).
    pub(crate) fn topics_of_cluster(&self, cluster: &str) -> TopicList {
        let names = self.clusters.get(cluster);
        TopicList {
            topics: self
                .topics
                .iter()
                .filter(|(_, queues)| {
                    names.is_some_and(|names| queues.keys().any(|n| names.contains(n)))
                })
                .map(|(topic, _)| topic.clone())
                .collect(),
            broker_addr: None,
        }
    }

    /// Java's "system topics": every cluster name and broker name (each is a topic on its
    /// brokers), with the address of one broker to ask.
    pub(crate) fn system_topics(&self) -> TopicList {
        let mut topics = Vec::new();
        for (cluster, names) in &self.clusters {
            topics.push(cluster.clone());
            topics.extend(names.iter().cloned());
        }
        let broker_addr = self
            .brokers
            .values()
            .find_map(|b| b.broker_addrs.values().next().cloned());
        TopicList {
            topics,
            broker_addr,
        }
    }

    /// Takes write permission from every queue of broker `name`; returns how many topics
    /// changed.
    pub(crate) fn wipe_write_perm(&mut self, name: &str) -> i32 {
        self.change_perm(name, |perm| perm & !PERM_WRITE)
    }

    /// Gives read and write permission to every queue of broker `name` (Java sets exactly
    /// read|write, dropping other bits); returns how many topics changed.
    pub(crate) fn add_write_perm(&mut self, name: &str) -> i32 {
        self.change_perm(name, |_| PERM_READ | PERM_WRITE)
    }

    fn change_perm(&mut self, name: &str, change: impl Fn(i32) -> i32) -> i32 {
        let mut count = 0;
        for queues in self.topics.values_mut() {
            if let Some(q) = queues.get_mut(name) {
                q.perm = change(q.perm);
                count += 1;
            }
        }
        count
    }

    /// Deletes `topic`, or only its queues on the brokers of `cluster` when given.
    pub(crate) fn delete_topic(&mut self, topic: &str, cluster: Option<&str>) {
        match cluster {
            None => {
                self.topics.remove(topic);
            }
            Some(cluster) => {
                let names: Vec<String> = self
                    .clusters
                    .get(cluster)
                    .map(|n| n.iter().cloned().collect())
                    .unwrap_or_default();
                for name in names {
                    self.remove_queues(topic, &name);
                }
            }
        }
    }
}

/// Java `DataVersion.equals`: timestamp and counter, plus the state version on 5.x (a
/// missing one counts as 0, what 5.x initialises it to).
fn same_version(a: &DataVersion, b: &DataVersion) -> bool {
    a.timestamp == b.timestamp
        && a.counter == b.counter
        && a.state_version.unwrap_or(0) == b.state_version.unwrap_or(0)
}

#[cfg(test)]
#[path = "routes_tests.rs"]
mod tests;
