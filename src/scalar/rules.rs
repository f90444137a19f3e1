//! Derivative rules: whose graph a Hessian is made of — Clairaut's own formulas, or the
//! operations a framework composes (`--rules`, `rules = [...]`).
//!
//! This file holds the names ([`Rules`]) and the framework *kernels* that are pure arithmetic:
//! the elementwise gradient kernels of TensorFlow's CPU build, with the operation order of
//! their Eigen functors ([`GradKernel`]). Where the kernels are used — the first gradient as
//! the framework builds it and the tape nodes whose adjoints are the framework's registered
//! gradients — is the model's and the tape's (`model::rules`, `ad::tape`).
//!
//! # TensorFlow's elementwise gradient kernels (CPU)
//! `tensorflow/core/kernels/cwise_ops_gradients.h`, `scalar_sigmoid_gradient_op` and
//! `scalar_tanh_gradient_op`, run by Eigen's `TensorExecutor`: a tensor of `len` elements is
//! processed in packets of [`packet_width`] elements (AVX, the build of the `tensorflow-cpu`
//! wheel: 8 `float`s, 4 `double`s) up to the last full packet, and the remaining
//! `len mod width` elements one by one. The two paths round differently for `SigmoidGrad`:
//!
//! | kernel | scalar path (`operator()`) | packet path (`packetOp`) |
//! |---|---|---|
//! | `SigmoidGrad(y, dy)` | `(dy·y)·(1 − y)` | `dy·(y·(1 − y))` |
//! | `TanhGrad(y, dy)` | `dy·(1 − y·y)` | `dy·(1 − y·y)` |
//!
//! Measured on `tensorflow-cpu` 2.21 with `tf.raw_ops.SigmoidGrad` on random vectors of every
//! length 1..33 (elements at index < ⌊len/w⌋·w follow the packet order, the rest the scalar
//! order; `TanhGrad` agrees with both).
//!
//! The activations themselves: on the scalar path `Sigmoid` is `e/(1 + e)`, `e = exp(x)`
//! (glibc's `exp`; equal to `tf.nn.sigmoid` on 64 of 64 random points of each format, length-1
//! tensors), [`GradKernel::forward`]. On the packet path TensorFlow uses Eigen's polynomial
//! `pexp` (`double`) and a rational approximation (`float` sigmoid, `float` tanh), which this
//! module does not reproduce: Hessians whose forward tensors fill a packet (N·d ≥ 8 at f32,
//! ≥ 4 at f64) differ there. Other formats (MPFR, binary16) have no TensorFlow
//! kernel; they take the scalar order everywhere (no packets).
//!
//! # PyTorch's backward kernels (CPU)
//! `aten/src/ATen/native/cpu/BinaryOpsKernel.cpp` (torch 2.15): `sigmoid_backward(g, y)` is
//! `(g·(1 − y))·y` on the scalar and the `Vectorized` loop alike, `tanh_backward(g, y)` is
//! `g·(1 − y·y)` with `1 − y·y` fused into one FMA (both measured with `torch.ops.aten` on
//! vectors of 2 and 64 elements, f32 and f64). Unlike TensorFlow's, their second derivatives
//! are registered *forward* derivatives (`derivatives.yaml`, `result:`), which dual numbers
//! push instead of differentiating the kernel's arithmetic ([`GradKernel::jvp`]), and whose
//! registered *backward* formulas a tape takes under `rev-rev` (`ad::tape`, `kernel_y_adjoint`);
//! `mse_loss_backward` (`aten/src/ATen/native/Loss.cpp`) is `(norm·(a − t))·g`, its gradient
//! `mse_loss_double_backward` `(2·w)/M` ([`GradKernel::MseBackward`]).

use std::fmt;
use std::str::FromStr;

use super::elementary::{Activation, Slope};
use super::{Real, Scalar};

/// Whose derivative rules build the Hessian's graph.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Rules {
    /// Clairaut's own formulas (the hand-written backward pass, `elementary`'s derivatives).
    #[default]
    #[value(name = "clairaut")]
    Clairaut,
    /// TensorFlow's registered gradients and CPU kernels (`rev-rev`: nested `GradientTape`s).
    #[value(name = "tensorflow")]
    TensorFlow,
    /// JAX's JVP and transpose rules (`fwd-rev`: `jax.hessian`).
    #[value(name = "jax")]
    Jax,
    /// PyTorch's `derivatives.yaml` formulas.
    #[value(name = "pytorch")]
    PyTorch,
}

impl Rules {
    /// Every set of rules.
    pub const ALL: [Rules; 4] = [Rules::Clairaut, Rules::TensorFlow, Rules::Jax, Rules::PyTorch];

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Rules::Clairaut => "clairaut",
            Rules::TensorFlow => "tensorflow",
            Rules::Jax => "jax",
            Rules::PyTorch => "pytorch",
        }
    }

    /// Whether these are Clairaut's own rules (the default: nothing changes).
    pub fn is_clairaut(self) -> bool {
        self == Rules::Clairaut
    }
}

impl fmt::Display for Rules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Rules {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| format!("unknown rules `{s}` (expected clairaut, tensorflow, jax or pytorch)"))
    }
}

