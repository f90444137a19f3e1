//! The typed records of a result: the analysis (truth summary, kinks, one row per cell with its
//! metrics and attribution, and one [`External`] per external Hessian) and the provenance, as `analyze --json` prints them and as result
//! files store them (schema 2; schema 1 had the same records, without the file's digest).
//!
//! These records *are* the schema: every writer builds them and every reader (exporters, the
//! report, `rerun`) reads them, so a field has one name in one place. Field order is the
//! serialized key order, which schema 1 fixed as the byte order of the names (the files were
//! first written through `serde_json::Value`, whose maps are sorted); keep new fields sorted.
//! A new field needs nothing else: the file's digest covers whatever the records hold
//! ([`super::digest`]), and readers verify it before decoding them.
//!
//! Numbers computed in MPFR ([`Metric`]) are stored as an `f64` when they fit one (not flushed
//! to zero) and otherwise as MPFR's 6-digit decimal text (e.g. `2.40125e-639`). Other `f64`
//! fields are stored as numbers, and as `null` when not finite ([`finite_or_null`]), as schema 1
//! did.

use rug::Float;
use serde::{Deserialize, Serialize};

/// A number computed in MPFR: an `f64` when it is zero or a finite normal `f64`, else its decimal
/// text (values beyond `f64`'s range, subnormals, non-finite values).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Metric {
    /// The value, exactly representable as this `f64`'s rounding of the MPFR number.
    Value(f64),
    /// MPFR's decimal text with 6 significant digits.
    Text(String),
}

impl Metric {
    /// The metric as stored: the nearest `f64` when in range, else the 6-digit decimal text.
    pub fn of(x: &Float) -> Metric {
        let f = x.to_f64();
        if x.is_zero() || (f.is_normal() && f.is_finite()) {
            Metric::Value(f)
        } else {
            Metric::Text(x.to_string_radix(10, Some(6)))
        }
    }

    /// As an `f64` (text beyond `f64`'s range rounds to 0 or ±∞; unparsable text gives NaN).
    pub fn to_f64(&self) -> f64 {
        match self {
            Metric::Value(v) => *v,
            Metric::Text(s) => s.parse().unwrap_or(f64::NAN),
        }
    }
}

impl<'de> Deserialize<'de> for Metric {
    /// A number (of any CBOR or JSON kind) as [`Metric::Value`], text as [`Metric::Text`].
    ///
    /// Written by hand rather than as `#[serde(untagged)]`: this crate enables serde_json's
    /// `arbitrary_precision`, which hands a number to an untagged enum as a one-entry map holding
    /// the number's text, and no variant would match it.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Metric, D::Error> {
        d.deserialize_any(MetricVisitor)
    }
}

/// The visitor of [`Metric`]'s `Deserialize`.
struct MetricVisitor;

