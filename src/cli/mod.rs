//! The `clairaut` command line: one module per subcommand, plus [`help`] (every help text fitted
//! to 100 columns) and [`progress`] (time estimates and progress on stderr).

pub mod analyze;
pub mod bench;
pub mod export;
pub mod generate;
pub mod help;
pub mod progress;
pub mod report;
pub mod rerun;
pub mod sweep;
pub mod hessian;

use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::error::Error;
use crate::scalar::precision::MpKernel;

/// What `clairaut --help` says Clairaut is (the package description, in lines of ≤ 88 columns).
const ABOUT: &str = "Why is a computed MLP loss Hessian not symmetric, or not right? The same Hessian at f32,
f64, emulated IEEE formats and MPFR, with the attribution of every discrepancy.";

/// The exit statuses of every command, as `clairaut --help` lists them (and the README's "Exit
/// codes" section).
pub const EXIT_CODES: &str = "Exit codes:
  0  success
  1  any other failure (e.g. an error writing to stdout);
     `rerun`: a recomputed result differs from its file
  2  bad input: a missing, malformed or incomplete file, a corrupt or foreign result file,
     a bad option value, a usage error
  3  `status`: cells are missing, or their result files are invalid (corrupt, foreign,
     another schema)
  4  `hessian` found non-finite entries (see --allow-nonfinite)";

/// Clairaut: why is a computed Hessian not symmetric, or not right?
#[derive(Debug, Parser)]
#[command(name = "clairaut", version, about = ABOUT, long_about = None, after_help = EXIT_CODES)]
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
    /// Hessians against a certified truth; each error and asymmetry split into its causes.
    ///
    /// Compute the requested Hessians and the certified truth; attribute every error and
    /// asymmetry to rounding, evaluation order, approximation method and input quantization.
    Analyze(analyze::AnalyzeArgs),
    /// Run (or resume) an experiment's sweep, writing one result file per cell.
    #[command(after_help = sweep::SUMMARY_LEGEND)]
    Sweep(sweep::SweepArgs),
    /// Combine the outputs of sweep shards.
    Merge(sweep::MergeArgs),
    /// List the cells of an experiment that have no complete result yet.
    #[command(after_help = "Exit codes: 0 every cell is complete, 3 cells are missing or their files invalid (corrupt, foreign, another schema), 2 bad input.")]
    Status(sweep::StatusArgs),
    /// Recompute result files from their own configuration; report identity or a diff.
    #[command(after_help = "Exit codes: 0 every file recomputed bit-identically, 1 a file differs, 2 bad input (a corrupt or foreign result file, no result files).")]
    Rerun(rerun::RerunArgs),
    /// Tables (CSV, Markdown, LaTeX, JSON) from result files.
    Export(export::ExportArgs),
    /// The TF2-article study: report.md from committed result files.
    Report(report::ReportArgs),
    /// Write a seeded random problem file.
    Generate(generate::GenerateArgs),
    /// Measure Clairaut's speed: cost in gradients, scaling over cores, the peers' table.
    Bench(bench::BenchArgs),
}

/// Parses the command line. A bad option value (`--method newton`) is reported on one line,
/// with the accepted values, and exits with status 2 like every other input error; help,
/// version and the other usage errors are printed as clap prints them.
pub fn parse() -> Cli {
    command().try_get_matches().and_then(|m| Cli::from_arg_matches(&m)).unwrap_or_else(|e| match e.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let text = e.render().to_string();
            let lines: Vec<&str> =
                text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("For more information")).collect();
            eprintln!("{}", lines.join(" "));
            std::process::exit(2)
        }
        _ => e.exit(),
    })
}

/// The command line's definition, every help text fitted to 100 columns ([`help::fit`]).
pub fn command() -> clap::Command {
    help::fit(Cli::command())
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    // a bad CLAIRAUT_MP_KERNEL is refused before any work (it chooses how mp:<bits> runs)
    MpKernel::from_env().map_err(|message| Error::Option { option: MpKernel::VAR.into(), message })?;
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

/// Parses a `--threads` value (clap's value parser): 1 to [`crate::limits::MAX_THREADS`], so
/// that a huge count fails at once instead of creating threads.
pub fn parse_threads(s: &str) -> Result<usize, String> {
    let n: usize = s.trim().parse().map_err(|_| format!("`{s}` is not a number of threads (1 to {})", crate::limits::MAX_THREADS))?;
    crate::limits::check_threads("--threads", n).map_err(|e| match e {
        Error::Option { message, .. } => message,
        other => other.to_string(),
    })
}

/// Parses `--check-extra` (clap's value parser): 0 to [`crate::limits::MAX_CHECK_EXTRA`] bits.
pub fn parse_check_extra(s: &str) -> Result<u32, String> {
    let n: u32 = s.trim().parse().map_err(|_| format!("`{s}` is not a number of bits (0 to {})", crate::limits::MAX_CHECK_EXTRA))?;
    crate::limits::check_extra_bits(n)
}

/// Runs `f` on a rayon pool of `threads` workers (all cores when `None`); at most
/// [`crate::limits::MAX_THREADS`].
pub fn with_threads<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T, Error> {
    match threads {
        Some(t) if crate::limits::check_threads("--threads", t).is_err() => Err(crate::limits::check_threads("--threads", t).unwrap_err()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn hessian_help_lists_every_method() {
        let mut cli = Cli::command();
        let hessian = cli.find_subcommand_mut("hessian").expect("a hessian subcommand");
        for help in [hessian.render_help().to_string(), hessian.render_long_help().to_string()] {
            for m in crate::method::Method::ALL {
                assert!(help.contains(m.name()), "{m} not in: {help}");
            }
        }
        let cli = Cli::try_parse_from(["clairaut", "hessian", "--problem", "p.json", "--method", "fd-loss-4pt"]).unwrap();
        assert!(matches!(cli.command, Command::Hessian(a) if a.method == crate::method::Method::FdLoss4pt));
    }

    #[test]
    fn help_lists_the_exit_codes() {
        let help = Cli::command().render_help().to_string();
        for code in ["0  success", "1  any other failure", "2  bad input", "3  `status`", "4  `hessian`"] {
            assert!(help.contains(code), "{code} not in: {help}");
        }
        let mut cli = Cli::command();
        let status = cli.find_subcommand_mut("status").expect("a status subcommand").render_help().to_string();
        assert!(status.contains("3 cells are missing"), "{status}");
        let sweep = cli.find_subcommand_mut("sweep").expect("a sweep subcommand").render_help().to_string();
        assert!(sweep.contains("overhead  the share of the workers' time"), "{sweep}");
    }

    #[test]
    fn bench_has_one_subcommand_per_table() {
        for args in [&["ratio", "--quick"][..], &["scaling", "1,2", "--repeat", "1"], &["table", "--threads", "2"]] {
            let cli = Cli::try_parse_from(["clairaut", "bench"].iter().chain(args));
            assert!(matches!(cli, Ok(Cli { command: Command::Bench(_) })), "{args:?}");
        }
        assert!(Cli::try_parse_from(["clairaut", "bench", "--quick"]).is_err());
    }
}
