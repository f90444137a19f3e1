//! `mp:<bits>` for 2 ≤ bits ≤ 320 in a fixed-width software float, **bit-identical to MPFR**
//! and several times faster: no allocation, no pointer to follow, values on the stack.
//!
//! [`Fixed<L>`] holds a significand of `L` 64-bit limbs, an exponent and a sign; every
//! primitive the engine runs — `+ − · /`, the fused `a·b + c`, and the correctly rounded sums
//! and dot products of the `exact` order — is computed exactly and rounded once to nearest-even
//! at the context's precision ([`core`], whose docs give the arguments), which is by definition
//! what MPFR returns. The rare cases MPFR's semantics decide alone are handed to MPFR itself:
//! an infinite or NaN operand, a division by zero, a result outside MPFR's exponent range, and
//! an exact sum whose terms' exponents spread over more than `64(2L + 1)` bits. The
//! transcendentals (`exp`, `ln`, `ln(1 + x)`, `tanh`, `erf`) are MPFR's too: they run once per
//! primal value, and the conversions both ways are exact. Every primitive is counted as the
//! MPFR operation it stands for ([`super::opcount`]), so `clairaut bench` prices the same
//! operations whichever arithmetic ran them.
//!
//! [`Fixed<4>`] holds `mp:2` … `mp:256` and [`Fixed<5>`] `mp:257` … `mp:320` ([`fits`]).
//! **The arithmetic of `mp:<bits>` up to 320 bits** ([`super::precision::MpKernel`]): the
//! run-time dispatch runs `mp:<bits>` cells on it, and the truth and the cells' truth-precision
//! Hessians go through `hessian::compute_mp`; `CLAIRAUT_MP_KERNEL=mpfr` runs MPFR instead (the
//! same bits). Measured on the development machine (`clairaut bench mp-kernel`, BENCHMARKS.md)
//! it is about 1.5–1.6× faster than MPFR on mp:256 `fwd-rev`, short of the 3× issue 17 asks.
//! Tested primitive by primitive against MPFR on random and edge operands (ties, carries,
//! cancellation, gaps at limb boundaries, signed zeros, exponent-range limits), and Hessian by
//! Hessian against the MPFR path for every method, order and FMA policy
//! (`tests/it/bit_identity.rs`).

pub mod core;
#[cfg(test)]
mod tests;

use rug::Float;

pub use self::core::{Fixed, Kind, MAX_LIMBS};
use self::core::Rounding;
use super::mpfr::{MpCtx, MIN_PREC};
use super::opcount::{count, Op};
use super::{Consts, Real, Scalar};

/// Whether `mp:<bits>` runs on a [`Fixed`] (2 ≤ bits ≤ 320).
pub fn fits(bits: u32) -> bool {
    (MIN_PREC..=64 * MAX_LIMBS as u32).contains(&bits)
}

/// Context of `mp:<bits>` on [`Fixed<L>`]: the precision and MPFR's exponent range, the MPFR
/// context of the same precision (the fallback and the transcendentals), the constants.
#[derive(Clone, Debug)]
pub struct FixedCtx<const L: usize> {
    /// The MPFR context of the same precision and FMA policy.
    pub mp: MpCtx,
    r: Rounding,
    consts: Consts<Fixed<L>>,
}

impl<const L: usize> FixedCtx<L> {
    /// The context of `mp:<prec>`, which `L` limbs must hold (`prec ≤ 64·L`).
    pub fn new(prec: u32, fma: bool) -> Self {
        assert!(core::fits::<L>(prec) && prec >= MIN_PREC, "mp:{prec} does not fit {L} limbs");
        let mp = MpCtx::new(prec, None, fma);
        let r = Rounding { prec, emin: i64::from(rug::float::exp_min()), emax: i64::from(rug::float::exp_max()) };
        let k = &mp.consts;
        let [zero, one, two, half, frac_1_sqrt_2, frac_1_sqrt_2pi, sqrt_2_over_pi, gelu_tanh_c, gelu_tanh_k1] =
            [&k.zero, &k.one, &k.two, &k.half, &k.frac_1_sqrt_2, &k.frac_1_sqrt_2pi, &k.sqrt_2_over_pi, &k.gelu_tanh_c, &k.gelu_tanh_k1]
                .map(core::from_mpfr::<L>);
        let consts = Consts { zero, one, two, half, frac_1_sqrt_2, frac_1_sqrt_2pi, sqrt_2_over_pi, gelu_tanh_c, gelu_tanh_k1 };
        FixedCtx { mp, r, consts }
    }

