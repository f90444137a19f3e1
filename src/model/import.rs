//! Tensors from the files frameworks write: `x`, `y`, `params` and `reference_loss` of a problem
//! file may name a tensor in a `.safetensors`, `.npz` or `.npy` file instead of listing numbers.
//!
//! ```json
//! { "layers": [3, 4, 2], "activations": ["tanh"], "loss": "mse",
//!   "params": {"file": "model.safetensors", "layout": "torch"},
//!   "x": {"file": "batch.safetensors", "tensor": "x"},
//!   "y": {"file": "batch.safetensors", "tensor": "y"},
//!   "reference_loss": {"file": "batch.safetensors", "tensor": "loss"} }
//! ```
//!
//! - **Files**, by extension: `.safetensors` (the `safetensors` crate), `.npz` (a zip of `.npy`
//!   members, as `numpy.savez` writes), `.npy` (one array: no `tensor` key). dtypes F16, BF16,
//!   F32 and F64, little- or big-endian in `.npy`/`.npz` (`bfloat16` only in safetensors); any
//!   other dtype, and a NaN or ±∞ value, is refused naming the file and the tensor. A path is
//!   relative to the problem file's folder and must stay inside it unless
//!   [`Access::AllowOutside`] (`--allow-outside`, [`crate::input::confined`]); every file is
//!   checked to be a regular file of at most [`crate::limits::MAX_DATA_BYTES`] before it is read.
//! - **Bit-exact**: each stored float becomes the exact decimal text of its value
//!   ([`exact_decimal`]: every binary float has a finite decimal expansion), so the problem's
//!   decimal parsing reproduces it at every precision that holds it and the truth sees exactly
//!   the stored number.
//! - **`x`, `y`**: a tensor of shape (N, d) — or (N,) when d = 1 — with d the layer width.
//! - **`params`** with a `layout` ([`Layout`]): `torch` (`<prefix>.weight` of shape (out, in),
//!   `<prefix>.bias` (out,)), `keras`/`flax` (`<prefix>/kernel` or `<prefix>.kernel` of shape
//!   (in, out), and a bias), or `flat` (one 1-D `tensor`, θ in Clairaut order: per layer W (in,
//!   out) row-major, then b). The layers are the groups by prefix (the name before its last `.`
//!   or `/`), in natural order of the prefix (digit runs compared as numbers: `dense` <
//!   `dense_1` < `dense_10`, `0` < `2` < `10`). Every tensor of the file must be a weight/kernel
//!   or bias of a layer; shapes must fit `layers` (an error names file, tensor, expected and
//!   found shape). A layer without a bias tensor is a layer without a bias
//!   ([`crate::model::Spec::bias`]: `nn.Linear(bias=False)`, `Dense(use_bias=False)`); the
//!   problem file's optional `bias` (one flag per layer) states it explicitly and must agree
//!   (an error names the tensor at odds). With `flat`, `bias` says which layers' b are in θ.
//! - **`reference_loss`** (optional): a tensor of one element, the framework's loss. The loss is
//!   evaluated in that tensor's format (uniform, sequential order, FMA off, core-math) on the
//!   stored inputs; the distance is reported in ulps ([`ReferenceLoss`]), and a relative
//!   difference above 2^(−p/2) (p the format's precision) is an error: the mapped network does
//!   not reproduce the framework's (a wrong `layout` is the usual cause).

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::mlp::{forward, Workspace};
use super::problem::{InputMode, Problem};
use crate::error::Error;
use crate::input::Access;
use crate::order::{Eval, Order};
use crate::scalar::hw::HwCtx;
use crate::scalar::narrow::{Bfloat16, Binary16, NarrowRCtx};
use crate::scalar::{IeeeFormat, MathLib, Real};

/// A stored float format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// IEEE binary16.
    F16,
    /// bfloat16.
    BF16,
    /// IEEE binary32.
    F32,
    /// IEEE binary64.
    F64,
}

