//! Hardware `f32` and `f64`.
//!
//! Every primitive is one IEEE 754 operation rounded to nearest-even. Rust never contracts
//! `a*b + c` into an FMA by itself, so `set_mul_add` (`mul_add`) is the only fused path and
//! the FMA policy is entirely the caller's. Transcendentals come from `core-math` (correctly
//! rounded) or, when the context says so, from the `libm` crate. The `exact` order's
//! correctly rounded sums and dot products go through MPFR at the format's precision with the
//! format's exponent range (see [`super::mpfr::IeeeFormat`]), the same code the emulated
//! `binary32`/`binary64` use, so both give the same bits.

use rug::Float;

use super::mpfr::IeeeFormat;
use super::{Consts, MathLib, Real, Scalar};

/// Context of a hardware format.
#[derive(Clone, Debug)]
pub struct HwCtx<T> {
    /// Source of transcendental functions.
    pub math: MathLib,
    /// `fma` policy: sums of products are fused.
    pub fma: bool,
    /// Constants, correctly rounded into the format.
    pub consts: Consts<T>,
}

macro_rules! hw_real {
    ($t:ty, $fmt:expr, $prec:expr, $exp:ident, $ln:ident, $ln1p:ident, $tanh:ident, $erf:ident, $erfc:ident) => {
        impl HwCtx<$t> {
            /// A context with the given math library and FMA policy.
            pub fn new(math: MathLib, fma: bool) -> Self {
                let c = |x: Float| -> $t {
                    let mut y = Float::with_val($prec, 0);
                    let o = y.assign_round_nearest(&x);
                    $fmt.fix(&mut y, o);
                    y.to_f64() as $t
                };
                let big = 256;
                let [k0, gc, k1] = super::gelu_tanh_consts(big);
                let consts = Consts {
                    zero: 0.0,
                    one: 1.0,
                    two: 2.0,
                    half: 0.5,
                    frac_1_sqrt_2: c(Float::with_val(big, 2).sqrt().recip()),
                    frac_1_sqrt_2pi: c((Float::with_val(big, rug::float::Constant::Pi) * 2u32)
                        .sqrt()
                        .recip()),
                    sqrt_2_over_pi: c(k0),
                    gelu_tanh_c: c(gc),
                    gelu_tanh_k1: c(k1),
                };
                HwCtx { math, fma, consts }
            }
        }

        impl Scalar for $t {
            super::real_scalar_ops!();

            #[inline(always)]
            fn set(&mut self, a: &Self, _: &Self::Ctx) {
                *self = *a;
            }
            #[inline(always)]
            fn set_add(&mut self, a: &Self, b: &Self, _: &Self::Ctx) {
                *self = *a + *b;
            }
            #[inline(always)]
            fn set_sub(&mut self, a: &Self, b: &Self, _: &Self::Ctx) {
                *self = *a - *b;
            }
            #[inline(always)]
            fn set_mul(&mut self, a: &Self, b: &Self, _: &Self::Ctx) {
                *self = *a * *b;
            }
            #[inline(always)]
            fn set_div(&mut self, a: &Self, b: &Self, _: &Self::Ctx) {
                *self = *a / *b;
            }
            #[inline(always)]
            fn set_mul_add(&mut self, a: &Self, b: &Self, c: &Self, _: &Self::Ctx) {
                *self = a.mul_add(*b, *c);
            }
            #[inline(always)]
            fn set_neg(&mut self, a: &Self, _: &Self::Ctx) {
                *self = -*a;
            }
            #[inline(always)]
            fn add_assign(&mut self, b: &Self, _: &Self::Ctx) {
                *self += *b;
            }
            #[inline(always)]
            fn mul_add_assign(&mut self, a: &Self, b: &Self, _: &Self::Ctx) {
                *self = a.mul_add(*b, *self);
            }
            fn set_dot_exact<'a, I>(&mut self, terms: I, _: &Self::Ctx)
            where
                Self: 'a,
                I: Iterator<Item = (&'a Self, &'a Self)> + Clone,
            {
                let pairs: Vec<(Float, Float)> = terms
                    .map(|(a, b)| (Float::with_val($prec, *a), Float::with_val($prec, *b)))
                    .collect();
                let mut y = Float::new($prec);
                let o = y.assign_round_nearest(Float::dot(pairs.iter().map(|(a, b)| (a, b))));
                $fmt.fix(&mut y, o);
                *self = y.to_f64() as $t;
            }
            fn set_sum_exact<'a, I>(&mut self, terms: I, _: &Self::Ctx)
            where
                Self: 'a,
                I: Iterator<Item = &'a Self> + Clone,
            {
                let xs: Vec<Float> = terms.map(|a| Float::with_val($prec, *a)).collect();
                let mut y = Float::new($prec);
                let o = y.assign_round_nearest(Float::sum(xs.iter()));
                $fmt.fix(&mut y, o);
                *self = y.to_f64() as $t;
            }
        }

        impl Real for $t {
            type RCtx = HwCtx<$t>;
            #[inline(always)]
            fn consts(ctx: &Self::RCtx) -> &Consts<Self> {
                &ctx.consts
            }
            #[inline(always)]
            fn fma(ctx: &Self::RCtx) -> bool {
                ctx.fma
            }
            fn parse_decimal(text: &str, _: &Self::RCtx) -> Self {
                // Rust's float parsing is correctly rounded (Eisel–Lemire with a big-decimal
                // fallback), directly into the target format: no double rounding via f64.
                text.parse::<$t>().expect("validated JSON number")
            }
            fn from_f64(x: f64, _: &Self::RCtx) -> Self {
                x as $t
            }
            fn from_float(x: &Float, _: &Self::RCtx) -> Self {
                let mut y = Float::new($prec);
                let o = y.assign_round_nearest(x);
                $fmt.fix(&mut y, o);
                y.to_f64() as $t
            }
            fn to_f64(&self) -> f64 {
                *self as f64
            }
            fn exact_f64(&self) -> Option<f64> {
                Some(*self as f64)
            }
            fn to_float(&self) -> Float {
                Float::with_val($prec, *self)
            }
            fn to_decimal(&self, _: &Self::RCtx) -> String {
                // `{:e}` prints the shortest digit string that reads back to the same value.
                format!("{:e}", self)
            }
            fn bits_eq(&self, other: &Self) -> bool {
                self.to_bits() == other.to_bits()
            }
            fn is_positive(&self) -> bool {
                *self > 0.0
            }
            fn gt(&self, other: &Self) -> bool {
                *self > *other
            }
            fn is_finite(&self) -> bool {
                <$t>::is_finite(*self)
            }
            fn is_zero(&self) -> bool {
                *self == 0.0
            }
            #[inline]
            fn set_abs(&mut self, a: &Self, _: &Self::RCtx) {
                *self = a.abs();
            }
            #[inline]
            fn set_exp(&mut self, a: &Self, ctx: &Self::RCtx) {
                *self = match ctx.math {
                    MathLib::CoreMath => core_math::$exp(*a),
                    MathLib::Libm => libm::$exp(*a),
                };
            }
            #[inline]
            fn set_ln(&mut self, a: &Self, ctx: &Self::RCtx) {
                *self = match ctx.math {
                    MathLib::CoreMath => core_math::$ln(*a),
                    MathLib::Libm => libm::$ln(*a),
                };
            }
            #[inline]
            fn set_ln_1p(&mut self, a: &Self, ctx: &Self::RCtx) {
                *self = match ctx.math {
                    MathLib::CoreMath => core_math::$ln1p(*a),
                    MathLib::Libm => libm::$ln1p(*a),
                };
            }
            #[inline]
            fn set_tanh(&mut self, a: &Self, ctx: &Self::RCtx) {
                *self = match ctx.math {
                    MathLib::CoreMath => core_math::$tanh(*a),
                    MathLib::Libm => libm::$tanh(*a),
                };
            }
            #[inline]
            fn set_erf(&mut self, a: &Self, ctx: &Self::RCtx) {
                *self = match ctx.math {
                    MathLib::CoreMath => core_math::$erf(*a),
                    MathLib::Libm => libm::$erf(*a),
                };
            }
            fn set_erfc(&mut self, a: &Self, ctx: &Self::RCtx) {
                *self = match ctx.math {
                    MathLib::CoreMath => core_math::$erfc(*a),
                    MathLib::Libm => libm::$erfc(*a),
                };
            }
            #[inline(always)]
            fn with_scratch<T>(_: &Self::RCtx, f: impl FnOnce(&mut [Self; 4]) -> T) -> T {
                f(&mut [0.0; 4])
            }
        }
    };
}

hw_real!(f32, IeeeFormat::BINARY32, 24, expf, logf, log1pf, tanhf, erff, erfcf);
hw_real!(f64, IeeeFormat::BINARY64, 53, exp, log, log1p, tanh, erf, erfc);

/// Extension used above: assign with round-to-nearest, returning the ternary value.
trait AssignNearest<T> {
    fn assign_round_nearest(&mut self, src: T) -> std::cmp::Ordering;
}

impl<T> AssignNearest<T> for Float
where
    Float: rug::ops::AssignRound<T, Round = rug::float::Round, Ordering = std::cmp::Ordering>,
{
    fn assign_round_nearest(&mut self, src: T) -> std::cmp::Ordering {
        rug::ops::AssignRound::assign_round(self, src, rug::float::Round::Nearest)
    }
}
