//! The tidy rows every table export writes: one [`TidyRow`] per cell × method × precision ×
//! order × FMA, built from a result file's typed analysis record ([`record::Analysis`], one
//! [`record::Row`] each), its configuration and its problem — nothing is recomputed.
//!
//! A row's values are typed; [`Field`] is one value as a table shows it, and [`TIDY`] lists the
//! fixed columns of the tidy CSV with the accessor of each, in order ([`COLUMNS`] are their
//! names). Besides them every row carries its cell's configuration keys ([`TidyRow::config`]:
//! every key of the cell's canonical configuration that no fixed column already shows), so a
//! key added to the configuration reaches every export without a change here; [`Column`] is one
//! column of any kind, [`csv_columns`] the CSV's and [`varying`] those that distinguish rows.
//!
//! A network with bias-free layers adds the key `bias` (its flags, from the problem), which no
//! other row has.
//!
//! An external Hessian of a cell ([`record::External`]) is one more row of that cell, its
//! method `external:NAME`, with a few keys of its own ([`external_row`]).
//!
//! [`rows`] orders the rows by their cells' configuration values (numbers numerically,
//! precisions by their bits, the rest as text), then in each cell's analysis order — the grid,
//! not the hash of the file name.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::error::Error;
use crate::method::{optimal_root, Method, StepRule};
use crate::results::record::{self, finite_or_null, Metric};
use crate::results::ResultFile;
use crate::scalar::Precision;

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
    /// Step rule as text (finite differences only), e.g. `fixed:1e-6`, `optimal`.
    pub step: Option<String>,
    /// The step rule's kind: `fixed`, `relative` or `optimal` (finite differences only).
    pub step_rule: Option<String>,
    /// The step rule's base h as a number: h of `fixed:<h>`/`relative:<h>`; ε^(1/k) of `optimal`
    /// (ε = 2^(1−bits), k the scheme's root; before the scaling by max(1, |θ_j|)). Empty when not
    /// a finite difference or when ε^(1/k) is below `f64`'s normal range.
    pub step_h: Option<f64>,
    /// Significand bits of the precision (with the implicit bit: f32 = 24, f64 = 53).
    pub precision_bits: Option<u32>,
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
    /// The cell's other configuration keys (its canonical configuration less the keys a fixed
    /// column shows and the lists each row expands — `methods`, `precisions`, `orders`, `fma`),
    /// values as the configuration holds them. Serialized flat, beside the fixed columns.
    #[serde(flatten)]
    pub config: BTreeMap<String, Json>,
}

