//! The elementary functions of the model — `exp`, `ln` and the activation functions σ — with
//! their first two derivatives, written once for every [`Real`].
//!
//! Each function is a fixed sequence of correctly rounded primitives, listed below; since every
//! format performs the same sequence, `binary64` emulation equals `f64` bit for bit and the
//! results do not depend on the platform. `1/√2` and `1/√(2π)` are constants of the context,
//! correctly rounded into the format. Multiplications by ½ and 2 are exact except on underflow
//! (then they round, identically in every format).
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
//!
//! (Brackets show the order of evaluation where it is not left to right.)

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

/// An activation function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
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
}

impl Activation {
    /// Every activation.
    pub const ALL: [Activation; 7] = [
        Activation::Identity,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Softplus,
        Activation::Relu,
        Activation::Gelu,
        Activation::Silu,
    ];

    /// Canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softplus => "softplus",
            Activation::Relu => "relu",
            Activation::Gelu => "gelu",
            Activation::Silu => "silu",
        }
    }

    /// Looks an activation up by its canonical name.
    pub fn by_name(name: &str) -> Option<Activation> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether σ is C² everywhere (Clairaut's/Schwarz's theorem applies at every point).
    pub fn is_smooth(self) -> bool {
        !matches!(self, Activation::Relu)
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
        (Activation::Identity | Activation::Relu, _) => out.set(&c.zero, ctx),
        // softplus′ = sigmoid, softplus″ = sigmoid′
        (Activation::Sigmoid, _) => sigmoid_k(out, k, x, ctx),
        (Activation::Softplus, 1 | 2) => sigmoid_k(out, k - 1, x, ctx),
        (Activation::Softplus, _) => softplus(out, x, ctx),
        (Activation::Tanh, _) => tanh_k(out, k, x, ctx),
        (Activation::Gelu, _) => gelu_k(out, k, x, ctx),
        (Activation::Silu, _) => silu_k(out, k, x, ctx),
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
