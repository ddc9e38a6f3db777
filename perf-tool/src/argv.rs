//! Java's benchmark tools use multi-letter short options (`-ak`, `-ri`, `-tc`, ...), which
//! clap cannot express (its shorts are one character, and it would read `-ak` as `-a -k`).
//! Before clap parses, each such token is rewritten to its long form with a per-mode table;
//! `-ri=500` becomes `--reportInterval=500`. Everything after `--` is left alone.

use std::ffi::OsString;

/// One multi-letter short option and the long option it stands for (both with dashes).
pub(crate) type Alias = (&'static str, &'static str);

/// Rewrites the multi-letter short options in `args` (the arguments after the mode name)
/// with `table`.
pub(crate) fn translate(
    args: impl IntoIterator<Item = OsString>,
    table: &[Alias],
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
        match table.iter().find(|(short, _)| *short == flag) {
            Some((_, long)) => out.push(match value {
                Some(v) => OsString::from(format!("{long}={v}")),
                None => OsString::from(*long),
            }),
            None => out.push(arg),
        }
    }
    out
}

/// Rewrites a whole command line (`perf-tool MODE ARGS...`): the table is picked by the
/// mode name with `table_for`; unknown modes pass through for clap to report.
pub(crate) fn translate_command_line(
    argv: Vec<OsString>,
    table_for: impl Fn(&str) -> &'static [Alias],
) -> Vec<OsString> {
    let mut argv = argv.into_iter();
    let mut out: Vec<OsString> = argv.by_ref().take(1).collect();
    let Some(mode) = argv.next() else {
        return out;
    };
    let table = mode.to_str().map_or(&[][..], &table_for);
    out.push(mode);
    out.extend(translate(argv, table));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[Alias] = &[("-ak", "--accessKey"), ("-ri", "--reportInterval")];

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn multi_letter_shorts_become_long_options() {
        let out = translate(
            os(&["-ak", "key", "-ri=500", "-a", "true", "-n", "h:1"]),
            TABLE,
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
        let out = translate(os(&["-akx", "--", "-ak"]), TABLE);
        assert_eq!(out, os(&["-akx", "--", "-ak"]));
    }

    #[test]
    fn the_mode_name_picks_the_table() {
        let out = translate_command_line(os(&["perf-tool", "producer", "-ri", "1"]), |mode| {
            if mode == "producer" { TABLE } else { &[] }
        });
        assert_eq!(out, os(&["perf-tool", "producer", "--reportInterval", "1"]));
        let out = translate_command_line(os(&["perf-tool", "other", "-ri", "1"]), |mode| {
            if mode == "producer" { TABLE } else { &[] }
        });
        assert_eq!(out, os(&["perf-tool", "other", "-ri", "1"]));
    }
}