impl<'de> serde::de::Visitor<'de> for MetricVisitor {
    type Value = Metric;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a number or its decimal text")
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Metric, E> {
        Ok(Metric::Value(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Metric, E> {
        Ok(Metric::Value(v as f64))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Metric, E> {
        Ok(Metric::Value(v as f64))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Metric, E> {
        Ok(Metric::Text(v.to_string()))
    }

    /// serde_json's `arbitrary_precision` number: a one-entry map to the number's text.
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Metric, A::Error> {
        match m.next_entry::<String, String>()? {
            Some((_, text)) => text.parse().map(Metric::Value).map_err(serde::de::Error::custom),
            None => Err(serde::de::Error::custom("an empty map is not a metric")),
        }
    }
}

/// Serde adapter for plain `f64` fields: `null` for NaN and ±∞ (read back as NaN), as schema 1
/// stored them.
pub mod finite_or_null {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes a finite value as a number, any other as `null`.
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() {
            s.serialize_f64(*x)
        } else {
            s.serialize_none()
        }
    }

    /// Reads a number, or `null` as NaN.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// One cause's share of the error, relative to ‖T‖_F.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// ‖part − partᵀ‖_F / ‖T‖_F: its share of the asymmetry.
    pub antisym: Metric,
    /// ‖part‖_F / ‖T‖_F.
    pub total: Metric,
}

/// The error of a row split by cause (they telescope: their sum plus the residual is H − T).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// Approximation method: the method at truth precision against the exact Hessian.
    pub approximation: Part,
    /// Input quantization: the truth at the rounded inputs against the truth.
    pub input: Part,
    /// The graph, under framework rules: H under the row's rules against H under Clairaut's
    /// in the same cell (not a telescoping part: it overlaps the rounding). Absent under
    /// Clairaut's rules (rows written before rules read back without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<Part>,
    /// Evaluation order: the spread of the rounding part across the requested orders.
    pub order: Part,
    /// Rounding: the working precision against truth precision, same method and order.
    pub rounding: Part,
}

/// The rounding part of a row under a precision policy split by role (see
/// [`crate::analysis::roles`]): the parts and the residual sum to the rounding part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Roles {
    /// The summation of the dot products (`acc`, `prod`, `promote`, the passes' combination).
    pub acc: Part,
    /// The role with the largest antisymmetric part (`mul`, `acc`, `out`, `elementwise`),
    /// `none` when every one is 0, or `non-finite`.
    pub asym_dominant: String,
    /// The role with the largest part (whole), as `asym_dominant`.
    pub dominant: String,
    /// Element-wise work and storage in the run's format.
    pub elementwise: Part,
    /// The conversion of the dot products' inputs to `mul` (and the passes' split).
    pub mul: Part,
    /// The conversion of their results to `out`.
    pub out: Part,
    /// ‖rounding − Σ role parts‖_F / ‖T‖_F.
    pub residual: Metric,
}

/// Smallest and largest finite-difference step actually taken, |(θ_j ⊕ h_j) − θ_j|.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepActual {
    /// Largest step.
    #[serde(with = "finite_or_null")]
    pub max: f64,
    /// Smallest step.
    #[serde(with = "finite_or_null")]
    pub min: f64,
}

/// Eigenvalues of the symmetric part (H + Hᵀ)/2, at f64.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spectrum {
    /// Largest eigenvalue.
    #[serde(with = "finite_or_null")]
    pub max: f64,
    /// Smallest eigenvalue.
    #[serde(with = "finite_or_null")]
    pub min: f64,
    /// max_k |λ_k(H) − λ_k(T)| / max_k |λ_k(T)| (eigenvalues sorted).
    #[serde(with = "finite_or_null")]
    pub shift_rel: f64,
}

/// The analysis of one (method, precision, order, FMA) cell against the truth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Which cause dominates the asymmetry: `rounding`, `approximation` or `none` — or `non-finite`
    /// when H, the truth or a part has an entry NaN or ±∞ (the row is then not certified).
    pub asym_dominant: String,
    /// max_{i<j} |H_ij − H_ji|.
    pub asym_max_abs: Metric,
    /// Fraction of pairs i < j with H_ij ≠ H_ji bitwise.
    #[serde(with = "finite_or_null")]
    pub asym_pairs_fraction: f64,
    /// ‖H − Hᵀ‖_F / ‖H‖_F.
    pub asym_rel_fro: Metric,
    /// The error split by cause.
    pub attribution: Attribution,
    /// Whether the truth is certified to the bits this precision needs.
    pub certified: bool,
    /// max over T_ij ≠ 0 of |H_ij − T_ij| / |T_ij|.
    pub error_max_rel: Metric,
    /// ‖H − T‖_F / ‖T‖_F.
    pub error_rel_fro: Metric,
    /// FMA policy: true for `fma`.
    pub fma: bool,
    /// How the problem's numbers became inputs (`decimal`, `binary64`, `binary32`,
    /// `as-stored`); absent means `decimal` (rows written before input modes existed).
    #[serde(default = "decimal", skip_serializing_if = "is_decimal")]
    pub inputs: String,
    /// Method (canonical name).
    pub method: String,
    /// Summation order (canonical name).
    pub order: String,
    /// Precision policy of the matrix products (canonical spelling); absent means `uniform`
    /// (rows written before policies existed read back as `uniform`).
    #[serde(default = "uniform", skip_serializing_if = "is_uniform")]
    pub policy: String,
    /// Precision (canonical name).
    pub precision: String,
    /// ‖(H − T) − Σ parts‖_F / ‖T‖_F.
    pub residual: Metric,
    /// The rounding part split by role, for a row under a precision policy; absent for
    /// `uniform` rows (which then keep their bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Roles>,
    /// Derivative rules (`tensorflow`, …); absent means `clairaut` (rows written before rules
    /// read back as Clairaut's, and keep their bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
    /// Seconds to compute H at the working and at truth precision (`analyze --json` only; result
    /// files keep timings in their provenance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// Histogram of significant bits per entry (index = bits, capped at the precision).
    pub sigbits_histogram: Vec<u64>,
    /// Median of significant bits per entry.
    pub sigbits_median: u32,
    /// Minimum of significant bits per entry.
    pub sigbits_min: u32,
    /// Spectrum of the symmetric part, when asked.
    pub spectrum: Option<Spectrum>,
    /// Step rule (finite differences only).
    pub step: Option<String>,
    /// Steps actually taken (finite differences only).
    pub step_actual: Option<StepActual>,
}

