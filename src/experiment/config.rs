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
//! Unknown keys anywhere are rejected with the file and key named; a TOML syntax error is
//! reported as `file:line:column`. `name` must be a safe folder name (it names the default
//! output folder `results/<name>`): no `/`, `\`, `..`, control characters or leading `.`. Data
//! files (`problem:`, `csv:`, `npy:`) are read relative to the experiment file's folder and must
//! stay inside it unless [`Access::AllowOutside`] (`--allow-outside`) is given; they are read
//! (and problem files validated) when the experiment is loaded, before any cell runs.
//! `--set key=value` (value in
//! TOML syntax) overrides the base before expansion. Each cell is identified by the SHA-256 of
//! its normalized configuration ([`CellConfig::hash`]), so a cell's identity does not depend on
//! how the grid was written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::data::Access;
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
    /// Orders.
    #[serde(default = "d_orders")]
    pub orders: Vec<String>,
    /// FMA policies.
    #[serde(default = "d_fma")]
    pub fma: Vec<String>,
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
    let decode = |t: toml::Table| toml::Value::Table(t).try_into::<CellConfig>();
    decode(t.clone()).map_err(|e| {
        // the key at fault: the first that does not decode alone (every key has a default)
        let bad = t.iter().find_map(|(k, v)| decode(toml::Table::from_iter([(k.clone(), v.clone())])).err().map(|e| (k.clone(), e)));
        match bad {
            Some((k, e)) => Error::field(path, k, e.message()),
            None => Error::field(path, "base", e.message()),
        }
    })
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

impl Experiment {
    /// Reads an experiment file, applies `--set` overrides, and expands the grid; its data files
    /// must lie in its folder ([`Access::Confined`]).
    pub fn load(path: &Path, sets: &[(String, toml::Value)]) -> Result<Experiment, Error> {
        Self::load_with(path, sets, Access::Confined)
    }

    /// [`Experiment::load`], with data files outside the experiment's folder allowed or not.
    pub fn load_with(path: &Path, sets: &[(String, toml::Value)], access: Access) -> Result<Experiment, Error> {
        let text = crate::input::read_text(path)?;
        Self::parse_with(&text, path, sets, access)
    }

    /// Parses experiment TOML (`path` names it in errors and locates its data files, which must
    /// lie in its folder).
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
        // validate the base alone first (unknown keys, types)
        cell(path, &base, &[])?;
        let sweep = Sweep::split(path, &file.sweep)?;
        sweep.validate(path, &base)?;
        let mut cells = sweep.grid(path, &base)?;
        cells.extend(sweep.included(path, &base)?);
        pin_data_digests(path, &mut cells, access)?;
        check_problem_files(path, &cells, access)?;
        // a cell listed twice is computed once
        let mut seen = BTreeMap::new();
        cells.retain(|c| seen.insert(c.hash(), ()).is_none());
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
fn pin_data_digests(path: &Path, cells: &mut [CellConfig], access: Access) -> Result<(), Error> {
    let mut digests: BTreeMap<String, Option<String>> = BTreeMap::new();
    for c in cells {
        if !digests.contains_key(&c.data) {
            digests.insert(c.data.clone(), super::data_digest(&c.data, path, access)?);
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

/// The `problem:<path>` files of the cells: each confined by `access` and read and validated
/// once, so that a bad one is reported before any cell runs.
fn check_problem_files(path: &Path, cells: &[CellConfig], access: Access) -> Result<(), Error> {
    let mut seen = std::collections::BTreeSet::new();
    for c in cells {
        if let Some(rel) = c.data.strip_prefix("problem:") {
            if seen.insert(rel) {
                crate::model::Problem::load(&super::data::data_path(path, &c.data, rel, access)?)?;
            }
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