/// A framework's elementwise gradient kernel `k(y, dy)` (y an activation's output, dy the
/// incoming gradient).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GradKernel {
    /// TensorFlow `SigmoidGrad`: `dy·σ·(1 − σ)`.
    SigmoidGrad,
    /// TensorFlow `TanhGrad`: `dy·(1 − y²)`.
    TanhGrad,
    /// JAX's JVP rule of `logistic` (`jax/_src/lax/lax.py`, `ad.defjvp2(logistic_p, …)`):
    /// `mul(g, mul(ans, sub(1, ans)))` = `dy·(y·(1 − y))`; its value `logistic_impl`:
    /// `1/(1 + exp(−x))`.
    LogisticJvp,
    /// PyTorch `sigmoid_backward(grad, output)` (`aten/src/ATen/native/cpu/BinaryOpsKernel.cpp`):
    /// `(dy·(1 − y))·y` on the scalar and the `Vectorized` path alike (measured); its value
    /// `sigmoid` = `1/(1 + exp(−x))` (`UnaryOpsKernel.cpp`, scalar path). Registered forward
    /// derivative ([`GradKernel::jvp`], `derivatives.yaml`): `sigmoid_backward(ḋy, y) +
    /// ẏ·dy·(−2·y + 1)`.
    SigmoidBackward,
    /// PyTorch `tanh_backward(grad, output)`: `dy·(1 − y·y)` with `1 − y·y` fused
    /// (`fma(−y, y, 1)`: measured on both paths of the CPU build); its value `tanh`. Registered
    /// forward derivative: `tanh_backward(ḋy, y) + ẏ·((−2·y)·dy)`.
    TanhBackward,
    /// JAX's JVP rule of `tanh` (`ad.defjvp2(tanh_p, …)`): `mul(add(g, mul(g, ans)), sub(1,
    /// ans))`, XLA contracting `g + g·ans` into `fma(g, ans, g)` (the rule runs inside
    /// `jnp.tanh`'s jitted computation); its value XLA's `tanh` (`scalar::xla`).
    TanhJvp,
    /// TensorFlow `_ErfcGrad` (`math_grad.py`), the registered gradient of `Erfc(x)`:
    /// `grad * (−2/√π) * exp(−square(x))`, left to right, the constant `-2 / np.sqrt(np.pi)`
    /// rounded into the format; it reads the op's *input* x ([`GradKernel::reads_input`]);
    /// its value `erfc(x)` (`tf.nn.gelu`, `model::rules::tensorflow`).
    ErfcGrad,
    /// TensorFlow `tf.nn.silu` = `swish(x)` (`nn_impl.py`, a `custom_gradient`): value
    /// `x * sigmoid(x)`, gradient `dy * (s * (1 + x * (1 − s)))` with `s = sigmoid(x)`
    /// recomputed (the `Sigmoid` kernel's scalar path); it reads the op's input x.
    SwishGrad,
    /// PyTorch `mse_loss_backward(grad_output, self, target, reduction)` with `y = self −
    /// target` already formed and `dy = grad_output`: `(y·norm)·dy`, `norm = 2/numel` rounded
    /// from double (mean) or 2 (sum, `numel = 0`) (`aten/src/ATen/native/Loss.cpp`, the CPU
    /// kernel `alpha * (a - b) * c`). Its registered gradient (`derivatives.yaml`,
    /// `mse_loss_backward`, `self:`) is `mse_loss_double_backward(grad * grad_output, self)` =
    /// `(2·(w·dy))/numel` (mean) or `2·(w·dy)` (sum) — not the derivative of `y·norm`
    /// (`ad::tape`, `kernel_y_adjoint`); no forward derivative is registered for `torch.func`
    /// (the decomposition's arithmetic is differentiated).
    MseBackward {
        /// The element count M of the mean; 0 for the sum.
        numel: u32,
    },
    /// PyTorch `silu` (`nn.SiLU`): its value the CPU kernel's scalar path `x / (1 + exp(−x))`
    /// (`aten/src/ATen/native/cpu/Activation.cpp`, measured); it reads its input x. Its
    /// gradient with `GradMode` on (`derivatives.yaml`, `silu`, `self:`, and its forward
    /// derivative `result: auto_element_wise`, which `torch.func.jvp` runs the same way) is
    /// `infinitely_differentiable_silu_backward(dy, x)` (`FunctionsManual.cpp`): the aten ops
    /// `s = sigmoid(x)`, `1 − s`, `x·(1 − s)`, `+ 1`, `dy·s`, and the product of the last two,
    /// each rounded — unlike the `silu_backward` kernel ([`GradKernel::SiluBackward`], which
    /// the outer backward pass of `torch.autograd.functional.hessian` runs with `GradMode` off:
    /// [`GradKernel::outer`]).
    SiluTorch,
    /// PyTorch's CPU `silu_backward(grad_output, self)` kernel: `(dy·s)·fma(x, 1 − s, 1)`,
    /// `s = 1/(1 + exp(−x))` (`1 + x·(1 − s)` contracted into one FMA by the compiler:
    /// measured on 3000 points at f32 and f64 against `torch.ops.aten.silu_backward`, the
    /// unfused order disagreeing on ~700); it reads its input x.
    SiluBackward,
    /// PyTorch `gelu` (`nn.GELU()`, `approximate='none'`) and its backward kernel
    /// `gelu_backward(grad_output, self)`, both reading the input x (CPU scalar path,
    /// `aten/src/ATen/native/cpu/Activation.cpp`, `GeluKernelImpl` / `GeluBackwardKernelImpl`):
    /// value `(x·0.5)·(1 + erf(x·α))`, α = `M_SQRT1_2` in the format; gradient
    /// `dy·(cdf + x·pdf)`, `cdf = 0.5·(1 + erf(x·α))`, `pdf = β·exp((x·x)·−0.5)`,
    /// β = `M_2_SQRTPI·M_SQRT1_2·0.5` computed in double, then rounded (measured equal on 3000
    /// f64 points; at f32 `torch` runs oneDNN's `gelu_erf` instead, not reproduced).
    /// Registered forward derivative of `gelu_backward` (`derivatives.yaml`, `result:`):
    /// `gelu_backward(ḋy, x) + gelu_double_backward(ẋ, dy, x)`; `gelu_double_backward(ggI,
    /// gO, x)` (`FunctionsManual.cpp`, its aten ops logged) = `(ggI·gO)·(pdf·2 − sq·pdf)`,
    /// `sq = x·x`, `pdf = exp(sq·−0.5)·β` (measured equal on 2100 points at f32 and f64
    /// against `torch.autograd.grad` of `gelu_backward`).
    GeluTorch,
    /// PyTorch `relu` (`nn.ReLU`) and `threshold_backward(grad, result, 0)` (`derivatives.yaml`,
    /// `relu`, `self:`): `dy` where the output y > 0, else 0; its value `max(x, 0)`.
    /// Registered forward derivative (`threshold_backward`, `result:`):
    /// `zeros_like(ẏ) + threshold_backward(ḋy, y, 0)`; gradient to `y`: `zeros_like(grad)`.
    ThresholdBackward,
    /// PyTorch `leaky_relu` (`nn.LeakyReLU(negative_slope)`) and `leaky_relu_backward(grad,
    /// self, negative_slope, false)` (`derivatives.yaml`, `leaky_relu`, `self:`; CPU kernels
    /// `leaky_relu_kernel` / `leaky_relu_backward_kernel` in
    /// `aten/src/ATen/native/cpu/Activation.cpp`): value `x > 0 ? x : x·α`, gradient
    /// `x > 0 ? dy : dy·α`, α the slope rounded into the format (`negval.to<scalar_t>()`:
    /// the double of the decimal, then the format; equal to the direct rounding for 0.01); it
    /// reads its input x. Registered forward derivative (`leaky_relu_backward`, `result:`):
    /// `leaky_relu_backward(ḋy, x, α)` (no term in ẋ); gradient to `x`: `zeros_like(grad)`.
    LeakyReluBackward(Slope),
    /// PyTorch `softplus` (`nn.Softplus()`, β = 1, threshold 20) and `softplus_backward(grad,
    /// self, beta, threshold)` (CPU scalar path, `aten/src/ATen/native/cpu/Activation.cpp`,
    /// `softplus_kernel` / `softplus_backward_kernel`): value `x > 20 ? x : log1p(exp(x))`,
    /// gradient `x > 20 ? dy : (dy·z)/(z + 1)`, `z = exp(x)`; it reads its input x. Registered
    /// forward derivative (`derivatives.yaml`, `softplus_backward`, `result:`):
    /// `softplus_backward(ḋy, x) + softplus_double_backward(ẋ·dy, x)`; gradient to `x`:
    /// `softplus_double_backward(grad·dy, x)` = `sigmoid_backward(v, sigmoid(x))·(x < 20)·β`
    /// (`FunctionsManual.cpp`) = `(v·(1 − s))·s` (measured on 3000 points against
    /// `torch.autograd.grad` of `aten.softplus_backward`: f64 every value, gradient and
    /// double backward; f32 the value differs on 142 (glibc's `log1pf`), the gradient on 1).
    SoftplusBackward,
    /// TensorFlow `ReluGrad(gradients, features)` (`tensorflow/core/kernels/relu_op_functor.h`,
    /// `ReluGrad`): `gradients * (features > 0).cast<T>()` — `dy·1` or `dy·0` (a zero with
    /// dy's sign); `_ReluGrad` (`nn_grad.py`) passes the op's *output* y as `features`. Its
    /// value `Relu`: `features.cwiseMax<PropagateNaN>(0)`. Registered gradient
    /// `_ReluGradGrad`: `(relu_grad(grad, x), zeros_like(x))`, x the kernel's `features`.
    ReluGrad,
    /// TensorFlow `LeakyReluGrad(gradients, features, alpha)` (`relu_op_functor.h`,
    /// `LeakyReluGrad`): `(features > 0).select(gradients, gradients * alpha)`; `_LeakyReluGrad`
    /// (`nn_grad.py`) passes the op's *input* x ([`GradKernel::reads_input`]). Its value
    /// `LeakyRelu`: `(features > 0).select(features, features * alpha)`; `alpha` is the op's
    /// `float` attribute cast to the format (`static_cast<T>(alpha)`, `relu_op.h`), so the
    /// slope is rounded to `float` first ([`tf_alpha`]). Registered gradient
    /// `_LeakyReluGradGrad`: `(leaky_relu_grad(grad, x, alpha), zeros_like(x))`.
    LeakyReluGrad {
        /// Clairaut's slope (the attribute is its `float` rounding).
        slope: Slope,
    },
    /// TensorFlow `Softplus` (`tensorflow/core/kernels/softplus_op.h`, `Softplus`): `x` where
    /// `x > −t`, `exp(x)` where `x < t`, else `log1p(exp(x))`, `t = log(ε) + 2` in the format
    /// (ε its machine epsilon); it reads its input x. Its registered gradient `_SoftplusGrad`
    /// (`nn_grad.py`, tensorflow 2.21) is `grad * sigmoid(x)` — the ops `Sigmoid` (the
    /// kernel's scalar path, [`GradKernel::SigmoidGrad`]'s value) and `Mul`, not the
    /// `SoftplusGrad` kernel.
    SoftplusTf,
}

