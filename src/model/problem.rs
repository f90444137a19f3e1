//! The problem file: architecture, loss, data and parameters, with every number kept as the
//! decimal text of the file.
//!
//! ```json
//! { "layers": [2, 2], "activations": ["sigmoid"], "loss": "mse",
//!   "x": [[1.0, 2.0]], "y": [[0.5, 0.5]], "params": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] }
//! ```
//!
//! The JSON is read with `serde_json`'s `arbitrary_precision`, so each number reaches Clairaut
//! as the digits written in the file, never through an `f64`. Each working format then receives
//! the correctly rounded value of that decimal (MPFR parses it at the working precision; `f32`
//! and `f64` use Rust's correctly rounded parser). `"0.1"` is the real number 1/10 at ground
//! truth and fl(0.1) in `f64`: the difference is the *input quantization* cause. With
//! [`InputMode::Binary64`] / [`InputMode::Binary32`] every number is first pinned to its
//! `f64` / `f32` value and then converted exactly. [`InputMode::AsStored`] takes every number
//! as the exact value of what the file stores: the decimal text as written, and each value of a
//! binary tensor file exactly (see below) — the same values as `decimal`, named for what they are.
//!
//! `x`, `y` and `params` may instead name a tensor in a `.safetensors`, `.npz` or `.npy` file
//! (`{"file": "model.safetensors", "layout": "torch"}`), and `reference_loss` the loss the
//! framework recorded: see [`super::import`], which reads every stored float into the exact
//! decimal text of its value.
//!
//! `"bias": [true, false]` (optional, one flag per layer) declares layers without a bias
//! ([`Spec::bias`]): θ then holds no `b_l` for them. Absent, every layer has one (and
//! [`Problem::to_json`] writes it only when some layer has none).
//!
//! A file may also wrap the problem as `{"problem": {...}, ...}` (as the reference files do).
//!
//! Only a regular UTF-8 file is read ([`crate::input::read_text`]). Errors name the file and
//! the line and column (malformed JSON) or the field; a value at fault is quoted when it is a
//! number or a short name, otherwise described by its kind, never printed.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::import::Ref;
use super::{Activation, Loss, Spec};
use crate::error::Error;
use crate::input::Access;
use crate::scalar::Real;

/// How the decimal numbers of a problem become values of the working format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum InputMode {
    /// The exact decimal, correctly rounded into the working format (default).
    #[value(name = "decimal")]
    Decimal,
    /// The nearest `f64`, then exactly (or correctly rounded, if narrower) into the format.
    #[value(name = "binary64")]
    Binary64,
    /// The nearest `f32`, then into the format.
    #[value(name = "binary32")]
    Binary32,
    /// The exact value of what the file stores (decimal text as written; tensor files' floats
    /// exactly), correctly rounded into the format — the default's values, for binary files.
    #[value(name = "as-stored")]
    AsStored,
}

impl InputMode {
    /// Canonical name.
    pub fn name(self) -> &'static str {
        match self {
            InputMode::Decimal => "decimal",
            InputMode::Binary64 => "binary64",
            InputMode::Binary32 => "binary32",
            InputMode::AsStored => "as-stored",
        }
    }
    /// Looks a mode up by name.
    pub fn by_name(s: &str) -> Option<Self> {
        [InputMode::Decimal, InputMode::Binary64, InputMode::Binary32, InputMode::AsStored]
            .into_iter()
            .find(|m| m.name() == s)
    }
}

/// A validated problem.
#[derive(Clone, Debug)]
pub struct Problem {
    /// The file it came from (for error messages).
    pub source: PathBuf,
    /// Architecture and loss.
    pub spec: Spec,
    /// Batch size N.
    pub n: usize,
    /// Inputs, N × d₀ row-major, as decimal text.
    pub x: Vec<String>,
    /// Targets, N × d_L row-major, as decimal text (N × 1 class labels for a sparse loss).
    pub y: Vec<String>,
    /// θ, as decimal text.
    pub params: Vec<String>,
    /// The framework's recorded loss against Clairaut's (`reference_loss`, [`super::import`]).
    pub reference_loss: Option<super::import::ReferenceLoss>,
}

