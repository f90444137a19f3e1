//! Metrics of a computed Hessian H (Frobenius norms ‖·‖).
//!
//! * asymmetry: `‖H − Hᵀ‖/‖H‖`, `max |H_ij − H_ji|`, and the fraction of pairs i < j whose two
//!   entries differ bitwise.
//!
//! Differences `H_ij − H_ji` are formed from the exact entries and rounded once to 64 bits, and
//! the norms are accumulated in 64-bit MPFR (unbounded exponent range, [`super::norms`]), so an
//! asymmetry of 2^-1000 relative at `mp:1024` is still measured, not flushed to zero as in `f64`.
//!
//! Also the forms of a metric for humans ([`fmt_metric`], [`log2`]).

use rug::Float;

use super::norms::{AntiSum, Norms};
use crate::hessian::Matrix;
use crate::scalar::Real;

pub use super::norms::{Asymmetry, METRIC_PREC};

/// Computes the asymmetry figures of `h` (the pairs' differences added as 2d², once:
/// [`AntiSum::Doubled`]).
pub fn asymmetry<R: Real>(h: &Matrix<R>) -> Asymmetry {
    let mut acc = Norms::new(AntiSum::Doubled);
    let (mut a, mut b) = (Float::new(METRIC_PREC), Float::new(METRIC_PREC));
    for i in 0..h.p {
        h.float_into(i, i, &mut a);
        acc.diag(&a);
        for j in i + 1..h.p {
            let equal = h.pair_into(i, j, &mut a, &mut b);
            acc.pair(&a, &b, equal);
        }
    }
    acc.asymmetry()
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
