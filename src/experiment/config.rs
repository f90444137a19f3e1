//! Experiment files (TOML): a base configuration and a sweep over its keys.
//!
//! ```toml
//! name = "precision-ladder"          # optional, for humans
//!
//! [base]                             # one cell's configuration; every key optional
//! layers = [4, 8, 2]
//! activations = ["tanh", "identity"] # one per layer, or one for all
//! bias = [true, false]               # which layers have a bias: one per layer, or one for all
//!                                    # (default: every layer; `false`: nn.Linear(bias=False))
//! loss = "mse"
//! n = 16
//! data = "generated"                 # generated | inline | iris | diabetes | winequality |
//!                                    # problem:<path> | csv:<path> | npy:<x.npy>,<y.npy> | npy:<path>
//! weights = "glorot"                 # glorot | he | explicit | problem | trained
//! methods = ["fwd-rev", "rev-rev"]
//! precisions = ["f32", "f64"]
//! inputs = "decimal"                 # decimal | binary64 | binary32 | as-stored (InputMode)
//! truth_mode = "point"               # point | ball (a proven enclosure; default point, not written)
//!
//! [sweep]                            # the grid: the cartesian product of these keys
//! precisions = [["binary16"], ["f32"], ["f64"]]   # a list of values…
//! n = { range = [8, 32, 8] }         # …an integer range [start, stop] with step (inclusive)…
//! step_h = { log2 = [-40, -4, 4] }   # …or powers of two 2^a … 2^b (step 4)
//! exclude = [{ loss = "mse", n = 8 }]       # drop cells matching every key given
//! include = [{ n = 64, precisions = ["mp:128"] }]  # extra cells: base + these keys
//! ```
//!
//! Unknown keys anywhere are rejected with the file and key named; a TOML syntax error, and an
//! error about a value written in the file (a wrong type, an unknown name, a bad size), is
//! reported as `file:line:column` (of the value). `name` must be a safe folder name (it names the default
//! output folder `results/<name>`): no `/`, `\`, `..`, control characters or leading `.`. Data
//! files (`problem:`, `csv:`, `npy:`) are read relative to the experiment file's folder and must
//! stay inside it unless [`Access::AllowOutside`] (`--allow-outside`) is given; they are read
//! (and problem files validated) when the experiment is loaded, and every cell is checked
//! against what they hold (its `layers` and `y_columns` against a data file's columns, its size
//! with the file's rows, or the problem file's network and batch) before any cell runs.
//! `--set key=value` (value in
//! TOML syntax) overrides the base before expansion. Each cell is identified by the SHA-256 of
//! its normalized configuration ([`CellConfig::hash`]), so a cell's identity does not depend on
//! how the grid was written; NaN and ±∞ are refused (JSON would write all three as `null`).
//!
//! Swept keys vary in name order, the last fastest. The grid is counted before it is built (more
//! than [`MAX_CELLS`] combinations are refused) and is never held whole: [`Cells`] keeps the
//! keys' values and builds each cell when it is reached. Every cell is validated when the file is
//! read ([`super::check`]: names, values — as `analyze` checks them — and sizes), so a bad value
//! deep in a grid is reported before any cell runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::data::Access;
use crate::error::Error;
use crate::limits::{checked_product, range_len, MAX_CELLS};

fn d_layers() -> Vec<usize> {
    vec![2, 2]
}
fn d_acts() -> Vec<String> {
    vec!["tanh".into()]
}
fn d_loss() -> String {
    "mse".into()
}
fn d_n() -> usize {
    8
}
fn d_data() -> String {
    "generated".into()
}
fn d_weights() -> String {
    "glorot".into()
}
fn d_seed() -> u64 {
    1
}
fn d_lr() -> f64 {
    0.1
}
fn d_methods() -> Vec<String> {
    vec!["fwd-rev".into()]
}
fn d_precisions() -> Vec<String> {
    vec!["f32".into(), "f64".into()]
}
fn d_orders() -> Vec<String> {
    vec!["sequential".into()]
}
fn d_fma() -> Vec<String> {
    vec!["no-fma".into()]
}
fn d_policies() -> Vec<String> {
    vec!["uniform".into()]
}
fn only_uniform(p: &[String]) -> bool {
    p.len() == 1 && p[0] == "uniform"
}
fn d_rules() -> Vec<String> {
    vec!["clairaut".into()]
}
fn only_clairaut(r: &[String]) -> bool {
    r.len() == 1 && r[0] == "clairaut"
}
fn d_inputs() -> String {
    "decimal".into()
}
fn is_decimal(m: &str) -> bool {
    m == "decimal"
}
fn d_truth_mode() -> String {
    "point".into()
}
fn is_point(m: &str) -> bool {
    m == "point"
}
fn d_math() -> String {
    "core-math".into()
}
fn d_truth() -> String {
    "auto".into()
}
fn d_step_rule() -> String {
    "optimal".into()
}
fn d_step_h() -> f64 {
    1e-6
}
fn d_check() -> u32 {
    crate::analysis::truth::DEFAULT_CHECK_EXTRA
}
fn d_kink() -> f64 {
    1e-9
}
fn d_true() -> bool {
    true
}
fn all_true(v: &[bool]) -> bool {
    v.iter().all(|&b| b)
}

