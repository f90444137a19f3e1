//! The elementary functions of the model — `exp`, `ln` and the activation functions σ — with
//! their first two derivatives, written once for every [`Real`].
//!
//! Each function is a fixed sequence of correctly rounded primitives, listed below; since every
//! format performs the same sequence, `binary64` emulation equals `f64` bit for bit and the
//! results do not depend on the platform. `1/√2`, `1/√(2π)`, `k₀ = √(2/π)`, `c = 0.044715` and
//! `k₁ = 3·c·√(2/π)` are constants of the context, correctly rounded into the format (each from
//! its exact real value); a `leaky_relu` slope α is its decimal, correctly rounded into the
//! format. Multiplications by ½ and 2 are exact except on underflow (then they round,
//! identically in every format).
//!
//! | σ | σ(x) | σ′(x) | σ″(x) |
//! |---|---|---|---|
//! | identity | x | 1 | 0 |
//! | sigmoid | s = 1/(1+e^(−x)) | s·(1−s) | [s·(1−s)]·(1−2s) |
//! | tanh | t = tanh x | 1 − t·t | −2·[t·(1−t·t)] |
//! | softplus | max(x,0) + ln1p(e^(−\|x\|)) | s | s·(1−s) |
//! | relu | x if x>0 else +0 | 1 if x>0 else 0 | 0 (undefined at 0; see kinks) |
//! | gelu | x·Φ, Φ = (1+erf(x·(1/√2)))·½ | Φ + x·φ, φ = e^(−(x·x)·½)·(1/√(2π)) | φ·(2 − x·x) |
//! | silu | x·s | s·(1 + x·(1−s)) | [s·(1−s)]·(2 + x·(1−2s)) |
//! | gelu_tanh | x·[(1+t)·½], t = tanh(k₀·(x + c·[(x·x)·x])) | [(1+t)·½] + [(x·s)·u′]·½ | s·([k₀ + (k₁·x²)·2] − [(x·t)·(u′·u′)]) |
//! | leaky_relu:α | x if x>0 else α·x | 1 if x>0 else α | 0 (undefined at 0; see kinks) |
//!
//! (Brackets show the order of evaluation where it is not left to right.) In gelu_tanh,
//! `x² = x·x`, `s = 1 − t·t`, `u′ = k₀ + k₁·x²`.
//!
//! **gelu_tanh** is the tanh approximation of GELU (Hendrycks & Gimpel 2016, eq. in §2):
//! `σ(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, the default of JAX's
//! `jax.nn.gelu(x, approximate=True)`, and `approximate=True` / `approximate='tanh'` in
//! TensorFlow's `tf.nn.gelu` and PyTorch's `torch.nn.functional.gelu`. (Written `gelu_tanh`:
//! result rows and exports join a network's activation names with `-`, where `gelu-tanh` could
//! not be told from `gelu` followed by `tanh`; `gelu-tanh` is read as a second spelling.) The value follows JAX's
//! sequence (`x**3` as `(x·x)·x`, then `0.044715·x³`, `x + ·`, `√(2/π)·(·)`, tanh,
//! `(1 + t)·½`, `x·cdf`); PyTorch's `(½·x)·(1 + t)` gives the same bits (halving is exact).
//! With `u = k₀·(x + c·x³)`, `u′ = k₀·(1 + 3c·x²)` and `½·x·u″ = k₁·x²`, the derivatives are
//! `σ′ = ½(1+t) + ½·x·s·u′` and `σ″ = s·(u′ + ½·x·u″ − x·t·u′²) = s·(k₀ + 2k₁·x² − x·t·u′²)`.
//!
//! **leaky_relu** (`jax.nn.leaky_relu`, `torch.nn.LeakyReLU`, `tf.nn.leaky_relu`): slope α on
//! the negative side, α·x rounded once. Its canonical name is `leaky_relu` for α = 0.01 (the
//! JAX/PyTorch default) and `leaky_relu:<α>` otherwise (`leaky_relu:0.2` is TensorFlow's
//! default), α a decimal in [0, 1] with at most 9 significant digits and 30 places, written
//! without trailing zeros (`0.2`, not `0.20`). At x = 0 it takes the x ≤ 0 branch, as PyTorch
//! and TensorFlow do (JAX's `x >= 0` takes the other: the value is 0 either way, σ′ differs).

use super::Real;

/// A differentiable elementary function applied element-wise by the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fun {
    /// `exp(x)`
    Exp,
    /// `ln(x)`
    Ln,
    /// An activation function σ(x).
    Act(Activation),
    /// The first derivative σ′(x) of an activation (used by the backward pass).
    ActD1(Activation),
}

