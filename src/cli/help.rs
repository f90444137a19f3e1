//! Help that fits 100 columns. Clap (without its `wrap_help` feature, which needs a crate this
//! build does not have) prints every help text on one line; [`fit`] rewraps the whole command
//! tree once: each text in lines of at most [`SHORT_WIDTH`] (`-h`, beside the option) or
//! [`LONG_WIDTH`] (`--help`, below it) columns, with the defaults and the accepted values that
//! clap would append on the same line folded into the text, and the accepted values with their
//! descriptions listed one per line in `--help`.

use clap::builder::PossibleValue;
use clap::{Arg, Command};

/// Columns of an option's text in `-h`, where it starts at most 44 columns in (clap moves it
/// under the option, 10 columns in, when it starts further right).
pub const SHORT_WIDTH: usize = 56;
/// Columns of a text in `--help`, where options' texts start 10 columns in.
pub const LONG_WIDTH: usize = 88;

/// `text` in lines of at most `width` columns, broken at spaces (a longer word stays whole);
/// its own line breaks are kept.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        // keep a paragraph's leading indentation (lists, aligned tables)
        let indent: String = para.chars().take_while(|c| *c == ' ').collect();
        out.push(if out.is_empty() || indent.is_empty() { line } else { format!("{indent}{line}") });
    }
    out.join("\n")
}

/// Lines `text` only when one of them is longer than `width`: aligned texts that already fit
/// (the exit-code tables) stay as written.
fn wrap_if_long(text: &str, width: usize) -> String {
    if text.lines().all(|l| l.chars().count() <= width) { text.to_string() } else { wrap(text, width) }
}

/// The accepted values as clap's `-h` lists them.
fn values_inline(values: &[PossibleValue]) -> String {
    let names: Vec<&str> = values.iter().filter(|v| !v.is_hide_set()).map(|v| v.get_name()).collect();
    format!("[possible values: {}]", names.join(", "))
}

/// The accepted values one per line, each with its description, as clap's `--help` lists them.
fn values_listed(values: &[PossibleValue]) -> String {
    let shown: Vec<&PossibleValue> = values.iter().filter(|v| !v.is_hide_set()).collect();
    let longest = shown.iter().map(|v| v.get_name().chars().count()).max().unwrap_or(0);
    let mut out = vec!["Possible values:".to_string()];
    for v in shown {
        let help = v.get_help().map(|h| h.to_string()).unwrap_or_default();
        let head = format!("- {:<w$}  ", format!("{}:", v.get_name()), w = longest + 1);
        let body = wrap(&help, LONG_WIDTH.saturating_sub(head.chars().count()).max(20));
        let pad = " ".repeat(head.chars().count());
        out.push(format!("{head}{}", body.replace('\n', &format!("\n{pad}"))).trim_end().to_string());
    }
    out.join("\n")
}

/// One option with its texts refitted (see the module doc).
fn fit_arg(arg: Arg) -> Arg {
    if arg.is_hide_set() {
        return arg;
    }
    let short = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
    let long = arg.get_long_help().map(|h| h.to_string()).unwrap_or_else(|| short.clone());
    let mut specs = Vec::new();
    let defaults: Vec<String> = arg.get_default_values().iter().map(|d| d.to_string_lossy().into_owned()).collect();
    if !defaults.is_empty() && !arg.is_hide_default_value_set() && arg.get_action().takes_values() {
        specs.push(format!("[default: {}]", defaults.join(" ")));
    }
    let values = if arg.get_action().takes_values() && !arg.is_hide_possible_values_set() { arg.get_possible_values() } else { Vec::new() };
    let with = |text: &str, extra: &[String]| [text.to_string()].into_iter().chain(extra.iter().cloned()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
    let mut short_specs = specs.clone();
    if !values.is_empty() {
        short_specs.push(values_inline(&values));
    }
    let mut long_text = wrap(&with(&long, &specs), LONG_WIDTH);
    if !values.is_empty() {
        long_text.push_str("\n\n");
        long_text.push_str(&values_listed(&values));
    }
    let arg = arg.help(wrap(&with(&short, &short_specs), SHORT_WIDTH)).long_help(long_text);
    // flags take no value: nothing of clap's to hide (and clap refuses hiding it)
    if arg.get_action().takes_values() { arg.hide_default_value(true).hide_possible_values(true) } else { arg }
}

/// The command tree with every text refitted to 100 columns (see the module doc).
pub fn fit(cmd: Command) -> Command {
    let mut cmd = cmd.mut_args(fit_arg);
    if let Some(about) = cmd.get_about().map(|a| a.to_string()) {
        cmd = cmd.about(wrap(&about, LONG_WIDTH));
    }
    if let Some(about) = cmd.get_long_about().map(|a| a.to_string()) {
        cmd = cmd.long_about(wrap(&about, LONG_WIDTH));
    }
    if let Some(after) = cmd.get_after_help().map(|a| a.to_string()) {
        cmd = cmd.after_help(wrap_if_long(&after, 100));
    }
    if let Some(after) = cmd.get_after_long_help().map(|a| a.to_string()) {
        cmd = cmd.after_long_help(wrap_if_long(&after, 100));
    }
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    names.iter().fold(cmd, |c, n| c.mut_subcommand(n, fit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_at_spaces_and_keeps_line_breaks_and_indents() {
        assert_eq!(wrap("aa bb cc dd", 5), "aa bb\ncc dd");
        assert_eq!(wrap("aa\n  bb cc", 40), "aa\n  bb cc");
        assert_eq!(wrap("averyveryverylongword x", 5), "averyveryverylongword\nx");
        assert_eq!(wrap_if_long("  1  one\n  2  two", 100), "  1  one\n  2  two");
    }
}
