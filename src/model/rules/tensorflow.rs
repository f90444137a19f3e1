//! TensorFlow's graph of an MLP loss Hessian: `t2.jacobian(t1.gradient(loss, θ), θ)` with
//! nested `tf.GradientTape`s (`rev-rev`), a Keras `Dense` stack and
//! `tf.reduce_mean(tf.square(y - pred))` or
//! `tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=pred))`
//! (`scripts/frameworks/tf_export.py`), on CPU (tensorflow-cpu 2.21).
//!
//! # First gradient (`t1.gradient`), per op, from `tensorflow/python/ops/math_grad.py`
//! * `Mean` (`_MeanGrad`): the seed 1 broadcast (`_SumGrad`) and divided by the element count
//!   M (`truediv`): `c = 1 ⊘ M` (one rounding; `reduce_sum`, `_SumGrad`: c = 1).
//! * `Square` (`_SquareGrad`): `grad · (x · 2)` — `multiply(grad, multiply(x, 2.0))`.
//! * `Sub` (`_SubGrad`, `y − pred`): `−grad` to `pred` (exact).
//! * `Sigmoid` (`_SigmoidGrad`) / `Tanh` (`_TanhGrad`): the kernels
//!   `SigmoidGrad(y, grad)` / `TanhGrad(y, grad)` of the activation's *output* y
//!   ([`GradKernel`]: the Eigen functors' operation order, packet or scalar path by position).
//! * `SoftmaxCrossEntropyWithLogits` (`tensorflow/python/ops/nn_grad.py`,
//!   `_SoftmaxCrossEntropyWithLogitsGrad`): `_BroadcastMul(grad_loss, backprop)` — the seed
//!   `1 ⊘ N` (`_MeanGrad` over the N rows; `:sum`: 1) times the kernel's second output
//!   `backprop = exp(l − m) / S − y` (`tensorflow/core/kernels/xent_op.h`: m the row's
//!   maximum, `S = Σ exp(l − m)` left to right; [`Scalar::set_xent_backprop`],
//!   `scalar::rules::xent_backprop`).
//! * `gelu` (Keras `activations.gelu`, `approximate=False` → `tf.nn.gelu`, `nn_ops.py`): the
//!   ordinary ops `0.5 * x * erfc(-x * c)`, `c = math_ops.cast(0.7071067811865476, dtype)`
//!   (through a float32 tensor: `c` is the float32 nearest 1/√2 in both formats); their
//!   gradients `_MulGrad`, `_NegGrad` and `_ErfcGrad` (`math_grad.py`):
//!   `grad * (−2/√π) * exp(−square(u))`, left to right — recorded op by op.
//! * `silu` (`tf.nn.silu` = `swish`, `nn_impl.py`): a `custom_gradient` whose forward is
//!   `x * sigmoid(x)` and whose gradient recomputes `s = sigmoid(beta * x)` (beta = 1) and
//!   returns `dy * (s * (1.0 + (beta * x) * (1.0 - s)))` — recorded op by op, the `Sigmoid`
//!   as TensorFlow's op.
//! * `relu` (Keras 3 `relu` with its defaults → `tf.nn.relu`, the `Relu` op; `_ReluGrad`,
//!   `nn_grad.py`): `relu_grad(grad, y)` of the op's *output* y — the `ReluGrad` kernel
//!   (`tensorflow/core/kernels/relu_op_functor.h`) `gradients * (features > 0).cast<T>()`, so a
//!   dead unit passes `grad·0`, a zero with grad's sign ([`GradKernel::ReluGrad`]). The value:
//!   `features.cwiseMax<PropagateNaN>(0)` (`Relu`).
//! * `leaky_relu` (Clairaut's `leaky_relu:α`; Keras 3 `leaky_relu(x, negative_slope=α)` →
//!   `tf.nn.leaky_relu(x, alpha=α)`, `nn_ops.py`, the `LeakyRelu` op; `_LeakyReluGrad`):
//!   `leaky_relu_grad(grad, x, alpha)` of the op's *input* x — `(features > 0).select(gradients,
//!   gradients * alpha)`; value `(features > 0).select(features, features * alpha)`
//!   (`relu_op_functor.h`, `LeakyRelu`/`LeakyReluGrad`). `alpha` is a `float` attribute cast to
//!   the format, so α is rounded to `float` first at every precision
//!   ([`GradKernel::LeakyReluGrad`], `scalar::rules::tf_alpha`).
//! * `softplus` (Keras `softplus` → `tf.math.softplus`, the `Softplus` op,
//!   `tensorflow/core/kernels/softplus_op.h`: `x` above `−(log ε + 2)`, `exp(x)` below
//!   `log ε + 2`, else `log1p(exp(x))`, [`GradKernel::SoftplusTf`]): its registered gradient in
//!   tensorflow 2.21 (`nn_grad.py`, `_SoftplusGrad`) is `grad * math_ops.sigmoid(op.inputs[0])`
//!   — a `Sigmoid` op of the input and a `Mul`, recorded op by op (not the `SoftplusGrad`
//!   kernel, which only `_SoftplusGradGrad` would run).
//! * `MatMul` (`_MatMulGrad`) and `AddV2` (`_AddGrad`, Keras 3 `Dense` adds the bias with
//!   `ops.add`: a `reduce_sum` over the batch): Clairaut's matrix products and batch sums.
//!
//! # Second order (`t2.jacobian`)
//! The outer tape differentiates those ops with *their* registered gradients: `Mul`, `Neg`,
//! `Sub`, `MatMul`, `Sum` are linear and differentiate as the tape's own nodes do; `Sigmoid` and
//! `Tanh` by `_SigmoidGrad` / `_TanhGrad` again (a `SigmoidGrad` kernel on the incoming
//! adjoint, not `σ′(z)` times it); `SigmoidGrad` by `_SigmoidGradGrad` (`gb = grad·b`,
//! `gb − 2.0·gb·a`, `sigmoid_grad(a, grad)`) and `TanhGrad` by `_TanhGradGrad`
//! (`grad·−2.0·b·a`, `tanh_grad(a, grad)`) — the tape's `RuleNode`s (`ad::tape`).
//! The softmax cross-entropy's `backprop` output is differentiated by the *registered*
//! second-order term of `_SoftmaxCrossEntropyWithLogitsGrad`: with `w` the adjoint of a
//! row's `backprop` and `s = softmax(logits)` (the `Softmax` kernel, `e · (1/S)`),
//! `(w − squeeze(matmul(w, s))) · s`, added to `grad_loss · backprop` where `grad_loss`, the
//! adjoint of the op's unused `loss` output, is zero (`ad::tape`, `RuleNode::Xent`).
//! `gelu`'s `Erfc` is differentiated by `_ErfcGrad` ([`GradKernel::ErfcGrad`]), the ops of
//! its first gradient (`Square`: `grad * (2 * x)`, `Exp`: `grad * y`, `Mul`, `Neg`) by theirs;
//! `silu`'s forward op by its custom gradient ([`GradKernel::SwishGrad`]), the ops of its
//! first gradient by theirs (its `Sigmoid` by `_SigmoidGrad`).
//! `Relu` by `_ReluGrad` again (`ReluGrad` of the incoming adjoint by the output) and
//! `ReluGrad` by `_ReluGradGrad`: `(relu_grad(grad, x), zeros_like(x))`, x the kernel's
//! `features` input (the relu output) — the adjoint of `gradients` masked, a zero to
//! `features`; `LeakyRelu` by `_LeakyReluGrad` and `LeakyReluGrad` by `_LeakyReluGradGrad`,
//! `(leaky_relu_grad(grad, x, alpha), zeros_like(x))`, x the pre-activation. `Softplus` by
//! `_SoftplusGrad` again (`w * sigmoid(x)`, the `Sigmoid` of the loop-invariant input: its
//! forward tensor's scalar path), the `Sigmoid` and `Mul` of its first gradient by
//! `_SigmoidGrad` and `_MulGrad`.
//! `jacobian` runs the P sweeps vectorized (`pfor`): each kernel runs once over the P sweeps'
//! stacked tensors, which decides each element's packet or scalar path (`Sweep::run_row`).
//!
//! # Covered
//! Activations `sigmoid`, `tanh`, `gelu` (erf form), `silu`, `relu`, `leaky_relu` (any slope),
//! `softplus`, `identity` (Keras `linear`: no op); not `gelu_tanh` (`tf.nn.gelu(approximate=
//! True)` composes `pow(x, 3)`, whose value and `_PowGrad` are not reproduced); losses `mse`, `mse:sum`, `softmax_cross_entropy`, `softmax_cross_entropy:sum` (the
//! sparse op, `SparseSoftmaxCrossEntropyWithLogits`, has another kernel: not covered).
//! Elementary functions are correctly rounded: TensorFlow's scalar paths (glibc) agree, but
//! on tensors that fill a packet its kernels take Eigen's `pexp` and rational approximations
//! (`Exp`, `Erfc`, `Sigmoid`), and with oneDNN (the default) its `float` `Softmax` is
//! oneDNN's — none of which is reproduced.
//! Adjoints reaching one tensor from three or more consumers are summed in the tape's order,
//! which equals TensorFlow's aggregation only where at most two contributions meet (the
//! article's one-layer example); matrix products and batch sums longer than one term follow
//! the order under study, not Eigen's/oneDNN's kernels.

