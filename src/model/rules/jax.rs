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
//! # `silu` and `relu` (`jax/_src/nn/functions.py`)
//! * `silu` (`@api.jit def silu(x): return x_arr * sigmoid(x_arr)`, `sigmoid` =
//!   `lax.logistic`; no custom JVP): one jitted computation, so its JVP, and under `jacfwd` the
//!   JVP of its transpose, each run as one XLA computation (`jit_silu` in the HLO dump of
//!   `jax.hessian`, `--xla_dump_to`). Read from that HLO and the emitted code (`vfmadd` in
//!   the object files of the `multiply_add_fusion` / `add_add_fusion` kernels): every `add` of
//!   two products fuses its *first* product, `add(mul(a, b), c·d)` → `fma(a, b, c·d)`.
//!   Forward: `s = logistic(x)` (as `sigmoid` above: its tangent `ẋ·(s·(1 − s))`), the value
//!   `x·s`, its tangent `fma(ẋ, s, x·ṡ)` ([`Scalar::set_mul_contracted`]). Gradient (`mul`'s
//!   transposes `mul(ct, s)` and `mul(x, ct)`, `logistic`'s `mul(ct, r)`, `r = s·(1 − s)`):
//!   `fma(ct, s, (x·ct)·r)`; its tangent `fma(ċt, s, ct·ṡ) + ẇ` with `w = (x·ct)·r`,
//!   `ẇ = fma(u̇, r, u·ṙ)`, `u = x·ct`, `u̇ = fma(ẋ, ct, x·ċt)`, `ṙ = fma(ṡ, 1 − s, s·(−ṡ))`.
//!   Checked first on a 1→1→1 silu/silu `mse:sum` problem simulated in exact arithmetic:
//!   16 of 16 entries at f32 and f64 (without the contractions 8 and 14).
//! * `relu` (`@custom_jvp @api.jit def relu(x): return jnp.maximum(x, 0)`,
//!   `relu.defjvps(lambda g, ans, x: lax.select(x > 0, g, lax.full_like(g, 0)))`): the value
//!   `x` where `x > 0`, else `+0`; the tangent, the cotangent (`select`'s transpose) and its
//!   tangent `select(x > 0, ·, 0)` — `+0` (not `0·g`, whose sign follows g) off the support.
//!
//! # The softmax cross-entropy (`jnp.mean(-jnp.sum(y * jax.nn.log_softmax(pred, axis=-1),
//! axis=-1))`, `scripts/frameworks/jax_export.py`)
//! `log_softmax` (`nn/functions.py`; `@api.jit`, no custom JVP): `shifted = x −
//! lax.stop_gradient(jnp.max(x, axis, initial=-inf))`, `shifted − log(sum(exp(shifted)))` —
//! one XLA computation (`jit_log_softmax` in the HLO dump) for its JVP, one for the JVP of
//! its transpose. The cotangent reaching it is a constant (eager `mean`, `neg`, `sum`, `mul`
//! transposed): `ct_k = y_k·(−(1 ⊘ N))`. From the HLO and the emitted kernels
//! (`wrapped_reduce`, `negate_divide_fusion`, `bitcast_add_fusion`, `copy_add_fusion`):
//! `e_k = exp(x_k − m)` (XLA's `exp`, its tangent `ẋ_k·e_k`), `S = Σ e_k` and `A = Σ ct_k`
//! (reductions from `0`, in order), `c_S = (−A)/S` (`log`'s `div(g, x)` transposed), the
//! gradient `fma(c_S, e_k, ct_k)`; tangents `Ṡ = Σ ė_k`, `ċ_S = (Ṡ·A)·(1/(S·S))` (`div`'s JVP,
//! the negations cancelled by XLA), `fma(ċ_S, e_k, c_S·ė_k)`. `log` itself (glibc's `log`,
//! called by XLA's CPU code) enters only the loss value, which no Hessian reads. Checked
//! first on a 1→2 identity problem simulated in exact arithmetic (16 of 16 entries at f32 and
//! f64, for 7 seeds). `softmax_cross_entropy:sum` (`jnp.sum(-jnp.sum(y * log_softmax(pred)))`):
//! `jnp.sum`'s transpose broadcasts 1, so the cotangent reaching `log_softmax` is `y_k·(−1)`;
//! the rest as the mean's (`scripts/frameworks/jax_rules_sim.py`, `jax-tiny-identity-ce-sum`).
//!
//! # `leaky_relu` (`jax.nn.leaky_relu`, `@jax.jit`, `jnp.where(x >= 0, x, negative_slope * x)`)
//! The slope a weakly typed literal (the Python float rounded to the format: `0.01f` at f32).
//! From the HLO of `jit_leaky_relu`: the value `select(x ≥ 0, x, x·c)`, the tangent
//! `select(x ≥ 0, ẋ, ẋ·c)`; the cotangent (`select`'s and `mul`'s transposes, `add_any`)
//! `select(x ≥ 0, ct, +0) + select(x ≥ 0, +0, ct)·c` — `ct + 0` on the support (a `−0` comes
//! out `+0`), `0 + ct·c` off it — and its tangent the same map of `ċt`
//! (`jax_rules_sim.py`: every entry of `jax-tiny-leaky-relu-{identity,sum}` at f32 and f64).
//!
//! # Covered
//! Activations `sigmoid`, `tanh`, `silu`, `relu`, `leaky_relu`, `identity`; losses `mse`,
//! `mse:sum`, `softmax_cross_entropy`, `softmax_cross_entropy:sum`; `fwd-rev` only. Not
//! covered (`gelu_tanh`'s op orders are measured in `scripts/frameworks/jax_rules_sim.py`, not
//! yet implemented here):
//! * `softplus` (`jnp.logaddexp(x, 0)` → `lax/other.py` `logaddexp`, a `custom_jvp`:
//!   `amax + log1p(exp(−|x1 − x2|))`): XLA's `log1p` is not reproduced;
//! * `gelu` (`approximate=False`: `0.5 * x * lax.erfc(-x * sqrt_half)`), whose f32 and f64
//!   CPU `erfc` kernels are XLA's polynomial and rational approximations, not libm (the
//!   optimized HLO of `jit(lax.erfc)` expands it into some 60 (f32) and 90 (f64) ops; its
//!   object code calls no library function) — not reproduced, so refused rather than
//!   approximated.
//!
//! Reproduced bit for bit at f32 and f64 (every entry; `tests/it/rules_jax.rs`): the article's
//! example (36/36) and the tiny problems `jax-tiny-tanh-sigmoid` (2→2→1, mse),
//! `jax-tiny-sigmoid-identity` (1→2→1, mse), `jax-tiny-sigmoid-identity-sum` (2→2→2,
//! `mse:sum`), `jax-tiny-tanh-sum` (1→1→1, `mse:sum`), all N = 1, dot products of up to two
//! terms. `jax-tanh-tiny` (2→2→2 tanh): every value, 135 of 144 bits: the other 9 are zeros of
//! the other sign (structural zeros between the output columns' weights; JAX's batched tangent
//! dots sum `+0` and `−0` terms in another order).
//!
//! The `silu` and `relu` problems (`jax-tiny-silu-*`, `jax-tiny-relu-*`, and the larger
//! `jax-gelu-silu`, `jax-nobias` exports where covered): `tests/it/rules_jax_more.rs`, which
//! pins the measured bitwise counts.
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
use crate::scalar::rules::{GradKernel, Lane};
use crate::scalar::{Real, Scalar};

