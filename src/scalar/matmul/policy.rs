//! Precision policies by name: the presets, `,field=value` overrides, and the canonical
//! spelling that result rows record.

use std::fmt;
use std::str::FromStr;

use super::format::{Conv, Fmt};
use crate::scalar::order::{policy_accepts, Order};
use crate::scalar::Precision;

/// Whether a product of two converted inputs is exact or rounded to the accumulator first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prod {
    /// Exact, as tensor cores form it (and as an FMA chain does).
    Exact,
    /// Rounded (to nearest even) to the accumulator's format before it is added.
    Rounded,
}

/// XLA's split ("multi-pass") algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Passes {
    /// One pass over the converted inputs.
    One,
    /// `hi·hi + (lo·hi + hi·lo)`: 2 pieces per input, 3 products (`BF16_BF16_F32_X3`,
    /// `TF32_TF32_F32_X3`).
    X3,
    /// 3 bf16 pieces per input, 6 products (`BF16_BF16_F32_X6`).
    X6,
}

/// How the dot's result is converted to its `out` format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// To nearest, ties to even.
    Rne,
    /// Stochastic rounding with random bits from a counter-based hash of this seed and the
    /// operation (see [`super::kernel`]).
    Stochastic(u64),
}

/// What a policy says about every matmul-shaped dot product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fields {
    /// The format the inputs are converted to, and how.
    pub mul: (Fmt, Conv),
    /// Products exact or rounded to `acc`.
    pub prod: Prod,
    /// The accumulator's format.
    pub acc: Fmt,
    /// Partial sums of this many terms are added into an f32 master accumulator (0: never).
    pub promote: u32,
    /// The split algorithm.
    pub passes: Passes,
    /// The format of the dot's result.
    pub out: Fmt,
    /// The format of element-wise work (activations, losses, sums): `None` is the run's
    /// precision; a format requires the run to be at that precision.
    pub elementwise: Option<Fmt>,
    /// Conversion of the result to `out`.
    pub round: Rounding,
    /// Saturating conversions (overflow → ±max) of the inputs and of the result.
    pub sat: bool,
    /// `scale=tensor`: FP8 current scaling — each input vector of a dot is multiplied by a
    /// power of two bringing its largest magnitude into the fp8 range before conversion, and
    /// the accumulated result is multiplied back (see [`super::kernel::scale_exponent`]).
    pub scale: bool,
    /// Roles computed exactly rather than in their format (`acc=exact`, `out=exact`): the
    /// policies of the role attribution's runs ([`PrecisionPolicy::role_chain`]).
    pub exact: Exact,
}

/// The roles of a dot product that a policy may compute exactly: with `acc`, every product of
/// every pass is summed exactly (no rounding: `prod`, `promote` and the f32 combination of the
/// passes round nothing); with `out`, the result is not converted to `out` (it is stored in
/// the run's format with one rounding; `round` and the result's `sat` are then moot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Exact {
    /// The accumulation is exact (`acc=exact`).
    pub acc: bool,
    /// The result is not converted to `out` (`out=exact`).
    pub out: bool,
}

/// The roles of the role attribution, in the order its runs degrade them (see
/// [`PrecisionPolicy::role_chain`]).
pub const ROLES: [&str; 4] = ["mul", "acc", "out", "elementwise"];

/// The largest `promote` interval accepted.
pub const MAX_PROMOTE: u32 = 1 << 20;

/// A precision policy: `uniform` (every operation in the run's format: the behaviour without
/// policies) or a preset with overrides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrecisionPolicy {
    /// Every dot product in the run's format and order, as without a policy.
    Uniform,
    /// A preset's fields, possibly overridden.
    Mixed {
        /// The preset this policy starts from.
        preset: &'static str,
        /// The fields.
        fields: Fields,
    },
}

/// One preset: name, fields and the source it follows.
pub struct Preset {
    /// Canonical name (XLA's `DotAlgorithmPreset` in kebab case, or a framework default).
    pub name: &'static str,
    /// Its fields.
    pub fields: Fields,
    /// What it models and the source.
    pub doc: &'static str,
}