/// One cell's complete configuration (the base with the sweep's values applied).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellConfig {
    /// Widths d0..dL (ignored with `data = "problem:…"`, which brings its own).
    #[serde(default = "d_layers")]
    pub layers: Vec<usize>,
    /// Activations, one per layer or one for all.
    #[serde(default = "d_acts")]
    pub activations: Vec<String>,
    /// Which layers have a bias, one flag per layer or one for all (ignored with
    /// `data = "problem:…"`, like `layers`). Empty (the default) or all true — every layer has
    /// one — is not written, so the id of a configuration without bias-free layers is what it
    /// was before them.
    #[serde(default, skip_serializing_if = "all_true")]
    pub bias: Vec<bool>,
    /// Loss.
    #[serde(default = "d_loss")]
    pub loss: String,
    /// Batch size (generated data).
    #[serde(default = "d_n")]
    pub n: usize,
    /// `generated` (x ~ U[−1,1), targets as [`crate::model::Problem::generate`]), `inline`
    /// (`x`, `y` below, binary64 values), `iris` / `diabetes` / `winequality` (real data from
    /// `linfa-datasets`, `n` rows taken evenly, 0 = all; see [`super::dataset`]),
    /// `problem:<path>`, or a data file: `csv:<path>` (numbers kept as the file's decimal
    /// text), `npy:<x.npy>,<y.npy>` (two arrays) or `npy:<path>` (one array split into columns
    /// like a CSV file), `n` rows taken evenly, 0 = all (see [`super::data`]). Paths are
    /// relative to the experiment file.
    #[serde(default = "d_data")]
    pub data: String,
    /// Seed of generated data.
    #[serde(default = "d_seed")]
    pub data_seed: u64,
    /// Inline inputs.
    #[serde(default)]
    pub x: Option<Vec<Vec<f64>>>,
    /// Inline targets.
    #[serde(default)]
    pub y: Option<Vec<Vec<f64>>>,
    /// Columns of a `csv:` file or one-array `npy:` file that are targets (0-based); the other
    /// columns, in file order, are inputs. Default: the last d_L columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_columns: Option<Vec<usize>>,
    /// SHA-256 of a `csv:`/`npy:` source's bytes (of the two digests, for two `.npy` files):
    /// filled in when the experiment is read, so a cell's identity changes with its data file.
    /// A value written in the experiment pins the data: a file that no longer matches is an
    /// error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sha256: Option<String>,
    /// `glorot` (uniform ±√(6/(d_in+d_out))), `he` (uniform ±√(6/d_in)), `explicit` (`params`),
    /// `problem` (the problem file's), `trained` (glorot, then `train_steps` of full-batch
    /// gradient descent at f64 with rate `train_lr`, sequential order, core-math).
    #[serde(default = "d_weights")]
    pub weights: String,
    /// Seed of initialization.
    #[serde(default = "d_seed")]
    pub weights_seed: u64,
    /// Explicit parameters.
    #[serde(default)]
    pub params: Option<Vec<f64>>,
    /// Gradient-descent steps for `trained`.
    #[serde(default)]
    pub train_steps: u32,
    /// Learning rate for `trained`.
    #[serde(default = "d_lr")]
    pub train_lr: f64,
    /// Methods.
    #[serde(default = "d_methods")]
    pub methods: Vec<String>,
    /// Precisions.
    #[serde(default = "d_precisions")]
    pub precisions: Vec<String>,
    /// Orders, named as `hessian --order` names them (`sequential`, …, `lanes:<w>`,
    /// `blocked:<b>`, `splitk:<k>`), in their canonical spelling (no leading zeros).
    #[serde(default = "d_orders")]
    pub orders: Vec<String>,
    /// FMA policies.
    #[serde(default = "d_fma")]
    pub fma: Vec<String>,
    /// Precision policies of the matrix products (`uniform`, presets, overrides: see
    /// `crate::scalar::matmul`). `["uniform"]`, the default, is not written, so the canonical
    /// JSON — and the id — of a configuration without policies is what it was before them.
    #[serde(default = "d_policies", skip_serializing_if = "only_uniform")]
    pub policies: Vec<String>,
    /// Derivative rules (`clairaut`, `tensorflow`, …: see `crate::model::rules`).
    /// `["clairaut"]`, the default, is not written, so the canonical JSON — and the id — of a
    /// configuration without rules is what it was before them.
    #[serde(default = "d_rules", skip_serializing_if = "only_clairaut")]
    pub rules: Vec<String>,
    /// How the problem's numbers become inputs: `decimal` (the default, not written, so the id
    /// of a configuration without it is what it was before), `binary64`, `binary32` or
    /// `as-stored` ([`crate::model::InputMode`]).
    #[serde(default = "d_inputs", skip_serializing_if = "is_decimal")]
    pub inputs: String,
    /// Math library.
    #[serde(default = "d_math")]
    pub math: String,
    /// `auto` or `mp:<bits>`.
    #[serde(default = "d_truth")]
    pub truth: String,
    /// Extra bits of the truth's check.
    #[serde(default = "d_check")]
    pub check_extra: u32,
    /// How the truth is certified: `point` (two precisions agree; the default, not written, so
    /// the id of a configuration without it is what it was before) or `ball` (a proven
    /// enclosure, [`crate::analysis::truth::TruthMode`]).
    #[serde(default = "d_truth_mode", skip_serializing_if = "is_point")]
    pub truth_mode: String,
    /// `optimal`, `fixed` or `relative`.
    #[serde(default = "d_step_rule")]
    pub step_rule: String,
    /// h of `fixed`/`relative` steps.
    #[serde(default = "d_step_h")]
    pub step_h: f64,
    /// Kink tolerance.
    #[serde(default = "d_kink")]
    pub kink_tol: f64,
    /// Compute spectra.
    #[serde(default = "d_true")]
    pub spectrum: bool,
    /// Store the matrices in the result file (H bit-exact as f64 bytes when the format has ≤ 53
    /// bits, else round-trip decimals; the truth as round-trip decimals at its precision).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub store_matrices: bool,
    /// External Hessians analyzed beside the cell's rows: `"NAME=H.npy[,precision=P][,policy=POL]"`
    /// items (files relative to the experiment file and confined to its folder like data files;
    /// see [`crate::analysis::external`]). Empty, the default, is not written: configurations
    /// without externals keep their ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub externals: Vec<String>,
}

