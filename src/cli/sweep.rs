//! `clairaut sweep`, `clairaut merge`, `clairaut status`: run an experiment's grid (resumably,
//! optionally one shard of it), combine shard outputs, and list missing cells.

use std::path::PathBuf;

use clap::Args;

use super::with_threads;
use crate::experiment::config::parse_set;
use crate::error::Error;
use crate::results::SCHEMA;
use crate::sweep::{self, CellState, Shard};
use crate::experiment::Experiment;

/// Options of `clairaut sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Experiment file (TOML).
    pub experiment: PathBuf,
    /// Output folder (default: results/<experiment name>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Run only cells with index ≡ K (mod N): `K/N`, or `auto` from SLURM/MPI variables.
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// Override a base key: key=value (TOML syntax), repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

fn load(path: &std::path::Path, sets: &[String]) -> anyhow::Result<Experiment> {
    let sets = sets.iter().map(|s| parse_set(s)).collect::<Result<Vec<_>, _>>()?;
    Ok(Experiment::load(path, &sets)?)
}

/// Runs `clairaut sweep`. A result file with a newer schema is left untouched: it is reported
/// in one line (path and schema), the other cells are computed, and the sweep then fails
/// (exit 2).
pub fn run(args: SweepArgs) -> anyhow::Result<()> {
    let exp = load(&args.experiment, &args.sets)?;
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("results").join(&exp.name));
    eprintln!("sweep {}: {} cells{}", exp.name, exp.cells.len(), shard.map(|s| format!(", shard {}/{}", s.k, s.n)).unwrap_or_default());
    let s = with_threads(args.threads, || sweep::run(&exp, &out, shard))??;
    if s.stale_temps_removed > 0 {
        eprintln!("removed {} stale temporary file(s) of killed runs from {}", s.stale_temps_removed, out.display());
    }
    println!(
        "{}: {} cells in this shard, {} already complete, {} computed; compute {:.2} s, wall {:.2} s, overhead {:.1}%",
        out.display(),
        s.cells,
        s.skipped,
        s.computed,
        s.compute_s,
        s.wall_s,
        if s.compute_s > 0.0 { 100.0 * (s.wall_s * rayon_threads(args.threads) as f64 - s.compute_s).max(0.0) / s.compute_s } else { 0.0 }
    );
    for (path, schema) in &s.newer_schema {
        eprintln!("newer schema: {}: schema {schema} (this Clairaut writes {SCHEMA}), left untouched", path.display());
    }
    if !s.newer_schema.is_empty() {
        let message = format!(
            "{} result file(s) with a newer schema left untouched (listed above): upgrade Clairaut, or move them away to recompute",
            s.newer_schema.len()
        );
        return Err(Error::Io { path: out, message }.into());
    }
    Ok(())
}

fn rayon_threads(t: Option<usize>) -> usize {
    t.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

/// Options of `clairaut merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Shard output folders.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
}

/// Runs `clairaut merge`.
pub fn merge(args: MergeArgs) -> anyhow::Result<()> {
    let n = sweep::merge(&args.out, &args.shards)?;
    println!("merged {n} cells into {}", args.out.display());
    Ok(())
}

/// Options of `clairaut status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Experiment file (TOML).
    pub experiment: PathBuf,
    /// Results folder (default: results/<experiment name>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Overrides, as for sweep.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

/// Runs `clairaut status`: exit 0 when complete, 3 when cells are missing or have a result
/// file with a newer schema (listed as `newer schema: <path>: schema N …`, not as missing).
pub fn status(args: StatusArgs) -> anyhow::Result<()> {
    let exp = load(&args.experiment, &args.sets)?;
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("results").join(&exp.name));
    let states = sweep::states(&exp, &out);
    let complete = states.iter().filter(|(_, s)| *s == CellState::Complete).count();
    println!("{}: {} of {} cells complete", out.display(), complete, exp.cells.len());
    for (c, state) in &states {
        match state {
            CellState::Complete => {}
            CellState::Missing => println!("missing {} (layers {:?}, precisions {:?}, methods {:?})", c.id(), c.layers, c.precisions, c.methods),
            CellState::NewerSchema(v) => {
                println!("newer schema: {}: schema {v} (this Clairaut reads {SCHEMA}), not overwritten by sweep", sweep::cell_path(&out, c).display())
            }
        }
    }
    if complete < states.len() {
        std::process::exit(3);
    }
    Ok(())
}