use super::super::{Activation, Loss};
use crate::scalar::rules::{GradKernel, Lane};
use crate::scalar::{Fun, Real, Scalar};

/// The kernel of TensorFlow's registered gradient of `act`, if it has one and reads the op's
/// output (`None` for `identity`, which TensorFlow does not record, for the composites `gelu`,
/// `silu`, and for `leaky_relu`, `softplus`, whose gradients read the input: [`activation`],
/// [`chain`]).
pub(super) fn kernel(act: Activation) -> Option<GradKernel> {
    match act {
        Activation::Sigmoid => Some(GradKernel::SigmoidGrad),
        Activation::Tanh => Some(GradKernel::TanhGrad),
        Activation::Relu => Some(GradKernel::ReluGrad),
        _ => None,
    }
}

/// The activations TensorFlow's rules cover, as errors name them ([`covers`]).
pub(super) const ACTIVATIONS: &str = "sigmoid, tanh, gelu, silu, relu, leaky_relu, softplus and identity";

/// The losses TensorFlow's rules cover, as errors name them ([`covers_loss`]).
pub(super) const LOSSES: &str = "mse, mse:sum, softmax_cross_entropy and softmax_cross_entropy:sum";

/// Whether TensorFlow's rules cover `act`.
pub(super) fn covers(act: Activation) -> bool {
    matches!(act, Activation::Identity | Activation::Sigmoid | Activation::Tanh | Activation::Gelu | Activation::Silu)
        || matches!(act, Activation::Relu | Activation::LeakyRelu(_) | Activation::Softplus)
}