/// A problem's numbers in one working format.
#[derive(Clone, Debug)]
pub struct Inputs<R> {
    /// Inputs, N × d₀.
    pub x: Vec<R>,
    /// Targets, N × d_L.
    pub y: Vec<R>,
    /// θ.
    pub theta: Vec<R>,
}

const KEYS: [&str; 8] = ["layers", "activations", "loss", "bias", "x", "y", "params", "reference_loss"];

impl Problem {
    /// Reads and validates a problem file (at most [`crate::limits::MAX_PROBLEM_BYTES`]).
    /// Tensor files it names must lie in its folder ([`Access::Confined`]).
    pub fn load(path: &Path) -> Result<Problem, Error> {
        Self::load_with(path, Access::Confined)
    }

    /// [`Problem::load`], with the tensor files it names confined to its folder or not.
    pub fn load_with(path: &Path, access: Access) -> Result<Problem, Error> {
        let text = crate::limits::read_text_limited(path, crate::limits::MAX_PROBLEM_BYTES, "problem file")?;
        Self::parse_with(&text, path, access)
    }

    /// Parses and validates problem JSON; `path` names it in errors (and locates the tensor
    /// files it names, which must lie in its folder).
    pub fn parse(text: &str, path: &Path) -> Result<Problem, Error> {
        Self::parse_with(text, path, Access::Confined)
    }

    /// [`Problem::parse`], with the tensor files it names confined to its folder or not.
    pub fn parse_with(text: &str, path: &Path, access: Access) -> Result<Problem, Error> {
        let value: Value = serde_json::from_str(text).map_err(|e| json_error(path, &e))?;
        let field_err = |field: &str, message: String| Error::field(path, field, message);
        let obj = problem_object(value, path)?;
        let (mut spec, declared) = spec_of(&obj, path)?;
        let depth = spec.layers.len() - 1;
        if crate::limits::checked_num_params(&spec.layers).is_none_or(|p| usize::try_from(p).is_err()) {
            return Err(field_err("layers", format!("{:?}: the number of parameters overflows a 64-bit integer", spec.layers)));
        }

        let tensor = |k: &str| Ref::of(&obj, k, path, access);
        let x = match tensor("x")? { Some(r) => r.rows(spec.layers[0])?, None => matrix(&obj, "x", spec.layers[0], path)? };
        let y = match tensor("y")? { Some(r) => r.rows(spec.loss.y_width(spec.layers[depth]))?, None => matrix(&obj, "y", spec.loss.y_width(spec.layers[depth]), path)? };
        let n = x.len() / spec.layers[0];
        let ny = y.len() / spec.loss.y_width(spec.layers[depth]);
        if n == 0 {
            return Err(field_err("x", "has no rows".into()));
        }
        if ny != n {
            return Err(field_err("y", format!("has {ny} rows but `x` has {n}")));
        }
        let params = match tensor("params")? {
            Some(r) => {
                // the tensors say which layers have a bias (checked against `bias` if given)
                let (params, bias) = r.params(&spec.layers, declared.as_deref())?;
                spec.bias = bias;
                params
            }
            None => numbers(required(&obj, "params", path)?, "params", path)?,
        };
        let p = spec.num_params();
        if params.len() != p {
            let without = if spec.all_bias() { String::new() } else { format!(" and bias {:?}", spec.bias) };
            return Err(field_err(
                "params",
                format!(
                    "has {} numbers but layers {:?}{without} need P = {p} (W row-major then b, per layer)",
                    params.len(),
                    spec.layers
                ),
            ));
        }
        let mut pr = Problem { source: path.to_path_buf(), spec, n, x, y, params, reference_loss: None };
        pr.check_labels()?;
        match (tensor("reference_loss")?, obj.get("reference_loss")) {
            (Some(r), _) => pr.reference_loss = Some(super::import::check_reference(&pr, &r)?),
            (None, Some(_)) => return Err(field_err("reference_loss", "expected {\"file\": …, \"tensor\": …}".into())),
            (None, None) => {}
        }
        Ok(pr)
    }

