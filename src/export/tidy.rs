//! The tidy rows every table export writes: one [`TidyRow`] per cell × method × precision ×
//! order × FMA, built from a result file's typed analysis record ([`record::Analysis`], one
//! [`record::Row`] each), its configuration and its problem — nothing is recomputed.
//!
//! A row's values are typed; [`Field`] is one value as a table shows it, and [`TIDY`] lists the
//! columns of the tidy CSV with the accessor of each, in order ([`COLUMNS`] are their names).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::results::record::{self, finite_or_null, Metric};
use crate::results::ResultFile;

/// One tidy row: a result file's cell (configuration and problem) and one row of its analysis.
/// Serialized (the JSON export) with the [`COLUMNS`] as keys.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TidyRow {
    /// The cell's id (first 16 hex digits of its configuration hash).
    pub cell: String,
    /// The experiment's name.
    pub experiment: String,
    /// Layer widths joined by `-` (e.g. `4-8-3`).
    pub layers: String,
    /// Activation names joined by `-`.
    pub activations: String,
    /// Loss name.
    pub loss: String,
    /// Number of samples.
    pub n: usize,
    /// Number of parameters P.
    pub p: usize,
    /// Method (canonical name).
    pub method: String,
    /// Precision (canonical name).
    pub precision: String,
    /// Summation order (canonical name).
    pub order: String,
    /// FMA policy: true for `fma`.
    pub fma: bool,
    /// Step rule (finite differences only).
    pub step: Option<String>,
    /// ‖H − T‖_F / ‖T‖_F.
    pub error_rel_fro: Metric,
    /// max over T_ij ≠ 0 of |H_ij − T_ij| / |T_ij|.
    pub error_max_rel: Metric,
    /// ‖H − Hᵀ‖_F / ‖H‖_F.
    pub asym_rel_fro: Metric,
    /// max_{i<j} |H_ij − H_ji|.
    pub asym_max_abs: Metric,
    /// Fraction of pairs i < j with H_ij ≠ H_ji bitwise (NaN when not finite: empty / `null`).
    #[serde(serialize_with = "finite_or_null::serialize")]
    pub asym_pairs_fraction: f64,
    /// Minimum of significant bits per entry.
    pub sigbits_min: u32,
    /// Median of significant bits per entry.
    pub sigbits_median: u32,
    /// Rounding part, total.
    pub rounding_total: Metric,
    /// Rounding part, its share of the asymmetry.
    pub rounding_antisym: Metric,
    /// Approximation part, total.
    pub approximation_total: Metric,
    /// Approximation part, its share of the asymmetry.
    pub approximation_antisym: Metric,
    /// Order part, total.
    pub order_total: Metric,
    /// Order part, its share of the asymmetry.
    pub order_antisym: Metric,
    /// Input-quantization part, total.
    pub input_total: Metric,
    /// Input-quantization part, its share of the asymmetry.
    pub input_antisym: Metric,
    /// ‖(H − T) − Σ parts‖_F / ‖T‖_F.
    pub residual: Metric,
    /// Which cause dominates the asymmetry.
    pub asym_dominant: String,
    /// Whether the truth is certified to the bits this precision needs.
    pub certified: bool,
    /// The truth's certified bits, minimum over entries.
    pub truth_certified_bits_min: u32,
}

/// One value of a tidy row as a table shows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Field<'a> {
    /// No value (no step rule; a non-finite plain number).
    Empty,
    /// Text, including MPFR's decimal text of a number beyond `f64`'s range.
    Text(&'a str),
    /// An integer.
    Int(u64),
    /// A number stored as an `f64`.
    Float(f64),
    /// A flag.
    Bool(bool),
}

impl<'a> Field<'a> {
    /// In full (the CSV): floats as `{:e}` (shortest round-trip digits), the rest as stored.
    pub fn full(&self) -> String {
        match *self {
            Field::Empty => String::new(),
            Field::Text(s) => s.to_string(),
            Field::Int(i) => i.to_string(),
            Field::Float(f) => format!("{f:e}"),
            Field::Bool(b) => b.to_string(),
        }
    }

    /// Short (the reading tables): floats with 3 significant digits (`{:.2e}`), the rest in full.
    pub fn short(&self) -> String {
        match *self {
            Field::Float(f) => format!("{f:.2e}"),
            _ => self.full(),
        }
    }

    /// A metric: its `f64`, or its decimal text.
    pub fn metric(m: &'a Metric) -> Field<'a> {
        match m {
            Metric::Value(v) => Field::Float(*v),
            Metric::Text(s) => Field::Text(s),
        }
    }

    fn plain(x: f64) -> Field<'a> {
        if x.is_finite() {
            Field::Float(x)
        } else {
            Field::Empty
        }
    }
}

