//! External Hessians: a matrix computed elsewhere (a framework's `jax.hessian`, a nested
//! `GradientTape`, `torch.func.hessian`), read from an `.npy` file and analyzed as a row of the
//! analysis (`analyze --external NAME=H.npy[,precision=f32][,policy=POLICY]`, `externals = [...]`
//! in an experiment).
//!
//! The file is `<f4` or `<f8`, shape (P, P), rows and columns in Clairaut's θ order (W_l
//! (in, out) row-major, then b_l, layer by layer); its precision defaults to its dtype. Every
//! entry is taken exactly and must be a number of that precision.
//!
//! **Nearest configuration.** Among the candidate evaluations at the external's precision —
//! method × order × FMA × precision policy ([`SearchAxes`]) — the one whose H is closest to the
//! external: the most entries bitwise equal, then the smallest largest distance in ulps of the
//! format ([`Closeness`]). Its H at truth precision then attributes the external's error as it
//! would a computed row's: the external's [`Row`] is [`cell::CellContext::metrics`] of the
//! external H beside the nearest configuration's H(t), so rounding = ‖H_ext − H_near(t)‖,
//! approximation = the nearest method's, input = ‖T(q) − T‖ at that precision — the same code
//! and the same figures as a computed row, with no metric written twice. The nearest
//! configuration's own row is kept beside it ([`Nearest::row`]), with the distance
//! ‖H_ext − H_near‖/‖T‖.
//!
//! The search axes are a small struct so that further axes (derivative rules of frameworks)
//! join them without changing the search.

use std::path::Path;
use std::time::Instant;

use rug::Float;

use super::cell::{self, CellContext, CellKey, Computed, Row};
use super::norms::Part;
use super::Request;
use crate::error::Error;
use crate::hessian::Method;
use crate::model::problem::Inputs;
use crate::order::Order;
use crate::packed::PackedMatrix;
use crate::scalar::matmul::PrecisionPolicy;
use crate::scalar::mpfr::IeeeFormat;
use crate::scalar::rules::Rules;
use crate::scalar::Precision;

/// An `--external` / `externals` item as written: `NAME=FILE.npy[,precision=P][,policy=POLICY]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternalSpec {
    /// The row's name (letters, digits, `_`, `-`, `.`; at most 64 characters).
    pub name: String,
    /// The file as written (relative to the working folder, or to the experiment file).
    pub file: String,
    /// The precision it was computed at (default: its dtype's).
    pub precision: Option<Precision>,
    /// The precision policy it was computed under: the search is restricted to it (default:
    /// the analysis's policies).
    pub policy: Option<PrecisionPolicy>,
}

/// The syntax of an external item, for messages.
pub const SYNTAX: &str = "NAME=FILE.npy[,precision=P][,policy=POLICY]";

impl ExternalSpec {
    /// Parses `NAME=FILE.npy[,precision=P][,policy=POLICY]`; fields after `policy=` that are not
    /// `precision=` override fields of that policy (`policy=bf16-bf16-f32,round=sr:7`).
    pub fn parse(text: &str) -> Result<ExternalSpec, String> {
        let mut items = text.split(',');
        let first = items.next().unwrap_or_default();
        let Some((name, file)) = first.split_once('=') else { return Err(format!("`{text}`: expected {SYNTAX}")) };
        let (name, file) = (name.trim(), file.trim());
        let plain = |c: char| c.is_ascii_alphanumeric() || "_-.".contains(c);
        if name.is_empty() || name.len() > 64 || !name.chars().all(plain) {
            return Err(format!("`{text}`: the name `{name}` must be 1 to 64 letters, digits, `_`, `-` or `.` ({SYNTAX})"));
        }
        if file.is_empty() {
            return Err(format!("`{text}`: no file after `{name}=` ({SYNTAX})"));
        }
        let (mut precision, mut policy): (Option<Precision>, Option<String>) = (None, None);
        for item in items {
            let Some((k, v)) = item.split_once('=') else { return Err(format!("`{text}`: `{item}` is not key=value ({SYNTAX})")) };
            match (k.trim(), &mut policy) {
                ("precision", _) if precision.is_none() => precision = Some(v.trim().parse::<Precision>().map_err(|e| format!("`{text}`: precision: {e}"))?),
                ("policy", None) => policy = Some(v.trim().to_string()),
                ("precision" | "policy", _) => return Err(format!("`{text}`: `{}` is given twice", k.trim())),
                (_, Some(p)) => {
                    p.push(',');
                    p.push_str(item.trim());
                }
                (other, None) => return Err(format!("`{text}`: unknown key `{other}` (expected precision= or policy=)")),
            }
        }
        if let Some(p) = precision {
            format_of(p).map_err(|e| format!("`{text}`: {e}"))?;
        }
        let policy = policy.map(|p| p.parse::<PrecisionPolicy>().map_err(|e| format!("`{text}`: policy: {e}"))).transpose()?;
        Ok(ExternalSpec { name: name.to_string(), file: file.to_string(), precision, policy })
    }
}

