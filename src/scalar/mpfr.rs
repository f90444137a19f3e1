//! MPFR numbers ([`rug::Float`]) at any precision, and IEEE interchange formats emulated in MPFR.
//!
//! An `mp:<bits>` context rounds every primitive to `bits` bits with MPFR's (practically
//! unbounded) exponent range. An emulated format ([`IeeeFormat`]: `binary16`, `bfloat16`,
//! `binary32`, `binary64`) rounds to the format's precision and then applies the format's
//! exponent range: gradual underflow with `mpfr_subnormalize` (which uses the first rounding's
//! ternary value, so there is no double rounding), and overflow to ±∞ when the rounded value
//! exceeds the largest finite number. Each primitive is therefore exactly the IEEE operation, and
//! `binary64` / `binary32` reproduce hardware `f64` / `f32` bit for bit.

use std::cell::RefCell;
use std::cmp::Ordering;

use rug::float::{Constant, Round};
use rug::ops::AssignRound;
use rug::Float;

use super::opcount::{count, count2, Op};
use super::{Consts, Real, Scalar};

/// Smallest and largest MPFR precision accepted (`mp:<bits>`).
pub const MIN_PREC: u32 = 2;
/// Largest accepted precision (2^20 bits).
pub const MAX_PREC: u32 = 1 << 20;

/// An IEEE-754-style binary format emulated in MPFR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IeeeFormat {
    /// Canonical name (`binary16`, `bfloat16`, `binary32`, `binary64`).
    pub name: &'static str,
    /// Significand precision in bits, the hidden bit included.
    pub prec: u32,
    /// MPFR exponent of the smallest normal number (value = m·2^e with ½ ≤ m < 1).
    pub normal_exp_min: i32,
    /// MPFR exponent of the largest finite number; a rounded result above it is ±∞.
    pub emax: i32,
}

impl IeeeFormat {
    /// IEEE binary16 (half): 11 bits, normal range [2^-14, 65504].
    pub const BINARY16: IeeeFormat =
        IeeeFormat { name: "binary16", prec: 11, normal_exp_min: -13, emax: 16 };
    /// bfloat16: 8 bits with binary32's exponent range.
    pub const BFLOAT16: IeeeFormat =
        IeeeFormat { name: "bfloat16", prec: 8, normal_exp_min: -125, emax: 128 };
    /// IEEE binary32 (single).
    pub const BINARY32: IeeeFormat =
        IeeeFormat { name: "binary32", prec: 24, normal_exp_min: -125, emax: 128 };
    /// IEEE binary64 (double).
    pub const BINARY64: IeeeFormat =
        IeeeFormat { name: "binary64", prec: 53, normal_exp_min: -1021, emax: 1024 };

    /// All emulated formats.
    pub const ALL: [IeeeFormat; 4] =
        [Self::BINARY16, Self::BFLOAT16, Self::BINARY32, Self::BINARY64];

    /// Looks a format up by its canonical name.
    pub fn by_name(name: &str) -> Option<IeeeFormat> {
        Self::ALL.into_iter().find(|f| f.name == name)
    }

    /// Applies the format's exponent range to `x`, which was just rounded to `self.prec` bits
    /// with ternary value `ternary`: subnormal rounding (no double rounding) and overflow.
    #[inline]
    pub fn fix(&self, x: &mut Float, ternary: Ordering) {
        if !x.is_normal() {
            return;
        }
        match x.get_exp() {
            Some(e) if e < self.normal_exp_min => {
                x.subnormalize_round(self.normal_exp_min, ternary, Round::Nearest);
            }
            Some(e) if e > self.emax => {
                let neg = x.is_sign_negative();
                x.assign(rug::float::Special::Infinity);
                if neg {
                    x.neg_assign();
                }
            }
            _ => {}
        }
    }
}

use rug::Assign;
use rug::ops::NegAssign;