impl CellConfig {
    /// SHA-256 (hex) of the canonical JSON of this configuration.
    pub fn hash(&self) -> String {
        let bytes = serde_json::to_vec(self).expect("serializable");
        const HEX: &[u8; 16] = b"0123456789abcdef";
        Sha256::digest(&bytes).iter().flat_map(|b| [HEX[usize::from(b >> 4)] as char, HEX[usize::from(b & 15)] as char]).collect()
    }

    /// A short name for file names and logs: the first 16 hex digits of the hash.
    pub fn id(&self) -> String {
        self.hash()[..16].to_string()
    }
}

/// One sweep key's values.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum Values {
    List(Vec<toml::Value>),
    Spec(RangeSpec),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeSpec {
    range: Option<Vec<i64>>,
    log2: Option<Vec<i64>>,
}

/// A parsed experiment.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// The file.
    pub path: PathBuf,
    /// Its name.
    pub name: String,
    /// The cells, in grid order (expanded lazily: see [`Cells`]).
    pub cells: Cells,
    /// Whether its data files may lie outside its folder.
    pub access: Access,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExperimentFile {
    name: Option<String>,
    #[serde(default)]
    base: toml::Table,
    #[serde(default)]
    sweep: toml::Table,
}

/// The values of a `range` / `log2` / list specification. A range is counted before it is
/// expanded: one of more than [`MAX_CELLS`] values is refused.
fn expand_values(path: &Path, key: &str, v: &toml::Value) -> Result<Vec<toml::Value>, Error> {
    let field = format!("sweep.{key}");
    let values: Values = v
        .clone()
        .try_into()
        .map_err(|e| Error::field(path, &field, format!("expected a list, {{range = [a, b, step]}} or {{log2 = [a, b, step]}}: {e}")))?;
    let triple = |r: &[i64], what: &str| -> Result<(i64, i64, i64), Error> {
        let (a, b, s) = match r {
            [a, b] if a <= b => (*a, *b, 1),
            [a, b, s] if a <= b && *s > 0 => (*a, *b, *s),
            _ => return Err(Error::field(path, &field, format!("bad {what} {r:?}: expected [start, stop] or [start, stop, step] with start ≤ stop, step > 0"))),
        };
        match range_len(a, b, s) {
            Some(n) if n <= MAX_CELLS => Ok((a, b, s)),
            n => Err(Error::field(path, &field, format!("{what} {r:?} has {} values, more than the {MAX_CELLS} cells a grid may have", n.map_or("2^64".into(), |n| n.to_string())))),
        }
    };
    let out: Vec<toml::Value> = match values {
        Values::List(l) => l,
        Values::Spec(RangeSpec { range: Some(r), log2: None }) => {
            let (a, b, s) = triple(&r, "range")?;
            // counted (at most MAX_CELLS values), and computed in i128: nothing overflows
            let n = range_len(a, b, s).unwrap_or(0) as i128;
            (0..n).map(|k| toml::Value::Integer((a as i128 + k * s as i128) as i64)).collect()
        }
        Values::Spec(RangeSpec { range: None, log2: Some(r) }) => {
            let (a, b, s) = triple(&r, "log2 range")?;
            if a < -1000 || b > 1000 {
                return Err(Error::field(path, &field, format!("log2 range {r:?} out of [-1000, 1000]")));
            }
            (a..=b).step_by(s as usize).map(|k| toml::Value::Float(2f64.powi(k as i32))).collect()
        }
        _ => return Err(Error::field(path, &field, "give exactly one of `range` and `log2`")),
    };
    if out.is_empty() {
        return Err(Error::field(path, &field, "has no values"));
    }
    Ok(out)
}

