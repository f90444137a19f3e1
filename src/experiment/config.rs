//! Experiment files (TOML): a base configuration and a sweep over its keys.
//!
//! ```toml
//! name = "precision-ladder"          # optional, for humans
//!
//! [base]                             # one cell's configuration; every key optional
//! layers = [4, 8, 2]
//! activations = ["tanh", "identity"] # one per layer, or one for all
//! loss = "mse"
//! n = 16
//! data = "generated"                 # generated | inline | iris | diabetes | winequality |
//!                                    # problem:<path> | csv:<path> | npy:<x.npy>,<y.npy> | npy:<path>
//! weights = "glorot"                 # glorot | he | explicit | problem | trained
//! methods = ["fwd-rev", "rev-rev"]
//! precisions = ["f32", "f64"]
//!
//! [sweep]                            # the grid: the cartesian product of these keys
//! precisions = [["binary16"], ["f32"], ["f64"]]   # a list of values…
//! n = { range = [8, 32, 8] }         # …an integer range [start, stop] with step (inclusive)…
//! step_h = { log2 = [-40, -4, 4] }   # …or powers of two 2^a … 2^b (step 4)
//! exclude = [{ loss = "mse", n = 8 }]       # drop cells matching every key given
//! include = [{ n = 64, precisions = ["mp:128"] }]  # extra cells: base + these keys
//! ```
//!
//! Unknown keys anywhere are rejected with the file and key named. `--set key=value` (value in
//! TOML syntax) overrides the base before expansion. Each cell is identified by the SHA-256 of
//! its normalized configuration ([`CellConfig::hash`]), so a cell's identity does not depend on
//! how the grid was written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;

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
    /// Math library.
    #[serde(default = "d_math")]
    pub math: String,
    /// `auto` or `mp:<bits>`.
    #[serde(default = "d_truth")]
    pub truth: String,
    /// Extra bits of the truth's check.
    #[serde(default = "d_check")]
    pub check_extra: u32,
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
}

impl CellConfig {
    /// SHA-256 (hex) of the canonical JSON of this configuration.
    pub fn hash(&self) -> String {
        let bytes = serde_json::to_vec(self).expect("serializable");
        Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
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
    /// The cells, in grid order.
    pub cells: Vec<CellConfig>,
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

/// The values of a `range` / `log2` / list specification.
fn expand_values(path: &Path, key: &str, v: &toml::Value) -> Result<Vec<toml::Value>, Error> {
    let field = format!("sweep.{key}");
    let values: Values = v
        .clone()
        .try_into()
        .map_err(|e| Error::field(path, &field, format!("expected a list, {{range = [a, b, step]}} or {{log2 = [a, b, step]}}: {e}")))?;
    let triple = |r: &[i64], what: &str| -> Result<(i64, i64, i64), Error> {
        match r {
            [a, b] if a <= b => Ok((*a, *b, 1)),
            [a, b, s] if a <= b && *s > 0 => Ok((*a, *b, *s)),
            _ => Err(Error::field(path, &field, format!("bad {what} {r:?}: expected [start, stop] or [start, stop, step] with start ≤ stop, step > 0"))),
        }
    };
    let out: Vec<toml::Value> = match values {
        Values::List(l) => l,
        Values::Spec(RangeSpec { range: Some(r), log2: None }) => {
            let (a, b, s) = triple(&r, "range")?;
            (a..=b).step_by(s as usize).map(toml::Value::Integer).collect()
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

/// Applies `overrides` to `base` and validates the result as a cell configuration.
fn cell(path: &Path, base: &toml::Table, overrides: &[(&str, &toml::Value)]) -> Result<CellConfig, Error> {
    let mut t = base.clone();
    for (k, v) in overrides {
        t.insert((*k).to_string(), (*v).clone());
    }
    toml::Value::Table(t).try_into().map_err(|e: toml::de::Error| {
        let msg = e.message().to_string();
        // name the key at fault when serde says which
        let key = msg.split('`').nth(1).unwrap_or("base");
        Error::field(path, key, msg.clone())
    })
}

impl Experiment {
    /// Reads an experiment file, applies `--set` overrides, and expands the grid.
    pub fn load(path: &Path, sets: &[(String, toml::Value)]) -> Result<Experiment, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Io { path: path.to_path_buf(), message: e.to_string() })?;
        Self::parse(&text, path, sets)
    }

    /// Parses experiment TOML (`path` names it in errors).
    pub fn parse(text: &str, path: &Path, sets: &[(String, toml::Value)]) -> Result<Experiment, Error> {
        let file: ExperimentFile = toml::from_str(text).map_err(|e| {
            let msg = e.message().to_string();
            let key = msg.split('`').nth(1).unwrap_or("(top level)").to_string();
            Error::field(path, &key, msg.replace('\n', " "))
        })?;
        let mut base = file.base;
        for (k, v) in sets {
            base.insert(k.clone(), v.clone());
        }
        // validate the base alone first (unknown keys, types)
        cell(path, &base, &[])?;
        let sweep = Sweep::split(path, &file.sweep)?;
        sweep.validate(path, &base)?;
        let mut cells = sweep.grid(path, &base)?;
        cells.extend(sweep.included(path, &base)?);
        pin_data_digests(path, &mut cells)?;
        // a cell listed twice is computed once
        let mut seen = BTreeMap::new();
        cells.retain(|c| seen.insert(c.hash(), ()).is_none());
        if cells.is_empty() {
            return Err(Error::field(path, "sweep", "the grid is empty (every cell excluded)"));
        }
        Ok(Experiment {
            path: path.to_path_buf(),
            name: file.name.unwrap_or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()),
            cells,
        })
    }
}

/// The `[sweep]` table split into its swept keys (each with its expanded values, in file order)
/// and its `include` / `exclude` lists of tables.
struct Sweep {
    keys: Vec<(String, Vec<toml::Value>)>,
    include: Vec<toml::Table>,
    exclude: Vec<toml::Table>,
}

impl Sweep {
    /// Splits `[sweep]`, expanding each swept key's values (errors in file order).
    fn split(path: &Path, sweep: &toml::Table) -> Result<Sweep, Error> {
        let mut keys: Vec<(String, Vec<toml::Value>)> = Vec::new();
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
                _ => keys.push((k.clone(), expand_values(path, k, v)?)),
            }
        }
        Ok(Sweep { keys, include, exclude })
    }

