//! broker-lite's configuration: one TOML file with a `[namesrv]` and a `[broker]` section.
//!
//! Every field has a documented default, so an empty file is a valid config;
//! `broker-lite print-default-config` prints them all. Durations are written as strings with
//! a unit (`"120s"`, `"500ms"`, `"2m"`, `"1h"`). Unknown keys are refused, so a typo fails
//! loudly instead of being ignored.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The whole configuration file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrokerLiteConfig {
    /// The name server role.
    pub namesrv: NamesrvConfig,
    /// The broker role.
    pub broker: BrokerConfig,
}

impl BrokerLiteConfig {
    /// Reads and validates a TOML config file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)?;
        Self::from_toml(&text)
    }

    /// Parses and validates TOML text.
    pub fn from_toml(text: &str) -> Result<Self> {
        let config: Self = toml::from_str(text).map_err(|e| Error::Config {
            field: "(file)",
            reason: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// The config as TOML (what `print-default-config` prints for the default).
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::Config {
            field: "(file)",
            reason: e.to_string(),
        })
    }

    /// Checks every section.
    pub fn validate(&self) -> Result<()> {
        self.namesrv.validate()?;
        self.broker.validate()
    }
}

/// The name server (Java `NamesrvConfig` + the parts of `NettyServerConfig` it needs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NamesrvConfig {
    /// Address to listen on. Default `127.0.0.1:9876` (Java listens on all interfaces at
    /// 9876; broker-lite is a development tool and stays on loopback unless told otherwise).
    pub listen: SocketAddr,
    /// How long a broker may stay silent before it and its queues are removed, unless it
    /// registered with its own timeout (5.x `heartbeatTimeoutMillis`). Default `120s`
    /// (Java's `BROKER_CHANNEL_EXPIRED_TIME`).
    #[serde(with = "duration")]
    pub broker_expiry: Duration,
    /// How often silent brokers are looked for. Default `5s` (Java's
    /// `scanNotActiveBrokerInterval`).
    #[serde(with = "duration")]
    pub scan_interval: Duration,
    /// Add the ordered-topic configuration from the KV namespace `ORDER_TOPIC_CONFIG` to
    /// topic routes. Default `false` (Java's `orderMessageEnable`).
    pub order_message_enable: bool,
    /// On registration, drop the broker's queues of topics it no longer reports. Default
    /// `false` (Java 5.x `deleteTopicWithBrokerRegistration`).
    pub delete_topic_with_broker_registration: bool,
    /// File the KV config (PUT_KV_CONFIG and friends) is kept in, in Java's
    /// `kvConfig.json` form, loaded at start and rewritten on every change. Default: none,
    /// the KV config lives in memory only (Java: `$HOME/namesrv/kvConfig.json`).
    pub kv_config_path: Option<PathBuf>,
}

impl Default for NamesrvConfig {
    fn default() -> Self {
        NamesrvConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 9876)),
            broker_expiry: Duration::from_secs(120),
            scan_interval: Duration::from_secs(5),
            order_message_enable: false,
            delete_topic_with_broker_registration: false,
            kv_config_path: None,
        }
    }
}

impl NamesrvConfig {
    /// Checks the values: both durations must be positive.
    pub fn validate(&self) -> Result<()> {
        if self.broker_expiry.is_zero() {
            return Err(Error::Config {
                field: "namesrv.broker_expiry",
                reason: "must be greater than zero".into(),
            });
        }
        if self.scan_interval.is_zero() {
            return Err(Error::Config {
                field: "namesrv.scan_interval",
                reason: "must be greater than zero".into(),
            });
        }
        Ok(())
    }
}

