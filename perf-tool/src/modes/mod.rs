//! The benchmark modes, one file each. A mode is a clap `Args` struct (embedding
//! [`CommonArgs`](crate::cli::CommonArgs)), a table of its multi-letter short options, and an
//! `async fn run(args)`; registering one takes a variant in [`Mode`], an arm in
//! [`Mode::run`] and an arm in [`aliases`].

use clap::Subcommand;

use crate::argv::Alias;

pub(crate) mod batch_producer;
pub(crate) mod consumer;
pub(crate) mod consuming;
pub(crate) mod e2e;
pub(crate) mod producer;
pub(crate) mod send;
pub(crate) mod timer_consumer;
pub(crate) mod timer_producer;
pub(crate) mod transaction_producer;

/// The modes (sub-commands).
#[derive(Subcommand, Debug)]
pub(crate) enum Mode {
    /// Send messages like Java's benchmark Producer (sync workers, or async with -y true).
    Producer(Box<producer::ProducerArgs>),
    /// Send batches like Java's benchmark BatchProducer.
    BatchProducer(Box<batch_producer::BatchProducerArgs>),
    /// Send transactional messages like Java's benchmark TransactionProducer.
    TransactionProducer(Box<transaction_producer::TransactionProducerArgs>),
    /// Send timer messages like Java 5.x's benchmark TimerProducer.
    TimerProducer(Box<timer_producer::TimerProducerArgs>),
    /// Consume like Java's benchmark Consumer: B2C/S2C latency, fail rate, TAG/SQL92 filter.
    Consumer(Box<consumer::ConsumerArgs>),
    /// Consume timer messages like Java's TimerConsumer: how late each one arrives.
    TimerConsumer(Box<timer_consumer::TimerConsumerArgs>),
    /// Produce and consume at once: end-to-end latency and a missing/duplicate check.
    E2e(Box<e2e::E2eArgs>),
}

impl Mode {
    /// Runs the mode to its end.
    pub(crate) async fn run(self) -> anyhow::Result<()> {
        match self {
            Mode::Producer(args) => producer::run(*args).await,
            Mode::BatchProducer(args) => batch_producer::run(*args).await,
            Mode::TransactionProducer(args) => transaction_producer::run(*args).await,
            Mode::TimerProducer(args) => timer_producer::run(*args).await,
            Mode::Consumer(args) => consumer::run(*args).await,
            Mode::TimerConsumer(args) => timer_consumer::run(*args).await,
            Mode::E2e(args) => e2e::run(*args).await,
        }
    }
}

/// The multi-letter short options of the mode named `mode` (empty for unknown names).
pub(crate) fn aliases(mode: &str) -> &'static [Alias] {
    match mode {
        "producer" => producer::ALIASES,
        "batch-producer" => batch_producer::ALIASES,
        "transaction-producer" => transaction_producer::ALIASES,
        "timer-producer" => timer_producer::ALIASES,
        "consumer" => consumer::ALIASES,
        "timer-consumer" => timer_consumer::ALIASES,
        "e2e" => e2e::ALIASES,
        _ => &[],
    }
}