    /// `f(y, a)` in MPFR (`y` of this precision, `a` exactly `x`), converted back (exactly):
    /// the transcendentals, which `Float`'s primitives compute and count.
    fn in_mpfr(&self, x: &Fixed<L>, f: impl FnOnce(&mut Float, &Float)) -> Fixed<L> {
        let mut y = Float::new(self.r.prec);
        f(&mut y, &self.float(x));
        core::from_mpfr(&y)
    }

    /// `x` as an MPFR number of this precision (exact).
    #[inline]
    fn float(&self, x: &Fixed<L>) -> Float {
        core::to_mpfr(x, self.r.prec)
    }
}

/// `out = fast` when the fixed-width primitive decides the result (counted as the MPFR
/// operation `op` it stands for, [`super::opcount`]), else MPFR's own primitive (`Float`'s,
/// which counts itself) on the exact MPFR values of the operands. Each arm stores into `out`
/// itself: a result shared by both arms goes through a stack copy whose field-by-field stores
/// and wider reloads stall store forwarding (a quarter of a product's time, measured).
macro_rules! or_mpfr {
    ($ctx:expr, $out:expr, $fast:expr, $op:expr, |$y:ident, $($a:ident),*| $mp:expr) => {{
        match $fast {
            Some(v) => {
                count($op);
                *$out = v;
            }
            None => or_mpfr!(@slow $ctx, $out, |$y, $($a),*| $mp),
        }
    }};
    (@slow $ctx:expr, $out:expr, |$y:ident, $($a:ident),*| $mp:expr) => {{
        $(let $a = $ctx.float($a);)*
        let mut $y = Float::new($ctx.r.prec);
        $mp;
        *$out = core::from_mpfr(&$y);
    }};
}

impl<const L: usize> Scalar for Fixed<L> {
    super::real_scalar_ops!();

    #[inline(always)]
    fn set(&mut self, a: &Self, _: &Self::Ctx) {
        *self = *a;
    }
    #[inline]
    fn set_add(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        or_mpfr!(ctx, self, core::add(a, b, ctx.r), Op::AddSub.with_zeros(a.is_zero(), b.is_zero()), |y, a, b| y.set_add(&a, &b, &ctx.mp))
    }
    #[inline]
    fn set_sub(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        or_mpfr!(ctx, self, core::sub(a, b, ctx.r), Op::AddSub.with_zeros(a.is_zero(), b.is_zero()), |y, a, b| y.set_sub(&a, &b, &ctx.mp))
    }
    #[inline]
    fn set_mul(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        or_mpfr!(ctx, self, core::mul(a, b, ctx.r), Op::Mul.with_zeros(a.is_zero(), b.is_zero()), |y, a, b| y.set_mul(&a, &b, &ctx.mp))
    }
    #[inline]
    fn set_div(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        or_mpfr!(ctx, self, core::div(a, b, ctx.r), Op::Div.with_zeros(a.is_zero(), b.is_zero()), |y, a, b| y.set_div(&a, &b, &ctx.mp))
    }
    #[inline]
    fn set_mul_add(&mut self, a: &Self, b: &Self, c: &Self, ctx: &Self::Ctx) {
        or_mpfr!(ctx, self, core::fma(a, b, c, ctx.r), Op::Fma.with_zeros(a.is_zero(), b.is_zero()), |y, a, b, c| y.set_mul_add(&a, &b, &c, &ctx.mp))
    }
    #[inline(always)]
    fn set_neg(&mut self, a: &Self, _: &Self::Ctx) {
        *self = a.negated();
    }
    #[inline]
    fn add_assign(&mut self, b: &Self, ctx: &Self::Ctx) {
        // no copy of `self` on the fast path (it was just stored: a copy would reload it)
        let op = Op::AddSub.with_zeros(self.is_zero(), b.is_zero());
        match core::add(self, b, ctx.r) {
            Some(v) => {
                count(op);
                *self = v;
            }
            None => {
                let a = *self;
                let a = &a;
                or_mpfr!(@slow ctx, self, |y, a, b| y.set_add(&a, &b, &ctx.mp))
            }
        }
    }
    #[inline]
    fn mul_add_assign(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        let op = Op::Fma.with_zeros(a.is_zero(), b.is_zero());
        match core::fma(a, b, self, ctx.r) {
            Some(v) => {
                count(op);
                *self = v;
            }
            None => {
                let c = *self;
                let c = &c;
                or_mpfr!(@slow ctx, self, |y, a, b, c| y.set_mul_add(&a, &b, &c, &ctx.mp))
            }
        }
    }
    fn set_dot_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = (&'a Self, &'a Self)> + Clone,
    {
        *self = match core::dot_exact(terms.clone(), ctx.r) {
            Some(v) => {
                count(Op::Exact);
                v
            }
            None => {
                let pairs: Vec<(Float, Float)> = terms.map(|(a, b)| (ctx.float(a), ctx.float(b))).collect();
                let mut y = Float::new(ctx.r.prec);
                y.set_dot_exact(pairs.iter().map(|(a, b)| (a, b)), &ctx.mp);
                core::from_mpfr(&y)
            }
        };
    }
    fn set_sum_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = &'a Self> + Clone,
    {
        *self = match core::sum_exact(terms.clone(), ctx.r) {
            Some(v) => {
                count(Op::Exact);
                v
            }
            None => {
                let xs: Vec<Float> = terms.map(|a| ctx.float(a)).collect();
                let mut y = Float::new(ctx.r.prec);
                y.set_sum_exact(xs.iter(), &ctx.mp);
                core::from_mpfr(&y)
            }
        };
    }
}

