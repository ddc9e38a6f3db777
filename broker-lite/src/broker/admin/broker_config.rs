//! The broker config as Java's properties text (GET_BROKER_CONFIG, UPDATE_BROKER_CONFIG):
//! Java's key names (`BrokerConfig`, `NettyServerConfig`, `MessageStoreConfig`) and units
//! (milliseconds, hours for `fileReservedTime`, percent for the disk ratios), mapped onto
//! broker-lite's [`BrokerConfig`].
//!
//! Keys of the top-level broker settings change at run time (the processors read the
//! config on every use). The broker's identity, the delay levels and the store settings
//! are read only at start: updating them is refused with a remark saying so (Java accepts
//! them and applies some later). Unknown keys are ignored, as Java's `Configuration`
//! ignores them. Updates are not written back to the config file (Java persists them to
//! `brokerConfigPath`).

use std::net::SocketAddr;
use std::time::Duration;

use crate::config::{BrokerConfig, FlushDiskType};

type Get = fn(&BrokerConfig, SocketAddr) -> Option<String>;
type Set = fn(&mut BrokerConfig, &str) -> Result<(), String>;

/// One Java key: how to show it and, for keys that change at run time, how to set it.
struct Key {
    name: &'static str,
    get: Get,
    set: Option<Set>,
}

/// Keys Java refuses to update (`configBlackList` default).
pub(super) const BLACK_LIST: [&str; 2] = ["configBlackList", "brokerConfigPath"];

fn millis(d: Duration) -> Option<String> {
    Some(d.as_millis().to_string())
}

fn parse<T: std::str::FromStr>(v: &str) -> Result<T, String> {
    v.trim().parse().map_err(|_| format!("invalid value {v:?}"))
}

/// Java's `Boolean.parseBoolean`, but refusing anything but `true`/`false`.
fn parse_bool(v: &str) -> Result<bool, String> {
    match v.trim() {
        t if t.eq_ignore_ascii_case("true") => Ok(true),
        f if f.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(format!("invalid value {v:?}")),
    }
}

fn parse_millis(v: &str) -> Result<Duration, String> {
    parse::<u64>(v).map(Duration::from_millis)
}

const KEYS: &[Key] = &[
    Key {
        name: "brokerClusterName",
        get: |c, _| Some(c.cluster_name.clone()),
        set: None,
    },
    Key {
        name: "brokerName",
        get: |c, _| Some(c.broker_name.clone()),
        set: None,
    },
    Key {
        name: "brokerId",
        get: |c, _| Some(c.broker_id.to_string()),
        set: None,
    },
    Key {
        name: "brokerIP1",
        get: |_, addr| Some(addr.ip().to_string()),
        set: None,
    },
    Key {
        name: "listenPort",
        get: |_, addr| Some(addr.port().to_string()),
        set: None,
    },
    Key {
        name: "brokerRole",
        get: |c, _| {
            Some(
                if c.broker_id == 0 {
                    "ASYNC_MASTER"
                } else {
                    "SLAVE"
                }
                .into(),
            )
        },
        set: None,
    },
    Key {
        name: "namesrvAddr",
        get: |c, _| (!c.namesrv_addrs.is_empty()).then(|| c.namesrv_addrs.join(";")),
        set: Some(|c, v| {
            c.namesrv_addrs = v
                .split(';')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect();
            Ok(())
        }),
    },
    Key {
        name: "registerNameServerPeriod",
        get: |c, _| millis(c.register_interval),
        set: Some(|c, v| {
            c.register_interval = parse_millis(v)?;
            Ok(())
        }),
    },
    Key {
        name: "brokerPermission",
        get: |c, _| Some(c.broker_permission.to_string()),
        set: Some(|c, v| {
            c.broker_permission = parse(v)?;
            Ok(())
        }),
    },
    Key {
        name: "autoCreateTopicEnable",
        get: |c, _| Some(c.auto_create_topic_enable.to_string()),
        set: Some(|c, v| {
            c.auto_create_topic_enable = parse_bool(v)?;
            Ok(())
        }),
    },
    Key {
        name: "defaultTopicQueueNums",
        get: |c, _| Some(c.default_topic_queue_nums.to_string()),
        set: Some(|c, v| {
            c.default_topic_queue_nums = parse(v)?;
            Ok(())
        }),
    },
    Key {
        name: "autoCreateSubscriptionGroup",
        get: |c, _| Some(c.auto_create_subscription_group.to_string()),
        set: Some(|c, v| {
            c.auto_create_subscription_group = parse_bool(v)?;
            Ok(())
        }),
    },
    Key {
        name: "longPollingEnable",
        get: |c, _| Some(c.long_polling_enable.to_string()),
        set: Some(|c, v| {
            c.long_polling_enable = parse_bool(v)?;
            Ok(())
        }),
    },
    Key {
        name: "shortPollingTimeMills",
        get: |c, _| millis(c.short_polling_time),
        set: Some(|c, v| {
            c.short_polling_time = parse_millis(v)?;
            Ok(())
        }),
    },
    Key {
        name: "enablePropertyFilter",
        get: |c, _| Some(c.enable_property_filter.to_string()),
        set: Some(|c, v| {
            c.enable_property_filter = parse_bool(v)?;
            Ok(())
        }),
    },
    Key {
        name: "messageDelayLevel",
        get: |c, _| Some(c.message_delay_level.clone()),
        set: None,
    },
    Key {
        name: "channelExpiredTimeout",
        get: |c, _| millis(c.client_expiry),
        set: Some(|c, v| {
            c.client_expiry = parse_millis(v)?;
            Ok(())
        }),
    },
    Key {
        name: "flushConsumerOffsetInterval",
        get: |c, _| millis(c.persist_interval),
        set: Some(|c, v| {
            c.persist_interval = parse_millis(v)?;
            Ok(())
        }),
    },
    Key {
        name: "transactionTimeOut",
        get: |c, _| millis(c.transaction_timeout),
        set: Some(|c, v| {
            c.transaction_timeout = parse_millis(v)?;
            Ok(())
        }),
    },
    Key {
        name: "transactionCheckMax",
        get: |c, _| Some(c.transaction_check_max.to_string()),
        set: Some(|c, v| {
            c.transaction_check_max = parse(v)?;
            Ok(())
        }),
    },
    Key {
        name: "transactionCheckInterval",
        get: |c, _| millis(c.transaction_check_interval),
        set: Some(|c, v| {
            c.transaction_check_interval = parse_millis(v)?;
            Ok(())
        }),
    },
    Key {
        name: "storePathRootDir",
        get: |c, _| Some(c.store.dir.display().to_string()),
        set: None,
    },
    Key {
        name: "storePathCommitLog",
        get: |c, _| Some(c.store.dir.join("commitlog").display().to_string()),
        set: None,
    },
    Key {
        name: "flushDiskType",
        get: |c, _| {
            Some(
                match c.store.flush_disk_type {
                    FlushDiskType::AsyncFlush => "ASYNC_FLUSH",
                    FlushDiskType::SyncFlush => "SYNC_FLUSH",
                }
                .into(),
            )
        },
        set: None,
    },
    Key {
        name: "flushIntervalCommitLog",
        get: |c, _| millis(c.store.flush_interval),
        set: None,
    },
    Key {
        name: "mappedFileSizeCommitLog",
        get: |c, _| Some(c.store.commit_log_segment_size.to_string()),
        set: None,
    },
    Key {
        name: "mappedFileSizeConsumeQueue",
        get: |_, _| Some((300_000u64 * 20).to_string()),
        set: None,
    },
    Key {
        name: "maxMessageSize",
        get: |c, _| Some(c.store.max_message_size.to_string()),
        set: None,
    },
    Key {
        name: "fileReservedTime",
        get: |c, _| Some((c.store.file_reserved_time.as_secs() / 3600).to_string()),
        set: None,
    },
    Key {
        name: "diskMaxUsedSpaceRatio",
        get: |c, _| Some(percent(c.store.disk_max_used_ratio)),
        set: None,
    },
    Key {
        name: "diskSpaceWarningLevelRatio",
        get: |c, _| Some(percent(c.store.disk_warning_ratio)),
        set: None,
    },
    Key {
        name: "messageIndexEnable",
        get: |c, _| Some(c.store.index_enabled.to_string()),
        set: None,
    },
    Key {
        name: "maxHashSlotNum",
        get: |c, _| Some(c.store.index_hash_slots.to_string()),
        set: None,
    },
    Key {
        name: "maxIndexNum",
        get: |c, _| Some(c.store.index_entries.to_string()),
        set: None,
    },
];

