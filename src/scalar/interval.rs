//! Interval arithmetic: inf–sup pairs of MPFR numbers with directed rounding, a [`Real`] whose
//! every value is a **proven enclosure** of the exact real number the computation stands for.
//!
//! An [`Interval`] `[lo, hi]` holds two MPFR numbers at the context's precision p with
//! `lo ≤ hi`. Every operation returns an interval that contains the exact result of the
//! operation applied to *every* pair of reals in its operands' intervals: the lower bound is
//! computed with MPFR rounding toward −∞ (`Round::Down`), the upper toward +∞ (`Round::Up`).
//! MPFR's directed roundings are correct (the returned number is the largest p-bit number ≤
//! the exact value, resp. the smallest ≥ it), so each bound is on the right side of the exact
//! bound it rounds. By induction over the operations (the *fundamental theorem of interval
//! arithmetic*), any composition of these operations encloses the exact value of the same
//! composition of real operations at any real inputs in the input intervals — whatever the
//! order of the operations, and in particular whatever the summation order.
//!
//! A value that cannot be enclosed (a NaN operand, the logarithm of an interval reaching below
//! 0) is NaN in both bounds: it claims nothing ([`Real::is_finite`] is false, and a truth with
//! such an entry is never certified). A quotient by an interval that contains 0 is `[−∞, +∞]`.
//!
//! # Why each enclosure holds
//!
//! * **Inputs and constants.** A decimal is parsed to `[RD(x), RU(x)]` ([`Real::parse_decimal`]);
//!   `π` is MPFR's correctly rounded constant in both directions; `1/√2 = √½` and the other
//!   constants of [`Consts`] are computed from those by the operations below (so they contain
//!   the exact constants); `0.044715` and `3·0.044715 = 0.134145` are decimals.
//! * **`+`, `−`** are monotone in each argument: `[a₁ + b₁, a₂ + b₂]↓↑`, `[a₁ − b₂, a₂ − b₁]↓↑`.
//! * **`·`**: the product is bilinear, so its extrema over the box `[a₁,a₂]×[b₁,b₂]` are at
//!   corners; the classical sign table picks the corner of the minimum and of the maximum
//!   (when both factors contain 0, the two candidates of each are compared: `min(a₁b₂, a₂b₁)`,
//!   `max(a₁b₁, a₂b₂)`). Each corner product is rounded down for the lower bound and up for the
//!   upper. The same interval multiplied by itself (`x·x`, the same reference) is a square:
//!   `[0, max(a₁², a₂²)]` when it contains 0.
//! * **`a·b + c`** (fused): `min(a·b) + c₁` is at the same corner as `min(a·b)`, evaluated with
//!   one downward-rounded fused multiply-add (likewise the maximum).
//! * **`/`** with `0 ∉ [b₁, b₂]`: `a/b` is monotone in `a` and in `b` on that box, with the
//!   extreme corners given by the signs (table in [`Interval::div_corners`]).
//! * **Sums and dot products** (`set_sum_exact`, `set_dot_exact`): `Σ aᵢbᵢ` is minimal when
//!   every term is; each term's minimal product (a corner, as for `·`) is formed **exactly**
//!   (the product of a p-bit and a q-bit number has p + q bits), and the exact sum of those
//!   products is rounded down once by `mpfr_sum` (correct rounding of an exact sum); likewise
//!   up. Sums in any other order (the `Scalar` defaults: `add_assign` term by term, pairwise,
//!   blocked, Kahan) are compositions of `+`, `·` and so enclose the exact sum too.
//! * **Monotone functions by their endpoints**: `exp`, `ln`, `ln(1+x)`, `tanh` and `erf` are
//!   increasing, so `f([x₁, x₂]) = [f(x₁), f(x₂)]`, each rounded outward by MPFR (whose
//!   functions are correctly rounded in every direction). `ln` and `ln(1+x)` outside their
//!   domain give NaN (no claim); `|x|` is `[0, max(−x₁, x₂)]` when the interval contains 0.
//! * **Activations and their derivatives** that are not piecewise: the module table of
//!   [`super::elementary`] — `sigmoid = 1/(1+e^(−x))`, `tanh′ = 1 − t²`, `tanh″ = −2t(1−t²)`,
//!   `gelu`, `silu`, `gelu_tanh` and their derivatives — evaluated with the operations above:
//!   each formula is an exact identity for the function, so its interval evaluation encloses
//!   the function's value (the non-monotone derivatives included; dependency between the
//!   occurrences of `x` only widens the enclosure). Sigmoid and softplus′ are monotone and
//!   their formula has a single occurrence of `x`, so their enclosure is the exact range
//!   rounded outward.
//! * **Kinks** (`relu`, `leaky_relu:α`) are handled by their pieces ([`Real::set_fun_deriv`]):
//!   `relu([x₁,x₂]) = [max(x₁,0), max(x₂,0)]` (monotone); `leaky_relu` is `[x₁, x₂]` on the
//!   positive side and `α·[x₁, x₂]` (α a decimal interval) on the other, hulled when the
//!   interval straddles 0. The derivative is `1` when `x₁ > 0`, `0` (α) when `x₂ ≤ 0` — the
//!   model's convention σ′(0) = 0 (α) at the kink itself — and the hull `[0, 1]` (`[α, 1]`) of
//!   both sides when the interval contains points of both; σ″ = 0 (the convention of the model,
//!   which has no term for the kink). `softplus = max(x, 0) + ln1p(e^(−|x|))` takes
//!   `max(x, 0)` as `[max(x₁,0), max(x₂,0)]`.
//!
//! # Comparisons
//!
//! [`Real::is_positive`] is *certainly positive* (`x₁ > 0`) and [`Real::gt`] *certainly
//! greater* (`x₁ > y₂`): a `true` is proven. The generic code asks `is_positive` only in the
//! activations overridden above; `gt` only to pick the shift `m` of the log-sum-exp of the
//! softmax cross-entropy, whose value `m + ln Σ e^(aₖ−m)` is the same for every `m` — any
//! choice encloses the same exact value.
//!
//! # The point computation lies inside
//!
//! Round-to-nearest is monotone and leaves p-bit numbers unchanged, so if a point value ã lies
//! in `[a₁, a₂]` (p-bit bounds) then `RN(ã ∘ b̃) ∈ [RD(min), RU(max)]`. By induction, the MPFR
//! computation at the **same precision p** with the same sequence of operations (the point
//! truth) lies inside the interval computation, entry by entry — a theorem the ball truth
//! checks on every entry (`analysis::truth`).
//!
//! One exception to the theorem's premise: the softmax cross-entropy's shift `m` is picked by
//! `gt`, which on intervals is *certainly greater*; where two logits' enclosures overlap while
//! their point values differ, the point computation may shift by another logit than the
//! interval one (both results are valid — the enclosure holds for every shift — but the point
//! value is then only expected, not proven, to lie inside). At the truth's ≥ 256 bits the
//! enclosures of distinct logits are far narrower than their distance.
//!
//! What this format does not do: precision policies (`dot_policy` panics: a policy emulates the
//! roundings of a low-precision product, which no enclosure of the exact value is), and
//! [`Real::to_float`] is the midpoint rounded to nearest (exact only for a point interval).

