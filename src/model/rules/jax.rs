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
//! * `dot_general`: XLA's CPU dot ([`crate::scalar::xla::dot`], chosen in the model's matrix
//!   products under `rules = jax` with the `sequential` order): the primal value `a₀·b₀`, then
//!   `fma(a_k, b_k, acc)` — at f64 only for up to three terms, from four on every product
//!   rounded; the derivative parts (`jacfwd`'s separate tangent dots) unfused. Bias `add`:
//!   Clairaut's batch sums.
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
//! Activations `sigmoid`, `tanh`, `identity`; losses `mse`, `mse:sum`; `fwd-rev` only.
//!
//! Reproduced bit for bit at f32 and f64 (every entry; `tests/it/rules_jax.rs`): the article's
//! example (36/36) and the tiny problems `jax-tiny-tanh-sigmoid` (2→2→1, mse),
//! `jax-tiny-sigmoid-identity` (1→2→1, mse), `jax-tiny-sigmoid-identity-sum` (2→2→2,
//! `mse:sum`), `jax-tiny-tanh-sum` (1→1→1, `mse:sum`), all N = 1, dot products of up to two
//! terms. `jax-tanh-tiny` (2→2→2 tanh): every value, 135 of 144 bits: the other 9 are zeros of
//! the other sign (structural zeros between the output columns' weights; JAX's batched tangent
//! dots sum `+0` and `−0` terms in another order).
//!
//! Not reproduced (measured: `lax.dot_general` on random operands against the candidate
//! orders, and XLA's HLO dumps of `jax.hessian`, `--xla_dump_to`): the dot emitter's order for
//! some shapes `(M, K, N)` — at f32 `(1, 3, 2)`, `aᵀ·G` `(1, 4, 2)`, `(2, 3, 1)`, `(2, 4, 1)`; at
//! f64 with four terms some shapes fuse (`(2, 4, 3)`, `(3, 4, 2)`) and some use neither order
//! (`(1, 4, 2)`, `(4, 4, 3)`, `(k, 4, 1)`); the `jacfwd`-batched tangent dots go to YNNPACK, whose
//! order matters where a tangent has several nonzero terms (N ≥ 2: `jax-sigmoid-n4`, `jax-tanh`);
//! `float` `exp` on tensors of 3, 5, 6 or 7 elements (glibc's `expf` there); the sign of some
//! structural zeros.

use super::super::{Activation, Loss};
use crate::scalar::rules::GradKernel;
use crate::scalar::{Real, Scalar};

/// The activations JAX's rules cover, as errors name them ([`covers`]).
pub(super) const ACTIVATIONS: &str = "sigmoid, tanh and identity";

/// The losses JAX's rules cover, as errors name them ([`covers_loss`]).
pub(super) const LOSSES: &str = "mse and mse:sum";

/// Whether JAX's rules cover `act` (`identity` is no op).
pub(super) fn covers(act: Activation) -> bool {
    act == Activation::Identity || kernel(act).is_some()
}

/// Whether JAX's rules cover `loss`.
pub(super) fn covers_loss(loss: Loss) -> bool {
    matches!(loss, Loss::Mse | Loss::MseSum)
}

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
