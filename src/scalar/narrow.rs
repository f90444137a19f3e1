//! `binary16` and `bfloat16` in hardware `f64`, bit-identical to their MPFR emulation.
//!
//! A value is stored as the `f64` it equals. Each primitive computes in `f64` — one IEEE
//! operation, or a correctly rounded `core-math` function, so the `f64` result `v` is `x`
//! rounded to nearest in `f64` (`RN₅₃(x)`, x the exact result) — and then rounds `v` to the
//! format (its precision, subnormals and overflow). That second rounding gives `RN(x)` exactly
//! unless `v` is a midpoint of the format's grid: a midpoint m has at most P + 1 ≤ 26
//! significant bits and lies inside `f64`'s range, so it is an `f64`, and if x and v lay on different sides of m, m would be an `f64` nearer to
//! x than v is. When v *is* a midpoint, the side x lies on is unknown (or x is the tie), and the
//! primitive is recomputed in MPFR (the [`super::mpfr`] emulation, the reference); this happens
//! on a vanishing fraction of operations. Products of two narrow values are exact in `f64`, and
//! sums (also `a·b + c`) carry their exact rounding error (TwoSum), which decides the side at a
//! midpoint, so only quotients and transcendentals ever fall back to MPFR.
//!
//! The result: every primitive equals the MPFR emulation's bit for bit (tested per primitive on
//! random and edge operands, and per Hessian for every method, order and FMA policy), at about
//! a fifth of the time (BENCHMARKS.md). Transcendentals always come from `core-math` (the MPFR
//! emulation's are correctly rounded too; `libm` is not), whatever the context's math library.

use rug::float::Round;
use rug::ops::AssignRound;
use rug::Float;

use super::mpfr::{IeeeFormat, MpCtx};
use super::{Consts, Real, Scalar};

/// A value of a narrow IEEE format of `P` significand bits (its exponent range is in the
/// context), held exactly as an `f64`.
#[derive(Clone, Copy, Debug)]
pub struct Narrow<const P: u32>(pub f64);

/// IEEE binary16.
pub type Binary16 = Narrow<11>;
/// bfloat16.
pub type Bfloat16 = Narrow<8>;

/// Context of a narrow format.
#[derive(Clone, Debug)]
pub struct NarrowCtx {
    /// The format.
    pub format: IeeeFormat,
    /// The MPFR emulation of the same format and FMA policy (the fallback and reference).
    pub mp: MpCtx,
    /// Largest finite value.
    max: f64,
}

impl NarrowCtx {
    /// A context for `format`, which must be narrow enough ([`NarrowCtx::supports`]).
    pub fn new(format: IeeeFormat, fma: bool) -> Self {
        assert!(Self::supports(format), "{} is not a narrow format", format.name);
        let mp = MpCtx::new(format.prec, Some(format), fma);
        // (1 − 2^-p)·2^emax
        let max = (1.0 - f64::powi(2.0, -(format.prec as i32))) * f64::powi(2.0, format.emax);
        NarrowCtx { format, mp, max }
    }

    /// Whether `format` can be computed this way: `f64` holds every product exactly (2p ≤ 53),
    /// every midpoint of the format, and the whole exponent range with room to spare.
    pub fn supports(format: IeeeFormat) -> bool {
        2 * format.prec + 2 <= 53 && format.emax <= 512 && format.normal_exp_min - (format.prec as i32) >= -512
    }