use std::cell::RefCell;

use rug::float::{Constant, Round};
use rug::ops::AssignRound;
use rug::{Assign, Float};

use super::elementary::{self, Activation};
use super::order::{PolicyDot, PolicyScratch, Strided};
use super::{Consts, Fun, Real, Scalar};

/// `out = f(x)` rounded in direction `r` (a monotone function's bound).
macro_rules! dir {
    ($out:expr, $src:expr, $r:expr) => {{
        $out.assign_round($src, $r);
    }};
}

/// A closed interval `[lo, hi]` of MPFR numbers at the context's precision (module docs).
#[derive(Clone, Debug)]
pub struct Interval {
    /// Lower bound (rounded toward −∞).
    pub lo: Float,
    /// Upper bound (rounded toward +∞).
    pub hi: Float,
}

/// The context of [`Interval`]: precision of both bounds and the constants' enclosures.
#[derive(Clone, Debug)]
pub struct IvCtx {
    /// Precision of the bounds in bits.
    pub prec: u32,
    /// `fma` policy (sums of products fused).
    pub fma: bool,
    /// Enclosures of the constants.
    pub consts: Consts<Interval>,
}

impl Interval {
    /// The point interval `[x, x]` at `prec` bits, or the enclosure `[RD(x), RU(x)]` when `x`
    /// has more bits.
    pub fn of_float(x: &Float, prec: u32) -> Interval {
        Interval { lo: Float::with_val_round(prec, x, Round::Down).0, hi: Float::with_val_round(prec, x, Round::Up).0 }
    }

    /// Whether `x` (any precision) lies in `[lo, hi]` (false when a bound is NaN).
    pub fn contains(&self, x: &Float) -> bool {
        self.lo <= *x && *x <= self.hi
    }

    /// Whether either bound is NaN.
    pub fn has_nan(&self) -> bool {
        self.lo.is_nan() || self.hi.is_nan()
    }

    /// `[NaN, NaN]`: no claim.
    fn set_nan(&mut self) {
        self.lo.assign(rug::float::Special::Nan);
        self.hi.assign(rug::float::Special::Nan);
    }

    /// Both bounds NaN when either is (so that no later branch forgets a NaN).
    fn settle(&mut self) {
        if self.has_nan() {
            self.set_nan();
        }
    }

    /// The corners of the minimum and the maximum of `a·b` (module docs): `(lo candidates,
    /// hi candidates)`, one each except when both intervals contain 0 (two each).
    #[allow(clippy::type_complexity)]
    fn mul_corners<'a>(a: &'a Interval, b: &'a Interval) -> ([(&'a Float, &'a Float); 2], [(&'a Float, &'a Float); 2], bool) {
        let (a1, a2, b1, b2) = (&a.lo, &a.hi, &b.lo, &b.hi);
        let (an, ap) = (*a2 <= 0, *a1 >= 0); // a ≤ 0, a ≥ 0
        let (bn, bp) = (*b2 <= 0, *b1 >= 0);
        let one = |l: (&'a Float, &'a Float), h: (&'a Float, &'a Float)| ([l, l], [h, h], false);
        if ap {
            if bp {
                one((a1, b1), (a2, b2))
            } else if bn {
                one((a2, b1), (a1, b2))
            } else {
                one((a2, b1), (a2, b2))
            }
        } else if an {
            if bp {
                one((a1, b2), (a2, b1))
            } else if bn {
                one((a2, b2), (a1, b1))
            } else {
                one((a1, b2), (a1, b1))
            }
        } else if bp {
            one((a1, b2), (a2, b2))
        } else if bn {
            one((a2, b1), (a1, b1))
        } else {
            ([(a1, b2), (a2, b1)], [(a1, b1), (a2, b2)], true)
        }
    }

    /// The corners `(lo = x/y, hi = u/v)` of `a/b` for `0 ∉ b`; `None` when `b` contains 0.
    #[allow(clippy::type_complexity)]
    pub fn div_corners<'a>(a: &'a Interval, b: &'a Interval) -> Option<((&'a Float, &'a Float), (&'a Float, &'a Float))> {
        let (a1, a2, b1, b2) = (&a.lo, &a.hi, &b.lo, &b.hi);
        let (an, ap) = (*a2 <= 0, *a1 >= 0);
        if *b1 > 0 {
            Some(if ap {
                ((a1, b2), (a2, b1))
            } else if an {
                ((a1, b1), (a2, b2))
            } else {
                ((a1, b1), (a2, b1))
            })
        } else if *b2 < 0 {
            Some(if ap {
                ((a2, b2), (a1, b1))
            } else if an {
                ((a2, b1), (a1, b2))
            } else {
                ((a2, b2), (a1, b2))
            })
        } else {
            None
        }
    }

    /// `[max(lo, 0), max(hi, 0)]` into `self` (relu).
    fn set_pos_part(&mut self, a: &Interval) {
        for (o, x, r) in [(&mut self.lo, &a.lo, Round::Down), (&mut self.hi, &a.hi, Round::Up)] {
            if *x > 0 {
                dir!(o, x, r);
            } else {
                o.assign(0);
            }
        }
    }

    /// The hull of `self` and `b`, into `self`.
    fn hull_with(&mut self, b: &Interval) {
        if b.lo < self.lo {
            dir!(self.lo, &b.lo, Round::Down);
        }
        if b.hi > self.hi {
            dir!(self.hi, &b.hi, Round::Up);
        }
    }
}

