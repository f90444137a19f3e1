//! Metrics of a computed Hessian H (Frobenius norms ‖·‖).
//!
//! * asymmetry: `‖H − Hᵀ‖/‖H‖`, `max |H_ij − H_ji|`, and the fraction of pairs i < j whose two
//!   entries differ bitwise.
//!
//! Differences `H_ij − H_ji` are formed from the exact entries and rounded once to 64 bits, and
//! the norms are accumulated in 64-bit MPFR (unbounded exponent range), so an asymmetry of
//! 2^-1000 relative at `mp:1024` is still measured, not flushed to zero as in `f64`.

use rug::ops::CompleteRound;
use rug::Float;

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
    let p = h.p;
    let mut anti2 = Float::new(METRIC_PREC);
    let mut norm2 = Float::new(METRIC_PREC);
    let mut max_abs = Float::new(METRIC_PREC);
    let mut d = Float::new(METRIC_PREC);
    let mut differing = 0u64;
    for i in 0..p {
        let hii = h.get(i, i).to_float();
        norm2 += (&hii * &hii).complete(METRIC_PREC);
        for j in i + 1..p {
            let (a, b) = (h.get(i, j), h.get(j, i));
            let (fa, fb) = (a.to_float(), b.to_float());
            norm2 += (&fa * &fa).complete(METRIC_PREC);
            norm2 += (&fb * &fb).complete(METRIC_PREC);
            if !a.bits_eq(b) {
                differing += 1;
                d.assign_round_nearest_sub(&fa, &fb);
                d.abs_mut();
                if d > max_abs {
                    max_abs.clone_from(&d);
                }
                // (H − Hᵀ) holds d and −d
                anti2 += (&d * &d).complete(METRIC_PREC) * 2u32;
            }
        }
    }
    let pairs = (p * p.saturating_sub(1) / 2) as u64;
    let rel_fro = if norm2.is_zero() { Float::new(METRIC_PREC) } else { (anti2 / norm2).sqrt() };
    Asymmetry {
        rel_fro,
        max_abs,
        pairs_fraction: if pairs == 0 { 0.0 } else { differing as f64 / pairs as f64 },
        pairs_differing: differing,
    }
}

trait SubNearest {
    fn assign_round_nearest_sub(&mut self, a: &Float, b: &Float);
}

impl SubNearest for Float {
    fn assign_round_nearest_sub(&mut self, a: &Float, b: &Float) {
        rug::Assign::assign(self, a - b);
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
