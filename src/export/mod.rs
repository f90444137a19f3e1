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

/// Reads every result file in `dir` (sorted by name), checking that each one's analysis and
/// problem decode into the records the exports read.
pub fn read_dir(dir: &Path) -> Result<Vec<ResultFile>, Error> {
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
    Ok(out)
}
