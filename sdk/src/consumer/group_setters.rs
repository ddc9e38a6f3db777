//! The group, subscription and flow-control setters the push and lite pull consumer
//! builders share (same fields, same defaults).

/// The shared setters of a consumer builder with fields `group`, `subscriptions`,
/// `strategy` and `settings` (whose fields `model`, `consume_from`,
/// `pull_threshold_for_queue`, `pull_threshold_size_for_queue`, `max_span` and
/// `rebalance_interval` both consumers' settings have).
macro_rules! group_setters {
    () => {
        /// The consumer group. Required: Java's default `DEFAULT_CONSUMER` is refused.
        pub fn group(mut self, group: impl Into<String>) -> Self {
            self.group = group.into();
            self
        }

        /// Subscribes to `topic` with a tag expression (`"*"`, `"a || b"`) or an
        /// [`Expression`]; a second subscription to the same topic replaces the first.
        pub fn subscribe(
            mut self,
            topic: impl Into<String>,
            expression: impl Into<Expression>,
        ) -> Self {
            let topic = topic.into();
            self.subscriptions.retain(|(t, _)| *t != topic);
            self.subscriptions.push((topic, expression.into()));
            self
        }

        /// Clustering (share the queues) or broadcasting (every member gets everything).
        /// Default: clustering.
        pub fn message_model(mut self, model: $crate::consumer::MessageModel) -> Self {
            self.settings.model = model;
            self
        }

        /// Where the group starts on a queue without a stored offset. Default: the last
        /// offset.
        pub fn consume_from(mut self, from: $crate::consumer::ConsumeFrom) -> Self {
            self.settings.consume_from = from;
            self
        }

        /// How queues are shared in clustering mode. Default:
        /// [`Averagely`](crate::consumer::Averagely) (Java
        /// `AllocateMessageQueueAveragely`).
        pub fn allocate_strategy(
            mut self,
            strategy: impl $crate::consumer::AllocateStrategy,
        ) -> Self {
            self.strategy = std::sync::Arc::new(strategy);
            self
        }

        /// Messages cached per queue before pulling pauses. Default: 1000.
        pub fn pull_threshold_for_queue(mut self, messages: usize) -> Self {
            self.settings.pull_threshold_for_queue = messages;
            self
        }

        /// MiB cached per queue before pulling pauses. Default: 100.
        pub fn pull_threshold_size_for_queue(mut self, mib: usize) -> Self {
            self.settings.pull_threshold_size_for_queue = mib;
            self
        }

        /// Largest distance between the smallest and largest cached offset of a queue
        /// before pulling pauses (Java `consumeConcurrentlyMaxSpan`; the push consumer
        /// applies it to concurrent consumption). Default: 2000.
        pub fn max_span(mut self, offsets: i64) -> Self {
            self.settings.max_span = offsets;
            self
        }

        /// Time between rebalances (Java `rocketmq.client.rebalance.waitInterval`).
        /// Default: 20 s.
        pub fn rebalance_interval(mut self, every: std::time::Duration) -> Self {
            self.settings.rebalance_interval = every;
            self
        }
    };
}

pub(crate) use group_setters;
