//! Experiments: configuration files and their resolution into problems and analysis requests (the sweep runner is [`crate::sweep`]).

pub mod config;
pub mod data;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use config::{CellConfig, Experiment};
pub use data::{digest as data_digest, is_file_source, Access};

use crate::scalar::matmul::PrecisionPolicy;
use crate::analysis::external::{External, ExternalSpec};
use crate::analysis::Request;
use crate::error::Error;
use crate::method::StepRule;
use crate::model::problem::Uniform;
use crate::model::{Activation, InputMode, Loss, Problem, Spec};
use crate::order::{Eval, Order};
use crate::scalar::hw::HwCtx;
use crate::scalar::rules::Rules;
use crate::scalar::{FmaPolicy, MathLib, Precision};

fn dec(v: f64) -> String {
    format!("{v:e}")
}

/// Seeded initialization: `glorot` (uniform ±√(6/(d_in+d_out))) or `he` (uniform ±√(6/d_in)),
/// drawn layer by layer, W row-major then b (none for a bias-free layer), from ChaCha8 with this
/// crate's own transform.
pub fn init_weights(spec: &Spec, kind: &str, seed: u64) -> Vec<f64> {
    let mut u = Uniform::new(seed);
    let mut out = Vec::with_capacity(spec.num_params());
    for l in 1..spec.layers.len() {
        let (din, dout) = (spec.layers[l - 1], spec.layers[l]);
        let scale = if kind == "he" { (6.0 / din as f64).sqrt() } else { (6.0 / (din + dout) as f64).sqrt() };
        let count = if spec.has_bias(l) { din * dout + dout } else { din * dout };
        for _ in 0..count {
            out.push(u.next() * scale);
        }
    }
    out
}

/// Row ⌊i·rows/n⌋ for i < n: `n` rows taken evenly (0 or more than `rows`: all rows).
fn evenly(rows: usize, n: usize) -> Vec<usize> {
    let n = evenly_count(rows, n);
    (0..n).map(|i| i * rows / n).collect()
}

/// How many rows [`evenly`] takes.
fn evenly_count(rows: usize, n: usize) -> usize {
    if n == 0 { rows } else { n.min(rows) }
}

/// A real data set shipped in `linfa-datasets`: `n` rows taken evenly across the set (row
/// ⌊i·rows/n⌋, so all classes are present), inputs as the set's decimals (the shortest decimal of
/// each stored f64, which is the CSV text for these sets), targets one-hot (iris: 3 classes), the
/// regression value (diabetes), or the quality score divided by 10 (winequality, red wines:
/// 1599 rows, 11 physico-chemical inputs, quality 3…8 → targets 0.3…0.8, written exactly as
/// `<q>e-1`). Returns (rows, inputs, targets, input width, target width).
pub fn dataset(name: &str, n: usize) -> Option<(usize, Vec<String>, Vec<String>, usize, usize)> {
    type Set = (Vec<Vec<f64>>, data::Rows, usize, usize);
    let (x, y, d0, dl): Set = match name {
        "iris" => {
            let ds = linfa_datasets::iris();
            let (r, t) = (&ds.records, &ds.targets);
            let x = (0..r.nrows()).map(|i| (0..r.ncols()).map(|j| r[[i, j]]).collect()).collect();
            let y = t.iter().map(|&c| (0..3).map(|k| dec(if k == c { 1.0 } else { 0.0 })).collect()).collect();
            (x, y, 4, 3)
        }
        "diabetes" => {
            let ds = linfa_datasets::diabetes();
            let (r, t) = (&ds.records, &ds.targets);
            let x = (0..r.nrows()).map(|i| (0..r.ncols()).map(|j| r[[i, j]]).collect()).collect();
            let y = t.iter().map(|&v| vec![dec(v)]).collect();
            (x, y, 10, 1)
        }
        "winequality" => {
            let ds = linfa_datasets::winequality();
            let (r, t) = (&ds.records, &ds.targets);
            let x = (0..r.nrows()).map(|i| (0..r.ncols()).map(|j| r[[i, j]]).collect()).collect();
            let y = t.iter().map(|&q| vec![format!("{q}e-1")]).collect();
            (x, y, 11, 1)
        }
        _ => return None,
    };
    let pick = evenly(x.len(), n);
    let xs = pick.iter().flat_map(|&i| x[i].iter().map(|v| dec(*v))).collect();
    let ys = pick.iter().flat_map(|&i| y[i].iter().cloned()).collect();
    Some((pick.len(), xs, ys, d0, dl))
}

