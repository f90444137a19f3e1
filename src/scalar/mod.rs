//! The arithmetic layer: number formats, the elementary functions and the evaluation orders —
//! the operations every Hessian method is built from.
//!
//! This is the bottom layer of the crate and depends on nothing else in it (checked by
//! `tests/it/layering.rs`): the differentiation layer (`ad`: dual, hyper-dual and tape scalars,
//! and the lane kernels of vector dual numbers) builds on it, the model on that, the Hessian
//! methods on the model.
//!
//! * formats: [`hw`] (`f32`, `f64`), [`mpfr`] (MPFR and emulated IEEE formats), [`narrow`]
//!   (`binary16`/`bfloat16` in `f64`), named by [`precision`]; [`policy`] names the math library
//!   and the FMA policy; [`opcount`] counts MPFR operations;
//! * [`interval`]: inf–sup intervals of MPFR numbers with directed rounding — proven
//!   enclosures of every operation (the ball truth);
//! * [`elementary`]: `exp`, `ln` and the activation functions with their derivatives, as fixed
//!   sequences of correctly rounded primitives;
//! * [`order`]: the summation orders and the sum / dot-product kernels.
//!
//! Two traits split the work:
//!
//! * [`Real`] — a *format*: `f32`, `f64` (hardware) or [`rug::Float`] (MPFR at any precision,
//!   optionally emulating an IEEE interchange format with subnormals and overflow). Every
//!   primitive of a `Real` is **correctly rounded** (round to nearest, ties to even): one
//!   rounding per primitive, so the same sequence of primitives gives the same bits in `f64`
//!   and in MPFR's `binary64` emulation. Transcendentals of `f32`/`f64` come from `core-math`
//!   (correctly rounded) unless the context asks for the platform-independent `libm` port.
//! * [`Scalar`] — anything the generic model code can run on: a `Real`, or a derivative-carrying
//!   lift of one (the dual, hyper-dual and tape scalars of the layer above).
//!
//! Operations are written in the *output-parameter* style of rug (`out.set_add(&a, &b, ctx)`),
//! so that MPFR code reuses the limbs of `out` and allocates nothing per operation. Constants
//! come from the context ([`Consts`]), never from literals in generic code.
//!
//! # Roundings per operation
//! | operation | `Real` | `Dual` (v, t) |
//! |---|---|---|
//! | `set_add`, `set_sub`, `add_assign`, `sub_assign` | 1 | 1 per component |
//! | `set_mul` | 1 | v: 1; t: `a.v·b.t + a.t·b.v` = 3 (no-fma) or 2 (fma) |
//! | `set_mul_add` (`a·b + c`) | 1 (fused) under `fma`, 2 under `no-fma` | per component, see `ad` |
//! | `set_div` | 1 | see `ad::dual` |
//! | `set_fun` | as the function's definition in [`elementary`] | f(v) and f′(v)·t |
//! | `set_dot_exact`, `set_sum_exact` | 1 (correctly rounded) | 1 per component |

pub mod elementary;
pub mod fixed;
pub mod hw;
pub mod interval;
pub mod matmul;
pub mod mpfr;
pub mod narrow;
pub mod opcount;
pub mod order;
pub mod policy;
pub mod precision;
pub mod rules;
pub mod xla;

use std::fmt::Debug;

use rug::Float;

pub use elementary::Fun;
pub use mpfr::{IeeeFormat, MpCtx};
use order::{PolicyDot, PolicyScratch, Strided};
pub use policy::{FmaPolicy, MathLib};
pub use precision::Precision;

/// Constants of a format, each correctly rounded into it once when the context is built.
#[derive(Clone, Debug)]
pub struct Consts<R> {
    /// 0
    pub zero: R,
    /// 1
    pub one: R,
    /// 2
    pub two: R,
    /// 1/2
    pub half: R,
    /// 1/√2 (GELU)
    pub frac_1_sqrt_2: R,
    /// 1/√(2π) (GELU's derivative)
    pub frac_1_sqrt_2pi: R,
    /// k₀ = √(2/π) (gelu_tanh)
    pub sqrt_2_over_pi: R,
    /// c = 0.044715 (gelu_tanh)
    pub gelu_tanh_c: R,
    /// k₁ = 3·0.044715·√(2/π) (gelu_tanh's derivatives)
    pub gelu_tanh_k1: R,
}