/// Where an element sits in the tensor a kernel runs over: its flat index and the tensor's
/// length (the packet path covers the indices below the last full packet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lane {
    /// Flat index.
    pub index: usize,
    /// Number of elements of the tensor.
    pub len: usize,
}

impl Lane {
    /// Element `index` of a tensor of `len`.
    pub fn new(index: usize, len: usize) -> Self {
        Lane { index, len }
    }

    /// Whether this element takes the packet path in a format of `bits` bits of precision.
    pub fn packet(self, bits: u32) -> bool {
        let w = packet_width(bits);
        w > 1 && self.index < self.len / w * w
    }
}

/// Elements per AVX packet of TensorFlow's CPU kernels in a format of `bits` bits of precision
/// (24: `float`, 8; 53: `double`, 4); 1 (no packets) for formats TensorFlow has no kernel for.
pub fn packet_width(bits: u32) -> usize {
    match bits {
        24 => 8,
        53 => 4,
        _ => 1,
    }
}

/// Whether `k` takes the `dy·(y·(1 − y))` association at `at` (JAX's rule always; TensorFlow's
/// kernel on its packet path).
fn kernel_packet<R: Real>(k: GradKernel, at: Lane, ctx: &R::RCtx) -> bool {
    k == GradKernel::LogisticJvp || at.packet(bits_of::<R>(ctx))
}

