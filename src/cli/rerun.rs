//! `clairaut rerun RESULT…`: recompute each result file from its own configuration and report
//! `bit-identical` or an entry-level diff. Exit 0 only when every file is identical; a corrupt
//! or foreign file (digest, name) is listed and makes the command fail (exit 2), and so does
//! an empty folder.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::Error;
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
    #[arg(long, value_name = "N")]
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
    let bytes = std::fs::read(f).map_err(|e| Error::Io { path: f.to_path_buf(), message: e.to_string() })?;
    Ok(ResultFile::from_bytes(&bytes).and_then(|r| r.check_identity(f, None).map(|()| r)))
}

/// Runs `clairaut rerun`: every file is read and verified first; a corrupt or foreign one is
/// listed (`<path>: CORRUPT (<reason>)`, `FOREIGN`, `OLD SCHEMA`, `NEWER SCHEMA`) and not
/// recomputed, the others are, and the command then fails with exit status 2 naming the first.
/// Otherwise exit 1 when a rerun differs.
pub fn run(args: RerunArgs) -> anyhow::Result<()> {
    let files = collect(&args.results)?;
    let mut all_identical = true;
    let mut invalid: Vec<(&PathBuf, Defect)> = Vec::new();
    for f in &files {
        match read(f)? {
            Ok(stored) => all_identical &= rerun_one(f, &stored, args.threads)?,
            Err(d) => {
                println!("{}: {} ({})", f.display(), d.label().to_uppercase(), d.reason());
                invalid.push((f, d));
            }
        }
    }
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

/// Recomputes one verified result file; prints `bit-identical` or the differences. Returns
/// whether it was identical.
fn rerun_one(f: &Path, stored: &ResultFile, threads: Option<usize>) -> Result<bool, Error> {
    // Generated, inline and trained problems are resolved again from the configuration
    // (checking that data, initialization and training reproduce too); a problem read
    // from a file (problem, CSV or .npy) is taken from the result file itself, which stores
    // its exact decimals (the file's digest is part of the stored configuration).
    let data = &stored.config.data;
    let given = if data.starts_with("problem:") || crate::experiment::is_file_source(data) {
        Some(crate::results::problem_from_cbor(&stored.problem, f)?)
    } else {
        None
    };
    let exp_path = f.with_extension("toml");
    let fresh = super::with_threads(threads, || compute_cell(&stored.experiment, &exp_path, &stored.config, given))??;
    if fresh.deterministic_bytes() == stored.deterministic_bytes() {
        println!("{}: bit-identical", f.display());
        return Ok(true);
    }
    let mut d = Vec::new();
    diff(&json(&stored.analysis), &json(&fresh.analysis), "analysis", &mut d, 20);
    diff(&cbor_to_json(&stored.problem), &cbor_to_json(&fresh.problem), "problem", &mut d, 20);
    println!("{}: DIFFERS ({} differences shown)", f.display(), d.len());
    for line in d {
        println!("  {line}");
    }
    Ok(false)
}
