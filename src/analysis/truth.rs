//! Certified ground truth.
//!
//! The truth `T` is the `fwd-rev` Hessian in the `exact` order (every sum correctly rounded)
//! at `mp:<bits>` (default 256, raised to `2p + 74` when a requested precision p needs more).
//! It is **certified** by recomputing it at `bits + check` bits (default +64) and counting, per
//! entry, the agreeing bits `−log₂(|T_ij − C_ij| / |C_ij|)` (capped at `bits`; both exactly
//! zero counts as `bits`; T_ij ≠ C_ij = 0 counts as 0; an entry NaN or ±∞ in either counts as 0,
//! so a truth with a non-finite entry is never certified). A comparison of a precision with p
//! significand bits needs `2p + 10` agreeing bits — enough that the truth's own error is
//! negligible against the p-bit result's error even in its last bits; a truth that falls short
//! is reported as not certified for that comparison.
//!
//! # Ball mode: a proven enclosure
//!
//! With [`TruthMode::Ball`] (`analyze --truth-mode ball`, `truth_mode = "ball"`) the same
//! `fwd-rev` Hessian is also computed in interval arithmetic ([`Interval`]: inf–sup pairs at
//! `bits` with MPFR's directed rounding, from the inputs' enclosures — a decimal `x` as
//! `[RD(x), RU(x)]`), through the same generic engine. Each entry's interval `[lo, hi]`
//! provably contains the exact Hessian entry at the exact inputs (see
//! `scalar::interval` for why). The truth's entries stay the point truth `T` at `bits` (the
//! matrix is bit for bit the point mode's), each with the radius `r = max(T − lo, hi − T)`
//! (rounded up), which provably bounds its error. The **proven bits** of an entry are
//! `⌊−log₂(r / min|[lo, hi]|)⌋` (the quotient rounded up; capped at `bits`; `bits` when
//! `r = 0`; 0 when the interval contains 0 with r > 0 or is not finite): the exact entry `v`
//! satisfies `|T − v| ≤ 2^−k·|v|`. In ball mode [`Truth::min_bits`] and
//! [`Truth::median_bits`] — the `certified_bits` of the analysis — are the proven bits.
//!
//! The two-precision check is kept as a cross-check: its agreeing bits are still computed
//! ([`Truth::agreeing_bits`]), and the check never contradicts the enclosure: `T` lies in its
//! interval on every entry — a theorem (the point computation at the same precision is the
//! same sequence of operations rounded to nearest, and round-to-nearest is monotone; see
//! `scalar::interval`), so a violation is a bug and panics loudly. The check `C` at
//! `bits + check` is also tested against the enclosure ([`Ball::check_outside`] counts the
//! entries where it falls outside; expected 0).

use std::cell::RefCell;

use rug::{Assign, Float};

use crate::hessian::{self, Matrix, Method};
use crate::model::problem::Inputs;
use crate::model::Spec;
use crate::order::{Eval, Order};
use crate::scalar::interval::{Interval, IvCtx};
use crate::scalar::precision::MpKernel;
use crate::scalar::{MpCtx, Real};

/// Default truth precision.
pub const DEFAULT_TRUTH_BITS: u32 = 256;
/// Default extra bits of the certifying recomputation.
pub const DEFAULT_CHECK_EXTRA: u32 = 64;

/// Agreeing bits a comparison with a p-bit precision needs.
pub fn bits_needed(p: u32) -> u32 {
    2 * p + 10
}

/// The default truth precision for comparisons whose finest precision has `p_max` bits.
pub fn default_bits(p_max: u32) -> u32 {
    DEFAULT_TRUTH_BITS.max(bits_needed(p_max) + 64)
}

/// How the truth is certified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum TruthMode {
    /// Two precisions agree to enough bits (a heuristic).
    #[default]
    #[value(name = "point")]
    Point,
    /// A proven enclosure in interval arithmetic (module docs), the two-precision check kept
    /// as a cross-check.
    #[value(name = "ball")]
    Ball,
}

impl TruthMode {
    /// The canonical name (`point`, `ball`).
    pub fn name(self) -> &'static str {
        match self {
            TruthMode::Point => "point",
            TruthMode::Ball => "ball",
        }
    }
}

impl std::fmt::Display for TruthMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for TruthMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "point" => Ok(TruthMode::Point),
            "ball" => Ok(TruthMode::Ball),
            _ => Err(format!("unknown truth mode `{s}` (expected point or ball)")),
        }
    }
}

/// The proven enclosure of a truth (ball mode): per entry, row-major.
#[derive(Clone, Debug)]
pub struct Ball {
    /// `max(T − lo, hi − T)` rounded up (64 bits): a proven bound on `|T − exact|`.
    pub radius: Vec<Float>,
    /// Proven bits (module docs).
    pub proven_bits: Vec<u32>,
    /// Entries where the check `C` at `bits + check` lies outside the enclosure (expected 0).
    pub check_outside: usize,
}