/// Applies `overrides` to `base` and validates the result as a cell configuration (types,
/// unknown keys, finite numbers).
fn cell(path: &Path, base: &toml::Table, overrides: &[(&str, &toml::Value)]) -> Result<CellConfig, Error> {
    let mut t = base.clone();
    for (k, v) in overrides {
        t.insert((*k).to_string(), (*v).clone());
    }
    let decode = |t: toml::Table| toml::Value::Table(t).try_into::<CellConfig>();
    let c = decode(t.clone()).map_err(|e| {
        // the key at fault: the first that does not decode alone (every key has a default)
        let bad = t.iter().find_map(|(k, v)| decode(toml::Table::from_iter([(k.clone(), v.clone())])).err().map(|e| (k.clone(), e)));
        match bad {
            Some((k, e)) => Error::field(path, k, e.message()),
            None => Error::field(path, "base", e.message()),
        }
    })?;
    c.check_finite().map_err(|(field, v)| Error::field(path, field, format!("{v} is not a finite number (NaN and ±inf are not configuration values)")))?;
    Ok(c)
}

impl CellConfig {
    /// The first number of the configuration that is not finite, as (field with indices, value):
    /// NaN and ±∞ have no canonical encoding (JSON writes them all as `null`, so they would share
    /// one cell id), and no use as a configuration value.
    pub fn check_finite(&self) -> Result<(), (String, f64)> {
        for (field, v) in [("kink_tol", self.kink_tol), ("step_h", self.step_h), ("train_lr", self.train_lr)] {
            if !v.is_finite() {
                return Err((field.into(), v));
            }
        }
        let bad = |v: &f64| !v.is_finite();
        if let Some((i, v)) = self.params.iter().flatten().enumerate().find(|(_, v)| bad(v)) {
            return Err((format!("params[{i}]"), *v));
        }
        for (name, m) in [("x", &self.x), ("y", &self.y)] {
            for (i, row) in m.iter().flatten().enumerate() {
                if let Some((j, v)) = row.iter().enumerate().find(|(_, v)| bad(v)) {
                    return Err((format!("{name}[{i}][{j}]"), *v));
                }
            }
        }
        Ok(())
    }
}

/// One field's value, taken from a configuration and set on another.
#[derive(Clone, Debug, PartialEq)]
enum FieldValue {
    Usizes(Vec<usize>),
    Strings(Vec<String>),
    String(String),
    Usize(usize),
    U64(u64),
    U32(u32),
    F64(f64),
    Bool(bool),
    Rows(Option<Vec<Vec<f64>>>),
    F64s(Option<Vec<f64>>),
    Columns(Option<Vec<usize>>),
    Digest(Option<String>),
    Bools(Vec<bool>),
}

/// Calls `$m!(field, variant)` with every field of [`CellConfig`]: one list for reading and
/// writing fields by name (`every_field_has_an_accessor` checks it against the serialized names).
macro_rules! cell_fields {
    ($m:ident) => {
        $m! {
            layers: Usizes, activations: Strings, bias: Bools, loss: String, n: Usize, data: String, data_seed: U64,
            x: Rows, y: Rows, y_columns: Columns, data_sha256: Digest, weights: String, weights_seed: U64,
            params: F64s, train_steps: U32, train_lr: F64, methods: Strings, precisions: Strings,
            orders: Strings, fma: Strings, policies: Strings, rules: Strings, inputs: String, math: String, truth: String, check_extra: U32, truth_mode: String, step_rule: String,
            step_h: F64, kink_tol: F64, spectrum: Bool, store_matrices: Bool, externals: Strings
        }
    };
}

impl CellConfig {
    /// The value of the field named `key` (`None`: no such field).
    fn get_field(&self, key: &str) -> Option<FieldValue> {
        macro_rules! get {
            ($($f:ident: $v:ident),*) => {
                match key {
                    $(stringify!($f) => Some(FieldValue::$v(self.$f.clone())),)*
                    _ => None,
                }
            };
        }
        cell_fields!(get)
    }

    /// Sets the field named `key` to `value` (of that field's kind, as [`Self::get_field`] gives it).
    fn set_field(&mut self, key: &str, value: &FieldValue) {
        macro_rules! set {
            ($($f:ident: $v:ident),*) => {
                match (key, value) {
                    $((stringify!($f), FieldValue::$v(v)) => self.$f = v.clone(),)*
                    _ => unreachable!("field {key} has another kind"),
                }
            };
        }
        cell_fields!(set)
    }
}

/// One swept key: its distinct values (first occurrences, in file order) as the
/// configuration's field.
#[derive(Clone, Debug)]
struct Key {
    name: String,
    fields: Vec<FieldValue>,
}

/// The configuration's field `key` (every key that deserialized is a field).
fn field_of(c: &CellConfig, key: &str) -> FieldValue {
    c.get_field(key).expect("a key of a valid configuration is a field")
}

/// The cells of an experiment, in grid order: every combination of the swept keys' values (last
/// key fastest) that no `exclude` entry matches, then the `include` cells that are not grid
/// cells. Expanded lazily: only the keys' values are held, each cell is built when
/// [`Cells::iter`] reaches it, so a grid of millions of cells costs memory for its keys, not its
/// cells. Every cell was validated when the experiment was read ([`Experiment::parse`]).
#[derive(Clone, Debug)]
pub struct Cells {
    base: CellConfig,
    keys: Vec<Key>,
    /// Per `exclude` entry: (key, the values it matches) for each key it names.
    exclude: Vec<Vec<(usize, Vec<bool>)>>,
    include: Vec<CellConfig>,
    /// SHA-256 of each `csv:`/`npy:` data source (`None` for other sources).
    digests: BTreeMap<String, Option<String>>,
    len: usize,
}

