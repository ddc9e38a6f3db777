//! Broker-wide admin: GET_BROKER_RUNTIME_INFO (what `mqadmin brokerStatus` prints),
//! GET_BROKER_CONFIG / UPDATE_BROKER_CONFIG, VIEW_BROKER_STATS_DATA.

use std::sync::{Arc, Mutex};

use rocketmq::protocol::body::{DataVersion, KvTable};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode, Version};
use rocketmq::remoting::{RemotingServerBuilder, RequestContext};

use super::bodies::{BrokerStatsData, BrokerStatsItem};
use super::broker_config::{BLACK_LIST, apply, parse_properties, properties_text};
use super::{blocking, is_v5, refuse, success, success_with};
use crate::broker::stats::{Rate, StatsSnapshot, TOPIC_PUT_SIZE};
use crate::broker::{Reply, State, lock, now_ms, on};

pub(super) fn register(
    builder: RemotingServerBuilder,
    state: &Arc<State>,
) -> RemotingServerBuilder {
    let b = on(
        builder,
        RequestCode::GET_BROKER_RUNTIME_INFO,
        state,
        runtime_info,
    );
    let b = on(b, RequestCode::GET_BROKER_CONFIG, state, get_config);
    let b = on(b, RequestCode::UPDATE_BROKER_CONFIG, state, update_config);
    on(b, RequestCode::VIEW_BROKER_STATS_DATA, state, stats_data)
}

/// Java `MixAll.humanReadableByteCount(bytes, false)`: `512 B`, `1.5 KiB`, ...
fn human_bytes(bytes: u64) -> String {
    const UNITS: [char; 6] = ['K', 'M', 'G', 'T', 'P', 'E'];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut exp = 0;
    let mut value = bytes as f64;
    while value >= 1024.0 && exp < UNITS.len() {
        value /= 1024.0;
        exp += 1;
    }
    format!("{value:.1} {}iB", UNITS[exp - 1])
}

