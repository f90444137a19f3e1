//! Readable outputs (issue 16, points 1 and 2): the time estimate before the work and plain
//! progress lines on stderr when it is not a terminal (`CLAIRAUT_PROGRESS_EVERY=0`: a line at
//! every step), help of at most 100 columns, and an `analyze` table of at most 120 columns
//! whose headers are distinct and each explained by the legend under it.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{bin, clairaut, write};

const EXAMPLE1: &str = "experiments/tf2-article/example1.json";

/// Every line of every help text (`-h` and `--help`) of `cmd` and of its subcommands.
fn help_lines(cmd: &mut clap::Command, path: &str, out: &mut Vec<(String, String)>) {
    for help in [cmd.render_help().to_string(), cmd.render_long_help().to_string()] {
        out.extend(help.lines().map(|l| (path.to_string(), l.to_string())));
    }
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for name in names {
        let sub = cmd.find_subcommand_mut(&name).expect("listed");
        help_lines(sub, &format!("{path} {name}"), out);
    }
}

#[test]
fn every_help_text_fits_100_columns() {
    let mut cmd = clairaut::cli::command();
    cmd.build();
    let mut lines = Vec::new();
    help_lines(&mut cmd, "clairaut", &mut lines);
    assert!(lines.len() > 300, "{} lines: every subcommand rendered", lines.len());
    let long: Vec<String> =
        lines.iter().filter(|(_, l)| l.chars().count() > 100).map(|(c, l)| format!("{c}: {} columns: {l}", l.chars().count())).collect();
    assert!(long.is_empty(), "{}", long.join("\n"));
    // the binary prints the fitted help
    let out = clairaut().args(["analyze", "--help"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().all(|l| l.chars().count() <= 100) && text.contains("fd-loss-4pt"), "{text}");
}

#[test]
fn hessian_and_analyze_help_list_every_method_with_its_cost() {
    use clap::ValueEnum;
    for sub in ["hessian", "analyze"] {
        let out = clairaut().args([sub, "--help"]).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        for m in clairaut::method::Method::value_variants() {
            let line = text.lines().find(|l| l.trim_start().starts_with(&format!("- {}:", m.name())));
            let line = line.unwrap_or_else(|| panic!("{sub}: no line for {m}: {text}"));
            assert!(line.contains("; cost ") && line.ends_with('×'), "{line}");
        }
        // the expensive ones say so
        let cost = |m: &str| -> f64 {
            let line = text.lines().find(|l| l.trim_start().starts_with(&format!("- {m}:"))).unwrap();
            line.rsplit("cost ").next().unwrap().trim_end_matches('×').parse().unwrap()
        };
        assert!(cost("fwd-fwd") >= 50.0 * cost("rev-rev") && cost("fd-loss-4pt") >= 50.0 * cost("fwd-rev"), "{text}");
    }
}

/// `analyze` with `args` on `problem`, stdout and stderr written to one file (so that their
/// order is kept) and to separate ones; returns (both, stdout, stderr).
fn analyze(problem: &str, args: &[&str], every: &str) -> (String, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let both = dir.path().join("both.txt");
    let file = std::fs::File::create(&both).unwrap();
    let status = Command::new(bin())
        .args(["analyze", "--problem", problem])
        .args(args)
        .env("CLAIRAUT_PROGRESS_EVERY", every)
        .stdout(Stdio::from(file.try_clone().unwrap()))
        .stderr(Stdio::from(file))
        .status()
        .unwrap();
    assert!(status.success());
    let out = Command::new(bin()).args(["analyze", "--problem", problem]).args(args).env("CLAIRAUT_PROGRESS_EVERY", every).output().unwrap();
    assert!(out.status.success());
    (std::fs::read_to_string(&both).unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn the_estimate_comes_before_the_work_and_progress_is_plain_lines_on_a_pipe() {
    let (both, stdout, stderr) = analyze(EXAMPLE1, &[], "0");
    // the estimate: the total, then the truth, T(q) and every default method
    let estimate = both.lines().position(|l| l.starts_with("estimate: ")).expect(&both);
    let table = both.lines().position(|l| l.starts_with("method ")).expect(&both);
    assert!(estimate < table, "{both}");
    let head: String = stderr.lines().take_while(|l| !l.starts_with('[')).collect::<Vec<_>>().join(" ");
    for part in ["on ", "(P = 6)", "truth ", "T(q) ", "fwd-rev ", "rev-rev ", "gauss-newton ", "fd-grad-central "] {
        assert!(head.contains(part), "`{part}` not in {head}");
    }
    assert!(!head.contains("fwd-fwd") && !head.contains("fd-loss-4pt"), "not run by default: {head}");
    // stderr is a pipe: plain lines, one per step but the last, no bar, nothing on stdout
    assert!(!stderr.contains('\x1b') && !stderr.contains('\r'), "{stderr:?}");
    let steps: Vec<&str> = stderr.lines().filter(|l| l.starts_with("[analyze ")).collect();
    // truth, T(q) at f32 and f64, 4 methods × 2 precisions, less the last
    assert_eq!(steps.len(), 1 + 2 + 8 - 1, "{stderr}");
    assert!(steps.iter().all(|l| l.contains("%] ") && l.contains(" done; elapsed ") && l.contains(", ETA ")), "{stderr}");
    assert!(steps[0].contains("truth done") && steps[1].contains("T(q) at f32 done"), "{stderr}");
    assert!(!stdout.contains("estimate") && !stdout.contains("[analyze"), "{stdout}");
    // by default (a line every few seconds at most), a short run prints the estimate only
    let (_, stdout2, stderr2) = analyze(EXAMPLE1, &[], "5");
    assert!(stderr2.lines().all(|l| !l.starts_with('[')), "{stderr2}");
    assert_eq!(table_of(&stdout2), table_of(&stdout), "progress never changes stdout");
}

/// The table and legend of an `analyze` output (without the timings line).
fn table_of(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| !l.starts_with("time: ")).collect()
}

/// The legend's entries: (name, text) of the lines under `columns (…):`.
fn legend(stdout: &str) -> Vec<(String, String)> {
    let start = stdout.lines().position(|l| l.starts_with("columns (")).expect(stdout);
    stdout
        .lines()
        .skip(start + 1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| {
            let (name, text) = l.trim_start().split_once("  ").expect(l);
            (name.to_string(), text.trim().to_string())
        })
        .collect()
}

/// Checks the default table of `stdout`: at most 120 columns, distinct headers, each explained
/// by the legend (in order), and every abbreviation the issue named gone or explained.
fn check_table(stdout: &str, rows: usize) {
    for line in stdout.lines() {
        assert!(line.chars().count() <= 120, "{} columns: {line}", line.chars().count());
    }
    let header = stdout.lines().find(|l| l.starts_with("method ")).expect(stdout);
    let legend = legend(stdout);
    let names: Vec<&str> = legend.iter().map(|(n, _)| n.as_str()).filter(|n| *n != "*").collect();
    // the header is the legend's names in order, and nothing else
    let collapse = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(collapse(header), names.join(" "), "header: {header}\nlegend: {legend:?}");
    let mut distinct = names.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), names.len(), "duplicate headers: {names:?}");
    assert_eq!(names.iter().filter(|n| n.contains("order")).count(), 1, "one column about the sum order: {names:?}");
    for (name, text) in &legend {
        assert!(text.len() > 10, "{name}: {text}");
    }
    // every token of the header appears in the legend
    let legend_text: String = legend.iter().map(|(n, t)| format!("{n} {t} ")).collect();
    for token in header.split_whitespace() {
        assert!(legend_text.contains(token), "`{token}` unexplained");
    }
    let body = stdout.lines().skip_while(|l| !l.starts_with("method ")).skip(1).take_while(|l| !l.starts_with("residual "));
    assert_eq!(body.count(), rows, "{stdout}");
}