/// Whether TensorFlow's rules cover `loss` (`tf.nn.softmax_cross_entropy_with_logits`; the
/// sparse op's kernel is another).
pub(super) fn covers_loss(loss: Loss) -> bool {
    matches!(loss, Loss::Mse | Loss::MseSum | Loss::SoftmaxCrossEntropy | Loss::SoftmaxCrossEntropySum)
}

/// `tf.nn.gelu`'s `0.7071067811865476`, through `math_ops.cast` of a Python float: a float32
/// tensor first, then the format.
fn frac_1_sqrt_2<R: Real>(rc: &R::RCtx) -> R {
    R::from_f64(f64::from(0.7071067811865476_f64 as f32), rc)
}

/// `out = act(z)` for element `k` of a `len`-element tensor as TensorFlow composes the
/// composite activations and records the ops whose gradients read the input (`leaky_relu`,
/// `softplus`) (module docs), keeping `gelu`'s intermediate nodes `[u, 0.5·x,
/// erfc(u)]` at `inner[3k..]` for [`chain`]; `false` for the others.
pub(super) fn activation<S: Scalar>(act: Activation, out: &mut S, z: &S, at: Lane, inner: &mut Vec<S>, ctx: &S::Ctx) -> bool {
    let rc = S::real_ctx(ctx);
    match act {
        Activation::Silu => out.set_fun_rule(GradKernel::SwishGrad, z, at, ctx),
        Activation::LeakyRelu(slope) => out.set_fun_rule(GradKernel::LeakyReluGrad { slope }, z, at, ctx),
        Activation::Softplus => out.set_fun_rule(GradKernel::SoftplusTf, z, at, ctx),
        Activation::Gelu => {
            if inner.len() < 3 * at.len {
                inner.resize(3 * at.len, z.clone());
            }
            let (half, c) = (S::constant(&S::Real::consts(rc).half, ctx), S::constant(&frac_1_sqrt_2::<S::Real>(rc), ctx));
            let [u, t1, e] = &mut inner[3 * at.index..3 * at.index + 3] else { unreachable!("three slots") };
            // 0.5 * features * erfc(-features * c)
            t1.set_mul(&half, z, ctx);
            e.set_neg(z, ctx);
            u.set_mul(e, &c, ctx);
            e.set_fun_rule(GradKernel::ErfcGrad, u, at, ctx);
            out.set_mul(t1, e, ctx);
        }
        _ => return false,
    }
    true
}