impl IvCtx {
    /// A context at `prec` bits (the `fma` policy off: the truth's evaluation).
    pub fn new(prec: u32) -> IvCtx {
        let point = |v: f64| Interval::of_float(&Float::with_val(53, v), prec);
        let dec = |s: &str| parse_dir(s, prec);
        let zero = point(0.0);
        let mut ctx = IvCtx {
            prec,
            fma: false,
            consts: Consts {
                zero: zero.clone(),
                one: point(1.0),
                two: point(2.0),
                half: point(0.5),
                frac_1_sqrt_2: zero.clone(),
                frac_1_sqrt_2pi: zero.clone(),
                sqrt_2_over_pi: zero.clone(),
                gelu_tanh_c: zero.clone(),
                gelu_tanh_k1: zero,
            },
        };
        let pi = Interval { lo: Float::with_val_round(prec, Constant::Pi, Round::Down).0, hi: Float::with_val_round(prec, Constant::Pi, Round::Up).0 };
        let sqrt = |x: &Interval| Interval { lo: Float::with_val_round(prec, x.lo.sqrt_ref(), Round::Down).0, hi: Float::with_val_round(prec, x.hi.sqrt_ref(), Round::Up).0 };
        let mut t = ctx.consts.zero.clone();
        // 1/√2 = √½
        ctx.consts.frac_1_sqrt_2 = sqrt(&ctx.consts.half);
        // 1/√(2π)
        t.set_mul(&ctx.consts.two, &pi, &ctx);
        let s = sqrt(&t);
        t.set_div(&ctx.consts.one, &s, &ctx);
        ctx.consts.frac_1_sqrt_2pi = t.clone();
        // k₀ = √(2/π)
        t.set_div(&ctx.consts.two, &pi, &ctx);
        let k0 = sqrt(&t);
        let c = dec("0.044715");
        t.set_mul(&dec("0.134145"), &k0, &ctx);
        ctx.consts.sqrt_2_over_pi = k0;
        ctx.consts.gelu_tanh_c = c;
        ctx.consts.gelu_tanh_k1 = t;
        ctx
    }
}

/// `[RD(s), RU(s)]` of a decimal `s` at `prec` bits.
fn parse_dir(s: &str, prec: u32) -> Interval {
    let p = |r| Float::with_val_round(prec, Float::parse(s).expect("a validated decimal"), r).0;
    Interval { lo: p(Round::Down), hi: p(Round::Up) }
}

/// Allocation-free enclosures of exact sums (per-thread buffers that only grow).
#[derive(Default)]
struct SumScratch {
    lo: Vec<Float>,
    hi: Vec<Float>,
    tmp: Vec<Float>,
    ptrs: Vec<*mut gmp_mpfr_sys::mpfr::mpfr_t>,
}

impl SumScratch {
    /// The exact product `x·y` into slot `k` of `v` (grown as needed).
    fn exact_product(v: &mut Vec<Float>, k: usize, x: &Float, y: &Float) {
        if k == v.len() {
            v.push(Float::new(2));
        }
        let need = x.prec() + y.prec();
        if v[k].prec() < need {
            v[k].set_prec(need);
        }
        // exact: the product of a p-bit and a q-bit significand has at most p + q bits
        v[k].assign(x * y);
    }

    /// The exact least and greatest products of each term, then their sums rounded outward.
    fn dot<'a>(&mut self, out: &mut Interval, terms: impl Iterator<Item = (&'a Interval, &'a Interval)>) {
        let mut k = 0;
        let mut nan = false;
        for (a, b) in terms {
            nan |= a.has_nan() || b.has_nan();
            let (l, h, two) = Interval::mul_corners(a, b);
            Self::exact_product(&mut self.lo, k, l[0].0, l[0].1);
            Self::exact_product(&mut self.hi, k, h[0].0, h[0].1);
            if two {
                Self::exact_product(&mut self.tmp, 0, l[1].0, l[1].1);
                if self.tmp[0] < self.lo[k] {
                    std::mem::swap(&mut self.tmp[0], &mut self.lo[k]);
                }
                Self::exact_product(&mut self.tmp, 0, h[1].0, h[1].1);
                if self.tmp[0] > self.hi[k] {
                    std::mem::swap(&mut self.tmp[0], &mut self.hi[k]);
                }
            }
            k += 1;
        }
        if nan {
            out.set_nan();
            return;
        }
        self.ptrs.clear();
        self.ptrs.extend(self.lo[..k].iter().map(|x| x.as_raw() as *mut _));
        round_sum(&mut out.lo, &self.ptrs, Round::Down);
        self.ptrs.clear();
        self.ptrs.extend(self.hi[..k].iter().map(|x| x.as_raw() as *mut _));
        round_sum(&mut out.hi, &self.ptrs, Round::Up);
        out.settle();
    }

    fn sum<'a>(&mut self, out: &mut Interval, terms: impl Iterator<Item = &'a Interval> + Clone) {
        self.ptrs.clear();
        self.ptrs.extend(terms.clone().map(|x| x.lo.as_raw() as *mut _));
        round_sum(&mut out.lo, &self.ptrs, Round::Down);
        self.ptrs.clear();
        self.ptrs.extend(terms.map(|x| x.hi.as_raw() as *mut _));
        round_sum(&mut out.hi, &self.ptrs, Round::Up);
        out.settle();
    }
}

