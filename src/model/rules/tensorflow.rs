//! TensorFlow's graph of an MLP loss Hessian: `t2.jacobian(t1.gradient(loss, θ), θ)` with
//! nested `tf.GradientTape`s (`rev-rev`), a Keras `Dense` stack and
//! `tf.reduce_mean(tf.square(y - pred))` (`scripts/frameworks/tf_export.py`), on CPU
//! (tensorflow-cpu 2.21).
//!
//! # First gradient (`t1.gradient`), per op, from `tensorflow/python/ops/math_grad.py`
//! * `Mean` (`_MeanGrad`): the seed 1 broadcast (`_SumGrad`) and divided by the element count
//!   M (`truediv`): `c = 1 ⊘ M` (one rounding; `reduce_sum`, `_SumGrad`: c = 1).
//! * `Square` (`_SquareGrad`): `grad · (x · 2)` — `multiply(grad, multiply(x, 2.0))`.
//! * `Sub` (`_SubGrad`, `y − pred`): `−grad` to `pred` (exact).
//! * `Sigmoid` (`_SigmoidGrad`) / `Tanh` (`_TanhGrad`): the kernels
//!   `SigmoidGrad(y, grad)` / `TanhGrad(y, grad)` of the activation's *output* y
//!   ([`GradKernel`]: the Eigen functors' operation order, packet or scalar path by position).
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
//! `jacobian` runs the P sweeps vectorized (`pfor`): each kernel runs once over the P sweeps'
//! stacked tensors, which decides each element's packet or scalar path (`Sweep::run_row`).
//!
//! # Covered
//! Activations `sigmoid`, `tanh`, `identity` (Keras `linear`: no op); losses `mse`, `mse:sum`.
//! Adjoints reaching one tensor from three or more consumers are summed in the tape's order,
//! which equals TensorFlow's aggregation only where at most two contributions meet (the
//! article's one-layer example); matrix products and batch sums longer than one term follow
//! the order under study, not Eigen's/oneDNN's kernels.

use super::super::{Activation, Loss};
use crate::scalar::rules::GradKernel;
use crate::scalar::{Real, Scalar};

/// The kernel of TensorFlow's registered gradient of `act`, if it has one (`None` for
/// `identity`, which TensorFlow does not record).
pub(super) fn kernel(act: Activation) -> Option<GradKernel> {
    match act {
        Activation::Sigmoid => Some(GradKernel::SigmoidGrad),
        Activation::Tanh => Some(GradKernel::TanhGrad),
        _ => None,
    }
}

/// `grad_k = −(c · ((y_k − out_k) · 2))`, c = 1 ⊘ M (mean) or 1 (sum): `_MeanGrad`,
/// `_SquareGrad`, `_SubGrad` (module docs); `tmp` is scratch.
pub(super) fn loss_grad<S: Scalar>(loss: Loss, grad: &mut [S], out: &[S], y: &[S], tmp: [&mut S; 2], ctx: &S::Ctx) -> bool {
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