const fn fields(mul: Fmt, conv: Conv, acc: Fmt, out: Fmt, elementwise: Option<Fmt>) -> Fields {
    Fields { mul: (mul, conv), prod: Prod::Exact, acc, promote: 0, passes: Passes::One, out, elementwise, round: Rounding::Rne, sat: false, scale: false, exact: Exact { acc: false, out: false } }
}
const fn passes(f: Fields, passes: Passes) -> Fields {
    Fields { passes, ..f }
}
const fn fp8(f: Fields, promote: u32) -> Fields {
    Fields { sat: true, promote, ..f }
}

use Conv::{Rna, Rne};
use Fmt::{Bf16, E4m3, E5m2, E8m13, Tf32, F16, F32};
const F32_F32: Fields = fields(F32, Rne, F32, F32, None);
const TF32: Fields = fields(Tf32, Rna, F32, F32, None);
const BF16: Fields = fields(Bf16, Rne, F32, F32, None);
const FRAMEWORK_F32: Option<Fmt> = Some(F32);

/// The presets, in documentation order.
pub const PRESETS: &[Preset] = &[
    Preset { name: "f32-f32-f32", fields: F32_F32, doc: "f32 inputs, exact products (an FMA chain), f32 accumulator: XLA ALG_DOT_F32_F32_F32; ≡ uniform f32 under --fma (with prod=rounded: ≡ uniform f32 no-fma)" },
    Preset { name: "tf32-tf32-f32", fields: TF32, doc: "inputs rounded to TF32 by PTX cvt.rna.tf32.f32 (ties away: what CUTLASS's round-to-nearest TF32 converter emits; mul=tf32:trunc is PyTorch's description, tf32:rne TensorFlow's), exact products, f32 accumulator" },
    Preset { name: "tf32-tf32-f32-x3", fields: passes(TF32, Passes::X3), doc: "XLA ALG_DOT_TF32_TF32_F32_X3: hi = trunc_tf32(a), lo = a − hi; (lo·hi + hi·lo) + hi·hi (openxla/xla dot_algorithm_rewriter.cc)" },
    Preset { name: "bf16-bf16-f32", fields: BF16, doc: "XLA ALG_DOT_BF16_BF16_F32: inputs rounded to bf16, exact products, f32 accumulator" },
    Preset { name: "bf16-bf16-f32-x3", fields: passes(BF16, Passes::X3), doc: "XLA ALG_DOT_BF16_BF16_F32_X3: hi = trunc_bf16(a), lo = bf16(a − hi); (lo·hi + hi·lo) + hi·hi" },
    Preset { name: "bf16-bf16-f32-x6", fields: passes(BF16, Passes::X6), doc: "XLA ALG_DOT_BF16_BF16_F32_X6: 3 bf16 pieces; mid·mid + hi·lo + lo·hi + hi·mid + mid·hi, then + hi·hi" },
    Preset { name: "f16-f16-f32", fields: fields(F16, Rne, F32, F32, None), doc: "XLA ALG_DOT_F16_F16_F32: inputs rounded to binary16, f32 accumulator" },
    Preset { name: "f16-f16-f16", fields: fields(F16, Rne, F16, F16, None), doc: "XLA ALG_DOT_F16_F16_F16: binary16 inputs, accumulator and result" },
    Preset { name: "bf16-bf16-bf16", fields: fields(Bf16, Rne, Bf16, Bf16, None), doc: "XLA ALG_DOT_BF16_BF16_BF16: bfloat16 inputs, accumulator and result" },
    Preset { name: "e4m3-e4m3-f32", fields: fp8(fields(E4m3, Rne, F32, F32, None), 0), doc: "OCP FP8 E4M3 inputs (saturating conversion, as __nv_cvt_float_to_fp8 with __NV_SATFINITE), f32 accumulator (XLA ALG_DOT_ANY_F8_ANY_F8_F32)" },
    Preset { name: "e5m2-e5m2-f32", fields: fp8(fields(E5m2, Rne, F32, F32, None), 0), doc: "OCP FP8 E5M2 inputs (saturating), f32 accumulator" },
    Preset { name: "tf2-ampere", fields: fields(Tf32, Rna, F32, F32, FRAMEWORK_F32), doc: "TensorFlow ≥ 2.4 on Ampere and later: TF32 matmuls by default (tf.config.experimental.enable_tensor_float_32_execution), f32 elsewhere" },
    Preset { name: "jax-gpu-default", fields: fields(Tf32, Rna, F32, F32, FRAMEWORK_F32), doc: "JAX on NVIDIA GPUs: default matmul precision is one TF32 pass (jax.default_matmul_precision), f32 elsewhere" },
    Preset { name: "jax-tpu-default", fields: fields(Bf16, Rne, F32, F32, FRAMEWORK_F32), doc: "JAX on TPU: default precision is one bf16 pass with f32 accumulation, f32 elsewhere" },
    Preset { name: "torch-default", fields: fields(F32, Rne, F32, F32, FRAMEWORK_F32), doc: "PyTorch ≥ 1.12: f32 matmuls (allow_tf32 = False since pytorch#67384), f32 elsewhere" },
    Preset { name: "torch-autocast-bf16", fields: fields(Bf16, Rne, F32, Bf16, FRAMEWORK_F32), doc: "PyTorch autocast(bfloat16) (and Keras mixed_bfloat16): bf16 matmul inputs, f32 accumulation, bf16 outputs; element-wise work in f32" },
    Preset { name: "fp8-e4m3-promote128", fields: fp8(fields(E4m3, Rne, E8m13, F32, None), 128), doc: "FP8 training (DeepSeek-V3 §3.3.2): E4M3 inputs (saturating), a ~14-bit tensor-core accumulator (e8m13), partial sums promoted to f32 every 128 terms" },
];