impl Dtype {
    /// The name of the format as Clairaut's precisions spell it.
    pub fn precision_name(self) -> &'static str {
        match self {
            Dtype::F16 => "binary16",
            Dtype::BF16 => "bfloat16",
            Dtype::F32 => "f32",
            Dtype::F64 => "f64",
        }
    }
    /// Significand bits p (the hidden bit included).
    pub fn bits(self) -> u32 {
        match self {
            Dtype::F16 => 11,
            Dtype::BF16 => 8,
            Dtype::F32 => 24,
            Dtype::F64 => 53,
        }
    }
    /// The smallest exponent e of a normal number 2^e.
    fn emin(self) -> i32 {
        match self {
            Dtype::F16 => -14,
            Dtype::BF16 | Dtype::F32 => -126,
            Dtype::F64 => -1022,
        }
    }
}

/// How the tensors of a `params` file map onto θ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// PyTorch `state_dict`: `<prefix>.weight` (out, in) and `<prefix>.bias` (out,).
    Torch,
    /// Keras: `<prefix>/kernel` (in, out) and `<prefix>/bias`.
    Keras,
    /// flax (flattened pytree): `<prefix>/kernel` or `<prefix>.kernel` (in, out) and a bias.
    Flax,
    /// One 1-D tensor, θ in Clairaut order.
    Flat,
}