/// The activations JAX's rules cover, as errors name them ([`covers`]).
pub(super) const ACTIVATIONS: &str = "sigmoid, tanh, silu, relu, leaky_relu and identity";

/// The losses JAX's rules cover, as errors name them ([`covers_loss`]).
pub(super) const LOSSES: &str = "mse, mse:sum, softmax_cross_entropy and softmax_cross_entropy:sum";

/// Whether JAX's rules cover `act` (`identity` is no op).
pub(super) fn covers(act: Activation) -> bool {
    matches!(act, Activation::Identity | Activation::Silu | Activation::Relu | Activation::LeakyRelu(_)) || kernel(act).is_some()
}

/// Whether JAX's rules cover `loss`.
pub(super) fn covers_loss(loss: Loss) -> bool {
    matches!(loss, Loss::Mse | Loss::MseSum | Loss::SoftmaxCrossEntropy | Loss::SoftmaxCrossEntropySum)
}

/// The JVP rule JAX differentiates `act` with, if Clairaut has it (`None` for `identity`: no
/// op, and for the composites `silu`, `relu`: [`activation`]).
pub(super) fn kernel(act: Activation) -> Option<GradKernel> {
    match act {
        Activation::Sigmoid => Some(GradKernel::LogisticJvp),
        Activation::Tanh => Some(GradKernel::TanhJvp),
        _ => None,
    }
}