/// A ground-truth Hessian with its certification.
#[derive(Clone, Debug)]
pub struct Truth {
    /// Precision of T in bits.
    pub bits: u32,
    /// Precision of the certifying recomputation.
    pub check_bits: u32,
    /// T, at `bits`.
    pub matrix: Matrix<Float>,
    /// Agreeing bits per entry (row-major).
    pub agreeing_bits: Vec<u32>,
    /// The enclosure (ball mode), `None` in point mode.
    pub ball: Option<Ball>,
}

impl Truth {
    /// Computes and certifies the truth for `inputs` (given at, or exactly convertible to,
    /// `bits` precision).
    pub fn compute(spec: &Spec, n: usize, inputs: &Inputs<Float>, bits: u32, check_extra: u32) -> Truth {
        Self::compute_with_check(spec, n, inputs, bits, check_extra).0
    }

    /// [`Truth::compute`] and the check's matrix.
    fn compute_with_check(spec: &Spec, n: usize, inputs: &Inputs<Float>, bits: u32, check_extra: u32) -> (Truth, Matrix<Float>) {
        let check_bits = bits + check_extra;
        let t = exact_hessian(spec, n, inputs, bits);
        let c = exact_hessian(spec, n, inputs, check_bits);
        let p = t.p;
        let (mut tk, mut ck) = (Float::new(bits), Float::new(check_bits));
        let agreeing_bits = (0..p * p)
            .map(|k| {
                t.float_into(k / p, k % p, &mut tk);
                c.float_into(k / p, k % p, &mut ck);
                agreeing(&tk, &ck, bits)
            })
            .collect();
        (Truth { bits, check_bits, matrix: t, agreeing_bits, ball: None }, c)
    }

    /// [`Truth::compute`] plus the proven enclosure (module docs, "Ball mode"): `exact` are the
    /// inputs' enclosures (e.g. a decimal's `[RD, RU]` at `bits`), `inputs` the point inputs at
    /// `bits`, each inside its enclosure.
    ///
    /// # Panics
    /// If the point truth lies outside its enclosure on some entry — impossible unless the
    /// interval arithmetic or the engine has a bug (module docs).
    pub fn compute_ball(spec: &Spec, n: usize, exact: &Inputs<Interval>, inputs: &Inputs<Float>, bits: u32, check_extra: u32) -> Truth {
        let (mut truth, c) = Truth::compute_with_check(spec, n, inputs, bits, check_extra);
        let b = ball_hessian(spec, n, exact, bits);
        let p = truth.matrix.p;
        let (mut tk, mut ck) = (Float::new(bits), Float::new(truth.check_bits));
        let mut ball = Ball { radius: Vec::with_capacity(p * p), proven_bits: Vec::with_capacity(p * p), check_outside: 0 };
        for k in 0..p * p {
            let (i, j) = (k / p, k % p);
            truth.matrix.float_into(i, j, &mut tk);
            let iv = b.get(i, j);
            assert!(
                tk.is_nan() || iv.has_nan() || iv.contains(&tk),
                "BUG: the point truth at mp:{bits} lies outside its proven enclosure at entry ({i}, {j}): T = {tk}, enclosure [{}, {}]",
                iv.lo,
                iv.hi
            );
            c.float_into(i, j, &mut ck);
            ball.check_outside += usize::from(iv.is_finite() && !iv.contains(&ck));
            let (r, bits) = proven_bits(&tk, &iv, bits);
            ball.radius.push(r);
            ball.proven_bits.push(bits);
        }
        truth.ball = Some(ball);
        truth
    }

    /// The mode: ball when it carries an enclosure.
    pub fn mode(&self) -> TruthMode {
        if self.ball.is_some() {
            TruthMode::Ball
        } else {
            TruthMode::Point
        }
    }

    /// The certified bits per entry: the proven bits in ball mode, the agreeing bits otherwise.
    pub fn certified_bits(&self) -> &[u32] {
        self.ball.as_ref().map_or(&self.agreeing_bits, |b| &b.proven_bits)
    }

    /// The smallest number of certified bits over all entries ([`Truth::certified_bits`]).
    pub fn min_bits(&self) -> u32 {
        self.certified_bits().iter().copied().min().unwrap_or(self.bits)
    }

    /// The median number of certified bits.
    pub fn median_bits(&self) -> u32 {
        let mut v = self.certified_bits().to_vec();
        v.sort_unstable();
        v.get(v.len() / 2).copied().unwrap_or(self.bits)
    }

