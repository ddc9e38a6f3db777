//! broker-lite's configuration: one TOML file with a `[namesrv]` and a `[broker]` section.
//!
//! Every field has a documented default, so an empty file is a valid config;
//! `broker-lite print-default-config` prints them all. Durations are written as strings with
//! a unit (`"120s"`, `"500ms"`, `"2m"`, `"1h"`). Unknown keys are refused, so a typo fails
//! loudly instead of being ignored.

use std::net::SocketAddr;
use std::path::Path;
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
}

impl Default for NamesrvConfig {
    fn default() -> Self {
        NamesrvConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 9876)),
            broker_expiry: Duration::from_secs(120),
            scan_interval: Duration::from_secs(5),
            order_message_enable: false,
            delete_topic_with_broker_registration: false,
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

/// The broker. Only the identity and address exist yet; store, flush and retention
/// settings arrive with the broker role.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrokerConfig {
    /// Address to listen on. Default `127.0.0.1:10911` (Java's `listenPort` 10911).
    pub listen: SocketAddr,
    /// Cluster name. Default `DefaultCluster` (Java's `brokerClusterName`).
    pub cluster_name: String,
    /// Broker name. Default `broker-a`.
    pub broker_name: String,
    /// Name servers to register with, `host:port`. Default `["127.0.0.1:9876"]`.
    pub namesrv_addrs: Vec<String>,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 10911)),
            cluster_name: "DefaultCluster".into(),
            broker_name: "broker-a".into(),
            namesrv_addrs: vec!["127.0.0.1:9876".into()],
        }
    }
}

impl BrokerConfig {
    /// Checks the values: names must be non-empty.
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
        Ok(())
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