/// The broker (the parts of Java's `BrokerConfig` and `MessageStoreConfig` broker-lite
/// uses). Defaults follow Java unless noted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrokerConfig {
    /// Address to listen on. Default `127.0.0.1:10911` (Java's `listenPort` 10911).
    pub listen: SocketAddr,
    /// Address published to name servers and written into stored records, `ip:port`.
    /// Default: the address actually listened on (with `127.0.0.1` for an unspecified IP).
    pub advertised_addr: Option<SocketAddr>,
    /// Cluster name. Default `DefaultCluster` (Java's `brokerClusterName`).
    pub cluster_name: String,
    /// Broker name. Default `broker-a`.
    pub broker_name: String,
    /// Broker id; 0 is the master (Java `brokerId`). Default 0.
    pub broker_id: i64,
    /// Name servers to register with, `host:port`. Default `["127.0.0.1:9876"]`. When the
    /// name server runs in the same process, its address is used instead.
    pub namesrv_addrs: Vec<String>,
    /// How often to register with the name servers (Java
    /// `registerNameServerPeriod`). Default `30s`.
    #[serde(with = "duration")]
    pub register_interval: Duration,
    /// Broker permission bits: 6 read+write, 4 read only, 2 write only (Java
    /// `brokerPermission`). Default 6.
    pub broker_permission: i32,
    /// Create a topic on its first send when it does not exist (Java
    /// `autoCreateTopicEnable`). Default `true`.
    pub auto_create_topic_enable: bool,
    /// Queues of an auto-created topic, at most (Java `defaultTopicQueueNums`). Default 8.
    pub default_topic_queue_nums: i32,
    /// Create a subscription group on first use (Java
    /// `autoCreateSubscriptionGroup`). Default `true`.
    pub auto_create_subscription_group: bool,
    /// Hold pull requests that find no message until one arrives (Java
    /// `longPollingEnable`). Default `true`.
    pub long_polling_enable: bool,
    /// How long a pull is held when the client allows no suspension (Java
    /// `shortPollingTimeMills`). Default `1s`.
    #[serde(with = "duration")]
    pub short_polling_time: Duration,
    /// How long a held pull waits, once a message has arrived on its queue, before it reads
    /// and answers, so that messages arriving close together go out in one answer. The
    /// Java broker behaves alike: it hands new messages to held pulls in passes about 1 ms
    /// apart. A consumer then gets fewer, fuller answers, which saves CPU on both sides
    /// under load, for about a millisecond more latency. `0ms` answers at once. Default
    /// `1ms`.
    #[serde(with = "duration")]
    pub pull_wake_delay: Duration,
    /// Evaluate SQL92 subscriptions (Java `enablePropertyFilter`; Java's default is
    /// `false`, broker-lite's `true` so filters work out of the box).
    pub enable_property_filter: bool,
    /// The delay-level schedule (Java `messageDelayLevel`).
    pub message_delay_level: String,
    /// How long an orderly consumer's queue lock lives without renewal (Java
    /// `rebalanceLockMaxLiveTime`). Default `60s`.
    #[serde(with = "duration")]
    pub queue_lock_expiry: Duration,
    /// How long a client may stay silent before its consumer/producer registrations are
    /// dropped (Java's channel expiry). Default `120s`.
    #[serde(with = "duration")]
    pub client_expiry: Duration,
    /// How often consumer offsets, topics and groups are written to disk (Java
    /// `flushConsumerOffsetInterval`). Default `5s`.
    #[serde(with = "duration")]
    pub persist_interval: Duration,
    /// A half (transaction) message older than this is checked with its producer (Java
    /// `transactionTimeOut`). Default `6s`.
    #[serde(with = "duration")]
    pub transaction_timeout: Duration,
    /// How many times a transaction is checked before it is dropped (Java
    /// `transactionCheckMax`). Default 15.
    pub transaction_check_max: i32,
    /// How often half messages are scanned (Java `transactionCheckInterval`). Default `30s`.
    #[serde(with = "duration")]
    pub transaction_check_interval: Duration,
    /// The message store.
    pub store: StoreSettings,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 10911)),
            advertised_addr: None,
            cluster_name: "DefaultCluster".into(),
            broker_name: "broker-a".into(),
            broker_id: 0,
            namesrv_addrs: vec!["127.0.0.1:9876".into()],
            register_interval: Duration::from_secs(30),
            broker_permission: 6,
            auto_create_topic_enable: true,
            default_topic_queue_nums: 8,
            auto_create_subscription_group: true,
            long_polling_enable: true,
            short_polling_time: Duration::from_secs(1),
            pull_wake_delay: Duration::from_millis(1),
            enable_property_filter: true,
            message_delay_level: DEFAULT_DELAY_LEVELS.into(),
            queue_lock_expiry: Duration::from_secs(60),
            client_expiry: Duration::from_secs(120),
            persist_interval: Duration::from_secs(5),
            transaction_timeout: Duration::from_secs(6),
            transaction_check_max: 15,
            transaction_check_interval: Duration::from_secs(30),
            store: StoreSettings::default(),
        }
    }
}

