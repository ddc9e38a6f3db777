//! perf-tool: the stress tester.

fn main() {
    eprintln!("perf-tool: no benchmark modes are implemented yet.");
    std::process::exit(2);
}