    /// With integer class labels ([`Loss::is_sparse`]): each `y[n][0]` is an integer from 0 to
    /// d_L − 1, else an error naming the entry.
    pub fn check_labels(&self) -> Result<(), Error> {
        if !self.spec.loss.is_sparse() {
            return Ok(());
        }
        let dl = self.spec.layers[self.spec.depth()];
        for (i, s) in self.y.iter().enumerate() {
            if !label_of(s).is_some_and(|c| c < dl as u64) {
                let message = format!("{} is not a class label of {} (an integer from 0 to {})", crate::error::shown(s), self.spec.loss.name(), dl - 1);
                return Err(Error::Field { path: self.source.clone(), field: format!("y[{i}][0]"), message });
            }
        }
        Ok(())
    }

    /// The problem's numbers in format `R` (see the module docs for `mode`).
    /// Fails if a number is not finite in `R` (e.g. `1e400` in `f64`, `70000` in `binary16`).
    pub fn inputs<R: Real>(&self, mode: InputMode, ctx: &R::RCtx) -> Result<Inputs<R>, Error> {
        let conv = |field: &str, v: &[String]| -> Result<Vec<R>, Error> {
            v.iter()
                .enumerate()
                .map(|(i, s)| {
                    let r = match mode {
                        InputMode::Decimal | InputMode::AsStored => R::parse_decimal(s, ctx),
                        InputMode::Binary64 => R::from_f64(s.parse::<f64>().expect("validated"), ctx),
                        InputMode::Binary32 => {
                            R::from_f64(s.parse::<f32>().expect("validated") as f64, ctx)
                        }
                    };
                    if r.is_finite() {
                        Ok(r)
                    } else {
                        Err(Error::Field {
                            path: self.source.clone(),
                            field: self.element_name(field, i),
                            message: format!("value {s} is not finite in the working format"),
                        })
                    }
                })
                .collect()
        };
        let y = if self.spec.loss.is_sparse() { self.one_hot(ctx) } else { conv("y", &self.y)? };
        Ok(Inputs { x: conv("x", &self.x)?, y, theta: conv("params", &self.params)? })
    }

    /// Integer class labels as one-hot rows (N × d_L of exact 0 and 1), whatever the mode.
    fn one_hot<R: Real>(&self, ctx: &R::RCtx) -> Vec<R> {
        let dl = self.spec.layers[self.spec.depth()];
        let c = R::consts(ctx);
        let mut y = vec![c.zero.clone(); self.n * dl];
        for (r, s) in self.y.iter().enumerate() {
            y[r * dl + label_of(s).expect("validated label") as usize] = c.one.clone();
        }
        y
    }

    fn element_name(&self, field: &str, i: usize) -> String {
        let width = match field {
            "x" => self.spec.layers[0],
            "y" => self.spec.loss.y_width(self.spec.layers[self.spec.depth()]),
            _ => return format!("{field}[{i}]"),
        };
        format!("{field}[{}][{}]", i / width, i % width)
    }

    /// The problem as JSON (numbers written with their original decimal text; `bias` only when
    /// some layer has none).
    pub fn to_json(&self) -> Value {
        let num = |s: &String| Value::Number(s.parse().expect("validated number"));
        let rows = |v: &[String], w: usize| {
            Value::Array(v.chunks(w).map(|r| Value::Array(r.iter().map(num).collect())).collect())
        };
        let d = self.spec.depth();
        let mut v = serde_json::json!({
            "layers": self.spec.layers,
            "activations": self.spec.activations.iter().map(|a| a.name()).collect::<Vec<_>>(),
            "loss": self.spec.loss.name(),
            "x": rows(&self.x, self.spec.layers[0]),
            "y": rows(&self.y, self.spec.loss.y_width(self.spec.layers[d])),
            "params": Value::Array(self.params.iter().map(num).collect()),
        });
        if !self.spec.all_bias() {
            v["bias"] = serde_json::json!(self.spec.bias);
        }
        v
    }
}

