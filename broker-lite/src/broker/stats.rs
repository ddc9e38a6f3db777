//! Put/get counters per topic and group, sampled for TPS in admin output (Java
//! `BrokerStatsManager`, `StoreStatsService` and `BrokerStats`).
//!
//! Two kinds of numbers are kept:
//!
//! * **Items** by stats name and key, as Java's `StatsItemSet`: [`TOPIC_PUT_NUMS`] /
//!   [`TOPIC_PUT_SIZE`] keyed by topic, [`GROUP_GET_NUMS`] / [`GROUP_GET_SIZE`] keyed by
//!   `topic@group`, [`BROKER_PUT_NUMS`] / [`BROKER_GET_NUMS`] keyed by the cluster name
//!   (Java keys them so). Each has a running sum and a call count, sampled every 10 s (the
//!   minute view), every 10 min (the hour view) and every hour (the day view); a view's
//!   [`StatsSnapshot`] is the difference between its oldest and newest sample, as Java's
//!   `StatsItem.computeStatsData` computes it (`VIEW_BROKER_STATS_DATA`).
//! * **Broker totals** sampled every second for the last ten minutes, as Java's
//!   `StoreStatsService`: messages put, pulls that found messages, pulls that missed,
//!   messages transferred; [`Stats::tps`] gives the rate over 10 s, 60 s or 600 s
//!   (`putTps`, `getFoundTps`, ... of `GET_BROKER_RUNTIME_INFO`), and the
//!   today/yesterday-morning totals of `BrokerStats`.
//!
//! Difference from Java: "morning" is midnight UTC, not local midnight (the broker has no
//! time-zone database).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinSet;

use super::{State, lock, now_ms};

/// Messages put, by topic.
pub(crate) const TOPIC_PUT_NUMS: &str = "TOPIC_PUT_NUMS";
/// Bytes put, by topic.
pub(crate) const TOPIC_PUT_SIZE: &str = "TOPIC_PUT_SIZE";
/// Messages pulled, by `topic@group`.
pub(crate) const GROUP_GET_NUMS: &str = "GROUP_GET_NUMS";
/// Bytes pulled, by `topic@group`.
pub(crate) const GROUP_GET_SIZE: &str = "GROUP_GET_SIZE";
/// Messages put, broker-wide (keyed by the cluster name).
pub(crate) const BROKER_PUT_NUMS: &str = "BROKER_PUT_NUMS";
/// Messages pulled, broker-wide (keyed by the cluster name).
pub(crate) const BROKER_GET_NUMS: &str = "BROKER_GET_NUMS";

/// Samples kept per view: minute view every 10 s (7 samples cover 60 s), hour view every
/// 10 min (7 cover 60 min), day view every hour (25 cover 24 h), as Java keeps them.
const MINUTE_SAMPLES: usize = 7;
const HOUR_SAMPLES: usize = 7;
const DAY_SAMPLES: usize = 25;
/// Broker totals are sampled every second, the last 600 s plus one kept.
const SECOND_SAMPLES: usize = 601;
const DAY_MS: i64 = 86_400_000;

/// One view of an item: what changed between its oldest and newest sample (Java
/// `StatsSnapshot`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct StatsSnapshot {
    /// Sum of the values recorded in the window.
    pub(crate) sum: u64,
    /// Values per second over the window.
    pub(crate) tps: f64,
    /// Average value per recorded call in the window.
    pub(crate) avgpt: f64,
}

/// The three views of one item (Java `BrokerStatsData`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct ItemStats {
    /// The last minute.
    pub(crate) minute: StatsSnapshot,
    /// The last hour.
    pub(crate) hour: StatsSnapshot,
    /// The last day.
    pub(crate) day: StatsSnapshot,
}

/// Broker-wide rates `GET_BROKER_RUNTIME_INFO` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rate {
    /// Messages stored (`putTps`).
    Put,
    /// Pulls that found messages (`getFoundTps`).
    GetFound,
    /// Pulls that found nothing (`getMissTps`).
    GetMiss,
    /// All pulls (`getTotalTps`).
    GetTotal,
    /// Messages returned by pulls (`getTransferedTps`).
    GetTransferred,
}

