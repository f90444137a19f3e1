//! The LaTeX table (`results.tex`, booktabs): the [`TABLE`] columns, numbers short
//! ([`Field::short`]), `_ % #` escaped. For reading; its layout may change.

use super::tidy::{self, Field, TidyRow, TABLE};
use super::{ExportFile, Exporter};
use crate::error::Error;
use crate::results::ResultFile;

/// The LaTeX table exporter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Latex;

fn esc(s: &str) -> String {
    s.replace('_', "\\_").replace('%', "\\%").replace('#', "\\#")
}

/// The LaTeX (booktabs) table of tidy rows.
pub fn write(rows: &[TidyRow]) -> String {
    let mut s = format!("\\begin{{tabular}}{{{}}}\n\\toprule\n", "l".repeat(TABLE.len()));
    s.push_str(&TABLE.map(|t| esc(t.0)).join(" & "));
    s.push_str(" \\\\\n\\midrule\n");
    for row in rows {
        let cells: Vec<String> = TABLE.iter().map(|(_, get)| esc(&Field::short(&get(row)))).collect();
        s.push_str(&cells.join(" & "));
        s.push_str(" \\\\\n");
    }
    s.push_str("\\bottomrule\n\\end{tabular}\n");
    s
}

impl Exporter for Latex {
    fn export(&self, results: &[ResultFile]) -> Result<Vec<ExportFile>, Error> {
        Ok(vec![ExportFile::new("results.tex", write(&tidy::rows(results)?))])
    }
}