/// A JSON syntax error as `file:line:column: malformed JSON: …` (the parser's message, which
/// repeats the position in words and never quotes the text).
fn json_error(path: &Path, e: &serde_json::Error) -> Error {
    Error::At { path: path.to_path_buf(), line: e.line().max(1), column: e.column().max(1), message: format!("malformed JSON: {e}") }
}

/// A JSON string as a message may show it: `"s"` when a short name ([`crate::error::shown`]).
fn quoted(s: &str) -> Option<String> {
    crate::error::shown(s).starts_with('`').then(|| format!("\"{s}\""))
}

/// A value at fault, as a message shows it: a number or a short name quoted, anything else by
/// its kind ([`crate::error::shown`]).
fn shown(v: &Value) -> String {
    match v {
        Value::Number(n) => crate::error::shown(&n.to_string()),
        Value::String(s) => quoted(s).map_or_else(|| format!("a string of {} characters", s.chars().count()), |q| format!("the string {q}")),
        other => kind(other).to_string(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}


/// The problem object of a parsed file (the file itself, or its `problem` member when it wraps
/// one), checked to have no key outside [`KEYS`].
fn problem_object(value: Value, path: &Path) -> Result<Map<String, Value>, Error> {
    let field_err = |field: &str, message: String| Error::field(path, field, message);
    let obj = match value {
        Value::Object(mut m) if m.contains_key("problem") && !m.contains_key("layers") => {
            match m.remove("problem") {
                Some(Value::Object(p)) => p,
                _ => return Err(field_err("problem", "must be an object".into())),
            }
        }
        Value::Object(m) => m,
        other => {
            return Err(field_err("(top level)", format!("expected an object, got {}", kind(&other))))
        }
    };
    for k in obj.keys() {
        if !KEYS.contains(&k.as_str()) {
            let name = crate::error::shown(k);
            let field = if name.starts_with('`') { k.clone() } else { format!("({name})") };
            return Err(field_err(&field, format!("unknown field (expected one of {})", KEYS.join(", "))));
        }
    }
    Ok(obj)
}

/// Member `k` of the problem object, which must be there.
fn required<'a>(obj: &'a Map<String, Value>, k: &str, path: &Path) -> Result<&'a Value, Error> {
    obj.get(k).ok_or_else(|| Error::field(path, k, "missing".to_string()))
}

/// The network: `layers`, one of `activations` per layer, and `loss`; the bias flags of `bias`
/// (every layer biased when absent), which are also returned as given (`None`: absent), for the
/// tensors of a `params` file to be checked against.
fn spec_of(obj: &Map<String, Value>, path: &Path) -> Result<(Spec, Option<Vec<bool>>), Error> {
    let field_err = |field: &str, message: String| Error::field(path, field, message);
    let layers = layers_of(required(obj, "layers", path)?, path)?;
    let depth = layers.len() - 1;
    let activations = activations_of(required(obj, "activations", path)?, path)?;
    if activations.len() != depth {
        return Err(field_err(
            "activations",
            format!(
                "has {} entries but `layers` {:?} defines {depth} layer(s)",
                activations.len(),
                layers
            ),
        ));
    }
    let loss = match required(obj, "loss", path)? {
        Value::String(s) => Loss::by_name(s).ok_or_else(|| {
            let name = quoted(s).unwrap_or_else(|| format!("(a string of {} characters)", s.chars().count()));
            field_err("loss", format!("unknown loss {name} (expected one of {})", Loss::names()))
        })?,
        other => return Err(field_err("loss", format!("expected a string, got {}", kind(other)))),
    };
    let declared = obj.get("bias").map(|v| bias_of(v, depth, path)).transpose()?;
    let spec = Spec::new(layers, activations, loss);
    Ok(match declared {
        Some(b) => (spec.with_bias(b.clone()), Some(b)),
        None => (spec, None),
    })
}