#[test]
fn the_default_table_fits_120_columns_with_distinct_explained_headers() {
    let (_, stdout, _) = analyze(EXAMPLE1, &[], "5");
    check_table(&stdout, 8);
    // the README's tour command
    let tour = ["--methods", "fwd-rev,rev-rev,fd-grad-central,fd-loss-4pt", "--precisions", "binary16,f32,f64,mp:1024"];
    let (_, stdout, _) = analyze(EXAMPLE1, &[&tour[..], &["--orders", "sequential,pairwise", "--fma-policies", "no-fma,fma"]].concat(), "5");
    check_table(&stdout, 4 * 4 * 2 * 2);
    // --wide: whole / antisymmetric parts and the residual, explained too
    let (_, wide, _) = analyze(EXAMPLE1, &["--wide"], "5");
    let header = wide.lines().find(|l| l.starts_with("method ")).unwrap();
    assert!(header.contains("residual") && wide.contains(" / "), "{wide}");
    assert!(legend(&wide).iter().any(|(n, _)| n == "residual"), "{wide}");
    // --no-legend
    let (_, bare, _) = analyze(EXAMPLE1, &["--no-legend"], "5");
    assert!(!bare.contains("columns ("), "{bare}");
}

/// A small sweep of 6 cells.
const SMALL: &str = r#"
name = "small"
[base]
layers = [2, 3, 2]
activations = ["tanh", "identity"]
n = 3
methods = ["rev-rev", "fwd-rev"]
[sweep]
precisions = [["f32"], ["f64"], ["binary16"]]
orders = [["sequential"], ["pairwise"]]
"#;

#[test]
fn sweep_and_rerun_estimate_their_work_first() {
    let dir = tempfile::tempdir().unwrap();
    let exp = write(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("o");
    let o = Command::new(bin()).arg("sweep").arg(&exp).arg("--out").arg(&out).env("CLAIRAUT_PROGRESS_EVERY", "0").output().unwrap();
    assert!(o.status.success());
    let stderr = String::from_utf8(o.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines[0].starts_with("sweep small: 6 cells; 6 to compute, estimated ") && lines[0].contains(" on "), "{stderr}");
    assert!(lines[1].starts_with("[estimate] rev-rev ") && lines[1].contains(", fwd-rev "), "{stderr}");
    // CLAIRAUT_PROGRESS_EVERY=0: a line per cell
    assert_eq!(lines.iter().filter(|l| l.contains(" cell ") && l.contains(" done in ")).count(), 6, "{stderr}");
    // nothing left to compute: no estimate
    let o = Command::new(bin()).arg("sweep").arg(&exp).arg("--out").arg(&out).output().unwrap();
    assert_eq!(String::from_utf8(o.stderr).unwrap().lines().next(), Some("sweep small: 6 cells"));

    let o = Command::new(bin()).arg("rerun").arg(&out).env("CLAIRAUT_PROGRESS_EVERY", "0").output().unwrap();
    assert!(o.status.success());
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert!(stderr.starts_with("rerun: 6 file(s), estimated "), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("[rerun ")).count(), 5, "{stderr}");
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert_eq!(stdout.lines().filter(|l| l.ends_with(": bit-identical")).count(), 6, "{stdout}");
    assert!(Path::new(&out).exists());
}
