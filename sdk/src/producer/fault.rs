//! Latency fault tolerance: brokers that answered slowly or failed are avoided for a
//! while (Java `MQFaultStrategy` + `LatencyFaultToleranceImpl`). Off by default, as in
//! Java.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long a broker is avoided after an attempt, by the attempt's latency: the first
/// entry whose latency bound the attempt reached, from the largest down, gives the pause.
///
/// [`LatencyTable::java_5`] (the default) and [`LatencyTable::java_4`] are Java's tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatencyTable {
    /// `(latency at least, avoid for)` pairs, latencies ascending.
    steps: Vec<(Duration, Duration)>,
    /// The latency a failed attempt counts as (Java: 10 s in 5.x, 30 s in 4.9.x).
    failure_latency: Duration,
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

impl LatencyTable {
    /// Java 5.x: latencies 50, 100, 550, 1800, 3000, 5000, 15000 ms avoid the broker for
    /// 0, 0, 2, 5, 6, 10, 30 s; a failure counts as 10 s.
    pub fn java_5() -> Self {
        Self::new(
            [
                (ms(50), ms(0)),
                (ms(100), ms(0)),
                (ms(550), ms(2_000)),
                (ms(1_800), ms(5_000)),
                (ms(3_000), ms(6_000)),
                (ms(5_000), ms(10_000)),
                (ms(15_000), ms(30_000)),
            ],
            ms(10_000),
        )
    }

    /// Java 4.9.x: latencies 50, 100, 550, 1000, 2000, 3000, 15000 ms avoid the broker for
    /// 0, 0, 30, 60, 120, 180, 600 s; a failure counts as 30 s.
    pub fn java_4() -> Self {
        Self::new(
            [
                (ms(50), ms(0)),
                (ms(100), ms(0)),
                (ms(550), ms(30_000)),
                (ms(1_000), ms(60_000)),
                (ms(2_000), ms(120_000)),
                (ms(3_000), ms(180_000)),
                (ms(15_000), ms(600_000)),
            ],
            ms(30_000),
        )
    }

    /// A custom table: `(latency at least, avoid for)` steps (sorted here) and the latency
    /// a failed attempt counts as.
    pub fn new(
        steps: impl IntoIterator<Item = (Duration, Duration)>,
        failure_latency: Duration,
    ) -> Self {
        let mut steps: Vec<_> = steps.into_iter().collect();
        steps.sort();
        Self {
            steps,
            failure_latency,
        }
    }

    /// How long to avoid a broker after an attempt that took `latency`.
    pub fn pause_for(&self, latency: Duration) -> Duration {
        self.steps
            .iter()
            .rev()
            .find(|(bound, _)| latency >= *bound)
            .map_or(Duration::ZERO, |(_, pause)| *pause)
    }
}

impl Default for LatencyTable {
    fn default() -> Self {
        Self::java_5()
    }
}

#[derive(Clone, Copy, Debug)]
struct FaultItem {
    available_at: Instant,
    reachable: bool,
}

/// The brokers being avoided, by broker name.
#[derive(Debug)]
pub(crate) struct FaultTolerance {
    table: Option<LatencyTable>,
    items: Mutex<HashMap<String, FaultItem>>,
}

impl FaultTolerance {
    /// `None` turns the strategy off (every broker always available).
    pub(crate) fn new(table: Option<LatencyTable>) -> Self {
        Self {
            table,
            items: Mutex::default(),
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.table.is_some()
    }

    fn items(&self) -> MutexGuard<'_, HashMap<String, FaultItem>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `broker` is not being avoided.
    pub(crate) fn is_available(&self, broker: &str) -> bool {
        self.items()
            .get(broker)
            .is_none_or(|item| Instant::now() >= item.available_at)
    }

    /// Whether `broker` answered its last request (even if slowly).
    pub(crate) fn is_reachable(&self, broker: &str) -> bool {
        self.items().get(broker).is_none_or(|item| item.reachable)
    }

    /// Records an attempt on `broker` that took `latency`; `failed` attempts count as the
    /// table's failure latency; `reachable` is false when the broker did not answer.
    pub(crate) fn record(&self, broker: &str, latency: Duration, failed: bool, reachable: bool) {
        let Some(table) = &self.table else { return };
        let pause = table.pause_for(if failed {
            table.failure_latency
        } else {
            latency
        });
        self.items().insert(
            broker.to_owned(),
            FaultItem {
                available_at: Instant::now() + pause,
                reachable,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_java() {
        let t5 = LatencyTable::java_5();
        assert_eq!(t5.pause_for(ms(10)), Duration::ZERO);
        assert_eq!(t5.pause_for(ms(550)), ms(2_000));
        assert_eq!(t5.pause_for(ms(1_799)), ms(2_000));
        assert_eq!(t5.pause_for(ms(20_000)), ms(30_000));
        assert_eq!(t5.pause_for(t5.failure_latency), ms(10_000));
        let t4 = LatencyTable::java_4();
        assert_eq!(t4.pause_for(ms(1_000)), ms(60_000));
        assert_eq!(t4.pause_for(t4.failure_latency), ms(600_000));
        assert_eq!(LatencyTable::default(), t5);
    }

    #[test]
    fn failing_broker_is_avoided() {
        let off = FaultTolerance::new(None);
        off.record("a", ms(0), true, false);
        assert!(off.is_available("a") && off.is_reachable("a") && !off.enabled());

        let on = FaultTolerance::new(Some(LatencyTable::java_5()));
        assert!(on.is_available("a"));
        on.record("a", ms(5), false, true);
        assert!(on.is_available("a"));
        on.record("a", ms(5), true, false);
        assert!(!on.is_available("a"));
        assert!(!on.is_reachable("a"));
        assert!(on.is_available("b"));
        on.record("a", ms(1), false, true);
        assert!(on.is_available("a") && on.is_reachable("a"));
    }
}