impl<const L: usize> Real for Fixed<L> {
    type RCtx = FixedCtx<L>;

    #[inline(always)]
    fn consts(ctx: &FixedCtx<L>) -> &Consts<Self> {
        &ctx.consts
    }
    #[inline(always)]
    fn fma(ctx: &FixedCtx<L>) -> bool {
        ctx.mp.fma
    }
    fn parse_decimal(text: &str, ctx: &FixedCtx<L>) -> Self {
        core::from_mpfr(&<Float as Real>::parse_decimal(text, &ctx.mp))
    }
    fn from_f64(x: f64, ctx: &FixedCtx<L>) -> Self {
        core::from_mpfr(&<Float as Real>::from_f64(x, &ctx.mp))
    }
    fn from_float(x: &Float, ctx: &FixedCtx<L>) -> Self {
        core::from_mpfr(&ctx.mp.round(x))
    }
    fn to_f64(&self) -> f64 {
        self.to_float().to_f64()
    }
    fn to_float(&self) -> Float {
        core::to_mpfr(self, self.prec)
    }
    fn to_decimal(&self, ctx: &FixedCtx<L>) -> String {
        ctx.float(self).to_decimal(&ctx.mp)
    }
    fn bits_eq(&self, other: &Self) -> bool {
        self == other
    }
    fn is_positive(&self) -> bool {
        !self.neg && matches!(self.kind, Kind::Finite | Kind::Inf)
    }
    fn gt(&self, other: &Self) -> bool {
        core::cmp(self, other) == Some(std::cmp::Ordering::Greater)
    }
    fn is_finite(&self) -> bool {
        matches!(self.kind, Kind::Zero | Kind::Finite)
    }
    fn is_zero(&self) -> bool {
        self.kind == Kind::Zero
    }
    #[inline]
    fn set_abs(&mut self, a: &Self, _: &FixedCtx<L>) {
        *self = Fixed { neg: false, ..*a };
    }
    fn set_exp(&mut self, a: &Self, ctx: &FixedCtx<L>) {
        *self = ctx.in_mpfr(a, |y, a| y.set_exp(a, &ctx.mp));
    }
    fn set_ln(&mut self, a: &Self, ctx: &FixedCtx<L>) {
        *self = ctx.in_mpfr(a, |y, a| y.set_ln(a, &ctx.mp));
    }
    fn set_ln_1p(&mut self, a: &Self, ctx: &FixedCtx<L>) {
        *self = ctx.in_mpfr(a, |y, a| y.set_ln_1p(a, &ctx.mp));
    }
    fn set_tanh(&mut self, a: &Self, ctx: &FixedCtx<L>) {
        *self = ctx.in_mpfr(a, |y, a| y.set_tanh(a, &ctx.mp));
    }
    fn set_erf(&mut self, a: &Self, ctx: &FixedCtx<L>) {
        *self = ctx.in_mpfr(a, |y, a| y.set_erf(a, &ctx.mp));
    }
    #[inline(always)]
    fn with_scratch<T>(ctx: &FixedCtx<L>, f: impl FnOnce(&mut [Self; 4]) -> T) -> T {
        f(&mut [ctx.consts.zero; 4])
    }
}