/// `out = act(z)` for element `at` of its tensor as JAX composes the composite activations
/// (module docs): `silu` (`x · logistic(x)`, keeping the `logistic` node at `inner[k]` for
/// [`chain`]) and `relu` (`select(x > 0, x, 0)`); `false` for the others.
pub(super) fn activation<S: Scalar>(act: Activation, out: &mut S, z: &S, at: Lane, inner: &mut Vec<S>, ctx: &S::Ctx) -> bool {
    match act {
        Activation::Silu => {
            if inner.len() < at.len {
                inner.resize(at.len, z.clone());
            }
            let s = &mut inner[at.index];
            s.set_fun_rule(GradKernel::LogisticJvp, z, at, ctx);
            // mul(x, s); tangent add(mul(ẋ, s), mul(x, ṡ)), the first product fused by XLA
            out.set_mul_contracted(z, s, ctx);
        }
        Activation::Relu => relu_select(out, z, z, ctx),
        Activation::LeakyRelu(slope) => {
            // select(x ≥ 0, x, x·c); tangent select(x ≥ 0, ẋ, ẋ·c)
            if nonnegative(z.value()) {
                out.set(z, ctx);
            } else {
                leaky_scale(out, z, slope, ctx);
            }
        }
        _ => return false,
    }
    true
}

/// `x ≥ 0` (JAX's `leaky_relu` compares with `>=`: ±0 are on the support, NaN is not).
fn nonnegative<R: Real>(x: &R) -> bool {
    x.is_positive() || x.is_zero()
}

/// `out = v·c` (value and tangent, `ẋ·c`: no `x·0` term), `c` the slope as JAX's weakly typed
/// literal: the Python float (binary64 nearest the decimal) rounded to the format.
fn leaky_scale<S: Scalar>(out: &mut S, v: &S, slope: crate::scalar::elementary::Slope, ctx: &S::Ctx) {
    let rc = S::real_ctx(ctx);
    let c = S::Real::from_f64(slope.to_f64(), rc);
    let mut y = c.clone();
    y.set_mul(v.value(), &c, rc);
    out.set_fun_known(v, [&y, &c, &S::Real::consts(rc).zero], ctx);
}

/// `out = select(z > 0, v, 0)`: `relu`'s value (`v = z`, `jnp.maximum(x, 0)`) and its
/// custom JVP rule (`v` the tangent or cotangent), `+0` with a `+0` tangent elsewhere.
fn relu_select<S: Scalar>(out: &mut S, z: &S, v: &S, ctx: &S::Ctx) {
    let zero = &S::Real::consts(S::real_ctx(ctx)).zero;
    if z.value().gt(zero) {
        out.set(v, ctx);
    } else {
        out.set_constant(zero, ctx);
    }
}

/// `g ← ∂L/∂z` through the transposed JVP rule of `act` (module docs); `z` are the inputs,
/// `inner` the nodes [`activation`] kept (`silu`'s `logistic`), `tmp` is scratch.
#[allow(clippy::too_many_arguments)]
pub(super) fn chain<S: Scalar>(act: Activation, g: &mut [S], a: &[S], z: &[S], inner: &[S], tmp: &mut S, ctx: &S::Ctx) -> bool {
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
        Activation::Silu => {
            // ct·s + (x·ct)·r, r = s·(1 − s), one XLA computation: the value
            // fma(ct, s, (x·ct)·r); each `add` of two products fuses the first
            let rc = S::real_ctx(ctx);
            let cs = S::Real::consts(rc);
            let (mut r, mut u, mut w) = (one.clone(), one.clone(), one.clone());
            let mut v = cs.one.clone();
            for ((gk, zk), s) in g.iter_mut().zip(z).zip(inner) {
                om.set_sub(&one, s, ctx);
                r.set_mul_contracted(s, &om, ctx);
                u.set_mul_contracted(zk, gk, ctx);
                w.set_mul_contracted(&u, &r, ctx);
                v.set(w.value(), rc);
                v.mul_add_assign(gk.value(), s.value(), rc);
                tmp.set_mul_contracted(gk, s, ctx);
                om.set_add(tmp, &w, ctx);
                // the value replaced by the fused one, the tangent kept (times 1: exact)
                gk.set_fun_known(&om, [&v, &cs.one, &cs.zero], ctx);
            }
        }
        Activation::Relu => {
            for (gk, zk) in g.iter_mut().zip(z) {
                tmp.set(gk, ctx);
                relu_select(gk, zk, tmp, ctx);
            }
        }
        Activation::LeakyRelu(slope) => {
            // select(x ≥ 0, ct, +0) + select(x ≥ 0, +0, ct)·c: `ct + 0` on the support, else
            // `0 + ct·c` (a −0 comes out +0); the tangent the same map of ċt
            let zero = S::constant(&S::Real::consts(S::real_ctx(ctx)).zero, ctx);
            for (gk, zk) in g.iter_mut().zip(z) {
                if nonnegative(zk.value()) {
                    gk.add_assign(&zero, ctx);
                } else {
                    leaky_scale(tmp, gk, slope, ctx);
                    gk.set_add(&zero, tmp, ctx);
                }
            }
        }
        _ => return false,
    }
    true
}

