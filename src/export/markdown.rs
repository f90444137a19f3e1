//! The Markdown table (`results.md`): the [`TABLE`] columns, numbers short ([`Field::short`]).
//! For reading; its layout may change.

use super::tidy::{self, Field, TidyRow, TABLE};
use super::{ExportFile, Exporter};
use crate::error::Error;
use crate::results::ResultFile;

/// The Markdown table exporter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Markdown;

/// The Markdown table of tidy rows.
pub fn write(rows: &[TidyRow]) -> String {
    let mut s = format!("| {} |\n|{}\n", TABLE.map(|t| t.0).join(" | "), "---|".repeat(TABLE.len()));
    for row in rows {
        let cells: Vec<String> = TABLE.iter().map(|(_, get)| Field::short(&get(row))).collect();
        s.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    s
}

impl Exporter for Markdown {
    fn export(&self, results: &[ResultFile]) -> Result<Vec<ExportFile>, Error> {
        Ok(vec![ExportFile::new("results.md", write(&tidy::rows(results)?))])
    }
}