/// `out = Σ *ptrs`, the exact sum correctly rounded in direction `r` (`mpfr_sum`).
fn round_sum(out: &mut Float, ptrs: &[*mut gmp_mpfr_sys::mpfr::mpfr_t], r: Round) {
    use gmp_mpfr_sys::mpfr;
    let rnd = match r {
        Round::Down => mpfr::rnd_t::RNDD,
        _ => mpfr::rnd_t::RNDU,
    };
    // SAFETY: every pointer refers to an initialized number that outlives this call (borrowed
    // terms or the scratch's products), `out` is not among them (it is borrowed mutably), and
    // mpfr_sum only reads the terms.
    unsafe { mpfr::sum(out.as_raw_mut(), ptrs.as_ptr(), ptrs.len() as _, rnd) };
}

thread_local! {
    /// Per-thread buffers of [`SumScratch`].
    static SUMS: RefCell<SumScratch> = RefCell::new(SumScratch::default());
    /// Per-thread scratch for [`Real::with_scratch`].
    static SCRATCH: RefCell<Option<[Interval; 4]>> = const { RefCell::new(None) };
}

impl Scalar for Interval {
    type Real = Self;
    type Ctx = IvCtx;

    #[inline]
    fn real_ctx(ctx: &IvCtx) -> &IvCtx {
        ctx
    }
    #[inline]
    fn constant(c: &Self, _: &IvCtx) -> Self {
        c.clone()
    }
    #[inline]
    fn value(&self) -> &Self {
        self
    }
    #[inline]
    fn set_constant(&mut self, c: &Self, ctx: &IvCtx) {
        self.set(c, ctx)
    }
    #[inline]
    fn detach(&mut self, _: &IvCtx) {}
    fn set_fun(&mut self, f: Fun, a: &Self, ctx: &IvCtx) {
        self.set_fun_deriv(f, 0, a, ctx)
    }
    fn set_fun_rule(&mut self, k: super::rules::GradKernel, a: &Self, _at: super::rules::Lane, ctx: &IvCtx) {
        k.forward(self, a, ctx)
    }
    #[inline]
    fn set_fun_known(&mut self, _a: &Self, d: [&Self; 3], ctx: &IvCtx) {
        self.set(d[0], ctx)
    }
    /// Refused: a precision policy emulates the roundings of a low-precision product, which
    /// is no enclosure of the exact value (the truth runs none).
    fn dot_policy(&mut self, _: Strided<'_, Self>, _: Strided<'_, Self>, _: &PolicyDot<'_>, _: &mut PolicyScratch, _: Option<&Self>, _: &IvCtx) {
        panic!("interval arithmetic runs no precision policy (the truth's products are exact)");
    }
    #[inline]
    fn set(&mut self, a: &Self, _: &IvCtx) {
        // exact at the context's precision; outward should a bound have more bits
        dir!(self.lo, &a.lo, Round::Down);
        dir!(self.hi, &a.hi, Round::Up);
    }
    fn set_add(&mut self, a: &Self, b: &Self, _: &IvCtx) {
        dir!(self.lo, &a.lo + &b.lo, Round::Down);
        dir!(self.hi, &a.hi + &b.hi, Round::Up);
        self.settle();
    }
    fn set_sub(&mut self, a: &Self, b: &Self, _: &IvCtx) {
        dir!(self.lo, &a.lo - &b.hi, Round::Down);
        dir!(self.hi, &a.hi - &b.lo, Round::Up);
        self.settle();
    }
    fn set_mul(&mut self, a: &Self, b: &Self, _: &IvCtx) {
        if std::ptr::eq(a, b) && a.lo < 0 && a.hi > 0 {
            // a square: [0, max(a₁², a₂²)]
            let m = if -a.lo.clone() > a.hi { &a.lo } else { &a.hi };
            dir!(self.hi, m.square_ref(), Round::Up);
            self.lo.assign(0);
            return;
        }
        let (l, h, two) = Interval::mul_corners(a, b);
        dir!(self.lo, l[0].0 * l[0].1, Round::Down);
        dir!(self.hi, h[0].0 * h[0].1, Round::Up);
        if two {
            let t = Float::with_val_round(self.lo.prec(), l[1].0 * l[1].1, Round::Down).0;
            if t < self.lo {
                self.lo = t;
            }
            let t = Float::with_val_round(self.hi.prec(), h[1].0 * h[1].1, Round::Up).0;
            if t > self.hi {
                self.hi = t;
            }
        }
        self.settle();
    }
    fn set_div(&mut self, a: &Self, b: &Self, _: &IvCtx) {
        if a.has_nan() || b.has_nan() {
            return self.set_nan();
        }
        match Interval::div_corners(a, b) {
            Some(((x, y), (u, v))) => {
                dir!(self.lo, x / y, Round::Down);
                dir!(self.hi, u / v, Round::Up);
                self.settle();
            }
            None => {
                self.lo.assign(rug::float::Special::NegInfinity);
                self.hi.assign(rug::float::Special::Infinity);
            }
        }
    }
    fn set_mul_add(&mut self, a: &Self, b: &Self, c: &Self, _: &IvCtx) {
        let (l, h, two) = Interval::mul_corners(a, b);
        dir!(self.lo, l[0].0 * l[0].1 + &c.lo, Round::Down);
        dir!(self.hi, h[0].0 * h[0].1 + &c.hi, Round::Up);
        if two {
            let t = Float::with_val_round(self.lo.prec(), l[1].0 * l[1].1 + &c.lo, Round::Down).0;
            if t < self.lo {
                self.lo = t;
            }
            let t = Float::with_val_round(self.hi.prec(), h[1].0 * h[1].1 + &c.hi, Round::Up).0;
            if t > self.hi {
                self.hi = t;
            }
        }
        if a.has_nan() || b.has_nan() || c.has_nan() {
            self.set_nan();
        }
    }
    fn set_neg(&mut self, a: &Self, _: &IvCtx) {
        dir!(self.lo, -&a.hi, Round::Down);
        dir!(self.hi, -&a.lo, Round::Up);
    }
    fn add_assign(&mut self, b: &Self, _: &IvCtx) {
        use rug::ops::AddAssignRound;
        self.lo.add_assign_round(&b.lo, Round::Down);
        self.hi.add_assign_round(&b.hi, Round::Up);
        self.settle();
    }
    fn mul_add_assign(&mut self, a: &Self, b: &Self, ctx: &IvCtx) {
        // only under the fma policy, which the truth does not run: a copy of the addend is fine
        let c = self.clone();
        self.set_mul_add(a, b, &c, ctx);
    }
    fn set_dot_exact<'a, I>(&mut self, terms: I, _: &IvCtx)
    where
        Self: 'a,
        I: Iterator<Item = (&'a Self, &'a Self)> + Clone,
    {
        SUMS.with(|s| s.borrow_mut().dot(self, terms));
    }
    fn set_sum_exact<'a, I>(&mut self, terms: I, _: &IvCtx)
    where
        Self: 'a,
        I: Iterator<Item = &'a Self> + Clone,
    {
        if terms.clone().any(|t| t.has_nan()) {
            return self.set_nan();
        }
        SUMS.with(|s| s.borrow_mut().sum(self, terms));
    }
}

