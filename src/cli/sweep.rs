//! `clairaut sweep`, `clairaut merge`, `clairaut status`: run an experiment's grid (resumably,
//! optionally one shard of it), combine shard outputs, and list missing cells.

use std::path::{Path, PathBuf};

use clap::Args;

use super::with_threads;
use crate::experiment::config::parse_set;
use crate::error::Error;
use crate::results::SCHEMA;
use crate::sweep::{self, CellState, Shard, SweepSummary};
use crate::experiment::{Access, Experiment};
use crate::hessian::cost::fmt_seconds;

/// Options of `clairaut sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Experiment file (TOML).
    pub experiment: PathBuf,
    /// Output folder (default: results/<experiment name>); nothing is written elsewhere.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = super::parse_threads)]
    pub threads: Option<usize>,
    /// Run only cells with index ≡ K (mod N): `K/N`, or `auto` from SLURM/MPI variables.
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// Override a base key: key=value (TOML syntax), repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Let the experiment read data files (`problem:`, `csv:`, `npy:`) outside its own folder:
    /// absolute paths, `..`, symbolic links that lead elsewhere (refused by default).
    #[arg(long)]
    pub allow_outside: bool,
}

fn load(path: &std::path::Path, sets: &[String], allow_outside: bool) -> anyhow::Result<Experiment> {
    let sets = sets.iter().map(|s| parse_set(s)).collect::<Result<Vec<_>, _>>()?;
    let access = if allow_outside { Access::AllowOutside } else { Access::Confined };
    Ok(Experiment::load_with(path, &sets, access)?)
}

/// The output folder: `--out`, else `results/<name>` (the name is a plain folder name:
/// [`Experiment::load`] refuses any other).
fn out_dir(out: &Option<PathBuf>, exp: &Experiment) -> PathBuf {
    out.clone().unwrap_or_else(|| PathBuf::from("results").join(&exp.name))
}