/// Context of an MPFR format: precision, optional IEEE emulation, FMA policy, constants.
#[derive(Clone, Debug)]
pub struct MpCtx {
    /// Precision in bits.
    pub prec: u32,
    /// The emulated IEEE format, or `None` for plain `mp:<bits>`.
    pub format: Option<IeeeFormat>,
    /// `fma` policy.
    pub fma: bool,
    /// Constants, correctly rounded into the format.
    pub consts: Consts<Float>,
}

impl MpCtx {
    /// A context for `mp:<prec>` (`format = None`) or an emulated format.
    pub fn new(prec: u32, format: Option<IeeeFormat>, fma: bool) -> Self {
        let mut ctx = MpCtx {
            prec,
            format,
            fma,
            consts: Consts {
                zero: Float::new(prec),
                one: Float::new(prec),
                two: Float::new(prec),
                half: Float::new(prec),
                frac_1_sqrt_2: Float::new(prec),
                frac_1_sqrt_2pi: Float::new(prec),
                sqrt_2_over_pi: Float::new(prec),
                gelu_tanh_c: Float::new(prec),
                gelu_tanh_k1: Float::new(prec),
            },
        };
        let guard = prec + 64;
        let r2 = Float::with_val(guard, 2).sqrt().recip();
        let r2pi = (Float::with_val(guard, Constant::Pi) * 2u32).sqrt().recip();
        let mut c = ctx.consts.clone();
        c.one = ctx.round(&Float::with_val(guard, 1));
        c.two = ctx.round(&Float::with_val(guard, 2));
        c.half = ctx.round(&Float::with_val(guard, 0.5));
        c.frac_1_sqrt_2 = ctx.round(&r2);
        c.frac_1_sqrt_2pi = ctx.round(&r2pi);
        let [k0, gc, k1] = super::gelu_tanh_consts(guard);
        c.sqrt_2_over_pi = ctx.round(&k0);
        c.gelu_tanh_c = ctx.round(&gc);
        c.gelu_tanh_k1 = ctx.round(&k1);
        ctx.consts = c;
        ctx
    }

    /// `x` correctly rounded into this format (exponent range included).
    pub fn round(&self, x: &Float) -> Float {
        let mut y = Float::new(self.prec);
        let o = y.assign_round(x, Round::Nearest);
        self.fix(&mut y, o);
        y
    }

    #[inline(always)]
    fn fix(&self, x: &mut Float, o: Ordering) {
        if let Some(f) = &self.format {
            f.fix(x, o);
        }
    }

    /// Decimal digits that always suffice to round-trip a number of this precision.
    pub fn round_trip_digits(&self) -> usize {
        round_trip_digits(self.prec)
    }
}

/// Decimal digits that always suffice to round-trip a `bits`-bit number: 1 + ⌈bits·log10 2⌉
/// (Matula).
pub fn round_trip_digits(bits: u32) -> usize {
    1 + (f64::from(bits) * std::f64::consts::LOG10_2).ceil() as usize
}

/// Rounds `$src` (an incomplete rug value) into `$dst` and applies the format's range.
macro_rules! op {
    ($ctx:expr, $dst:expr, $src:expr) => {{
        let o = $dst.assign_round($src, Round::Nearest);
        $ctx.fix($dst, o);
    }};
}

impl Scalar for Float {
    super::real_scalar_ops!();