/// Broker-wide message totals (Java `BrokerStats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DailyTotals {
    /// Messages put since start.
    pub(crate) put_now: u64,
    /// `put_now` at the latest midnight (UTC) seen.
    pub(crate) put_today_morning: u64,
    /// `put_now` at the midnight before that.
    pub(crate) put_yesterday_morning: u64,
    /// Messages pulled since start.
    pub(crate) get_now: u64,
    /// `get_now` at the latest midnight (UTC) seen.
    pub(crate) get_today_morning: u64,
    /// `get_now` at the midnight before that.
    pub(crate) get_yesterday_morning: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    at_ms: i64,
    value: u64,
    times: u64,
}

#[derive(Debug, Default)]
struct Item {
    value: u64,
    times: u64,
    minute: VecDeque<Sample>,
    hour: VecDeque<Sample>,
    day: VecDeque<Sample>,
}

impl Item {
    fn add(&mut self, value: u64) {
        self.value = self.value.saturating_add(value);
        self.times = self.times.saturating_add(1);
    }

    fn sample(ring: &mut VecDeque<Sample>, cap: usize, s: Sample) {
        ring.push_back(s);
        while ring.len() > cap {
            ring.pop_front();
        }
    }

    fn now(&self, at_ms: i64) -> Sample {
        Sample {
            at_ms,
            value: self.value,
            times: self.times,
        }
    }
}