impl Layout {
    /// The layouts by name.
    pub const ALL: [(&'static str, Layout); 4] = [("torch", Layout::Torch), ("keras", Layout::Keras), ("flax", Layout::Flax), ("flat", Layout::Flat)];
}

/// A tensor as stored: its values, each exactly representable in `f64`.
#[derive(Clone, Debug)]
pub struct Tensor {
    /// Its name in the file (`""` for an `.npy` file).
    pub name: String,
    /// The stored format.
    pub dtype: Dtype,
    /// The shape, C order.
    pub shape: Vec<usize>,
    /// The values, C order.
    pub values: Vec<f64>,
}

/// The exact decimal text of a finite `v` (positional, no exponent, no trailing zero: `0.5`,
/// `-0`, `0.1000000000000000055511151231257827021181583404541015625`), as Python's
/// `format(decimal.Decimal(v), 'f')` writes it.
pub fn exact_decimal(v: f64) -> String {
    assert!(v.is_finite(), "exact_decimal of a non-finite value");
    let bits = v.to_bits();
    let sign = if bits >> 63 == 1 { "-" } else { "" };
    let (exp, frac) = (((bits >> 52) & 0x7ff) as i64, bits & ((1 << 52) - 1));
    let (mut m, mut e) = if exp == 0 { (frac, -1074) } else { (frac | 1 << 52, exp - 1075) };
    if m == 0 {
        return format!("{sign}0");
    }
    let tz = m.trailing_zeros();
    m >>= tz;
    e += i64::from(tz);
    let digits = if e >= 0 {
        decimal_digits(m, 2, e as u32)
    } else {
        // m·2^e = m·5^k / 10^k with k = −e
        let k = (-e) as usize;
        let d = decimal_digits(m, 5, k as u32);
        if d.len() > k {
            format!("{}.{}", &d[..d.len() - k], &d[d.len() - k..])
        } else {
            format!("0.{}{d}", "0".repeat(k - d.len()))
        }
    };
    format!("{sign}{digits}")
}

/// The decimal digits of m·base^k (base 2 or 5), in base-10⁹ limbs.
fn decimal_digits(m: u64, base: u64, k: u32) -> String {
    const LIMB: u64 = 1_000_000_000;
    let mut limbs = vec![m % LIMB, m / LIMB % LIMB, m / LIMB / LIMB];
    // multiply by base^step at a time, with base^step < 2^32 so that no product overflows
    let step = if base == 2 { 31 } else { 13 };
    let mut left = k;
    while left > 0 {
        let s = left.min(step);
        left -= s;
        let f = base.pow(s);
        let mut carry = 0;
        for l in limbs.iter_mut() {
            let v = *l * f + carry;
            *l = v % LIMB;
            carry = v / LIMB;
        }
        while carry > 0 {
            limbs.push(carry % LIMB);
            carry /= LIMB;
        }
    }
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
    let mut out = limbs.last().expect("a limb").to_string();
    for l in limbs.iter().rev().skip(1) {
        out.push_str(&format!("{l:09}"));
    }
    out
}

/// A `{"file": …, "tensor": …, "layout": …}` member of a problem file, its path resolved.
#[derive(Clone, Debug)]
pub struct Ref {
    /// The problem file's field (`x`, `y`, `params`, `reference_loss`).
    pub field: String,
    /// The file, relative to the working directory.
    pub file: PathBuf,
    /// The tensor's name (`None` for a `.npy` file, and for a `params` file read whole).
    pub tensor: Option<String>,
    /// The layout (`params` only).
    pub layout: Option<Layout>,
}

impl Ref {
    /// Member `field` of a problem object when it is an object naming a file; `None` when it is
    /// anything else (inline numbers).
    pub fn of(obj: &Map<String, Value>, field: &str, problem: &Path, access: Access) -> Result<Option<Ref>, Error> {
        let Some(Value::Object(m)) = obj.get(field) else { return Ok(None) };
        let err = |k: &str, msg: String| Error::field(problem, format!("{field}.{k}"), msg);
        let text = |k: &str| -> Result<Option<String>, Error> {
            match m.get(k) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(err(k, "expected a string".into())),
            }
        };
        if let Some(k) = m.keys().find(|k| !["file", "tensor", "layout"].contains(&k.as_str())) {
            let k = if crate::error::shown(k).starts_with('`') { format!("`{k}`") } else { "a key".into() };
            return Err(Error::field(problem, field, format!("unknown key {k} (expected file, tensor, layout)")));
        }
        let rel = text("file")?.ok_or_else(|| err("file", "missing (the tensor file, relative to the problem file)".into()))?;
        let file = crate::input::confined(problem, &rel, access).map_err(|why| {
            let dir = crate::input::folder_of(problem);
            err("file", format!("\"{rel}\" {why}, outside the problem file's folder \"{}\" (pass --allow-outside to read it)", dir.display()))
        })?;
        let layout = match text("layout")? {
            None => None,
            Some(_) if field != "params" => return Err(err("layout", "applies to `params` only".into())),
            Some(s) => Some(Layout::ALL.iter().find(|(n, _)| *n == s).map(|&(_, l)| l).ok_or_else(|| {
                let name = if crate::error::shown(&s).starts_with('`') { format!("\"{s}\"") } else { "(a long string)".into() };
                err("layout", format!("unknown layout {name} (expected torch, keras, flax or flat)"))
            })?),
        };
        let tensor = text("tensor")?;
        let npy = rel.ends_with(".npy");
        if npy && tensor.is_some() {
            return Err(err("tensor", "an .npy file holds one array: leave `tensor` out".into()));
        }
        let whole = field == "params" && layout != Some(Layout::Flat);
        if field == "params" && layout.is_none() {
            return Err(err("layout", "missing: torch (W is (out, in)), keras or flax (W is (in, out)), or flat".into()));
        }
        if !npy && !whole && tensor.is_none() {
            return Err(err("tensor", format!("missing: the name of the tensor in {rel}")));
        }
        Ok(Some(Ref { field: field.to_string(), file, tensor, layout }))
    }

    /// The referenced tensor (not for a `params` file read whole).
    pub fn tensor(&self) -> Result<Tensor, Error> {
        let all = read_tensors(&self.file)?;
        let Some(want) = &self.tensor else {
            return all.into_iter().next().ok_or_else(|| Error::field(&self.file, "(file)", "holds no array"));
        };
        all.into_iter().find(|t| &t.name == want).ok_or_else(|| {
            let name = if crate::error::shown(want).starts_with('`') { format!("`{want}`") } else { "the tensor named".into() };
            Error::field(&self.file, &self.field, format!("no tensor {name} in the file"))
        })
    }

    /// `x` or `y`: rows of `width` numbers as exact decimal text.
    pub fn rows(&self, width: usize) -> Result<Vec<String>, Error> {
        let t = self.tensor()?;
        let ok = match t.shape[..] {
            [n, d] => n >= 1 && d == width,
            [n] => n >= 1 && width == 1,
            _ => false,
        };
        if !ok {
            let want = if width == 1 { "(N, 1) or (N,)".to_string() } else { format!("(N, {width})") };
            return Err(shape_error(&self.file, &t, &want));
        }
        Ok(t.values.iter().copied().map(exact_decimal).collect())
    }

    /// `params`: θ in Clairaut order as exact decimal text, mapped by the layout, and the bias
    /// flags: a layer whose bias tensor is absent has none. `declared` (the problem file's
    /// `bias`, if given) must agree with the tensors (an error names the tensor at odds); the
    /// `flat` layout takes it as given (every layer biased without it).
    pub fn params(&self, layers: &[usize], declared: Option<&[bool]>) -> Result<(Vec<String>, Vec<bool>), Error> {
        if self.layout == Some(Layout::Flat) {
            let bias = declared.map_or_else(|| vec![true; layers.len() - 1], <[bool]>::to_vec);
            let p: usize = (1..layers.len()).map(|l| layers[l - 1] * layers[l] + if bias[l - 1] { layers[l] } else { 0 }).sum();
            let t = self.tensor()?;
            if t.shape != [p] {
                let of = if bias.iter().all(|&b| b) { String::new() } else { format!(" and bias {bias:?}") };
                return Err(shape_error(&self.file, &t, &format!("({p},) (θ of layers {layers:?}{of})")));
            }
            return Ok((t.values.iter().copied().map(exact_decimal).collect(), bias));
        }
        let tensors = read_tensors(&self.file)?;
        let (theta, bias) = map_layers(&self.file, tensors, self.layout.expect("checked"), layers, declared)?;
        Ok((theta.into_iter().map(exact_decimal).collect(), bias))
    }
}

fn shape_error(file: &Path, t: &Tensor, want: &str) -> Error {
    let name = if t.name.is_empty() { "(the array)".to_string() } else { t.name.clone() };
    let found = t.shape.iter().map(|d| d.to_string()).collect::<Vec<_>>();
    let found = if found.len() == 1 { format!("({},)", found[0]) } else { format!("({})", found.join(", ")) };
    Error::field(file, name, format!("shape {found}, expected {want}"))
}

/// The layer groups of `tensors` (prefix, weight, bias) in natural order of the prefix, then θ
/// and the bias flags (a group without a bias tensor is a bias-free layer), checked against
/// `declared`.
fn map_layers(file: &Path, tensors: Vec<Tensor>, layout: Layout, layers: &[usize], declared: Option<&[bool]>) -> Result<(Vec<f64>, Vec<bool>), Error> {
    let weight = if layout == Layout::Torch { "weight" } else { "kernel" };
    let mut groups: Vec<(String, Option<Tensor>, Option<Tensor>)> = Vec::new();
    for t in tensors {
        let (prefix, leaf) = t.name.rsplit_once(['.', '/']).unwrap_or(("", t.name.as_str()));
        let (prefix, leaf) = (prefix.to_string(), leaf.to_string());
        let slot = if leaf == weight {
            0
        } else if leaf == "bias" {
            1
        } else {
            let hint = match (layout, leaf.as_str()) {
                (Layout::Torch, "kernel") => " (a Keras/flax kernel: use layout keras or flax)",
                (_, "weight") => " (a PyTorch weight: use layout torch)",
                _ => "",
            };
            return Err(Error::field(file, t.name.clone(), format!("not a {weight} or bias tensor of layout {}{hint}", layout_name(layout))));
        };
        let i = match groups.iter().position(|g| g.0 == prefix) {
            Some(i) => i,
            None => {
                groups.push((prefix, None, None));
                groups.len() - 1
            }
        };
        let g = &mut groups[i];
        let place = if slot == 0 { &mut g.1 } else { &mut g.2 };
        *place = Some(t);
    }
    groups.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    let depth = layers.len() - 1;
    if groups.len() != depth {
        let names = groups.iter().map(|g| format!("`{}`", g.0)).collect::<Vec<_>>().join(", ");
        return Err(Error::field(file, "(tensors)", format!("{} layer(s) ({names}) but layers {layers:?} define {depth}", groups.len())));
    }
    let mut theta = Vec::new();
    let mut bias = Vec::new();
    for (l, (prefix, w, b)) in groups.into_iter().enumerate() {
        let (din, dout) = (layers[l], layers[l + 1]);
        let missing = |what: &str, why: &str| Error::field(file, format!("{prefix}{}{what}", if prefix.is_empty() { "" } else { "/" }), format!("missing: layer {} needs a {what} tensor (layout {}){why}", l + 1, layout_name(layout)));
        let w = w.ok_or_else(|| missing(weight, ""))?;
        match (declared.map(|d| d[l]), &b) {
            (Some(true), None) => return Err(missing("bias", &format!(": the problem's `bias[{l}]` is true"))),
            (Some(false), Some(t)) => {
                return Err(Error::field(file, t.name.clone(), format!("a bias tensor of layer {}, but the problem's `bias[{l}]` is false (no bias)", l + 1)))
            }
            _ => {}
        }
        let want = if layout == Layout::Torch { [dout, din] } else { [din, dout] };
        if w.shape != want {
            return Err(shape_error(file, &w, &format!("({}, {}) for layer {} of layers {layers:?} (layout {})", want[0], want[1], l + 1, layout_name(layout))));
        }
        if let Some(b) = &b {
            if b.shape != [dout] {
                return Err(shape_error(file, b, &format!("({dout},) for layer {} of layers {layers:?}", l + 1)));
            }
        }
        for i in 0..din {
            for j in 0..dout {
                theta.push(if layout == Layout::Torch { w.values[j * din + i] } else { w.values[i * dout + j] });
            }
        }
        // a layer without a bias tensor has no bias (`nn.Linear(bias=False)`, `use_bias=False`)
        if let Some(b) = &b {
            theta.extend_from_slice(&b.values);
        }
        bias.push(b.is_some());
    }
    Ok((theta, bias))
}

fn layout_name(l: Layout) -> &'static str {
    Layout::ALL.iter().find(|x| x.1 == l).expect("every layout is named").0
}

