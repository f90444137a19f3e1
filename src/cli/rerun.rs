//! `clairaut rerun RESULT…`: recompute each result file from its own configuration and report
//! `bit-identical` or an entry-level diff. Exit 0 only when every file is identical.

use std::path::PathBuf;

use clap::Args;

use crate::experiment::Access;
use crate::sweep::compute_cell;
use crate::results::{cbor_to_json, ResultFile};

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

/// Runs `clairaut rerun`.
pub fn run(args: RerunArgs) -> anyhow::Result<()> {
    let mut files = Vec::new();
    for p in &args.results {
        if p.is_dir() {
            files.extend(crate::results::files_in(p)?);
        } else {
            files.push(p.clone());
        }
    }
    let mut all_identical = true;
    for f in &files {
        let stored = ResultFile::read(f)?;
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
        // no data file is read (a file's problem comes from the result itself), so nothing to confine
        let fresh = super::with_threads(args.threads, || compute_cell(&stored.experiment, &exp_path, Access::Confined, &stored.config, given))??;
        if fresh.deterministic_bytes() == stored.deterministic_bytes() {
            println!("{}: bit-identical", f.display());
        } else {
            all_identical = false;
            let mut d = Vec::new();
            diff(&json(&stored.analysis), &json(&fresh.analysis), "analysis", &mut d, 20);
            diff(&cbor_to_json(&stored.problem), &cbor_to_json(&fresh.problem), "problem", &mut d, 20);
            println!("{}: DIFFERS ({} differences shown)", f.display(), d.len());
            for line in d {
                println!("  {line}");
            }
        }
    }
    if !all_identical {
        std::process::exit(1);
    }
    Ok(())
}
