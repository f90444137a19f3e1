//! Framework graphs: the forward pass, loss gradient and backward pass as a framework composes
//! them, selected by [`Eval::rules`](crate::order::Eval) ([`Rules`]).
//!
//! The generic model code ([`super::mlp`], [`super::loss`]) asks this module at the three
//! places where frameworks differ from Clairaut's own formulas — an activation in the forward
//! pass, the loss gradient `∂L/∂a_L`, and the chain rule through an activation in the backward
//! pass — and runs its own formulas when the answer is "not mine" (always, under
//! [`Rules::Clairaut`]: the default changes no bit). Everything else (the matrix products, the
//! bias sums, the method's composition) is the one generic core.
//!
//! A framework operation whose *second* derivative the framework takes with its own registered
//! gradient (TensorFlow's `SigmoidGrad` differentiated by `_SigmoidGradGrad`, not by the
//! derivative of its kernel) is recorded through [`Scalar::set_grad_kernel`] /
//! [`Scalar::set_fun_rule`]: a format computes the kernel, the tape records a node whose
//! adjoints are the registered gradients (`ad::tape`, `RuleNode`).
//!
//! Supported: [`tensorflow`] (`rev-rev`), [`jax`] (`fwd-rev`), [`pytorch`] (`fwd-rev` and
//! `rev-rev`). Which methods, activations and losses each set of rules covers is [`check`]'s.

pub mod jax;
pub mod pytorch;
pub mod tensorflow;

use super::{Activation, Loss, Spec};
use crate::method::Method;
use crate::order::Eval;
use crate::scalar::rules::{GradKernel, Lane, Rules};
use crate::scalar::Scalar;

/// Whether `rules` covers `method` on `spec`; the error names what is not covered.
pub fn check(rules: Rules, method: Method, spec: &Spec) -> Result<(), String> {
    match rules {
        Rules::Clairaut => Ok(()),
        Rules::TensorFlow => {
            if method != Method::RevRev {
                return Err(format!(
                    "rules tensorflow implement rev-rev only (GradientTape.jacobian of GradientTape.gradient), not {}",
                    method.name()
                ));
            }
            check_spec(rules, spec)
        }
        Rules::Jax => {
            if method != Method::FwdRev {
                return Err(format!("rules jax implement fwd-rev only (jax.hessian = jacfwd(jacrev)), not {}", method.name()));
            }
            check_spec(rules, spec)
        }
        Rules::PyTorch => {
            if !matches!(method, Method::FwdRev | Method::RevRev) {
                return Err(format!(
                    "rules pytorch implement fwd-rev (torch.func.hessian = jacfwd(jacrev)) and rev-rev (torch.autograd.functional.hessian) only, not {}",
                    method.name()
                ));
            }
            pytorch::check_method(method, spec)?;
            check_spec(rules, spec)
        }
    }
}

/// The elementwise kernel the framework of `rules` records for `act` (`None`: `identity`, which
/// is no op, or an activation the rules do not cover).
fn kernel(rules: Rules, act: Activation) -> Option<GradKernel> {
    match rules {
        Rules::TensorFlow => tensorflow::kernel(act),
        Rules::Jax => jax::kernel(act),
        Rules::PyTorch => pytorch::kernel(act),
        Rules::Clairaut => None,
    }
}

/// Whether a framework's rules cover `spec` (each framework's module says what it covers:
/// `covers`, `covers_loss`, and the lists `ACTIVATIONS`, `LOSSES` the error names).
fn check_spec(rules: Rules, spec: &Spec) -> Result<(), String> {
    type Covers = (fn(Activation) -> bool, fn(Loss) -> bool, &'static str, &'static str);
    let (covers, covers_loss, acts, losses): Covers = match rules {
        Rules::Clairaut => return Ok(()),
        Rules::TensorFlow => (tensorflow::covers, tensorflow::covers_loss, tensorflow::ACTIVATIONS, tensorflow::LOSSES),
        Rules::Jax => (jax::covers, jax::covers_loss, jax::ACTIVATIONS, jax::LOSSES),
        Rules::PyTorch => (pytorch::covers, pytorch::covers_loss, pytorch::ACTIVATIONS, pytorch::LOSSES),
    };
    if let Some(a) = spec.activations.iter().find(|&&a| !covers(a)) {
        return Err(format!("rules {rules} cover the activations {acts}, not {}", a.name()));
    }
    if !covers_loss(spec.loss) {
        return Err(format!("rules {rules} cover the losses {losses}, not {}", spec.loss.name()));
    }
    Ok(())
}