/// One value of a tidy row as a table shows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Field<'a> {
    /// No value (no step rule; a non-finite plain number).
    Empty,
    /// Text.
    Text(&'a str),
    /// A number beyond `f64`'s normal range (e.g. 2.4e-639 from MPFR, a subnormal), as MPFR's
    /// decimal text: shown as is in the reading tables; in the CSV its numeric column is left
    /// empty and the text goes to the companion `<column>_exact` column ([`Column::Exact`]).
    Exact(&'a str),
    /// An integer.
    Int(u64),
    /// A number stored as an `f64`.
    Float(f64),
    /// A flag.
    Bool(bool),
    /// A configuration value: a string as is, a number as its text, an array or object as
    /// compact JSON, `null` empty.
    Config(&'a Json),
}

impl<'a> Field<'a> {
    /// In full (the CSV): floats as `{:e}` (shortest round-trip digits), the rest as stored.
    pub fn full(&self) -> String {
        match *self {
            Field::Empty => String::new(),
            Field::Text(s) | Field::Exact(s) => s.to_string(),
            Field::Int(i) => i.to_string(),
            Field::Float(f) => format!("{f:e}"),
            Field::Bool(b) => b.to_string(),
            Field::Config(Json::Null) => String::new(),
            Field::Config(Json::String(s)) => s.clone(),
            Field::Config(v) => v.to_string(),
        }
    }

    /// Short (the reading tables): floats with 3 significant digits (`{:.2e}`), the rest in full.
    pub fn short(&self) -> String {
        match *self {
            Field::Float(f) => format!("{f:.2e}"),
            _ => self.full(),
        }
    }

    /// Whether the value is a number (a float, an integer, a number beyond `f64`'s range, a
    /// numeric configuration value); empty values are neither.
    pub fn is_number(&self) -> bool {
        matches!(self, Field::Int(_) | Field::Float(_) | Field::Exact(_) | Field::Config(Json::Number(_)))
    }

    /// A metric: its `f64`, or its decimal text.
    pub fn metric(m: &'a Metric) -> Field<'a> {
        match m {
            Metric::Value(v) => Field::Float(*v),
            Metric::Text(s) => Field::Exact(s),
        }
    }

    fn plain(x: f64) -> Field<'a> {
        if x.is_finite() {
            Field::Float(x)
        } else {
            Field::Empty
        }
    }

    fn opt_f64(x: Option<f64>) -> Field<'a> {
        x.map_or(Field::Empty, Field::plain)
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

/// The number of fixed columns.
const N_TIDY: usize = 34;

/// The fixed columns of the tidy CSV, in order, each with its accessor (a table written as
/// code); the configuration's columns follow them ([`csv_columns`]).
pub const TIDY: [(&str, Accessor); N_TIDY] = [
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
    ("step_rule", |r| r.step_rule.as_deref().map_or(Field::Empty, Field::Text)),
    ("step_h", |r| Field::opt_f64(r.step_h)),
    ("precision_bits", |r| r.precision_bits.map_or(Field::Empty, |b| Field::Int(u64::from(b)))),
];

/// Fixed columns of the tidy CSV, in order (the names of [`TIDY`]).
pub const COLUMNS: [&str; N_TIDY] = {
    let mut names = [""; N_TIDY];
    let mut i = 0;
    while i < names.len() {
        names[i] = TIDY[i].0;
        i += 1;
    }
    names
};

/// Configuration keys that are lists each analysis row expands into one value (its method,
/// precision, order, FMA policy): the row's own value is in a fixed column.
pub const EXPANDED: [&str; 4] = ["methods", "precisions", "orders", "fma"];

/// One column of an export: a fixed column, a configuration key, or the exact decimal text of
/// a fixed column's values beyond `f64`'s range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Column {
    /// The fixed column `TIDY[i]`.
    Tidy(usize),
    /// A key of the cells' configurations ([`TidyRow::config`]).
    Config(String),
    /// `<TIDY[i]>_exact`: the MPFR decimal text of the values of `TIDY[i]` that lie beyond
    /// `f64`'s normal range (empty for the others).
    Exact(usize),
}

impl Column {
    /// The column's name (its CSV header).
    pub fn name(&self) -> String {
        match self {
            Column::Tidy(i) => TIDY[*i].0.to_string(),
            Column::Config(k) => k.clone(),
            Column::Exact(i) => format!("{}_exact", TIDY[*i].0),
        }
    }

    /// The column's value in a row (a fixed column as [`TIDY`] reads it, whatever its range).
    pub fn get<'a>(&self, r: &'a TidyRow) -> Field<'a> {
        match self {
            Column::Tidy(i) => TIDY[*i].1(r),
            Column::Config(k) => r.config.get(k).map_or(Field::Empty, Field::Config),
            Column::Exact(i) => match TIDY[*i].1(r) {
                Field::Exact(s) => Field::Text(s),
                _ => Field::Empty,
            },
        }
    }

    /// The column's CSV text in a row: a number beyond `f64`'s range is left empty in its
    /// numeric column (so that a CSV reader never turns 2.4e-639 into 0) and written in full in
    /// its `_exact` column.
    pub fn csv(&self, r: &TidyRow) -> String {
        match self.get(r) {
            Field::Exact(_) => String::new(),
            f => f.full(),
        }
    }
}

/// The configuration keys of the rows, sorted.
pub fn config_keys(rows: &[TidyRow]) -> Vec<String> {
    let mut keys: Vec<String> = rows.iter().flat_map(|r| r.config.keys().cloned()).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The CSV's columns: the fixed ones ([`TIDY`]), then every configuration key of the rows
/// (sorted), then a `<column>_exact` column for each fixed column holding a value beyond
/// `f64`'s range in some row.
pub fn csv_columns(rows: &[TidyRow]) -> Vec<Column> {
    let mut cols: Vec<Column> = (0..N_TIDY).map(Column::Tidy).collect();
    cols.extend(config_keys(rows).into_iter().map(Column::Config));
    cols.extend((0..N_TIDY).filter(|&i| rows.iter().any(|r| matches!(TIDY[i].1(r), Field::Exact(_)))).map(Column::Exact));
    cols
}

/// The identity columns of the reading tables, in order: what a row was computed from (the
/// fixed ones that describe a cell or a row, then the configuration keys).
const IDENTITY: [&str; 11] = ["experiment", "layers", "activations", "loss", "n", "p", "method", "precision", "order", "fma", "step"];

/// The metric columns of the reading tables: header and fixed column.
pub const METRICS: [(&str, &str); 6] = [
    ("error", "error_rel_fro"),
    ("asymmetry", "asym_rel_fro"),
    ("rounding (antisym)", "rounding_antisym"),
    ("approx. (antisym)", "approximation_antisym"),
    ("input", "input_total"),
    ("asym. from", "asym_dominant"),
];

/// The index of a fixed column by name.
///
/// # Panics
/// If `name` is not one (a bug of the caller).
pub fn tidy_index(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).unwrap_or_else(|| panic!("no tidy column `{name}`"))
}