/// Java's `computeStatsData` over the oldest and newest sample of a ring, with the
/// item's current value as the newest when `current` is given.
fn snapshot(ring: &VecDeque<Sample>, current: Sample) -> StatsSnapshot {
    let Some(first) = ring.front() else {
        return StatsSnapshot::default();
    };
    let sum = current.value.saturating_sub(first.value);
    let elapsed = current.at_ms - first.at_ms;
    let times = current.times.saturating_sub(first.times);
    StatsSnapshot {
        sum,
        tps: if elapsed > 0 {
            sum as f64 * 1000.0 / elapsed as f64
        } else {
            0.0
        },
        avgpt: if times > 0 {
            sum as f64 / times as f64
        } else {
            0.0
        },
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    put: u64,
    get_found: u64,
    get_miss: u64,
    get_transferred: u64,
}

#[derive(Debug, Default)]
struct Inner {
    /// Items by name, then key (two levels, so counting finds an item without a key
    /// allocation).
    items: HashMap<&'static str, HashMap<String, Item>>,
    totals: Totals,
    /// One sample of `totals` per second, with its time.
    seconds: VecDeque<(i64, Totals)>,
    daily: DailyTotals,
    /// The UTC day (days since the epoch) `daily`'s morning values belong to.
    day: i64,
    /// Cluster name used as the key of the broker-wide items.
    cluster: String,
}

impl Inner {
    fn add(&mut self, name: &'static str, key: &str, value: u64) {
        let items = self.items.entry(name).or_default();
        match items.get_mut(key) {
            Some(item) => item.add(value),
            None => {
                let mut item = Item::default();
                // A first sample at zero so the first views cover the item's whole life.
                let zero = Sample {
                    at_ms: now_ms(),
                    value: 0,
                    times: 0,
                };
                item.minute.push_back(zero);
                item.hour.push_back(zero);
                item.day.push_back(zero);
                item.add(value);
                items.insert(key.to_owned(), item);
            }
        }
    }
}

/// Counters kept for admin output. All methods are cheap (one short lock).
#[derive(Debug, Default)]
pub(crate) struct Stats {
    inner: Mutex<Inner>,
}

impl Stats {
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::with_cluster("DefaultCluster")
    }

    /// Stats whose broker-wide items are keyed by `cluster` (as Java keys them).
    pub(crate) fn with_cluster(cluster: &str) -> Self {
        Stats {
            inner: Mutex::new(Inner {
                day: now_ms().div_euclid(DAY_MS),
                cluster: cluster.to_owned(),
                ..Inner::default()
            }),
        }
    }

    /// Records `msgs` messages of `bytes` total stored in `topic`.
    pub(crate) fn record_put(&self, topic: &str, msgs: u64, bytes: u64) {
        let mut inner = lock(&self.inner);
        inner.add(TOPIC_PUT_NUMS, topic, msgs);
        inner.add(TOPIC_PUT_SIZE, topic, bytes);
        let cluster = std::mem::take(&mut inner.cluster);
        inner.add(BROKER_PUT_NUMS, &cluster, msgs);
        inner.cluster = cluster;
        inner.totals.put = inner.totals.put.saturating_add(msgs);
        inner.daily.put_now = inner.daily.put_now.saturating_add(msgs);
    }

    /// Records one pull of `group` on `topic` that returned `msgs` messages of `bytes`
    /// (0 messages counts as a miss).
    pub(crate) fn record_get(&self, topic: &str, group: &str, msgs: u64, bytes: u64) {
        let mut inner = lock(&self.inner);
        if msgs == 0 {
            inner.totals.get_miss += 1;
            return;
        }
        let key = format!("{topic}@{group}");
        inner.add(GROUP_GET_NUMS, &key, msgs);
        inner.add(GROUP_GET_SIZE, &key, bytes);
        let cluster = std::mem::take(&mut inner.cluster);
        inner.add(BROKER_GET_NUMS, &cluster, msgs);
        inner.cluster = cluster;
        inner.totals.get_found += 1;
        inner.totals.get_transferred = inner.totals.get_transferred.saturating_add(msgs);
        inner.daily.get_now = inner.daily.get_now.saturating_add(msgs);
    }

    /// The minute/hour/day views of item `name`/`key` (`VIEW_BROKER_STATS_DATA`), or
    /// `None` when nothing was recorded under it.
    pub(crate) fn item(&self, name: &str, key: &str) -> Option<ItemStats> {
        let inner = lock(&self.inner);
        let item = inner.items.get(name)?.get(key)?;
        let now = item.now(now_ms());
        Some(ItemStats {
            minute: snapshot(&item.minute, now),
            hour: snapshot(&item.hour, now),
            day: snapshot(&item.day, now),
        })
    }

    /// The running sum of item `name`/`key` (0 when absent).
    pub(crate) fn item_total(&self, name: &str, key: &str) -> u64 {
        let inner = lock(&self.inner);
        inner
            .items
            .get(name)
            .and_then(|items| items.get(key))
            .map_or(0, |item| item.value)
    }

    /// The rate over the last `window` seconds (Java uses 10, 60 and 600), or `None`
    /// while fewer samples than that exist (Java then prints an empty string).
    pub(crate) fn tps(&self, rate: Rate, window: usize) -> Option<f64> {
        let inner = lock(&self.inner);
        let n = inner.seconds.len();
        if window == 0 || n <= window {
            return None;
        }
        let (t1, last) = inner.seconds[n - 1];
        let (t0, first) = inner.seconds[n - 1 - window];
        let pick = |t: &Totals| match rate {
            Rate::Put => t.put,
            Rate::GetFound => t.get_found,
            Rate::GetMiss => t.get_miss,
            Rate::GetTotal => t.get_found + t.get_miss,
            Rate::GetTransferred => t.get_transferred,
        };
        let elapsed = t1 - t0;
        if elapsed <= 0 {
            return Some(0.0);
        }
        Some(pick(&last).saturating_sub(pick(&first)) as f64 * 1000.0 / elapsed as f64)
    }

    /// Java's runtime-info text for a rate: the 10 s, 60 s and 600 s values separated by
    /// spaces, each empty while not enough samples exist.
    pub(crate) fn tps_text(&self, rate: Rate) -> String {
        [10, 60, 600]
            .map(|w| self.tps(rate, w).map(|v| v.to_string()).unwrap_or_default())
            .join(" ")
    }

    /// Today's and yesterday's totals.
    pub(crate) fn daily(&self) -> DailyTotals {
        let mut inner = lock(&self.inner);
        roll_day(&mut inner, now_ms());
        inner.daily
    }

    /// Takes the per-second sample of the broker totals; every 10th call also samples the
    /// minute views, every 600th the hour views, every 3600th the day views. `tick` counts
    /// seconds since start.
    fn sample(&self, tick: u64, at_ms: i64) {
        let mut inner = lock(&self.inner);
        roll_day(&mut inner, at_ms);
        let totals = inner.totals;
        inner.seconds.push_back((at_ms, totals));
        while inner.seconds.len() > SECOND_SAMPLES {
            inner.seconds.pop_front();
        }
        for item in inner.items.values_mut().flat_map(HashMap::values_mut) {
            let s = item.now(at_ms);
            if tick.is_multiple_of(10) {
                Item::sample(&mut item.minute, MINUTE_SAMPLES, s);
            }
            if tick.is_multiple_of(600) {
                Item::sample(&mut item.hour, HOUR_SAMPLES, s);
            }
            if tick.is_multiple_of(3600) {
                Item::sample(&mut item.day, DAY_SAMPLES, s);
            }
        }
    }
}