    /// The smallest number of agreeing bits of the two-precision check (in ball mode the
    /// cross-check; otherwise [`Truth::min_bits`]).
    pub fn agreeing_min(&self) -> u32 {
        self.agreeing_bits.iter().copied().min().unwrap_or(self.bits)
    }

    /// Whether the truth is certified for comparisons with a `p`-bit precision.
    pub fn certifies(&self, p: u32) -> bool {
        self.min_bits() >= bits_needed(p)
    }
}

/// The `fwd-rev` Hessian in the `exact` order at `bits` (inputs rounded to `bits` if wider).
pub fn exact_hessian(spec: &Spec, n: usize, inputs: &Inputs<Float>, bits: u32) -> Matrix<Float> {
    let ctx = MpCtx::new(bits, None, false);
    let at = |v: &[Float]| v.iter().map(|x| ctx.round(x)).collect::<Vec<_>>();
    let inputs = Inputs { x: at(&inputs.x), y: at(&inputs.y), theta: at(&inputs.theta) };
    let eval = Eval::new(Order::Exact, spec.sum_lengths(n));
    hessian::compute_mp(Method::FwdRev, spec, n, &inputs, &eval, &ctx, MpKernel::current())
}

/// The `fwd-rev` Hessian in the `exact` order in interval arithmetic at `bits` (inputs: their
/// enclosures, widened to `bits` outward if wider): each entry a proven enclosure.
pub fn ball_hessian(spec: &Spec, n: usize, exact: &Inputs<Interval>, bits: u32) -> Matrix<Interval> {
    let at = |v: &[Interval]| {
        v.iter()
            .map(|x| Interval { lo: Float::with_val_round(bits, &x.lo, rug::float::Round::Down).0, hi: Float::with_val_round(bits, &x.hi, rug::float::Round::Up).0 })
            .collect::<Vec<_>>()
    };
    let inputs = Inputs { x: at(&exact.x), y: at(&exact.y), theta: at(&exact.theta) };
    let ctx = IvCtx::new(bits);
    let eval = Eval::new(Order::Exact, spec.sum_lengths(n));
    hessian::compute(Method::FwdRev, spec, n, &inputs, &eval, &ctx)
}

/// The radius `r = max(t − lo, hi − t)` (rounded up to 64 bits) of the point value `t` in the
/// enclosure `iv`, and its proven bits capped at `cap` (module docs): the largest k with
/// `r / min|iv| ≤ 2^−k`, the quotient rounded up; `cap` when `r = 0`; 0 when the enclosure is
/// not finite, or contains 0 and `r > 0`.
pub fn proven_bits(t: &Float, iv: &Interval, cap: u32) -> (Float, u32) {
    use rug::float::Round;
    let up = |x| Float::with_val_round(64, x, Round::Up).0;
    if !iv.is_finite() || t.is_nan() {
        return (Float::with_val(64, rug::float::Special::Infinity), 0);
    }
    let (a, b) = (up(t - &iv.lo), up(&iv.hi - t));
    let r = if a > b { a } else { b };
    if r.is_zero() {
        return (r, cap);
    }
    let mig = if iv.lo > 0 {
        Float::with_val_round(64, &iv.lo, Round::Down).0
    } else if iv.hi < 0 {
        Float::with_val_round(64, -&iv.hi, Round::Down).0
    } else {
        return (r, 0);
    };
    let q = Float::with_val_round(64, &r / &mig, Round::Up).0;
    // q = m·2^e with ½ ≤ m < 1: q ≤ 2^−k for k = −e, and for k = 1 − e when m = ½
    let e = i64::from(q.get_exp().expect("a positive finite quotient"));
    let half = Float::with_val(64, 0.5);
    let k = if (q.clone() >> e as i32) == half { 1 - e } else { -e };
    (r, u32::try_from(k.max(0)).unwrap_or(u32::MAX).min(cap))
}

/// Agreeing bits of `a` with the more precise `b`, capped at `cap`: `⌊−log₂ r⌋` with
/// `r = |a − b| / |b|` (difference, |b| and quotient each rounded to 64 bits, the logarithm to
/// 64 bits and then to f64), 0 when that is not positive or when `a` or `b` is NaN or ±∞ (an
/// infinity agrees with nothing, not even itself).
///
/// Counted from r's exponent, without a logarithm or an allocation: with `r = m·2^e`,
/// `½ ≤ m < 1`, `−log₂ r ∈ (−e, −e + 1]`, so the floor is `−e` — except when m is within
/// 2^-20 of ½ (where the rounded logarithm may land on −e + 1) or r is not an ordinary
/// number; those cases take the logarithm as written above ([`agreeing_by_log`]). Both give
/// the same count on every input (tested).
pub fn agreeing(a: &Float, b: &Float, cap: u32) -> u32 {
    if !(a.is_finite() && b.is_finite()) {
        return 0;
    }
    if a == b {
        return cap;
    }
    if b.is_zero() {
        return 0;
    }
    let fast = SCRATCH.with(|s| {
        let [r, m] = &mut *s.borrow_mut();
        r.assign(a - b);
        r.abs_mut();
        m.assign(b);
        m.abs_mut();
        *r /= &*m;
        let e = r.get_exp().filter(|e| e.unsigned_abs() < 1 << 30)?;
        m.assign(&*r >> e);
        (m.to_f64() > 0.5 + f64::powi(2.0, -20)).then(|| u32::try_from(-i64::from(e)).unwrap_or(0).min(cap))
    });
    fast.unwrap_or_else(|| agreeing_by_log(a, b, cap))
}