/// The identity columns whose value differs between some rows (fixed ones of [`IDENTITY`],
/// then configuration keys, e.g. `math`, `data`, `weights`, `step_rule`…), always including
/// `method` and `precision`: every key that was swept, so no two rows of a reading table look
/// alike unless their configurations are equal.
pub fn varying(rows: &[TidyRow]) -> Vec<Column> {
    let fixed = IDENTITY.iter().map(|n| Column::Tidy(tidy_index(n)));
    let keys = config_keys(rows).into_iter().map(Column::Config);
    fixed
        .chain(keys)
        .filter(|c| {
            let name = c.name();
            if name == "method" || name == "precision" {
                return true;
            }
            let mut values = rows.iter().map(|r| c.get(r).full());
            let first = values.next();
            values.any(|v| Some(v) != first)
        })
        .collect()
}

/// The columns of the reading tables (Markdown, LaTeX): header and column — the [`varying`]
/// keys, then the [`METRICS`].
pub fn table_columns(rows: &[TidyRow]) -> Vec<(String, Column)> {
    let mut cols: Vec<(String, Column)> = varying(rows).into_iter().map(|c| (c.name(), c)).collect();
    cols.extend(METRICS.iter().map(|(h, n)| (h.to_string(), Column::Tidy(tidy_index(n)))));
    cols
}

/// The part of a result's problem the tidy rows show (the rest of the problem is ignored).
#[derive(Deserialize)]
struct ProblemHead {
    layers: Vec<u64>,
    activations: Vec<String>,
    loss: String,
    /// Written only when some layer has no bias.
    #[serde(default)]
    bias: Option<Vec<bool>>,
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
    config: BTreeMap<String, Json>,
}

/// A cell's configuration keys that no fixed column shows: its canonical configuration (every
/// key, as serialized) less [`EXPANDED`] and the keys named like a fixed column.
fn config_map(r: &ResultFile) -> BTreeMap<String, Json> {
    let Ok(Json::Object(map)) = serde_json::to_value(&r.config) else { return BTreeMap::new() };
    map.into_iter().filter(|(k, _)| !EXPANDED.contains(&k.as_str()) && !COLUMNS.contains(&k.as_str())).collect()
}

/// The step rule's kind and base h (see [`TidyRow::step_h`]).
fn step_parts(method: &str, step: Option<&str>, bits: Option<u32>) -> (Option<String>, Option<f64>) {
    let Some(rule) = step.and_then(|s| s.parse::<StepRule>().ok()) else { return (None, None) };
    let normal = |h: f64| Some(h).filter(|h| h.is_normal());
    match rule {
        StepRule::Fixed(h) => (Some("fixed".into()), h.parse().ok().and_then(normal)),
        StepRule::Relative(h) => (Some("relative".into()), h.parse().ok().and_then(normal)),
        StepRule::Optimal => {
            let k = method.parse::<Method>().ok().and_then(optimal_root);
            let h = k.zip(bits).and_then(|(k, b)| normal(2f64.powf((1.0 - f64::from(b)) / f64::from(k))));
            (Some("optimal".into()), h)
        }
    }
}

/// The tidy rows of one result file, in the order of its analysis rows. `path` names the file
/// in errors.
pub fn rows_at(r: &ResultFile, path: &Path) -> Result<Vec<TidyRow>, Error> {
    let bad = |field: &str, message: String| Error::Field { path: path.to_path_buf(), field: field.into(), message };
    let a = r.analysis.clone();
    let problem: ProblemHead = r.problem.deserialized().map_err(|e| bad("problem", format!("malformed problem: {}", crate::error::cbor_value(&e))))?;
    let mut shared = Shared {
        cell: r.config.id(),
        experiment: r.experiment.clone(),
        layers: problem.layers.iter().map(u64::to_string).collect::<Vec<_>>().join("-"),
        activations: problem.activations.join("-"),
        loss: problem.loss,
        n: problem.x.len(),
        p: a.p,
        truth_certified_bits_min: a.truth.certified_bits_min,
        config: config_map(r),
    };
    // a problem with bias-free layers (from a problem file, or the cell's `bias`): its flags,
    // a key only such rows have
    if let Some(b) = problem.bias {
        shared.config.insert("bias".into(), Json::from(b));
    }
    let mut rows: Vec<TidyRow> = a.rows.into_iter().map(|row| tidy(row, &shared)).collect();
    rows.extend(a.externals.into_iter().map(|e| external_row(e, &shared)));
    Ok(rows)
}

