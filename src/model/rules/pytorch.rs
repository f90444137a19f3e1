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
//! * `silu` (`self: GradMode::is_enabled() ? infinitely_differentiable_silu_backward(grad,
//!   self) : silu_backward(grad, self)`, l. 2139; `jacrev` and the inner gradient of
//!   `torch.autograd.functional.hessian` run with `GradMode` on): the aten ops of
//!   `grad_output * sigmoid * (1.0 + input * (1.0 - sigmoid))` (`FunctionsManual.cpp`,
//!   logged with a `TorchDispatchMode`: `sigmoid`, `sub_`, `mul`, `add.Scalar`, `mul`, `mul`),
//!   each rounded, of the layer's *input* z (`pytorch::chain`); the value
//!   `z / (1 + exp(−z))` ([`GradKernel::SiluTorch`]).
//! * `gelu` (`self: gelu_backward(grad, self, approximate)`, l. 2163): the kernel
//!   `gelu_backward(g, z)` = `g·(cdf + z·pdf)` of the input z ([`GradKernel::GeluTorch`]); the
//!   value `(z·0.5)·(1 + erf(z·α))`.
//! * `relu` (`self: threshold_backward(grad, result, 0)`, l. 2135): `g` where the output
//!   `a > 0`, else 0 ([`GradKernel::ThresholdBackward`]).
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
//! * `silu`, `gelu`, `relu`: `result: auto_element_wise` — `silu`'s tangent is
//!   `infinitely_differentiable_silu_backward(ż, z)` (the same aten ops, logged: `GradMode` is
//!   on), `gelu`'s `gelu_backward(ż, z)`, `relu`'s `threshold_backward(ż, a, 0)`; the ops of
//!   `silu`'s first gradient by their own entries (its `sigmoid` as above).
//! * `gelu_backward` (l. 2169): `gelu_backward(ġ, z) + gelu_double_backward(ż, g, z)`,
//!   `gelu_double_backward(ggI, gO, z)` = `(ggI·gO)·(pdf·2 − sq·pdf)`, `sq = z·z`,
//!   `pdf = exp(sq·−0.5)·β` (`FunctionsManual.cpp`; its aten ops logged, the order measured:
//!   `scalar::rules`); `threshold_backward` (l. 2691): `zeros_like(ż) + threshold_backward(ġ,
//!   a, 0)` (the `+ 0` measured: a tangent −0 comes out +0).
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
//! * `silu` (l. 2139, `GradMode` off in the outer pass: the aten log shows `silu_backward`):
//!   `z̄ += silu_backward(w, z)`, the CPU kernel `(w·s)·fma(z, 1 − s, 1)`
//!   ([`GradKernel::SiluBackward`], [`GradKernel::outer`]); the ops of its first gradient by
//!   their entries (`sigmoid` above, `mul`, `sub`, `add`).
//! * `gelu` (l. 2163): `z̄ += gelu_backward(w, z)`; `gelu_backward` (l. 2166–2168):
//!   `grad_output: gelu_backward(grad, self)`, `self: gelu_double_backward(grad, grad_output,
//!   self)`.
//! * `relu` (l. 2135): `ā += threshold_backward(w, a, 0)`; `threshold_backward` (l. 2688–2690):
//!   `grad_output: threshold_backward(grad, self, 0)`, `self: zeros_like(grad)` (a +0 added).
//! * `mse_loss_backward` (l. 2589–2592): `self: mse_loss_double_backward(grad * grad_output,
//!   self, reduction)` = `2 * g`, then `div_(numel)` for the mean (`FunctionsManual.cpp`) —
//!   `(2·w)/M`, not `w·(2/M)` ([`GradKernel::MseBackward`]); `grad_output` is the constant seed.
//!
//! Adjoints meeting at one tensor are summed in the tape's reverse recording order (PyTorch's
//! engine: the consumer nodes by decreasing sequence number, `InputBuffer::accumulate`).
//!
//! # Covered
//! Activations `sigmoid`, `tanh`, `silu`, `gelu` (erf form), `relu`, `identity` (`nn.Identity`:
//! no op); losses `mse`, `mse:sum`; `fwd-rev` (`torch.func.hessian`) and `rev-rev`
//! (`torch.autograd.functional.hessian`). Not the softmax cross-entropy (`log_softmax`'s
//! `logsumexp_jvp` tangent and `_log_softmax_backward_data`'s kernel and entries are not
//! recorded yet) nor `softplus`. At f32, `torch`'s `gelu` and `gelu_backward` run oneDNN's
//! `gelu_erf` (`use_mkldnn`; equal to the scalar kernel with `torch.backends.mkldnn` off, not
//! with it on: measured), which is not reproduced: `gelu` Hessians agree at f64.
//! `silu` (`tests/it/rules_torch_more.rs`): the kernels measured bit for bit against
//! `torch.ops.aten` on 3000 points per format; the Hessians' counts there.
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
pub(super) const ACTIVATIONS: &str = "sigmoid, tanh, silu, gelu, relu and identity";

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
        Activation::Silu => Some(GradKernel::SiluTorch),
        Activation::Gelu => Some(GradKernel::GeluTorch),
        Activation::Relu => Some(GradKernel::ThresholdBackward),
        _ => None,
    }
}

/// `g ← ∂L/∂z` through the activations whose backward formula reads the input z (module
/// docs): `silu` as `infinitely_differentiable_silu_backward`'s aten ops (`sigmoid`, `1 − s`,
/// `z·(1 − s)`, `+ 1`, `g·s`, product), `gelu` as the `gelu_backward(g, z)` kernel; `false`
/// for the others (their kernels read the output: `model::rules::chain`).
pub(super) fn chain<S: Scalar>(act: Activation, g: &mut [S], z: &[S], ctx: &S::Ctx) -> bool {
    if !matches!(act, Activation::Silu | Activation::Gelu) || g.is_empty() {
        return false;
    }
    let one = S::constant(&S::Real::consts(S::real_ctx(ctx)).one, ctx);
    let mut t: [S; 4] = std::array::from_fn(|_| g[0].clone());
    let len = g.len();
    for (k, (gk, zk)) in g.iter_mut().zip(z).enumerate() {
        let [s, u, v, p] = &mut t;
        let at = Lane::new(k, len);
        if act == Activation::Gelu {
            s.set_grad_kernel(GradKernel::GeluTorch, zk, gk, at, ctx);
        } else {
            // sigmoid = input.sigmoid(); grad_output * sigmoid * (1.0 + input * (1.0 - sigmoid))
            s.set_fun_rule(GradKernel::SigmoidBackward, zk, at, ctx);
            u.set_sub(&one, s, ctx);
            v.set_mul(zk, u, ctx);
            p.set_add(v, &one, ctx);
            u.set_mul(gk, s, ctx);
            s.set_mul(u, p, ctx);
        }
        gk.set(s, ctx);
    }
    true
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