/// Natural order: digit runs compared as numbers, other text byte by byte.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn runs(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[i - 1].is_ascii_digit() {
                out.push(&s[start..i]);
                start = i;
            }
        }
        out
    }
    let (ra, rb) = (runs(a), runs(b));
    for (x, y) in ra.iter().zip(&rb) {
        let num = |s: &str| s.as_bytes()[0].is_ascii_digit();
        let o = if num(x) && num(y) {
            let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
            x.len().cmp(&y.len()).then_with(|| x.cmp(y))
        } else {
            x.cmp(y)
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    ra.len().cmp(&rb.len()).then_with(|| a.cmp(b))
}

/// Every tensor of a `.safetensors`, `.npz` or `.npy` file, in the file's order.
pub fn read_tensors(path: &Path) -> Result<Vec<Tensor>, Error> {
    let bytes = crate::limits::read_limited(path, crate::limits::MAX_DATA_BYTES, "tensor file")?;
    let name = path.to_string_lossy();
    let tensors = if name.ends_with(".safetensors") {
        safetensors_file(path, &bytes)?
    } else if name.ends_with(".npz") {
        npz_file(path, &bytes)?
    } else if name.ends_with(".npy") {
        vec![npy_array(path, "", &bytes)?]
    } else {
        return Err(Error::field(path, "(file)", "unknown tensor file type (expected .safetensors, .npz or .npy)"));
    };
    for t in &tensors {
        if let Some(i) = t.values.iter().position(|v| !v.is_finite()) {
            return Err(Error::field(path, if t.name.is_empty() { "(the array)".into() } else { t.name.clone() }, format!("value {} (flat index {i}) is not finite", t.values[i])));
        }
    }
    Ok(tensors)
}

fn safetensors_file(path: &Path, bytes: &[u8]) -> Result<Vec<Tensor>, Error> {
    let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| Error::field(path, "(header)", format!("not a readable safetensors file: {e}")))?;
    let mut out = Vec::new();
    // the header's order (a JSON object) is not kept by the crate: sorted by name, as it lists them
    let mut names: Vec<String> = st.names().into_iter().map(String::from).collect();
    names.sort();
    for name in names {
        let view = st.tensor(&name).map_err(|e| Error::field(path, name.clone(), format!("not readable: {e}")))?;
        let dtype = match view.dtype() {
            safetensors::Dtype::F16 => Dtype::F16,
            safetensors::Dtype::BF16 => Dtype::BF16,
            safetensors::Dtype::F32 => Dtype::F32,
            safetensors::Dtype::F64 => Dtype::F64,
            other => return Err(Error::field(path, name, format!("dtype {other}: expected F16, BF16, F32 or F64"))),
        };
        let values = decode(view.data(), dtype, false);
        out.push(Tensor { name, dtype, shape: view.shape().to_vec(), values });
    }
    Ok(out)
}