/// The tidy row of an external Hessian: method `external:NAME`, its metrics (order, FMA and
/// the parts those of its nearest configuration), and the configuration keys `external_file`,
/// `nearest` (the configuration), `nearest_equal_fraction` and `nearest_max_ulp` (empty when
/// a NaN faces a number) — keys only rows of externals have, so that exports without
/// externals keep their columns.
fn external_row(e: record::External, s: &Shared) -> TidyRow {
    let r = &e.row;
    let fma = crate::scalar::FmaPolicy::from_fused(r.fma);
    let policy = if r.policy == "uniform" { String::new() } else { format!(" {}", r.policy) };
    let nearest = format!("{} {}{policy} {} {fma}", r.method, r.precision, r.order);
    let mut t = tidy(record::Row { method: format!("external:{}", e.name), ..e.row }, s);
    t.config.insert("external_file".into(), Json::from(e.file));
    t.config.insert("nearest".into(), Json::from(nearest));
    t.config.insert("nearest_equal_fraction".into(), Json::from(e.nearest.equal_fraction));
    t.config.insert("nearest_max_ulp".into(), e.nearest.max_ulp.map_or(Json::Null, Json::from));
    t
}

/// The tidy rows of one result file (errors name it `<experiment>/<cell>.cbor`).
pub fn rows_of(r: &ResultFile) -> Result<Vec<TidyRow>, Error> {
    rows_at(r, Path::new(&format!("{}/{}.cbor", r.experiment, r.config.id())))
}

/// The tidy rows of all results: the files ordered by their configuration values ([`cmp_cells`]),
/// each file's rows in its analysis order (the grid of methods × precisions × orders × FMA).
pub fn rows(results: &[ResultFile]) -> Result<Vec<TidyRow>, Error> {
    let mut cells: Vec<(BTreeMap<String, Json>, &ResultFile)> =
        results.iter().map(|r| (serde_json::to_value(&r.config).ok().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(), r)).collect();
    cells.sort_by(|a, b| cmp_cells(&a.0, &b.0));
    let mut out = Vec::new();
    for (_, r) in cells {
        out.extend(rows_of(r)?);
    }
    Ok(out)
}

/// Orders two cells' configurations key by key (keys sorted; a missing key first), each value
/// by [`cmp_values`].
pub fn cmp_cells(a: &BTreeMap<String, Json>, b: &BTreeMap<String, Json>) -> Ordering {
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter().map(|k| cmp_opt(a.get(k), b.get(k))).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
}

fn cmp_opt(a: Option<&Json>, b: Option<&Json>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => cmp_values(x, y),
        (x, y) => x.is_some().cmp(&y.is_some()),
    }
}

/// Orders two configuration values: numbers numerically, precision names by their bits, arrays
/// element by element, other strings as text (then by their JSON text, so the order is total).
pub fn cmp_values(a: &Json, b: &Json) -> Ordering {
    let num = |v: &Json| v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse::<f64>().ok()));
    let bits = |v: &Json| v.as_str().and_then(|s| s.parse::<Precision>().ok()).map(Precision::bits);
    let by_kind = match (a, b) {
        (Json::Array(x), Json::Array(y)) => {
            x.iter().zip(y).map(|(p, q)| cmp_values(p, q)).find(|o| o.is_ne()).unwrap_or_else(|| x.len().cmp(&y.len()))
        }
        _ => match (num(a), num(b), bits(a), bits(b)) {
            (Some(x), Some(y), ..) => x.total_cmp(&y),
            (.., Some(x), Some(y)) => x.cmp(&y),
            _ => Ordering::Equal,
        },
    };
    by_kind.then_with(|| a.to_string().cmp(&b.to_string()))
}

