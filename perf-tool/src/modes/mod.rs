//! The benchmark modes, one file each. A mode is a clap `Args` struct (embedding
//! [`CommonArgs`](crate::cli::CommonArgs)), its multi-letter short options (beyond the
//! [`SHARED_ALIASES`] every mode has), and an `async fn run(args)`; registering one takes a
//! variant in [`Mode`], an arm in [`Mode::run`] and an arm in [`aliases`].

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

/// The multi-letter short options every mode has: the ACL keys and the report interval.
const SHARED_ALIASES: &[Alias] = &[
    ("-ak", "--accessKey"),
    ("-sk", "--secretKey"),
    ("-ri", "--reportInterval"),
];

/// The tables of multi-letter short options of the mode named `mode` (none for unknown
/// names).
pub(crate) fn aliases(mode: &str) -> &'static [&'static [Alias]] {
    match mode {
        "producer" | "batch-producer" => &[SHARED_ALIASES, send::COMPRESS_ALIASES],
        "transaction-producer" => &[SHARED_ALIASES, transaction_producer::ALIASES],
        "timer-producer" => &[SHARED_ALIASES, timer_producer::ALIASES],
        "consumer" | "timer-consumer" | "e2e" => &[SHARED_ALIASES],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every mode has the shared short options, and every long option an alias stands for
    /// is one of the mode's flags.
    #[test]
    fn aliases_name_flags_of_their_mode() {
        let cli = Mode::augment_subcommands(clap::Command::new("perf-tool"));
        let mut modes = 0;
        for mode in cli.get_subcommands() {
            modes += 1;
            let tables = aliases(mode.get_name());
            assert_eq!(tables.first(), Some(&SHARED_ALIASES), "{}", mode.get_name());
            for (short, long) in tables.iter().flat_map(|t| t.iter()) {
                let known = mode
                    .get_arguments()
                    .any(|a| a.get_long() == long.strip_prefix("--"));
                assert!(known, "{} {short}: no {long}", mode.get_name());
            }
        }
        assert_eq!(modes, 7);
        assert!(aliases("no-such-mode").is_empty());
    }
}