/// The exact values of the gelu_tanh constants `[√(2/π), 0.044715, 3·0.044715·√(2/π)]` at
/// `prec` bits (each then correctly rounded into a format: `prec` is that format's precision
/// plus 64 guard bits, so no double rounding occurs in practice; the unit tests check f32/f64
/// against Rust's correctly rounded decimal parser).
pub fn gelu_tanh_consts(prec: u32) -> [Float; 3] {
    let k0 = (Float::with_val(prec, 2) / Float::with_val(prec, rug::float::Constant::Pi)).sqrt();
    let c = Float::with_val(prec, Float::parse("0.044715").expect("a decimal"));
    let k1 = Float::with_val(prec, Float::parse("0.134145").expect("a decimal")) * &k0;
    [k0, c, k1]
}

/// A scalar the generic model code runs on.
///
/// `Clone` but deliberately not `Copy`: MPFR numbers live on the heap. Implementations must
/// not allocate in the `set_*` operations (MPFR: the output's limbs are reused).
pub trait Scalar: Clone + Send + Debug {
    /// The underlying format.
    type Real: Real;
    /// The precision / evaluation context (format, math library, FMA policy, tape…).
    type Ctx;

    /// The context of the underlying format.
    fn real_ctx(ctx: &Self::Ctx) -> &<Self::Real as Real>::RCtx;
    /// A constant: the value `c` with all derivative parts zero (a leaf on a tape).
    fn constant(c: &Self::Real, ctx: &Self::Ctx) -> Self;
    /// The primal value.
    fn value(&self) -> &Self::Real;
    /// `self = c` with all derivative parts +0 (as [`Scalar::constant`], into `self`).
    fn set_constant(&mut self, c: &Self::Real, ctx: &Self::Ctx) {
        *self = Self::constant(c, ctx);
    }
    /// `self = a` (exact copy).
    fn set(&mut self, a: &Self, ctx: &Self::Ctx);
    /// `self = a + b`
    fn set_add(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx);
    /// `self = a − b`
    fn set_sub(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx);
    /// `self = a · b`
    fn set_mul(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx);
    /// `self = a / b`
    fn set_div(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx);
    /// `self = a · b + c` with one rounding (fused; called only under the `fma` policy).
    fn set_mul_add(&mut self, a: &Self, b: &Self, c: &Self, ctx: &Self::Ctx);
    /// `self = −a` (exact).
    fn set_neg(&mut self, a: &Self, ctx: &Self::Ctx);
    /// `self = self + b`
    fn add_assign(&mut self, b: &Self, ctx: &Self::Ctx);
    /// `self = a · b + self`, fused (one rounding; called only under the `fma` policy).
    fn mul_add_assign(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx);
    /// `self = f(a)`.
    fn set_fun(&mut self, f: Fun, a: &Self, ctx: &Self::Ctx);
    /// `self = f(a)` where `d = [f(a.v), f′(a.v), f″(a.v)]` were computed beforehand by
    /// [`Real::set_fun_deriv`] (bitwise the values `set_fun` would compute; `d[2]` is only read
    /// by hyper-dual numbers). Lets the derivatives of the primal be reused across columns.
    fn set_fun_known(&mut self, a: &Self, d: [&Self::Real; 3], ctx: &Self::Ctx);
    /// `self = Σ aᵢ·bᵢ` correctly rounded (per component for lifted scalars).
    fn set_dot_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = (&'a Self, &'a Self)> + Clone;
    /// `self = Σ aᵢ` correctly rounded (per component for lifted scalars).
    fn set_sum_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = &'a Self> + Clone;
    /// Zero the derivative parts, keeping the value (stop-gradient). No-op for a `Real`.
    fn detach(&mut self, ctx: &Self::Ctx);
    /// `self = k(y, dy)`: a framework's elementwise gradient kernel at position `at` of its
    /// tensor ([`rules::GradKernel`]). The default composes the kernel's operations in its
    /// order (a format: the kernel's value, bit for bit); the tape records one node whose
    /// adjoints are the framework's registered gradient of the kernel instead.
    fn set_grad_kernel(&mut self, k: rules::GradKernel, y: &Self, dy: &Self, at: rules::Lane, ctx: &Self::Ctx) {
        let mut t = [self.clone(), self.clone()];
        k.eval(self, y, dy, at, &mut t, ctx);
    }
    /// `self = a·b` where XLA's CPU code contracts the tangent's first product into its sum:
    /// `t = fma(a.t, b.v, a.v·b.t)` (a dual number; JAX rules, `model::rules::jax`). The default
    /// is [`Scalar::set_mul`] (a format: one product).
    fn set_mul_contracted(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.set_mul(a, b, ctx)
    }
    /// `self = f(a)`, f the activation of kernel `k`, computed and differentiated as the
    /// framework does: a format computes the framework's value ([`rules::GradKernel::forward`]),
    /// the tape records one node whose adjoint is `k(f(a), w)` at position `at`; the default
    /// (lifted scalars, which no framework rules run on) is [`Scalar::set_fun`].
    fn set_fun_rule(&mut self, k: rules::GradKernel, a: &Self, at: rules::Lane, ctx: &Self::Ctx) {
        let _ = at;
        match k.activation() {
            Some(act) => self.set_fun(Fun::Act(act), a, ctx),
            // `Erfc` is recorded by TensorFlow's rules only, which run on tapes and formats
            // (`model::rules::check`: `rev-rev`)
            None => unreachable!("{k:?} on a lifted scalar"),
        }
    }
    /// `self = b_k`, the `backprop` output of TensorFlow's softmax cross-entropy kernel for
    /// class `k` of the row `logits` with label `y` ([`rules::xent_backprop`]); the tape
    /// records one node whose adjoints are the op's registered second-order gradient
    /// (`ad::tape`). The default is the value, as a constant: lifted scalars run no
    /// TensorFlow rules (`model::rules::check`: `rev-rev` only).
    fn set_xent_backprop(&mut self, logits: &[Self], y: &Self, k: usize, ctx: &Self::Ctx) {
        let mut v = self.value().clone();
        rules::xent_backprop(&mut v, |j| logits[j].value(), logits.len(), k, y.value(), Self::real_ctx(ctx));
        self.set_constant(&v, ctx);
    }
    /// `self = Σ a_i·b_i` term by term in the order `idx` — exactly [`order::dot_in_order`],
    /// which is the default. A type may override it with the same operations arranged for
    /// speed, bit for bit the same result (the vector dual numbers of the layer above, whose
    /// lanes run as one vector loop over `f32`/`f64`).
    #[inline(always)]
    fn dot_in_order(
        &mut self,
        a: Strided<'_, Self>,
        b: Strided<'_, Self>,
        idx: impl Fn(usize) -> usize,
        tmp: &mut Self,
        ctx: &Self::Ctx,
    ) {
        order::dot_in_order(self, a, b, idx, tmp, ctx)
    }