/// `steps` of full-batch gradient descent θ ← θ − lr·∇L(θ) at f64 (sequential order, no-fma,
/// core-math): deterministic on every platform.
pub fn train(problem: &Problem, theta: Vec<f64>, steps: u32, lr: f64) -> Vec<f64> {
    let ctx = HwCtx::<f64>::new(MathLib::CoreMath, false);
    let mut inputs = problem.inputs::<f64>(InputMode::Decimal, &ctx).expect("finite inputs");
    inputs.theta = theta;
    let eval = Eval::new(Order::Sequential, problem.spec.sum_lengths(problem.n));
    for _ in 0..steps {
        let (_, g) = crate::hessian::gradient(&problem.spec, problem.n, &inputs, &eval, &ctx);
        for (t, gi) in inputs.theta.iter_mut().zip(&g) {
            *t -= lr * gi;
        }
    }
    inputs.theta
}

/// Resolves a cell into its problem (all numbers as decimal text) and analysis request.
/// `exp_path` is the experiment file (relative paths are resolved against its folder, and
/// confined to it unless `access` allows otherwise: [`data::data_path`]).
pub fn resolve(cell: &CellConfig, exp_path: &Path, id: &str, access: Access) -> Result<(Problem, Request), Error> {
    let problem = resolve_problem(cell, exp_path, id, access)?;
    let mut req = request(cell, problem.clone(), exp_path)?;
    req.externals = externals(cell, exp_path, access, &problem)?;
    Ok((problem, req))
}

/// The cell's problem: data and weights generated, read or trained as configured.
pub fn resolve_problem(cell: &CellConfig, exp_path: &Path, id: &str, access: Access) -> Result<Problem, Error> {
    let from_file = match cell.data.strip_prefix("problem:") {
        Some(p) => Some(Problem::load_with(&data::data_path(exp_path, &cell.data, p, access)?, access)?),
        None => None,
    };
    let spec = match &from_file {
        Some(pr) => pr.spec.clone(),
        None => cell_spec(cell, exp_path)?,
    };
    let source = PathBuf::from(format!("{}#{id}", exp_path.display()));
    let (n, x, y) = cell_data(cell, exp_path, &spec, from_file.as_ref(), access)?;
    if cell.y_columns.is_some() && !is_file_source(&cell.data) {
        return Err(Error::field(exp_path, "y_columns", format!("applies to csv: and npy: data, not \"{}\"", cell.data)));
    }
    let mut problem = Problem { source, spec: spec.clone(), n, x, y, params: Vec::new(), reference_loss: None };
    problem.check_labels()?;
    problem.params = cell_params(cell, exp_path, &problem, from_file.as_ref())?;
    Ok(problem)
}

/// The network a cell configures (`layers`, `activations` — one for all layers or one per
/// layer —, `loss` and `bias`), when it does not come from a problem file.
fn cell_spec(cell: &CellConfig, exp_path: &Path) -> Result<Spec, Error> {
    let mut activations = cell
        .activations
        .iter()
        .map(|a| Activation::by_name(a).ok_or_else(|| Error::field(exp_path, "activations", format!("unknown activation \"{a}\""))))
        .collect::<Result<Vec<_>, _>>()?;
    if cell.layers.len() < 2 || cell.layers.contains(&0) {
        return Err(Error::field(exp_path, "layers", format!("{:?}: need at least two widths ≥ 1", cell.layers)));
    }
    if activations.len() == 1 {
        activations = vec![activations[0]; cell.layers.len() - 1];
    }
    if activations.len() != cell.layers.len() - 1 {
        return Err(Error::field(exp_path, "activations", format!("{} given for {} layers", activations.len(), cell.layers.len() - 1)));
    }
    let loss = Loss::by_name(&cell.loss).ok_or_else(|| Error::field(exp_path, "loss", format!("unknown loss \"{}\"", cell.loss)))?;
    Ok(Spec::new(cell.layers.clone(), activations, loss).with_bias(cell_bias(cell, exp_path)?))
}