fn npz_file(path: &Path, bytes: &[u8]) -> Result<Vec<Tensor>, Error> {
    use std::io::Read;
    let bad = |e: String| Error::field(path, "(archive)", format!("not a readable .npz file: {e}"));
    let mut archive = npyz::npz::NpzArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let names: Vec<String> = archive.array_names().map(String::from).collect();
    let mut out = Vec::new();
    for name in names {
        let member = npyz::npz::file_name_from_array_name(&name);
        let mut f = archive.zip_archive().by_name(&member).map_err(|e| bad(e.to_string()))?;
        if f.size() > crate::limits::MAX_DATA_BYTES {
            return Err(Error::field(path, name, format!("{} bytes uncompressed: larger than a tensor file may be", f.size())));
        }
        let mut data = Vec::new();
        (&mut f).take(crate::limits::MAX_DATA_BYTES).read_to_end(&mut data).map_err(|e| bad(e.to_string()))?;
        out.push(npy_array(path, &name, &data)?);
    }
    Ok(out)
}

/// One `.npy` array (`name` in an `.npz`, `""` alone).
fn npy_array(path: &Path, name: &str, bytes: &[u8]) -> Result<Tensor, Error> {
    let field = if name.is_empty() { "(the array)".to_string() } else { name.to_string() };
    let err = |m: String| Error::field(path, field.clone(), m);
    let mut cursor = std::io::Cursor::new(bytes);
    let header = npyz::NpyHeader::from_reader(&mut cursor).map_err(|e| err(format!("not a readable .npy array: {e}")))?;
    let descr = match header.dtype() {
        npyz::DType::Plain(t) => t.to_string(),
        other => other.descr(),
    };
    let (dtype, big) = match descr.as_str() {
        "<f2" => (Dtype::F16, false),
        ">f2" => (Dtype::F16, true),
        "<f4" => (Dtype::F32, false),
        ">f4" => (Dtype::F32, true),
        "<f8" => (Dtype::F64, false),
        ">f8" => (Dtype::F64, true),
        _ => return Err(err(format!("dtype `{}`: expected float16, float32 or float64", if crate::error::shown(&descr).starts_with('`') { descr.as_str() } else { "(unusual)" }))),
    };
    let shape: Vec<usize> = header.shape().iter().map(|&d| usize::try_from(d).unwrap_or(usize::MAX)).collect();
    let count = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let data = &bytes[cursor.position() as usize..];
    let item = match dtype {
        Dtype::F16 | Dtype::BF16 => 2,
        Dtype::F32 => 4,
        Dtype::F64 => 8,
    };
    if count.and_then(|c| c.checked_mul(item)) != Some(data.len()) {
        return Err(err(format!("{} bytes of data, but the shape {shape:?} of {descr} needs {}", data.len(), count.map_or("more than 2^64".into(), |c| (c as u128 * item as u128).to_string()))));
    }
    let mut values = decode(data, dtype, big);
    if header.order() == npyz::Order::Fortran && shape.len() >= 2 {
        values = fortran_to_c(&values, &shape);
    }
    Ok(Tensor { name: name.to_string(), dtype, shape, values })
}