/// Java's default `messageDelayLevel`: levels 1 to 18.
pub const DEFAULT_DELAY_LEVELS: &str = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

impl BrokerConfig {
    /// Checks the values.
    pub fn validate(&self) -> Result<()> {
        for (field, value) in [
            ("broker.cluster_name", &self.cluster_name),
            ("broker.broker_name", &self.broker_name),
        ] {
            if value.trim().is_empty() {
                return Err(Error::Config {
                    field,
                    reason: "must not be empty".into(),
                });
            }
        }
        let positive = [
            ("broker.register_interval", self.register_interval),
            ("broker.queue_lock_expiry", self.queue_lock_expiry),
            ("broker.client_expiry", self.client_expiry),
            ("broker.persist_interval", self.persist_interval),
            (
                "broker.transaction_check_interval",
                self.transaction_check_interval,
            ),
        ];
        for (field, d) in positive {
            if d.is_zero() {
                return Err(Error::Config {
                    field,
                    reason: "must be greater than zero".into(),
                });
            }
        }
        if !(1..=1024).contains(&self.default_topic_queue_nums) {
            return Err(Error::Config {
                field: "broker.default_topic_queue_nums",
                reason: "must be in 1..=1024".into(),
            });
        }
        if self.broker_permission & !0b1110 != 0 {
            return Err(Error::Config {
                field: "broker.broker_permission",
                reason: "only the bits 2 (write), 4 (read) and 8 (inherit) exist".into(),
            });
        }
        self.delay_levels()?;
        self.store.validate()
    }

    /// The delay of each level, level 1 first, parsed from
    /// [`message_delay_level`](Self::message_delay_level) (units `s`, `m`, `h`, `d`).
    pub fn delay_levels(&self) -> Result<Vec<Duration>> {
        let bad = |reason: String| Error::Config {
            field: "broker.message_delay_level",
            reason,
        };
        let mut levels = Vec::new();
        for word in self.message_delay_level.split_whitespace() {
            let (digits, unit) = word.split_at(word.len().saturating_sub(1));
            let n: u64 = digits
                .parse()
                .map_err(|_| bad(format!("{word:?} is not <number><s|m|h|d>")))?;
            let secs = match unit {
                "s" => Some(n),
                "m" => n.checked_mul(60),
                "h" => n.checked_mul(3600),
                "d" => n.checked_mul(86_400),
                _ => None,
            }
            .ok_or_else(|| bad(format!("{word:?} is not <number><s|m|h|d>")))?;
            levels.push(Duration::from_secs(secs));
        }
        if levels.is_empty() {
            return Err(bad("needs at least one level".into()));
        }
        Ok(levels)
    }
}

/// How a write is acknowledged (Java `flushDiskType`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlushDiskType {
    /// Acknowledge once written; fsync periodically (Java's default).
    #[default]
    #[serde(rename = "ASYNC_FLUSH")]
    AsyncFlush,
    /// Acknowledge after fsync, with group commit.
    #[serde(rename = "SYNC_FLUSH")]
    SyncFlush,
}