impl PrecisionPolicy {
    /// Parses `uniform` or `PRESET[,field=value]*` (fields: `mul=F[:rne|rna|trunc]`,
    /// `prod=exact|rounded`, `acc=F|exact`, `promote=K`, `passes=1|x3|x6`, `out=F|exact`,
    /// `elementwise=run|F`, `round=rne|sr:SEED`, `sat=on|off`, `scale=off|tensor`). Errors name
    /// the field and value.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = text.split(',');
        let name = parts.next().unwrap_or("").trim();
        if name == "uniform" {
            return match parts.next() {
                None => Ok(PrecisionPolicy::Uniform),
                Some(o) => Err(format!("policy `{text}`: `uniform` takes no overrides (got `{o}`); start from a preset")),
            };
        }
        let preset = PRESETS.iter().find(|p| p.name == name).ok_or_else(|| {
            let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
            format!("unknown policy `{name}` (expected uniform or a preset: {})", names.join(", "))
        })?;
        let mut f = preset.fields;
        for part in parts {
            let (key, value) = part.split_once('=').ok_or_else(|| format!("policy `{text}`: override `{part}` is not field=value"))?;
            set_field(&mut f, key.trim(), value.trim()).map_err(|e| format!("policy `{text}`: field `{key}`: {e}"))?;
        }
        check(&f).map_err(|e| format!("policy `{text}`: {e}"))?;
        Ok(PrecisionPolicy::Mixed { preset: preset.name, fields: f })
    }

    /// The fields, `None` for `uniform`.
    pub fn fields(&self) -> Option<&Fields> {
        match self {
            PrecisionPolicy::Uniform => None,
            PrecisionPolicy::Mixed { fields, .. } => Some(fields),
        }
    }

    /// Whether this policy can run at `precision` in `order`: a policy's formats are computed
    /// exactly on `f64` values, so the run's format must be one whose values are (`f32`, `f64`,
    /// `binary16`, `bfloat16`, `binary32`, `binary64`; not `mp:<bits>`); its accumulators take
    /// the terms in every order but `kahan` and `exact` (the term-by-term orders, and the
    /// reduction shapes `pairwise`, `lanes`, `blocked`, `splitk`: see [`super::kernel`]); and an `elementwise`
    /// format must be the run's precision. `uniform` runs everywhere.
    pub fn check_run(&self, precision: Precision, order: Order) -> Result<(), String> {
        let Some(f) = self.fields() else { return Ok(()) };
        if matches!(precision, Precision::Mp(_)) {
            return Err(format!("policy {self} runs at f32, f64 or an emulated IEEE format, not precision {precision}"));
        }
        if !policy_accepts(order) {
            return Err(format!("policy {self} sums products in accumulators: order {order} is not one of its orders (use sequential, reversed, shuffled:<seed>, pairwise, lanes:<w>, blocked:<b> or splitk:<k>)"));
        }
        if let Some(e) = f.elementwise {
            let names: &[&str] = match e {
                Fmt::F32 => &["f32", "binary32"],
                Fmt::Bf16 => &["bfloat16"],
                _ => &["binary16"],
            };
            if !names.contains(&precision.to_string().as_str()) {
                return Err(format!("policy {self} computes element-wise work in {e}: it needs precision {}, not {precision}", names[0]));
            }
        }
        Ok(())
    }

    /// The policies of the **role attribution**'s runs (`None` for `uniform`). A row under
    /// this policy splits its rounding part by telescoping over runs that degrade the roles of
    /// its dot products one at a time, in the order [`ROLES`] — `mul`, `acc`, `out`,
    /// `elementwise` — every role not yet degraded at the truth's precision:
    ///
    /// | run | policy (canonical spelling) | precision |
    /// |---|---|---|
    /// | H₀ | `uniform` | truth |
    /// | H₁ | `P,acc=exact,out=exact,elementwise=run`: only `mul` degraded | truth |
    /// | H₂ | `P,out=exact,elementwise=run`: `mul`, `acc` | truth |
    /// | H₃ | `P,elementwise=run`: `mul`, `acc`, `out` | truth |
    /// | H₄ | `P` (the row's own H) | the row's |
    ///
    /// (a role that `P` itself computes exactly stays exact in every run: its part is 0)
    ///
    /// so that `mul = H₁ − H₀`, `acc = H₂ − H₁`, `out = H₃ − H₂`, `elementwise = H₄ − H₃` sum to
    /// the rounding part `H₄ − H₀` exactly. This returns H₁, H₂, H₃'s policies. `mul` comes
    /// first because the converted inputs of every later run are values of the `mul` format
    /// (exact in `f64`, so its policy dot runs on the kernel's `f64` path even at truth
    /// precision); `elementwise` last because it is the run's own format. At truth precision
    /// the inputs of a dot are MPFR values, converted exactly (see
    /// [`super::kernel::round_odd`]); `elementwise` holds the element-wise work and the storage
    /// of every value in the run's format; `out` the conversion of a dot's result to `out`
    /// (with `round` and `sat`); `acc` the products' summation (`prod`, `promote`, the f32
    /// combination of split passes); `mul` the inputs' conversion (and `passes`' split).
    pub fn role_chain(&self) -> Option<[PrecisionPolicy; 3]> {
        let PrecisionPolicy::Mixed { preset, fields } = *self else { return None };
        let base = Fields { elementwise: None, ..fields };
        let run = |acc: bool, out: bool| PrecisionPolicy::Mixed { preset, fields: Fields { exact: Exact { acc, out }, ..base } };
        Some([run(true, true), run(fields.exact.acc, true), run(fields.exact.acc, fields.exact.out)])
    }

    /// Whether converting this policy's dot results to `out` can change none of them: its
    /// result before `out` is a value of `acc` (one pass, no promotion, no scaling) or of f32
    /// (split passes, promotion and the unscaling of `scale=tensor` end in f32), `out` holds every such value (f32 holds every format
    /// here), and the conversion rounds to nearest without saturating. Then the role
    /// attribution's `out` part is exactly 0 (its run H₃ is H₂).
    pub fn out_changes_nothing(&self) -> bool {
        let Some(f) = self.fields() else { return true };
        let before = if f.exact.acc { None } else if f.passes == Passes::One && f.promote == 0 && !f.scale { Some(f.acc) } else { Some(Fmt::F32) };
        f.exact.out || (f.round == Rounding::Rne && !f.sat && before.is_some_and(|b| f.out == Fmt::F32 || f.out == b))
    }

    /// Whether this is `uniform`.
    pub fn is_uniform(&self) -> bool {
        matches!(self, PrecisionPolicy::Uniform)
    }

    /// `Σ a_k·b_k` of `f32` vectors under this policy, sequential or reversed (a convenience for
    /// tests and scripts; `uniform`: the plain f32 no-FMA sequential sum).
    pub fn dot_f32(&self, a: &[f32], b: &[f32], reversed: bool) -> f32 {
        let n = a.len().min(b.len());
        let (av, bv): (Vec<f64>, Vec<f64>) = (a.iter().map(|&x| x as f64).collect(), b.iter().map(|&x| x as f64).collect());
        let idx = |k: usize| if reversed { n - 1 - k } else { k };
        match self.fields() {
            Some(f) => super::kernel::dot(f, &av[..n], &bv[..n], idx, &mut super::kernel::Scratch::default()) as f32,
            None => (0..n).map(idx).fold(None, |acc: Option<f32>, i| Some(acc.map_or(a[i] * b[i], |s| s + a[i] * b[i]))).unwrap_or(0.0),
        }
    }
}

