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
//! * `leaky_relu` (`self: leaky_relu_backward(grad, self, negative_slope, false)`, l. 2190):
//!   the CPU kernel `self > 0 ? grad : grad·α` of the input z (`Activation.cpp`,
//!   `leaky_relu_backward_kernel`; α = `negval.to<scalar_t>()`, the double 0.01 rounded into
//!   the format, equal to the decimal's direct rounding), the value `z > 0 ? z : z·α`
//!   ([`GradKernel::LeakyReluBackward`]).
//! * `softplus` (`self: softplus_backward(grad, self, beta, threshold)`, l. 2250): the CPU
//!   kernel `x > 20 ? g : (g·z)/(z + 1)`, `z = exp(x)` of the input z (`Activation.cpp`,
//!   `softplus_backward_kernel`, β = 1), the value `x > 20 ? x : log1p(exp(x))`
//!   ([`GradKernel::SoftplusBackward`]; glibc's `log1pf` is not correctly rounded: f32 values
//!   differ on ~5% of points, f64 none of 3000 measured).
//!
//! # The softmax cross-entropy (`nn.CrossEntropyLoss()` with probability targets)
//! `cross_entropy` is a composite (`LossNLL.cpp`, `cross_entropy_loss_prob_target`); the aten
//! ops of `torch.func.hessian` (logged with a `TorchDispatchMode`): `_log_softmax(x, 1)`,
//! `mul(ls, target)`, `sum`, `neg`, `div.Scalar(·, N)` (mean; `reduction="sum"`: no `div`).
//! * The gradient: the seed 1, `div.Scalar`'s `1/N` (the format's division), `neg`, `mul`'s
//!   `grad·target`: `c_k = −(1/N)·y_k`; `_log_softmax` (`self: _log_softmax_backward_data(grad,
//!   result, dim, self.scalar_type())`, derivatives.yaml l. 2203), which has no `result:`
//!   entry and runs under `jacfwd` as its decomposition (`torch/_decomp/decompositions.py`,
//!   `_log_softmax_backward_data`, registered for `jvp` in `decompositions_for_jvp.py`):
//!   `grad_output − exp(output)·sum(grad_output, dim)` — `grad_k = c_k − exp(ls_k)·G`,
//!   `G = Σ_j c_j` in order ([`ce_grad`]).
//! * The values `ls_k`: the CPU kernel `_vec_log_softmax_lastdim`
//!   (`aten/src/ATen/native/cpu/SoftMaxKernel.cpp`): the row's maximum m, `Σ exp(x_j − m)`
//!   (`vec::map_reduce_all`, in order for rows shorter than a vector), its `log`, then
//!   `x − m − log S` left to right.
//! * Tangents (`jacfwd`): `_log_softmax`'s `result: self_t - logsumexp_jvp(self_p, self_t,
//!   {dim}, true)` (l. 2205; `FunctionsManual.cpp`, `logsumexp_jvp`, its tensor-subclass
//!   branch under `functorch`: `(exp(x − amax(x))·ẋ).sum(dim) / sumexp`); the decomposition's
//!   `exp` (`result·ẋ`), `mul` (`ẋ·G`: `G` has no tangent) and `sub` (`0 − ·`).
//! * Measured (a Python replica of these formulas against `torch.func.hessian` of
//!   `CrossEntropyLoss` on random logit rows of 2 and 3 classes, N = 1 and 2, mean and sum,
//!   1000 rows per format): every entry equal at f32 and f64 when the replica takes `torch`'s
//!   own `exp` values; with correctly rounded `exp`/`log` (Clairaut's), 3% of f64 `exp`s
//!   (0.6% at f32) and 5% of the kernel's `log_softmax` rows differ — `torch.exp` and the
//!   kernel's `Vectorized` `exp`/`log` are Sleef's, not reproduced.
//! * `rev-rev` is refused for the cross-entropy: `_log_softmax` and
//!   `_log_softmax_backward_data` (`grad_output:`, `output:` entries, l. 2544–2546) are not
//!   recorded as tape nodes yet.
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
//! * `leaky_relu`: `result: auto_element_wise` (`leaky_relu_backward(ż, z, α)`);
//!   `leaky_relu_backward` (l. 2548–2569): `result: leaky_relu_backward(grad_output_t, self_p,
//!   negative_slope, self_is_result)` — no term in ż.
//! * `softplus`: `result: auto_element_wise` (`softplus_backward(ż, z)`); `softplus_backward`
//!   (l. 2669–2673): `result: softplus_backward(grad_output_t, self_p) +
//!   softplus_double_backward(self_t * grad_output_p, self_p)`, `softplus_double_backward(v,
//!   x)` = `sigmoid_backward(v, sigmoid(x))·(x < threshold)·β` (`FunctionsManual.cpp`) =
//!   `(v·(1 − s))·s` (`scalar::rules::softplus_double_backward`).
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
//! * `leaky_relu` (l. 2190): `z̄ += leaky_relu_backward(w, z, α)`; `leaky_relu_backward`
//!   (l. 2550–2551): `grad_output: leaky_relu_backward(grad, self, α)`, `self:
//!   zeros_like(grad)` (a +0 added).
//! * `softplus` (l. 2250): `z̄ += softplus_backward(w, z)`; `softplus_backward` (l. 2670–2671):
//!   `grad_output: softplus_backward(grad, self)`, `self: softplus_double_backward(grad *
//!   grad_output, self)`.
//! * `mse_loss_backward` (l. 2589–2592): `self: mse_loss_double_backward(grad * grad_output,
//!   self, reduction)` = `2 * g`, then `div_(numel)` for the mean (`FunctionsManual.cpp`) —
//!   `(2·w)/M`, not `w·(2/M)` ([`GradKernel::MseBackward`]); `grad_output` is the constant seed.
//!
//! Adjoints meeting at one tensor are summed in the tape's reverse recording order (PyTorch's
//! engine: the consumer nodes by decreasing sequence number, `InputBuffer::accumulate`).
//!
//! # Covered
//! Activations `sigmoid`, `tanh`, `silu`, `gelu` (erf form), `relu`, `leaky_relu` (any slope;
//! measured at 0.01), `softplus` (β = 1, threshold 20: `nn.Softplus()`), `identity` (`nn.Identity`: no op); losses `mse`, `mse:sum`;
//! `fwd-rev` (`torch.func.hessian`) and `rev-rev` (`torch.autograd.functional.hessian`); and
//! `softmax_cross_entropy`, `softmax_cross_entropy:sum` under `fwd-rev` only
//! (`tests/it/rules_torch_ce.rs`). Not `gelu_tanh`, nor the cross-entropy under `rev-rev`. At f32, `torch`'s `gelu` and `gelu_backward` run oneDNN's
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

