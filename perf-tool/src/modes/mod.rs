//! The benchmark modes, one file each. A mode is a clap `Args` struct (embedding
//! [`CommonArgs`](crate::cli::CommonArgs)), a table of its multi-letter short options, and an
//! `async fn run(args)`; registering one takes a variant in [`Mode`], an arm in
//! [`Mode::run`] and an arm in [`aliases`].

use clap::Subcommand;

use crate::argv::Alias;

pub(crate) mod producer;
pub(crate) mod send;

/// The modes (sub-commands).
#[derive(Subcommand, Debug)]
pub(crate) enum Mode {
    /// Send messages like Java's benchmark Producer (sync workers, or async with -y true).
    Producer(Box<producer::ProducerArgs>),
}

impl Mode {
    /// Runs the mode to its end.
    pub(crate) async fn run(self) -> anyhow::Result<()> {
        match self {
            Mode::Producer(args) => producer::run(*args).await,
        }
    }
}

/// The multi-letter short options of the mode named `mode` (empty for unknown names).
pub(crate) fn aliases(mode: &str) -> &'static [Alias] {
    match mode {
        "producer" => producer::ALIASES,
        _ => &[],
    }
}