/// `out = σ(z)` for element `k` of an `len`-element pre-activation tensor, as the framework
/// records it; `false` (nothing done) where the rules leave it to Clairaut's.
/// `inner` keeps a layer's intermediate nodes where the framework's backward pass reads them
/// (TensorFlow's `gelu`, JAX's `silu`).
#[allow(clippy::too_many_arguments)]
pub fn activation<S: Scalar>(eval: &Eval, act: Activation, out: &mut S, z: &S, k: usize, len: usize, inner: &mut Vec<S>, ctx: &S::Ctx) -> bool {
    if eval.rules == Rules::TensorFlow && tensorflow::activation(act, out, z, Lane::new(k, len), inner, ctx) {
        return true;
    }
    if eval.rules == Rules::Jax && jax::activation(act, out, z, Lane::new(k, len), inner, ctx) {
        return true;
    }
    // TensorFlow's `Sigmoid`/`Tanh` op, XLA's value with JAX's JVP rule as its tangent,
    // PyTorch's `sigmoid`/`tanh` with their backward kernels
    let Some(kern) = kernel(eval.rules, act) else { return false };
    out.set_fun_rule(kern, z, Lane::new(k, len), ctx);
    true
}

/// `g ← ∂L/∂z` from `g = ∂L/∂a` through the activation whose outputs are `a` (inputs `z`), as
/// the framework composes it; `false` (nothing done) where the rules leave it to Clairaut's.
/// `z` are the inputs, `inner` the intermediate nodes [`activation`] kept.
#[allow(clippy::too_many_arguments)]
pub fn chain<S: Scalar>(eval: &Eval, act: Activation, g: &mut [S], a: &[S], z: &[S], inner: &[S], tmp: &mut S, ctx: &S::Ctx) -> bool {
    if eval.rules == Rules::Jax {
        return jax::chain(act, g, a, z, inner, tmp, ctx);
    }
    if eval.rules == Rules::TensorFlow && tensorflow::chain(act, g, z, inner, ctx) {
        return true;
    }
    // PyTorch's `silu` (a composite of aten ops) and `gelu_backward(g, z)` read the input z
    if eval.rules == Rules::PyTorch && pytorch::chain(act, g, z, ctx) {
        return true;
    }
    // TensorFlow's `SigmoidGrad(a, g)`/`TanhGrad(a, g)`, PyTorch's `sigmoid_backward(g, a)`/
    // `tanh_backward(g, a)` (differentiated by its registered forward derivative), element k
    // at position k of the tensor
    let Some(kern) = kernel(eval.rules, act) else { return false };
    let len = g.len();
    for (k, (gk, ak)) in g.iter_mut().zip(a).enumerate() {
        tmp.set_grad_kernel(kern, ak, gk, Lane::new(k, len), ctx);
        gk.set(tmp, ctx);
    }
    true
}

/// The loss gradient `grad = ∂L/∂out` as the framework composes it (the loss value stays
/// Clairaut's: no Hessian reads it); `false` (nothing done) where the rules leave it to
/// Clairaut's.
/// `n` is the number of rows.
#[allow(clippy::too_many_arguments)]
pub fn loss_grad<S: Scalar>(eval: &Eval, loss: Loss, grad: &mut [S], out: &[S], y: &[S], n: usize, tmp: [&mut S; 2], ctx: &S::Ctx) -> bool {
    match eval.rules {
        Rules::TensorFlow => tensorflow::loss_grad(loss, grad, out, y, n, tmp, ctx),
        // JAX's gradient of `jnp.mean(jnp.square(y - pred))` is composed as TensorFlow's
        // (`jax` module docs): `−((1 ⊘ M)·((y − a)·2))`; the softmax cross-entropy through
        // `log_softmax`'s transpose
        Rules::Jax => jax::loss_grad(loss, grad, out, y, n, tmp, ctx),
        Rules::PyTorch => pytorch::loss_grad(loss, grad, out, y, n, tmp, ctx),
        _ => false,
    }
}