/// The precision in bits of format `R` (as its context gives it).
pub fn bits_of<R: Real>(ctx: &R::RCtx) -> u32 {
    R::consts(ctx).one.to_float().prec()
}

impl GradKernel {
    /// The activation this kernel differentiates (`None`: `ErfcGrad`, the gradient of one op
    /// inside TensorFlow's `gelu`).
    pub fn activation(self) -> Option<Activation> {
        match self {
            GradKernel::SigmoidGrad | GradKernel::LogisticJvp | GradKernel::SigmoidBackward => Some(Activation::Sigmoid),
            GradKernel::TanhGrad | GradKernel::TanhBackward | GradKernel::TanhJvp => Some(Activation::Tanh),
            GradKernel::SwishGrad => Some(Activation::Silu),
            GradKernel::ErfcGrad | GradKernel::MseBackward { .. } => None,
            GradKernel::SiluTorch | GradKernel::SiluBackward => Some(Activation::Silu),
            GradKernel::GeluTorch => Some(Activation::Gelu),
            GradKernel::ThresholdBackward => Some(Activation::Relu),
            GradKernel::LeakyReluBackward(a) => Some(Activation::LeakyRelu(a)),
            GradKernel::SoftplusBackward => Some(Activation::Softplus),
            GradKernel::ReluGrad => Some(Activation::Relu),
            GradKernel::LeakyReluGrad { slope } => Some(Activation::LeakyRelu(slope)),
            GradKernel::SoftplusTf => Some(Activation::Softplus),
        }
    }

    /// Whether the kernel reads its op's *input* x (`ErfcGrad`, `SwishGrad`) rather than its
    /// output y: the `y` of [`GradKernel::eval`] is then x.
    pub fn reads_input(self) -> bool {
        matches!(self, GradKernel::ErfcGrad | GradKernel::SwishGrad | GradKernel::SiluTorch | GradKernel::SiluBackward | GradKernel::GeluTorch | GradKernel::LeakyReluBackward(_) | GradKernel::SoftplusBackward)
            || matches!(self, GradKernel::LeakyReluGrad { .. } | GradKernel::SoftplusTf)
    }

    /// The kernel whose formula differentiates this activation in the *outer* backward pass of
    /// `torch.autograd.functional.hessian` (`GradMode` off there: `silu`'s `silu_backward`
    /// kernel, [`GradKernel::SiluBackward`], not the composite of [`GradKernel::SiluTorch`]);
    /// the kernel itself for every other.
    pub fn outer(self) -> GradKernel {
        match self {
            GradKernel::SiluTorch => GradKernel::SiluBackward,
            k => k,
        }
    }

    /// The operand [`GradKernel::eval`] reads of an op with input `x` and output `y`.
    pub fn operand<'a, T>(self, x: &'a T, y: &'a T) -> &'a T {
        if self.reads_input() { x } else { y }
    }

    /// `out = f(x)` of [`GradKernel::activation`] as TensorFlow's CPU kernel computes it on
    /// the scalar path (module docs): sigmoid `e/(1 + e)` with `e = exp(x)` (1 where e
    /// overflows: Eigen's `scalar_logistic_op`); tanh correctly rounded (glibc's `tanh`, which
    /// the scalar path calls, is within half an ulp and rarely differs).
    pub fn forward<R: Real>(self, out: &mut R, x: &R, ctx: &R::RCtx) {
        match self {
            GradKernel::SigmoidGrad => {
                let one = &R::consts(ctx).one;
                let (mut e, mut d) = (x.clone(), x.clone());
                e.set_exp(x, ctx);
                if !e.is_finite() {
                    out.set(one, ctx);
                    return;
                }
                d.set_add(one, &e, ctx);
                out.set_div(&e, &d, ctx);
            }
            GradKernel::TanhGrad | GradKernel::TanhBackward => out.set_tanh(x, ctx),
            GradKernel::ErfcGrad => out.set_erfc(x, ctx),
            // features * sigmoid(beta * features), beta = 1
            GradKernel::SwishGrad => {
                let mut s = x.clone();
                GradKernel::SigmoidGrad.forward(&mut s, x, ctx);
                out.set_mul(x, &s, ctx);
            }
            GradKernel::TanhJvp => super::xla::tanh(out, x, ctx),
            // a loss gradient, never recorded as an activation
            GradKernel::MseBackward { .. } => unreachable!("{self:?} as an activation"),
            // PyTorch's scalar path `1 / (1 + std::exp(-a))`: Clairaut's sigmoid
            GradKernel::SigmoidBackward => out.set_fun_deriv(super::Fun::Act(Activation::Sigmoid), 0, x, ctx),
            // lax.logistic_impl: div(1, add(1, exp(neg(x)))), XLA's exp (`scalar::xla`)
            GradKernel::LogisticJvp => {
                let one = &R::consts(ctx).one;
                let (mut e, mut d) = (x.clone(), x.clone());
                d.set_neg(x, ctx);
                super::xla::exp(&mut e, &d, ctx);
                d.set_add(one, &e, ctx);
                out.set_div(one, &d, ctx);
            }
            // x / (1 + std::exp(-x))
            GradKernel::SiluTorch | GradKernel::SiluBackward => {
                let one = &R::consts(ctx).one;
                let (mut e, mut d) = (x.clone(), x.clone());
                d.set_neg(x, ctx);
                e.set_exp(&d, ctx);
                d.set_add(one, &e, ctx);
                out.set_div(x, &d, ctx);
            }
            // x * 0.5 * (1 + std::erf(x * kAlpha))
            GradKernel::GeluTorch => {
                let cs = R::consts(ctx);
                let (mut e, mut d) = (x.clone(), x.clone());
                d.set_mul(x, &R::from_f64(std::f64::consts::FRAC_1_SQRT_2, ctx), ctx);
                e.set_erf(&d, ctx);
                d.set_add(&cs.one, &e, ctx);
                e.set_mul(x, &cs.half, ctx);
                out.set_mul(&e, &d, ctx);
            }
            // clamp_min(x, 0)
            GradKernel::ThresholdBackward => out.set_fun_deriv(super::Fun::Act(Activation::Relu), 0, x, ctx),
            // a > 0 ? a : a * negval
            GradKernel::LeakyReluBackward(a) => out.set_fun_deriv(super::Fun::Act(Activation::LeakyRelu(a)), 0, x, ctx),
            // (a * beta) > threshold ? a : log1p(exp(a * beta)) / beta, beta = 1
            GradKernel::SoftplusBackward => {
                if x.gt(&R::from_f64(SOFTPLUS_THRESHOLD, ctx)) {
                    out.set(x, ctx);
                } else {
                    let mut e = x.clone();
                    e.set_exp(x, ctx);
                    out.set_ln_1p(&e, ctx);
                }
            }
            // features.cwiseMax<PropagateNaN>(0): std::max(x, 0) = (x < 0) ? 0 : x (−0 stays)
            GradKernel::ReluGrad => {
                if R::consts(ctx).zero.gt(x) {
                    out.set(&R::consts(ctx).zero, ctx);
                } else {
                    out.set(x, ctx);
                }
            }
            // (features > 0).select(features, features * alpha)
            GradKernel::LeakyReluGrad { slope } => {
                if x.is_positive() {
                    out.set(x, ctx);
                } else {
                    out.set_mul(x, &tf_alpha::<R>(slope, ctx), ctx);
                }
            }
            GradKernel::SoftplusTf => tf_softplus(out, x, ctx),
        }
    }

