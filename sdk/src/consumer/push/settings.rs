//! Push consumer settings and their Java defaults (`DefaultMQPushConsumer`).

use std::path::PathBuf;
use std::time::Duration;

pub(crate) use crate::consumer::model::{ConsumeFrom, MessageModel};

/// What a push consumer was built with; documented on the builder's setters.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) model: MessageModel,
    pub(crate) consume_from: ConsumeFrom,
    pub(crate) consume_threads: usize,
    pub(crate) pull_threshold_for_queue: usize,
    pub(crate) pull_threshold_size_for_queue: usize,
    pub(crate) pull_threshold_for_topic: Option<usize>,
    pub(crate) pull_threshold_size_for_topic: Option<usize>,
    pub(crate) max_span: i64,
    pub(crate) pull_interval: Duration,
    pub(crate) pull_batch_size: i32,
    pub(crate) consume_batch_size: usize,
    pub(crate) post_subscription_when_pull: bool,
    pub(crate) max_reconsume_times: Option<i32>,
    pub(crate) suspend_time: Duration,
    pub(crate) consume_timeout: Duration,
    pub(crate) await_termination: Duration,
    pub(crate) rebalance_interval: Duration,
    pub(crate) persist_interval: Duration,
    pub(crate) lock_interval: Duration,
    pub(crate) broker_suspend: Duration,
    pub(crate) pull_timeout: Duration,
    pub(crate) delay_on_error: Duration,
    pub(crate) offset_store_dir: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            model: MessageModel::Clustering,
            consume_from: ConsumeFrom::LastOffset,
            consume_threads: 20,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue: 100,
            pull_threshold_for_topic: None,
            pull_threshold_size_for_topic: None,
            max_span: 2000,
            pull_interval: Duration::ZERO,
            pull_batch_size: 32,
            consume_batch_size: 1,
            post_subscription_when_pull: false,
            max_reconsume_times: None,
            suspend_time: Duration::from_secs(1),
            consume_timeout: Duration::from_secs(15 * 60),
            await_termination: Duration::from_secs(30),
            rebalance_interval: Duration::from_secs(20),
            persist_interval: Duration::from_secs(5),
            lock_interval: Duration::from_secs(20),
            broker_suspend: Duration::from_secs(15),
            pull_timeout: Duration::from_secs(30),
            delay_on_error: Duration::from_secs(3),
            offset_store_dir: None,
        }
    }
}

impl Settings {
    /// Java's `getMaxReconsumeTimes`: unset is 16 for concurrent consumers and
    /// `Integer.MAX_VALUE` for orderly ones.
    pub(crate) fn max_reconsume(&self, orderly: bool) -> i32 {
        match self.max_reconsume_times {
            Some(n) if n >= 0 => n,
            _ if orderly => i32::MAX,
            _ => 16,
        }
    }
}