    /// `self = Σ a_k·b_k` under the precision policy of `pd` ([`order::matmul`]); `value`, when
    /// given, is the primal's result of this very dot product (the value part is taken from
    /// it). A format computes one policy dot; a lifted scalar composes its parts as a
    /// framework's JVP does: the value one policy dot, each tangent `Σ a·ḃ + ȧ·b` two policy
    /// dots added in the format ([`PolicyDot::dot2`]).
    fn dot_policy(
        &mut self,
        a: Strided<'_, Self>,
        b: Strided<'_, Self>,
        pd: &PolicyDot<'_>,
        s: &mut PolicyScratch,
        value: Option<&Self::Real>,
        ctx: &Self::Ctx,
    );

    /// [`Scalar::dot_in_order`] when the value `Σ a_i·b_i` is known already — `value`, the
    /// primal's result of this very sum, bit for bit (see [`order::dot_with_value`]): a type may compute only the derivative parts, each
    /// exactly as `dot_in_order` would, and take `value`. The default computes everything (the
    /// value it recomputes is `value`).
    #[inline(always)]
    fn dot_tangents_in_order(
        &mut self,
        a: Strided<'_, Self>,
        b: Strided<'_, Self>,
        idx: impl Fn(usize) -> usize,
        tmp: &mut Self,
        value: &Self::Real,
        ctx: &Self::Ctx,
    ) {
        let _ = value;
        self.dot_in_order(a, b, idx, tmp, ctx)
    }
}

/// A floating-point format whose primitives are all correctly rounded.
pub trait Real: Scalar<Real = Self, Ctx = <Self as Real>::RCtx> + Sync {
    /// The context: format, math library, FMA policy, constants.
    type RCtx: Clone + Send + Sync + Debug;
    /// Whether a value is one number that [`Real::to_float`] gives exactly (every format;
    /// not [`interval::Interval`], whose `to_float` is its midpoint): matrices of such values
    /// may be kept packed.
    const EXACT_FLOAT: bool = true;

