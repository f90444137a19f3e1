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
//!   `1/(1 + exp(−x))` with XLA's `exp` ([`GradKernel::LogisticJvp`], `scalar::xla`).
//! * `tanh_p` (`ad.defjvp2(tanh_p, …)`, default accuracy): `mul(add(g, mul(g, ans)), sub(1,
//!   ans))`; `jnp.tanh` is jitted, so the forward JVP runs in one XLA computation, which
//!   contracts `g + g·ans` into `fma(g, ans, g)` ([`GradKernel::TanhJvp`]); the value is XLA's
//!   rational `tanh` (`scalar::xla`). Its transpose is executed op by op (eager primitives,
//!   no contraction): `u = ct·(1 − ans)`, `add_any(u, u·ans)`.
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
//! Activations `sigmoid`, `tanh`, `identity`; losses `mse`, `mse:sum`; `fwd-rev` only. Not
//! reproduced (measured from XLA's HLO dumps of `jax.hessian`, `--xla_dump_to`): XLA's matrix
//! products — a primal `dot` goes to XLA's dot emitter (at f32 with FMAs even for two terms;
//! at f64 sequential FMAs for up to three terms on (4, K)·(K, 3), another order for four), the
//! `jacfwd`-batched tangent dots to YNNPACK; `float` `exp` on tensors of 3, 5, 6 or 7
//! elements (glibc's `expf` there); the sign of some structural zeros. Matrix products follow
//! the order under study.

use super::super::Activation;
use crate::scalar::rules::GradKernel;
use crate::scalar::{Real, Scalar};

/// The JVP rule JAX differentiates `act` with, if Clairaut has it (`None` for `identity`: no
/// op).
pub(super) fn kernel(act: Activation) -> Option<GradKernel> {
    match act {
        Activation::Sigmoid => Some(GradKernel::LogisticJvp),
        Activation::Tanh => Some(GradKernel::TanhJvp),
        _ => None,
    }
}

/// `g ← ∂L/∂z` through the transposed JVP rule of `act` (module docs); `tmp` is scratch.
pub(super) fn chain<S: Scalar>(act: Activation, g: &mut [S], a: &[S], tmp: &mut S, ctx: &S::Ctx) -> bool {
    let one = S::constant(&S::Real::consts(S::real_ctx(ctx)).one, ctx);
    let mut om = one.clone();
    match act {
        Activation::Sigmoid => {
            for (gk, ak) in g.iter_mut().zip(a) {
                om.set_sub(&one, ak, ctx);
                tmp.set_mul_contracted(ak, &om, ctx);
                om.set_mul(gk, tmp, ctx);
                gk.set(&om, ctx);
            }
        }
        Activation::Tanh => {
            // u = g·(1 − a); g = add_any(u, u·a), op by op
            for (gk, ak) in g.iter_mut().zip(a) {
                om.set_sub(&one, ak, ctx);
                tmp.set_mul(gk, &om, ctx);
                om.set_mul(tmp, ak, ctx);
                gk.set_add(tmp, &om, ctx);
            }
        }
        _ => return false,
    }
    true
}
