//! perf-tool: RocketMQ stress tester. Each mode mirrors one of Java's benchmark tools
//! (same flags, defaults and report lines), adds HDR-histogram percentiles, a live display,
//! a JSON summary, failures by response code, and runs against an embedded broker-lite when
//! no name server is given.

mod argv;
mod cli;
mod modes;
mod report;
mod run;
mod stats;
mod summary;
mod target;

use clap::Parser;

/// RocketMQ stress tester: Java benchmark-tool flags, HDR percentiles, JSON summaries.
/// Without -n, runs against an embedded broker-lite.
#[derive(Parser, Debug)]
#[command(name = "perf-tool", version)]
struct Cli {
    /// Threads of the client's runtime. 1 (the default) runs every worker as a task on one
    /// thread, which costs the least CPU per message (a third less than one thread per
    /// core, measured with producer -w 16); 0 means one per core. An embedded broker has
    /// its own threads.
    #[arg(
        long = "client-threads",
        value_name = "N",
        default_value_t = 1,
        global = true
    )]
    client_threads: usize,
    #[command(subcommand)]
    mode: modes::Mode,
}

fn main() -> std::process::ExitCode {
    let argv = argv::translate_command_line(std::env::args_os().collect(), modes::aliases);
    let cli = Cli::parse_from(argv);
    let mut builder = if cli.client_threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        if cli.client_threads > 1 {
            b.worker_threads(cli.client_threads);
        }
        b
    };
    let runtime = match builder
        .thread_name(target::CLIENT_THREAD)
        // Threads that exit take their CPU time out of the per-thread accounting that
        // separates the client from an embedded broker; keep them for the run.
        .thread_keep_alive(std::time::Duration::from_secs(24 * 3600))
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("perf-tool: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.mode.run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("perf-tool: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
