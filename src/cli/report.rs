//! `clairaut report EXPERIMENTS_DIR --out RESULTS_DIR`: the published-configuration study.

use std::path::PathBuf;

use clap::Args;

/// Options of `clairaut report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Folder of the study's experiment files (e.g. experiments/tf2-article).
    pub experiments: PathBuf,
    /// Folder holding the results of each experiment (`<out>/<experiment name>/`); report.md is
    /// written there.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Runs `clairaut report`.
pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    let (path, _) = crate::study::tf2::write(&args.experiments, &args.out)?;
    println!("wrote {}", path.display());
    Ok(())
}
