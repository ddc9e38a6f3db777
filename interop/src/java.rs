//! The Java RocketMQ releases in the local cache, and how to launch their classes.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::Command;

/// JVM flags the name server, broker and tools need on JDK 17 (see java-runtime-notes).
pub(crate) const ADD_OPENS: &[&str] = &[
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
];

const FETCH_HINT: &str = "run scripts/fetch-java.sh";

/// A Java RocketMQ release fetched by `scripts/fetch-java.sh`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JavaVersion {
    /// Apache RocketMQ 4.9.8.
    V4_9_8,
    /// The newest 5.x release in the cache (named in `versions.txt`).
    V5,
}

impl JavaVersion {
    /// Every release the interop tests run against.
    pub const ALL: [JavaVersion; 2] = [JavaVersion::V4_9_8, JavaVersion::V5];

    /// The release number, e.g. `"4.9.8"` or `"5.5.0"` (read from the cache for 5.x).
    pub fn label(self) -> anyhow::Result<String> {
        match self {
            JavaVersion::V4_9_8 => Ok("4.9.8".to_owned()),
            JavaVersion::V5 => {
                let list = cache_root().join("versions.txt");
                let text = std::fs::read_to_string(&list).with_context(|| {
                    format!("Java cache index {} missing: {FETCH_HINT}", list.display())
                })?;
                text.lines()
                    .map(str::trim)
                    .find(|l| l.starts_with("5."))
                    .map(str::to_owned)
                    .with_context(|| format!("no 5.x release in {}: {FETCH_HINT}", list.display()))
            }
        }
    }

    /// The cache directory of this release (`<cache>/java/<version>`), checked to hold the
    /// jars and our compiled helper programs.
    pub fn home(self) -> anyhow::Result<PathBuf> {
        let dir = cache_root().join(self.label()?);
        for marker in ["lib/.complete", "classes/.hash"] {
            if !dir.join(marker).is_file() {
                bail!(
                    "Java RocketMQ {} is not in the cache ({} missing): {FETCH_HINT}",
                    self.label()?,
                    dir.join(marker).display()
                );
            }
        }
        Ok(dir)
    }

    /// The class path: our compiled programs, then every jar of the release.
    pub fn classpath(self) -> anyhow::Result<String> {
        let home = self.home()?;
        Ok(format!(
            "{}:{}",
            home.join("classes").display(),
            home.join("lib").join("*").display()
        ))
    }

    /// A `java` command for `main_class` with this release's class path, the JDK 17 flags,
    /// the JVM options `jvm_opts` (e.g. `["-Xmx256m"]`), and `user_home` as the Java
    /// `user.home` (where RocketMQ writes its logs and default store). Standard input is
    /// closed; the caller adds program arguments and sets stdout/stderr.
    pub fn java_command(
        self,
        main_class: &str,
        jvm_opts: &[&str],
        user_home: &Path,
    ) -> anyhow::Result<Command> {
        let mut cmd = Command::new(java_binary());
        cmd.args(ADD_OPENS)
            .args(jvm_opts)
            .arg(format!("-Duser.home={}", user_home.display()))
            .arg("-cp")
            .arg(self.classpath()?)
            .arg(main_class)
            .stdin(Stdio::null())
            // Java tools write files into their working directory (mqadmin
            // consumerStatus, logback status files): keep them in the scratch directory,
            // out of the source tree.
            .current_dir(user_home);
        Ok(cmd)
    }
}

/// The cache root: `$ROCKETMQ_RS_CACHE/java`, default `$HOME/.cache/rocketmq-rs/java`.
pub fn cache_root() -> PathBuf {
    let base = match std::env::var_os("ROCKETMQ_RS_CACHE") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let home =
                std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
            home.join(".cache").join("rocketmq-rs")
        }
    };
    // Java processes run in their scratch directories, so a relative root must be
    // resolved here, against ours.
    std::path::absolute(&base).unwrap_or(base).join("java")
}

fn java_binary() -> PathBuf {
    match std::env::var_os("JAVA_HOME") {
        Some(home) if Path::new(&home).join("bin/java").is_file() => {
            Path::new(&home).join("bin/java")
        }
        _ => PathBuf::from("java"),
    }
}

/// Runs a command to completion with a time limit; returns stdout, or an error with both
/// streams when it fails or times out.
pub(crate) async fn run_to_end(
    mut cmd: Command,
    what: &str,
    limit: Duration,
) -> anyhow::Result<String> {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {what} (is a JDK 17 `java` on PATH?)"))?;
    let out = match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(out) => out.with_context(|| format!("waiting for {what}"))?,
        Err(_) => bail!("{what} did not finish within {limit:?}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "{what} failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
            out.status,
            tail(&stdout, 4000),
            tail(&String::from_utf8_lossy(&out.stderr), 4000)
        );
    }
    Ok(stdout)
}

/// The last `max` bytes of `text` (on a character boundary).
pub(crate) fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_char_boundaries() {
        assert_eq!(tail("abc", 10), "abc");
        assert_eq!(tail("abcdef", 2), "ef");
        // 'é' is two bytes: cutting inside it moves forward to the next boundary.
        assert_eq!(tail("aéb", 2), "b");
    }

    #[test]
    fn v4_label_needs_no_cache() {
        assert_eq!(JavaVersion::V4_9_8.label().ok().as_deref(), Some("4.9.8"));
    }
}
