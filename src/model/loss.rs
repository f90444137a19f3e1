//! Losses and their gradients with respect to the network output `a_L`.
//!
//! * `mse`: `L = (Σ_k (a_k − y_k)²) / M` over all M = N·d_L entries (`reduce_mean` semantics).
//!   Evaluated as `δ_k = a_k − y_k`, `L = dot(δ, δ) / M` (dot in the order under study, FMA policy
//!   applied), and `∂L/∂a_k = (2·δ_k) / M`.
//! * `softmax_cross_entropy`: `L = (Σ_n ℓ_n) / N`, `ℓ_n = −Σ_k y_nk · log_softmax(a_n)_k`.
//!   Per row: `m = max_k a_k` (a constant: its derivative cancels exactly, as in every framework),
//!   `s_k = a_k − m`, `e_k = exp(s_k)`, `S = Σ e_k`, `log_softmax_k = s_k − ln S`,
//!   `ℓ = −dot(y, log_softmax)`. Gradient: `p_k = e_k / S`, `∂L/∂a_k = (p_k·Σ_j y_j − y_k) / N`
//!   (exact for any y, not only probability vectors).
//!
//! Every sum above uses the order under study.

use crate::order::{dot, sum, Eval, KernelScratch, Strided};
use crate::scalar::{Fun, Real, Scalar};

/// A loss function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Loss {
    /// Mean squared error over all entries.
    #[value(name = "mse")]
    Mse,
    /// Mean over rows of the softmax cross-entropy.
    #[value(name = "softmax_cross_entropy")]
    SoftmaxCrossEntropy,
}

impl Loss {
    /// Every loss.
    pub const ALL: [Loss; 2] = [Loss::Mse, Loss::SoftmaxCrossEntropy];

    /// Canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Loss::Mse => "mse",
            Loss::SoftmaxCrossEntropy => "softmax_cross_entropy",
        }
    }

    /// Looks a loss up by its canonical name.
    pub fn by_name(name: &str) -> Option<Loss> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// Scratch for the loss (one row of the output at a time, the row losses, a few scalars).
#[derive(Clone, Debug)]
pub struct LossScratch<S> {
    s: Vec<S>,
    e: Vec<S>,
    rows: Vec<S>,
    t: [S; 5],
}

impl<S: Scalar> LossScratch<S> {
    /// Scratch for `n` rows of width `d`.
    pub fn new(zero: &S, n: usize, d: usize) -> Self {
        LossScratch {
            s: vec![zero.clone(); n * d],
            e: vec![zero.clone(); d],
            rows: vec![zero.clone(); n],
            t: std::array::from_fn(|_| zero.clone()),
        }
    }
}

/// `loss = L(out)` and `grad = ∂L/∂out` for outputs `out` and targets `y` (both N×d, row-major).
#[allow(clippy::too_many_arguments)]
pub fn loss_and_grad<S: Scalar>(
    kind: Loss,
    loss: &mut S,
    grad: &mut [S],
    out: &[S],
    y: &[S],
    n: usize,
    eval: &Eval,
    ks: &mut KernelScratch<S>,
    ls: &mut LossScratch<S>,
    ctx: &S::Ctx,
) {
    let c = S::Real::consts(S::real_ctx(ctx));
    let d = out.len() / n;
    match kind {
        Loss::Mse => {
            let m = count::<S>(out.len(), ctx);
            let two = S::constant(&c.two, ctx);
            let delta = &mut ls.s;
            for k in 0..out.len() {
                delta[k].set_sub(&out[k], &y[k], ctx);
            }
            let [ss, t, ..] = &mut ls.t;
            dot(ss, Strided::contiguous(delta), Strided::contiguous(delta), eval, ks, ctx);
            loss.set_div(ss, &m, ctx);
            for k in 0..out.len() {
                t.set_mul(&two, &delta[k], ctx);
                grad[k].set_div(t, &m, ctx);
            }
        }
        Loss::SoftmaxCrossEntropy => {
            let nn = count::<S>(n, ctx);
            let [lse, total, sy, t1, t2] = &mut ls.t;
            let (s, e) = (&mut ls.s[..d], &mut ls.e[..d]);
            for r in 0..n {
                let a = &out[r * d..(r + 1) * d];
                let yr = &y[r * d..(r + 1) * d];
                let mut m = a[0].value();
                for v in &a[1..] {
                    if v.value().gt(m) {
                        m = v.value();
                    }
                }
                let m = S::constant(m, ctx);
                for k in 0..d {
                    s[k].set_sub(&a[k], &m, ctx);
                    e[k].set_fun(Fun::Exp, &s[k], ctx);
                }
                sum(total, Strided::contiguous(e), eval, ks, ctx); // Σ e_k
                lse.set_fun(Fun::Ln, total, ctx);
                for sk in s.iter_mut() {
                    t1.set_sub(sk, lse, ctx);
                    sk.set(t1, ctx); // log_softmax_k
                }
                dot(&mut ls.rows[r], Strided::contiguous(yr), Strided::contiguous(s), eval, ks, ctx);
                sum(sy, Strided::contiguous(yr), eval, ks, ctx);
                for k in 0..d {
                    t1.set_div(&e[k], total, ctx); // p_k
                    t2.set_mul(t1, sy, ctx);
                    t1.set_sub(t2, &yr[k], ctx);
                    grad[r * d + k].set_div(t1, &nn, ctx);
                }
            }
            sum(total, Strided::contiguous(&ls.rows), eval, ks, ctx);
            t1.set_neg(total, ctx);
            loss.set_div(t1, &nn, ctx);
        }
    }
}

fn count<S: Scalar>(m: usize, ctx: &S::Ctx) -> S {
    let c = <S::Real as Real>::from_f64(m as f64, S::real_ctx(ctx));
    S::constant(&c, ctx)
}