/// The loss gradient `∂L/∂out` as JAX's `jacrev` composes it, on dual numbers for `jacfwd`
/// (module docs): `mse`, `mse:sum` as TensorFlow's first gradient (`−((1 ⊘ M)·((y − a)·2))`),
/// the softmax cross-entropy (mean over the N rows) through `log_softmax`'s transpose;
/// `false` for a loss the rules do not cover. `tmp` is scratch.
pub(super) fn loss_grad<S: Scalar>(loss: Loss, grad: &mut [S], out: &[S], y: &[S], n: usize, tmp: [&mut S; 2], ctx: &S::Ctx) -> bool {
    match loss {
        Loss::Mse | Loss::MseSum => super::tensorflow::mse_grad(loss, grad, out, y, tmp, ctx),
        Loss::SoftmaxCrossEntropy | Loss::SoftmaxCrossEntropySum if !out.is_empty() && n > 0 => {
            log_softmax_grad(grad, out, y, n, loss == Loss::SoftmaxCrossEntropySum, tmp, ctx);
            true
        }
        _ => false,
    }
}

/// `g_k = fma(c_S, e_k, ct_k)` per row of `d` logits `o` (module docs): `ct_k = y_k·(−(1 ⊘ N))`
/// (`sum`: `y_k·(−1)`, the transpose of `jnp.sum` a broadcast 1),
/// `e_k = exp(o_k − max o)` (XLA's `exp`; tangent `ȯ_k·e_k`), `S = Σ e_k` and `A = Σ ct_k`
/// (from `0`, in order), `c_S = (−A)/S` with the tangent `(Ṡ·A)·(1/(S·S))`; the tangent of
/// `g_k` `fma(ċ_S, e_k, c_S·ė_k)`.
fn log_softmax_grad<S: Scalar>(grad: &mut [S], out: &[S], y: &[S], n: usize, sum_rows: bool, tmp: [&mut S; 2], ctx: &S::Ctx) {
    let rc = S::real_ctx(ctx);
    let cs = S::Real::consts(rc);
    let d = out.len() / n;
    let mut mc = cs.one.clone();
    if !sum_rows {
        mc.set_div(&cs.one, &S::Real::from_f64(n as f64, rc), rc);
    }
    let c = mc.clone();
    mc.set_neg(&c, rc); // −(1 ⊘ N)
    let [sum, cs_] = tmp;
    let (mut sh, mut p) = (out[0].clone(), out[0].clone());
    let (mut ev, mut a, mut ct, mut v, mut inv) = (cs.zero.clone(), cs.zero.clone(), cs.zero.clone(), cs.zero.clone(), cs.zero.clone());
    for r in 0..n {
        let row = &out[r * d..(r + 1) * d];
        let m = (1..d).map(|j| row[j].value()).fold(row[0].value(), |m, x| if x.gt(m) { x } else { m });
        let m = S::constant(m, ctx);
        sum.set_constant(&cs.zero, ctx);
        a.set(&cs.zero, rc);
        for k in 0..d {
            // shifted = x − stop_gradient(max); exp: the value XLA's, the tangent ẋ·e
            sh.set_sub(&row[k], &m, ctx);
            crate::scalar::xla::exp(&mut ev, sh.value(), rc);
            grad[r * d + k].set_fun_known(&sh, [&ev, &ev, &ev], ctx);
            sum.add_assign(&grad[r * d + k], ctx);
            ct.set_mul(y[r * d + k].value(), &mc, rc);
            a.add_assign(&ct, rc);
        }
        // c_S = (−A)/S; ċ_S = (Ṡ·A)·(1/(S·S))
        v.set_neg(&a, rc);
        ct.set_div(&v, sum.value(), rc);
        v.set_mul(sum.value(), sum.value(), rc);
        inv.set_div(&cs.one, &v, rc);
        p.set_fun_known(sum, [&ct, &a, &a], ctx);
        cs_.set_fun_known(&p, [&ct, &inv, &inv], ctx);
        for k in 0..d {
            let gk = &mut grad[r * d + k];
            p.set_mul_contracted(cs_, gk, ctx);
            // ct_k + c_S·e_k, fused
            v.set_mul(y[r * d + k].value(), &mc, rc);
            v.mul_add_assign(cs_.value(), gk.value(), rc);
            gk.set_fun_known(&p, [&v, &cs.one, &cs.zero], ctx);
        }
    }
}