fn percent(ratio: f64) -> String {
    format!("{:.0}", ratio * 100.0)
}

/// The config as Java's properties text, `key=value` lines sorted by key.
pub(super) fn properties_text(config: &BrokerConfig, addr: SocketAddr) -> String {
    let mut lines: Vec<(&str, String)> = KEYS
        .iter()
        .filter_map(|k| (k.get)(config, addr).map(|v| (k.name, v)))
        .collect();
    lines.sort_unstable();
    lines
        .into_iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect()
}

/// Reads Java properties text: `key=value` or `key:value` lines; blank lines and `#`/`!`
/// comments skipped (no escapes or continuation lines).
pub(super) fn parse_properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .map(|l| match l.find(['=', ':']) {
            Some(i) => (l[..i].trim().to_owned(), l[i + 1..].trim_start().to_owned()),
            None => (l.trim().to_owned(), String::new()),
        })
        .collect()
}

/// Applies `properties` to `config`. Errors say which key could not be applied and why.
pub(super) fn apply(
    config: &mut BrokerConfig,
    properties: &[(String, String)],
) -> Result<(), String> {
    for (name, value) in properties {
        let Some(key) = KEYS.iter().find(|k| k.name == name) else {
            tracing::info!(key = %name, "unknown broker config key ignored");
            continue;
        };
        let Some(set) = key.set else {
            return Err(format!(
                "{name} is read only at start: set it in the config file and restart"
            ));
        };
        set(config, value).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip_and_refusals() {
        let addr = SocketAddr::from(([10, 0, 0, 1], 10911));
        let mut c = BrokerConfig::default();
        let text = properties_text(&c, addr);
        assert!(text.contains("brokerName=broker-a\n"), "{text}");
        assert!(text.contains("listenPort=10911\n"));
        assert!(text.contains("brokerIP1=10.0.0.1\n"));
        assert!(text.contains("fileReservedTime=72\n"));
        assert!(text.contains("diskMaxUsedSpaceRatio=75\n"));
        assert!(text.contains("shortPollingTimeMills=1000\n"));
        let props = parse_properties(
            "# comment\n\nautoCreateTopicEnable=false\nshortPollingTimeMills : 250\nnope=1\n",
        );
        assert_eq!(props.len(), 3);
        apply(&mut c, &props).unwrap_or_default();
        assert!(!c.auto_create_topic_enable);
        assert_eq!(c.short_polling_time, Duration::from_millis(250));
        let err = apply(&mut c, &[("brokerName".into(), "x".into())]).unwrap_err();
        assert!(err.contains("read only at start"), "{err}");
        assert!(apply(&mut c, &[("brokerPermission".into(), "x".into())]).is_err());
        assert!(apply(&mut c, &[("longPollingEnable".into(), "yes".into())]).is_err());
    }
}
