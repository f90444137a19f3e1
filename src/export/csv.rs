//! The tidy CSV (`results.csv`): a header of [`tidy::csv_columns`] — the fixed
//! [`COLUMNS`](super::COLUMNS), then every configuration key of the cells (sorted), then a
//! `<column>_exact` column for each metric with a value beyond `f64`'s range — and one line per
//! tidy row, every value in full ([`Field::full`](tidy::Field::full)). A value beyond `f64`'s
//! range is left empty in its numeric column (a reader would round 2.4e-639 to 0) and written as
//! MPFR's decimal text in its `_exact` column. Written with the `csv` crate, so a value holding
//! a delimiter, a quote or a line break is quoted (quotes doubled) and reads back as it was; a
//! stable interface for other tools (README, "Export columns").

use super::tidy::{self, TidyRow};
use super::{ExportFile, Exporter};
use crate::error::Error;
use crate::results::ResultFile;

/// The tidy CSV exporter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Csv;

/// The CSV text of tidy rows.
pub fn write(rows: &[TidyRow]) -> String {
    let mut w = ::csv::WriterBuilder::new().from_writer(Vec::new());
    let cols = tidy::csv_columns(rows);
    w.write_record(cols.iter().map(tidy::Column::name)).expect("in-memory CSV");
    for row in rows {
        let fields: Vec<String> = cols.iter().map(|c| c.csv(row)).collect();
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