    /// `RN(x)` in the format, from `v = RN₅₃(x)` and what is known of `x − v`: `err` is that
    /// difference exactly (0 when v is exact), or NaN when unknown — then `None` is returned if
    /// `v` is a midpoint of the format's grid (the side x lies on is not known).
    #[inline(always)]
    fn round<const P: u32>(&self, v: f64, err: f64) -> Option<Narrow<P>> {
        if v == 0.0 || !v.is_finite() {
            return Some(Narrow(if v.is_nan() { f64::NAN } else { v }));
        }
        // v = m·2^e with ½ ≤ m < 1 (MPFR's convention); f64 subnormals are far below the grid.
        let e = ((v.to_bits() >> 52) & 0x7ff) as i32 - 1022;
        let q = e.max(self.format.normal_exp_min) - self.format.prec as i32; // ulp = 2^q
        let s = v * pow2(-q); // exact, |s| < 2^P
        // round half to even (|s| < 2^51)
        const C: f64 = 6_755_399_441_055_744.0; // 1.5·2^52
        let mut r = (s + C) - C;
        if (s - r).abs() == 0.5 && err != 0.0 {
            if err.is_nan() {
                return None;
            }
            // x = v + err lies beyond the midpoint s on err's side
            r = if err > 0.0 { s + 0.5 } else { s - 0.5 };
        }
        // x and its rounding have the same sign, a rounding to zero included
        let out = r.copysign(s) * pow2(q);
        Some(Narrow(if out.abs() > self.max { f64::INFINITY.copysign(v) } else { out }))
    }
}

/// `(a + b, (a + b) − RN(a + b))` exactly (Knuth's TwoSum; no overflow in narrow ranges).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// 2^k for |k| ≤ 1022.
#[inline(always)]
fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

impl<const P: u32> Narrow<P> {
    /// This value as an MPFR number of the format's precision (exact).
    fn mp(self) -> Float {
        Float::with_val(P, self.0)
    }
}

/// A [`NarrowCtx`] with the constants as values of `Narrow<P>`.
#[derive(Clone, Debug)]
pub struct NarrowRCtx<const P: u32> {
    /// The format's context.
    pub inner: NarrowCtx,
    consts: Consts<Narrow<P>>,
}

impl<const P: u32> NarrowRCtx<P> {
    /// The context of `format` (with `format.prec == P`) under an FMA policy.
    pub fn new(format: IeeeFormat, fma: bool) -> Self {
        assert_eq!(format.prec, P, "{} has {} bits", format.name, format.prec);
        let inner = NarrowCtx::new(format, fma);
        // the MPFR emulation's constants, correctly rounded into the format (exact in f64)
        let k = &inner.mp.consts;
        let [zero, one, two, half, frac_1_sqrt_2, frac_1_sqrt_2pi, sqrt_2_over_pi, gelu_tanh_c, gelu_tanh_k1] =
            [&k.zero, &k.one, &k.two, &k.half, &k.frac_1_sqrt_2, &k.frac_1_sqrt_2pi, &k.sqrt_2_over_pi, &k.gelu_tanh_c, &k.gelu_tanh_k1].map(|x| Narrow(x.to_f64()));
        let consts = Consts { zero, one, two, half, frac_1_sqrt_2, frac_1_sqrt_2pi, sqrt_2_over_pi, gelu_tanh_c, gelu_tanh_k1 };
        NarrowRCtx { inner, consts }
    }
}

impl<const P: u32> std::ops::Deref for NarrowRCtx<P> {
    type Target = NarrowCtx;
    fn deref(&self) -> &NarrowCtx {
        &self.inner
    }
}

/// `out = f(args)`: the `f64` result `v` rounded to the format, or — when `v` is a midpoint —
/// `mp(args as MPFR numbers)` rounded by the MPFR emulation.
macro_rules! narrow_op {
    ($ctx:expr, $out:expr, $v:expr, |$($a:ident),*| $mp:expr) => {{
        let v: f64 = $v;
        *$out = match $ctx.round(v, f64::NAN) {
            Some(x) => x,
            None => {
                $(let $a = $a.mp();)*
                let mut y = Float::new($ctx.format.prec);
                let o = y.assign_round($mp, Round::Nearest);
                $ctx.format.fix(&mut y, o);
                Narrow(y.to_f64())
            }
        };
    }};
}

impl<const P: u32> Scalar for Narrow<P> {
    super::real_scalar_ops!();

