//! `clairaut export RESULTS --format csv|md|tex|json|svg|npy|png [--out DIR]`: tables, figures and
//! stored matrices from result files only (the exporters are [`crate::export`]). Every file is
//! verified (digest); foreign files are refused unless `--allow-foreign`.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;

use crate::error::Error;
use crate::export::{self, Format};

/// Options of `clairaut export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Folder of result files.
    pub results: PathBuf,
    /// Output format; svg and png (figures) and npy (stored matrices) need --out.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Output folder (default: print a table to standard output).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Export files that are not this folder's own too: results of another experiment, and
    /// files whose name is not their configuration's id (refused by default).
    #[arg(long)]
    pub allow_foreign: bool,
}

/// Runs `clairaut export`.
pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let results = export::read_dir_with(&args.results, args.allow_foreign)?;
    let Some(dir) = &args.out else {
        if !args.format.is_table() {
            let what = if args.format == Format::Svg { "SVG figures" } else { ".npy matrices" };
            return Err(Error::Option { option: "--out".into(), message: format!("{what} need an output folder") }.into());
        }
        for file in args.format.exporter().export(&results)? {
            std::io::stdout().write_all(&file.bytes)?;
        }
        return Ok(());
    };
    std::fs::create_dir_all(dir)?;
    let files = args.format.exporter().export(&results)?;
    if args.format == Format::Svg && files.is_empty() {
        println!("no figure: the results vary neither in precision, nor in FD step, nor in size");
    }
    for file in &files {
        let path = dir.join(&file.name);
        crate::results::write_atomic(&path, &file.bytes)?;
        if args.format != Format::Npy {
            println!("wrote {}", path.display());
        }
    }
    if args.format == Format::Npy {
        println!("wrote {} matrices to {} (only cells run with store_matrices = true have them)", files.len(), dir.display());
    }
    Ok(())
}
