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
//! * `sparse_softmax_cross_entropy`: the same with **integer class labels** — the problem's `y`
//!   is N×1, each a class index c_n in 0..d_L (as `sparse_categorical_crossentropy` and
//!   `torch.nn.CrossEntropyLoss` take them). The labels become one-hot rows of exact 0 and 1
//!   ([`crate::model::Problem::inputs`]) and the loss is evaluated exactly as above, so it equals
//!   `softmax_cross_entropy` with one-hot targets bit for bit. It also equals the frameworks'
//!   direct form `ℓ = ln S − s_c` bit for bit: `dot(y, log_softmax)` of a one-hot y is exactly
//!   `log_softmax_c` in every order (the other products are zeros, added exactly), `Σ y = 1`
//!   exactly, and `p_k·1 − y_k` is `p_k − [k = c]`.
//!
//! Each loss has a **sum** reduction, named `<loss>:sum` (`mse:sum`,
//! `softmax_cross_entropy:sum`, `sparse_softmax_cross_entropy:sum`: `reduction='sum'` in
//! PyTorch, `Reduction.SUM` in Keras): the same evaluation without the final division by M
//! (mse) or N (cross-entropy), in the loss and in its gradient. The names without a suffix
//! keep meaning the mean. When M (or N) is a power of two, the division is exact (barring
//! underflow) and commutes with every later rounding, so the mean's loss, gradient and Hessian
//! are those of the sum divided by M exactly (as values: an exact zero may change sign, since
//! `fwd-fwd` divides hyper-dual numbers through a reciprocal whose zero tangents add signed
//! zeros); otherwise they differ by roundings.
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
    /// Sum of squared errors over all entries.
    #[value(name = "mse:sum")]
    MseSum,
    /// Sum over rows of the softmax cross-entropy.
    #[value(name = "softmax_cross_entropy:sum")]
    SoftmaxCrossEntropySum,
    /// Mean over rows of the softmax cross-entropy, with integer class labels (y is N×1).
    #[value(name = "sparse_softmax_cross_entropy")]
    SparseSoftmaxCrossEntropy,
    /// Sum over rows of the softmax cross-entropy, with integer class labels (y is N×1).
    #[value(name = "sparse_softmax_cross_entropy:sum")]
    SparseSoftmaxCrossEntropySum,
}

/// How a loss reduces its per-entry (mse) or per-row (cross-entropy) terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reduction {
    /// Divided by their number (`reduce_mean`).
    Mean,
    /// Summed.
    Sum,
}

impl Loss {
    /// Every loss.
    pub const ALL: [Loss; 6] = [
        Loss::Mse,
        Loss::SoftmaxCrossEntropy,
        Loss::MseSum,
        Loss::SoftmaxCrossEntropySum,
        Loss::SparseSoftmaxCrossEntropy,
        Loss::SparseSoftmaxCrossEntropySum,
    ];

    /// Canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Loss::Mse => "mse",
            Loss::SoftmaxCrossEntropy => "softmax_cross_entropy",
            Loss::MseSum => "mse:sum",
            Loss::SoftmaxCrossEntropySum => "softmax_cross_entropy:sum",
            Loss::SparseSoftmaxCrossEntropy => "sparse_softmax_cross_entropy",
            Loss::SparseSoftmaxCrossEntropySum => "sparse_softmax_cross_entropy:sum",
        }
    }

    /// Every canonical name, comma-separated (for messages).
    pub fn names() -> String {
        Self::ALL.map(|l| l.name()).join(", ")
    }

    /// The reduction.
    pub fn reduction(self) -> Reduction {
        match self {
            Loss::Mse | Loss::SoftmaxCrossEntropy | Loss::SparseSoftmaxCrossEntropy => Reduction::Mean,
            _ => Reduction::Sum,
        }
    }

    /// Whether the targets are integer class labels (y is N×1).
    pub fn is_sparse(self) -> bool {
        matches!(self, Loss::SparseSoftmaxCrossEntropy | Loss::SparseSoftmaxCrossEntropySum)
    }

    /// Whether this is a softmax cross-entropy (with probability or integer targets).
    pub fn is_softmax(self) -> bool {
        !matches!(self, Loss::Mse | Loss::MseSum)
    }

    /// The width of a row of `y` for an output of width `d_l`: 1 (a class label) or `d_l`.
    pub fn y_width(self, d_l: usize) -> usize {
        if self.is_sparse() { 1 } else { d_l }
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
    let mean = kind.reduction() == Reduction::Mean;
    if kind.is_softmax() {
        softmax_ce(mean, loss, grad, out, y, n, d, eval, ks, ls, ctx);
        // a framework's composition of the gradient replaces Clairaut's
        let [t0, t1, ..] = &mut ls.t;
        super::rules::loss_grad(eval, kind, grad, out, y, n, [t0, t1], ctx);
        return;
    }
    let m = count::<S>(out.len(), ctx);
    let two = S::constant(&c.two, ctx);
    let delta = &mut ls.s;
    for k in 0..out.len() {
        delta[k].set_sub(&out[k], &y[k], ctx);
    }
    let [ss, t, ..] = &mut ls.t;
    dot(ss, Strided::contiguous(delta), Strided::contiguous(delta), eval, ks, ctx);
    if mean {
        loss.set_div(ss, &m, ctx);
    } else {
        loss.set(ss, ctx);
    }
    if super::rules::loss_grad(eval, kind, grad, out, y, n, [ss, t], ctx) {
        return;
    }
    for k in 0..out.len() {
        if mean {
            t.set_mul(&two, &delta[k], ctx);
            grad[k].set_div(t, &m, ctx);
        } else {
            grad[k].set_mul(&two, &delta[k], ctx);
        }
    }
}

/// The softmax cross-entropy (module docs), divided by N when `mean`.
#[allow(clippy::too_many_arguments)]
fn softmax_ce<S: Scalar>(
    mean: bool,
    loss: &mut S,
    grad: &mut [S],
    out: &[S],
    y: &[S],
    n: usize,
    d: usize,
    eval: &Eval,
    ks: &mut KernelScratch<S>,
    ls: &mut LossScratch<S>,
    ctx: &S::Ctx,
) {
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
            if mean {
                t1.set_sub(t2, &yr[k], ctx);
                grad[r * d + k].set_div(t1, &nn, ctx);
            } else {
                grad[r * d + k].set_sub(t2, &yr[k], ctx);
            }
        }
    }
    sum(total, Strided::contiguous(&ls.rows), eval, ks, ctx);
    if mean {
        t1.set_neg(total, ctx);
        loss.set_div(t1, &nn, ctx);
    } else {
        loss.set_neg(total, ctx);
    }
}

fn count<S: Scalar>(m: usize, ctx: &S::Ctx) -> S {
    let c = <S::Real as Real>::from_f64(m as f64, S::real_ctx(ctx));
    S::constant(&c, ctx)
}