/// The cell's bias flags, one per layer of its `layers`: `bias` given for every layer, one for
/// all, or empty (every layer has a bias).
fn cell_bias(cell: &CellConfig, exp_path: &Path) -> Result<Vec<bool>, Error> {
    let depth = cell.layers.len().saturating_sub(1);
    match cell.bias.len() {
        0 => Ok(vec![true; depth]),
        1 => Ok(vec![cell.bias[0]; depth]),
        k if k == depth => Ok(cell.bias.clone()),
        k => Err(Error::field(exp_path, "bias", format!("{k} given for {depth} layers (one per layer, or one for all)"))),
    }
}

/// The cell's data as (N, x, y), numbers as decimal text: from the problem file, generated,
/// inline, a bundled data set, or a csv:/npy: file.
fn cell_data(cell: &CellConfig, exp_path: &Path, spec: &Spec, from_file: Option<&Problem>, access: Access) -> Result<(usize, Vec<String>, Vec<String>), Error> {
    let d0 = spec.layers[0];
    let dl = spec.layers[spec.depth()];
    // the width of a row of y: d_L, or 1 class label for a sparse loss
    let dy = spec.loss.y_width(dl);
    Ok(match (cell.data.as_str(), from_file) {
        (_, Some(pr)) => (pr.n, pr.x.clone(), pr.y.clone()),
        ("generated", _) => {
            if cell.n == 0 {
                return Err(Error::field(exp_path, "n", "must be at least 1"));
            }
            let g = Problem::generate(spec, cell.n, cell.data_seed);
            (cell.n, g.x, g.y)
        }
        ("inline", _) => inline_data(cell, exp_path, d0, dy)?,
        (set @ ("iris" | "diabetes" | "winequality"), _) => {
            let (n, x, y, w0, wl) = dataset(set, cell.n).expect("known data set");
            if (w0, wl) != (d0, dy) {
                return Err(Error::field(exp_path, "layers", format!("{:?}: the {set} data set needs {w0} inputs and {wl} outputs", spec.layers)));
            }
            (n, x, y)
        }
        (source, _) if is_file_source(source) => {
            let mut layers = spec.layers.clone();
            *layers.last_mut().expect("two widths") = dy;
            let (x, y) = data::load(source, exp_path, cell.y_columns.as_deref(), &layers, cell.data_sha256.as_deref(), access)?;
            let pick = evenly(x.len(), cell.n);
            let flat = |m: &[Vec<String>]| pick.iter().flat_map(|&i| m[i].iter().cloned()).collect::<Vec<_>>();
            (pick.len(), flat(&x), flat(&y))
        }
        (other, _) => return Err(Error::field(exp_path, "data", format!("unknown data source \"{other}\" (expected generated, inline, iris, diabetes, winequality, problem:<path>, csv:<path> or npy:<path>[,<path>])"))),
    })
}

/// `data = "inline"`: the cell's `x` and `y`, N rows of `d0` and `dl` finite numbers.
fn inline_data(cell: &CellConfig, exp_path: &Path, d0: usize, dl: usize) -> Result<(usize, Vec<String>, Vec<String>), Error> {
    let (Some(x), Some(y)) = (&cell.x, &cell.y) else {
        return Err(Error::field(exp_path, "data", "inline data needs `x` and `y`"));
    };
    if x.is_empty() {
        return Err(Error::field(exp_path, "x", "inline data needs at least one row"));
    }
    if x.len() != y.len() {
        return Err(Error::field(exp_path, "y", format!("has {} rows but `x` has {}", y.len(), x.len())));
    }
    let flat = |field: &str, m: &Vec<Vec<f64>>, width: usize| -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        for (i, row) in m.iter().enumerate() {
            if row.len() != width {
                return Err(Error::field(exp_path, format!("{field}[{i}]"), format!("has {} numbers but layers {:?} need {width}", row.len(), cell.layers)));
            }
            for (j, v) in row.iter().enumerate() {
                if !v.is_finite() {
                    return Err(Error::field(exp_path, format!("{field}[{i}][{j}]"), format!("{v} is not finite")));
                }
                out.push(dec(*v));
            }
        }
        Ok(out)
    };
    Ok((x.len(), flat("x", x, d0)?, flat("y", y, dl)?))
}