    /// `out = k(y, dy)` in the order of the path `at` takes (module docs), on any scalar (a
    /// lifted one differentiates these operations); `t` is scratch.
    pub fn eval<S: Scalar>(self, out: &mut S, y: &S, dy: &S, at: Lane, t: &mut [S; 2], ctx: &S::Ctx) {
        let rc = S::real_ctx(ctx);
        let one = S::constant(&S::Real::consts(rc).one, ctx);
        let [t0, t1] = t;
        match self {
            GradKernel::SigmoidGrad | GradKernel::LogisticJvp if kernel_packet::<S::Real>(self, at, rc) => {
                // pmul(dy, pmul(y, psub(1, y)))
                t0.set_sub(&one, y, ctx);
                t1.set_mul(y, t0, ctx);
                out.set_mul(dy, t1, ctx);
            }
            GradKernel::SigmoidGrad | GradKernel::LogisticJvp => {
                // dy * y * (1 - y), left to right
                t0.set_mul(dy, y, ctx);
                t1.set_sub(&one, y, ctx);
                out.set_mul(t0, t1, ctx);
            }
            GradKernel::TanhJvp => {
                // mul(fma(dy, y, dy), sub(1, y))
                t0.set_mul_add(dy, y, dy, ctx);
                t1.set_sub(&one, y, ctx);
                out.set_mul(t0, t1, ctx);
            }
            GradKernel::TanhGrad => {
                // dy * (1 - y * y)
                t0.set_mul(y, y, ctx);
                t1.set_sub(&one, t0, ctx);
                out.set_mul(dy, t1, ctx);
            }
            GradKernel::SigmoidBackward => {
                // a * (1 - b) * b
                t0.set_sub(&one, y, ctx);
                t1.set_mul(dy, t0, ctx);
                out.set_mul(t1, y, ctx);
            }
            GradKernel::TanhBackward => {
                // a * (1 - b * b), the difference fused
                t0.set_neg(y, ctx);
                t1.set_mul_add(t0, y, &one, ctx);
                out.set_mul(dy, t1, ctx);
            }
            GradKernel::ErfcGrad => {
                // grad * minus_two_over_root_pi * exp(-square(x)), y = x
                let m = S::constant(&S::Real::from_f64(-2.0 / std::f64::consts::PI.sqrt(), rc), ctx);
                t0.set_mul(y, y, ctx);
                t1.set_neg(t0, ctx);
                t0.set_fun(super::Fun::Exp, t1, ctx);
                t1.set_mul(dy, &m, ctx);
                out.set_mul(t1, t0, ctx);
            }
            GradKernel::MseBackward { numel } => {
                // alpha * (a - b) * c, a − b = y, alpha = 2./numel (double) or 2.
                let norm = if numel == 0 { 2.0 } else { 2.0 / f64::from(numel) };
                let norm = S::constant(&S::Real::from_f64(norm, rc), ctx);
                t0.set_mul(y, &norm, ctx);
                out.set_mul(t0, dy, ctx);
            }
            GradKernel::SwishGrad => {
                // dy * (s * (1.0 + x * (1.0 - s))), s = sigmoid(x), y = x
                t0.set_fun_rule(GradKernel::SigmoidGrad, y, at, ctx);
                t1.set_sub(&one, t0, ctx);
                out.set_mul(y, t1, ctx);
                t1.set_add(&one, out, ctx);
                out.set_mul(t0, t1, ctx);
                t1.set(out, ctx);
                out.set_mul(dy, t1, ctx);
            }
            GradKernel::SiluTorch | GradKernel::SiluBackward => {
                // s = sigmoid(x), y = x; composite: (dy * s) * ((x * (1 - s)) + 1);
                // kernel: (dy * s) * fma(x, 1 - s, 1)
                t0.set_fun_rule(GradKernel::SigmoidBackward, y, at, ctx);
                t1.set_sub(&one, t0, ctx);
                if self == GradKernel::SiluTorch {
                    out.set_mul(y, t1, ctx);
                    t1.set_add(out, &one, ctx);
                } else {
                    out.set_mul_add(y, t1, &one, ctx);
                    t1.set(out, ctx);
                }
                out.set_mul(dy, t0, ctx);
                t0.set_mul(out, t1, ctx);
                out.set(t0, ctx);
            }
            GradKernel::GeluTorch => {
                // dy * (cdf + x * pdf), y = x (on the values: never differentiated, `has_jvp`)
                let mut v = y.value().clone();
                gelu_backward(&mut v, y.value(), dy.value(), rc);
                out.set_constant(&v, ctx);
            }
            GradKernel::ThresholdBackward => {
                // self <= threshold ? 0 : grad, self = the relu output y
                if y.value().is_positive() {
                    out.set(dy, ctx);
                } else {
                    out.set_constant(&S::Real::consts(rc).zero, ctx);
                }
            }
            GradKernel::LeakyReluBackward(a) => {
                // self > 0 ? grad : grad * negval, y = x
                if y.value().is_positive() {
                    out.set(dy, ctx);
                } else {
                    let s = S::constant(&a.with_text(|t| S::Real::parse_decimal(t, rc)), ctx);
                    out.set_mul(dy, &s, ctx);
                }
            }
            GradKernel::SoftplusBackward => {
                // z = exp(b * beta); (b * beta) > threshold ? a : a * z / (z + 1), y = x
                if y.value().gt(&S::Real::from_f64(SOFTPLUS_THRESHOLD, rc)) {
                    out.set(dy, ctx);
                } else {
                    t0.set_fun(super::Fun::Exp, y, ctx);
                    t1.set_mul(dy, t0, ctx);
                    out.set_add(t0, &one, ctx);
                    t0.set_div(t1, out, ctx);
                    out.set(t0, ctx);
                }
            }
            GradKernel::ReluGrad => {
                // gradients * (features > 0).cast<T>(), features = the relu output y
                let cs = S::Real::consts(rc);
                let mask = S::constant(if y.value().is_positive() { &cs.one } else { &cs.zero }, ctx);
                out.set_mul(dy, &mask, ctx);
            }
            GradKernel::LeakyReluGrad { slope } => {
                // (features > 0).select(gradients, gradients * alpha), features = the input x
                if y.value().is_positive() {
                    out.set(dy, ctx);
                } else {
                    out.set_mul(dy, &S::constant(&tf_alpha::<S::Real>(slope, rc), ctx), ctx);
                }
            }
            GradKernel::SoftplusTf => {
                // grad * sigmoid(features), y = x: the `Sigmoid` op, then `Mul`
                t0.set_fun_rule(GradKernel::SigmoidGrad, y, at, ctx);
                out.set_mul(dy, t0, ctx);
            }
        }
    }

