//! The running sums of [`super::norms::Norms`] for matrices whose entries are `f64` values (the
//! hardware formats and the narrow emulations hold every entry exactly as an `f64`), computed in
//! a 64-bit software float that returns **exactly** MPFR's result at [`METRIC_PREC`] = 64 bits
//! for every operation the sums use — so the figures are bit-identical to the MPFR path, at a
//! fraction of its cost (no MPFR call, no allocation, per entry pair).
//!
//! A value is `m · 2^e` with a 64-bit integer significand `m` (top bit set; `m = 0` is zero) and
//! an `i32` exponent (the sums of squares of `f64` values stay far inside it). The operations,
//! each rounded once to nearest-even at 64 bits as MPFR's `MPFR_RNDN`:
//! - `a²` of an `f64` a: the exact 106-bit product, rounded;
//! - `|a − b|` of two `f64`: exact in 128-bit integer arithmetic when the exponents are within 74
//!   bits of each other; otherwise the smaller operand lies below half a 64-bit unit of the
//!   larger (a normal `f64` has 53 bits, so 11 zero bits follow them), and the result is the
//!   larger magnitude exactly;
//! - `d²` of a 64-bit value: the exact 128-bit product, rounded; `2d²` exactly;
//! - `x + y` of two non-negative values: aligned in 128 bits with a sticky bit for what falls
//!   below, rounded.
//!
//! Non-finite entries are not handled here: [`super::metrics::asymmetry`] takes the MPFR path
//! for a matrix that has any. Tested against MPFR operation by operation (random, tie and carry
//! cases) and on whole matrices.

use rug::Float;

use super::norms::{AntiSum, Norms, METRIC_PREC};

/// A non-negative number `m · 2^e` of 64 significant bits (`m` normalized, or 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct F64x {
    m: u64,
    e: i32,
}

impl F64x {
    const ZERO: F64x = F64x { m: 0, e: 0 };

    /// `v · 2^e` rounded to nearest-even at 64 bits, `sticky` telling whether nonzero bits lie
    /// below `v`'s last bit.
    fn round(v: u128, e: i32, sticky: bool) -> F64x {
        if v == 0 {
            return F64x::ZERO;
        }
        let lz = v.leading_zeros();
        let v = v << lz;
        let e = e - lz as i32 + 64;
        let (mut m, rem) = ((v >> 64) as u64, v as u64);
        const HALF: u64 = 1 << 63;
        if rem > HALF || (rem == HALF && (sticky || m & 1 == 1)) {
            m = m.wrapping_add(1);
            if m == 0 {
                return F64x { m: HALF, e: e + 1 };
            }
        }
        F64x { m, e }
    }

    /// `|x|` of an `f64` as (integer significand, exponent): `|x| = m · 2^e` exactly.
    fn parts(x: f64) -> (u64, i32) {
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1 << 52) - 1);
        if exp == 0 {
            (frac, -1074)
        } else {
            (frac | 1 << 52, exp - 1075)
        }
    }

    /// `a²`, rounded.
    fn square_f64(a: f64) -> F64x {
        let (m, e) = Self::parts(a);
        F64x::round(m as u128 * m as u128, 2 * e, false)
    }

    /// `|a − b|`, rounded.
    fn abs_diff(a: f64, b: f64) -> F64x {
        let ((ma, ea), (mb, eb)) = (Self::parts(a), Self::parts(b));
        if ma == 0 || mb == 0 {
            let (m, e) = if ma == 0 { (mb, eb) } else { (ma, ea) };
            return F64x::round(m as u128, e, false);
        }
        let emin = ea.min(eb);
        if ea.max(eb) - emin > 74 {
            // the smaller is below half a 64-bit unit of the larger: the result is the larger
            let (m, e) = if ea > eb { (ma, ea) } else { (mb, eb) };
            return F64x::round(m as u128, e, false);
        }
        let va = (ma as i128) << (ea - emin);
        let vb = (mb as i128) << (eb - emin);
        let (va, vb) = (if a < 0.0 { -va } else { va }, if b < 0.0 { -vb } else { vb });
        F64x::round((va - vb).unsigned_abs(), emin, false)
    }

    /// `self²`, rounded.
    fn square(self) -> F64x {
        F64x::round(self.m as u128 * self.m as u128, 2 * self.e, false)
    }

    /// `2 · self`, exactly.
    fn double(self) -> F64x {
        if self.m == 0 { self } else { F64x { m: self.m, e: self.e + 1 } }
    }

    /// `self + y`, rounded.
    fn add(self, y: F64x) -> F64x {
        let (x, y) = if self.m == 0 || (y.m != 0 && y.e > self.e) { (y, self) } else { (self, y) };
        if y.m == 0 {
            return x;
        }
        // x · 2^63 and y aligned below it: 127 bits, room for the carry
        let shift = (x.e - y.e) as u32;
        let vx = (x.m as u128) << 63;
        let wide = (y.m as u128) << 63;
        let (vy, sticky) = if shift >= 127 { (0, true) } else { (wide >> shift, wide & ((1u128 << shift) - 1) != 0) };
        F64x::round(vx + vy, x.e - 63, sticky)
    }

    fn gt(self, y: F64x) -> bool {
        match (self.m, y.m) {
            (0, _) => false,
            (_, 0) => true,
            _ => (self.e, self.m) > (y.e, y.m),
        }
    }

    /// The value as a 64-bit MPFR number (exact).
    fn to_float(self) -> Float {
        let mut f = Float::with_val(METRIC_PREC, self.m);
        if self.m != 0 {
            f <<= self.e;
        }
        f
    }
}

