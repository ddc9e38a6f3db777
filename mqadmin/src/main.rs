//! mqadmin: the admin command line tool.

fn main() {
    eprintln!("mqadmin: no commands are implemented yet; use the Java mqadmin for now.");
    std::process::exit(2);
}