/// The indices of a grid's combinations, last key fastest.
struct Odometer {
    counts: Vec<usize>,
    next: Option<Vec<usize>>,
}

impl Iterator for Odometer {
    type Item = Vec<usize>;
    fn next(&mut self) -> Option<Vec<usize>> {
        let current = self.next.take()?;
        let mut idx = current.clone();
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < self.counts[d] {
                self.next = Some(idx);
                break;
            }
            idx[d] = 0;
        }
        Some(current)
    }
}

impl Cells {
    /// The number of cells.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no cell (never, for a loaded experiment).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `i`-th cell (0-based), built by walking the grid to it.
    pub fn get(&self, i: usize) -> Option<CellConfig> {
        self.iter().nth(i)
    }

    /// The cells, in grid order, each built as it is reached.
    pub fn iter(&self) -> impl Iterator<Item = CellConfig> + Send + '_ {
        self.combinations().map(|idx| self.build(&idx).expect("every cell was validated when the experiment was read")).chain(self.include.iter().cloned())
    }

    /// The grid's combinations that no `exclude` entry matches.
    fn combinations(&self) -> impl Iterator<Item = Vec<usize>> + Send + '_ {
        let odometer = Odometer { counts: self.keys.iter().map(|k| k.fields.len()).collect(), next: Some(vec![0; self.keys.len()]) };
        odometer.filter(|idx| !self.exclude.iter().any(|ex| ex.iter().all(|(k, matches)| matches[idx[*k]])))
    }

    /// The cell of the combination `idx`, with its data digest.
    fn build(&self, idx: &[usize]) -> Result<CellConfig, String> {
        let mut c = self.base.clone();
        for (key, &i) in self.keys.iter().zip(idx) {
            c.set_field(&key.name, &key.fields[i]);
        }
        self.pin(&mut c)?;
        Ok(c)
    }

    /// Fills in the digest of a `csv:`/`npy:` cell's data; a pinned digest must match it.
    fn pin(&self, c: &mut CellConfig) -> Result<(), String> {
        match (self.digests.get(&c.data).cloned().flatten(), &c.data_sha256) {
            (Some(d), Some(pinned)) if *pinned != d => Err(format!("{pinned} is pinned, but the data of \"{}\" now has SHA-256 {d}", c.data)),
            (Some(d), _) => {
                c.data_sha256 = Some(d);
                Ok(())
            }
            (None, Some(_)) => Err(format!("applies to csv:/npy: data only, not \"{}\"", c.data)),
            (None, None) => Ok(()),
        }
    }

    /// Whether `c` is a cell of the grid (a combination of the keys' values, not excluded).
    fn in_grid(&self, c: &CellConfig) -> bool {
        let mut idx = Vec::with_capacity(self.keys.len());
        let mut rest = self.base.clone();
        for key in &self.keys {
            match key.fields.iter().position(|f| *f == field_of(c, &key.name)) {
                Some(i) => idx.push(i),
                None => return false,
            }
            rest.set_field(&key.name, &field_of(c, &key.name));
        }
        // the digest is filled in on both sides
        rest.data_sha256 = c.data_sha256.clone();
        rest.hash() == c.hash() && !self.exclude.iter().any(|ex| ex.iter().all(|(k, matches)| matches[idx[*k]]))
    }
}

/// Names a grid cell's error after its sweep key (`sweep.KEY`) when the field at fault is swept.
fn in_sweep(e: Error, keys: &[Key]) -> Error {
    match e {
        Error::Field { path, field, message } => {
            let name = field.split('[').next().unwrap_or(&field);
            let field = if keys.iter().any(|k| k.name == name) { format!("sweep.{field}") } else { field };
            Error::Field { path, field, message }
        }
        other => other,
    }
}

/// The experiment's name, checked to be a safe folder name: not empty, no `/`, `\`, `..`,
/// control characters, leading `.` (so `results/<name>` stays inside `results/`).
fn safe_name(path: &Path, name: &str, from_file_name: bool) -> Result<String, Error> {
    let why = if name.is_empty() {
        Some("is empty")
    } else if name.contains(['/', '\\']) {
        Some("contains a path separator")
    } else if name.contains("..") {
        Some("contains `..`")
    } else if name.chars().any(char::is_control) {
        Some("contains a control character")
    } else if name.starts_with('.') {
        Some("starts with `.`")
    } else if name.len() > 200 {
        Some("is longer than 200 bytes")
    } else {
        None
    };
    match why {
        None => Ok(name.to_string()),
        Some(why) => {
            let origin = if from_file_name { " (taken from the file name)" } else { "" };
            let message = format!("\"{}\"{origin} {why}: the name must be a plain folder name, as it names the default output folder results/<name>", name.escape_debug());
            Err(Error::field(path, "name", message))
        }
    }
}