/// Refuses two externals of the same name.
pub fn check_names(specs: &[ExternalSpec]) -> Result<(), String> {
    for (i, s) in specs.iter().enumerate() {
        if specs[..i].iter().any(|t| t.name == s.name) {
            return Err(format!("the name `{}` is given twice: each external needs its own", s.name));
        }
    }
    Ok(())
}

/// The IEEE format of an external's precision (f32, f64, binary16, bfloat16, binary32, binary64).
pub fn format_of(p: Precision) -> Result<IeeeFormat, String> {
    match p {
        Precision::F32 => Ok(IeeeFormat::BINARY32),
        Precision::F64 => Ok(IeeeFormat::BINARY64),
        Precision::Ieee(f) => Ok(f),
        Precision::Mp(_) => Err(format!("precision `{p}`: an external Hessian's precision must be an IEEE format (f32, f64, binary16, bfloat16)")),
    }
}

/// An external Hessian, read: its name, file, digest, precision and entries.
#[derive(Clone, Debug)]
pub struct External {
    /// The row's name.
    pub name: String,
    /// The file, as given.
    pub file: String,
    /// SHA-256 (hex) of the file's bytes.
    pub sha256: String,
    /// The precision it was computed at.
    pub precision: Precision,
    /// The precision policy the search is restricted to (`None`: the analysis's policies).
    pub policy: Option<PrecisionPolicy>,
    /// P.
    pub p: usize,
    /// The entries, row-major, exactly (every value of a ≤ 53-bit format is an `f64`).
    pub values: Vec<f64>,
}

impl External {
    /// Reads the file at `path` (named `spec.file` in the row) for a network of widths
    /// `layers` and bias flags `bias` (one per layer): its size is checked before it is read; a
    /// wrong shape, dtype or length, or an entry that is not a number of the precision, is one
    /// error naming the file.
    pub fn load(spec: &ExternalSpec, path: &Path, layers: &[usize], bias: &[bool]) -> Result<External, Error> {
        let p = crate::limits::checked_num_params_with(layers, bias).and_then(|p| usize::try_from(p).ok()).unwrap_or(usize::MAX);
        let limit = crate::limits::max_external_bytes(p as u64).unwrap_or(u64::MAX);
        let bytes = crate::limits::read_limited(path, limit, &format!("Hessian file for P = {p} (P² values and a header)"))?;
        let sha256 = {
            use sha2::{Digest, Sha256};
            Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
        };
        let (dtype, values) = read_npy(path, &bytes, p, layers)?;
        let precision = match (spec.precision, dtype) {
            (Some(q), _) => q,
            (None, Dtype::F32) => Precision::F32,
            (None, Dtype::F64) => Precision::F64,
        };
        let fmt = format_of(precision).map_err(|m| Error::field(path, "precision", m))?;
        if let Some(k) = values.iter().position(|&v| !v.is_nan() && format_index(v, fmt).is_none()) {
            let message = format!("entry ({}, {}) = {:e} is not a {} number: with precision={precision} every entry must be one exactly", k / p, k % p, values[k], fmt.name);
            return Err(Error::field(path, "precision", message));
        }
        Ok(External { name: spec.name.clone(), file: spec.file.clone(), sha256, precision, policy: spec.policy, p, values })
    }

