//! The `broker-lite` binary: a thin command line over the library.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use broker_lite::config::BrokerLiteConfig;
use clap::{Parser, Subcommand};

/// A small RocketMQ name server (the broker role is not built yet).
#[derive(Parser, Debug)]
#[command(name = "broker-lite", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the name server until Ctrl-C.
    Namesrv {
        /// Address to listen on (overrides the config file's `namesrv.listen`).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// TOML config file (see `print-default-config`).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Run the broker (not implemented yet).
    Broker,
    /// Print the default configuration as TOML.
    PrintDefaultConfig,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match Cli::parse().command {
        Command::Namesrv { listen, config } => {
            let mut config = match config {
                Some(path) => BrokerLiteConfig::load(&path)
                    .with_context(|| format!("cannot load config {}", path.display()))?,
                None => BrokerLiteConfig::default(),
            };
            if let Some(listen) = listen {
                config.namesrv.listen = listen;
            }
            let listener = tokio::net::TcpListener::bind(config.namesrv.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.namesrv.listen))?;
            let shutdown = async {
                if let Err(e) = tokio::signal::ctrl_c().await {
                    tracing::error!("cannot wait for Ctrl-C: {e}");
                }
            };
            broker_lite::namesrv::run(listener, config.namesrv, shutdown).await?;
            Ok(())
        }
        Command::Broker => {
            eprintln!("broker-lite: the broker role is not implemented yet; only `namesrv` runs");
            std::process::exit(2);
        }
        Command::PrintDefaultConfig => {
            print!("{}", BrokerLiteConfig::default().to_toml()?);
            Ok(())
        }
    }
}