/// The cell's weights θ as decimal text: initialized, explicit, from the problem file, or
/// trained on `problem` (its data and network).
fn cell_params(cell: &CellConfig, exp_path: &Path, problem: &Problem, from_file: Option<&Problem>) -> Result<Vec<String>, Error> {
    let spec = &problem.spec;
    let p = spec.num_params();
    Ok(match cell.weights.as_str() {
        "glorot" | "he" => init_weights(spec, &cell.weights, cell.weights_seed).into_iter().map(dec).collect(),
        "explicit" => {
            let v = cell.params.as_ref().ok_or_else(|| Error::field(exp_path, "params", "explicit weights need `params`"))?;
            if v.len() != p {
                return Err(Error::field(exp_path, "params", format!("has {} numbers but layers {:?} need P = {p}", v.len(), spec.layers)));
            }
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(Error::field(exp_path, format!("params[{i}]"), format!("{} is not finite", v[i])));
            }
            v.iter().map(|x| dec(*x)).collect()
        }
        "problem" => match from_file {
            Some(pr) => pr.params.clone(),
            None => return Err(Error::field(exp_path, "weights", "\"problem\" weights need data = \"problem:<path>\"")),
        },
        "trained" => {
            if !(cell.train_lr.is_finite() && cell.train_lr > 0.0) {
                return Err(Error::field(exp_path, "train_lr", format!("{} must be positive", cell.train_lr)));
            }
            let theta0 = init_weights(spec, "glorot", cell.weights_seed);
            train(problem, theta0, cell.train_steps, cell.train_lr).into_iter().map(dec).collect()
        }
        other => return Err(Error::field(exp_path, "weights", format!("unknown initialization \"{other}\" (expected glorot, he, explicit, problem or trained)"))),
    })
}

/// A cell's analysis settings, parsed and validated exactly as `analyze` validates its options
/// (the names of methods, precisions, orders, FMA policies, the math library, the truth, the
/// step rule, and the bounds of `check_extra` and `kink_tol`), without reading any data.
struct Settings {
    methods: Vec<crate::method::Method>,
    precisions: Vec<Precision>,
    orders: Vec<Order>,
    fmas: Vec<bool>,
    policies: Vec<PrecisionPolicy>,
    rules: Vec<Rules>,
    inputs: InputMode,
    math: MathLib,
    step: StepRule,
    truth_bits: Option<u32>,
}

