//! Java's benchmark tools use multi-letter short options (`-ak`, `-ri`, `-tc`, ...), which
//! clap cannot express (its shorts are one character, and it would read `-ak` as `-a -k`).
//! Before clap parses, each such token is rewritten to its long form with the mode's tables;
//! `-ri=500` becomes `--reportInterval=500`. Everything after `--` is left alone.

use std::ffi::OsString;

/// One multi-letter short option and the long option it stands for (both with dashes).
pub(crate) type Alias = (&'static str, &'static str);

/// Rewrites the multi-letter short options in `args` (the arguments after the mode name)
/// with `tables`.
pub(crate) fn translate(
    args: impl IntoIterator<Item = OsString>,
    tables: &[&[Alias]],
) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut passthrough = false;
    for arg in args {
        if passthrough {
            out.push(arg);
            continue;
        }
        let Some(text) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            passthrough = true;
            out.push(arg);
            continue;
        }
        let (flag, value) = match text.split_once('=') {
            Some((flag, value)) => (flag, Some(value)),
            None => (text, None),
        };
        match tables
            .iter()
            .flat_map(|t| t.iter())
            .find(|(short, _)| *short == flag)
        {
            Some((_, long)) => out.push(match value {
                Some(v) => OsString::from(format!("{long}={v}")),
                None => OsString::from(*long),
            }),
            None => out.push(arg),
        }
    }
    out
}

/// Rewrites a whole command line (`perf-tool MODE ARGS...`): the tables are picked by the
/// mode name with `tables_for`; unknown modes pass through for clap to report.
pub(crate) fn translate_command_line(
    argv: Vec<OsString>,
    tables_for: impl Fn(&str) -> &'static [&'static [Alias]],
) -> Vec<OsString> {
    let mut argv = argv.into_iter();
    let mut out: Vec<OsString> = argv.by_ref().take(1).collect();
    let Some(mode) = argv.next() else {
        return out;
    };
    let tables = mode.to_str().map_or(&[][..], &tables_for);
    out.push(mode);
    out.extend(translate(argv, tables));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[Alias] = &[("-ak", "--accessKey")];
    const TABLES: &[&[Alias]] = &[TABLE, &[("-ri", "--reportInterval")]];

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn multi_letter_shorts_become_long_options() {
        let out = translate(
            os(&["-ak", "key", "-ri=500", "-a", "true", "-n", "h:1"]),
            TABLES,
        );
        assert_eq!(
            out,
            os(&[
                "--accessKey",
                "key",
                "--reportInterval=500",
                "-a",
                "true",
                "-n",
                "h:1"
            ])
        );
    }

    #[test]
    fn values_after_double_dash_and_unknown_tokens_are_untouched() {
        let out = translate(os(&["-akx", "--", "-ak"]), TABLES);
        assert_eq!(out, os(&["-akx", "--", "-ak"]));
    }

    #[test]
    fn the_mode_name_picks_the_table() {
        let out = translate_command_line(os(&["perf-tool", "producer", "-ri", "1"]), |mode| {
            if mode == "producer" { TABLES } else { &[] }
        });
        assert_eq!(out, os(&["perf-tool", "producer", "--reportInterval", "1"]));
        let out = translate_command_line(os(&["perf-tool", "other", "-ri", "1"]), |mode| {
            if mode == "producer" { TABLES } else { &[] }
        });
        assert_eq!(out, os(&["perf-tool", "other", "-ri", "1"]));
    }
}