/// The value of a metric as a number: its `f64`, or its decimal text parsed (`None` when that
/// does not parse).
pub fn metric_f64(m: &Metric) -> Option<f64> {
    match m {
        Metric::Value(v) => Some(*v),
        Metric::Text(s) => s.parse().ok(),
    }
}

/// Reads one column of a tidy row.
pub type Accessor = fn(&TidyRow) -> Field<'_>;

/// The columns of the tidy CSV, in order, each with its accessor (a table written as code).
pub const TIDY: [(&str, Accessor); 31] = [
    ("cell", |r| Field::Text(&r.cell)),
    ("experiment", |r| Field::Text(&r.experiment)),
    ("layers", |r| Field::Text(&r.layers)),
    ("activations", |r| Field::Text(&r.activations)),
    ("loss", |r| Field::Text(&r.loss)),
    ("n", |r| Field::Int(r.n as u64)),
    ("p", |r| Field::Int(r.p as u64)),
    ("method", |r| Field::Text(&r.method)),
    ("precision", |r| Field::Text(&r.precision)),
    ("order", |r| Field::Text(&r.order)),
    ("fma", |r| Field::Bool(r.fma)),
    ("step", |r| r.step.as_deref().map_or(Field::Empty, Field::Text)),
    ("error_rel_fro", |r| Field::metric(&r.error_rel_fro)),
    ("error_max_rel", |r| Field::metric(&r.error_max_rel)),
    ("asym_rel_fro", |r| Field::metric(&r.asym_rel_fro)),
    ("asym_max_abs", |r| Field::metric(&r.asym_max_abs)),
    ("asym_pairs_fraction", |r| Field::plain(r.asym_pairs_fraction)),
    ("sigbits_min", |r| Field::Int(u64::from(r.sigbits_min))),
    ("sigbits_median", |r| Field::Int(u64::from(r.sigbits_median))),
    ("rounding_total", |r| Field::metric(&r.rounding_total)),
    ("rounding_antisym", |r| Field::metric(&r.rounding_antisym)),
    ("approximation_total", |r| Field::metric(&r.approximation_total)),
    ("approximation_antisym", |r| Field::metric(&r.approximation_antisym)),
    ("order_total", |r| Field::metric(&r.order_total)),
    ("order_antisym", |r| Field::metric(&r.order_antisym)),
    ("input_total", |r| Field::metric(&r.input_total)),
    ("input_antisym", |r| Field::metric(&r.input_antisym)),
    ("residual", |r| Field::metric(&r.residual)),
    ("asym_dominant", |r| Field::Text(&r.asym_dominant)),
    ("certified", |r| Field::Bool(r.certified)),
    ("truth_certified_bits_min", |r| Field::Int(u64::from(r.truth_certified_bits_min))),
];

/// Columns of the tidy CSV, in order (the names of [`TIDY`]).
pub const COLUMNS: [&str; 31] = {
    let mut names = [""; 31];
    let mut i = 0;
    while i < names.len() {
        names[i] = TIDY[i].0;
        i += 1;
    }
    names
};

/// The columns of the reading tables (Markdown, LaTeX): header and accessor.
pub const TABLE: [(&str, Accessor); 11] = [
    ("layers", |r| Field::Text(&r.layers)),
    ("activations", |r| Field::Text(&r.activations)),
    ("method", |r| Field::Text(&r.method)),
    ("precision", |r| Field::Text(&r.precision)),
    ("order", |r| Field::Text(&r.order)),
    ("error", |r| Field::metric(&r.error_rel_fro)),
    ("asymmetry", |r| Field::metric(&r.asym_rel_fro)),
    ("rounding (antisym)", |r| Field::metric(&r.rounding_antisym)),
    ("approx. (antisym)", |r| Field::metric(&r.approximation_antisym)),
    ("input", |r| Field::metric(&r.input_total)),
    ("asym. from", |r| Field::Text(&r.asym_dominant)),
];

/// The part of a result's problem the tidy rows show (the rest of the problem is ignored).
#[derive(Deserialize)]
struct ProblemHead {
    layers: Vec<u64>,
    activations: Vec<String>,
    loss: String,
    x: Vec<serde::de::IgnoredAny>,
}

/// What the rows of one result file share: its cell and problem, and the truth's summary.
struct Shared {
    cell: String,
    experiment: String,
    layers: String,
    activations: String,
    loss: String,
    n: usize,
    p: usize,
    truth_certified_bits_min: u32,
}