fn settings(cell: &CellConfig, exp_path: &Path) -> Result<Settings, Error> {
    let parse_list = |field: &str, v: &[String]| -> Result<(), Error> {
        if v.is_empty() {
            return Err(Error::field(exp_path, field, "empty list"));
        }
        Ok(())
    };
    parse_list("methods", &cell.methods)?;
    parse_list("precisions", &cell.precisions)?;
    parse_list("orders", &cell.orders)?;
    parse_list("fma", &cell.fma)?;
    fn named<T>(exp_path: &Path, field: &str, s: &str, r: Result<T, String>) -> Result<T, Error> {
        r.map_err(|m| Error::field(exp_path, field, format!("\"{s}\": {m}")))
    }
    let methods = cell.methods.iter().map(|s| named(exp_path, "methods", s, s.parse())).collect::<Result<Vec<_>, _>>()?;
    let precisions: Vec<Precision> = cell.precisions.iter().map(|s| named(exp_path, "precisions", s, s.parse())).collect::<Result<_, _>>()?;
    let orders = cell.orders.iter().map(|s| named(exp_path, "orders", s, s.parse())).collect::<Result<Vec<_>, _>>()?;
    let fmas = cell.fma.iter().map(|s| named(exp_path, "fma", s, s.parse().map(FmaPolicy::fused))).collect::<Result<Vec<_>, _>>()?;
    let policies: Vec<PrecisionPolicy> = cell.policies.iter().map(|s| named(exp_path, "policies", s, s.parse())).collect::<Result<_, _>>()?;
    if policies.is_empty() {
        return Err(Error::field(exp_path, "policies", "the list is empty (the default is [\"uniform\"])"));
    }
    crate::analysis::check_policies(&policies, &methods, &precisions, &orders).map_err(|m| Error::field(exp_path, "policies", m))?;
    parse_list("rules", &cell.rules)?;
    let rules = cell.rules.iter().map(|s| named(exp_path, "rules", s, s.parse())).collect::<Result<Vec<Rules>, _>>()?;
    let inputs = InputMode::by_name(&cell.inputs).ok_or_else(|| Error::field(exp_path, "inputs", format!("{} (expected decimal, binary64, binary32 or as-stored)", crate::error::shown(&cell.inputs))))?;
    let math: MathLib = named(exp_path, "math", &cell.math, cell.math.parse())?;
    let truth_bits = match cell.truth.as_str() {
        "auto" => None,
        s => match s.parse::<Precision>() {
            Ok(Precision::Mp(b)) => Some(b),
            _ => return Err(Error::field(exp_path, "truth", format!("\"{s}\" (expected auto or mp:<bits>)"))),
        },
    };
    let step = match cell.step_rule.as_str() {
        "optimal" => StepRule::Optimal,
        "fixed" | "relative" => named(exp_path, "step_h", &cell.step_h.to_string(), format!("{}:{}", cell.step_rule, dec(cell.step_h)).parse())?,
        other => return Err(Error::field(exp_path, "step_rule", format!("\"{other}\" (expected optimal, fixed or relative)"))),
    };
    crate::limits::check_extra_bits(cell.check_extra).map_err(|m| Error::field(exp_path, "check_extra", m))?;
    crate::limits::check_kink_tol(cell.kink_tol).map_err(|m| Error::field(exp_path, "kink_tol", m))?;
    truth_mode(cell, exp_path)?;
    external_specs(cell, exp_path)?;
    Ok(Settings { methods, precisions, orders, fmas, policies, rules, inputs, math, step, truth_bits })
}

/// The cell's `externals` items, parsed (errors name `externals[i]`), with distinct names.
fn external_specs(cell: &CellConfig, exp_path: &Path) -> Result<Vec<ExternalSpec>, Error> {
    let specs = cell
        .externals
        .iter()
        .enumerate()
        .map(|(i, s)| ExternalSpec::parse(s).map_err(|m| Error::field(exp_path, format!("externals[{i}]"), m)))
        .collect::<Result<Vec<_>, _>>()?;
    crate::analysis::external::check_names(&specs).map_err(|m| Error::field(exp_path, "externals", m))?;
    Ok(specs)
}

/// The cell's external Hessians, read for `problem`'s network: each file relative to the
/// experiment's folder and confined to it unless `access` allows otherwise ([`data::data_path`]).
pub fn externals(cell: &CellConfig, exp_path: &Path, access: Access, problem: &Problem) -> Result<Vec<External>, Error> {
    external_paths(cell, exp_path, access)?.iter().map(|(spec, path)| External::load(spec, path, &problem.spec.layers, &problem.spec.bias)).collect()
}

/// Reads the cell's external Hessians for its network — the problem file's (`source`) or its
/// `layers` — so that a file of the wrong shape, dtype or precision is refused when the
/// experiment is read, before any cell runs. Each file is read once per item and network
/// (`seen`).
pub fn check_externals(cell: &CellConfig, exp_path: &Path, access: Access, source: Option<&Source>, seen: &mut BTreeSet<String>) -> Result<(), Error> {
    let (layers, bias) = match source {
        Some(Source::Problem { layers, bias, .. }) => (layers, bias.clone()),
        _ => (&cell.layers, cell_bias(cell, exp_path)?),
    };
    for (spec, path) in external_paths(cell, exp_path, access)? {
        if seen.insert(format!("{spec:?} {layers:?} {bias:?}")) {
            External::load(&spec, &path, layers, &bias)?;
        }
    }
    Ok(())
}

