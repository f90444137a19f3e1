//! Frobenius norms of a matrix A and of its antisymmetric part A − Aᵀ, streamed one entry pair
//! at a time: the one accumulator behind every norm of the analysis (‖T‖, each attribution part,
//! the order spreads) and the asymmetry figures of H.
//!
//! Each square is rounded once to [`METRIC_PREC`] bits and added to a running 64-bit MPFR sum
//! (unbounded exponent range: an asymmetry of 2^-1000 relative is measured, not flushed to zero
//! as in `f64`); a difference `A_ij − A_ji` is rounded once to 64 bits before it is squared. The
//! order of the sums is part of the result's bits: feed every diagonal entry ([`Norms::diag`])
//! and every pair `(A_ij, A_ji)`, i < j ([`Norms::pair`]), row by row, each row's diagonal first.
//!
//! A pair contributes d² twice to ‖A − Aᵀ‖² (entries d and −d). Adding d² twice (two
//! roundings) and adding 2d² once (one rounding) can differ in the last bit, and the published
//! figures fix which one each use takes ([`AntiSum`]), so both are kept.

use rug::{Assign, Float};

/// Precision of metric arithmetic.
pub const METRIC_PREC: u32 = 64;

/// How a pair's two antisymmetric entries (d and −d) enter ‖A − Aᵀ‖².
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AntiSum {
    /// d² added once per entry: two roundings (the attribution parts, the order spreads).
    EachEntry,
    /// 2d² added once: one rounding (the asymmetry of H).
    Doubled,
}

/// ‖·‖ of a matrix relative to a scale (‖T‖_F in the analysis): whole and antisymmetric part.
#[derive(Clone, Debug)]
pub struct Part {
    /// ‖A‖_F / scale.
    pub total: Float,
    /// ‖A − Aᵀ‖_F / scale.
    pub antisym: Float,
}

impl Part {
    /// Both figures zero.
    pub fn zero() -> Part {
        Part { total: Float::new(METRIC_PREC), antisym: Float::new(METRIC_PREC) }
    }
}

/// Asymmetry of a matrix.
#[derive(Clone, Debug)]
pub struct Asymmetry {
    /// `‖H − Hᵀ‖_F / ‖H‖_F` (0 if H = 0).
    pub rel_fro: Float,
    /// `max_{i<j} |H_ij − H_ji|`.
    pub max_abs: Float,
    /// Fraction of pairs i < j with `H_ij ≠ H_ji` bitwise (0 when P = 1).
    pub pairs_fraction: f64,
    /// Number of such pairs.
    pub pairs_differing: u64,
}

/// The running sums ‖A‖², ‖A − Aᵀ‖², `max |A_ij − A_ji|` and the count of differing pairs, with
/// preallocated scratch numbers (nothing is allocated per entry).
#[derive(Clone, Debug)]
pub struct Norms {
    whole: Float,
    anti: Float,
    max_abs: Float,
    d: Float,
    sq: Float,
    pairs: u64,
    differing: u64,
    anti_sum: AntiSum,
}

impl Norms {
    /// Nothing accumulated.
    pub fn new(anti_sum: AntiSum) -> Self {
        let z = || Float::new(METRIC_PREC);
        Norms { whole: z(), anti: z(), max_abs: z(), d: z(), sq: z(), pairs: 0, differing: 0, anti_sum }
    }

    /// Sums accumulated elsewhere ([`super::norms64::Norms64`]).
    pub(crate) fn from_parts(whole: Float, anti: Float, max_abs: Float, pairs: u64, differing: u64, anti_sum: AntiSum) -> Self {
        let z = || Float::new(METRIC_PREC);
        Norms { whole, anti, max_abs, d: z(), sq: z(), pairs, differing, anti_sum }
    }

    /// A diagonal entry `A_ii`.
    pub fn diag(&mut self, aii: &Float) {
        self.sq.assign(aii * aii);
        self.whole += &self.sq;
    }

    /// The pair `(a, b) = (A_ij, A_ji)`, i < j. With `equal` (the two are known to be the same
    /// number, e.g. bitwise equal in their format) the pair adds nothing antisymmetric and does
    /// not count as differing; pass `false` when that is not known.
    pub fn pair(&mut self, a: &Float, b: &Float, equal: bool) {
        self.pairs += 1;
        self.sq.assign(a * a);
        self.whole += &self.sq;
        self.sq.assign(b * b);
        self.whole += &self.sq;
        if equal {
            return;
        }
        self.differing += 1;
        self.d.assign(a - b);
        self.d.abs_mut();
        if self.d > self.max_abs {
            self.max_abs.assign(&self.d);
        }
        self.sq.assign(&self.d * &self.d);
        match self.anti_sum {
            AntiSum::EachEntry => {
                self.anti += &self.sq;
                self.anti += &self.sq;
            }
            AntiSum::Doubled => {
                self.sq *= 2u32;
                self.anti += &self.sq;
            }
        }
    }

    /// ‖A‖_F.
    pub fn fro(&self) -> Float {
        self.whole.clone().sqrt()
    }

    /// ‖A‖_F and ‖A − Aᵀ‖_F divided by `scale` (not divided when `scale` is 0).
    pub fn relative(&self, scale: &Float) -> Part {
        let rel = |x: &Float| {
            let r = x.clone().sqrt();
            if scale.is_zero() { r } else { r / scale }
        };
        Part { total: rel(&self.whole), antisym: rel(&self.anti) }
    }

    /// The asymmetry figures: ‖A − Aᵀ‖_F/‖A‖_F, the largest |A_ij − A_ji| and the differing pairs.
    pub fn asymmetry(self) -> Asymmetry {
        let rel_fro = if self.whole.is_zero() { Float::new(METRIC_PREC) } else { (self.anti / self.whole).sqrt() };
        Asymmetry {
            rel_fro,
            max_abs: self.max_abs,
            pairs_fraction: if self.pairs == 0 { 0.0 } else { self.differing as f64 / self.pairs as f64 },
            pairs_differing: self.differing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two ways of adding a pair's antisymmetric entries are both kept because they round
    /// differently: 1 + 2⁻⁶⁴ + 2⁻⁶⁴ is 1 at 64 bits (two ties to even), 1 + 2⁻⁶³ is not.
    #[test]
    fn each_entry_and_doubled_sums_round_differently() {
        let one = Float::with_val(METRIC_PREC, 1);
        let d = Float::with_val(METRIC_PREC, 1) >> 32u32; // d² = 2⁻⁶⁴
        let zero = Float::new(METRIC_PREC);
        let sums = [AntiSum::EachEntry, AntiSum::Doubled].map(|mode| {
            let mut n = Norms::new(mode);
            n.anti.assign(&one);
            n.pair(&d, &zero, false);
            n.anti
        });
        assert_eq!(sums[0], one);
        assert_eq!(sums[1], Float::with_val(METRIC_PREC, &one + (Float::with_val(METRIC_PREC, 1) >> 63u32)));
    }
}