/// The row's own policy and role parts as configuration keys, for the cells of a file with
/// `policies` (then every row has `policy`, and a policy row `roles_dominant`,
/// `roles_asym_dominant` and `roles_<role>_total` / `_antisym` for each role, as numbers or
/// MPFR's text beyond `f64`'s range): keys only such files have, so other exports keep their
/// columns, and figures draw one series per policy.
fn policy_keys(row: &record::Row, config: &mut BTreeMap<String, Json>) {
    if !config.contains_key("policies") {
        return;
    }
    config.insert("policy".into(), Json::from(row.policy.clone()));
    let Some(r) = &row.roles else { return };
    let metric = |m: &Metric| match m {
        Metric::Value(v) => Json::from(*v),
        Metric::Text(t) => Json::from(t.clone()),
    };
    config.insert("roles_dominant".into(), Json::from(r.dominant.clone()));
    config.insert("roles_asym_dominant".into(), Json::from(r.asym_dominant.clone()));
    for (name, part) in [("mul", &r.mul), ("acc", &r.acc), ("out", &r.out), ("elementwise", &r.elementwise)] {
        config.insert(format!("roles_{name}_total"), metric(&part.total));
        config.insert(format!("roles_{name}_antisym"), metric(&part.antisym));
    }
}

fn tidy(row: record::Row, s: &Shared) -> TidyRow {
    let mut config = s.config.clone();
    policy_keys(&row, &mut config);
    let record::Attribution { rounding, approximation, order, input, .. } = row.attribution;
    let precision_bits = row.precision.parse::<Precision>().ok().map(Precision::bits);
    let (step_rule, step_h) = step_parts(&row.method, row.step.as_deref(), precision_bits);
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
        step_rule,
        step_h,
        precision_bits,
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
        config,
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
            step_rule: None, step_h: None, precision_bits: Some(24),
            error_rel_fro: m(1e-7), error_max_rel: m(2e-6), asym_rel_fro: Metric::Text("2.40125e-639".into()), asym_max_abs: m(0.0),
            asym_pairs_fraction: f64::NAN, sigbits_min: 20, sigbits_median: 23, rounding_total: rt, rounding_antisym: ra,
            approximation_total: at, approximation_antisym: aa, order_total: ot, order_antisym: oa, input_total: it, input_antisym: ia,
            residual: m(0.0), asym_dominant: "rounding".into(), certified: true, truth_certified_bits_min: 200,
            config: BTreeMap::from([("math".to_string(), Json::from("libm"))]),
        };
        let serde_json::Value::Object(map) = serde_json::to_value(&row).unwrap() else { panic!("an object") };
        let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
        let mut columns = COLUMNS.to_vec();
        columns.push("math");
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
        // beyond f64's range: empty in its numeric column, in full in the `_exact` column
        let rows = [row.clone()];
        let cols = csv_columns(&rows);
        let names: Vec<String> = cols.iter().map(Column::name).collect();
        assert_eq!(names[N_TIDY..], ["math".to_string(), "asym_rel_fro_exact".to_string()]);
        assert_eq!(Column::Tidy(14).csv(&row), "");
        assert_eq!(cols[N_TIDY + 1].csv(&row), "2.40125e-639");
        assert_eq!(cols[N_TIDY].csv(&row), "libm");
    }

    /// Steps as numbers: h of a fixed rule; ε^(1/k) of the optimal rule (k = 3 for central
    /// gradient differences: (2^-52)^(1/3) = 2^(-52/3)).
    #[test]
    fn step_parts_are_numbers() {
        assert_eq!(step_parts("fd-grad-central", Some("fixed:1e-6"), Some(53)), (Some("fixed".into()), Some(1e-6)));
        assert_eq!(step_parts("fd-grad-central", Some("optimal"), Some(53)), (Some("optimal".into()), Some(2f64.powf(-52.0 / 3.0))));
        assert_eq!(step_parts("rev-rev", None, Some(53)), (None, None));
    }

    /// Cells order by their values: numbers numerically, precisions by bits, not as text.
    #[test]
    fn values_order_numerically_and_by_bits() {
        let j = |t: &str| serde_json::from_str::<Json>(t).unwrap();
        assert_eq!(cmp_values(&j("9"), &j("10")), Ordering::Less);
        assert_eq!(cmp_values(&j(r#"["f64"]"#), &j(r#"["mp:1024"]"#)), Ordering::Less);
        assert_eq!(cmp_values(&j(r#""mp:64""#), &j(r#""mp:1024""#)), Ordering::Less);
        assert_eq!(cmp_values(&j(r#""f32""#), &j(r#""bfloat16""#)), Ordering::Greater);
        assert_eq!(cmp_values(&j(r#""libm""#), &j(r#""core-math""#)), Ordering::Greater);
    }
}