/// Values of a C-order array from its Fortran-order storage.
fn fortran_to_c(values: &[f64], shape: &[usize]) -> Vec<f64> {
    let n = values.len();
    (0..n)
        .map(|c| {
            // the multi-index of C-order position c, then its Fortran position
            let (mut rest, mut f, mut stride) = (c, 0, 1);
            let mut idx = vec![0; shape.len()];
            for k in (0..shape.len()).rev() {
                idx[k] = rest % shape[k];
                rest /= shape[k];
            }
            for k in 0..shape.len() {
                f += idx[k] * stride;
                stride *= shape[k];
            }
            values[f]
        })
        .collect()
}

/// The stored values, each converted exactly to `f64`.
fn decode(data: &[u8], dtype: Dtype, big: bool) -> Vec<f64> {
    let u16_at = |c: &[u8]| if big { u16::from_be_bytes([c[0], c[1]]) } else { u16::from_le_bytes([c[0], c[1]]) };
    match dtype {
        Dtype::F16 => data.chunks_exact(2).map(|c| f16_to_f64(u16_at(c))).collect(),
        Dtype::BF16 => data.chunks_exact(2).map(|c| f32::from_bits(u32::from(u16_at(c)) << 16) as f64).collect(),
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|c| {
                let b = [c[0], c[1], c[2], c[3]];
                (if big { f32::from_be_bytes(b) } else { f32::from_le_bytes(b) }) as f64
            })
            .collect(),
        Dtype::F64 => data
            .chunks_exact(8)
            .map(|c| {
                let b: [u8; 8] = c.try_into().expect("8 bytes");
                if big { f64::from_be_bytes(b) } else { f64::from_le_bytes(b) }
            })
            .collect(),
    }
}