    /// Whether the framework registers a forward derivative of this kernel ([`GradKernel::jvp`]).
    pub fn has_jvp(self) -> bool {
        matches!(self, GradKernel::SigmoidBackward | GradKernel::TanhBackward | GradKernel::GeluTorch | GradKernel::ThresholdBackward | GradKernel::LeakyReluBackward(_) | GradKernel::SoftplusBackward)
    }

    /// The tangent of `k(y, dy)` by the framework's *registered* forward derivative, where
    /// the framework has one (PyTorch's `result:` entries of `derivatives.yaml`; `false`,
    /// nothing written, otherwise): `out` from the values `y`, `dy` and tangents `ẏ`, `ḋy`.
    /// * `SigmoidBackward`: `sigmoid_backward(ḋy, y) + ẏ·dy·(−2·y + 1)`, left to right;
    /// * `TanhBackward`: `tanh_backward(ḋy, y) + ẏ·((−2·y)·dy)`.
    pub fn jvp<R: Real>(self, out: &mut R, (y, yt): (&R, &R), (dy, dyt): (&R, &R), at: Lane, ctx: &R::RCtx) -> bool {
        if !self.has_jvp() {
            return false;
        }
        let cs = R::consts(ctx);
        if self == GradKernel::SoftplusBackward {
            // softplus_backward(ḋy, x) + softplus_double_backward(ẋ·dy, x)
            let mut t = [y.clone(), y.clone()];
            let (mut first, mut v, mut second) = (y.clone(), y.clone(), y.clone());
            self.eval(&mut first, y, dyt, at, &mut t, ctx);
            v.set_mul(yt, dy, ctx);
            softplus_double_backward(&mut second, &v, y, ctx);
            out.set_add(&first, &second, ctx);
            return true;
        }
        if let GradKernel::LeakyReluBackward(_) = self {
            // leaky_relu_backward(ḋy, x, α)
            let mut t = [y.clone(), y.clone()];
            self.eval(out, y, dyt, at, &mut t, ctx);
            return true;
        }
        if matches!(self, GradKernel::GeluTorch | GradKernel::ThresholdBackward) {
            // gelu_backward(ḋy, x) + gelu_double_backward(ẋ, dy, x);
            // zeros_like(ẏ) + threshold_backward(ḋy, y, 0)
            let (mut first, mut second) = (y.clone(), y.clone());
            let mut t = [y.clone(), y.clone()];
            self.eval(&mut first, y, dyt, at, &mut t, ctx);
            if self == GradKernel::GeluTorch {
                gelu_double_backward(&mut second, yt, dy, y, ctx);
                out.set_add(&first, &second, ctx);
            } else {
                out.set_add(&cs.zero, &first, ctx);
            }
            return true;
        }
        let mut t = [y.clone(), y.clone()];
        let (mut first, mut m2, mut p, mut q) = (y.clone(), y.clone(), y.clone(), y.clone());
        self.eval(&mut first, y, dyt, at, &mut t, ctx);
        p.set_mul(y, &cs.two, ctx);
        m2.set_neg(&p, ctx); // −2·y (exact)
        if self == GradKernel::SigmoidBackward {
            q.set_add(&m2, &cs.one, ctx);
            p.set_mul(yt, dy, ctx);
            m2.set_mul(&p, &q, ctx);
        } else {
            p.set_mul(&m2, dy, ctx);
            m2.set_mul(yt, &p, ctx);
        }
        out.set_add(&first, &m2, ctx);
        true
    }
}