/// `g ← ∂L/∂z` through the composite activations, with the ops of their registered (`gelu`:
/// `_MulGrad`, `_ErfcGrad`, `_NegGrad`; `softplus`: `_SoftplusGrad`'s `Sigmoid` and `Mul`) or
/// custom (`silu`) gradients, and through `leaky_relu` by the `LeakyReluGrad` kernel of the
/// input (module docs); `false` for the others.
pub(super) fn chain<S: Scalar>(act: Activation, g: &mut [S], z: &[S], inner: &[S], ctx: &S::Ctx) -> bool {
    if g.is_empty() {
        return false;
    }
    if let Activation::LeakyRelu(slope) = act {
        // leaky_relu_grad(grad, x, alpha) of the input x (`_LeakyReluGrad`)
        let (mut t, len) = (g[0].clone(), g.len());
        for (k, (gk, zk)) in g.iter_mut().zip(z).enumerate() {
            t.set_grad_kernel(GradKernel::LeakyReluGrad { slope }, zk, gk, Lane::new(k, len), ctx);
            gk.set(&t, ctx);
        }
        return true;
    }
    if act == Activation::Softplus {
        // grad * sigmoid(x) (`_SoftplusGrad`): the `Sigmoid` op of the input x, then `Mul`
        let (mut s, mut t, len) = (g[0].clone(), g[0].clone(), g.len());
        for (k, (gk, zk)) in g.iter_mut().zip(z).enumerate() {
            s.set_fun_rule(GradKernel::SigmoidGrad, zk, Lane::new(k, len), ctx);
            t.set_mul(gk, &s, ctx);
            gk.set(&t, ctx);
        }
        return true;
    }
    if !matches!(act, Activation::Gelu | Activation::Silu) {
        return false;
    }
    let rc = S::real_ctx(ctx);
    let cs = S::Real::consts(rc);
    let (one, half) = (S::constant(&cs.one, ctx), S::constant(&cs.half, ctx));
    let m = S::constant(&S::Real::from_f64(-2.0 / std::f64::consts::PI.sqrt(), rc), ctx);
    let c = S::constant(&frac_1_sqrt_2::<S::Real>(rc), ctx);
    let mut t: [S; 4] = std::array::from_fn(|_| g[0].clone());
    let len = g.len();
    for (k, (gk, zk)) in g.iter_mut().zip(z).enumerate() {
        let [p, q, r, s] = &mut t;
        if act == Activation::Silu {
            // sigmoid(beta * features) * (1.0 + (beta * features) * (1.0 - sigmoid)), dy * that
            p.set_mul(&one, zk, ctx);
            s.set_fun_rule(GradKernel::SigmoidGrad, p, Lane::new(k, len), ctx);
            p.set_mul(&one, zk, ctx);
            q.set_sub(&one, s, ctx);
            r.set_mul(p, q, ctx);
            p.set_add(&one, r, ctx);
            q.set_mul(s, p, ctx);
            p.set_mul(gk, q, ctx);
        } else {
            let [u, t1, e] = &inner[3 * k..3 * k + 3] else { unreachable!("three slots") };
            // Mul: ē = t1·g, t̄1 = g·e; Erfc: ē·m·exp(−square(u)); Mul, Neg; Mul: t̄1·0.5
            p.set_mul(t1, gk, ctx);
            q.set_mul(p, &m, ctx);
            let (mut sq, mut d) = (u.value().clone(), u.value().clone());
            sq.set_mul(u.value(), u.value(), rc);
            d.set_mul(u.value(), &cs.two, rc);
            s.set_fun_known(u, [&sq, &d, &d], ctx); // Square: grad * (2 * x)
            r.set_neg(s, ctx);
            s.set_fun(Fun::Exp, r, ctx);
            r.set_mul(q, s, ctx);
            q.set_mul(r, &c, ctx);
            r.set_neg(q, ctx);
            q.set_mul(gk, e, ctx);
            s.set_mul(q, &half, ctx);
            p.set_add(r, s, ctx);
        }
        gk.set(p, ctx);
    }
    true
}