    #[inline]
    fn set(&mut self, a: &Self, _: &Self::Ctx) {
        // Same precision: an exact copy that reuses the limbs.
        self.assign(a);
    }
    #[inline]
    fn set_add(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        count2(Op::AddSub, a, b);
        op!(ctx, self, a + b)
    }
    #[inline]
    fn set_sub(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        count2(Op::AddSub, a, b);
        op!(ctx, self, a - b)
    }
    #[inline]
    fn set_mul(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        count2(Op::Mul, a, b);
        op!(ctx, self, a * b)
    }
    #[inline]
    fn set_div(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        count2(Op::Div, a, b);
        op!(ctx, self, a / b)
    }
    #[inline]
    fn set_mul_add(&mut self, a: &Self, b: &Self, c: &Self, ctx: &Self::Ctx) {
        // `&a * &b + &c` is rug's fused multiply-add: one rounding.
        count2(Op::Fma, a, b);
        op!(ctx, self, a * b + c)
    }
    #[inline]
    fn set_neg(&mut self, a: &Self, _: &Self::Ctx) {
        self.assign(a);
        self.neg_assign();
    }
    #[inline]
    fn add_assign(&mut self, b: &Self, ctx: &Self::Ctx) {
        count2(Op::AddSub, self, b);
        let o = self.add_assign_round(b, Round::Nearest);
        ctx.fix(self, o);
    }
    #[inline]
    fn mul_add_assign(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        // self = a·b + self, fused.
        count2(Op::Fma, a, b);
        let o = self.add_assign_round(a * b, Round::Nearest);
        ctx.fix(self, o);
    }
    fn set_dot_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = (&'a Self, &'a Self)> + Clone,
    {
        count(Op::Exact);
        let o = EXACT.with(|s| s.borrow_mut().dot(self, terms));
        ctx.fix(self, o);
    }
    fn set_sum_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = &'a Self> + Clone,
    {
        count(Op::Exact);
        let o = EXACT.with(|s| s.borrow_mut().sum(self, terms));
        ctx.fix(self, o);
    }
}

/// Allocation-free correctly rounded sums and dot products (the `exact` order).
///
/// `mpfr_dot` (behind `Float::dot`) allocates a number for every product and rug collects the
/// operands' pointers in a fresh vector on every call; here both live in per-thread buffers
/// that only grow. The result is the same: the products are exact (each has the sum of its
/// factors' precisions) and `mpfr_sum` rounds their exact sum once, as `mpfr_dot` does.
#[derive(Default)]
struct ExactScratch {
    products: Vec<Float>,
    ptrs: Vec<*mut gmp_mpfr_sys::mpfr::mpfr_t>,
}

impl ExactScratch {
    fn dot<'a>(&mut self, out: &mut Float, terms: impl Iterator<Item = (&'a Float, &'a Float)>) -> Ordering {
        let mut k = 0;
        for (a, b) in terms {
            if k == self.products.len() {
                self.products.push(Float::new(MIN_PREC));
            }
            let pr = &mut self.products[k];
            let need = a.prec() + b.prec();
            if pr.prec() < need {
                pr.set_prec(need);
            }
            // exact: the product of a p-bit and a q-bit significand has at most p + q bits
            pr.assign(a * b);
            k += 1;
        }
        self.ptrs.clear();
        self.ptrs.extend(self.products[..k].iter().map(|x| x.as_raw() as *mut _));
        self.round_sum(out)
    }

    fn sum<'a>(&mut self, out: &mut Float, terms: impl Iterator<Item = &'a Float>) -> Ordering {
        self.ptrs.clear();
        self.ptrs.extend(terms.map(|x| x.as_raw() as *mut _));
        self.round_sum(out)
    }

    /// `out = Σ *ptrs` correctly rounded to nearest; the ternary value.
    fn round_sum(&mut self, out: &mut Float) -> Ordering {
        use gmp_mpfr_sys::mpfr;
        // SAFETY: every pointer refers to an initialized number that outlives this call
        // (borrowed terms or this scratch's products), `out` is not among them (it is borrowed
        // mutably), and mpfr_sum only reads the terms.
        let t = unsafe { mpfr::sum(out.as_raw_mut(), self.ptrs.as_ptr(), self.ptrs.len() as _, mpfr::rnd_t::RNDN) };
        t.cmp(&0)
    }
}

thread_local! {
    /// Per-thread buffers of [`ExactScratch`].
    static EXACT: RefCell<ExactScratch> = RefCell::new(ExactScratch::default());
}