/// A pre-activation of a relu unit within the tolerance of its kink.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Kink {
    /// Layer (1-based).
    pub layer: usize,
    /// Sample.
    pub sample: usize,
    /// Unit.
    pub unit: usize,
    /// z at truth precision (nearest f64).
    #[serde(with = "finite_or_null")]
    pub z: f64,
}

/// Relu units at their kink, where the Hessian is not defined.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Kinks {
    /// Number of kinks found.
    pub count: usize,
    /// Number of Hessian entries whose exact value is undefined at a kink.
    pub flagged_entries: u64,
    /// Tolerance on |z|.
    #[serde(with = "finite_or_null")]
    pub tolerance: f64,
    /// The first 100 kinks.
    pub units: Vec<Kink>,
}

/// Where the time of an analysis went (`analyze --json`; in result files, in the provenance).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// All cells (H at p and at truth precision), summed over the cells.
    #[serde(with = "finite_or_null")]
    pub cells_s: f64,
    /// Metrics, spectra and order spreads, summed over the cells.
    #[serde(with = "finite_or_null")]
    pub metrics_s: f64,
    /// T(q) for each precision.
    #[serde(with = "finite_or_null")]
    pub quantized_truths_s: f64,
    /// Truth and its certification.
    #[serde(with = "finite_or_null")]
    pub truth_s: f64,
}

/// The truth's certification summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// Agreeing bits needed by the finest requested precision.
    pub bits_needed: u32,
    /// Certified for every requested precision.
    pub certified: bool,
    /// Agreeing bits between truth and check, median over entries.
    pub certified_bits_median: u32,
    /// Agreeing bits between truth and check, minimum over entries.
    pub certified_bits_min: u32,
    /// Precision of the certifying recomputation.
    pub check_precision: String,
    /// Truth precision.
    pub precision: String,
}

/// The nearest Clairaut configuration of an external Hessian (see
/// [`crate::analysis::external`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Nearest {
    /// How many candidate configurations were compared.
    pub candidates: u64,
    /// ‖H_ext − H_nearest‖_F / ‖T‖_F, whole and antisymmetric.
    pub distance: Part,
    /// Entries compared (P²).
    pub entries: u64,
    /// Entries bitwise equal to the nearest configuration's.
    pub equal_entries: u64,
    /// `equal_entries / entries`.
    #[serde(with = "finite_or_null")]
    pub equal_fraction: f64,
    /// Other candidates exactly as near (the first few), as `method precision [policy] order fma`.
    pub equally_near: Vec<String>,
    /// The largest distance of an entry in ulps of the format; `null` when an entry is NaN in
    /// one matrix only.
    pub max_ulp: Option<u64>,
    /// The nearest configuration's own row (its attribution; order part 0).
    pub row: Row,
    /// The search axes in words (`4 methods × 7 orders × 2 FMA × 1 policy`).
    pub search: String,
    /// How many other candidates are exactly as near.
    pub ties: u64,
}

/// An external Hessian's analysis: its row (metrics against the truth, attributed as its
/// nearest configuration: `method`, `order`, `fma`, `policy` are the nearest's) and that
/// configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct External {
    /// The file, as given.
    pub file: String,
    /// The external's name.
    pub name: String,
    /// Its nearest configuration.
    pub nearest: Nearest,
    /// Its metrics.
    pub row: Row,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// The whole analysis of a problem: `analyze --json`, and a result file's `analysis`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// External Hessians, one per `--external` / `externals` item (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub externals: Vec<External>,
    /// Kink report.
    pub kinks: Kinks,
    /// Number of parameters P.
    pub p: usize,
    /// The problem's source (file path, or `experiment#cell` for generated problems).
    pub problem: String,
    /// One row per cell, in request order (method, precision, order, FMA).
    pub rows: Vec<Row>,
    /// Timings (`analyze --json` only; result files keep them in the provenance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timings: Option<Timings>,
    /// The truth's certification.
    pub truth: Truth,
}

impl Analysis {
    /// Moves the timings out (the per-row seconds and the stage timings), leaving the
    /// deterministic part: what a result file stores as `analysis`.
    pub fn take_timings(&mut self) -> RunTimings {
        let externals = self.externals.iter_mut().flat_map(|e| [&mut e.row, &mut e.nearest.row]);
        RunTimings { rows_s: self.rows.iter_mut().chain(externals).filter_map(|r| r.seconds.take()).collect(), stages: self.timings.take() }
    }
}

