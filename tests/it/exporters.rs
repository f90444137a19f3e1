//! Issue 12: every export format goes through the one `Exporter` trait, and the tidy CSV is
//! real CSV (written with the `csv` crate: a name holding `,` `"` or a line break reads back
//! as it was). The bytes themselves are pinned by the snapshot tests of `tests/sweep.rs`.
//!
//! Issue 16: the exports keep every key that varies (CSV columns derived from the cells'
//! configurations; reading tables show every varying key), values beyond `f64`'s range survive
//! as exact text, the LaTeX is siunitx-shaped, and the figures give every series its own style,
//! keep the legend on the canvas, tick log axes at powers of ten, mark zeros and render to PNG.

use std::path::PathBuf;

use clairaut::export::{self, tidy, Format, COLUMNS};
use clairaut::results::ResultFile;
use clap::ValueEnum;

fn results(name: &str) -> Vec<ResultFile> {
    export::read_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results").join(name)).unwrap()
}

/// The `--format` names are today's, in order.
#[test]
fn format_names_are_stable() {
    let names: Vec<String> = Format::value_variants().iter().map(|f| f.to_possible_value().unwrap().get_name().to_string()).collect();
    assert_eq!(names, ["csv", "md", "tex", "json", "svg", "npy", "png"]);
    assert_eq!(Format::from_str("tex", false), Ok(Format::Latex));
    assert!(Format::from_str("xlsx", false).is_err());
}

/// Each table format gives one file, `results.<ext>`; figures and matrices give their files by
/// name.
#[test]
fn every_format_exports_through_the_trait() {
    let r = results("precision-ladder");
    for (format, name) in [(Format::Csv, "results.csv"), (Format::Markdown, "results.md"), (Format::Latex, "results.tex"), (Format::Json, "results.json")] {
        assert!(format.is_table());
        let files = format.exporter().export(&r).unwrap();
        assert_eq!(files.len(), 1, "{format:?}");
        assert_eq!(files[0].name, name);
        assert!(std::str::from_utf8(&files[0].bytes).unwrap().lines().count() > 16, "{format:?}");
    }
    let rows = tidy::rows(&r).unwrap();
    assert_eq!(rows.len(), 16);
    let json: serde_json::Value = serde_json::from_slice(&Format::Json.exporter().export(&r).unwrap()[0].bytes).unwrap();
    assert_eq!(json.as_array().unwrap().len(), rows.len());
    for (row, tidy_row) in json.as_array().unwrap().iter().zip(&rows) {
        let mut expected: std::collections::BTreeSet<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
        expected.extend(tidy_row.config.keys().cloned());
        assert_eq!(row.as_object().unwrap().keys().cloned().collect::<std::collections::BTreeSet<_>>(), expected);
    }

    assert!(!Format::Svg.is_table());
    let svg = Format::Svg.exporter().export(&r).unwrap();
    let names: Vec<&str> = svg.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["error-asymmetry-vs-precision.svg"]);
    assert!(svg[0].bytes.starts_with(b"<?xml"));

    // committed results store no matrices
    assert!(!Format::Npy.is_table());
    assert!(Format::Npy.exporter().export(&r).unwrap().is_empty());
}

/// A value with a delimiter, a quote and a line break is quoted in the CSV and reads back
/// unchanged with the `csv` crate's reader; every other field reads back as written.
#[test]
fn csv_quotes_awkward_names_and_reads_back() {
    let mut r = results("precision-ladder");
    let awkward = "ladder, \"quoted\"\nsecond line";
    for x in &mut r {
        x.experiment = awkward.to_string();
    }
    let bytes = Format::Csv.exporter().export(&r).unwrap().remove(0).bytes;
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("\"ladder, \"\"quoted\"\"\nsecond line\""), "quoted, quotes doubled");
    let mut reader = csv::Reader::from_reader(&bytes[..]);
    let rows = tidy::rows(&r).unwrap();
    let cols = tidy::csv_columns(&rows);
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), cols.iter().map(tidy::Column::name).collect::<Vec<_>>());
    assert_eq!(reader.headers().unwrap().iter().take(COLUMNS.len()).collect::<Vec<_>>(), COLUMNS);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), rows.len());
    for (record, row) in records.iter().zip(&rows) {
        assert_eq!(&record[1], awkward);
        let expected: Vec<String> = cols.iter().map(|c| c.csv(row)).collect();
        assert_eq!(record.iter().collect::<Vec<_>>(), expected);
    }
}

/// A result file whose analysis does not decode is refused by `read_dir`, naming the file and
/// the field.
#[test]
fn a_malformed_analysis_is_an_error_naming_the_field() {
    let r = results("precision-ladder").remove(0);
    let mut raw = ciborium::Value::serialized(&r).unwrap();
    for (k, v) in raw.as_map_mut().unwrap() {
        if k.as_text() == Some("analysis") {
            *v = ciborium::Value::Text("not an analysis".into());
        }
    }
    let dir = tempfile::tempdir().unwrap();
    // sealed with a correct digest (schema 2), so that reading gets as far as the analysis
    let bytes = clairaut::results::digest::seal(raw);
    std::fs::write(dir.path().join("bad.cbor"), bytes).unwrap();
    let e = export::read_dir(dir.path()).unwrap_err().to_string();
    assert!(e.contains("bad.cbor") && e.contains("field `analysis`"), "{e}");
}