/// The negative-side slope α of `leaky_relu`: the decimal `mant·10^(−places)`, 0 ≤ α ≤ 1,
/// kept in canonical form (no trailing zero digit) so that equal slopes compare equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Slope {
    mant: u32,
    places: u8,
}

impl Slope {
    /// 0.01, the default of `jax.nn.leaky_relu` and `torch.nn.LeakyReLU`.
    pub const DEFAULT: Slope = Slope { mant: 1, places: 2 };
    /// 1 (leaky_relu:1 is the identity, without a kink).
    pub const ONE: Slope = Slope { mant: 1, places: 0 };

    /// Parses a plain decimal (`0.2`, `0.01`, `1`, `.5` is refused) in [0, 1] with at most 9
    /// significant digits and 30 places; `None` otherwise.
    pub fn parse(text: &str) -> Option<Slope> {
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) || (text.contains('.') && frac.is_empty()) {
            return None;
        }
        let frac = frac.trim_end_matches('0');
        let digits = format!("{int}{frac}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 9 || frac.len() > 30 {
            return None;
        }
        let mant: u32 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
        let places = if mant == 0 { 0 } else { frac.len() as u8 };
        // α ≤ 1: mant ≤ 10^places
        if (mant as u128) > 10u128.pow(places as u32) {
            return None;
        }
        Some(Slope { mant, places })
    }

    /// Runs `f` on the canonical decimal text of α (`0.01`, `1`, `0`), written on the stack.
    pub fn with_text<T>(self, f: impl FnOnce(&str) -> T) -> T {
        let mut buf = [b'0'; 48];
        let mut digits = [0u8; 10];
        let mut m = self.mant;
        let mut nd = 0;
        loop {
            digits[nd] = b'0' + (m % 10) as u8;
            nd += 1;
            m /= 10;
            if m == 0 {
                break;
            }
        }
        let places = self.places as usize;
        let len = if places == 0 {
            for i in 0..nd {
                buf[i] = digits[nd - 1 - i];
            }
            nd
        } else {
            // "0." then places − nd zeros, then the digits (nd ≤ places since α ≤ 1, except α = 1)
            buf[1] = b'.';
            for i in 0..nd {
                buf[2 + places - 1 - i] = digits[i];
            }
            2 + places
        };
        f(std::str::from_utf8(&buf[..len]).expect("ASCII digits"))
    }

    /// α as an `f64` (nearest).
    pub fn to_f64(self) -> f64 {
        self.with_text(|t| t.parse().expect("a decimal"))
    }
}

/// An activation function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activation {
    /// σ(x) = x
    Identity,
    /// σ(x) = 1/(1+e^(−x))
    Sigmoid,
    /// σ(x) = tanh x
    Tanh,
    /// σ(x) = ln(1+e^x)
    Softplus,
    /// σ(x) = max(x, 0)
    Relu,
    /// σ(x) = x·Φ(x) (exact erf form)
    Gelu,
    /// σ(x) = x·sigmoid(x)
    Silu,
    /// σ(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (the tanh approximation of GELU)
    GeluTanh,
    /// σ(x) = x if x > 0, else α·x
    LeakyRelu(Slope),
}

impl Activation {
    /// Every activation.
    /// (`leaky_relu` with its default slope; other slopes are `leaky_relu:<α>`.)
    pub const ALL: [Activation; 9] = [
        Activation::Identity,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Softplus,
        Activation::Relu,
        Activation::Gelu,
        Activation::Silu,
        Activation::GeluTanh,
        Activation::LeakyRelu(Slope::DEFAULT),
    ];

    /// The accepted names, for help texts and error messages.
    pub const NAMES: &'static str =
        "identity, sigmoid, tanh, softplus, relu, gelu, silu, gelu_tanh, leaky_relu, leaky_relu:<slope>";

