//! The `clairaut` command line: one module per subcommand.

pub mod analyze;
pub mod bench;
pub mod bench_table;
pub mod export;
pub mod generate;
pub mod report;
pub mod rerun;
pub mod sweep;
pub mod hessian;

use clap::{Parser, Subcommand};

use crate::error::Error;

/// Clairaut: why is a computed Hessian not symmetric, or not right?
#[derive(Debug, Parser)]
#[command(name = "clairaut", version, about, long_about = None)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute one Hessian and print its asymmetry.
    Hessian(hessian::HessianArgs),
    /// Compute the requested Hessians and the certified truth; attribute every error and
    /// asymmetry to rounding, evaluation order, approximation method and input quantization.
    Analyze(analyze::AnalyzeArgs),
    /// Run (or resume) an experiment's sweep, writing one result file per cell.
    Sweep(sweep::SweepArgs),
    /// Combine the outputs of sweep shards.
    Merge(sweep::MergeArgs),
    /// List the cells of an experiment that have no complete result yet.
    Status(sweep::StatusArgs),
    /// Recompute result files from their own configuration; report identity or a diff.
    Rerun(rerun::RerunArgs),
    /// Tables (CSV, Markdown, LaTeX, JSON) from result files.
    Export(export::ExportArgs),
    /// The TF2-article study: report.md from committed result files.
    Report(report::ReportArgs),
    /// Write a seeded random problem file.
    Generate(generate::GenerateArgs),
    /// Measure the Hessian's cost in gradients (fwd-rev at f64 and mp:256).
    Bench(bench::BenchArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Hessian(args) => hessian::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Status(args) => sweep::status(args),
        Command::Rerun(args) => rerun::run(args),
        Command::Export(args) => export::run(args),
        Command::Report(args) => report::run(args),
    }
}

/// Parses an option value with `FromStr`, turning its message into an [`Error::Option`].
pub fn parse_option<T: std::str::FromStr<Err = String>>(option: &str, value: &str) -> Result<T, Error> {
    value.parse().map_err(|message| Error::Option { option: option.into(), message })
}

/// Runs `f` on a rayon pool of `threads` workers (all cores when `None`).
pub fn with_threads<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T, Error> {
    match threads {
        Some(0) => Err(Error::Option { option: "--threads".into(), message: "must be at least 1".into() }),
        _ => {
            let mut b = rayon::ThreadPoolBuilder::new();
            if let Some(t) = threads {
                b = b.num_threads(t);
            }
            let pool = b.build().map_err(|e| Error::Option { option: "--threads".into(), message: e.to_string() })?;
            Ok(pool.install(f))
        }
    }
}

/// Available memory in bytes (`MemAvailable` of /proc/meminfo), if known.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Refuses (with the estimate) work needing `need` bytes when that exceeds the available
/// memory; `what` describes the work, e.g. "P = 6: the fwd-rev Hessian at f64 needs".
pub fn refuse_if_too_large(path: &std::path::Path, need: f64, what: &str) -> Result<(), Error> {
    match available_memory() {
        Some(avail) if need > avail as f64 => Err(Error::TooLarge {
            path: path.to_path_buf(),
            message: format!("{what} an estimated {}, more than the {} available", fmt_bytes(need), fmt_bytes(avail as f64)),
        }),
        _ => Ok(()),
    }
}

/// Human-readable bytes.
pub fn fmt_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut x = b;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < UNITS.len() {
        x /= 1024.0;
        u += 1;
    }
    format!("{x:.1} {}", UNITS[u])
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
