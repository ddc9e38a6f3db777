//! Output while a run goes: a live indicatif bar when stdout is a terminal, otherwise the
//! Java tools' periodic lines; plus the helpers those lines are formatted with.

use std::io::IsTerminal;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::stats::{Snapshot, Window};

/// How a mode words its output. The core calls it with windows over the last (up to) ten
/// one-second snapshots, as the Java tools compute their lines.
pub(crate) trait Report: Send + Sync + 'static {
    /// The periodic line, in the Java tool's format (printed every `-ri` ms once ten
    /// snapshots exist, when stdout is not a terminal).
    fn line(&self, window: &Window<'_>) -> String;

    /// The line printed when the run ends (Java's `[Complete] ...`), from the window over
    /// the ring (`None` with fewer than two snapshots) and the final snapshot. `None`, the
    /// default, prints nothing (most Java tools have no such line; the summary follows).
    fn complete(&self, window: Option<&Window<'_>>, last: &Snapshot) -> Option<String> {
        let _ = (window, last);
        None
    }
}

/// `yyyy-MM-dd HH:mm:ss,SSS` of `at` in UTC: Java's `UtilAll.timeMillisToHumanString2`
/// layout (Java prints local time; perf-tool has no time zone database and prints UTC).
pub(crate) fn human_time(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02},{:03}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Milliseconds as Java's `%d` of a millisecond long (whole ms, truncated).
pub(crate) fn whole_ms(us: u64) -> u64 {
    us / 1000
}

/// Where progress goes.
#[derive(Debug)]
pub(crate) enum Display {
    /// A live bar on the terminal.
    Bar(ProgressBar),
    /// Periodic plain lines on stdout.
    Lines,
}

impl Display {
    /// A bar when stdout is a terminal, plain lines otherwise. `quantity` (0 = none) or
    /// `duration` give the bar its length; with neither it is a spinner.
    pub(crate) fn new(quantity: u64, duration: Option<Duration>) -> Display {
        if !std::io::stdout().is_terminal() {
            return Display::Lines;
        }
        let (bar, template) = if quantity > 0 {
            (
                ProgressBar::new(quantity),
                "{elapsed_precise} [{bar:30}] {pos}/{len} {msg}",
            )
        } else if let Some(d) = duration {
            (
                ProgressBar::new(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                "{elapsed_precise} [{bar:30}] {percent}% {msg}",
            )
        } else {
            (
                ProgressBar::new_spinner(),
                "{elapsed_precise} {spinner} {msg}",
            )
        };
        bar.set_draw_target(ProgressDrawTarget::stdout());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        Display::Bar(bar)
    }

    /// Whether periodic plain lines are printed.
    pub(crate) fn is_lines(&self) -> bool {
        matches!(self, Display::Lines)
    }

    /// Updates the bar: `position` (count or elapsed ms) and the live figures.
    pub(crate) fn update(&self, position: u64, message: String) {
        if let Display::Bar(bar) = self {
            bar.set_position(position);
            bar.set_message(message);
        }
    }

    /// Removes the bar before the final lines.
    pub(crate) fn finish(&self) {
        if let Display::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_time_has_java_layout() {
        let at = UNIX_EPOCH + Duration::from_millis(1_795_000_000_123);
        assert_eq!(human_time(at), "2026-11-18 11:06:40,123");
        assert_eq!(human_time(UNIX_EPOCH), "1970-01-01 00:00:00,000");
        // A leap day.
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(human_time(leap), "2000-02-29 00:00:00,000");
    }
}