    /// The entries as a packed matrix (53 bits: exact).
    fn packed(&self) -> PackedMatrix {
        PackedMatrix::from_rows(self.p, 53, |i, j| Float::with_val(53, self.values[i * self.p + j]))
    }
}

/// The dtype of an external file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dtype {
    F32,
    F64,
}

/// The (P, P) entries of an `.npy` file, row-major, and its dtype.
fn read_npy(path: &Path, bytes: &[u8], p: usize, layers: &[usize]) -> Result<(Dtype, Vec<f64>), Error> {
    // npyz's messages may quote the header: not shown
    let file = npyz::NpyFile::new(bytes).map_err(|_| Error::field(path, "header", "not a readable .npy file (no NumPy .npy header)"))?;
    let dtype = match file.dtype() {
        npyz::DType::Plain(t) => t.to_string(),
        other => other.descr(),
    };
    let shape = file.shape().to_vec();
    let want = format!("({p}, {p}) for P = {p} of layers {layers:?}");
    if shape != [p as u64, p as u64] {
        let found = match &shape[..] {
            [n] => format!("({n},)"),
            s => format!("({})", s.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")),
        };
        return Err(Error::field(path, "shape", format!("expected {want}, found {found}{}", shape_hint(&shape, p))));
    }
    let (kind, item) = match dtype.as_str() {
        "<f4" => (Dtype::F32, 4u64),
        "<f8" => (Dtype::F64, 8u64),
        ">f4" | ">f8" => return Err(Error::field(path, "dtype", format!("`{dtype}` is big-endian: write it as little-endian `<{}` (numpy: .astype('<{}'))", &dtype[1..], &dtype[1..]))),
        _ => return Err(Error::field(path, "dtype", format!("`{}`: expected little-endian float32 (`<f4`) or float64 (`<f8`)", crate::error::one_line(&dtype)))),
    };
    let need = (p as u64).saturating_mul(p as u64).saturating_mul(item);
    let have = bytes.len() as u64;
    if have < need {
        return Err(Error::field(path, "data", format!("the shape {want} of `{dtype}` needs {need} bytes of data, the whole file has {have}")));
    }
    let fortran = file.order() == npyz::Order::Fortran;
    let short = |_: std::io::Error| Error::field(path, "data", format!("the shape {want} of `{dtype}` needs {need} bytes of data, the file ends before them"));
    let flat: Vec<f64> = match kind {
        Dtype::F32 => file.into_vec::<f32>().map_err(short)?.into_iter().map(f64::from).collect(),
        Dtype::F64 => file.into_vec::<f64>().map_err(short)?,
    };
    let values = if fortran { (0..p * p).map(|k| flat[(k % p) * p + k / p]).collect() } else { flat };
    Ok((kind, values))
}

/// What a shape that is not (P, P) probably means.
fn shape_hint(shape: &[u64], p: usize) -> String {
    let p = p as u64;
    let count: Option<u64> = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
    match shape {
        [n, m] if n == m => format!(": a Hessian of {n} parameters, not of this problem's {p} — another network, or the file of another problem"),
        _ if count == Some(p * p) => format!(": the right number of entries ({}), but not as a (P, P) matrix — reshape it to ({p}, {p}) in Clairaut θ order", p * p),
        _ => String::new(),
    }
}

/// The index of `v` among the numbers of `fmt` ordered by value (+0 and −0 both 0; ±∞ one past
/// the largest finite number), or `None` when `v` is NaN or not a number of `fmt`. Two numbers
/// of the format are `|index(a) − index(b)|` ulps apart (for binary32/binary64 this is the
/// difference of their bit patterns read as sign-magnitude integers).
pub fn format_index(v: f64, fmt: IeeeFormat) -> Option<i128> {
    if v.is_nan() {
        return None;
    }
    let p = i64::from(fmt.prec);
    // exponents of the 1 ≤ m < 2 convention (IeeeFormat's are MPFR's ½ ≤ m < 1)
    let (emin, emax) = (i64::from(fmt.normal_exp_min) - 1, i64::from(fmt.emax) - 1);
    let binade = 1i128 << (p - 1);
    let magnitude = if v.is_infinite() {
        i128::from(emax - emin + 2) * binade
    } else if v == 0.0 {
        0
    } else {
        let bits = v.abs().to_bits();
        let (field, frac) = ((bits >> 52) as i64, bits & ((1 << 52) - 1));
        // |v| = m·2^e2 exactly
        let (m, e2) = if field == 0 { (frac, -1074) } else { (frac | 1 << 52, field - 1075) };
        let e = e2 + 63 - i64::from(m.leading_zeros());
        if e > emax {
            return None;
        }
        // |v| in quanta of its binade (of the subnormal range below emin): must be an integer
        let shift = e2 - (e.max(emin) - p + 1);
        let q = if shift >= 0 {
            i128::from(m) << shift
        } else if -shift < 64 && m & ((1u64 << -shift) - 1) == 0 {
            i128::from(m >> -shift)
        } else {
            return None;
        };
        if e < emin { q } else { i128::from(e - emin) * binade + q }
    };
    Some(if v.is_sign_negative() { -magnitude } else { magnitude })
}

/// How close two matrices of one format are: entries bitwise equal (NaN equal to NaN) and the
/// largest distance in ulps (`None`: a NaN against a number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Closeness {
    /// Entries bitwise equal.
    pub equal: u64,
    /// Entries compared (P²).
    pub entries: u64,
    /// The largest distance in ulps of the format (saturated at `u64::MAX`), `None` when an
    /// entry is NaN in one matrix only.
    pub max_ulp: Option<u64>,
}