/// `bias`: one `true` or `false` per layer.
fn bias_of(v: &Value, depth: usize, path: &Path) -> Result<Vec<bool>, Error> {
    let field_err = |field: &str, message: String| Error::field(path, field, message);
    let Value::Array(items) = v else {
        return Err(field_err("bias", format!("expected a list of {depth} true/false flags (one per layer), got {}", kind(v))));
    };
    if items.len() != depth {
        return Err(field_err("bias", format!("has {} entries but `layers` defines {depth} layer(s)", items.len())));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, b)| b.as_bool().ok_or_else(|| field_err(&format!("bias[{i}]"), format!("{} is not true or false", shown(b)))))
        .collect()
}

/// `layers`: at least two widths, each from 1 to 2^24.
fn layers_of(v: &Value, path: &Path) -> Result<Vec<usize>, Error> {
    let field_err = |field: &str, message: String| Error::field(path, field, message);
    match v {
        Value::Array(v) if v.len() >= 2 => v
            .iter()
            .enumerate()
            .map(|(i, w)| match w.as_u64() {
                Some(u) if u >= 1 && u <= 1 << 24 => Ok(u as usize),
                _ => Err(field_err(
                    &format!("layers[{i}]"),
                    format!("{} is not a width (an integer from 1 to 2^24)", shown(w)),
                )),
            })
            .collect(),
        Value::Array(v) => Err(field_err("layers", format!("has {} width(s): need at least 2", v.len()))),
        other => Err(field_err("layers", format!("expected a list of at least 2 widths, got {}", kind(other)))),
    }
}

/// `activations`: a list of activation names.
fn activations_of(v: &Value, path: &Path) -> Result<Vec<Activation>, Error> {
    let field_err = |field: &str, message: String| Error::field(path, field, message);
    match v {
        Value::Array(v) => v
            .iter()
            .enumerate()
            .map(|(i, a)| {
                a.as_str().and_then(Activation::by_name).ok_or_else(|| {
                    field_err(
                        &format!("activations[{i}]"),
                        format!(
                            "{} (expected one of {})",
                            match a {
                                Value::String(s) => match quoted(s) {
                                    Some(q) => format!("unknown activation {q}"),
                                    None => format!("unknown activation (a string of {} characters)", s.chars().count()),
                                },
                                other => format!("expected an activation name, got {}", kind(other)),
                            },
                            Activation::NAMES
                        ),
                    )
                })
            })
            .collect(),
        other => Err(field_err("activations", format!("expected a list, got {}", kind(other)))),
    }
}

/// The value of a decimal text that is a non-negative integer below 10⁹ (`2`, `2.0`, `2e0`),
/// read exactly (never through a float).
pub fn label_of(text: &str) -> Option<u64> {
    let (mant, exp) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].strip_prefix('+').unwrap_or(&text[i + 1..]).parse::<i64>().ok()?),
        None => (text, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) || exp.abs() > 1000 {
        return None;
    }
    let digits = format!("{int}{frac}");
    let mut digits = digits.trim_start_matches('0');
    let mut e10 = exp - frac.len() as i64;
    while e10 < 0 && digits.ends_with('0') {
        digits = &digits[..digits.len() - 1];
        e10 += 1;
    }
    if digits.is_empty() {
        return Some(0);
    }
    if e10 < 0 || digits.len() as i64 + e10 > 9 {
        return None;
    }
    Some(digits.parse::<u64>().ok()? * 10u64.pow(e10 as u32))
}

/// A list of numbers as decimal text.
fn numbers(v: &Value, field: &str, path: &Path) -> Result<Vec<String>, Error> {
    let Value::Array(items) = v else {
        return Err(Error::Field {
            path: path.to_path_buf(),
            field: field.to_string(),
            message: format!("expected a list of numbers, got {}", kind(v)),
        });
    };
    items
        .iter()
        .enumerate()
        .map(|(i, x)| match x {
            Value::Number(num) => Ok(num.to_string()),
            other => Err(Error::Field {
                path: path.to_path_buf(),
                field: format!("{field}[{i}]"),
                message: format!("{} is not a number", shown(other)),
            }),
        })
        .collect()
}