/// The timings of a computation, kept in the provenance of a result file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunTimings {
    /// Seconds per analysis row.
    pub rows_s: Vec<f64>,
    /// Stage timings.
    pub stages: Option<Timings>,
}

/// Where, when and how a result was computed (not part of the deterministic content).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The command line.
    pub argv: Vec<String>,
    /// CPU model.
    pub cpu: String,
    /// Clairaut's version.
    pub crate_version: String,
    /// Every dependency as `name version`.
    pub dependencies: Vec<String>,
    /// End of the computation, `YYYY-MM-DDTHH:MM:SSZ`.
    pub end_utc: String,
    /// Git commit of the build, when known.
    pub git_commit: Option<String>,
    /// Whether the build's work tree had uncommitted changes, when known.
    pub git_dirty: Option<bool>,
    /// GMP version.
    pub gmp: String,
    /// MPFR version.
    pub mpfr: String,
    /// Cargo profile of the build.
    pub profile: String,
    /// rustc version.
    pub rustc: String,
    /// Start of the computation, `YYYY-MM-DDTHH:MM:SSZ`.
    pub start_utc: String,
    /// Target triple.
    pub target: String,
    /// Worker threads.
    pub threads: usize,
    /// Timings of the computation.
    pub timings: RunTimings,
}

// --- from the analysis -------------------------------------------------------------------

use crate::analysis;
use crate::model::Problem;

impl Analysis {
    /// The analysis as recorded (`analyze --json`, and a result file's `analysis` once its
    /// timings are taken out with [`Analysis::take_timings`]).
    pub fn of(a: &analysis::Analysis, problem: &Problem) -> Analysis {
        Analysis {
            externals: a.externals.iter().map(External::of).collect(),
            kinks: Kinks::of(&a.kinks),
            p: a.p,
            problem: problem.source.display().to_string(),
            rows: a.rows.iter().map(Row::of).collect(),
            timings: Some(Timings::of(&a.timings)),
            truth: Truth::of(&a.truth),
        }
    }
}

impl External {
    /// An external Hessian's analysis as recorded.
    pub fn of(e: &analysis::external::ExternalRow) -> External {
        let n = &e.nearest;
        External {
            file: e.file.clone(),
            name: e.name.clone(),
            nearest: Nearest {
                candidates: n.candidates as u64,
                distance: Part::of(&n.distance),
                entries: n.closeness.entries,
                equal_entries: n.closeness.equal,
                equal_fraction: n.closeness.fraction(),
                equally_near: n.equally_near.iter().map(analysis::external::key_label).collect(),
                max_ulp: n.closeness.max_ulp,
                row: Row::of(&n.row),
                search: n.search.clone(),
                ties: n.ties as u64,
            },
            row: Row::of(&e.row),
            sha256: e.sha256.clone(),
        }
    }
}

impl Truth {
    /// The truth's certification as recorded.
    pub fn of(t: &analysis::TruthSummary) -> Truth {
        Truth {
            bits_needed: t.bits_needed,
            certified: t.certified,
            certified_bits_median: t.certified_bits_median,
            certified_bits_min: t.certified_bits_min,
            check_precision: t.check_precision.to_string(),
            precision: t.precision.to_string(),
        }
    }
}

impl Timings {
    /// The stage timings as recorded.
    pub fn of(t: &analysis::Timings) -> Timings {
        Timings { cells_s: t.cells_s, metrics_s: t.metrics_s, quantized_truths_s: t.quantized_truths_s, truth_s: t.truth_s }
    }
}

impl Kinks {
    /// The kink report as recorded: the count, the flagged entries and the first
    /// [`analysis::kinks::LISTED`] kinks.
    pub fn of(k: &analysis::KinkReport) -> Kinks {
        Kinks {
            count: k.kinks.len(),
            flagged_entries: k.flagged_entries,
            tolerance: k.tolerance,
            units: k.kinks.iter().take(analysis::kinks::LISTED).map(|k| Kink { layer: k.layer, sample: k.sample, unit: k.unit, z: k.z }).collect(),
        }
    }
}

impl Part {
    /// One cause's share as recorded.
    pub fn of(p: &analysis::Part) -> Part {
        Part { antisym: Metric::of(&p.antisym), total: Metric::of(&p.total) }
    }
}