impl Closeness {
    /// Compares `a` and `b` (row-major, numbers of `fmt`).
    pub fn of(a: &[f64], b: &[f64], fmt: IeeeFormat) -> Closeness {
        let mut c = Closeness { equal: 0, entries: a.len() as u64, max_ulp: Some(0) };
        for (&x, &y) in a.iter().zip(b) {
            if x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()) {
                c.equal += 1;
                continue;
            }
            c.max_ulp = match (c.max_ulp, format_index(x, fmt), format_index(y, fmt)) {
                (Some(m), Some(i), Some(j)) => Some(m.max(u64::try_from((i - j).unsigned_abs()).unwrap_or(u64::MAX))),
                _ => None,
            };
        }
        c
    }

    /// The fraction of entries bitwise equal (1 for an empty matrix).
    pub fn fraction(&self) -> f64 {
        if self.entries == 0 { 1.0 } else { self.equal as f64 / self.entries as f64 }
    }

    /// Whether `self` is nearer than `other`: more entries equal, then a smaller largest ulp
    /// distance (a NaN mismatch is farthest).
    pub fn nearer_than(&self, other: &Closeness) -> bool {
        let far = |c: &Closeness| c.max_ulp.map_or(u128::MAX, u128::from);
        (self.equal, std::cmp::Reverse(far(self))) > (other.equal, std::cmp::Reverse(far(other)))
    }
}

/// The candidate evaluations of the nearest-configuration search: each axis a list, the
/// candidates their product at the external's precision, less the combinations a precision
/// policy cannot run ([`crate::hessian::check_policy`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SearchAxes {
    /// Differentiation methods.
    pub methods: Vec<Method>,
    /// Summation orders.
    pub orders: Vec<Order>,
    /// FMA policies.
    pub fmas: Vec<bool>,
    /// Precision policies.
    pub policies: Vec<PrecisionPolicy>,
    /// Derivative rules (the analysis's: `--rules clairaut,tensorflow` searches both graphs).
    pub rules: Vec<Rules>,
}

impl SearchAxes {
    /// The orders searched when the analysis asks only for the default (`sequential`): those a
    /// framework's CPU or GPU kernels use — in index order, reversed, a pairwise tree, and
    /// 2, 4, 8 or 16 interleaved accumulators (SSE/AVX/AVX-512 lanes of f64 and f32).
    pub const FRAMEWORK_ORDERS: [Order; 7] =
        [Order::Sequential, Order::Reversed, Order::Pairwise, Order::Lanes(2), Order::Lanes(4), Order::Lanes(8), Order::Lanes(16)];