/// Sets one field from its text.
fn set_field(f: &mut Fields, key: &str, value: &str) -> Result<(), String> {
    let flag = |v: &str| match v {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        _ => Err(format!("`{v}` is not on or off")),
    };
    match key {
        "mul" => {
            f.mul = match value.split_once(':') {
                Some((fmt, conv)) => (fmt.parse()?, conv.parse()?),
                None => (value.parse()?, Conv::Rne),
            }
        }
        "prod" => {
            f.prod = match value {
                "exact" => Prod::Exact,
                "rounded" => Prod::Rounded,
                _ => return Err(format!("`{value}` is not exact or rounded")),
            }
        }
        "acc" if value == "exact" => f.exact.acc = true,
        "acc" => (f.acc, f.exact.acc) = (value.parse()?, false),
        "out" if value == "exact" => f.exact.out = true,
        "out" => (f.out, f.exact.out) = (value.parse()?, false),
        "promote" => {
            f.promote = value.parse().ok().filter(|k| *k <= MAX_PROMOTE).ok_or_else(|| format!("`{value}` is not an integer in 0..={MAX_PROMOTE} (0: no promotion)"))?
        }
        "passes" => {
            f.passes = match value {
                "1" => Passes::One,
                "x3" => Passes::X3,
                "x6" => Passes::X6,
                _ => return Err(format!("`{value}` is not 1, x3 or x6")),
            }
        }
        "elementwise" => f.elementwise = if value == "run" { None } else { Some(value.parse()?) },
        "round" => {
            f.round = match value.strip_prefix("sr:") {
                _ if value == "rne" => Rounding::Rne,
                Some(seed) => Rounding::Stochastic(seed.parse().map_err(|_| format!("the seed of `{value}` must be an integer in 0..2^64"))?),
                None => return Err(format!("`{value}` is not rne or sr:<seed>")),
            }
        }
        "sat" => f.sat = flag(value)?,
        "scale" => {
            f.scale = match value {
                "off" => false,
                "tensor" => true,
                _ => return Err(format!("`{value}` is not off or tensor")),
            }
        }
        _ => return Err("unknown field (expected mul, prod, acc, promote, passes, out, elementwise, round, sat or scale)".into()),
    }
    Ok(())
}

