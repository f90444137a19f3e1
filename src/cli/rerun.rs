//! `clairaut rerun RESULT…`: recompute each result file from its own configuration and report
//! `bit-identical` or an entry-level diff. Exit 0 only when every file is identical; a corrupt
//! or foreign file (digest, name) is listed and makes the command fail (exit 2), and so does
//! an empty folder. Before the work, the estimated time on stderr; then the progress, file by
//! file ([`super::progress`]).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::Error;
use crate::experiment::Access;
use crate::sweep::compute_cell;
use crate::results::{cbor_to_json, Defect, ResultFile};

/// A typed record as JSON, for [`diff`].
fn json<T: serde::Serialize>(record: &T) -> serde_json::Value {
    serde_json::to_value(record).expect("a record is JSON")
}

/// Options of `clairaut rerun`.
#[derive(Debug, Args)]
pub struct RerunArgs {
    /// Result files (or folders of them).
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = super::parse_threads)]
    pub threads: Option<usize>,
}

/// Paths where two JSON values differ (at most `limit`).
pub fn diff(a: &serde_json::Value, b: &serde_json::Value, path: &str, out: &mut Vec<String>, limit: usize) {
    use serde_json::Value::*;
    if out.len() >= limit {
        return;
    }
    match (a, b) {
        (Object(x), Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => diff(v, w, &format!("{path}.{k}"), out, limit),
                    None => out.push(format!("{path}.{k}: missing in the rerun")),
                }
            }
        }
        (Array(x), Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diff(v, w, &format!("{path}[{i}]"), out, limit);
            }
        }
        _ if a != b => out.push(format!("{path}: stored {a} vs rerun {b}")),
        _ => {}
    }
}

/// The result files named on the command line: files as given, folders' `*.cbor`. An empty
/// list (only empty folders) is an error.
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            files.extend(crate::results::files_in(p)?);
        } else {
            files.push(p.clone());
        }
    }
    if files.is_empty() {
        let names = paths.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ");
        return Err(Error::Io { path: paths[0].clone(), message: format!("no result files (*.cbor) to rerun in {names}") });
    }
    Ok(files)
}

/// Reads a result file for a rerun: verified, named by its configuration's id. An unreadable
/// file is an error at once; a defect is returned to be listed.
fn read(f: &Path) -> Result<Result<ResultFile, Defect>, Error> {
    let bytes = crate::input::read_regular(f)?;
    Ok(ResultFile::from_bytes(&bytes).and_then(|r| r.check_identity(f, None).map(|()| r)))
}

/// The problem a rerun computes `stored` on: generated, inline and trained problems are resolved
/// again from the configuration (checking that data, initialization and training reproduce
/// too); a problem read from a file (problem, CSV or .npy) is taken from the result file itself,
/// which stores its exact decimals (the file's digest is part of the stored configuration).
fn given_problem(stored: &ResultFile, f: &Path) -> Result<Option<crate::model::Problem>, Error> {
    let data = &stored.config.data;
    Ok(if data.starts_with("problem:") || crate::experiment::is_file_source(data) {
        Some(crate::results::problem_from_cbor(&stored.problem, f)?)
    } else {
        None
    })
}

/// The estimated seconds of rerunning each file on `threads` workers (0 for a file whose
/// request cannot be rebuilt here: the rerun reports it), after one line on stderr.
fn estimate(files: &[(&PathBuf, ResultFile)], threads: usize) -> Vec<f64> {
    let one = |(f, stored): &(&PathBuf, ResultFile)| -> Option<f64> {
        let exp_path = f.with_extension("toml");
        let problem = match given_problem(stored, f).ok()? {
            Some(p) => p,
            None => crate::experiment::resolve_problem(&stored.config, &exp_path, &stored.config.id(), Access::Confined).ok()?,
        };
        let req = crate::experiment::request(&stored.config, problem, &exp_path).ok()?;
        super::progress::estimate_analysis(&req, threads).ok().map(|e| e.seconds.total())
    };
    let seconds: Vec<f64> = files.iter().map(|f| one(f).unwrap_or(0.0)).collect();
    let plural = if threads == 1 { "" } else { "s" };
    let total = crate::hessian::cost::fmt_seconds(seconds.iter().sum());
    eprintln!("rerun: {} file(s), estimated {total} on {threads} thread{plural}", files.len());
    seconds
}

/// Runs `clairaut rerun`: every file is read and verified first; a corrupt or foreign one is
/// listed (`<path>: CORRUPT (<reason>)`, `FOREIGN`, `OLD SCHEMA`, `NEWER SCHEMA`) and not
/// recomputed, the others are, and the command then fails with exit status 2 naming the first.
/// Otherwise exit 1 when a rerun differs.
pub fn run(args: RerunArgs) -> anyhow::Result<()> {
    let files = collect(&args.results)?;
    let (mut valid, mut invalid): (Vec<(&PathBuf, ResultFile)>, Vec<(&PathBuf, Defect)>) = (Vec::new(), Vec::new());
    for f in &files {
        match read(f)? {
            Ok(stored) => valid.push((f, stored)),
            Err(d) => {
                println!("{}: {} ({})", f.display(), d.label().to_uppercase(), d.reason());
                invalid.push((f, d));
            }
        }
    }
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    let seconds = if valid.is_empty() { Vec::new() } else { estimate(&valid, threads) };
    let report = super::progress::Reporter::stderr("rerun", seconds.iter().sum());
    let mut all_identical = true;
    for ((f, stored), secs) in valid.iter().zip(&seconds) {
        let outcome = rerun_one(f, stored, args.threads, &report);
        report.advance(*secs, &f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        match outcome {
            Ok(identical) => all_identical &= identical,
            Err(e) => {
                report.finish();
                return Err(e.into());
            }
        }
    }
    report.finish();
    if let Some((f, d)) = invalid.first() {
        let Error::Field { path, field, mut message } = d.at(f) else { unreachable!("a defect is a field error") };
        if invalid.len() > 1 {
            message.push_str(&format!(" (and {} more invalid files, listed above)", invalid.len() - 1));
        }
        return Err(Error::Field { path, field, message }.into());
    }
    if !all_identical {
        std::process::exit(1);
    }
    Ok(())
}

/// Recomputes one verified result file; prints `bit-identical` or the differences (through
/// `report`, above its bar). Returns whether it was identical.
fn rerun_one(f: &Path, stored: &ResultFile, threads: Option<usize>, report: &super::progress::Reporter) -> Result<bool, Error> {
    if !stored.config.externals.is_empty() {
        let message = "external Hessians are read from their files, which a result file does not store: rerun the experiment with `clairaut sweep` instead";
        return Err(Error::field(f, "config.externals", message));
    }
    let given = given_problem(stored, f)?;
    let exp_path = f.with_extension("toml");
    // no data file is read (a file's problem comes from the result itself), so nothing to confine
    let fresh = super::with_threads(threads, || compute_cell(&stored.experiment, &exp_path, Access::Confined, &stored.config, given))??;
    if fresh.deterministic_bytes() == stored.deterministic_bytes() {
        report.println(&format!("{}: bit-identical", f.display()));
        return Ok(true);
    }
    let mut d = Vec::new();
    diff(&json(&stored.analysis), &json(&fresh.analysis), "analysis", &mut d, 20);
    diff(&cbor_to_json(&stored.problem), &cbor_to_json(&fresh.problem), "problem", &mut d, 20);
    report.println(&format!("{}: DIFFERS ({} differences shown)", f.display(), d.len()));
    for line in d {
        report.println(&format!("  {line}"));
    }
    Ok(false)
}