    /// The axes for an external of the analysis `req`: its methods; its orders, or
    /// [`Self::FRAMEWORK_ORDERS`] when it asks only for `sequential`; its FMA policies, or both
    /// when it asks only for `no-fma`; the external's policy, or the analysis's policies.
    pub fn of(req: &Request, policy: Option<PrecisionPolicy>) -> SearchAxes {
        let orders = if req.orders == [Order::Sequential] { Self::FRAMEWORK_ORDERS.to_vec() } else { req.orders.clone() };
        let fmas = if req.fmas == [false] { vec![false, true] } else { req.fmas.clone() };
        let policies = policy.map_or_else(|| req.policies.clone(), |p| vec![p]);
        SearchAxes { methods: req.methods.clone(), orders, fmas, policies, rules: req.rules.clone() }
    }

    /// The candidates at precision `prec`, methods outermost (as the grid's cells).
    pub fn candidates(&self, spec: &crate::model::Spec, prec: Precision) -> Vec<CellKey> {
        let mut out = Vec::new();
        for &m in &self.methods {
            for &policy in &self.policies {
                for &o in &self.orders {
                    if crate::hessian::check_policy(&policy, m, prec, o).is_err() {
                        continue;
                    }
                    for &rules in &self.rules {
                        if crate::hessian::check_rules(rules, m, spec, prec, &policy).is_ok() {
                            out.extend(self.fmas.iter().map(|&fma| (m, prec, o, fma, policy, rules)));
                        }
                    }
                }
            }
        }
        out
    }

    /// The axes in words: `4 methods × 7 orders × 2 FMA × 1 policy`.
    pub fn describe(&self) -> String {
        let n = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
        [
            n(self.methods.len(), "method", "methods"),
            n(self.orders.len(), "order", "orders"),
            format!("{} FMA", self.fmas.len()),
            n(self.policies.len(), "policy", "policies"),
        ]
        .into_iter()
        // written only when searched, so that the descriptions recorded before rules keep their bytes
        .chain((self.rules != [Rules::Clairaut]).then(|| format!("{} rules", self.rules.len())))
        .collect::<Vec<_>>()
        .join(" × ")
    }

    /// How many combinations the axes span (the candidates before [`Self::candidates`] drops
    /// those that cannot run).
    pub fn combinations(&self) -> usize {
        self.methods.len() * self.orders.len() * self.fmas.len() * self.policies.len() * self.rules.len()
    }

    /// The axes in words ([`Self::describe`]) for a search that compared `run` candidates, with
    /// how many of the combinations ran where not all of them can (framework rules run in the
    /// `sequential` order only; `rev-rev` under the uniform policy only):
    /// `1 method × 7 orders × 2 FMA × 1 policy × 2 rules; 16 of 28 combinations run`.
    pub fn describe_run(&self, run: usize) -> String {
        let all = self.combinations();
        if run == all { self.describe() } else { format!("{}; {run} of {all} combinations run", self.describe()) }
    }
}

/// A candidate as text: `fwd-rev f32 sequential no-fma`, with its policy when not uniform.
pub fn key_label((m, prec, o, fma, policy, rules): &CellKey) -> String {
    let f = crate::scalar::FmaPolicy::from_fused(*fma);
    let label = if policy.is_uniform() { format!("{} {prec} {o} {f}", m.name()) } else { format!("{} {prec} {policy} {o} {f}", m.name()) };
    if rules.is_clairaut() { label } else { format!("{label} rules {rules}") }
}

/// The nearest configuration of an external Hessian.
#[derive(Clone, Debug)]
pub struct Nearest {
    /// Its (method, precision, order, fma, policy).
    pub key: CellKey,
    /// How close it is.
    pub closeness: Closeness,
    /// The other candidates exactly as close (the first [`Nearest::LISTED`]).
    pub equally_near: Vec<CellKey>,
    /// How many other candidates are exactly as close.
    pub ties: usize,
    /// How many candidates were compared.
    pub candidates: usize,
    /// The search axes in words ([`SearchAxes::describe`]).
    pub search: String,
    /// ‖H_ext − H_near‖/‖T‖, whole and antisymmetric.
    pub distance: Part,
    /// The nearest configuration's own row (its attribution; order part 0).
    pub row: Row,
}