/// TensorFlow's `LeakyRelu`/`LeakyReluGrad` `alpha` in format `R`: the op's `float` attribute
/// (Keras passes `negative_slope`, a Python float, i.e. the `double` nearest the slope, which
/// the attribute rounds to `float`), cast to the format (`relu_op.h`: `static_cast<T>`).
pub fn tf_alpha<R: Real>(slope: Slope, ctx: &R::RCtx) -> R {
    R::from_f64(f64::from(slope.to_f64() as f32), ctx)
}

/// TensorFlow's CPU `Softplus` kernel on the scalar path (`softplus_op.h`, [`GradKernel::SoftplusTf`]):
/// `t = log(ε) + 2`; `x` where `x > −t`, `exp(x)` where `x < t`, else `log1p(exp(x))`. The
/// scalar path calls glibc: its `exp` agrees with the correctly rounded one (measured on 1500
/// random points of (−12, 12) in each format, `tf.nn.softplus` of 1-element tensors), its
/// `log1p`/`log1pf` do not (41 and 30 of the 1500 differ), so `log1p` is glibc's itself at
/// f32 and f64 (Rust's `ln_1p` on Linux; all 1500 agree).
fn tf_softplus<R: Real>(out: &mut R, x: &R, ctx: &R::RCtx) {
    let cs = R::consts(ctx);
    let (mut t, mut e) = (x.clone(), x.clone());
    let eps = R::from_f64(2f64.powi(1 - bits_of::<R>(ctx) as i32), ctx);
    e.set_ln(&eps, ctx);
    t.set_add(&e, &cs.two, ctx);
    e.set_neg(&t, ctx);
    if x.gt(&e) {
        out.set(x, ctx);
        return;
    }
    e.set_exp(x, ctx);
    if t.gt(x) {
        out.set(&e, ctx);
        return;
    }
    // log1p: glibc's `log1p`/`log1pf` (not correctly rounded) at f64/f32, which Rust's
    // `ln_1p` calls on Linux; correctly rounded in the other formats (no TensorFlow kernel)
    match (bits_of::<R>(ctx), e.exact_f64()) {
        (53, Some(v)) => *out = R::from_f64(v.ln_1p(), ctx),
        (24, Some(v)) => *out = R::from_f64(f64::from((v as f32).ln_1p()), ctx),
        _ => out.set_ln_1p(&e, ctx),
    }
}

/// PyTorch's CPU `gelu_backward(dy, x)` (erf form, scalar path; [`GradKernel::GeluTorch`]):
/// `dy·(cdf + x·pdf)`, `cdf = 0.5·(1 + erf(x·α))`, `pdf = β·exp((x·x)·−0.5)`.
fn gelu_backward<R: Real>(out: &mut R, x: &R, dy: &R, ctx: &R::RCtx) {
    use std::f64::consts::FRAC_1_SQRT_2;
    let cs = R::consts(ctx);
    let (mut cdf, mut pdf, mut t) = (x.clone(), x.clone(), x.clone());
    t.set_mul(x, &R::from_f64(FRAC_1_SQRT_2, ctx), ctx);
    cdf.set_erf(&t, ctx);
    t.set_add(&cs.one, &cdf, ctx);
    cdf.set_mul(&cs.half, &t, ctx);
    t.set_mul(x, x, ctx);
    gelu_pdf(&mut pdf, &t, ctx);
    t.set_mul(x, &pdf, ctx);
    pdf.set_add(&cdf, &t, ctx);
    out.set_mul(dy, &pdf, ctx);
}

/// PyTorch's `gelu_double_backward(ggI, gO, x)` (erf form, `FunctionsManual.cpp`; its aten
/// ops `mul`, `mul(−0.5)`, `exp`, `mul(kBeta)`, `mul`, `mul(2)`, `sub`, `mul`, `mul`):
/// `(ggI·gO)·(pdf·2 − sq·pdf)`, `sq = x·x`, `pdf = exp(sq·−0.5)·β`.
pub(crate) fn gelu_double_backward<R: Real>(out: &mut R, ggi: &R, go: &R, x: &R, ctx: &R::RCtx) {
    let cs = R::consts(ctx);
    let (mut sq, mut pdf, mut t) = (x.clone(), x.clone(), x.clone());
    sq.set_mul(x, x, ctx);
    gelu_pdf(&mut t, &sq, ctx);
    pdf.set_mul(&sq, &t, ctx);
    sq.set_mul(&t, &cs.two, ctx);
    t.set_sub(&sq, &pdf, ctx);
    pdf.set_mul(ggi, go, ctx);
    out.set_mul(&pdf, &t, ctx);
}

