//! The JSON summary (`results.json`): the tidy rows as an array of objects keyed by the
//! [`COLUMNS`](super::COLUMNS) and the cell's configuration keys
//! ([`TidyRow::config`](super::TidyRow::config), values as the configuration holds them; keys
//! sorted, pretty-printed); a stable interface for other tools. A metric is a JSON number when
//! it lies in `f64`'s normal range (or is 0), else a string holding MPFR's decimal text (e.g.
//! `"2.40125e-639"`), so no reader rounds it to 0 or ∞.

use serde_json::Value as Json;

use super::tidy::{self, TidyRow};
use super::{ExportFile, Exporter};
use crate::error::Error;
use crate::results::ResultFile;

/// The JSON summary exporter.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonSummary;

/// The JSON value of tidy rows: an array of objects (a `serde_json` map, so keys sorted).
pub fn value(rows: &[TidyRow]) -> Json {
    serde_json::to_value(rows).expect("tidy rows serialize")
}

/// The JSON text of tidy rows (pretty-printed, with a final newline).
pub fn write(rows: &[TidyRow]) -> String {
    let mut s = serde_json::to_string_pretty(&value(rows)).expect("serializable");
    s.push('\n');
    s
}

impl Exporter for JsonSummary {
    fn export(&self, results: &[ResultFile]) -> Result<Vec<ExportFile>, Error> {
        Ok(vec![ExportFile::new("results.json", write(&tidy::rows(results)?))])
    }
}