use rug::ops::AddAssignRound;

thread_local! {
    /// Per-thread scratch for [`Real::with_scratch`] (one set per worker: no allocation per call).
    static SCRATCH: RefCell<Option<[Float; 4]>> = const { RefCell::new(None) };
}

impl Real for Float {
    type RCtx = MpCtx;

    #[inline(always)]
    fn consts(ctx: &MpCtx) -> &Consts<Self> {
        &ctx.consts
    }
    #[inline(always)]
    fn fma(ctx: &MpCtx) -> bool {
        ctx.fma
    }
    fn parse_decimal(text: &str, ctx: &MpCtx) -> Self {
        let mut y = Float::new(ctx.prec);
        let parsed = Float::parse(text).expect("validated JSON number");
        op!(ctx, &mut y, parsed);
        y
    }
    fn from_f64(x: f64, ctx: &MpCtx) -> Self {
        let mut y = Float::new(ctx.prec);
        op!(ctx, &mut y, x);
        y
    }
    fn from_float(x: &Float, ctx: &MpCtx) -> Self {
        ctx.round(x)
    }
    fn to_f64(&self) -> f64 {
        Float::to_f64(self)
    }
    fn to_float(&self) -> Float {
        self.clone()
    }
    fn to_decimal(&self, ctx: &MpCtx) -> String {
        if !self.is_normal() {
            return format!("{}", self.to_f64());
        }
        let reads_back = |s: &str| <Float as Real>::parse_decimal(s, ctx).bits_eq(self);
        if ctx.format.is_some() {
            // Emulated formats: the shortest decimal that reads back.
            for d in 1..ctx.round_trip_digits() {
                let s = self.to_string_radix_round(10, Some(d), Round::Nearest);
                if reads_back(&s) {
                    return s;
                }
            }
        }
        self.to_string_radix_round(10, Some(ctx.round_trip_digits()), Round::Nearest)
    }
    fn bits_eq(&self, other: &Self) -> bool {
        self.total_cmp(other) == Ordering::Equal
            && self.is_sign_negative() == other.is_sign_negative()
    }
    fn is_positive(&self) -> bool {
        *self > 0
    }
    fn gt(&self, other: &Self) -> bool {
        *self > *other
    }
    fn is_finite(&self) -> bool {
        Float::is_finite(self)
    }
    fn is_zero(&self) -> bool {
        Float::is_zero(self)
    }
    fn set_abs(&mut self, a: &Self, _: &MpCtx) {
        self.assign(a);
        self.abs_mut();
    }
    fn set_exp(&mut self, a: &Self, ctx: &MpCtx) {
        count(Op::Exp);
        op!(ctx, self, a.exp_ref())
    }
    fn set_ln(&mut self, a: &Self, ctx: &MpCtx) {
        count(Op::Ln);
        op!(ctx, self, a.ln_ref())
    }
    fn set_ln_1p(&mut self, a: &Self, ctx: &MpCtx) {
        count(Op::Ln1p);
        op!(ctx, self, a.ln_1p_ref())
    }
    fn set_tanh(&mut self, a: &Self, ctx: &MpCtx) {
        count(Op::Tanh);
        op!(ctx, self, a.tanh_ref())
    }
    fn set_erf(&mut self, a: &Self, ctx: &MpCtx) {
        count(Op::Erf);
        op!(ctx, self, a.erf_ref())
    }
    fn with_scratch<T>(ctx: &MpCtx, f: impl FnOnce(&mut [Self; 4]) -> T) -> T {
        SCRATCH.with(|cell| {
            let mut slot = cell.borrow_mut();
            let s = slot.get_or_insert_with(|| std::array::from_fn(|_| Float::new(ctx.prec)));
            if s[0].prec() != ctx.prec {
                for x in s.iter_mut() {
                    x.set_prec(ctx.prec);
                }
            }
            f(s)
        })
    }
}