fn roll_day(inner: &mut Inner, at_ms: i64) {
    let day = at_ms.div_euclid(DAY_MS);
    if day > inner.day {
        let d = &mut inner.daily;
        // Two days may have passed without a sample: then yesterday's morning is today's.
        d.put_yesterday_morning = if day == inner.day + 1 {
            d.put_today_morning
        } else {
            d.put_now
        };
        d.get_yesterday_morning = if day == inner.day + 1 {
            d.get_today_morning
        } else {
            d.get_now
        };
        d.put_today_morning = d.put_now;
        d.get_today_morning = d.get_now;
        inner.day = day;
    }
}

/// Starts the sampling: once a second.
pub(super) fn spawn(state: &Arc<State>, tasks: &mut JoinSet<()>) {
    let state = Arc::clone(state);
    tasks.spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut tick: u64 = 0;
        loop {
            every.tick().await;
            tick += 1;
            state.stats.sample(tick, now_ms());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_and_views() {
        let stats = Stats::with_cluster("C");
        stats.record_put("t", 3, 300);
        stats.record_put("t", 1, 100);
        stats.record_get("t", "g", 2, 200);
        stats.record_get("t", "g", 0, 0);
        assert_eq!(stats.item_total(TOPIC_PUT_NUMS, "t"), 4);
        assert_eq!(stats.item_total(TOPIC_PUT_SIZE, "t"), 400);
        assert_eq!(stats.item_total(BROKER_PUT_NUMS, "C"), 4);
        assert_eq!(stats.item_total(GROUP_GET_NUMS, "t@g"), 2);
        assert_eq!(stats.item_total(BROKER_GET_NUMS, "C"), 2);
        assert_eq!(stats.item_total(GROUP_GET_NUMS, "t@other"), 0);
        let view = stats.item(TOPIC_PUT_NUMS, "t").unwrap();
        assert_eq!(view.minute.sum, 4);
        assert_eq!(view.minute.avgpt, 2.0);
        assert_eq!(view.day.sum, 4);
        assert!(stats.item(TOPIC_PUT_NUMS, "nope").is_none());

        // A sample after more puts: the minute view still starts at the first sample.
        let t0 = now_ms();
        stats.sample(10, t0 + 10_000);
        stats.record_put("t", 6, 600);
        let view = stats.item(TOPIC_PUT_NUMS, "t").unwrap();
        assert_eq!(view.minute.sum, 10);
    }

    #[test]
    fn tps_windows() {
        let stats = Stats::new();
        assert_eq!(stats.tps(Rate::Put, 10), None);
        let t0 = 1_000_000;
        for s in 0..=10u64 {
            stats.record_put("t", 5, 5);
            stats.record_get("t", "g", 1, 1);
            stats.record_get("t", "g", 0, 0);
            stats.sample(s + 1, t0 + s as i64 * 1000);
        }
        assert_eq!(stats.tps(Rate::Put, 10), Some(5.0));
        assert_eq!(stats.tps(Rate::GetFound, 10), Some(1.0));
        assert_eq!(stats.tps(Rate::GetMiss, 10), Some(1.0));
        assert_eq!(stats.tps(Rate::GetTotal, 10), Some(2.0));
        assert_eq!(stats.tps(Rate::GetTransferred, 10), Some(1.0));
        assert_eq!(stats.tps(Rate::Put, 60), None);
        assert_eq!(stats.tps_text(Rate::Put), "5  ");
    }

    #[test]
    fn day_roll() {
        let stats = Stats::new();
        let today = lock(&stats.inner).day;
        stats.record_put("t", 7, 7);
        stats.record_get("t", "g", 2, 2);
        stats.sample(1, (today + 1) * DAY_MS + 5);
        stats.record_put("t", 3, 3);
        let d = stats.daily();
        assert_eq!(d.put_now, 10);
        assert_eq!(d.put_today_morning, 7);
        assert_eq!(d.put_yesterday_morning, 0);
        assert_eq!(d.get_today_morning, 2);
        stats.sample(2, (today + 2) * DAY_MS + 5);
        let d = stats.daily();
        assert_eq!(d.put_yesterday_morning, 7);
        assert_eq!(d.put_today_morning, 10);
    }
}
