//! The LaTeX table (`results.tex`, booktabs and siunitx): the same columns and rows as the
//! Markdown table ([`table_columns`]: every key that varies between the rows, then the
//! metrics). Numeric columns are right-aligned (`r`) with every number in `\num{…}` (siunitx:
//! `2.40e-7` prints as 2.40 × 10⁻⁷, in math mode); text columns are `l`, escaped for LaTeX. The
//! document needs `\usepackage{booktabs}` and `\usepackage{siunitx}` (a comment line says so).
//! For reading; its layout may change.

use super::markdown::{cell, numeric};
use super::tidy::{self, table_columns, Field, TidyRow};
use super::{ExportFile, Exporter};
use crate::error::Error;
use crate::results::ResultFile;

/// The LaTeX table exporter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Latex;

/// Text escaped for LaTeX (`\ { } _ % # & $ ^ ~`).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '_' | '%' | '#' | '&' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '^' => out.push_str("\\textasciicircum{}"),
            '~' => out.push_str("\\textasciitilde{}"),
            _ => out.push(c),
        }
    }
    out
}

/// A value as a LaTeX table cell: a number in `\num{…}`, text escaped, nothing when empty.
fn tex_cell(f: Field<'_>) -> String {
    match f {
        Field::Empty => String::new(),
        Field::Bool(_) => esc(&f.full()),
        f if f.is_number() => format!("\\num{{{}}}", f.short()),
        f => esc(&cell(f)),
    }
}

/// The LaTeX (booktabs, siunitx) table of tidy rows.
pub fn write(rows: &[TidyRow]) -> String {
    let cols = table_columns(rows);
    let spec: String = cols.iter().map(|(_, c)| if numeric(rows, c) { 'r' } else { 'l' }).collect();
    let mut s = format!("% needs \\usepackage{{booktabs}} and \\usepackage{{siunitx}}\n\\begin{{tabular}}{{{spec}}}\n\\toprule\n");
    s.push_str(&cols.iter().map(|(h, _)| esc(h)).collect::<Vec<_>>().join(" & "));
    s.push_str(" \\\\\n\\midrule\n");
    for row in rows {
        let cells: Vec<String> = cols.iter().map(|(_, c)| tex_cell(c.get(row))).collect();
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