impl Interval {
    /// `self = f(a)` for an increasing function `f` (both bounds, rounded outward).
    fn monotone(&mut self, a: &Interval, f: impl Fn(&mut Float, &Float, Round)) {
        f(&mut self.lo, &a.lo, Round::Down);
        f(&mut self.hi, &a.hi, Round::Up);
        self.settle();
    }

    /// `self = left` if `x ≤ 0` (0 included: the model's convention at a kink), `right` if
    /// `x > 0`, the hull of both when `x` has points on both sides.
    fn set_step(&mut self, x: &Interval, left: &Interval, right: &Interval) {
        if x.lo > 0 {
            self.clone_from(right);
        } else if x.hi > 0 {
            self.clone_from(left);
            self.hull_with(right);
        } else {
            self.clone_from(left);
        }
    }

    /// `leaky_relu:α(x)`: `x` where `x > 0`, `α·x` elsewhere (module docs).
    fn set_leaky(&mut self, alpha: &Interval, x: &Interval, ctx: &IvCtx) {
        if x.lo > 0 {
            return self.clone_from(x);
        }
        let mut neg = x.clone();
        if neg.hi > 0 {
            neg.hi.assign(0);
        }
        self.set_mul(alpha, &neg, ctx);
        if x.hi > 0 {
            self.hi.assign(&x.hi);
        }
    }

    /// `softplus(x) = max(x, 0) + ln1p(e^(−|x|))`.
    fn set_softplus(&mut self, x: &Interval, ctx: &IvCtx) {
        let (mut t0, mut t1) = (x.clone(), x.clone());
        t0.set_abs(x, ctx);
        t1.set_neg(&t0, ctx);
        t0.set_exp(&t1, ctx);
        t1.set_ln_1p(&t0, ctx);
        t0.set_pos_part(x);
        self.set_add(&t0, &t1, ctx);
    }
}

impl Real for Interval {
    type RCtx = IvCtx;
    const EXACT_FLOAT: bool = false;