    /// Canonical name (`leaky_relu:0.2`; `leaky_relu` for the default slope 0.01).
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed(match self {
            Activation::Identity => "identity",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softplus => "softplus",
            Activation::Relu => "relu",
            Activation::Gelu => "gelu",
            Activation::Silu => "silu",
            Activation::GeluTanh => "gelu_tanh",
            Activation::LeakyRelu(Slope::DEFAULT) => "leaky_relu",
            Activation::LeakyRelu(a) => return a.with_text(|t| format!("leaky_relu:{t}")).into(),
        })
    }

    /// Looks an activation up by its canonical name (only the canonical spelling of a slope:
    /// `leaky_relu:0.2`, not `leaky_relu:0.20`; `leaky_relu`, not `leaky_relu:0.01`), or by
    /// the one other spelling `gelu-tanh`, read as `gelu_tanh` (and written back canonically).
    pub fn by_name(name: &str) -> Option<Activation> {
        if name == "gelu-tanh" {
            return Some(Activation::GeluTanh);
        }
        if let Some(a) = name.strip_prefix("leaky_relu:") {
            let act = Activation::LeakyRelu(Slope::parse(a)?);
            return (act.name() == name).then_some(act);
        }
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// [`Activation::by_name`] as a clap value parser, its error listing the accepted names.
    pub fn parse_cli(name: &str) -> Result<Activation, String> {
        Self::by_name(name).ok_or_else(|| format!("unknown activation `{name}` (expected one of {}; a slope is a decimal in [0, 1] written without trailing zeros)", Self::NAMES))
    }

    /// Whether σ is C² everywhere (Clairaut's/Schwarz's theorem applies at every point).
    pub fn is_smooth(self) -> bool {
        !self.has_kink()
    }

    /// Whether σ′ jumps at 0 (relu, leaky_relu with α ≠ 1): the units the kink report watches.
    pub fn has_kink(self) -> bool {
        match self {
            Activation::Relu => true,
            Activation::LeakyRelu(a) => a != Slope::ONE,
            _ => false,
        }
    }
}

/// `out = f⁽ᵏ⁾(x)` for k ≤ 2 (see the module table for the exact sequence of roundings).
///
/// `Fun::ActD1(σ)` with `k` is σ⁽ᵏ⁺¹⁾; its `k = 2` (σ‴) is never needed: the third derivative
/// would only be asked for by hyper-dual numbers pushed through the *backward* pass, and
/// `fwd-fwd` differentiates the loss only.
pub fn eval_fun<R: Real>(out: &mut R, f: Fun, k: u8, x: &R, ctx: &R::RCtx) {
    match f {
        Fun::Exp => out.set_exp(x, ctx),
        Fun::Ln => match k {
            0 => out.set_ln(x, ctx),
            1 => out.set_div(&R::consts(ctx).one, x, ctx),
            _ => R::with_scratch(ctx, |[t0, t1, ..]| {
                t0.set_div(&R::consts(ctx).one, x, ctx);
                t1.set_div(t0, x, ctx);
                out.set_neg(t1, ctx);
            }),
        },
        Fun::Act(a) => act(out, a, k, x, ctx),
        Fun::ActD1(a) => {
            assert!(k < 2, "σ‴ is not implemented: fwd-fwd never differentiates the backward pass");
            act(out, a, k + 1, x, ctx)
        }
    }
}

/// `t0 = s = sigmoid(x)`, using `t1` as scratch.
fn sigmoid<R: Real>(s: &mut R, t1: &mut R, x: &R, ctx: &R::RCtx) {
    let c = R::consts(ctx);
    s.set_neg(x, ctx);
    t1.set_exp(s, ctx);
    s.set_add(&c.one, t1, ctx);
    t1.set_div(&c.one, s, ctx);
    s.set(t1, ctx);
}

/// `out = σ⁽ᵏ⁾(x)` for k ≤ 2: one function per activation (module table).
fn act<R: Real>(out: &mut R, a: Activation, k: u8, x: &R, ctx: &R::RCtx) {
    let c = R::consts(ctx);
    match (a, k) {
        (Activation::Identity, 0) => out.set(x, ctx),
        (Activation::Identity, 1) => out.set(&c.one, ctx),
        (Activation::Relu, 0) => out.set(if x.is_positive() { x } else { &c.zero }, ctx),
        (Activation::Relu, 1) => out.set(if x.is_positive() { &c.one } else { &c.zero }, ctx),
        (Activation::LeakyRelu(_), 0) if x.is_positive() => out.set(x, ctx),
        (Activation::LeakyRelu(_), 1) if x.is_positive() => out.set(&c.one, ctx),
        (Activation::LeakyRelu(a), 0) => R::with_scratch(ctx, |[t0, ..]| {
            *t0 = a.with_text(|t| R::parse_decimal(t, ctx));
            out.set_mul(t0, x, ctx)
        }),
        (Activation::LeakyRelu(a), 1) => *out = a.with_text(|t| R::parse_decimal(t, ctx)),
        (Activation::Identity | Activation::Relu | Activation::LeakyRelu(_), _) => out.set(&c.zero, ctx),
        // softplus′ = sigmoid, softplus″ = sigmoid′
        (Activation::Sigmoid, _) => sigmoid_k(out, k, x, ctx),
        (Activation::Softplus, 1 | 2) => sigmoid_k(out, k - 1, x, ctx),
        (Activation::Softplus, _) => softplus(out, x, ctx),
        (Activation::Tanh, _) => tanh_k(out, k, x, ctx),
        (Activation::Gelu, _) => gelu_k(out, k, x, ctx),
        (Activation::Silu, _) => silu_k(out, k, x, ctx),
        (Activation::GeluTanh, _) => gelu_tanh_k(out, k, x, ctx),
    }
}

