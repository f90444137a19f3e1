//! `clairaut export RESULTS --format csv|md|tex|json|svg [--out DIR]`: tables and figures from
//! result files only.

use std::path::PathBuf;

use clap::Args;

use crate::error::Error;
use crate::export;

/// Options of `clairaut export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Folder of result files.
    pub results: PathBuf,
    /// csv, md, tex, json, svg (figures) or npy (stored matrices); svg and npy need --out.
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Output folder (default: print to standard output).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Runs `clairaut export`.
pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let results = export::read_dir(&args.results)?;
    if args.format == "svg" {
        let dir = args.out.as_ref().ok_or_else(|| Error::Option { option: "--out".into(), message: "SVG figures need an output folder".into() })?;
        std::fs::create_dir_all(dir)?;
        let mut figs = export::figures(&results);
        figs.extend(export::heatmaps(&results));
        if figs.is_empty() {
            println!("no figure: the results vary neither in precision, nor in FD step, nor in size");
        }
        for (name, svg) in figs {
            let path = dir.join(name);
            crate::results::write_atomic(&path, svg.as_bytes())?;
            println!("wrote {}", path.display());
        }
        return Ok(());
    }
    if args.format == "npy" {
        let dir = args.out.as_ref().ok_or_else(|| Error::Option { option: "--out".into(), message: ".npy matrices need an output folder".into() })?;
        std::fs::create_dir_all(dir)?;
        let mut n = 0;
        for r in &results {
            for (name, v, p) in export::stored_matrices(r) {
                let path = dir.join(format!("{name}.npy"));
                crate::results::write_atomic(&path, &crate::results::matrix::npy_bytes(&v, &[p as u64, p as u64]))?;
                n += 1;
            }
        }
        println!("wrote {n} matrices to {} (only cells run with store_matrices = true have them)", dir.display());
        return Ok(());
    }
    let (text, name) = match args.format.as_str() {
        "csv" => (export::csv(&results), "results.csv"),
        "md" => (export::markdown(&results), "results.md"),
        "tex" => (export::latex(&results), "results.tex"),
        "json" => (export::json(&results), "results.json"),
        other => {
            return Err(Error::Option { option: "--format".into(), message: format!("unknown format `{other}` (expected csv, md, tex, json, svg or npy)") }.into())
        }
    };
    match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            let path = dir.join(name);
            crate::results::write_atomic(&path, text.as_bytes())?;
            println!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}