/// Runs `clairaut sweep`. A result file with a newer schema is left untouched: it is reported
/// in one line (path and schema), the other cells are computed, and the sweep then fails
/// (exit 2). An invalid one (corrupt, foreign, of schema 1) is moved aside, reported in one line
/// (path, reason, new name), and its cell computed ([`sweep::set_aside`]).
pub fn run(args: SweepArgs) -> anyhow::Result<()> {
    let exp = load(&args.experiment, &args.sets, args.allow_outside)?;
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    let out = out_dir(&args.out, &exp);
    let head = format!("sweep {}: {} cells{}", exp.name, exp.cells.len(), shard.map(|s| format!(", shard {}/{}", s.k, s.n)).unwrap_or_default());
    for line in estimate_lines(&head, &exp, &out, shard, rayon_threads(args.threads)) {
        eprintln!("{line}");
    }
    let s = with_threads(args.threads, || sweep::run(&exp, &out, shard))??;
    if s.stale_temps_removed > 0 {
        eprintln!("removed {} stale temporary file(s) of killed runs from {}", s.stale_temps_removed, out.display());
    }
    println!("{}", summary_line(&out, &s, rayon_threads(args.threads)));
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

/// The first lines of a sweep on stderr: `head`, the cells to compute and their estimated time
/// on `threads` workers ([`super::progress::estimate_many`]; a cell whose problem cannot be
/// resolved is left out here, the sweep reports it), then the time per method.
fn estimate_lines(head: &str, exp: &Experiment, out: &Path, shard: Option<Shard>, threads: usize) -> Vec<String> {
    let pending: Vec<crate::analysis::Request> = sweep::states(exp, out)
        .into_iter()
        .enumerate()
        .filter(|(i, (_, state))| shard.is_none_or(|s| s.has(*i)) && *state == CellState::Missing)
        .filter_map(|(_, (c, _))| crate::experiment::resolve(&c, &exp.path, &c.id(), exp.access).ok().map(|(_, req)| req))
        .collect();
    if pending.is_empty() {
        return vec![head.to_string()];
    }
    let Ok((total, methods)) = super::progress::estimate_many(&pending, threads) else {
        return vec![head.to_string()];
    };
    let plural = if threads == 1 { "" } else { "s" };
    let mut lines = vec![format!("{head}; {} to compute, estimated {} on {threads} thread{plural}", pending.len(), fmt_seconds(total))];
    let items: Vec<String> = methods.iter().map(|(m, s)| format!("{m} {}", fmt_seconds(*s))).collect();
    let per_method = super::progress::wrap("[estimate]", &items, 100);
    lines.extend(per_method.into_iter().map(|l| if l.starts_with('[') { l } else { format!("[estimate] {}", l.trim_start()) }));
    lines
}

/// What the figures of the line `sweep` prints at the end mean (shown by `clairaut sweep --help`).
pub const SUMMARY_LEGEND: &str = "The closing line:
  compute   the seconds spent computing cells, summed over cells (so over all worker threads;
            writing, hashing and logging excluded)
  wall      the sweep's elapsed seconds
  workers   the threads that had a cell to compute (at most --threads, at most the cells computed)
  overhead  the share of the workers' time not spent computing cells:
            1 − compute / (workers × wall), at least 0";

/// The closing line of `sweep`: counts, then compute, wall and overhead as [`SUMMARY_LEGEND`]
/// defines them, for a sweep run on `threads` worker threads.
pub fn summary_line(out: &Path, s: &SweepSummary, threads: usize) -> String {
    let counts = format!("{}: {} cells in this shard, {} already complete, {} computed", out.display(), s.cells, s.skipped, s.computed);
    if s.computed == 0 {
        return format!("{counts}; wall {:.2} s", s.wall_s);
    }
    let workers = threads.min(s.computed).max(1);
    format!(
        "{counts}; compute {:.2} s over {workers} worker{}, wall {:.2} s, overhead {:.1}%",
        s.compute_s,
        if workers == 1 { "" } else { "s" },
        s.wall_s,
        100.0 * overhead(s.compute_s, s.wall_s, workers)
    )
}

/// The share of `workers` threads' time over `wall_s` seconds not spent in `compute_s` seconds
/// of cell computation: 1 − compute / (workers × wall), clamped to [0, 1].
fn overhead(compute_s: f64, wall_s: f64, workers: usize) -> f64 {
    let capacity = workers as f64 * wall_s;
    if capacity > 0.0 { (1.0 - compute_s / capacity).clamp(0.0, 1.0) } else { 0.0 }
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
    /// Let the experiment read data files (`problem:`, `csv:`, `npy:`) outside its own folder:
    /// absolute paths, `..`, symbolic links that lead elsewhere (refused by default).
    #[arg(long)]
    pub allow_outside: bool,
    /// List every missing cell (default: the first 1000, then their count).
    #[arg(long)]
    pub all: bool,
}

/// Most missing cells `status` lists (then their count), unless `--all` is given.
pub const STATUS_LISTED: usize = 1000;

/// Runs `clairaut status`: exit 0 when complete, 3 when cells are missing or have a result
/// file with a newer schema (listed as `newer schema: <path>: schema N …`, not as missing) or an
/// invalid one (listed as `corrupt: <path>: <reason>`: damaged, edited, of an older schema,
/// another cell's or another experiment's — `sweep` moves it aside and recomputes it). The
/// cells are visited one at a time (a grid of millions costs no more memory than its keys); the
/// first [`STATUS_LISTED`] missing cells are listed, every one with `--all`.
pub fn status(args: StatusArgs) -> anyhow::Result<()> {
    let exp = load(&args.experiment, &args.sets, args.allow_outside)?;
    let out = out_dir(&args.out, &exp);
    let (mut complete, mut total, mut unlisted) = (0usize, 0usize, 0usize);
    let mut lines = Vec::new();
    for (c, state) in sweep::states(&exp, &out) {
        total += 1;
        let line = match state {
            CellState::Complete => {
                complete += 1;
                continue;
            }
            CellState::Invalid(d) => format!("{}: {}: field `{}`: {}", d.label(), sweep::cell_path(&out, &c).display(), d.field(), d.reason()),
            CellState::Missing => format!("missing {} (layers {:?}, precisions {:?}, methods {:?})", c.id(), c.layers, c.precisions, c.methods),
            CellState::NewerSchema(v) => {
                format!("newer schema: {}: schema {v} (this Clairaut reads {SCHEMA}), not overwritten by sweep", sweep::cell_path(&out, &c).display())
            }
        };
        if args.all || lines.len() < STATUS_LISTED {
            lines.push(line);
        } else {
            unlisted += 1;
        }
    }
    println!("{}: {} of {} cells complete", out.display(), complete, total);
    for line in &lines {
        println!("{line}");
    }
    if unlisted > 0 {
        println!("… and {unlisted} more cells missing (--all lists every one)");
    }
    if complete < total {
        std::process::exit(3);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(computed: usize, compute_s: f64, wall_s: f64) -> SweepSummary {
        SweepSummary { cells: 4, skipped: 4 - computed, computed, compute_s, wall_s, newer_schema: Vec::new(), stale_temps_removed: 0, set_aside: Vec::new() }
    }

    #[test]
    fn overhead_is_the_idle_share_of_the_workers_time() {
        // 2 threads busy 0.19 s of 2 × 0.16 s: 59.4% computing, 40.6% overhead
        assert!((overhead(0.19, 0.16, 2) - 0.40625).abs() < 1e-12);
        // one thread: wall − compute over wall
        assert!((overhead(0.75, 1.0, 1) - 0.25).abs() < 1e-12);
        // clock jitter never gives a negative share, an empty run no division by zero
        assert_eq!(overhead(0.33, 0.16, 2), 0.0);
        assert_eq!(overhead(0.0, 0.0, 2), 0.0);
    }

    #[test]
    fn the_line_names_the_workers_and_never_contradicts_itself() {
        let out = Path::new("results/x");
        let line = summary_line(out, &summary(2, 0.19, 0.16), 2);
        assert_eq!(line, "results/x: 4 cells in this shard, 2 already complete, 2 computed; compute 0.19 s over 2 workers, wall 0.16 s, overhead 40.6%");
        // 16 threads but 2 cells: only 2 threads had work, the idle 14 are not overhead
        assert_eq!(summary_line(out, &summary(2, 0.19, 0.16), 16), line);
        let line = summary_line(out, &summary(1, 0.9, 1.0), 8);
        assert!(line.ends_with("compute 0.90 s over 1 worker, wall 1.00 s, overhead 10.0%"), "{line}");
        let line = summary_line(out, &summary(0, 0.0, 0.01), 8);
        assert!(line.ends_with("0 computed; wall 0.01 s"), "{line}");
    }
}
