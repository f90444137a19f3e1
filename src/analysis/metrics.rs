//! Metrics of a computed Hessian H (Frobenius norms ‖·‖).
//!
//! * asymmetry: `‖H − Hᵀ‖/‖H‖`, `max |H_ij − H_ji|`, and the fraction of pairs i < j whose two
//!   entries differ bitwise.
//!
//! Differences `H_ij − H_ji` are formed from the exact entries and rounded once to 64 bits, and
//! the norms are accumulated in 64-bit MPFR (unbounded exponent range, [`super::norms`]), so an
//! asymmetry of 2^-1000 relative at `mp:1024` is still measured, not flushed to zero as in `f64`.
//!
//! * non-finite entries: how many entries are NaN or ±∞, and the first few ([`NonFinite`]).
//!
//! Also the forms of a metric for humans ([`fmt_metric`], [`log2`]).

use rug::Float;

use super::norms::{AntiSum, Norms};
use crate::hessian::Matrix;
use crate::packed::PackedMatrix;
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

/// The non-finite entries (NaN, ±∞) of a matrix: their number and the first
/// [`NonFinite::LISTED`] of them, row-major.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NonFinite {
    /// How many entries are NaN or ±∞.
    pub count: u64,
    /// The first few of them, (row, column), row-major.
    pub first: Vec<(usize, usize)>,
    /// How many entries were looked at (P²).
    pub of: u64,
}

impl NonFinite {
    /// How many entries are listed.
    pub const LISTED: usize = 5;

    /// Counts entry (i, j), visited row-major, if `finite` is false.
    pub fn note(&mut self, i: usize, j: usize, finite: bool) {
        self.of += 1;
        if !finite {
            self.count += 1;
            if self.first.len() < Self::LISTED {
                self.first.push((i, j));
            }
        }
    }

    /// Whether every entry is finite.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The non-finite entries of `h` (in any format).
    pub fn of<R: Real>(h: &Matrix<R>) -> NonFinite {
        let mut nf = NonFinite::default();
        let mut x = Float::new(METRIC_PREC);
        for i in 0..h.p {
            for j in 0..h.p {
                h.float_into(i, j, &mut x);
                nf.note(i, j, x.is_finite());
            }
        }
        nf
    }

    /// The non-finite entries of a packed matrix.
    pub fn of_packed(m: &PackedMatrix) -> NonFinite {
        let mut nf = NonFinite::default();
        let mut x = Float::new(METRIC_PREC);
        for i in 0..m.p {
            for j in 0..m.p {
                m.get_into(i, j, &mut x);
                nf.note(i, j, x.is_finite());
            }
        }
        nf
    }
}

impl std::fmt::Display for NonFinite {
    /// `3 of 36 entries non-finite (NaN or ±∞), first at (0, 0), (0, 1), (1, 0)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} of {} entries non-finite (NaN or ±∞)", self.count, self.of)?;
        if !self.first.is_empty() {
            let at: Vec<String> = self.first.iter().map(|(i, j)| format!("({i}, {j})")).collect();
            let more = if self.count > self.first.len() as u64 { ", …" } else { "" };
            write!(f, ", first at {}{more}", at.join(", "))?;
        }
        Ok(())
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

    #[test]
    fn non_finite_entries_are_counted_and_the_first_listed() {
        let h = Matrix::from_lines(2, vec![vec![1.0f64, 2.0], vec![2.0, 1.0]], false);
        assert!(NonFinite::of(&h).is_empty());
        let (nan, inf) = (f64::NAN, f64::INFINITY);
        let lines = vec![vec![nan, 1.0, -inf], vec![0.0, inf, 2.0], vec![nan, nan, nan]];
        let nf = NonFinite::of(&Matrix::from_lines(3, lines, false));
        assert_eq!((nf.count, nf.of), (6, 9));
        assert_eq!(nf.first, vec![(0, 0), (0, 2), (1, 1), (2, 0), (2, 1)]);
        assert_eq!(nf.to_string(), "6 of 9 entries non-finite (NaN or ±∞), first at (0, 0), (0, 2), (1, 1), (2, 0), (2, 1), …");
        // MPFR entries, and the packed form
        let lines = vec![vec![Float::with_val(64, 1), Float::with_val(64, f64::NAN)], vec![Float::with_val(64, 2), Float::with_val(64, 3)]];
        let h = Matrix::from_lines(2, lines, false);
        assert_eq!(NonFinite::of(&h).first, vec![(0, 1)]);
        assert_eq!(NonFinite::of_packed(&h.into_packed()).to_string(), "1 of 4 entries non-finite (NaN or ±∞), first at (0, 1)");
    }
}