impl Nearest {
    /// How many equally near candidates are listed.
    pub const LISTED: usize = 8;
}

/// The analysis of one external Hessian.
#[derive(Clone, Debug)]
pub struct ExternalRow {
    /// Its name.
    pub name: String,
    /// Its file, as given.
    pub file: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Its metrics against the truth, attributed as its nearest configuration: method, order,
    /// FMA and policy are the nearest's, the precision the external's; the order part is 0.
    pub row: Row,
    /// The nearest configuration.
    pub nearest: Nearest,
}

/// The nearest candidate to `ext` (searching `axes` at its precision) and its H.
fn search(cx: &CellContext, ext: &External, axes: &SearchAxes) -> Result<(Closeness, Vec<CellKey>, PackedMatrix, usize), Error> {
    let fmt = format_of(ext.precision).map_err(|message| Error::Option { option: "--external".into(), message })?;
    let candidates = axes.candidates(&cx.req.problem.spec, ext.precision);
    let mut best: Option<(Closeness, Vec<CellKey>, PackedMatrix)> = None;
    for key in &candidates {
        let h = cx.working(*key)?;
        let c = Closeness::of(&ext.values, &cell::f64s(&h), fmt);
        match &mut best {
            Some((b, keys, _)) if *b == c => keys.push(*key),
            Some((b, ..)) if !c.nearer_than(b) => {}
            _ => best = Some((c, vec![*key], h)),
        }
    }
    let (c, keys, h) = best.ok_or_else(|| Error::Option {
        option: "--external".into(),
        message: format!("`{}`: no candidate configuration runs at {} ({})", ext.name, ext.precision, axes.describe()),
    })?;
    Ok((c, keys, h, candidates.len()))
}