/// The normal density as PyTorch's erf-form GELU kernels compute it from `sq = x·x`:
/// `pdf = exp(sq·−0.5)·β`, `β = (2/√π)·(1/√2)·0.5` rounded once to the format (products
/// commute: `β·e` and `e·β` round alike), shared by [`gelu_backward`] and
/// [`gelu_double_backward`].
fn gelu_pdf<R: Real>(pdf: &mut R, sq: &R, ctx: &R::RCtx) {
    use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};
    let mut e = sq.clone();
    pdf.set_mul(sq, &R::from_f64(-0.5, ctx), ctx);
    e.set_exp(pdf, ctx);
    pdf.set_mul(&e, &R::from_f64(FRAC_2_SQRT_PI * FRAC_1_SQRT_2 * 0.5, ctx), ctx);
}

/// `nn.Softplus()`'s threshold (β = 1): above it the value is x and the gradient dy.
const SOFTPLUS_THRESHOLD: f64 = 20.0;

/// PyTorch's `softplus_double_backward(v, x, 1, 20)` (`FunctionsManual.cpp`):
/// `sigmoid_backward(v, sigmoid(x)) * (x < threshold) * beta` = `(v·(1 − s))·s`, `s =
/// 1/(1 + exp(−x))` (the `sigmoid` kernel's scalar path), times 1 below the threshold and
/// `·0` (a zero of v's sign) from it on ([`GradKernel::SoftplusBackward`]).
pub(crate) fn softplus_double_backward<R: Real>(out: &mut R, v: &R, x: &R, ctx: &R::RCtx) {
    let cs = R::consts(ctx);
    let (mut s, mut t) = (x.clone(), x.clone());
    s.set_fun_deriv(super::Fun::Act(Activation::Sigmoid), 0, x, ctx);
    t.set_sub(&cs.one, &s, ctx);
    out.set_mul(v, &t, ctx);
    t.set_mul(out, &s, ctx);
    if !R::from_f64(SOFTPLUS_THRESHOLD, ctx).gt(x) {
        out.set_mul(&t, &cs.zero, ctx);
    } else {
        out.set(&t, ctx);
    }
}

/// TensorFlow's `SoftmaxCrossEntropyWithLogits` kernel (`tensorflow/core/kernels/xent_op.h`,
/// CPU): its `backprop` output for class `k` of a row of `d` logits (`row(j)`) with label `y`:
/// `exp(l_k − m) / S − y`, m the row's maximum, `S = Σ_j exp(l_j − m)` left to right (measured
/// equal, with correctly rounded `exp`, on random rows of 3 at f32 and f64, N = 1 and 4).
pub fn xent_backprop<'a, R: Real + 'a>(out: &mut R, row: impl Fn(usize) -> &'a R, d: usize, k: usize, y: &R, ctx: &R::RCtx) {
    R::with_scratch(ctx, |[e, sum, t, _]| {
        row_exp_sum(e, sum, t, &row, d, k, ctx);
        t.set_div(e, sum, ctx);
        out.set_sub(t, y, ctx);
    })
}

/// TensorFlow's `Softmax` kernel (`softmax_op_functor.h`, Eigen) for class `k` of a row:
/// `exp(l_k − m) · (1 / S)` (measured with oneDNN off; oneDNN's `float` softmax differs).
pub fn softmax<'a, R: Real + 'a>(out: &mut R, row: impl Fn(usize) -> &'a R, d: usize, k: usize, ctx: &R::RCtx) {
    R::with_scratch(ctx, |[e, sum, t, _]| {
        row_exp_sum(e, sum, t, &row, d, k, ctx);
        t.set_div(&R::consts(ctx).one, sum, ctx);
        out.set_mul(e, t, ctx);
    })
}

/// `e = exp(l_k − m)` and `sum = Σ_j exp(l_j − m)` of a row (m its maximum); `t` is scratch.
fn row_exp_sum<'a, R: Real + 'a>(e: &mut R, sum: &mut R, t: &mut R, row: &impl Fn(usize) -> &'a R, d: usize, k: usize, ctx: &R::RCtx) {
    let m = (1..d).map(row).fold(row(0), |m, v| if v.gt(m) { v } else { m });
    for j in 0..d {
        t.set_sub(row(j), m, ctx);
        if j == 0 {
            sum.set_exp(t, ctx);
        } else {
            e.set_exp(t, ctx);
            sum.add_assign(e, ctx);
        }
    }
    t.set_sub(row(k), m, ctx);
    e.set_exp(t, ctx);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in Rules::ALL {
            assert_eq!(r.name().parse::<Rules>().unwrap(), r);
        }
        assert!("keras".parse::<Rules>().unwrap_err().contains("`keras`"));
        assert_eq!(Rules::default(), Rules::Clairaut);
    }

    #[test]
    fn packets() {
        // f32: 12 elements = one packet of 8 and 4 scalars
        assert!(Lane::new(7, 12).packet(24));
        assert!(!Lane::new(8, 12).packet(24));
        // f64: 2 elements: no full packet of 4
        assert!(!Lane::new(0, 2).packet(53));
        assert!(Lane::new(11, 12).packet(53));
        assert!(!Lane::new(0, 64).packet(113));
    }

    /// Each path keeps its own association (the module docs' table).
    #[test]
    fn sigmoid_grad_orders() {
        let ctx = crate::scalar::hw::HwCtx::<f64>::new(crate::scalar::MathLib::CoreMath, false);
        let (y, dy) = (0.8320183851339245f64, 0.1f64);
        let mut t = [0.0; 2];
        let (mut s, mut p) = (0.0, 0.0);
        GradKernel::SigmoidGrad.eval(&mut s, &y, &dy, Lane::new(0, 2), &mut t, &ctx);
        GradKernel::SigmoidGrad.eval(&mut p, &y, &dy, Lane::new(0, 4), &mut t, &ctx);
        assert_eq!(s, (dy * y) * (1.0 - y));
        assert_eq!(p, dy * (y * (1.0 - y)));
    }
}
