//! Metrics of a computed Hessian H (Frobenius norms ‖·‖).
//!
//! * asymmetry: `‖H − Hᵀ‖/‖H‖`, `max |H_ij − H_ji|`, and the fraction of pairs i < j whose two
//!   entries differ bitwise.
//!
//! Differences `H_ij − H_ji` are formed from the exact entries and rounded once to 64 bits, and
//! the norms are accumulated in 64-bit MPFR (unbounded exponent range, [`super::norms`]), so an
//! asymmetry of 2^-1000 relative at `mp:1024` is still measured, not flushed to zero as in `f64`.
//! A matrix of finite `f64` values (every hardware and narrow format) takes the same sums in a
//! 64-bit software float bit-identical to MPFR ([`super::norms64`]), at a fraction of the cost.
//!
//! * non-finite entries: how many entries are NaN or ±∞, and the first few ([`NonFinite`]).
//!
//! Also the forms of a metric for humans ([`fmt_metric`], [`log2`]).

use rug::Float;

use super::norms::{AntiSum, Norms};
use super::norms64::matrix_sums;
use crate::hessian::Matrix;
use crate::packed::PackedMatrix;
use crate::scalar::Real;

pub use super::norms::{Asymmetry, METRIC_PREC};

/// Computes the asymmetry figures of `h` (the pairs' differences added as 2d², once:
/// [`AntiSum::Doubled`]).
pub fn asymmetry<R: Real>(h: &Matrix<R>) -> Asymmetry {
    match asymmetry_f64(h) {
        Some(norms) => norms.asymmetry(),
        None => asymmetry_mpfr(h),
    }
}

/// [`asymmetry`] in MPFR, entry by entry (any format, non-finite entries included).
fn asymmetry_mpfr<R: Real>(h: &Matrix<R>) -> Asymmetry {
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

/// [`asymmetry`]'s sums in the 64-bit software float of [`super::norms64`] (bit-identical, far
/// faster, and parallel), when every entry of `h` is a finite `f64` value; `None` otherwise.
fn asymmetry_f64<R: Real>(h: &Matrix<R>) -> Option<Norms> {
    asymmetry_f64_blocks(h, 1 << 16)
}

/// [`asymmetry_f64`] with the summed terms formed in row blocks of about `block` pairs.
fn asymmetry_f64_blocks<R: Real>(h: &Matrix<R>, block: usize) -> Option<Norms> {
    use rayon::prelude::*;
    let values = h.plain_values()?;
    if !values.par_iter().all(|v| v.exact_f64().is_some_and(f64::is_finite)) {
        return None;
    }
    // every entry is a finite f64 (checked above), and two entries are equal in their format
    // exactly when their f64 values have the same bits (the format → f64 map is exact and
    // one-to-one, −0 included)
    let at = |i: usize, j: usize| h.get(i, j).exact_f64().unwrap_or(f64::NAN);
    Some(matrix_sums(h.p, at, AntiSum::Doubled, block))
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
        if let Some(values) = h.plain_values() {
            // counted in storage order (fast); listed row-major only when there are any
            if values.iter().all(Real::is_finite) {
                return NonFinite { count: 0, first: Vec::new(), of: values.len() as u64 };
            }
            for i in 0..h.p {
                for j in 0..h.p {
                    nf.note(i, j, h.get(i, j).is_finite());
                }
            }
            return nf;
        }
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

    /// The software-float path equals the MPFR path bit for bit on matrices of f64 and f32
    /// values with every kind of pair: equal, ±0, nearly equal, far apart, subnormal.
    #[test]
    fn the_f64_path_equals_the_mpfr_path_bit_for_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        for round in 0..40 {
            let p = rng.gen_range(1..40);
            let mut lines = vec![vec![0.0f64; p]; p];
            for i in 0..p {
                for j in 0..=i {
                    let scale = 2f64.powi(rng.gen_range(-1070..1000) * (round % 3) / 2);
                    let a = (rng.gen::<f64>() - 0.5) * scale;
                    let b = match rng.gen_range(0..6) {
                        0 => a,
                        1 => -a,
                        2 => f64::from_bits(a.to_bits() ^ 1),
                        3 => a * (1.0 + 2f64.powi(-rng.gen_range(1..60))),
                        4 => f64::from_bits(rng.gen_range(0..1u64 << 52)),
                        _ => (rng.gen::<f64>() - 0.5) * scale,
                    };
                    (lines[i][j], lines[j][i]) = (a, b);
                }
            }
            let same = |x: &Asymmetry, y: &Asymmetry| {
                assert!(x.rel_fro.bits_eq(&y.rel_fro) && x.rel_fro.prec() == y.rel_fro.prec(), "{x:?} {y:?}");
                assert!(x.max_abs.bits_eq(&y.max_abs) && x.max_abs.prec() == y.max_abs.prec(), "{x:?} {y:?}");
                assert_eq!((x.pairs_differing, x.pairs_fraction.to_bits()), (y.pairs_differing, y.pairs_fraction.to_bits()));
            };
            let h = Matrix::from_lines(p, lines.clone(), false);
            same(&asymmetry(&h), &asymmetry_mpfr(&h));
            assert!(asymmetry_f64(&h).is_some());
            // small row blocks, and the same matrix stored column by column
            same(&asymmetry_f64_blocks(&h, 3).expect("finite").asymmetry(), &asymmetry_mpfr(&h));
            let cols: Vec<Vec<f64>> = (0..p).map(|j| (0..p).map(|i| lines[i][j]).collect()).collect();
            let hc = Matrix::from_lines(p, cols, true);
            same(&asymmetry_f64_blocks(&hc, 5).expect("finite").asymmetry(), &asymmetry_mpfr(&h));
            let h32 = Matrix::from_lines(p, lines.iter().map(|l| l.iter().map(|&v| v as f32).collect()).collect(), false);
            same(&asymmetry(&h32), &asymmetry_mpfr(&h32));
        }
    }

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