    #[inline(always)]
    fn consts(ctx: &IvCtx) -> &Consts<Self> {
        &ctx.consts
    }
    #[inline(always)]
    fn fma(ctx: &IvCtx) -> bool {
        ctx.fma
    }
    fn parse_decimal(text: &str, ctx: &IvCtx) -> Self {
        parse_dir(text, ctx.prec)
    }
    fn from_f64(x: f64, ctx: &IvCtx) -> Self {
        Interval::of_float(&Float::with_val(53, x), ctx.prec)
    }
    fn from_float(x: &Float, ctx: &IvCtx) -> Self {
        Interval::of_float(x, ctx.prec)
    }
    /// The midpoint, nearest `f64`.
    fn to_f64(&self) -> f64 {
        self.to_float().to_f64()
    }
    /// The midpoint rounded to nearest at the bounds' precision (exact for a point interval).
    fn to_float(&self) -> Float {
        let mut m = Float::with_val(self.lo.prec(), &self.lo + &self.hi);
        m >>= 1;
        m
    }
    fn to_decimal(&self, _: &IvCtx) -> String {
        format!("[{}, {}]", self.lo.to_string_radix_round(10, None, Round::Down), self.hi.to_string_radix_round(10, None, Round::Up))
    }
    fn bits_eq(&self, other: &Self) -> bool {
        self.lo.bits_eq(&other.lo) && self.hi.bits_eq(&other.hi)
    }
    /// Certainly positive: `lo > 0`.
    fn is_positive(&self) -> bool {
        self.lo > 0
    }
    /// Certainly greater: `self.lo > other.hi`.
    fn gt(&self, other: &Self) -> bool {
        self.lo > other.hi
    }
    fn is_finite(&self) -> bool {
        self.lo.is_finite() && self.hi.is_finite()
    }
    fn is_zero(&self) -> bool {
        self.lo.is_zero() && self.hi.is_zero()
    }
    fn set_abs(&mut self, a: &Self, ctx: &IvCtx) {
        if a.lo >= 0 {
            self.set(a, ctx);
        } else if a.hi <= 0 {
            self.set_neg(a, ctx);
        } else {
            self.lo.assign(0);
            if -a.lo.clone() > a.hi {
                dir!(self.hi, -&a.lo, Round::Up);
            } else {
                dir!(self.hi, &a.hi, Round::Up);
            }
        }
        if a.has_nan() {
            self.set_nan();
        }
    }
    fn set_exp(&mut self, a: &Self, _: &IvCtx) {
        self.monotone(a, |o, x, r| dir!(o, x.exp_ref(), r));
    }
    fn set_ln(&mut self, a: &Self, _: &IvCtx) {
        self.monotone(a, |o, x, r| dir!(o, x.ln_ref(), r));
    }
    fn set_ln_1p(&mut self, a: &Self, _: &IvCtx) {
        self.monotone(a, |o, x, r| dir!(o, x.ln_1p_ref(), r));
    }
    fn set_tanh(&mut self, a: &Self, _: &IvCtx) {
        self.monotone(a, |o, x, r| dir!(o, x.tanh_ref(), r));
    }
    fn set_erf(&mut self, a: &Self, _: &IvCtx) {
        self.monotone(a, |o, x, r| dir!(o, x.erf_ref(), r));
    }
    fn with_scratch<T>(ctx: &IvCtx, f: impl FnOnce(&mut [Self; 4]) -> T) -> T {
        SCRATCH.with(|cell| {
            let mut slot = cell.borrow_mut();
            let s = slot.get_or_insert_with(|| std::array::from_fn(|_| Interval { lo: Float::new(ctx.prec), hi: Float::new(ctx.prec) }));
            if s[0].lo.prec() != ctx.prec {
                for x in s.iter_mut() {
                    x.lo.set_prec(ctx.prec);
                    x.hi.set_prec(ctx.prec);
                }
            }
            f(s)
        })
    }
    /// The kinks (`relu`, `leaky_relu`) and softplus's `max(x, 0)` by their pieces, every other
    /// function by [`elementary`]'s formulas in interval arithmetic (module docs).
    fn set_fun_deriv(&mut self, f: Fun, k: u8, x: &Self, ctx: &IvCtx) {
        let (a, order) = match f {
            Fun::Act(a) => (a, k),
            Fun::ActD1(a) => (a, k + 1),
            _ => return elementary::eval_fun(self, f, k, x, ctx),
        };
        if x.has_nan() {
            return self.set_nan();
        }
        let c = &ctx.consts;
        match (a, order) {
            (Activation::Relu, 0) => self.set_pos_part(x),
            (Activation::Relu, 1) => self.set_step(x, &c.zero, &c.one),
            (Activation::LeakyRelu(s), 0) => self.set_leaky(&s.with_text(|t| parse_dir(t, ctx.prec)), x, ctx),
            (Activation::LeakyRelu(s), 1) => self.set_step(x, &s.with_text(|t| parse_dir(t, ctx.prec)), &c.one),
            (Activation::Relu | Activation::LeakyRelu(_), _) => self.set(&c.zero, ctx),
            (Activation::Softplus, 0) => self.set_softplus(x, ctx),
            _ => elementary::eval_fun(self, f, k, x, ctx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::elementary::Slope;
    use crate::scalar::MpCtx;
    use rand::{Rng, SeedableRng};

    /// Interval precision of the tests (low, so that roundings are frequent) and the reference
    /// precision (the exact value to ~1000 bits).
    const P: u32 = 40;
    const HI: u32 = 1100;

    /// A random interval at `P` bits: a point (1 in 4) or a few ulps wide, one in eight
    /// straddling 0, of magnitude 2^-6 .. 2^3.
    fn random_iv(rng: &mut impl Rng) -> Interval {
        let kind = rng.gen_range(0..8);
        let mag = 2f64.powi(rng.gen_range(-6..4));
        let c = rng.gen_range(-1.0..1.0) * mag;
        let w = if kind < 2 { 0.0 } else { rng.gen_range(0.0..1e-9) * mag };
        let (lo, hi) = if kind == 7 { (-rng.gen_range(0.0..1e-3), rng.gen_range(0.0..1e-3)) } else { (c - w, c + w) };
        Interval { lo: Float::with_val_round(P, lo, Round::Down).0, hi: Float::with_val_round(P, hi, Round::Up).0 }
    }

    /// Points of `a` at the reference precision: both ends, the midpoint and random ones.
    fn points(a: &Interval, rng: &mut impl Rng) -> Vec<Float> {
        let mut v = vec![Float::with_val(HI, &a.lo), Float::with_val(HI, &a.hi)];
        for _ in 0..3 {
            let t: f64 = rng.gen_range(0.0..1.0);
            let d = Float::with_val(HI, &a.hi - &a.lo);
            v.push(Float::with_val(HI, &a.lo + d * t));
        }
        v
    }

    /// Checks that `op` (interval) encloses `reference` (at `HI` bits) at every point pair, on
    /// `cases` random inputs; the first counterexample otherwise.
    fn sound(
        cases: usize,
        op: &dyn Fn(&Interval, &Interval, &IvCtx) -> Interval,
        reference: &dyn Fn(&Float, &Float, &MpCtx) -> Option<Float>,
    ) -> Result<(), String> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        let (ctx, hctx) = (IvCtx::new(P), MpCtx::new(HI, None, false));
        for _ in 0..cases {
            let (a, b) = (random_iv(&mut rng), random_iv(&mut rng));
            let r = op(&a, &b, &ctx);
            if r.has_nan() {
                continue; // no claim
            }
            for x in points(&a, &mut rng) {
                for y in points(&b, &mut rng) {
                    if let Some(v) = reference(&x, &y, &hctx) {
                        if !r.contains(&v) {
                            return Err(format!("a = [{}, {}], b = [{}, {}]: {v} not in [{}, {}]", a.lo, a.hi, b.lo, b.hi, r.lo, r.hi));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn iv_op(f: impl Fn(&mut Interval, &Interval, &Interval, &IvCtx)) -> impl Fn(&Interval, &Interval, &IvCtx) -> Interval {
        move |a, b, ctx| {
            let mut o = ctx.consts.zero.clone();
            f(&mut o, a, b, ctx);
            o
        }
    }

    fn mp_op(f: impl Fn(&mut Float, &Float, &Float, &MpCtx)) -> impl Fn(&Float, &Float, &MpCtx) -> Option<Float> {
        move |a, b, ctx| {
            let mut o = Float::new(HI);
            f(&mut o, a, b, ctx);
            Some(o)
        }
    }

    #[test]
    fn primitives_enclose_the_exact_result() {
        let n = 3000;
        sound(n, &iv_op(|o, a, b, c| o.set_add(a, b, c)), &mp_op(|o, a, b, c| o.set_add(a, b, c))).unwrap();
        sound(n, &iv_op(|o, a, b, c| o.set_sub(a, b, c)), &mp_op(|o, a, b, c| o.set_sub(a, b, c))).unwrap();
        sound(n, &iv_op(|o, a, b, c| o.set_mul(a, b, c)), &mp_op(|o, a, b, c| o.set_mul(a, b, c))).unwrap();
        sound(n, &iv_op(|o, a, _, c| o.set_mul(a, a, c)), &mp_op(|o, a, _, c| o.set_mul(a, a, c))).unwrap();
        sound(n, &iv_op(|o, a, b, c| o.set_div(a, b, c)), &|a, b, c| (!b.is_zero()).then(|| mp_op(|o, a, b, c| o.set_div(a, b, c))(a, b, c).unwrap())).unwrap();
        sound(n, &iv_op(|o, a, b, c| o.set_mul_add(a, b, b, c)), &mp_op(|o, a, b, c| o.set_mul_add(a, b, b, c))).unwrap();
        sound(n, &iv_op(|o, a, b, c| { o.set(b, c); o.add_assign(a, c) }), &mp_op(|o, a, b, c| o.set_add(a, b, c))).unwrap();
        sound(n, &iv_op(|o, a, _, c| o.set_neg(a, c)), &mp_op(|o, a, _, c| o.set_neg(a, c))).unwrap();
        sound(n, &iv_op(|o, a, _, c| o.set_abs(a, c)), &mp_op(|o, a, _, c| o.set_abs(a, c))).unwrap();
        sound(n, &iv_op(|o, a, _, c| o.set_exp(a, c)), &mp_op(|o, a, _, c| o.set_exp(a, c))).unwrap();
        sound(n, &iv_op(|o, a, _, c| o.set_tanh(a, c)), &mp_op(|o, a, _, c| o.set_tanh(a, c))).unwrap();
        sound(n, &iv_op(|o, a, _, c| o.set_erf(a, c)), &mp_op(|o, a, _, c| o.set_erf(a, c))).unwrap();
        sound(n, &iv_op(|o, a, _, c| o.set_ln(a, c)), &|a, _, c| (*a > 0).then(|| mp_op(|o, a, _, c| o.set_ln(a, c))(a, a, c).unwrap())).unwrap();
        sound(n, &iv_op(|o, a, _, c| o.set_ln_1p(a, c)), &|a, _, c| (*a > -1).then(|| mp_op(|o, a, _, c| o.set_ln_1p(a, c))(a, a, c).unwrap())).unwrap();
    }

    /// Dot products and sums of 1..9 terms, exact (`mpfr_sum` rounded outward) and term by term.
    #[test]
    fn sums_and_dots_enclose_the_exact_result_in_any_order() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let ctx = IvCtx::new(P);
        for case in 0..800 {
            let k = 1 + case % 9;
            let a: Vec<Interval> = (0..k).map(|_| random_iv(&mut rng)).collect();
            let b: Vec<Interval> = (0..k).map(|_| random_iv(&mut rng)).collect();
            let (mut dot, mut sum, mut seq, mut t) = (ctx.consts.zero.clone(), ctx.consts.zero.clone(), ctx.consts.zero.clone(), ctx.consts.zero.clone());
            dot.set_dot_exact(a.iter().zip(&b), &ctx);
            sum.set_sum_exact(a.iter(), &ctx);
            for i in (0..k).rev() {
                t.set_mul(&a[i], &b[i], &ctx);
                seq.add_assign(&t, &ctx);
            }
            for _ in 0..6 {
                // one point of every interval, the exact dot and sum of those points
                let pick = |v: &Interval, rng: &mut rand_chacha::ChaCha8Rng| points(v, rng).swap_remove(rng.gen_range(0..5));
                let (x, y): (Vec<Float>, Vec<Float>) = a.iter().zip(&b).map(|(u, v)| (pick(u, &mut rng), pick(v, &mut rng))).unzip();
                let exact_dot = Float::with_val(4 * HI, Float::dot(x.iter().zip(&y)));
                let exact_sum = Float::with_val(4 * HI, Float::sum(x.iter()));
                assert!(dot.contains(&exact_dot) && seq.contains(&exact_dot), "dot of {k} terms");
                assert!(sum.contains(&exact_sum), "sum of {k} terms");
            }
        }
    }

    /// Every activation and loss function, σ, σ′, σ″ (k = 0, 1, 2, and σ′'s k = 0, 1), against
    /// `elementary`'s formulas at 1100 bits at points of the interval.
    #[test]
    fn activations_and_their_derivatives_enclose_the_exact_value() {
        let mut acts: Vec<Activation> = Activation::ALL.to_vec();
        acts.push(Activation::LeakyRelu(Slope::parse("0.2").unwrap()));
        let mut funs = vec![(Fun::Exp, 0), (Fun::Ln, 0), (Fun::Ln, 1), (Fun::Ln, 2)];
        for a in acts {
            funs.extend([(Fun::Act(a), 0), (Fun::Act(a), 1), (Fun::Act(a), 2), (Fun::ActD1(a), 0), (Fun::ActD1(a), 1)]);
        }
        for (f, k) in funs {
            let r = sound(
                600,
                &|a, _, c| {
                    let mut o = c.consts.zero.clone();
                    o.set_fun_deriv(f, k, a, c);
                    o
                },
                &|a, _, c| {
                    if matches!(f, Fun::Ln) && *a <= 0 {
                        return None;
                    }
                    let mut o = Float::new(HI);
                    o.set_fun_deriv(f, k, a, c);
                    Some(o)
                },
            );
            assert!(r.is_ok(), "{f:?}, k = {k}: {}", r.unwrap_err());
        }
    }

    /// A kink inside the interval: the derivative's enclosure is the hull of both sides; at
    /// the kink itself, the model's convention (σ′(0) = 0, resp. α).
    #[test]
    fn kinks_are_hulled() {
        let ctx = IvCtx::new(P);
        let iv = |lo: f64, hi: f64| Interval { lo: Float::with_val(P, lo), hi: Float::with_val(P, hi) };
        let mut o = ctx.consts.zero.clone();
        o.set_fun_deriv(Fun::ActD1(Activation::Relu), 0, &iv(-1.0, 2.0), &ctx);
        assert!(o.lo == 0 && o.hi == 1);
        o.set_fun_deriv(Fun::ActD1(Activation::Relu), 0, &iv(-1.0, 0.0), &ctx);
        assert!(o.lo == 0 && o.hi == 0);
        o.set_fun_deriv(Fun::ActD1(Activation::Relu), 0, &iv(0.0, 0.0), &ctx);
        assert!(o.is_zero());
        o.set_fun_deriv(Fun::ActD1(Activation::LeakyRelu(Slope::DEFAULT)), 0, &iv(-1.0, 2.0), &ctx);
        assert!(o.lo < 0.01 && o.hi == 1 && o.contains(&Float::with_val(HI, Float::parse("0.01").unwrap())));
        o.set_fun_deriv(Fun::Act(Activation::Relu), 0, &iv(-1.0, 2.0), &ctx);
        assert!(o.lo == 0 && o.hi == 2);
        // comparisons are certain or false
        assert!(!iv(-1.0, 2.0).is_positive() && iv(1.0, 2.0).is_positive());
        assert!(!iv(1.0, 2.0).gt(&iv(1.5, 3.0)) && iv(4.0, 5.0).gt(&iv(1.5, 3.0)));
        // 0 in the divisor: no bound
        o.set_div(&iv(1.0, 2.0), &iv(-1.0, 1.0), &ctx);
        assert!(!o.is_finite());
    }

    /// The constants contain their exact values; the point context's constants lie inside.
    #[test]
    fn constants_enclose_their_exact_values() {
        for prec in [24, 53, 64, 256] {
            let (ctx, pctx, hctx) = (IvCtx::new(prec), MpCtx::new(prec, None, false), MpCtx::new(HI, None, false));
            let (c, p, h) = (&ctx.consts, &pctx.consts, &hctx.consts);
            for (iv, point, exact) in [
                (&c.frac_1_sqrt_2, &p.frac_1_sqrt_2, &h.frac_1_sqrt_2),
                (&c.frac_1_sqrt_2pi, &p.frac_1_sqrt_2pi, &h.frac_1_sqrt_2pi),
                (&c.sqrt_2_over_pi, &p.sqrt_2_over_pi, &h.sqrt_2_over_pi),
                (&c.gelu_tanh_c, &p.gelu_tanh_c, &h.gelu_tanh_c),
                (&c.gelu_tanh_k1, &p.gelu_tanh_k1, &h.gelu_tanh_k1),
                (&c.half, &p.half, &h.half),
            ] {
                assert!(iv.contains(point) && iv.contains(exact) && (iv.lo < *exact || iv.lo == iv.hi) && iv.hi.prec() == prec, "{iv:?}");
            }
        }
    }

    /// Mutations: an upper bound rounded down (or a lower bound rounded up) makes the checks
    /// above fail — they can fail.
    #[test]
    fn an_unsound_bound_is_caught() {
        let add_hi_down = iv_op(|o, a, b, _| {
            dir!(o.lo, &a.lo + &b.lo, Round::Down);
            dir!(o.hi, &a.hi + &b.hi, Round::Down);
        });
        assert!(sound(3000, &add_hi_down, &mp_op(|o, a, b, c| o.set_add(a, b, c))).is_err());
        let mul_lo_up = iv_op(|o, a, b, c| {
            o.set_mul(a, b, c);
            let (l, _, _) = Interval::mul_corners(a, b);
            dir!(o.lo, l[0].0 * l[0].1, Round::Up);
        });
        assert!(sound(3000, &mul_lo_up, &mp_op(|o, a, b, c| o.set_mul(a, b, c))).is_err());
        let tanh_hi_down = iv_op(|o, a, _, _| o.monotone(a, |o, x, _| dir!(o, x.tanh_ref(), Round::Down)));
        assert!(sound(3000, &tanh_hi_down, &mp_op(|o, a, _, c| o.set_tanh(a, c))).is_err());
        // a kink's derivative without the hull: the other side's value escapes
        let relu_d1_no_hull = iv_op(|o, a, _, c| {
            o.set_fun_deriv(Fun::ActD1(Activation::Relu), 0, a, c);
            if a.hi > 0 && !(a.lo > 0) {
                o.lo.assign(1);
            }
        });
        let relu_d1 = |a: &Float, _: &Float, c: &MpCtx| {
            let mut o = Float::new(HI);
            o.set_fun_deriv(Fun::ActD1(Activation::Relu), 0, a, c);
            Some(o)
        };
        assert!(sound(3000, &relu_d1_no_hull, &relu_d1).is_err());
    }
}
