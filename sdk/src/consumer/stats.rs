//! Per-topic consume statistics for the consumer running info (Java
//! `ConsumerStatsManager`): pull round trip and rate, consume time, successes and
//! failures per second over the last minute, failures over the last hour.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::protocol::body::ConsumeStatus;

const SAMPLE_EVERY: Duration = Duration::from_secs(10);
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    pulled: u64,
    pull_rt_ms: u64,
    pulls: u64,
    ok: u64,
    failed: u64,
    consume_rt_ms: u64,
    consumes: u64,
}

#[derive(Debug, Default)]
struct Topic {
    now: Counters,
    samples: VecDeque<(Instant, Counters)>,
}

impl Topic {
    fn sample(&mut self) {
        let now = Instant::now();
        if self
            .samples
            .back()
            .is_none_or(|(at, _)| now.duration_since(*at) >= SAMPLE_EVERY)
        {
            self.samples.push_back((now, self.now));
        }
        while self
            .samples
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > HOUR + SAMPLE_EVERY)
        {
            self.samples.pop_front();
        }
    }

    /// The oldest sample not older than `window` (plus one sampling period).
    fn since(&self, window: Duration) -> Option<(Instant, Counters)> {
        let now = Instant::now();
        self.samples
            .iter()
            .find(|(at, _)| now.duration_since(*at) <= window + SAMPLE_EVERY)
            .copied()
    }
}

/// The statistics of one consumer, by topic (namespaced).
#[derive(Debug, Default)]
pub(crate) struct Stats {
    topics: Mutex<HashMap<String, Topic>>,
}

impl Stats {
    fn with(&self, topic: &str, f: impl FnOnce(&mut Counters)) {
        let mut topics = self.topics.lock().unwrap_or_else(PoisonError::into_inner);
        // Looked up before inserting: the topic is copied once, not at every call.
        if !topics.contains_key(topic) {
            topics.insert(topic.to_owned(), Topic::default());
        }
        let Some(entry) = topics.get_mut(topic) else {
            return;
        };
        entry.sample();
        f(&mut entry.now);
    }

    /// One pull that took `rt` and found `messages`.
    pub(crate) fn pulled(&self, topic: &str, rt: Duration, messages: usize) {
        self.with(topic, |c| {
            c.pulls += 1;
            c.pull_rt_ms += millis(rt);
            c.pulled += messages as u64;
        });
    }

    /// One consumed batch.
    pub(crate) fn consumed(&self, topic: &str, rt: Duration, ok: usize, failed: usize) {
        self.consumed_many(topic, 1, millis(rt), ok, failed);
    }

    /// `batches` consumed batches that took `rt_ms` milliseconds in all (each counted
    /// in whole milliseconds).
    pub(crate) fn consumed_many(
        &self,
        topic: &str,
        batches: usize,
        rt_ms: u64,
        ok: usize,
        failed: usize,
    ) {
        self.with(topic, |c| {
            c.consumes += batches as u64;
            c.consume_rt_ms += rt_ms;
            c.ok += ok as u64;
            c.failed += failed as u64;
        });
    }

    /// Java's `ConsumeStatus` of `topic`.
    pub(crate) fn status(&self, topic: &str) -> ConsumeStatus {
        let mut topics = self.topics.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(t) = topics.get_mut(topic) else {
            return ConsumeStatus::default();
        };
        t.sample();
        let now = t.now;
        let mut status = ConsumeStatus::default();
        if let Some((at, then)) = t.since(MINUTE) {
            let secs = at.elapsed().as_secs_f64().max(1.0);
            let per_sec = |a: u64, b: u64| (a.saturating_sub(b)) as f64 / secs;
            let avg = |sum: u64, n: u64, sum0: u64, n0: u64| {
                let n = n.saturating_sub(n0);
                if n == 0 {
                    0.0
                } else {
                    sum.saturating_sub(sum0) as f64 / n as f64
                }
            };
            status.pull_tps = per_sec(now.pulled, then.pulled);
            status.pull_rt = avg(now.pull_rt_ms, now.pulls, then.pull_rt_ms, then.pulls);
            status.consume_ok_tps = per_sec(now.ok, then.ok);
            status.consume_failed_tps = per_sec(now.failed, then.failed);
            status.consume_rt = avg(
                now.consume_rt_ms,
                now.consumes,
                then.consume_rt_ms,
                then.consumes,
            );
        }
        if let Some((_, hour_ago)) = t.since(HOUR) {
            status.consume_failed_msgs =
                i64::try_from(now.failed.saturating_sub(hour_ago.failed)).unwrap_or(i64::MAX);
        }
        status
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_up() {
        let stats = Stats::default();
        assert_eq!(stats.status("t"), ConsumeStatus::default());
        stats.pulled("t", Duration::from_millis(4), 10);
        stats.consumed("t", Duration::from_millis(2), 3, 1);
        let s = stats.status("t");
        assert!(s.pull_tps > 0.0 && s.consume_ok_tps > 0.0 && s.consume_failed_tps > 0.0);
        assert_eq!(s.pull_rt, 4.0);
        assert_eq!(s.consume_rt, 2.0);
        assert_eq!(s.consume_failed_msgs, 1);
    }
}