/// The broker's store settings (`[broker.store]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// Root directory of the store and the broker's config files (Java
    /// `storePathRootDir`). Default `./broker-lite-store` (Java uses `$HOME/store`).
    pub dir: PathBuf,
    /// Flush mode. Default `ASYNC_FLUSH`.
    pub flush_disk_type: FlushDiskType,
    /// Async flush period (Java `flushIntervalCommitLog`). Default `500ms`.
    #[serde(with = "duration")]
    pub flush_interval: Duration,
    /// Commit-log segment size in bytes (Java `mappedFileSizeCommitLog`). Default 1 GiB.
    pub commit_log_segment_size: u64,
    /// Largest message accepted, in bytes (Java `maxMessageSize`). Default 4 MiB.
    pub max_message_size: usize,
    /// Keep commit-log segments this long (Java `fileReservedTime`). Default `72h`.
    #[serde(with = "duration")]
    pub file_reserved_time: Duration,
    /// Delete old segments when the disk is fuller than this (Java
    /// `diskMaxUsedSpaceRatio`). Default 0.75.
    pub disk_max_used_ratio: f64,
    /// Delete the oldest segments, expired or not, when the disk is fuller than this
    /// (Java `diskSpaceCleanForciblyRatio`). Default 0.98 (Java: 0.85).
    pub disk_force_clean_ratio: f64,
    /// Refuse writes when the disk is fuller than this (Java
    /// `diskSpaceWarningLevelRatio`). Default 0.99 (Java: 0.90): broker-lite shares its
    /// disk with builds and tests, and a 90%-used disk usually still has gigabytes free.
    /// Set 0.90 and 0.85 for Java's behaviour.
    pub disk_warning_ratio: f64,
    /// Build the key / unique-key index (Java `messageIndexEnable`). Default `true`.
    pub index_enabled: bool,
    /// Hash slots per index file (Java `maxHashSlotNum`). Default 5,000,000.
    pub index_hash_slots: u32,
    /// Entries per index file (Java `maxIndexNum`). Default 20,000,000.
    pub index_entries: u32,
    /// Bytes of the newest messages also kept in memory for pulls near the tail of their
    /// queues (no Java setting: Java reads through memory-mapped files). Default 4 MiB;
    /// 0 turns it off.
    pub tail_cache_size: usize,
}

impl Default for StoreSettings {
    fn default() -> Self {
        let java = crate::store::StoreConfig::new("broker-lite-store");
        StoreSettings {
            dir: java.root,
            flush_disk_type: FlushDiskType::AsyncFlush,
            flush_interval: java.flush_interval,
            commit_log_segment_size: java.commit_log_segment_size,
            max_message_size: java.max_record_size,
            file_reserved_time: java.file_reserved_time,
            disk_max_used_ratio: java.disk_max_used_ratio,
            disk_force_clean_ratio: java.disk_force_clean_ratio,
            disk_warning_ratio: java.disk_warning_ratio,
            index_enabled: java.index_enabled,
            index_hash_slots: java.index_hash_slots,
            index_entries: java.index_entries,
            tail_cache_size: java.tail_cache_size,
        }
    }
}

impl StoreSettings {
    /// The store configuration these settings give, with `store_host` written into
    /// every record.
    pub fn store_config(&self, store_host: SocketAddr) -> crate::store::StoreConfig {
        let mut c = crate::store::StoreConfig::new(self.dir.clone());
        c.flush_mode = match self.flush_disk_type {
            FlushDiskType::AsyncFlush => crate::store::FlushMode::Async,
            FlushDiskType::SyncFlush => crate::store::FlushMode::Sync,
        };
        c.flush_interval = self.flush_interval;
        c.commit_log_segment_size = self.commit_log_segment_size;
        c.max_record_size = self.max_message_size;
        c.file_reserved_time = self.file_reserved_time;
        c.disk_max_used_ratio = self.disk_max_used_ratio;
        c.disk_force_clean_ratio = self.disk_force_clean_ratio;
        c.disk_warning_ratio = self.disk_warning_ratio;
        c.index_enabled = self.index_enabled;
        c.index_hash_slots = self.index_hash_slots;
        c.index_entries = self.index_entries;
        c.tail_cache_size = self.tail_cache_size;
        c.store_host = store_host;
        c
    }