/// The cell's `externals` items with their files: confined to the experiment's folder unless
/// `access` allows otherwise, and regular files (checked when the experiment is read, before
/// any cell runs; their contents are checked by [`check_externals`] then, and read
/// again when the cell runs).
pub fn external_paths(cell: &CellConfig, exp_path: &Path, access: Access) -> Result<Vec<(ExternalSpec, PathBuf)>, Error> {
    let mut out = Vec::new();
    for (i, spec) in external_specs(cell, exp_path)?.into_iter().enumerate() {
        let path = data::data_path(exp_path, &spec.file, &spec.file, access).map_err(|e| match e {
            Error::Field { path, message, .. } => Error::Field { path, field: format!("externals[{i}]"), message },
            other => other,
        })?;
        crate::input::ensure_regular(&path)?;
        out.push((spec, path));
    }
    Ok(out)
}

/// Validates a cell: its analysis settings (as [`request`] parses them), its network, data
/// source and weights, and its size — the estimated memory of its analysis
/// ([`crate::hessian::cost::analysis_memory`], one worker) against `available` bytes. `source`
/// is what its data source holds ([`Source::read`], once per experiment): a `problem:` cell is
/// sized by the problem file's network and batch, a `csv:`/`npy:` cell by the file's rows, and
/// its `layers` and `y_columns` are checked against the file's columns. Without `source` a file
/// cell is checked for everything but its data (which is then checked when it runs).
pub fn check(cell: &CellConfig, exp_path: &Path, available: Option<u64>, source: Option<&Source>) -> Result<(), Error> {
    let s = settings(cell, exp_path)?;
    let dataset_rows = |set: &str| match set { "iris" => 150, "diabetes" => 442, _ => 1599 };
    let n = match (cell.data.as_str(), source) {
        // the problem file's network and batch, not the cell's `layers` and `n`
        (_, Some(Source::Problem { layers, bias, n })) => return check_size(cell, exp_path, &s, layers, bias, *n as u64, available),
        (d, Some(Source::Table(shape))) if is_file_source(d) => {
            shape.columns(exp_path, cell.y_columns.as_deref(), &cell.layers)?;
            evenly_count(shape.rows(), cell.n) as u64
        }
        (d, _) if d.starts_with("problem:") => return Ok(()),
        ("generated", _) if cell.n == 0 => return Err(Error::field(exp_path, "n", "must be at least 1")),
        ("generated", _) => cell.n as u64,
        ("inline", _) => cell.x.as_ref().map_or(1, |x| x.len().max(1) as u64),
        (set @ ("iris" | "diabetes" | "winequality"), _) => (if cell.n == 0 { dataset_rows(set) } else { cell.n.min(dataset_rows(set)) }) as u64,
        (d, _) if is_file_source(d) => 1,
        (other, _) => return Err(Error::field(exp_path, "data", format!("unknown data source \"{other}\" (expected generated, inline, iris, diabetes, winequality, problem:<path>, csv:<path> or npy:<path>[,<path>])"))),
    };
    let spec = cell_spec(cell, exp_path)?;
    if !["glorot", "he", "explicit", "problem", "trained"].contains(&cell.weights.as_str()) {
        return Err(Error::field(exp_path, "weights", format!("unknown initialization \"{}\" (expected glorot, he, explicit, problem or trained)", cell.weights)));
    }
    if cell.weights == "trained" && !(cell.train_lr.is_finite() && cell.train_lr > 0.0) {
        return Err(Error::field(exp_path, "train_lr", format!("{} must be positive", cell.train_lr)));
    }
    check_size(cell, exp_path, &s, &cell.layers, &spec.bias, n, available)
}

