//! PyTorch's graph of an MLP loss Hessian: `torch.func.hessian(loss)` = `jacfwd(jacrev(loss))`
//! (`fwd-rev`) and `torch.autograd.functional.hessian(loss)` (`rev-rev`: `jacobian` of a
//! `create_graph=True` gradient, one backward pass per row, `vectorize=False`) of an
//! `nn.Sequential` of `nn.Linear` and activation modules with `nn.MSELoss()`
//! (`scripts/frameworks/torch_export.py`, `--method autograd` for `rev-rev`), on CPU (torch 2.15).
//!
//! Read from PyTorch's sources at 2.15 — `tools/autograd/derivatives.yaml` (shipped as
//! `torchgen/packaged/autograd/derivatives.yaml`), the CPU kernels in
//! `aten/src/ATen/native/cpu/{BinaryOpsKernel,UnaryOpsKernel}.cpp` — and checked against the
//! aten operations `torch.func.hessian` runs (a `TorchDispatchMode` log of the article's
//! example: `addmm`, `sigmoid`, `sigmoid_backward`, `sub`, `mul`, `mm`, `sum`).
//!
//! # The gradient (`jacrev`: the backward formulas)
//! * `nn.Linear`: `addmm(b, x, Wᵀ)` = `(x·Wᵀ) + b` (the dot first: measured), backward `mm`
//!   and a batch `sum`: Clairaut's matrix products and batch sums.
//! * `mse_loss` (`self: mse_loss_backward(grad, self, target, reduction)`, derivatives.yaml
//!   l. 2097), decomposed for `jacfwd` (`torch._decomp`, `mse_loss_backward`):
//!   `norm * (input - target) * grad_output`, `norm = 2. / input.numel()` (mean; computed in
//!   double, then cast to the tensor's format) or `2.` (sum): `((a − y)·norm)·1`.
//! * `sigmoid` (`self: sigmoid_backward(grad, result)`, l. 1552): the kernel
//!   `sigmoid_backward(g, a)` = `(g·(1 − a))·a` ([`GradKernel::SigmoidBackward`]).
//! * `tanh` (`self: tanh_backward(grad, result)`, l. 1790): `tanh_backward(g, a)` =
//!   `g·(1 − a·a)`, the difference fused ([`GradKernel::TanhBackward`]).
//!
//! # Second order (`jacfwd`: forward-mode derivatives, `result:` entries)
//! * `sigmoid`, `tanh`: `result: auto_element_wise` — the tangent is the backward formula
//!   applied to it: `ȧ = sigmoid_backward(ż, a)` / `tanh_backward(ż, a)`
//!   ([`Scalar::set_fun_rule`]); the values `1/(1 + exp(−z))` (the scalar path of the CPU
//!   kernel: tensors under 2 vectors' width) and `tanh(z)`.
//! * `sigmoid_backward` (l. 2745): `sigmoid_backward(ġ, a) + ȧ·g·(−2·a + 1)`;
//!   `tanh_backward` (l. 2750): `tanh_backward(ġ, a) + ȧ·(−2·a·g)` — the kernel's
//!   *registered* forward derivative, not the derivative of its arithmetic
//!   ([`Scalar::set_grad_kernel`], [`GradKernel::jvp`]).
//! * `sub`, `mul`, `addmm`, `mm`, `sum`: linear or product rules, as the dual numbers'.
//!
//! # Second order (`rev-rev`: the backward of the backward, `derivatives.yaml` entries of the
//! backward kernels)
//! The gradient's ops are recorded on the tape; the outer backward passes take each op's
//! registered gradient: the linear ops (`addmm`/`mm`, `sub`, `mul`, `sum`) as the tape's own
//! nodes, and the kernels by their entries ([`RuleNode`](crate::ad::tape::RuleNode)`::Act` /
//! `::Kernel`, `ad::tape::kernel_y_adjoint`):
//! * `sigmoid`, `tanh` (l. 1552, 1790): `ā += sigmoid_backward(w, a)` / `tanh_backward(w, a)`.
//! * `sigmoid_backward` (l. 2745–2747): `grad_output: sigmoid_backward(grad, output)`,
//!   `output: grad * grad_output * (-2 * output + 1)`, left to right.
//! * `tanh_backward` (l. 2750–2752): `grad_output: tanh_backward(grad, output)`,
//!   `output: grad * (-2 * output * grad_output)`.
//! * `mse_loss_backward` (l. 2589–2592): `self: mse_loss_double_backward(grad * grad_output,
//!   self, reduction)` = `2 * g`, then `div_(numel)` for the mean (`FunctionsManual.cpp`) —
//!   `(2·w)/M`, not `w·(2/M)` ([`GradKernel::MseBackward`]); `grad_output` is the constant seed.
//!
//! Adjoints meeting at one tensor are summed in the tape's reverse recording order (PyTorch's
//! engine: the consumer nodes by decreasing sequence number, `InputBuffer::accumulate`).
//!
//! # Covered
//! Activations `sigmoid`, `tanh`, `identity` (`nn.Identity`: no op); losses `mse`, `mse:sum`;
//! `fwd-rev` (`torch.func.hessian`) and `rev-rev` (`torch.autograd.functional.hessian`).
//!
//! `rev-rev` reproduced bit for bit at f32 and f64 (every entry; `tests/it/rules_torch_rr.rs`):
//! the article's example (`torch-rr-article-example1`, 36/36) and `torch-rr-tiny-tanh-sigmoid`
//! (2→2→1, mse), `torch-rr-tiny-sigmoid-identity` (1→2→1, mse), `torch-rr-tiny-tanh-sum`
//! (1→1→1, `mse:sum`), all N = 1. Not yet: with two output units
//! (`torch-rr-tiny-sigmoid-identity-sum`, 135/144 at f32 and 139/144 at f64;
//! `torch-rr-tanh-tiny`, 129 and 132 of 144, some of them zeros of the other sign) the entries
//! of a hidden unit's first-layer parameters, where three adjoint contributions meet at its
//! activation (likely the order: the kernel's `output:` term and one per output unit, which PyTorch's `mm`
//! backward would sum first; the tape adds them one by one — not measured). Matrix products and batch
//! sums longer than one term follow the order under study, not MKL's; tensors of 2 vectors'
//! width or more take the `Vectorized` path (Sleef's `exp`), which is not reproduced.