/// A list of rows of `width` numbers, flattened row-major.
fn matrix(obj: &Map<String, Value>, field: &str, width: usize, path: &Path) -> Result<Vec<String>, Error> {
    let err = |f: String, message: String| Error::field(path, f, message);
    let Some(Value::Array(rows)) = obj.get(field) else {
        return Err(err(field.to_string(), "missing, or not a list of rows".into()));
    };
    // the widths are the file's own: reserve no more than its rows can hold
    let mut out = Vec::with_capacity(rows.len().saturating_mul(width).min(1 << 20));
    for (r, row) in rows.iter().enumerate() {
        let vals = numbers(row, &format!("{field}[{r}]"), path)?;
        if vals.len() != width {
            return Err(err(
                format!("{field}[{r}]"),
                format!("has {} numbers but the layer width is {width}", vals.len()),
            ));
        }
        out.extend(vals);
    }
    Ok(out)
}

/// Deterministic pseudo-random numbers for generated problems: ChaCha8 keyed by the seed,
/// with this crate's own transform to `[−1, 1)` so values never change with a crate upgrade.
pub struct Uniform {
    rng: rand_chacha::ChaCha8Rng,
}

impl Uniform {
    /// A stream for `seed`.
    pub fn new(seed: u64) -> Self {
        use rand::SeedableRng;
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(b"clairaut");
        Uniform { rng: rand_chacha::ChaCha8Rng::from_seed(key) }
    }

    /// The next value, uniform on the 2^53-point grid of `[−1, 1)`.
    pub fn next(&mut self) -> f64 {
        use rand::RngCore;
        let u = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        2.0 * u - 1.0
    }
}

impl Problem {
    /// A generated problem: x ~ U[−1,1), θ ~ U[−1,1)·√(6/(d_in+d_out)) (Glorot uniform; no draw
    /// for the bias of a bias-free layer), and
    /// y ~ U[−1,1) for `mse` or rows of softmax(U[−2,2)) (rounded to f64, sums ≈ 1) for
    /// `softmax_cross_entropy`, or a class label ⌊U[0,1)·d_L⌋ per row for
    /// `sparse_softmax_cross_entropy` (each with either reduction). Numbers are written as the shortest decimals of their `f64`.
    pub fn generate(spec: &Spec, n: usize, seed: u64) -> Problem {
        let mut u = Uniform::new(seed);
        let dec = |v: f64| format!("{v:e}");
        let d0 = spec.layers[0];
        let dl = spec.layers[spec.depth()];
        let x = (0..n * d0).map(|_| dec(u.next())).collect();
        let mut params = Vec::with_capacity(spec.num_params());
        for l in 1..spec.layers.len() {
            let (din, dout) = (spec.layers[l - 1], spec.layers[l]);
            let scale = (6.0 / (din + dout) as f64).sqrt();
            let count = if spec.has_bias(l) { din * dout + dout } else { din * dout };
            for _ in 0..count {
                params.push(dec(u.next() * scale));
            }
        }
        let y = match spec.loss {
            Loss::Mse | Loss::MseSum => (0..n * dl).map(|_| dec(u.next())).collect(),
            Loss::SparseSoftmaxCrossEntropy | Loss::SparseSoftmaxCrossEntropySum => {
                (0..n).map(|_| (((u.next() + 1.0) * 0.5 * dl as f64) as usize).min(dl - 1).to_string()).collect()
            }
            Loss::SoftmaxCrossEntropy | Loss::SoftmaxCrossEntropySum => (0..n)
                .flat_map(|_| {
                    let e: Vec<f64> = (0..dl).map(|_| (2.0 * u.next()).exp()).collect();
                    let s: f64 = e.iter().sum();
                    e.into_iter().map(|v| dec(v / s)).collect::<Vec<_>>()
                })
                .collect(),
        };
        Problem { source: PathBuf::from(format!("generated:seed={seed}")), spec: spec.clone(), n, x, y, params, reference_loss: None }
    }
}