use super::super::{Activation, Loss, Spec};
use crate::method::Method;
use crate::scalar::rules::{GradKernel, Lane};
use crate::scalar::{Fun, Real, Scalar};

/// The activations PyTorch's rules cover, as errors name them ([`covers`]).
pub(super) const ACTIVATIONS: &str = "sigmoid, tanh, silu, gelu, relu, leaky_relu, softplus and identity";

/// The losses PyTorch's rules cover, as errors name them ([`covers_loss`]).
pub(super) const LOSSES: &str = "mse, mse:sum, softmax_cross_entropy and softmax_cross_entropy:sum (fwd-rev only)";

/// Whether PyTorch's rules cover `method` for `spec`'s loss: the softmax cross-entropy under
/// `fwd-rev` only (`rev-rev` would need `_log_softmax` and `_log_softmax_backward_data` as
/// tape nodes with their `derivatives.yaml` entries: not recorded yet).
pub(super) fn check_method(method: Method, spec: &Spec) -> Result<(), String> {
    if method == Method::RevRev && matches!(spec.loss, Loss::SoftmaxCrossEntropy | Loss::SoftmaxCrossEntropySum) {
        return Err(format!(
            "rules pytorch cover the loss {} under fwd-rev (torch.func.hessian) only, not rev-rev",
            spec.loss.name()
        ));
    }
    Ok(())
}