/// Parses the experiment's TOML: a syntax error as `file:line:column`, then a file whose
/// structure is wrong (unknown top-level key, `name` not a string) at the key's line and column.
fn parse_file(text: &str, path: &Path) -> Result<ExperimentFile, Error> {
    let at = |e: toml::de::Error, what: &str| match e.span() {
        Some(span) => Error::at(path, text, span.start, format!("{what}{}", e.message().trim().replace('\n', ", "))),
        None => Error::field(path, "(top level)", format!("{what}{}", e.message().trim().replace('\n', ", "))),
    };
    toml::from_str::<toml::Table>(text).map_err(|e| at(e, "malformed TOML: "))?;
    toml::from_str(text).map_err(|e| at(e, ""))
}

/// Where the values of the `[base]` and `[sweep]` keys are written (byte ranges of the file), so
/// that an error about a field is reported at its line and column.
#[derive(Default, Deserialize)]
struct Spans {
    #[serde(default)]
    base: BTreeMap<String, toml::Spanned<toml::Value>>,
    #[serde(default)]
    sweep: BTreeMap<String, toml::Spanned<toml::Value>>,
}

impl Spans {
    fn parse(text: &str) -> Spans {
        toml::from_str(text).unwrap_or_default()
    }

    /// `e` at the line and column of the value it is about: a field error of the experiment file
    /// (`n`, `activations[1]`, `sweep.n`, `sweep.include[0].loss`) whose key is written in it —
    /// not one given by `--set` (`sets`), and not an error about a data file.
    fn locate(&self, e: Error, text: &str, path: &Path, sets: &[(String, toml::Value)]) -> Error {
        let Error::Field { path: file, field, message } = e else { return e };
        let (table, rest, from_base) = match field.strip_prefix("sweep.") {
            Some(rest) => (&self.sweep, rest, false),
            None => (&self.base, field.as_str(), true),
        };
        let key = rest.split(['[', '.']).next().unwrap_or(rest);
        let overridden = from_base && sets.iter().any(|(k, _)| k == key);
        match table.get(key) {
            Some(v) if file == path && !overridden => Error::at(path, text, v.span().start, format!("field `{field}`: {message}")),
            _ => Error::Field { path: file, field, message },
        }
    }
}

impl Experiment {
    /// Reads an experiment file (a regular file of at most
    /// [`crate::limits::MAX_EXPERIMENT_BYTES`]), applies `--set` overrides, and expands the grid;
    /// its data files must lie in its folder ([`Access::Confined`]).
    pub fn load(path: &Path, sets: &[(String, toml::Value)]) -> Result<Experiment, Error> {
        Self::load_with(path, sets, Access::Confined)
    }

    /// [`Experiment::load`], with data files outside the experiment's folder allowed or not.
    pub fn load_with(path: &Path, sets: &[(String, toml::Value)], access: Access) -> Result<Experiment, Error> {
        let text = crate::limits::read_text_limited(path, crate::limits::MAX_EXPERIMENT_BYTES, "experiment file")?;
        Self::parse_with(&text, path, sets, access)
    }

    /// Parses experiment TOML (`path` names it in errors and locates its data files, which must
    /// lie in its folder). Every cell is validated here — its names, values and sizes
    /// ([`super::check`]) — so that a bad value anywhere in the grid is reported before any
    /// cell runs; the grid is counted first, and one of more than [`MAX_CELLS`] combinations is
    /// refused.
    pub fn parse(text: &str, path: &Path, sets: &[(String, toml::Value)]) -> Result<Experiment, Error> {
        Self::parse_with(text, path, sets, Access::Confined)
    }

    /// [`Experiment::parse`], with data files outside the experiment's folder allowed or not.
    pub fn parse_with(text: &str, path: &Path, sets: &[(String, toml::Value)], access: Access) -> Result<Experiment, Error> {
        let file = parse_file(text, path)?;
        let name = match &file.name {
            Some(n) => safe_name(path, n, false)?,
            None => safe_name(path, &path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(), true)?,
        };
        let mut base = file.base;
        for (k, v) in sets {
            base.insert(k.clone(), v.clone());
        }
        let spans = Spans::parse(text);
        let at = |e: Error| spans.locate(e, text, path, sets);
        // validate the base alone first (unknown keys, types)
        let base_cell = cell(path, &base, &[]).map_err(at)?;
        let sweep = Sweep::split(path, &file.sweep).map_err(at)?;
        let cells = sweep.cells(path, &base, &base_cell, access).map_err(at)?;
        if cells.is_empty() {
            return Err(Error::field(path, "sweep", "the grid is empty (every cell excluded)"));
        }
        Ok(Experiment { path: path.to_path_buf(), name, cells, access })
    }
}

/// The `[sweep]` table split into its swept keys (each with its expanded values, in file order)
/// and its `include` / `exclude` lists of tables.
struct Sweep {
    keys: Vec<(String, Vec<toml::Value>)>,
    /// The keys given as a `range` or `log2` range (distinct values by construction).
    ranged: Vec<String>,
    include: Vec<toml::Table>,
    exclude: Vec<toml::Table>,
}