    /// The format's constants.
    fn consts(ctx: &Self::RCtx) -> &Consts<Self>;
    /// Whether sums of products fuse (`fma` policy).
    fn fma(ctx: &Self::RCtx) -> bool;
    /// The nearest value of this format to the decimal number `text` (correctly rounded; the
    /// text must already be validated as a JSON number).
    fn parse_decimal(text: &str, ctx: &Self::RCtx) -> Self;
    /// The nearest value of this format to `x` (exact when the format is at least as wide).
    fn from_f64(x: f64, ctx: &Self::RCtx) -> Self;
    /// The nearest value of this format to the MPFR number `x` (correctly rounded).
    fn from_float(x: &Float, ctx: &Self::RCtx) -> Self;
    /// The nearest `f64` (for display and f64 statistics only).
    fn to_f64(&self) -> f64;
    /// This value exactly, as an MPFR number.
    fn to_float(&self) -> Float;
    /// This value as an `f64` when the format's values all are `f64` values (hardware and
    /// narrow formats): exactly, never rounded; `None` for other formats.
    fn exact_f64(&self) -> Option<f64> {
        None
    }
    /// A decimal string that reads back to exactly this value in this format.
    fn to_decimal(&self, ctx: &Self::RCtx) -> String;
    /// Bitwise equality (distinguishes −0 from +0; NaNs equal only to themselves bitwise).
    fn bits_eq(&self, other: &Self) -> bool;
    /// `self > 0`
    fn is_positive(&self) -> bool;
    /// `self > other`
    fn gt(&self, other: &Self) -> bool;
    /// Whether the value is finite.
    fn is_finite(&self) -> bool;
    /// Whether the value is ±0.
    fn is_zero(&self) -> bool;
    /// `self = |a|` (exact).
    fn set_abs(&mut self, a: &Self, ctx: &Self::RCtx);
    /// `self = exp(a)`
    fn set_exp(&mut self, a: &Self, ctx: &Self::RCtx);
    /// `self = ln(a)`
    fn set_ln(&mut self, a: &Self, ctx: &Self::RCtx);
    /// `self = ln(1 + a)`
    fn set_ln_1p(&mut self, a: &Self, ctx: &Self::RCtx);
    /// `self = tanh(a)`
    fn set_tanh(&mut self, a: &Self, ctx: &Self::RCtx);
    /// `self = erf(a)`
    fn set_erf(&mut self, a: &Self, ctx: &Self::RCtx);
    /// `self = erfc(a)` = 1 − erf(a), as one function (TensorFlow's `gelu`,
    /// `model::rules::tensorflow`). The default rounds MPFR's `erfc` at 64 more bits than the
    /// format into it (formats override it with a correctly rounded one: `f32`, `f64`).
    fn set_erfc(&mut self, a: &Self, ctx: &Self::RCtx) {
        let prec = rules::bits_of::<Self>(ctx) + 64;
        let x = Float::with_val(prec, a.to_float()).erfc();
        *self = Self::from_float(&x, ctx);
    }
    /// Runs `f` with four scratch values of this format (reused; no allocation per call).
    fn with_scratch<T>(ctx: &Self::RCtx, f: impl FnOnce(&mut [Self; 4]) -> T) -> T;
    /// The `k`-th derivative (k ≤ 2) of `f` at `x`, into `self`.
    fn set_fun_deriv(&mut self, f: Fun, k: u8, x: &Self, ctx: &Self::RCtx) {
        elementary::eval_fun(self, f, k, x, ctx)
    }
}

/// Implements the [`Scalar`] half of a [`Real`] by forwarding to its inherent primitives.
macro_rules! real_scalar_ops {
    () => {
        type Real = Self;
        type Ctx = <Self as $crate::scalar::Real>::RCtx;
        #[inline]
        fn real_ctx(ctx: &Self::Ctx) -> &Self::Ctx {
            ctx
        }
        #[inline]
        fn constant(c: &Self, _ctx: &Self::Ctx) -> Self {
            c.clone()
        }
        #[inline]
        fn value(&self) -> &Self {
            self
        }
        #[inline]
        fn set_constant(&mut self, c: &Self, ctx: &Self::Ctx) {
            $crate::scalar::Scalar::set(self, c, ctx)
        }
        #[inline]
        fn detach(&mut self, _ctx: &Self::Ctx) {}
        #[inline]
        fn set_fun(&mut self, f: $crate::scalar::Fun, a: &Self, ctx: &Self::Ctx) {
            <Self as $crate::scalar::Real>::set_fun_deriv(self, f, 0, a, ctx)
        }
        fn set_fun_rule(&mut self, k: $crate::scalar::rules::GradKernel, a: &Self, _at: $crate::scalar::rules::Lane, ctx: &Self::Ctx) {
            k.forward(self, a, ctx)
        }
        #[inline]
        fn set_fun_known(&mut self, _a: &Self, d: [&Self; 3], ctx: &Self::Ctx) {
            $crate::scalar::Scalar::set(self, d[0], ctx)
        }
        fn dot_policy(
            &mut self,
            a: $crate::scalar::order::Strided<'_, Self>,
            b: $crate::scalar::order::Strided<'_, Self>,
            pd: &$crate::scalar::order::PolicyDot<'_>,
            s: &mut $crate::scalar::order::PolicyScratch,
            value: Option<&Self>,
            ctx: &Self::Ctx,
        ) {
            pd.value_into(self, a.len(), |k| a.get(k), |k| b.get(k), value, s, ctx)
        }
    };
}
pub(crate) use real_scalar_ops;