/// Whether PyTorch's rules cover `act` (`identity` is no op).
pub(super) fn covers(act: Activation) -> bool {
    act == Activation::Identity || kernel(act).is_some()
}

/// Whether PyTorch's rules cover `loss`.
pub(super) fn covers_loss(loss: Loss) -> bool {
    matches!(loss, Loss::Mse | Loss::MseSum | Loss::SoftmaxCrossEntropy | Loss::SoftmaxCrossEntropySum)
}

/// PyTorch's backward kernel of `act`, if it has one (`None` for `identity`).
pub(super) fn kernel(act: Activation) -> Option<GradKernel> {
    match act {
        Activation::Sigmoid => Some(GradKernel::SigmoidBackward),
        Activation::Tanh => Some(GradKernel::TanhBackward),
        Activation::Silu => Some(GradKernel::SiluTorch),
        Activation::Gelu => Some(GradKernel::GeluTorch),
        Activation::Relu => Some(GradKernel::ThresholdBackward),
        Activation::LeakyRelu(a) => Some(GradKernel::LeakyReluBackward(a)),
        Activation::Softplus => Some(GradKernel::SoftplusBackward),
        _ => None,
    }
}

/// `g ← ∂L/∂z` through the activations whose backward formula reads the input z (module
/// docs): `silu` as `infinitely_differentiable_silu_backward`'s aten ops (`sigmoid`, `1 − s`,
/// `z·(1 − s)`, `+ 1`, `g·s`, product), `gelu` as the `gelu_backward(g, z)` kernel; `false`
/// for the others (their kernels read the output: `model::rules::chain`).
pub(super) fn chain<S: Scalar>(act: Activation, g: &mut [S], z: &[S], ctx: &S::Ctx) -> bool {
    if !matches!(act, Activation::Silu | Activation::Gelu | Activation::LeakyRelu(_) | Activation::Softplus) || g.is_empty() {
        return false;
    }
    let one = S::constant(&S::Real::consts(S::real_ctx(ctx)).one, ctx);
    let mut t: [S; 4] = std::array::from_fn(|_| g[0].clone());
    let len = g.len();
    for (k, (gk, zk)) in g.iter_mut().zip(z).enumerate() {
        let [s, u, v, p] = &mut t;
        let at = Lane::new(k, len);
        if act != Activation::Silu {
            // gelu_backward(g, z), leaky_relu_backward(g, z, α, false), softplus_backward(g, z, 1, 20)
            let kern = kernel(act).expect("a PyTorch kernel");
            s.set_grad_kernel(kern, zk, gk, at, ctx);
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
/// registered gradient a tape takes: module docs); the softmax cross-entropy over `n` rows
/// through `_log_softmax` and the decomposed `_log_softmax_backward_data` ([`ce_grad`]);
/// `tmp` is scratch.
#[allow(clippy::too_many_arguments)]
pub(super) fn loss_grad<S: Scalar>(loss: Loss, grad: &mut [S], out: &[S], y: &[S], n: usize, tmp: [&mut S; 2], ctx: &S::Ctx) -> bool {
    if matches!(loss, Loss::SoftmaxCrossEntropy | Loss::SoftmaxCrossEntropySum) && !out.is_empty() && n > 0 {
        ce_grad(loss == Loss::SoftmaxCrossEntropy, grad, out, y, n, ctx);
        return true;
    }
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

/// `nn.CrossEntropyLoss()` (probability targets, `mean` over the `n` rows, or `sum`) as
/// `torch.func.hessian` composes its gradient (module docs), per row of `d` logits `x`:
/// `c_k = −(1/N)·y_k` (mean; `−y_k` for the sum), `G = Σ c_j` (in order), the value
/// `grad_k = c_k − exp(ls_k)·G` with `ls_k = (x_k − m) − log(Σ_j exp(x_j − m))` (`_log_softmax`'s
/// CPU kernel, m the row's maximum, the sum in order); tangents: `ls̊_k = ẋ_k − (Σ_j e_j·ẋ_j)/S`
/// (`logsumexp_jvp`, `e_j = exp(x_j − m)`, `S = Σ e_j`), `exp`'s `ls̊_k·exp(ls_k)`, `mul`'s
/// `(…)·G`, `sub`'s `0 − (…)`.
fn ce_grad<S: Scalar>(mean: bool, grad: &mut [S], out: &[S], y: &[S], n: usize, ctx: &S::Ctx) {
    let rc = S::real_ctx(ctx);
    let cs = S::Real::consts(rc);
    let d = out.len() / n;
    // div.Scalar(seed 1, N), neg: −(1/N) (sum: −1), then mul(grad, target)
    let mut nrm = cs.one.clone();
    if mean {
        nrm.set_div(&cs.one, &S::Real::from_f64(n as f64, rc), rc);
    }
    let mut mnrm = cs.zero.clone();
    mnrm.set_neg(&nrm, rc);
    let (mut c, mut g, mut m, mut t, mut ssum, mut lg) =
        (vec![cs.zero.clone(); d], cs.zero.clone(), cs.zero.clone(), cs.zero.clone(), cs.zero.clone(), cs.zero.clone());
    let mut e = vec![cs.zero.clone(); d];
    let (mut tt, mut q, mut l, mut ls, mut ex) = (out[0].clone(), out[0].clone(), out[0].clone(), out[0].clone(), out[0].clone());
    let mut p = out[0].clone();
    for r in 0..n {
        let row = &out[r * d..(r + 1) * d];
        // c_k, G = sum(c, dim, keepdim) in order
        for k in 0..d {
            c[k].set_mul(&mnrm, y[r * d + k].value(), rc);
            if k == 0 {
                g.set(&c[0], rc);
            } else {
                g.add_assign(&c[k], rc);
            }
        }
        // _log_softmax: max, Σ exp(x − max) in order, log
        m.set(row[0].value(), rc);
        for x in &row[1..] {
            if x.value().gt(&m) {
                m.set(x.value(), rc);
            }
        }
        for j in 0..d {
            t.set_sub(row[j].value(), &m, rc);
            e[j].set_exp(&t, rc);
            if j == 0 {
                ssum.set(&e[0], rc);
            } else {
                ssum.add_assign(&e[j], rc);
            }
        }
        lg.set_ln(&ssum, rc);
        let sc = S::constant(&ssum, ctx);
        // logsumexp_jvp: (Σ_j e_j·ẋ_j) / S (values 0: the tangents alone, `set_div`'s exact)
        for j in 0..d {
            p.set_fun_known(&row[j], [&cs.zero, &e[j], &e[j]], ctx);
            if j == 0 {
                tt.set(&p, ctx);
            } else {
                tt.add_assign(&p, ctx);
            }
        }
        q.set_div(&tt, &sc, ctx);
        for k in 0..d {
            // ls_k = (x_k − max) − log S, tangent ẋ_k − q̇
            l.set_sub(&row[k], &q, ctx);
            t.set_sub(row[k].value(), &m, rc);
            let mut v = t.clone();
            v.set_sub(&t, &lg, rc);
            ls.set_fun_known(&l, [&v, &cs.one, &cs.one], ctx);
            // grad_output − exp(output)·sum(grad_output)
            ex.set_fun(Fun::Exp, &ls, ctx);
            v.set_mul(ex.value(), &g, rc);
            p.set_fun_known(&ex, [&v, &g, &g], ctx);
            let ck = S::constant(&c[k], ctx);
            grad[r * d + k].set_sub(&ck, &p, ctx);
        }
    }
}
