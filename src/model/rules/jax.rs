//! JAX's graph of an MLP loss Hessian: `jax.hessian(loss)(params)` = `jacfwd(jacrev(loss))`
//! (`fwd-rev`), a flax `nn.Dense` stack and `jnp.mean(jnp.square(y - pred))`
//! (`scripts/frameworks/jax_export.py`), on CPU (jax 0.10.2, XLA CPU).
//!
//! # The gradient (`jacrev`: the transposed linearization), from `jax/_src/lax/lax.py`
//! * `jnp.mean` = `lax.div(sum, M)`: the cotangent `1 ⊘ M` (`div`'s transpose); `mse:sum`: 1.
//! * `square_p` (`ad.defjvp2(square_p, lambda g, ans, x: mul(g, mul(_const(x, 2), x)))`):
//!   transposed, `ct · (2·x)`.
//! * `sub` (`y − pred`): `−ct` to `pred`.
//! * `logistic_p` (`ad.defjvp2(logistic_p, …)`, default accuracy):
//!   `mul(g, mul(ans, sub(1, ans)))`, transposed `ct · (ans·(1 − ans))`; the residual
//!   `ans·(1 − ans)` is computed in the forward pass, from `ans = logistic_impl(x)` =
//!   `1/(1 + exp(−x))` ([`GradKernel::LogisticJvp`]).
//! * `dot_general`, bias `add`: Clairaut's matrix products and batch sums.
//!
//! # Second order (`jacfwd`)
//! Every op above is pushed forward with its own JVP rule — dual-number arithmetic, op by op:
//! the generic core on [`Dual`](crate::ad::Dual) numbers — except `logistic` itself, whose
//! tangent is its JVP rule `ẋ·(ans·(1 − ans))` ([`Scalar::set_fun_rule`]), and one contraction
//! XLA's CPU code makes: the tangent of the residual `ans·(1 − ans)` is
//! `fma(ȧns, 1 − ans, ans·(−ȧns))` ([`Scalar::set_mul_contracted`]; found by reproducing
//! the committed f64 Hessian of the article's example: without it 27 of 36 entries agree).
//!
//! # Covered
//! Activations `sigmoid`, `identity`; losses `mse`, `mse:sum`; `fwd-rev` only. XLA's `exp`
//! (for `logistic`) is not correctly rounded: values where it differs from CORE-MATH's differ;
//! matrix products longer than one term follow the order under study, not XLA's (Eigen's)
//! kernels.

use super::super::{Activation, Loss, Spec};
use crate::scalar::rules::{GradKernel, Lane};
use crate::scalar::{Real, Scalar};

/// Whether JAX's rules cover `spec` (activations and loss).
pub fn check(spec: &Spec) -> Result<(), String> {
    if let Some(a) = spec.activations.iter().find(|&&a| !matches!(a, Activation::Sigmoid | Activation::Identity)) {
        return Err(format!("rules jax cover the activations sigmoid and identity, not {}", a.name()));
    }
    if !matches!(spec.loss, Loss::Mse | Loss::MseSum) {
        return Err(format!("rules jax cover the losses mse and mse:sum, not {}", spec.loss.name()));
    }
    Ok(())
}

/// `out = logistic(z)` with JAX's JVP rule as its tangent.
pub(super) fn activation<S: Scalar>(act: Activation, out: &mut S, z: &S, k: usize, len: usize, ctx: &S::Ctx) -> bool {
    if act != Activation::Sigmoid {
        return false;
    }
    out.set_fun_rule(GradKernel::LogisticJvp, z, Lane::new(k, len), ctx);
    true
}

/// `g ← g · (a·(1 − a))`, the residual's tangent contracted as XLA's (module docs).
pub(super) fn chain<S: Scalar>(act: Activation, g: &mut [S], a: &[S], tmp: &mut S, ctx: &S::Ctx) -> bool {
    if act != Activation::Sigmoid {
        return false;
    }
    let one = S::constant(&S::Real::consts(S::real_ctx(ctx)).one, ctx);
    let mut om = one.clone();
    for (gk, ak) in g.iter_mut().zip(a) {
        om.set_sub(&one, ak, ctx);
        tmp.set_mul_contracted(ak, &om, ctx);
        om.set_mul(gk, tmp, ctx);
        gk.set(&om, ctx);
    }
    true
}