/// The combinations a policy may not have.
fn check(f: &Fields) -> Result<(), String> {
    match (f.passes, f.mul.0) {
        (Passes::One, _) | (Passes::X3, Fmt::Bf16 | Fmt::Tf32) | (Passes::X6, Fmt::Bf16) => {}
        (p, m) => return Err(format!("passes={} splits into bf16 (x3, x6) or tf32 (x3) pieces, not mul={m}", Display(&p))),
    }
    if f.scale && !matches!(f.mul.0, Fmt::E4m3 | Fmt::E5m2) {
        return Err(format!("scale=tensor scales fp8 inputs: it needs mul=e4m3 or mul=e5m2, not mul={}", f.mul.0));
    }
    if let Some(e) = f.elementwise {
        if !matches!(e, Fmt::F32 | Fmt::Bf16 | Fmt::F16) {
            return Err(format!("elementwise={e}: element-wise work runs in f32, bf16 or f16 (the run's precision)"));
        }
    }
    Ok(())
}

struct Display<'a, T>(&'a T);
impl fmt::Display for Display<'_, Passes> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Passes::One => "1",
            Passes::X3 => "x3",
            Passes::X6 => "x6",
        })
    }
}

/// The `field=value` texts of `f`, in canonical field order.
fn field_texts(f: &Fields) -> [(&'static str, String); 10] {
    let (m, c) = f.mul;
    [
        ("mul", if c == Conv::Rne { m.to_string() } else { format!("{m}:{c}") }),
        ("prod", if f.prod == Prod::Exact { "exact" } else { "rounded" }.into()),
        ("acc", if f.exact.acc { "exact".into() } else { f.acc.to_string() }),
        ("promote", f.promote.to_string()),
        ("passes", Display(&f.passes).to_string()),
        ("out", if f.exact.out { "exact".into() } else { f.out.to_string() }),
        ("elementwise", f.elementwise.map_or("run".into(), |e| e.to_string())),
        ("round", match f.round {
            Rounding::Rne => "rne".into(),
            Rounding::Stochastic(s) => format!("sr:{s}"),
        }),
        ("sat", if f.sat { "on" } else { "off" }.into()),
        ("scale", if f.scale { "tensor" } else { "off" }.into()),
    ]
}

impl fmt::Display for PrecisionPolicy {
    /// The canonical spelling: `uniform`, or the preset followed by the fields that differ
    /// from it, in the order mul, prod, acc, promote, passes, out, elementwise, round, sat, scale.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrecisionPolicy::Uniform => f.write_str("uniform"),
            PrecisionPolicy::Mixed { preset, fields } => {
                f.write_str(preset)?;
                let base = PRESETS.iter().find(|p| p.name == *preset).map(|p| field_texts(&p.fields));
                for (i, (key, value)) in field_texts(fields).into_iter().enumerate() {
                    if base.as_ref().is_none_or(|b| b[i].1 != value) {
                        write!(f, ",{key}={value}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl FromStr for PrecisionPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        PrecisionPolicy::parse(s)
    }
}

impl Default for PrecisionPolicy {
    fn default() -> Self {
        PrecisionPolicy::Uniform
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_spelling_drops_defaults_and_orders_fields() {
        let p = PrecisionPolicy::parse("bf16-bf16-f32,round=sr:7,mul=bf16,promote=0").unwrap();
        assert_eq!(p.to_string(), "bf16-bf16-f32,round=sr:7");
        let p = PrecisionPolicy::parse("tf32-tf32-f32,sat=on,mul=tf32:trunc").unwrap();
        assert_eq!(p.to_string(), "tf32-tf32-f32,mul=tf32:trunc,sat=on");
        for preset in PRESETS {
            let p = PrecisionPolicy::parse(preset.name).unwrap();
            assert_eq!(p.to_string(), preset.name);
            assert_eq!(p.to_string().parse::<PrecisionPolicy>().unwrap(), p);
        }
        assert_eq!(PrecisionPolicy::parse("uniform").unwrap(), PrecisionPolicy::Uniform);
    }

    #[test]
    fn bad_policy_text_names_the_field_and_value() {
        for (text, needle) in [
            ("tf32", "unknown policy `tf32`"),
            ("uniform,acc=f32", "takes no overrides"),
            ("bf16-bf16-f32,acc=f64", "field `acc`: unknown format `f64`"),
            ("bf16-bf16-f32,mul=bf16:up", "field `mul`: unknown conversion `up`"),
            ("bf16-bf16-f32,promote=-1", "field `promote`: `-1`"),
            ("bf16-bf16-f32,round=sr:x", "field `round`"),
            ("bf16-bf16-f32,colour=red", "field `colour`: unknown field"),
            ("bf16-bf16-f32,acc", "`acc` is not field=value"),
            ("f16-f16-f32,passes=x3", "not mul=f16"),
            ("tf32-tf32-f32,passes=x6", "not mul=tf32"),
        ] {
            let e = PrecisionPolicy::parse(text).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
            assert!(!e.contains('\n'));
        }
    }
}
