//! The tidy CSV (`results.csv`): a header of [`COLUMNS`](super::COLUMNS), then one line per
//! tidy row, every value in full ([`Field::full`]). Written with the `csv` crate, so a value
//! holding a delimiter, a quote or a line break is quoted (quotes doubled) and reads back as it
//! was; a stable interface for other tools.

use super::tidy::{self, Field, TidyRow, TIDY};
use super::{ExportFile, Exporter};
use crate::error::Error;
use crate::results::ResultFile;

/// The tidy CSV exporter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Csv;

/// The CSV text of tidy rows.
pub fn write(rows: &[TidyRow]) -> String {
    let mut w = ::csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(TIDY.iter().map(|(name, _)| *name)).expect("in-memory CSV");
    for row in rows {
        let fields: Vec<String> = TIDY.iter().map(|(_, get)| Field::full(&get(row))).collect();
        w.write_record(&fields).expect("in-memory CSV");
    }
    let bytes = w.into_inner().map_err(|e| e.into_error()).expect("in-memory CSV");
    String::from_utf8(bytes).expect("UTF-8 fields give UTF-8 CSV")
}

impl Exporter for Csv {
    fn export(&self, results: &[ResultFile]) -> Result<Vec<ExportFile>, Error> {
        Ok(vec![ExportFile::new("results.csv", write(&tidy::rows(results)?))])
    }
}