    #[inline(always)]
    fn set(&mut self, a: &Self, _: &Self::Ctx) {
        *self = *a;
    }
    #[inline]
    fn set_add(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        let (s, err) = two_sum(a.0, b.0);
        *self = ctx.round(s, err).expect("error known");
    }
    #[inline]
    fn set_sub(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        let (s, err) = two_sum(a.0, -b.0);
        *self = ctx.round(s, err).expect("error known");
    }
    #[inline]
    fn set_mul(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        // exact in f64 (2P ≤ 53 bits): one rounding, a midpoint is a true tie
        *self = ctx.round(a.0 * b.0, 0.0).expect("exact");
    }
    #[inline]
    fn set_div(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        let (a, b) = (*a, *b);
        narrow_op!(ctx, self, a.0 / b.0, |a, b| &a / &b)
    }
    #[inline]
    fn set_mul_add(&mut self, a: &Self, b: &Self, c: &Self, ctx: &Self::Ctx) {
        // a·b is exact in f64; then one sum with its exact error
        let (s, err) = two_sum(a.0 * b.0, c.0);
        *self = ctx.round(s, err).expect("error known");
    }
    #[inline(always)]
    fn set_neg(&mut self, a: &Self, _: &Self::Ctx) {
        *self = Narrow(-a.0);
    }
    #[inline]
    fn add_assign(&mut self, b: &Self, ctx: &Self::Ctx) {
        let a = *self;
        self.set_add(&a, b, ctx);
    }
    #[inline]
    fn mul_add_assign(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        let c = *self;
        self.set_mul_add(a, b, &c, ctx);
    }
    fn set_dot_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = (&'a Self, &'a Self)> + Clone,
    {
        let pairs: Vec<(Float, Float)> = terms.map(|(a, b)| (a.mp(), b.mp())).collect();
        let mut y = Float::new(ctx.format.prec);
        y.set_dot_exact(pairs.iter().map(|(a, b)| (a, b)), &ctx.mp);
        *self = Narrow(y.to_f64());
    }
    fn set_sum_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = &'a Self> + Clone,
    {
        let xs: Vec<Float> = terms.map(|a| a.mp()).collect();
        let mut y = Float::new(ctx.format.prec);
        y.set_sum_exact(xs.iter(), &ctx.mp);
        *self = Narrow(y.to_f64());
    }
}

impl<const P: u32> Real for Narrow<P> {
    type RCtx = NarrowRCtx<P>;