/// The tidy rows of one result file, in the order of its analysis rows. `path` names the file
/// in errors.
pub fn rows_at(r: &ResultFile, path: &Path) -> Result<Vec<TidyRow>, Error> {
    let bad = |field: &str, message: String| Error::Field { path: path.to_path_buf(), field: field.into(), message };
    let a = r.analysis.clone();
    let problem: ProblemHead = r.problem.deserialized().map_err(|e| bad("problem", format!("malformed problem: {}", crate::error::cbor_value(&e))))?;
    let shared = Shared {
        cell: r.config.id(),
        experiment: r.experiment.clone(),
        layers: problem.layers.iter().map(u64::to_string).collect::<Vec<_>>().join("-"),
        activations: problem.activations.join("-"),
        loss: problem.loss,
        n: problem.x.len(),
        p: a.p,
        truth_certified_bits_min: a.truth.certified_bits_min,
    };
    Ok(a.rows.into_iter().map(|row| tidy(row, &shared)).collect())
}

/// The tidy rows of one result file (errors name it `<experiment>/<cell>.cbor`).
pub fn rows_of(r: &ResultFile) -> Result<Vec<TidyRow>, Error> {
    rows_at(r, Path::new(&format!("{}/{}.cbor", r.experiment, r.config.id())))
}

/// The tidy rows of all results, file after file.
pub fn rows(results: &[ResultFile]) -> Result<Vec<TidyRow>, Error> {
    let mut out = Vec::new();
    for r in results {
        out.extend(rows_of(r)?);
    }
    Ok(out)
}

fn tidy(row: record::Row, s: &Shared) -> TidyRow {
    let record::Attribution { rounding, approximation, order, input } = row.attribution;
    TidyRow {
        cell: s.cell.clone(),
        experiment: s.experiment.clone(),
        layers: s.layers.clone(),
        activations: s.activations.clone(),
        loss: s.loss.clone(),
        n: s.n,
        p: s.p,
        method: row.method,
        precision: row.precision,
        order: row.order,
        fma: row.fma,
        step: row.step,
        error_rel_fro: row.error_rel_fro,
        error_max_rel: row.error_max_rel,
        asym_rel_fro: row.asym_rel_fro,
        asym_max_abs: row.asym_max_abs,
        asym_pairs_fraction: row.asym_pairs_fraction,
        sigbits_min: row.sigbits_min,
        sigbits_median: row.sigbits_median,
        rounding_total: rounding.total,
        rounding_antisym: rounding.antisym,
        approximation_total: approximation.total,
        approximation_antisym: approximation.antisym,
        order_total: order.total,
        order_antisym: order.antisym,
        input_total: input.total,
        input_antisym: input.antisym,
        residual: row.residual,
        asym_dominant: row.asym_dominant,
        certified: row.certified,
        truth_certified_bits_min: s.truth_certified_bits_min,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON keys of a tidy row are exactly the CSV columns.
    #[test]
    fn serialized_keys_are_the_columns() {
        let m = |x: f64| Metric::Value(x);
        let part = |x: f64| (m(x), m(x / 2.0));
        let ((rt, ra), (at, aa), (ot, oa), (it, ia)) = (part(1e-7), part(2e-9), part(0.0), part(3e-8));
        let row = TidyRow {
            cell: "c".into(), experiment: "e".into(), layers: "2-3-2".into(), activations: "tanh-identity".into(), loss: "mse".into(),
            n: 3, p: 17, method: "rev-rev".into(), precision: "f32".into(), order: "sequential".into(), fma: false, step: None,
            error_rel_fro: m(1e-7), error_max_rel: m(2e-6), asym_rel_fro: Metric::Text("2.40125e-639".into()), asym_max_abs: m(0.0),
            asym_pairs_fraction: f64::NAN, sigbits_min: 20, sigbits_median: 23, rounding_total: rt, rounding_antisym: ra,
            approximation_total: at, approximation_antisym: aa, order_total: ot, order_antisym: oa, input_total: it, input_antisym: ia,
            residual: m(0.0), asym_dominant: "rounding".into(), certified: true, truth_certified_bits_min: 200,
        };
        let serde_json::Value::Object(map) = serde_json::to_value(&row).unwrap() else { panic!("an object") };
        let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
        let mut columns = COLUMNS.to_vec();
        keys.sort_unstable();
        columns.sort_unstable();
        assert_eq!(keys, columns);
        assert_eq!(map["asym_pairs_fraction"], serde_json::Value::Null);
        assert_eq!(TIDY[16].1(&row), Field::Empty);
        assert_eq!(TIDY[14].1(&row).full(), "2.40125e-639");
        assert_eq!(TIDY[12].1(&row).full(), "1e-7");
        assert_eq!(TIDY[12].1(&row).short(), "1.00e-7");
        assert_eq!(TIDY[10].1(&row).full(), "false");
        assert_eq!(COLUMNS[0], "cell");
        assert_eq!(COLUMNS[30], "truth_certified_bits_min");
    }
}
