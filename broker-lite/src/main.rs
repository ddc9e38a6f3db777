//! The `broker-lite` binary: a thin command line over the library.
//!
//! `broker-lite` (or `broker-lite all`) runs the name server and the broker in one
//! process, the broker registered with that name server; `broker-lite namesrv` and
//! `broker-lite broker` run one role each. Ctrl-C or SIGTERM stops them cleanly.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use broker_lite::Listeners;
use broker_lite::config::BrokerLiteConfig;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

/// A small RocketMQ name server and broker.
#[derive(Parser, Debug)]
#[command(name = "broker-lite", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Threads that run the name server's and broker's tasks: 1 runs them all on the
    /// main thread, N > 1 on a pool of N, 0 on one thread per core. Blocking file work
    /// (far reads, fsync under SYNC_FLUSH, index and queue flushes) has threads of its
    /// own either way.
    #[arg(long, global = true, default_value_t = DEFAULT_THREADS)]
    threads: usize,
}

/// Default of `--threads`: one thread. A producer's sends arrive on one connection,
/// served by one task, so a second worker adds wake-ups, not throughput: with the
/// Java benchmark Producer (16 threads, one connection) on 2 cores, a 2-worker pool
/// cost ~12% more CPU per message and twice the context switches, at the same TPS.
const DEFAULT_THREADS: usize = 1;

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the name server and the broker (the default).
    All {
        /// TOML config file (see `print-default-config`).
        #[arg(long)]
        config: Option<PathBuf>,
        /// The name server's address (overrides `namesrv.listen`).
        #[arg(long)]
        namesrv_listen: Option<SocketAddr>,
        /// The broker's address (overrides `broker.listen`).
        #[arg(long)]
        broker_listen: Option<SocketAddr>,
        /// The store directory (overrides `broker.store.dir`).
        #[arg(long)]
        store_dir: Option<PathBuf>,
    },
    /// Run the name server only.
    Namesrv {
        /// Address to listen on (overrides `namesrv.listen`).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// TOML config file (see `print-default-config`).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Run the broker only; it registers with `broker.namesrv_addrs`.
    Broker {
        /// Address to listen on (overrides `broker.listen`).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// TOML config file (see `print-default-config`).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Name servers, `host:port`, separated by `;` (overrides `broker.namesrv_addrs`).
        #[arg(long)]
        namesrv_addr: Option<String>,
        /// The store directory (overrides `broker.store.dir`).
        #[arg(long)]
        store_dir: Option<PathBuf>,
    },
    /// Print the default configuration as TOML.
    PrintDefaultConfig,
}

fn load(path: Option<&Path>) -> anyhow::Result<BrokerLiteConfig> {
    match path {
        Some(path) => BrokerLiteConfig::load(path)
            .with_context(|| format!("cannot load config {}", path.display())),
        None => Ok(BrokerLiteConfig::default()),
    }
}

async fn bind(addr: SocketAddr, role: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} for the {role}"))
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    r = tokio::signal::ctrl_c() => if let Err(e) = r {
                        tracing::error!("cannot wait for Ctrl-C: {e}");
                        std::future::pending::<()>().await;
                    },
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::error!("cannot wait for SIGTERM: {e}");
                if let Err(e) = tokio::signal::ctrl_c().await {
                    tracing::error!("cannot wait for Ctrl-C: {e}");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    if let Err(e) = tokio::signal::ctrl_c().await {
        tracing::error!("cannot wait for Ctrl-C: {e}");
        std::future::pending::<()>().await;
    }
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let mut runtime = match cli.threads {
        1 => tokio::runtime::Builder::new_current_thread(),
        0 => tokio::runtime::Builder::new_multi_thread(),
        n => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
    };
    let runtime = runtime
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(cli.command))
}

async fn serve(command: Option<Command>) -> anyhow::Result<()> {
    let command = command.unwrap_or(Command::All {
        config: None,
        namesrv_listen: None,
        broker_listen: None,
        store_dir: None,
    });
    match command {
        Command::All {
            config,
            namesrv_listen,
            broker_listen,
            store_dir,
        } => {
            let mut config = load(config.as_deref())?;
            if let Some(a) = namesrv_listen {
                config.namesrv.listen = a;
            }
            if let Some(a) = broker_listen {
                config.broker.listen = a;
            }
            if let Some(d) = store_dir {
                config.broker.store.dir = d;
            }
            config.validate()?;
            let listeners = Listeners {
                namesrv: Some(bind(config.namesrv.listen, "name server").await?),
                broker: Some(bind(config.broker.listen, "broker").await?),
            };
            broker_lite::run(listeners, config, stop_signal()).await?;
        }
        Command::Namesrv { listen, config } => {
            let mut config = load(config.as_deref())?;
            if let Some(a) = listen {
                config.namesrv.listen = a;
            }
            config.validate()?;
            let listeners = Listeners {
                namesrv: Some(bind(config.namesrv.listen, "name server").await?),
                broker: None,
            };
            broker_lite::run(listeners, config, stop_signal()).await?;
        }
        Command::Broker {
            listen,
            config,
            namesrv_addr,
            store_dir,
        } => {
            let mut config = load(config.as_deref())?;
            if let Some(a) = listen {
                config.broker.listen = a;
            }
            if let Some(list) = namesrv_addr {
                config.broker.namesrv_addrs = list
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            if let Some(d) = store_dir {
                config.broker.store.dir = d;
            }
            config.validate()?;
            let listeners = Listeners {
                namesrv: None,
                broker: Some(bind(config.broker.listen, "broker").await?),
            };
            broker_lite::run(listeners, config, stop_signal()).await?;
        }
        Command::PrintDefaultConfig => {
            print!("{}", BrokerLiteConfig::default().to_toml()?);
        }
    }
    Ok(())
}