/// An IEEE binary16 value, exactly.
pub fn f16_to_f64(h: u16) -> f64 {
    let sign = if h >> 15 == 1 { -1.0 } else { 1.0 };
    let (e, m) = (i32::from((h >> 10) & 0x1f), f64::from(h & 0x3ff));
    sign * match e {
        0 => m * 2f64.powi(-24),
        31 if m == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1024.0 + m) * 2f64.powi(e - 25),
    }
}

/// The framework's recorded loss against Clairaut's, in the recorded tensor's format.
#[derive(Clone, Debug, PartialEq)]
pub struct ReferenceLoss {
    /// The format of the recorded loss (and of the evaluation).
    pub dtype: Dtype,
    /// The recorded loss.
    pub stored: f64,
    /// Clairaut's loss in that format (uniform, sequential, no FMA, core-math) on the stored inputs.
    pub computed: f64,
    /// |computed − stored| in units in the last place of the format at the stored value.
    pub ulps: f64,
}

impl ReferenceLoss {
    /// One line for the `hessian` and `analyze` reports.
    pub fn line(&self) -> String {
        format!(
            "reference loss ({}): file {}, Clairaut {}: {} ulp apart",
            self.dtype.precision_name(),
            exact_decimal(self.stored),
            exact_decimal(self.computed),
            self.ulps
        )
    }
}

