//! `clairaut sweep`, `clairaut merge`, `clairaut status`: run an experiment's grid (resumably,
//! optionally one shard of it), combine shard outputs, and list missing cells.

use std::path::PathBuf;

use clap::Args;

use super::with_threads;
use crate::experiment::config::parse_set;
use crate::sweep::{self, Shard};
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

/// Runs `clairaut sweep`.
pub fn run(args: SweepArgs) -> anyhow::Result<()> {
    let exp = load(&args.experiment, &args.sets)?;
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("results").join(&exp.name));
    eprintln!("sweep {}: {} cells{}", exp.name, exp.cells.len(), shard.map(|s| format!(", shard {}/{}", s.k, s.n)).unwrap_or_default());
    let s = with_threads(args.threads, || sweep::run(&exp, &out, shard))??;
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

/// Runs `clairaut status`: exit 0 when complete, 3 when cells are missing.
pub fn status(args: StatusArgs) -> anyhow::Result<()> {
    let exp = load(&args.experiment, &args.sets)?;
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("results").join(&exp.name));
    let missing = sweep::missing(&exp, &out);
    println!("{}: {} of {} cells complete", out.display(), exp.cells.len() - missing.len(), exp.cells.len());
    for c in &missing {
        println!("missing {} (layers {:?}, precisions {:?}, methods {:?})", c.id(), c.layers, c.precisions, c.methods);
    }
    if !missing.is_empty() {
        std::process::exit(3);
    }
    Ok(())
}