/// The loss gradient as TensorFlow's first gradient composes it (module docs); `tmp` is
/// scratch; `false` for a loss the rules do not cover.
pub(super) fn loss_grad<S: Scalar>(loss: Loss, grad: &mut [S], out: &[S], y: &[S], n: usize, tmp: [&mut S; 2], ctx: &S::Ctx) -> bool {
    match loss {
        Loss::Mse | Loss::MseSum => mse_grad(loss, grad, out, y, tmp, ctx),
        Loss::SoftmaxCrossEntropy | Loss::SoftmaxCrossEntropySum => {
            // grad_loss = 1 ⊘ N (_MeanGrad) or 1; _BroadcastMul(grad_loss, backprop)
            let rc = S::real_ctx(ctx);
            let cs = S::Real::consts(rc);
            let mut c = cs.one.clone();
            if loss == Loss::SoftmaxCrossEntropy {
                c.set_div(&cs.one, &S::Real::from_f64(n as f64, rc), rc);
            }
            let c = S::constant(&c, ctx);
            let d = out.len() / n.max(1);
            let [t, _] = tmp;
            for r in 0..n {
                let row = r * d..(r + 1) * d;
                for k in 0..d {
                    grad[r * d + k].set_xent_backprop(&out[row.clone()], &y[r * d + k], k, ctx);
                }
                for gk in &mut grad[row] {
                    t.set_mul(&c, gk, ctx);
                    gk.set(t, ctx);
                }
            }
            true
        }
        _ => false,
    }
}

/// `grad_k = −(c · ((y_k − out_k) · 2))`, c = 1 ⊘ M (mean) or 1 (sum): `_MeanGrad`,
/// `_SquareGrad`, `_SubGrad` (module docs); `tmp` is scratch.
pub(super) fn mse_grad<S: Scalar>(loss: Loss, grad: &mut [S], out: &[S], y: &[S], tmp: [&mut S; 2], ctx: &S::Ctx) -> bool {
    if !matches!(loss, Loss::Mse | Loss::MseSum) {
        return false;
    }
    let rc = S::real_ctx(ctx);
    let cs = S::Real::consts(rc);
    let mut c = cs.one.clone();
    if loss == Loss::Mse {
        c.set_div(&cs.one, &S::Real::from_f64(out.len() as f64, rc), rc);
    }
    let (c, two) = (S::constant(&c, ctx), S::constant(&cs.two, ctx));
    let [d, t] = tmp;
    for k in 0..out.len() {
        d.set_sub(&y[k], &out[k], ctx);
        t.set_mul(d, &two, ctx);
        d.set_mul(&c, t, ctx);
        grad[k].set_neg(d, ctx);
    }
    true
}
