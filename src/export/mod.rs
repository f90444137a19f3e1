//! Exports derived only from result files (nothing is recomputed): one [`Exporter`] per
//! [`Format`], each turning the results into named files of bytes.
//!
//! **Stable interface** for other tools: the tidy CSV (`results.csv`, one row per
//! cell × method × precision × order × fma; the fixed columns [`COLUMNS`], then every
//! configuration key of the cells, then `<metric>_exact` text columns for values beyond `f64`'s
//! range) and the JSON summary (`results.json`, the same rows as objects). The Markdown and
//! LaTeX tables are for reading (every key that varies between rows, then the metrics) and may
//! change layout; the figures (SVG, PNG) and stored matrices (`.npy`) are named per cell.
//!
//! Layout: [`tidy`] builds the typed tidy rows from the result records
//! ([`crate::results::record`]); [`csv`](mod@csv), [`markdown`](mod@markdown),
//! [`latex`](mod@latex) and [`json`](mod@json) write them; [`npy`] writes the stored matrices;
//! [`figures`](mod@figures) draws the SVG figures.

pub mod csv;
pub mod figures;
pub mod json;
pub mod latex;
pub mod markdown;
pub mod npy;
pub mod tidy;

use std::path::Path;


use crate::error::Error;
use crate::results::ResultFile;

pub use tidy::{TidyRow, COLUMNS};

/// One file of an export: its name (no folder) and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportFile {
    /// File name, e.g. `results.csv`.
    pub name: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

impl ExportFile {
    /// A file from its name and contents.
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> ExportFile {
        ExportFile { name: name.into(), bytes: bytes.into() }
    }
}

/// Turns result files into export files; one implementation per [`Format`].
pub trait Exporter {
    /// The files of this format for `results` (a table format gives exactly one; figures and
    /// matrices give one per figure or matrix, possibly none).
    fn export(&self, results: &[ResultFile]) -> Result<Vec<ExportFile>, Error>;
}

/// An export format (`clairaut export --format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tidy CSV (stable interface).
    Csv,
    /// Markdown table.
    #[value(name = "md")]
    Markdown,
    /// LaTeX (booktabs) table.
    #[value(name = "tex")]
    Latex,
    /// JSON summary (stable interface).
    Json,
    /// SVG figures (needs an output folder).
    Svg,
    /// Stored matrices as .npy (needs an output folder).
    Npy,
    /// The SVG figures rasterized as PNG (needs an output folder).
    Png,
}

impl Format {
    /// Its exporter.
    pub fn exporter(self) -> Box<dyn Exporter> {
        match self {
            Format::Csv => Box::new(csv::Csv),
            Format::Markdown => Box::new(markdown::Markdown),
            Format::Latex => Box::new(latex::Latex),
            Format::Json => Box::new(json::JsonSummary),
            Format::Svg => Box::new(figures::Svg),
            Format::Png => Box::new(figures::Png),
            Format::Npy => Box::new(npy::Npy),
        }
    }

    /// Whether it is one table, which can go to standard output (else a set of files that
    /// needs a folder).
    pub fn is_table(self) -> bool {
        matches!(self, Format::Csv | Format::Markdown | Format::Latex | Format::Json)
    }
}

/// Reads every result file in `dir` (sorted by name), refusing foreign ones: see
/// [`read_dir_with`].
pub fn read_dir(dir: &Path) -> Result<Vec<ResultFile>, Error> {
    read_dir_with(dir, false)
}

/// Reads every result file in `dir` (sorted by name), verifying each ([`ResultFile::read`]) and
/// checking that its analysis and problem decode into the records the exports read. Unless
/// `allow_foreign`, every file must be named by its configuration's id and all must be of one
/// experiment (the one most files are of; a tie goes to the first file's): a file copied or
/// renamed from another cell, or another experiment's result, is refused, naming it.
pub fn read_dir_with(dir: &Path, allow_foreign: bool) -> Result<Vec<ResultFile>, Error> {
    let files = crate::results::files_in(dir)?;
    if files.is_empty() {
        return Err(Error::Io { path: dir.to_path_buf(), message: "no result files (*.cbor)".into() });
    }
    let mut out = Vec::with_capacity(files.len());
    for f in &files {
        let r = ResultFile::read(f)?;
        tidy::rows_at(&r, f)?;
        out.push(r);
    }
    if !allow_foreign {
        let experiment = majority(out.iter().map(|r| r.experiment.as_str()));
        for (f, r) in files.iter().zip(&out) {
            r.check_identity(f, Some(experiment)).map_err(|d| {
                let Error::Field { path, field, message } = d.at(f) else { unreachable!("a defect is a field error") };
                Error::Field { path, field, message: format!("{message} (`export --allow-foreign` reads it all the same)") }
            })?;
        }
    }
    Ok(out)
}

/// The most frequent name; a tie goes to the first seen.
fn majority<'a>(names: impl Iterator<Item = &'a str>) -> &'a str {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for n in names {
        match counts.iter_mut().find(|(m, _)| *m == n) {
            Some((_, c)) => *c += 1,
            None => counts.push((n, 1)),
        }
    }
    let best = counts.iter().map(|(_, c)| *c).max().unwrap_or(0);
    counts.iter().find(|(_, c)| *c == best).map(|(n, _)| *n).unwrap_or("")
}