/// What an experiment's data source holds, read once when the experiment is loaded so that
/// [`check`] validates every cell against it before any cell runs.
#[derive(Clone, Debug)]
pub enum Source {
    /// A `problem:` file: its network and batch size (they replace the cell's).
    Problem {
        /// Layer widths.
        layers: Vec<usize>,
        /// Bias flags, one per layer.
        bias: Vec<bool>,
        /// Batch size N.
        n: usize,
    },
    /// A `csv:`/`npy:` source: its tables' shapes.
    Table(data::Shape),
}

impl Source {
    /// Reads the source `data` (a `problem:`, `csv:` or `npy:` one; `None` for the others).
    pub fn read(data: &str, exp_path: &Path, access: Access) -> Result<Option<Source>, Error> {
        if let Some(rel) = data.strip_prefix("problem:") {
            let p = Problem::load_with(&data::data_path(exp_path, data, rel, access)?, access)?;
            return Ok(Some(Source::Problem { layers: p.spec.layers, bias: p.spec.bias, n: p.n }));
        }
        Ok(data::shape(data, exp_path, access)?.map(Source::Table))
    }
}

/// Refuses a cell whose analysis would not fit in `available` bytes (or whose sizes overflow).
#[allow(clippy::too_many_arguments)]
fn check_size(cell: &CellConfig, exp_path: &Path, s: &Settings, layers: &[usize], bias: &[bool], n: u64, available: Option<u64>) -> Result<(), Error> {
    use crate::hessian::cost::{analysis_memory, fmt_bytes, AnalysisShape, Dims};
    let dims = Dims::checked(layers, bias, n)
        .ok_or_else(|| Error::field(exp_path, "layers", format!("{layers:?}: the number of parameters overflows a 64-bit integer")))?;
    let p_max = s.precisions.iter().map(|q| q.bits()).max().unwrap_or(53);
    let need = |dims: Dims| {
        let shape = AnalysisShape {
            dims,
            methods: &s.methods,
            precisions: &s.precisions,
            orders: s.orders.len(),
            fmas: s.fmas.len(),
            policies: s.policies.len(),
            role_runs: crate::hessian::cost::role_runs(&s.policies),
            truth_bits: s.truth_bits.unwrap_or_else(|| crate::analysis::truth::default_bits(p_max)),
            check_extra: cell.check_extra,
            spectrum: cell.spectrum,
            keep_matrices: cell.store_matrices,
        };
        analysis_memory(&shape, 1) + dims.problem_bytes()
    };
    match available {
        Some(avail) if need(dims) > avail as f64 => {
            // name n when the network alone would fit
            let field = if need(Dims { n: 1, ..dims }) <= avail as f64 { "n" } else { "layers" };
            let what = format!("layers {layers:?}, N = {n}: P = {}", dims.params);
            Err(Error::field(exp_path, field, format!("{what}: this cell's analysis needs an estimated {}, more than the {} available", fmt_bytes(need(dims)), fmt_bytes(avail as f64))))
        }
        _ => Ok(()),
    }
}

/// The cell's `truth_mode`.
fn truth_mode(cell: &CellConfig, exp_path: &Path) -> Result<crate::analysis::truth::TruthMode, Error> {
    cell.truth_mode.parse().map_err(|m: String| Error::field(exp_path, "truth_mode", m))
}

/// The analysis request of a cell on `problem`, without its external Hessians (read by
/// [`externals`]; [`resolve`] adds them).
pub fn request(cell: &CellConfig, problem: Problem, exp_path: &Path) -> Result<Request, Error> {
    let Settings { methods, precisions, orders, fmas, policies, rules, inputs, math, step, truth_bits } = settings(cell, exp_path)?;
    // every number must be finite in every requested format: checked by the analysis itself
    let req = Request {
        problem,
        methods,
        precisions,
        orders,
        fmas,
        policies,
        rules,
        math,
        inputs,
        step,
        truth_bits,
        check_extra: cell.check_extra,
        truth_mode: truth_mode(cell, exp_path)?,
        kink_tol: cell.kink_tol,
        spectrum: cell.spectrum,
        keep_matrices: cell.store_matrices,
        externals: Vec::new(),
    };
    crate::analysis::check_rules(&req).map_err(|m| Error::field(exp_path, "rules", m))?;
    Ok(req)
}