/// Checks `reference_loss` (the reference `r`) of the problem `pr`, whose other fields are read.
pub fn check_reference(pr: &Problem, r: &Ref) -> Result<ReferenceLoss, Error> {
    let t = r.tensor()?;
    if t.values.len() != 1 {
        return Err(shape_error(&r.file, &t, "one element (the loss)"));
    }
    let stored = t.values[0];
    let computed = match t.dtype {
        Dtype::F32 => loss_in::<f32>(pr, &HwCtx::<f32>::new(MathLib::CoreMath, false))?,
        Dtype::F64 => loss_in::<f64>(pr, &HwCtx::<f64>::new(MathLib::CoreMath, false))?,
        Dtype::F16 => loss_in::<Binary16>(pr, &NarrowRCtx::new(IeeeFormat::BINARY16, false))?,
        Dtype::BF16 => loss_in::<Bfloat16>(pr, &NarrowRCtx::new(IeeeFormat::BFLOAT16, false))?,
    };
    let p = t.dtype.bits() as i32;
    let at = if stored == 0.0 { t.dtype.emin() } else { (stored.abs().log2().floor() as i32).max(t.dtype.emin()) };
    let ulps = ((computed - stored).abs() / 2f64.powi(at - (p - 1))).round();
    let rel = if stored == 0.0 { computed.abs() } else { ((computed - stored) / stored).abs() };
    if !(rel <= 2f64.powi(-p / 2)) {
        return Err(Error::field(
            &pr.source,
            "reference_loss",
            format!(
                "the mapped network does not reproduce the framework's loss ({}{}): {} recorded, {} computed by Clairaut in {} (relative difference {rel:.3e} > 2^-{}); check `layout`, `layers`, `activations` and `loss`",
                r.file.display(),
                r.tensor.as_deref().map_or(String::new(), |t| format!(", tensor {}", crate::error::shown(t))),
                exact_decimal(stored),
                if computed.is_finite() { exact_decimal(computed) } else { computed.to_string() },
                t.dtype.precision_name(),
                p / 2
            ),
        ));
    }
    Ok(ReferenceLoss { dtype: t.dtype, stored, computed, ulps })
}

/// The loss of `pr` in format `R`, sequential order, on the stored inputs.
fn loss_in<R: Real>(pr: &Problem, ctx: &R::RCtx) -> Result<f64, Error> {
    let inputs = pr.inputs::<R>(InputMode::AsStored, ctx)?;
    let eval = Eval::new(Order::Sequential, pr.spec.sum_lengths(pr.n));
    let mut ws = Workspace::new(&pr.spec, pr.n, &inputs.x, ctx);
    forward(&pr.spec, pr.n, &inputs.theta, &inputs.y, &eval, &mut ws, ctx);
    Ok(ws.loss.to_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_decimals_are_the_values() {
        assert_eq!(exact_decimal(0.5), "0.5");
        assert_eq!(exact_decimal(-0.0), "-0");
        assert_eq!(exact_decimal(0.0), "0");
        assert_eq!(exact_decimal(2.0), "2");
        assert_eq!(exact_decimal(0.1), "0.1000000000000000055511151231257827021181583404541015625");
        assert_eq!(exact_decimal(0.1f32 as f64), "0.100000001490116119384765625");
        assert_eq!(exact_decimal(1e23), "99999999999999991611392");
        assert_eq!(exact_decimal(-3.0 * 2f64.powi(-3)), "-0.375");
        // the smallest subnormal: 1074 digits after the point, ending in …5
        let tiny = exact_decimal(f64::from_bits(1));
        assert!(tiny.starts_with("0.000") && tiny.ends_with('5') && tiny.len() == 2 + 1074, "{}", tiny.len());
        for v in [0.1, 1.0 / 3.0, 6.02e23, f64::MAX, f64::MIN_POSITIVE, 1e-310] {
            assert_eq!(exact_decimal(v).parse::<f64>().unwrap(), v);
        }
    }

    #[test]
    fn half_precision_values_are_exact() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(f16_to_f64(0x7bff), 65504.0);
        assert_eq!(f16_to_f64(0x3555), 0.333251953125);
        assert!(f16_to_f64(0x7c00).is_infinite() && f16_to_f64(0x7e00).is_nan());
        assert_eq!(decode(&[0x80, 0x3f], Dtype::BF16, false), [1.0]);
    }

    #[test]
    fn natural_order_compares_digit_runs_as_numbers() {
        let mut v = vec!["dense_10", "dense_2", "dense", "dense_1"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["dense", "dense_1", "dense_2", "dense_10"]);
        let mut v = vec!["10", "2", "0"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["0", "2", "10"]);
        let mut v = vec!["params/Dense_1", "params/Dense_0"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["params/Dense_0", "params/Dense_1"]);
    }

    #[test]
    fn fortran_arrays_are_read_in_c_order() {
        // 2×3 [[1,2,3],[4,5,6]] stored column by column
        assert_eq!(fortran_to_c(&[1.0, 4.0, 2.0, 5.0, 3.0, 6.0], &[2, 3]), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }
}
