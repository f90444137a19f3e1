//! The Markdown table (`results.md`): the [`table_columns`] — every key that varies between the
//! rows (method and precision always; order, FMA, step, loss, n, math, data, weights… when they
//! differ), then the metrics — numbers short ([`Field::short`]) and right-aligned. Rows in
//! [`tidy::rows`]' order (by the cells' configuration, not by hash). For reading; its layout
//! may change.

use super::tidy::{self, table_columns, Column, Field, TidyRow};
use super::{ExportFile, Exporter};
use crate::error::Error;
use crate::results::ResultFile;

/// The Markdown table exporter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Markdown;

/// The longest text a reading table shows of a configuration value (longer ones end in `…`;
/// the CSV and JSON hold them in full).
pub const MAX_CELL: usize = 40;

/// A cell of a reading table: [`Field::short`], cut to [`MAX_CELL`] characters.
pub fn cell(f: Field<'_>) -> String {
    let s = f.short();
    if s.chars().count() > MAX_CELL {
        s.chars().take(MAX_CELL - 1).chain(['…']).collect()
    } else {
        s
    }
}

/// Whether every non-empty value of a column is a number (the column is right-aligned).
pub fn numeric(rows: &[TidyRow], c: &Column) -> bool {
    rows.iter().map(|r| c.get(r)).filter(|f| *f != Field::Empty).all(|f| f.is_number())
}

/// The Markdown table of tidy rows.
pub fn write(rows: &[TidyRow]) -> String {
    let cols = table_columns(rows);
    let heads: Vec<&str> = cols.iter().map(|(h, _)| h.as_str()).collect();
    let rule: String = cols.iter().map(|(_, c)| if numeric(rows, c) { "---:|" } else { "---|" }).collect();
    let mut s = format!("| {} |\n|{rule}\n", heads.join(" | "));
    for row in rows {
        let cells: Vec<String> = cols.iter().map(|(_, c)| cell(c.get(row)).replace('|', "\\|")).collect();
        s.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    s
}

impl Exporter for Markdown {
    fn export(&self, results: &[ResultFile]) -> Result<Vec<ExportFile>, Error> {
        Ok(vec![ExportFile::new("results.md", write(&tidy::rows(results)?))])
    }
}