    /// Checks the values (the store's own rules).
    pub fn validate(&self) -> Result<()> {
        self.store_config(SocketAddr::from(([127, 0, 0, 1], 10911)))
            .validate()
    }
}

/// Durations as strings with a unit: `ms`, `s`, `m` or `h`.
pub(crate) mod duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*d))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    /// Writes the largest unit that divides the duration exactly.
    pub(crate) fn format(d: Duration) -> String {
        let ms = d.as_millis();
        match ms {
            0 => "0s".into(),
            _ if ms.is_multiple_of(3_600_000) => format!("{}h", ms / 3_600_000),
            _ if ms.is_multiple_of(60_000) => format!("{}m", ms / 60_000),
            _ if ms.is_multiple_of(1000) => format!("{}s", ms / 1000),
            _ => format!("{ms}ms"),
        }
    }

    /// Reads `<integer><unit>`.
    pub(crate) fn parse(text: &str) -> Result<Duration, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| format!("duration {text:?} needs a unit (ms, s, m, h)"))?;
        let (digits, unit) = text.split_at(split);
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("duration {text:?} does not start with a number"))?;
        let ms = match unit {
            "ms" => Some(n),
            "s" => n.checked_mul(1000),
            "m" => n.checked_mul(60_000),
            "h" => n.checked_mul(3_600_000),
            other => return Err(format!("unknown duration unit {other:?} (ms, s, m, h)")),
        };
        ms.map(Duration::from_millis)
            .ok_or_else(|| format!("duration {text:?} is too long"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_round_trips_through_toml() {
        let text = BrokerLiteConfig::default().to_toml().unwrap();
        assert!(text.contains("broker_expiry = \"2m\""), "{text}");
        assert_eq!(
            BrokerLiteConfig::from_toml(&text).unwrap(),
            BrokerLiteConfig::default()
        );
        assert_eq!(
            BrokerLiteConfig::from_toml("").unwrap(),
            BrokerLiteConfig::default()
        );
    }

    #[test]
    fn partial_file_and_refusals() {
        let c = BrokerLiteConfig::from_toml("[namesrv]\nbroker_expiry = \"500ms\"\n").unwrap();
        assert_eq!(c.namesrv.broker_expiry, Duration::from_millis(500));
        assert_eq!(c.namesrv.scan_interval, Duration::from_secs(5));
        assert!(BrokerLiteConfig::from_toml("[namesrv]\nbroker_expiry = \"0s\"\n").is_err());
        assert!(BrokerLiteConfig::from_toml("[namesrv]\nbroker_expiri = \"1s\"\n").is_err());
        assert!(BrokerLiteConfig::from_toml("[broker]\nbroker_name = \" \"\n").is_err());
    }

    #[test]
    fn durations() {
        for (text, ms) in [
            ("500ms", 500),
            ("3s", 3000),
            ("2m", 120_000),
            ("1h", 3_600_000),
        ] {
            let d = duration::parse(text).unwrap();
            assert_eq!(d, Duration::from_millis(ms));
            assert_eq!(duration::format(d), text);
        }
        assert_eq!(duration::format(Duration::from_millis(1500)), "1500ms");
        for bad in ["", "10", "s", "10x", "-1s", "99999999999999999999h"] {
            assert!(duration::parse(bad).is_err(), "{bad}");
        }
    }
}