/// `out = sigmoid⁽ᵏ⁾(x)`.
fn sigmoid_k<R: Real>(out: &mut R, k: u8, x: &R, ctx: &R::RCtx) {
    let c = R::consts(ctx);
    R::with_scratch(ctx, |[s, t1, t2, _]| {
        sigmoid(s, t1, x, ctx);
        match k {
            0 => out.set(s, ctx),
            1 => {
                t1.set_sub(&c.one, s, ctx);
                out.set_mul(s, t1, ctx);
            }
            _ => {
                t1.set_sub(&c.one, s, ctx);
                t2.set_mul(s, t1, ctx); // s(1−s)
                t1.set_mul(&c.two, s, ctx);
                s.set_sub(&c.one, t1, ctx); // 1−2s
                out.set_mul(t2, s, ctx);
            }
        }
    })
}

/// `out = softplus(x) = max(x, 0) + ln1p(e^(−|x|))`.
fn softplus<R: Real>(out: &mut R, x: &R, ctx: &R::RCtx) {
    R::with_scratch(ctx, |[t0, t1, ..]| {
        t0.set_abs(x, ctx);
        t1.set_neg(t0, ctx);
        t0.set_exp(t1, ctx);
        t1.set_ln_1p(t0, ctx);
        if x.is_positive() {
            out.set_add(x, t1, ctx);
        } else {
            out.set(t1, ctx);
        }
    })
}

/// `out = tanh⁽ᵏ⁾(x)`.
fn tanh_k<R: Real>(out: &mut R, k: u8, x: &R, ctx: &R::RCtx) {
    let c = R::consts(ctx);
    R::with_scratch(ctx, |[t, t1, t2, _]| {
        t.set_tanh(x, ctx);
        match k {
            0 => out.set(t, ctx),
            1 => {
                t1.set_mul(t, t, ctx);
                out.set_sub(&c.one, t1, ctx);
            }
            _ => {
                t1.set_mul(t, t, ctx);
                t2.set_sub(&c.one, t1, ctx);
                t1.set_mul(t, t2, ctx);
                t2.set_mul(&c.two, t1, ctx);
                out.set_neg(t2, ctx);
            }
        }
    })
}

/// `out = gelu⁽ᵏ⁾(x)`.
fn gelu_k<R: Real>(out: &mut R, k: u8, x: &R, ctx: &R::RCtx) {
    let c = R::consts(ctx);
    R::with_scratch(ctx, |[t0, t1, t2, t3]| match k {
        0 => {
            // Φ = (1 + erf(x/√2))·½
            t0.set_mul(x, &c.frac_1_sqrt_2, ctx);
            t1.set_erf(t0, ctx);
            t0.set_add(&c.one, t1, ctx);
            t1.set_mul(t0, &c.half, ctx);
            out.set_mul(x, t1, ctx);
        }
        _ => {
            // φ = exp(−(x·x)·½)·(1/√(2π))
            t0.set_mul(x, x, ctx);
            t1.set_mul(t0, &c.half, ctx);
            t2.set_neg(t1, ctx);
            t1.set_exp(t2, ctx);
            t2.set_mul(t1, &c.frac_1_sqrt_2pi, ctx); // φ
            if k == 1 {
                t0.set_mul(x, &c.frac_1_sqrt_2, ctx);
                t1.set_erf(t0, ctx);
                t0.set_add(&c.one, t1, ctx);
                t1.set_mul(t0, &c.half, ctx); // Φ
                t3.set_mul(x, t2, ctx);
                out.set_add(t1, t3, ctx);
            } else {
                // t0 still holds x·x
                t1.set_sub(&c.two, t0, ctx);
                out.set_mul(t2, t1, ctx);
            }
        }
    })
}

/// `out = silu⁽ᵏ⁾(x)`.
fn silu_k<R: Real>(out: &mut R, k: u8, x: &R, ctx: &R::RCtx) {
    let c = R::consts(ctx);
    R::with_scratch(ctx, |[s, t1, t2, t3]| {
        sigmoid(s, t1, x, ctx);
        match k {
            0 => out.set_mul(x, s, ctx),
            1 => {
                t1.set_sub(&c.one, s, ctx);
                t2.set_mul(x, t1, ctx);
                t1.set_add(&c.one, t2, ctx);
                out.set_mul(s, t1, ctx);
            }
            _ => {
                t1.set_sub(&c.one, s, ctx);
                t2.set_mul(s, t1, ctx); // s(1−s)
                t1.set_mul(&c.two, s, ctx);
                t3.set_sub(&c.one, t1, ctx); // 1−2s
                t1.set_mul(x, t3, ctx);
                t3.set_add(&c.two, t1, ctx);
                out.set_mul(t2, t3, ctx);
            }
        }
    })
}