impl Sweep {
    /// Splits `[sweep]`, expanding each swept key's values (errors in file order), and refuses a
    /// grid of more than [`MAX_CELLS`] combinations.
    fn split(path: &Path, sweep: &toml::Table) -> Result<Sweep, Error> {
        let mut keys: Vec<(String, Vec<toml::Value>)> = Vec::new();
        let mut ranged = Vec::new();
        let mut include = Vec::new();
        let mut exclude = Vec::new();
        for (k, v) in sweep {
            match k.as_str() {
                "include" | "exclude" => {
                    let list = v
                        .as_array()
                        .ok_or_else(|| Error::field(path, &format!("sweep.{k}"), "expected a list of tables"))?;
                    for (i, e) in list.iter().enumerate() {
                        let t = e
                            .as_table()
                            .ok_or_else(|| Error::field(path, &format!("sweep.{k}[{i}]"), "expected a table"))?;
                        if k == "include" { include.push(t.clone()) } else { exclude.push(t.clone()) }
                    }
                }
                _ => {
                    keys.push((k.clone(), expand_values(path, k, v)?));
                    if v.is_table() {
                        ranged.push(k.clone());
                    }
                    let product = checked_product(keys.iter().map(|(_, v)| v.len()));
                    if product.is_none_or(|n| n > MAX_CELLS) {
                        let counts: Vec<String> = keys.iter().map(|(k, v)| format!("{k}: {}", v.len())).collect();
                        let total = product.map_or("more than 2^64".into(), |n| n.to_string());
                        return Err(Error::field(path, "sweep", format!("the grid has {total} combinations ({}), more than the {MAX_CELLS} a grid may have", counts.join(" × "))));
                    }
                }
            }
        }
        Ok(Sweep { keys, ranged, include, exclude })
    }

    /// Each swept key's distinct values as configuration fields (errors name `sweep.KEY`): a
    /// value is validated alone (its type, its key), and values that give the same
    /// configuration (`1` and `1.0` for a float) count once.
    fn keys(&self, path: &Path) -> Result<Vec<Key>, Error> {
        let empty = toml::Table::new();
        let mut keys = Vec::new();
        for (k, vals) in &self.keys {
            let ranged = self.ranged.contains(k);
            let mut seen = std::collections::HashSet::new();
            let mut fields: Vec<FieldValue> = Vec::new();
            for v in vals {
                let c = cell(path, &empty, &[(k.as_str(), v)]).map_err(|e| match e {
                    Error::Field { path, message, .. } => Error::Field { path, field: format!("sweep.{k}"), message },
                    other => other,
                })?;
                let f = field_of(&c, k);
                // a range's values are distinct; a list's are compared by their exact text
                // (`1` and `1.0` are one value, `0.0` and `-0.0` two)
                if ranged || seen.insert(format!("{f:?}")) {
                    fields.push(f);
                }
            }
            keys.push(Key { name: k.clone(), fields });
        }
        Ok(keys)
    }

    /// The `exclude` entries as masks over the keys' values; an entry naming a key that is not
    /// swept matches no cell.
    fn exclusions(&self, path: &Path, keys: &[Key]) -> Vec<Vec<(usize, Vec<bool>)>> {
        let empty = toml::Table::new();
        let mut out = Vec::new();
        'entries: for ex in &self.exclude {
            let mut entry = Vec::new();
            for (k, v) in ex {
                let Some(ki) = keys.iter().position(|key| key.name == *k) else { continue 'entries };
                let f = cell(path, &empty, &[(k.as_str(), v)]).ok().map(|c| field_of(&c, k));
                entry.push((ki, keys[ki].fields.iter().map(|g| f.as_ref() == Some(g)).collect()));
            }
            out.push(entry);
        }
        out
    }