/// [`Norms`] over `f64` entries (all finite), bit-identical to it.
#[derive(Clone, Debug)]
pub(crate) struct Norms64 {
    whole: F64x,
    anti: F64x,
    max_abs: F64x,
    pairs: u64,
    differing: u64,
    anti_sum: AntiSum,
}

impl Norms64 {
    /// Nothing accumulated.
    pub(crate) fn new(anti_sum: AntiSum) -> Self {
        Norms64 { whole: F64x::ZERO, anti: F64x::ZERO, max_abs: F64x::ZERO, pairs: 0, differing: 0, anti_sum }
    }

    /// [`Norms::diag`].
    #[inline]
    pub(crate) fn diag(&mut self, aii: f64) {
        self.whole = self.whole.add(F64x::square_f64(aii));
    }

    /// [`Norms::pair`].
    #[inline]
    pub(crate) fn pair(&mut self, a: f64, b: f64, equal: bool) {
        self.pairs += 1;
        self.whole = self.whole.add(F64x::square_f64(a));
        self.whole = self.whole.add(F64x::square_f64(b));
        if equal {
            return;
        }
        self.differing += 1;
        let d = F64x::abs_diff(a, b);
        if d.gt(self.max_abs) {
            self.max_abs = d;
        }
        let sq = d.square();
        self.anti = match self.anti_sum {
            AntiSum::EachEntry => self.anti.add(sq).add(sq),
            AntiSum::Doubled => self.anti.add(sq.double()),
        };
    }

    /// The same sums as MPFR numbers.
    pub(crate) fn into_norms(self) -> Norms {
        Norms::from_parts(self.whole.to_float(), self.anti.to_float(), self.max_abs.to_float(), self.pairs, self.differing, self.anti_sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rug::Assign;

    /// An `f64` from a family that exercises ties, carries, cancellation, zeros and subnormals.
    fn value(rng: &mut rand_chacha::ChaCha8Rng) -> f64 {
        let sign = if rng.gen::<bool>() { -1.0 } else { 1.0 };
        match rng.gen_range(0..8) {
            0 => 0.0 * sign,
            1 => f64::from_bits(rng.gen_range(1..1u64 << 52)) * sign, // subnormal
            2 => sign * (rng.gen_range(1u64..1 << 12) as f64) * 2f64.powi(rng.gen_range(-60..60)), // short significands
            3 => sign * ((1u64 << 53) - rng.gen_range(1u64..4)) as f64 * 2f64.powi(rng.gen_range(-80..20)), // near carries
            4 => sign * 2f64.powi(rng.gen_range(-1074..1023)),
            5 => sign * f64::from_bits(rng.gen_range(0x0010_0000_0000_0000..0x7fef_ffff_ffff_ffff)),
            _ => sign * (1.0 + rng.gen::<f64>()) * 2f64.powi(rng.gen_range(-30..30)),
        }
    }

    fn mp(x: f64) -> Float {
        Float::with_val(METRIC_PREC, x)
    }

    #[test]
    fn every_operation_equals_mpfr_at_64_bits() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
        let mut sq = Float::new(METRIC_PREC);
        for _ in 0..200_000 {
            let (a, b) = (value(&mut rng), if rng.gen_range(0..4) == 0 { 0.0 } else { value(&mut rng) });
            sq.assign(&mp(a) * &mp(a));
            assert_eq!(F64x::square_f64(a).to_float(), sq, "{a:e}²");
            let mut d = Float::with_val(METRIC_PREC, &mp(a) - &mp(b));
            d.abs_mut();
            assert_eq!(F64x::abs_diff(a, b).to_float(), d, "|{a:e} − {b:e}|");
            let dd = F64x::abs_diff(a, b);
            assert_eq!(dd.square().to_float(), Float::with_val(METRIC_PREC, &d * &d), "({a:e} − {b:e})²");
            let (x, y) = (dd.square(), F64x::square_f64(b));
            let sum = Float::with_val(METRIC_PREC, &x.to_float() + &y.to_float());
            assert_eq!(x.add(y).to_float(), sum, "{:?} + {:?}", x, y);
            assert_eq!(dd.gt(F64x::square_f64(b)), d > Float::with_val(METRIC_PREC, &mp(b) * &mp(b)));
        }
    }

    #[test]
    fn ties_round_to_even_and_sticky_bits_break_them() {
        let exact = |v: u128| Float::with_val(128, v);
        let big = F64x::round(1 << 64, 0, false);
        // 2^64 + 1: a tie between 2^64 and 2^64 + 2, to even
        assert_eq!(big.add(F64x::round(1, 0, false)).to_float(), exact(1 << 64));
        // 2^64 + 3: a tie between 2^64 + 2 and 2^64 + 4, to even
        assert_eq!(big.add(F64x::round(3, 0, false)).to_float(), exact((1 << 64) + 4));
        // 2^64 + 1 + 2^-60: above the tie, only a sticky bit says so
        let y = F64x::round((1 << 60) + 1, -60, false);
        assert_eq!(big.add(y).to_float(), exact((1 << 64) + 2));
        assert_eq!(F64x::round((1 << 64) + 1, 0, true).to_float(), exact((1 << 64) + 2));
        // a carry out of the top bit
        let all = F64x::round(u64::MAX as u128, 0, false);
        assert_eq!(all.add(F64x::round(1, 0, false)).to_float(), exact(1 << 64));
    }
}