/// [`agreeing`] by its definition, with the logarithm.
pub fn agreeing_by_log(a: &Float, b: &Float, cap: u32) -> u32 {
    if !(a.is_finite() && b.is_finite()) {
        return 0;
    }
    if a == b {
        return cap;
    }
    if b.is_zero() {
        return 0;
    }
    let d = Float::with_val(64, a - b).abs();
    let rel = d / Float::with_val(64, b).abs();
    let bits = -rel.log2().to_f64();
    if bits.is_nan() || bits <= 0.0 {
        0
    } else {
        (bits.floor() as u32).min(cap)
    }
}

thread_local! {
    /// Scratch numbers of [`agreeing`] (64 bits).
    static SCRATCH: RefCell<[Float; 2]> = RefCell::new([Float::new(64), Float::new(64)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreeing_bits_from_the_exponent_equal_the_logarithm() {
        // Pairs around every power of two (the exponent's boundary), mantissas just above and
        // below ½, and spread values, at several precisions; equal and zero cases too.
        let mut checked = 0;
        for prec in [24u32, 53, 113, 256, 320] {
            for k in 0..400i32 {
                let b = Float::with_val(prec, 1.25) << (k % 37 - 18);
                for s in [-3i32, -1, 0, 1, 2, 5] {
                    // a = b·(1 ± 2^-k') with nudges of a few ulps
                    let kk = (k % 200) as u32 + 1;
                    let mut a = Float::with_val(prec, &b * (Float::with_val(prec, 1) >> kk));
                    a += &b;
                    let ulp = Float::with_val(prec, &b >> (prec - 1));
                    a += Float::with_val(prec, &ulp * s);
                    for x in [a.clone(), -a.clone(), Float::with_val(prec, &b * (0.5 + f64::from(k) / 997.0))] {
                        for cap in [24, 53, 256] {
                            assert_eq!(agreeing(&x, &b, cap), agreeing_by_log(&x, &b, cap), "{x} vs {b}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        let z = Float::new(53);
        let one = Float::with_val(53, 1);
        assert_eq!(agreeing(&one, &z, 53), 0);
        assert_eq!(agreeing(&one, &one, 53), 53);
        assert_eq!(agreeing(&Float::with_val(53, f64::NAN), &one, 53), agreeing_by_log(&Float::with_val(53, f64::NAN), &one, 53));
        assert_eq!(agreeing(&Float::with_val(53, f64::INFINITY), &one, 53), 0);
        assert!(checked > 100_000);
    }

    #[test]
    fn non_finite_entries_agree_with_nothing() {
        let (inf, nan, one) = (Float::with_val(53, f64::INFINITY), Float::with_val(53, f64::NAN), Float::with_val(53, 1));
        for (a, b) in [(&inf, &inf), (&nan, &nan), (&one, &inf), (&inf, &one), (&one, &nan), (&nan, &one)] {
            assert_eq!(agreeing(a, b, 256), 0, "{a} vs {b}");
            assert_eq!(agreeing_by_log(a, b, 256), 0, "{a} vs {b}");
        }
    }

    /// A truth with an infinite input has non-finite entries, agreeing with their recomputation
    /// bit for bit (∞ = ∞): it is still never certified.
    #[test]
    fn a_truth_with_non_finite_entries_is_not_certified() {
        use crate::model::{Activation, Loss};
        let spec = Spec::new(vec![2, 2], vec![Activation::Identity], Loss::Mse);
        let f = |v: &[f64]| v.iter().map(|&x| Float::with_val(256, x)).collect::<Vec<_>>();
        let inputs = Inputs { x: f(&[f64::INFINITY, 2.0]), y: f(&[0.5, 0.5]), theta: f(&[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) };
        let t = Truth::compute(&spec, 1, &inputs, 256, 64);
        assert!(!crate::analysis::metrics::NonFinite::of(&t.matrix).is_empty());
        assert_eq!(t.min_bits(), 0);
        assert!(!t.certifies(2));
    }
}