/// `x2 = x·x`, `t = tanh(k₀·(x + c·(x2·x)))`, using `t2` as scratch.
fn gelu_tanh_t<R: Real>(x2: &mut R, t: &mut R, t2: &mut R, x: &R, ctx: &R::RCtx) {
    let c = R::consts(ctx);
    x2.set_mul(x, x, ctx);
    t.set_mul(x2, x, ctx); // x³
    t2.set_mul(&c.gelu_tanh_c, t, ctx);
    t.set_add(x, t2, ctx);
    t2.set_mul(&c.sqrt_2_over_pi, t, ctx); // u
    t.set_tanh(t2, ctx);
}

/// `out = gelu_tanh⁽ᵏ⁾(x)` (module table).
fn gelu_tanh_k<R: Real>(out: &mut R, k: u8, x: &R, ctx: &R::RCtx) {
    let c = R::consts(ctx);
    R::with_scratch(ctx, |[t0, t1, t2, t3]| {
        gelu_tanh_t(t0, t1, t2, x, ctx); // t0 = x², t1 = t
        match k {
            0 => {
                t2.set_add(&c.one, t1, ctx);
                t3.set_mul(t2, &c.half, ctx); // cdf
                out.set_mul(x, t3, ctx);
            }
            1 => {
                t2.set_mul(t1, t1, ctx);
                t3.set_sub(&c.one, t2, ctx); // s
                t2.set_mul(&c.gelu_tanh_k1, t0, ctx);
                t0.set_add(&c.sqrt_2_over_pi, t2, ctx); // u′
                t2.set_mul(x, t3, ctx);
                t3.set_mul(t2, t0, ctx);
                t0.set_mul(t3, &c.half, ctx); // ½·x·s·u′
                t2.set_add(&c.one, t1, ctx);
                t3.set_mul(t2, &c.half, ctx); // ½(1+t)
                out.set_add(t3, t0, ctx);
            }
            _ => {
                t2.set_mul(t1, t1, ctx);
                t3.set_sub(&c.one, t2, ctx); // s
                t2.set_mul(&c.gelu_tanh_k1, t0, ctx); // k₁·x²
                out.set_add(&c.sqrt_2_over_pi, t2, ctx); // u′
                t0.set_mul(t2, &c.two, ctx);
                t2.set_add(&c.sqrt_2_over_pi, t0, ctx); // k₀ + 2k₁·x²
                t0.set_mul(out, out, ctx); // u′²
                out.set_mul(x, t1, ctx); // x·t
                t1.set_mul(out, t0, ctx);
                t0.set_sub(t2, t1, ctx);
                out.set_mul(t3, t0, ctx);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_names_are_canonical() {
        for (text, ok) in [("0.2", true), ("0.05", true), ("0.001", true), ("1", true), ("0", true), ("0.123456789", true), ("0.20", false), ("00.2", false), (".5", false), ("5.", false), ("1.5", false), ("2", false), ("-0.1", false), ("1e-2", false), ("0.1234567891", false), ("", false)] {
            let name = format!("leaky_relu:{text}");
            assert_eq!(Activation::by_name(&name).is_some(), ok, "{name}");
            if ok {
                assert_eq!(Activation::by_name(&name).unwrap().name(), name.as_str());
            }
        }
        assert_eq!(Activation::by_name("leaky_relu"), Some(Activation::LeakyRelu(Slope::DEFAULT)));
        assert_eq!(Activation::by_name("gelu-tanh"), Some(Activation::GeluTanh), "the issue's spelling");
        assert_eq!(Activation::GeluTanh.name(), "gelu_tanh");
        assert_eq!(Activation::by_name("leaky_relu:0.01"), None, "the default has one spelling");
        assert_eq!(Slope::parse("0.000000000000000000000000000001").map(|s| s.to_f64()), Some(1e-30));
        assert_eq!(Slope::parse("0.2").unwrap().to_f64(), 0.2);
        for a in Activation::ALL {
            assert_eq!(Activation::by_name(&a.name()), Some(a));
        }
        assert!(!Activation::by_name("leaky_relu:1").unwrap().has_kink());
        assert!(Activation::by_name("leaky_relu:0").unwrap().has_kink());
    }
}