    /// The lazily expanded cells, every one validated and counted.
    fn cells(&self, path: &Path, base: &toml::Table, base_cell: &CellConfig, access: Access) -> Result<Cells, Error> {
        let keys = self.keys(path)?;
        let exclude = self.exclusions(path, &keys);
        // data sources: the base's, the swept ones, the included ones (each file read once)
        let mut include = Vec::new();
        for (i, inc) in self.include.iter().enumerate() {
            let ov: Vec<(&str, &toml::Value)> = inc.iter().map(|(k, v)| (k.as_str(), v)).collect();
            include.push(cell(path, base, &ov).map_err(|e| match e {
                Error::Field { path, field, message } => Error::Field { path, field: format!("sweep.include[{i}].{field}"), message },
                other => other,
            })?);
        }
        let mut sources = vec![base_cell.data.clone()];
        for key in keys.iter().filter(|k| k.name == "data") {
            sources.extend(key.fields.iter().filter_map(|f| match f {
                FieldValue::String(s) => Some(s.clone()),
                _ => None,
            }));
        }
        sources.extend(include.iter().map(|c| c.data.clone()));
        let mut digests = BTreeMap::new();
        let mut read = BTreeMap::new();
        for s in sources {
            if !digests.contains_key(&s) {
                // read and validated once, confined by `access`, before any cell runs
                let source = super::Source::read(&s, path, access)?;
                let d = match &source {
                    Some(super::Source::Table(shape)) => Some(shape.digest.clone()),
                    _ => super::data_digest(&s, path, access)?,
                };
                if let Some(source) = source {
                    read.insert(s.clone(), source);
                }
                digests.insert(s, d);
            }
        }
        let mut cells = Cells { base: base_cell.clone(), keys, exclude, include: Vec::new(), digests, len: 0 };
        let available = crate::hessian::cost::available_memory();
        let mut len = 0usize;
        let mut externals_read = std::collections::BTreeSet::new();
        for idx in cells.combinations() {
            let c = cells.build(&idx).map_err(|m| in_sweep(Error::field(path, "data_sha256", m), &cells.keys))?;
            super::check(&c, path, available, read.get(&c.data)).map_err(|e| in_sweep(e, &cells.keys))?;
            super::check_externals(&c, path, access, read.get(&c.data), &mut externals_read).map_err(|e| in_sweep(e, &cells.keys))?;
            len += 1;
        }
        // an included cell that is a grid cell, or listed twice, is computed once
        let mut hashes = Vec::new();
        for (i, mut c) in include.into_iter().enumerate() {
            let named = |e: Error| match e {
                Error::Field { path, field, message } => Error::Field { path, field: format!("sweep.include[{i}].{field}"), message },
                other => other,
            };
            cells.pin(&mut c).map_err(|m| named(Error::field(path, "data_sha256", m)))?;
            super::check(&c, path, available, read.get(&c.data)).map_err(named)?;
            super::check_externals(&c, path, access, read.get(&c.data), &mut externals_read).map_err(named)?;
            let h = c.hash();
            if !cells.in_grid(&c) && !hashes.contains(&h) {
                hashes.push(h);
                cells.include.push(c);
                len += 1;
            }
        }
        cells.len = len;
        Ok(cells)
    }
}

/// Parses `key=value` (value in TOML syntax; bare words are strings).
pub fn parse_set(s: &str) -> Result<(String, toml::Value), Error> {
    let (k, v) = s.split_once('=').ok_or_else(|| Error::Option {
        option: "--set".into(),
        message: format!("`{s}`: expected key=value"),
    })?;
    let value = toml::from_str::<toml::Table>(&format!("v = {v}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(v.to_string()));
    Ok((k.trim().to_string(), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_an_accessor() {
        let mut c = cell(Path::new("e.toml"), &toml::Table::new(), &[]).unwrap();
        c.y_columns = Some(vec![1]);
        c.data_sha256 = Some("ab".into());
        c.store_matrices = true;
        c.policies = vec!["uniform".into(), "tf2-ampere".into()];
        c.rules = vec!["clairaut".into(), "tensorflow".into()];
        c.inputs = "binary32".into();
        c.truth_mode = "ball".into();
        c.externals = vec!["jax=h.npy".into()];
        c.bias = vec![true, false];
        (c.x, c.y, c.params) = (Some(vec![vec![0.5]]), Some(vec![vec![0.25]]), Some(vec![0.125]));
        let serde_json::Value::Object(m) = serde_json::to_value(&c).unwrap() else { panic!() };
        let mut count = 0;
        macro_rules! count {
            ($($f:ident: $v:ident),*) => { $( let _ = stringify!($f); count += 1; )* };
        }
        cell_fields!(count);
        assert_eq!(count, m.len(), "cell_fields! must list every field of CellConfig");
        let mut d = cell(Path::new("e.toml"), &toml::Table::new(), &[]).unwrap();
        for key in m.keys() {
            let v = c.get_field(key).unwrap_or_else(|| panic!("no accessor for {key}"));
            d.set_field(key, &v);
        }
        assert_eq!(d.hash(), c.hash());
    }

    #[test]
    fn the_hash_is_the_hex_sha256_of_the_canonical_json() {
        let c = cell(Path::new("e.toml"), &toml::Table::new(), &[]).unwrap();
        let json = serde_json::to_vec(&c).unwrap();
        // the digest written out by the standard formatter, byte by byte
        let want: String = Sha256::digest(&json).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(c.hash(), want);
        assert_eq!(c.id(), want[..16]);
    }

    #[test]
    fn grids_are_counted_before_they_are_built() {
        let path = Path::new("e.toml");
        let e = Experiment::parse("[sweep]\ndata_seed = { range = [1, 300] }\nweights_seed = { range = [1, 300] }\n", path, &[]).unwrap();
        assert_eq!(e.cells.len(), 90_000);
        let e = Experiment::parse("[sweep]\nn = { range = [1, 4] }\nexclude = [{ n = 2 }, { n = 9 }, { loss = \"mse\" }]\n", path, &[]).unwrap();
        assert_eq!(e.cells.iter().map(|c| c.n).collect::<Vec<_>>(), vec![1, 3, 4]);
        let err = Experiment::parse("[sweep]\na = { range = [1, 4000] }\nb = { range = [1, 4000] }\n", path, &[]).unwrap_err().to_string();
        assert!(err.contains("16000000 combinations (a: 4000 × b: 4000), more than the 10000000"), "{err}");
        let err = Experiment::parse("[sweep]\nn = { range = [-9223372036854775808, 9223372036854775807] }\n", path, &[]).unwrap_err().to_string();
        assert!(err.contains("2^64 values"), "{err}");
    }
}