    /// Validates each sweep key and value against the configuration (errors name `sweep.KEY`).
    fn validate(&self, path: &Path, base: &toml::Table) -> Result<(), Error> {
        for (k, vals) in &self.keys {
            for v in vals {
                cell(path, base, &[(k.as_str(), v)]).map_err(|e| match e {
                    Error::Field { path, message, .. } => Error::Field { path, field: format!("sweep.{k}"), message },
                    other => other,
                })?;
            }
        }
        Ok(())
    }

    /// The grid's cells: every combination of the swept keys' values (last key fastest), less
    /// those an `exclude` entry matches.
    fn grid(&self, path: &Path, base: &toml::Table) -> Result<Vec<CellConfig>, Error> {
        let keys = &self.keys;
        let mut cells = Vec::new();
        let mut idx = vec![0usize; keys.len()];
        loop {
            let assignment: Vec<(&str, &toml::Value)> =
                keys.iter().zip(&idx).map(|((k, v), &i)| (k.as_str(), &v[i])).collect();
            let excluded = self.exclude.iter().any(|ex| ex.iter().all(|(k, v)| assignment.iter().any(|(ak, av)| ak == k && *av == v)));
            if !excluded {
                cells.push(cell(path, base, &assignment)?);
            }
            // next index (odometer, last key fastest)
            let mut d = keys.len();
            loop {
                if d == 0 {
                    break;
                }
                d -= 1;
                idx[d] += 1;
                if idx[d] < keys[d].1.len() {
                    break;
                }
                idx[d] = 0;
                if d == 0 {
                    d = usize::MAX;
                    break;
                }
            }
            if keys.is_empty() || d == usize::MAX {
                break;
            }
        }
        Ok(cells)
    }

    /// The cells the `include` entries add (errors name `sweep.include[i].KEY`).
    fn included(&self, path: &Path, base: &toml::Table) -> Result<Vec<CellConfig>, Error> {
        let mut cells = Vec::new();
        for (i, inc) in self.include.iter().enumerate() {
            let ov: Vec<(&str, &toml::Value)> = inc.iter().map(|(k, v)| (k.as_str(), v)).collect();
            cells.push(cell(path, base, &ov).map_err(|e| match e {
                Error::Field { path, field, message } => Error::Field { path, field: format!("sweep.include[{i}].{field}"), message },
                other => other,
            })?);
        }
        Ok(cells)
    }
}

/// Data files: their digest joins each cell's identity (read once per source), and a pinned
/// `data_sha256` must match it.
fn pin_data_digests(path: &Path, cells: &mut [CellConfig]) -> Result<(), Error> {
    let mut digests: BTreeMap<String, Option<String>> = BTreeMap::new();
    for c in cells {
        if !digests.contains_key(&c.data) {
            digests.insert(c.data.clone(), super::data_digest(&c.data, path)?);
        }
        if let Some(d) = &digests[&c.data] {
            if let Some(pinned) = &c.data_sha256 {
                if pinned != d {
                    return Err(Error::field(path, "data_sha256", format!("{pinned} is pinned, but the data of \"{}\" now has SHA-256 {d}", c.data)));
                }
            }
            c.data_sha256 = Some(d.clone());
        } else if c.data_sha256.is_some() {
            return Err(Error::field(path, "data_sha256", format!("applies to csv:/npy: data only, not \"{}\"", c.data)));
        }
    }
    Ok(())
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