/// Java `StoreStatsService.getFormatRuntime`.
fn format_runtime(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!(
        "[ {} days, {} hours, {} minutes, {} seconds ]",
        s / 86_400,
        s % 86_400 / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// GET_BROKER_RUNTIME_INFO: Java's runtime keys with broker-lite's values. Keys about
/// things broker-lite does not have (thread-pool queues, put latency histograms) are left
/// out rather than filled with made-up numbers.
async fn runtime_info(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let (earliest, disk) = blocking(&state, |store| {
        Ok((store.earliest_message_time()?, store.disk_space()))
    })
    .await?;
    let store = &state.store;
    let stats = &state.stats;
    let daily = stats.daily();
    let put_times = daily.put_now.max(1);
    let put_size: u64 = state
        .topics
        .names()
        .iter()
        .map(|t| stats.item_total(TOPIC_PUT_SIZE, t))
        .sum();
    let ratio = store
        .disk_used_ratio()
        .map_or_else(|| "-1.0".to_owned(), java_double);
    let root = store.root().display().to_string();
    let mut t: Vec<(String, String)> = vec![
        ("bootTimestamp".into(), state.boot_timestamp.to_string()),
        (
            "runtime".into(),
            format_runtime(now_ms() - state.boot_timestamp),
        ),
        ("putMessageTimesTotal".into(), put_times.to_string()),
        ("putMessageFailedTimes".into(), "0".into()),
        ("putMessageSizeTotal".into(), put_size.to_string()),
        (
            "putMessageAverageSize".into(),
            java_double(put_size as f64 / put_times as f64),
        ),
        ("putTps".into(), stats.tps_text(Rate::Put)),
        ("getFoundTps".into(), stats.tps_text(Rate::GetFound)),
        ("getMissTps".into(), stats.tps_text(Rate::GetMiss)),
        ("getTotalTps".into(), stats.tps_text(Rate::GetTotal)),
        (
            // 4.9.8 spells it "Transfered", 5.x "Transferred"; both are written.
            "getTransferedTps".into(),
            stats.tps_text(Rate::GetTransferred),
        ),
        (
            "getTransferredTps".into(),
            stats.tps_text(Rate::GetTransferred),
        ),
        ("commitLogDiskRatio".into(), ratio.clone()),
        (
            format!("commitLogDiskRatio_{root}/commitlog"),
            ratio.clone(),
        ),
        ("consumeQueueDiskRatio".into(), ratio),
        (
            "commitLogMinOffset".into(),
            store.min_phys_offset().to_string(),
        ),
        (
            "commitLogMaxOffset".into(),
            store.max_phys_offset().to_string(),
        ),
        ("brokerActive".into(), "true".into()),
        (
            "brokerVersionDesc".into(),
            Version::CURRENT.name().unwrap_or("V5_3_3").into(),
        ),
        ("brokerVersion".into(), Version::CURRENT.0.to_string()),
        (
            "msgPutTotalYesterdayMorning".into(),
            daily.put_yesterday_morning.to_string(),
        ),
        (
            "msgPutTotalTodayMorning".into(),
            daily.put_today_morning.to_string(),
        ),
        ("msgPutTotalTodayNow".into(), daily.put_now.to_string()),
        (
            "msgGetTotalYesterdayMorning".into(),
            daily.get_yesterday_morning.to_string(),
        ),
        (
            "msgGetTotalTodayMorning".into(),
            daily.get_today_morning.to_string(),
        ),
        ("msgGetTotalTodayNow".into(), daily.get_now.to_string()),
        // Consume queues and the index are written in the append call.
        ("dispatchBehindBytes".into(), "0".into()),
        (
            "earliestMessageTimeStamp".into(),
            earliest.unwrap_or(-1).to_string(),
        ),
        ("startAcceptSendRequestTimeStamp".into(), "0".into()),
        (
            "remainTransientStoreBufferNumbs".into(),
            i32::MAX.to_string(),
        ),
        (
            "remainHowManyDataToFlush".into(),
            human_bytes(store.unflushed_bytes()),
        ),
    ];
    if let Some((total, free)) = disk {
        t.push((
            "commitLogDirCapacity".into(),
            format!(
                "Total : {}, Free : {}.",
                human_bytes(total),
                human_bytes(free)
            ),
        ));
    }
    if is_v5(&request) {
        // No timer wheel: Java's values when it is disabled.
        for (k, v) in [
            ("timerReadBehind", "0"),
            ("timerOffsetBehind", "0"),
            ("timerCongestNum", "0"),
            ("timerEnqueueTps", "0.0"),
            ("timerDequeueTps", "0.0"),
        ] {
            t.push((k.into(), v.into()));
        }
    }
    let table = KvTable {
        table: t.into_iter().collect(),
    };
    success_with(table.to_json())
}

/// Java's `Double.toString` for the plain values used here (`0.0`, `0.53`).
fn java_double(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e7 {
        format!("{v:.1}")
    } else {
        v.to_string()
    }
}

/// GET_BROKER_CONFIG: Java properties text; the `version` header field is the config's
/// data version (broker-lite does not count config changes: the boot time, counter 0).
async fn get_config(state: Arc<State>, _ctx: RequestContext, _request: RemotingCommand) -> Reply {
    let text = properties_text(&state.config(), state.addr);
    let version = DataVersion {
        state_version: Some(0),
        timestamp: state.boot_timestamp,
        counter: 0,
    };
    let version = String::from_utf8(version.to_json()).unwrap_or_default();
    Ok(Some(
        RemotingCommand::response(ResponseCode::SUCCESS)
            .with_ext_field("version", version)
            .with_body(text.into_bytes()),
    ))
}

/// Serialises config updates (Java's method is `synchronized`).
static UPDATE: Mutex<()> = Mutex::new(());

/// UPDATE_BROKER_CONFIG: applies Java properties text to the running config (see
/// `broker_config` for which keys change at run time).
async fn update_config(state: Arc<State>, ctx: RequestContext, request: RemotingCommand) -> Reply {
    if request.body.is_empty() {
        return success();
    }
    let Ok(text) = std::str::from_utf8(&request.body) else {
        return refuse(ResponseCode::SYSTEM_ERROR, "string2Properties error");
    };
    let properties = parse_properties(text);
    if properties
        .iter()
        .any(|(k, _)| BLACK_LIST.contains(&k.as_str()))
    {
        return refuse(
            ResponseCode::NO_PERMISSION,
            "Can not update config in black list.",
        );
    }
    let _one_at_a_time = lock(&UPDATE);
    let mut config = crate::config::BrokerConfig::clone(&state.config());
    if let Err(remark) = apply(&mut config, &properties) {
        return refuse(ResponseCode::SYSTEM_ERROR, remark);
    }
    if let Err(e) = config.validate() {
        return refuse(ResponseCode::SYSTEM_ERROR, e.to_string());
    }
    tracing::info!(peer = ctx.peer_addr(), ?properties, "broker config updated");
    state.set_config(config);
    success()
}

fn item(s: StatsSnapshot) -> BrokerStatsItem {
    BrokerStatsItem {
        sum: i64::try_from(s.sum).unwrap_or(i64::MAX),
        tps: s.tps,
        avgpt: s.avgpt,
    }
}

/// VIEW_BROKER_STATS_DATA: the minute/hour/day views of one stats item (`statsName`
/// such as `TOPIC_PUT_NUMS`, `statsKey` such as a topic or `topic@group`).
async fn stats_data(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let name = request.ext_field("statsName").unwrap_or_default();
    let key = request.ext_field("statsKey").unwrap_or_default();
    let Some(stats) = state.stats.item(name, key) else {
        return refuse(
            ResponseCode::SYSTEM_ERROR,
            format!("The stats <{name}> <{key}> not exist"),
        );
    };
    let data = BrokerStatsData {
        stats_minute: item(stats.minute),
        stats_hour: item(stats.hour),
        stats_day: item(stats.day),
    };
    success_with(data.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_formats() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
        assert_eq!(
            format_runtime(90_061_000),
            "[ 1 days, 1 hours, 1 minutes, 1 seconds ]"
        );
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(0.53), "0.53");
        assert_eq!(java_double(12.0), "12.0");
    }
}