/// Analyzes the externals at precision `prec` (`q`: the inputs rounded to it, `tq`: T(q)),
/// filling their places in `out`.
pub(super) fn at_precision(cx: &CellContext, prec: Precision, q: &Inputs<Float>, tq: &PackedMatrix, out: &mut [Option<ExternalRow>]) -> Result<(), Error> {
    for (k, ext) in cx.req.externals.iter().enumerate().filter(|(_, e)| e.precision == prec) {
        let start = Instant::now();
        let axes = SearchAxes::of(cx.req, ext.policy);
        let (closeness, keys, h_near, candidates) = search(cx, ext, &axes)?;
        let key = keys[0];
        // the nearest at its precision (the same bits as the search's) and at truth precision
        let near = cx.compute(key, q)?;
        debug_assert!(cell::f64s(&near.h) == cell::f64s(&h_near) || cell::f64s(&h_near).iter().any(|x| x.is_nan()));
        let near_row = cx.metrics(key, &near, tq);
        let h_ext = ext.packed();
        let distance = cell::spread(&h_ext, &h_near, cx.norm_t, cx.tbits + 64);
        let seconds = start.elapsed().as_secs_f64();
        let row = cx.metrics(key, &Computed { h: h_ext, hhi: near.hhi, chain: None, actual: near.actual, seconds, base: None }, tq);
        let nearest = Nearest {
            key,
            closeness,
            equally_near: keys[1..].iter().take(Nearest::LISTED).copied().collect(),
            ties: keys.len() - 1,
            candidates,
            search: axes.describe_run(candidates),
            distance,
            row: near_row,
        };
        out[k] = Some(ExternalRow { name: ext.name.clone(), file: ext.file.clone(), sha256: ext.sha256.clone(), row, nearest });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// For binary32 and binary64 the index is the bit pattern read as a sign-magnitude integer.
    #[test]
    fn format_indices_are_the_bit_patterns_of_binary32_and_binary64() {
        let f32s = [0.0f32, 1.0, -1.0, 1.5, f32::MIN_POSITIVE, 1e-45, 3e-39, f32::MAX, -f32::MAX, 0.1, -7.25e-20, f32::INFINITY];
        for x in f32s {
            let want = i128::from(x.abs().to_bits()) * if x.is_sign_negative() { -1 } else { 1 };
            assert_eq!(format_index(f64::from(x), IeeeFormat::BINARY32), Some(want), "{x:e}");
        }
        for x in [0.0f64, 1.0, -2.5, 5e-324, 2.2250738585072014e-308, f64::MAX, 0.1, f64::NEG_INFINITY] {
            let want = i128::from(x.abs().to_bits()) * if x.is_sign_negative() { -1 } else { 1 };
            assert_eq!(format_index(x, IeeeFormat::BINARY64), Some(want), "{x:e}");
        }
        // not binary32 numbers: too precise, too large, below the smallest subnormal
        for x in [0.1f64, 1.0 + f64::EPSILON, 1e39, 1e-46, f64::NAN] {
            assert_eq!(format_index(x, IeeeFormat::BINARY32), None, "{x:e}");
        }
        // bfloat16 is binary32's upper 16 bits (its subnormals included)
        for x in [1.0f32, -3.0, f32::from_bits(0x0001_0000), -f32::from_bits(0x0042_0000), 2.0f32.powi(100), 0.0078125] {
            let want = i128::from(x.abs().to_bits() >> 16) * if x.is_sign_negative() { -1 } else { 1 };
            assert_eq!(format_index(f64::from(x), IeeeFormat::BFLOAT16), Some(want), "{x:e}");
        }
        // binary16: 1 is 0x3c00, the smallest subnormal 2^-24 is 1, 65504 is 0x7bff
        assert_eq!(format_index(1.0, IeeeFormat::BINARY16), Some(0x3c00));
        assert_eq!(format_index(2f64.powi(-24), IeeeFormat::BINARY16), Some(1));
        assert_eq!(format_index(65504.0, IeeeFormat::BINARY16), Some(0x7bff));
        assert_eq!(format_index(f64::INFINITY, IeeeFormat::BINARY16), Some(0x7c00));
    }

    #[test]
    fn closeness_counts_equal_entries_and_the_largest_ulp_distance() {
        let f = IeeeFormat::BINARY32;
        let one_up = f64::from(f32::from_bits(1f32.to_bits() + 3));
        let c = Closeness::of(&[1.0, 2.0, 0.0, f64::NAN], &[one_up, 2.0, -0.0, f64::NAN], f);
        assert_eq!(c, Closeness { equal: 2, entries: 4, max_ulp: Some(3) });
        assert_eq!(Closeness::of(&[1.0], &[f64::NAN], f).max_ulp, None);
        let a = Closeness { equal: 3, entries: 4, max_ulp: Some(9) };
        assert!(a.nearer_than(&Closeness { equal: 2, entries: 4, max_ulp: Some(0) }));
        assert!(a.nearer_than(&Closeness { equal: 3, entries: 4, max_ulp: None }));
        assert!(!a.nearer_than(&a));
    }

    #[test]
    fn specs_parse_with_their_options() {
        let s = ExternalSpec::parse("jax=out/h.npy,precision=f32,policy=bf16-bf16-f32,round=sr:7").unwrap();
        assert_eq!((s.name.as_str(), s.file.as_str(), s.precision), ("jax", "out/h.npy", Some(Precision::F32)));
        assert_eq!(s.policy, Some("bf16-bf16-f32,round=sr:7".parse().unwrap()));
        assert_eq!(ExternalSpec::parse("tf=h.npy").unwrap().precision, None);
        for (bad, says) in [
            ("h.npy", "expected NAME=FILE.npy"),
            ("=h.npy", "the name ``"),
            ("a b=h.npy", "the name `a b`"),
            ("x=", "no file"),
            ("x=h.npy,precision=f16", "unknown precision"),
            ("x=h.npy,precision=mp:100", "IEEE format"),
            ("x=h.npy,colour=red", "unknown key `colour`"),
            ("x=h.npy,precision=f32,precision=f64", "given twice"),
            ("x=h.npy,fast", "not key=value"),
        ] {
            let e = ExternalSpec::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