    #[inline(always)]
    fn consts(ctx: &NarrowRCtx<P>) -> &Consts<Self> {
        &ctx.consts
    }
    #[inline(always)]
    fn fma(ctx: &NarrowRCtx<P>) -> bool {
        ctx.mp.fma
    }
    fn parse_decimal(text: &str, ctx: &NarrowRCtx<P>) -> Self {
        Narrow(<Float as Real>::parse_decimal(text, &ctx.mp).to_f64())
    }
    fn from_f64(x: f64, ctx: &NarrowRCtx<P>) -> Self {
        ctx.round(x, 0.0).expect("exact")
    }
    fn from_float(x: &Float, ctx: &NarrowRCtx<P>) -> Self {
        Narrow(ctx.mp.round(x).to_f64())
    }
    fn to_f64(&self) -> f64 {
        self.0
    }
    fn exact_f64(&self) -> Option<f64> {
        Some(self.0)
    }
    fn to_float(&self) -> Float {
        self.mp()
    }
    fn to_decimal(&self, ctx: &NarrowRCtx<P>) -> String {
        self.mp().to_decimal(&ctx.mp)
    }
    fn bits_eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits() || (self.0.is_nan() && other.0.is_nan())
    }
    fn is_positive(&self) -> bool {
        self.0 > 0.0
    }
    fn gt(&self, other: &Self) -> bool {
        self.0 > other.0
    }
    fn is_finite(&self) -> bool {
        self.0.is_finite()
    }
    fn is_zero(&self) -> bool {
        self.0 == 0.0
    }
    #[inline]
    fn set_abs(&mut self, a: &Self, _: &NarrowRCtx<P>) {
        *self = Narrow(a.0.abs());
    }
    #[inline]
    fn set_exp(&mut self, a: &Self, ctx: &NarrowRCtx<P>) {
        let a = *a;
        narrow_op!(ctx, self, core_math::exp(a.0), |a| a.exp_ref())
    }
    #[inline]
    fn set_ln(&mut self, a: &Self, ctx: &NarrowRCtx<P>) {
        let a = *a;
        narrow_op!(ctx, self, core_math::log(a.0), |a| a.ln_ref())
    }
    #[inline]
    fn set_ln_1p(&mut self, a: &Self, ctx: &NarrowRCtx<P>) {
        let a = *a;
        narrow_op!(ctx, self, core_math::log1p(a.0), |a| a.ln_1p_ref())
    }
    #[inline]
    fn set_tanh(&mut self, a: &Self, ctx: &NarrowRCtx<P>) {
        let a = *a;
        narrow_op!(ctx, self, core_math::tanh(a.0), |a| a.tanh_ref())
    }
    #[inline]
    fn set_erf(&mut self, a: &Self, ctx: &NarrowRCtx<P>) {
        let a = *a;
        narrow_op!(ctx, self, core_math::erf(a.0), |a| a.erf_ref())
    }
    #[inline(always)]
    fn with_scratch<T>(_: &NarrowRCtx<P>, f: impl FnOnce(&mut [Self; 4]) -> T) -> T {
        f(&mut [Narrow(0.0); 4])
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn random_value(rng: &mut ChaCha8Rng, f: IeeeFormat) -> f64 {
        // Any finite value of the format, subnormals and the largest included, by drawing a
        // significand and an exponent (and sometimes a special value).
        match rng.gen_range(0..40) {
            0 => 0.0,
            1 => -0.0,
            2 => f64::INFINITY,
            3 => (1.0 - f64::powi(2.0, -(f.prec as i32))) * f64::powi(2.0, f.emax),
            _ => {
                let m = rng.gen_range(1u64..(1 << f.prec)) as f64;
                let lo = f.normal_exp_min - f.prec as i32; // smallest quantum exponent
                let e = rng.gen_range(lo..=f.emax - f.prec as i32);
                let v = m * f64::powi(2.0, e);
                let v = if rng.gen_bool(0.5) { -v } else { v };
                let ctx = MpCtx::new(f.prec, Some(f), false);
                ctx.round(&Float::with_val(64, v)).to_f64()
            }
        }
    }

    fn same(a: f64, b: &Float) -> bool {
        let b = b.to_f64();
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn every_primitive_equals_the_mpfr_emulation() {
        let mut rng = ChaCha8Rng::seed_from_u64(16);
        check_format::<11>(IeeeFormat::BINARY16, &mut rng);
        check_format::<8>(IeeeFormat::BFLOAT16, &mut rng);
    }

    fn check_format<const P: u32>(f: IeeeFormat, rng: &mut ChaCha8Rng) {
        {
            let nc = NarrowRCtx::<P>::new(f, true);
            let mc = &nc.mp;
            for _ in 0..200_000 {
                let (x, y, z) = (random_value(rng, f), random_value(rng, f), random_value(rng, f));
                // operands near each other too (cancellation), and small arguments for exp
                let y = if rng.gen_bool(0.2) { x * (1.0 + f64::powi(2.0, -rng.gen_range(1..12))) } else { y };
                let (a, b, c) = (Narrow::<P>(x), Narrow::<P>::from_f64(y, &nc), Narrow::<P>(z));
                let (fa, fb, fc) = (a.to_float(), b.to_float(), c.to_float());
                let mut n = Narrow::<P>(0.0);
                let mut m = Float::new(f.prec);
                macro_rules! check {
                    ($name:literal, $nop:expr, $mop:expr) => {{
                        $nop;
                        $mop;
                        assert!(same(n.0, &m), "{} {}: {x:e} {y:e} {z:e}: narrow {:e}, mpfr {}", f.name, $name, n.0, m);
                    }};
                }
                check!("add", n.set_add(&a, &b, &nc), m.set_add(&fa, &fb, mc));
                check!("sub", n.set_sub(&a, &b, &nc), m.set_sub(&fa, &fb, mc));
                check!("mul", n.set_mul(&a, &b, &nc), m.set_mul(&fa, &fb, mc));
                check!("div", n.set_div(&a, &b, &nc), m.set_div(&fa, &fb, mc));
                check!("fma", n.set_mul_add(&a, &b, &c, &nc), m.set_mul_add(&fa, &fb, &fc, mc));
                let small = Narrow::<P>::from_f64(x / f64::powi(2.0, rng.gen_range(0..20)), &nc);
                let fs = small.to_float();
                check!("exp", n.set_exp(&small, &nc), m.set_exp(&fs, mc));
                check!("ln", n.set_ln(&a, &nc), m.set_ln(&fa, mc));
                check!("ln_1p", n.set_ln_1p(&small, &nc), m.set_ln_1p(&fs, mc));
                check!("tanh", n.set_tanh(&small, &nc), m.set_tanh(&fs, mc));
                check!("erf", n.set_erf(&small, &nc), m.set_erf(&fs, mc));
            }
            // every binary16 value through exp/tanh/erf (bfloat16: every value of one binade
            // per exponent would be 2^16 values as well)
            if f == IeeeFormat::BINARY16 {
                for bits in 0u16..=u16::MAX {
                    let v = half_to_f64(bits);
                    let (a, fa) = (Narrow::<P>(v), Float::with_val(f.prec, v));
                    let mut n = Narrow::<P>(0.0);
                    let mut m = Float::new(f.prec);
                    for k in 0..3 {
                        match k {
                            0 => (n.set_exp(&a, &nc), m.set_exp(&fa, mc)),
                            1 => (n.set_tanh(&a, &nc), m.set_tanh(&fa, mc)),
                            _ => (n.set_erf(&a, &nc), m.set_erf(&fa, mc)),
                        };
                        assert!(same(n.0, &m), "fn {k} of {v:e}: narrow {:e}, mpfr {}", n.0, m);
                    }
                }
            }
        }
    }

    /// The value of an IEEE binary16 bit pattern.
    fn half_to_f64(bits: u16) -> f64 {
        let sign = if bits >> 15 == 1 { -1.0 } else { 1.0 };
        let exp = ((bits >> 10) & 0x1f) as i32;
        let frac = (bits & 0x3ff) as f64;
        sign * match exp {
            0 => frac * f64::powi(2.0, -24),
            31 if frac == 0.0 => f64::INFINITY,
            31 => f64::NAN,
            _ => (1024.0 + frac) * f64::powi(2.0, exp - 25),
        }
    }

    #[test]
    fn rounding_at_the_edges_of_the_range() {
        let c = NarrowRCtx::<11>::new(IeeeFormat::BINARY16, false);
        let r = |v: f64| Binary16::from_f64(v, &c).0;
        assert_eq!(r(65504.0), 65504.0);
        assert_eq!(r(65519.9), 65504.0);
        assert_eq!(r(65520.0), f64::INFINITY); // the tie rounds to even = 2^16: overflow
        assert_eq!(r(f64::powi(2.0, -24)), f64::powi(2.0, -24)); // smallest subnormal
        assert_eq!(r(f64::powi(2.0, -25)), 0.0); // tie to even: 0
        assert_eq!(r(-f64::powi(2.0, -25) * 1.5), -f64::powi(2.0, -24));
        assert!(r(-f64::powi(2.0, -26)).is_sign_negative());
    }
}
