//! Metrics of a computed Hessian H (Frobenius norms ‖·‖).
//!
//! * asymmetry: `‖H − Hᵀ‖/‖H‖`, `max |H_ij − H_ji|`, and the fraction of pairs i < j whose two
//!   entries differ bitwise.
//!
//! Differences `H_ij − H_ji` are formed from the exact entries and rounded once to 64 bits, and
//! the norms are accumulated in 64-bit MPFR (unbounded exponent range), so an asymmetry of
//! 2^-1000 relative at `mp:1024` is still measured, not flushed to zero as in `f64`.

use rug::{Assign, Float};

use crate::hessian::Matrix;
use crate::scalar::Real;

/// Precision of metric arithmetic.
pub const METRIC_PREC: u32 = 64;

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

/// Computes the asymmetry figures of `h`.
pub fn asymmetry<R: Real>(h: &Matrix<R>) -> Asymmetry {
    let mut acc = AsymmetryAcc::new();
    let (mut a, mut b) = (Float::new(METRIC_PREC), Float::new(METRIC_PREC));
    for i in 0..h.p {
        h.float_into(i, i, &mut a);
        acc.diag(&a);
        for j in i + 1..h.p {
            let equal = h.pair_into(i, j, &mut a, &mut b);
            acc.pair(&a, &b, equal);
        }
    }
    acc.finish()
}

/// [`asymmetry`] fed one entry at a time, with preallocated numbers: every diagonal entry
/// (`diag`) and every pair `(H_ij, H_ji)`, i < j (`pair`), each row's diagonal before its
/// pairs, rows in order — the order of the sums is part of the result's bits.
#[derive(Clone, Debug)]
pub struct AsymmetryAcc {
    anti2: Float,
    norm2: Float,
    max_abs: Float,
    d: Float,
    sq: Float,
    pairs: u64,
    differing: u64,
}

impl Default for AsymmetryAcc {
    fn default() -> Self {
        Self::new()
    }
}

impl AsymmetryAcc {
    /// Nothing accumulated.
    pub fn new() -> Self {
        let z = || Float::new(METRIC_PREC);
        AsymmetryAcc { anti2: z(), norm2: z(), max_abs: z(), d: z(), sq: z(), pairs: 0, differing: 0 }
    }

    /// A diagonal entry.
    pub fn diag(&mut self, hii: &Float) {
        self.sq.assign(hii * hii);
        self.norm2 += &self.sq;
    }

    /// The pair `(a, b) = (H_ij, H_ji)`, i < j; `bits_equal` as the format compares them.
    pub fn pair(&mut self, a: &Float, b: &Float, bits_equal: bool) {
        self.pairs += 1;
        self.sq.assign(a * a);
        self.norm2 += &self.sq;
        self.sq.assign(b * b);
        self.norm2 += &self.sq;
        if !bits_equal {
            self.differing += 1;
            self.d.assign(a - b);
            self.d.abs_mut();
            if self.d > self.max_abs {
                self.max_abs.assign(&self.d);
            }
            // (H − Hᵀ) holds d and −d
            self.sq.assign(&self.d * &self.d);
            self.sq *= 2u32;
            self.anti2 += &self.sq;
        }
    }

    /// The figures.
    pub fn finish(self) -> Asymmetry {
        let rel_fro = if self.norm2.is_zero() { Float::new(METRIC_PREC) } else { (self.anti2 / self.norm2).sqrt() };
        Asymmetry {
            rel_fro,
            max_abs: self.max_abs,
            pairs_fraction: if self.pairs == 0 { 0.0 } else { self.differing as f64 / self.pairs as f64 },
            pairs_differing: self.differing,
        }
    }
}

/// A metric for humans: `f64` scientific notation when representable, MPFR's otherwise.
pub fn fmt_metric(x: &Float) -> String {
    let f = x.to_f64();
    if x.is_zero() || (f != 0.0 && f.is_finite()) {
        format!("{f:.3e}")
    } else {
        x.to_string_radix(10, Some(4))
    }
}

/// `log2 |x|` (−∞ for 0), for "2^-k" style reporting.
pub fn log2(x: &Float) -> f64 {
    if x.is_zero() {
        f64::NEG_INFINITY
    } else {
        let e = x.get_exp().unwrap_or(0) as f64;
        let m = Float::with_val(64, x >> x.get_exp().unwrap_or(0)).abs().to_f64();
        e + m.log2()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asymmetry_of_small_matrices() {
        let h = Matrix::from_lines(2, vec![vec![1.0f64, 2.0], vec![2.0, 1.0]], false);
        let a = asymmetry(&h);
        assert!(a.rel_fro.is_zero() && a.max_abs.is_zero() && a.pairs_differing == 0);
        let h = Matrix::from_lines(2, vec![vec![0.0f64, 1.0], vec![0.0, 0.0]], false);
        let a = asymmetry(&h);
        // ‖H − Hᵀ‖ = √2, ‖H‖ = 1
        assert_eq!(a.rel_fro.to_f64(), 2f64.sqrt());
        assert_eq!(a.max_abs.to_f64(), 1.0);
        assert_eq!(a.pairs_fraction, 1.0);
        assert_eq!(log2(&Float::with_val(64, 0.25)), -2.0);
    }
}