impl Roles {
    /// A row's role parts as recorded.
    pub fn of(r: &analysis::Roles) -> Roles {
        Roles {
            acc: Part::of(&r.acc),
            asym_dominant: r.asym_dominant.to_string(),
            dominant: r.dominant.to_string(),
            elementwise: Part::of(&r.elementwise),
            mul: Part::of(&r.mul),
            out: Part::of(&r.out),
            residual: Metric::of(&r.residual),
        }
    }
}

impl Row {
    /// A cell's row as recorded (with its seconds).
    pub fn of(r: &analysis::Row) -> Row {
        Row {
            asym_dominant: r.asym_dominant.to_string(),
            asym_max_abs: Metric::of(&r.asym.max_abs),
            asym_pairs_fraction: r.asym.pairs_fraction,
            asym_rel_fro: Metric::of(&r.asym.rel_fro),
            attribution: Attribution {
                approximation: Part::of(&r.approximation),
                graph: r.graph.as_ref().map(Part::of),
                input: Part::of(&r.input),
                order: Part::of(&r.order_spread),
                rounding: Part::of(&r.rounding),
            },
            certified: r.certified,
            error_max_rel: Metric::of(&r.error_max_rel),
            error_rel_fro: Metric::of(&r.error_rel_fro),
            fma: r.fma,
            inputs: r.inputs.name().to_string(),
            method: r.method.name().to_string(),
            order: r.order.to_string(),
            policy: r.policy.to_string(),
            precision: r.precision.to_string(),
            residual: Metric::of(&r.residual),
            roles: r.roles.as_ref().map(Roles::of),
            rules: (!r.rules.is_clairaut()).then(|| r.rules.to_string()),
            seconds: Some(r.seconds),
            sigbits_histogram: r.sigbits_hist.clone(),
            sigbits_median: r.sigbits_median,
            sigbits_min: r.sigbits_min,
            spectrum: r.spectrum.as_ref().map(|s| Spectrum { max: s.max, min: s.min, shift_rel: s.shift_rel }),
            step: r.step.clone(),
            step_actual: r.step_actual.map(|(min, max)| StepActual { max, min }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hessian::Method;
    use crate::order::Order;
    use crate::scalar::{MathLib, Precision};

    /// `analyze --json` prints the record; schema 1 was written through `serde_json::Value`
    /// (keys sorted), so the record's text must be its own `Value`'s text, byte for byte.
    #[test]
    fn the_record_prints_as_its_sorted_json_value() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/tf2-article/example1.json");
        let req = analysis::Request {
            problem: Problem::load(&path).unwrap(),
            methods: vec![Method::FwdRev, Method::FdGradCentral],
            precisions: vec![Precision::F32, Precision::Mp(113)],
            orders: vec![Order::Sequential, Order::Pairwise],
            fmas: vec![false],
            policies: vec![crate::scalar::matmul::PrecisionPolicy::Uniform],
            rules: vec![crate::scalar::rules::Rules::Clairaut],
            math: MathLib::CoreMath,
            inputs: crate::model::InputMode::Decimal,
            step: "optimal".parse().unwrap(),
            truth_bits: None,
            check_extra: analysis::truth::DEFAULT_CHECK_EXTRA,
            truth_mode: analysis::truth::TruthMode::Point,
            kink_tol: 1e-9,
            spectrum: true,
            keep_matrices: false,
            externals: Vec::new(),
        };
        let record = Analysis::of(&analysis::analyze(&req).unwrap(), &req.problem);
        let text = serde_json::to_string_pretty(&record).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(text, serde_json::to_string_pretty(&value).unwrap());
        // reads back exactly: serde_json's `float_roundtrip` parses every f64 correctly rounded
        // (without it, a measured time such as 0.00040331 could come back one ulp off)
        let back: Analysis = serde_json::from_str(&text).unwrap();
        assert_eq!(back, record);
        assert_eq!(record.rows.len(), 8);
        assert!(record.rows.iter().all(|r| r.seconds.is_some()) && record.timings.is_some());
    }
}

/// The policy of a row without one: `uniform`.
fn uniform() -> String {
    "uniform".into()
}

/// Whether a row's policy is `uniform` (then not written: schema-1 rows keep their bytes).
fn is_uniform(p: &str) -> bool {
    p == "uniform"
}

/// The input mode of a row without one: `decimal`.
fn decimal() -> String {
    "decimal".into()
}

/// Whether a row's input mode is `decimal` (then not written: older rows keep their bytes).
fn is_decimal(m: &str) -> bool {
    m == "decimal"
}