use super::super::{Activation, Loss};
use crate::scalar::rules::{GradKernel, Lane};
use crate::scalar::{Real, Scalar};

/// The activations PyTorch's rules cover, as errors name them ([`covers`]).
pub(super) const ACTIVATIONS: &str = "sigmoid, tanh and identity";

/// The losses PyTorch's rules cover, as errors name them ([`covers_loss`]).
pub(super) const LOSSES: &str = "mse and mse:sum";

/// Whether PyTorch's rules cover `act` (`identity` is no op).
pub(super) fn covers(act: Activation) -> bool {
    act == Activation::Identity || kernel(act).is_some()
}

/// Whether PyTorch's rules cover `loss`.
pub(super) fn covers_loss(loss: Loss) -> bool {
    matches!(loss, Loss::Mse | Loss::MseSum)
}

/// PyTorch's backward kernel of `act`, if it has one (`None` for `identity`).
pub(super) fn kernel(act: Activation) -> Option<GradKernel> {
    match act {
        Activation::Sigmoid => Some(GradKernel::SigmoidBackward),
        Activation::Tanh => Some(GradKernel::TanhBackward),
        _ => None,
    }
}

/// `grad_k = ((out_k − y_k)·norm)·1`, `norm = 2/M` rounded from double (mean) or 2 (sum):
/// `mse_loss_backward` with the seed 1 as `grad_output` ([`GradKernel::MseBackward`], whose
/// registered gradient a tape takes: module docs); `tmp` is scratch.
pub(super) fn loss_grad<S: Scalar>(loss: Loss, grad: &mut [S], out: &[S], y: &[S], tmp: [&mut S; 2], ctx: &S::Ctx) -> bool {
    if !matches!(loss, Loss::Mse | Loss::MseSum) {
        return false;
    }
    let numel = if loss == Loss::Mse { u32::try_from(out.len()).expect("a loss over fewer than 2^32 entries") } else { 0 };
    let one = S::constant(&S::Real::consts(S::real_ctx(ctx)).one, ctx);
    let [d, _] = tmp;
    let len = out.len();
    for k in 0..len {
        d.set_sub(&out[k], &y[k], ctx);
        grad[k].set_grad_kernel(GradKernel::MseBackward { numel }, d, &one, Lane::new(k, len), ctx);
    }
    true
}
