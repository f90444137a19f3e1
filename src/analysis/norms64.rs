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
//! [`matrix_sums`] does a whole matrix: the squares and differences (the per-entry work) of
//! blocks of rows in parallel, the additions (whose order is part of the result) in row order —
//! the same bits at any thread count.
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

    /// [`Norms::diag`] (the definition [`matrix_sums`] is tested against).
    #[inline]
    pub(crate) fn diag(&mut self, aii: f64) {
        self.whole = self.whole.add(F64x::square_f64(aii));
    }

    /// [`Norms::pair`] (likewise).
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

    /// Adds one row's [`Terms`], in their order: the result of the [`Norms64::diag`] and
    /// [`Norms64::pair`] calls that made them.
    fn absorb(&mut self, t: &Terms) {
        let (whole, anti) = rayon::join(|| fold(self.whole, &t.whole), || fold(self.anti, &t.anti));
        (self.whole, self.anti) = (whole, anti);
        if t.max_abs.gt(self.max_abs) {
            self.max_abs = t.max_abs;
        }
        self.pairs += t.pairs;
        self.differing += t.differing;
    }

    /// The same sums as MPFR numbers.
    pub(crate) fn into_norms(self) -> Norms {
        Norms::from_parts(self.whole.to_float(), self.anti.to_float(), self.max_abs.to_float(), self.pairs, self.differing, self.anti_sum)
    }
}

/// `acc + t₀ + t₁ + …`, left to right, each addition rounded.
fn fold(acc: F64x, terms: &[F64x]) -> F64x {
    terms.iter().fold(acc, |acc, &t| acc.add(t))
}

/// What rows of a matrix add to the sums, each term already squared (and rounded) but not yet
/// added: the per-entry work, done in parallel, apart from the additions, whose order is part of
/// the result.
#[derive(Default)]
struct Terms {
    /// The terms of ‖A‖², in the order [`Norms64::diag`]/[`Norms64::pair`] add them.
    whole: Vec<F64x>,
    /// The terms of ‖A − Aᵀ‖², likewise (2d² once, or d² twice).
    anti: Vec<F64x>,
    max_abs: F64x,
    pairs: u64,
    differing: u64,
}

impl Terms {
    /// Refills these terms (keeping their buffers) with those of rows `rows` of the P × P
    /// matrix `at`: each row's diagonal entry, then its pairs `(A_ij, A_ji)`, j > i.
    fn fill<F: Fn(usize, usize) -> f64>(&mut self, p: usize, rows: std::ops::Range<usize>, at: &F, anti_sum: AntiSum) {
        let t = self;
        t.whole.clear();
        t.anti.clear();
        (t.max_abs, t.pairs, t.differing) = (F64x::ZERO, 0, 0);
        let pairs: usize = rows.clone().map(|i| p - 1 - i).sum();
        t.whole.reserve(rows.len() + 2 * pairs);
        for i in rows {
            t.whole.push(F64x::square_f64(at(i, i)));
            for j in i + 1..p {
                let (a, b) = (at(i, j), at(j, i));
                t.whole.push(F64x::square_f64(a));
                t.whole.push(F64x::square_f64(b));
                t.pairs += 1;
                if a.to_bits() == b.to_bits() {
                    continue;
                }
                t.differing += 1;
                let d = F64x::abs_diff(a, b);
                if d.gt(t.max_abs) {
                    t.max_abs = d;
                }
                let sq = d.square();
                match anti_sum {
                    AntiSum::EachEntry => t.anti.extend([sq, sq]),
                    AntiSum::Doubled => t.anti.push(sq.double()),
                }
            }
        }
    }
}

/// The sums of [`Norms`] over the P × P matrix whose entries are the finite `f64` values
/// `at(i, j)` (a pair is equal when its two entries are the same `f64` bits), bit-identical to
/// feeding every row to [`Norms64`] (hence to [`Norms`]) in sequence, at any thread count: the
/// squares and differences of a band of rows are formed in parallel, row blocks of about
/// `block` pairs each, then added in row order — the whole and antisymmetric sums side by side.
pub(crate) fn matrix_sums<F>(p: usize, at: F, anti_sum: AntiSum, block: usize) -> Norms
where
    F: Fn(usize, usize) -> f64 + Sync,
{
    use rayon::prelude::*;
    // row blocks of about `block` pairs, in row order
    let mut blocks = Vec::new();
    let (mut start, mut pairs) = (0, 0);
    for i in 0..p {
        pairs += p - i;
        if pairs >= block || i + 1 == p {
            blocks.push(start..i + 1);
            (start, pairs) = (i + 1, 0);
        }
    }
    let mut acc = Norms64::new(anti_sum);
    if rayon::current_num_threads() == 1 {
        // nothing to share the work with: the streamed definition, without the buffers
        for i in 0..p {
            acc.diag(at(i, i));
            for j in i + 1..p {
                let (a, b) = (at(i, j), at(j, i));
                acc.pair(a, b, a.to_bits() == b.to_bits());
            }
        }
        return acc.into_norms();
    }
    // bands of blocks, four per worker: the terms of the next band are formed (in parallel)
    // while those of the last one are added, in buffers reused from band to band
    let band = 4 * rayon::current_num_threads();
    let fill = |bufs: &mut Vec<Terms>, chunk: &[std::ops::Range<usize>]| {
        bufs.resize_with(chunk.len(), Terms::default);
        bufs.par_iter_mut().zip(chunk).for_each(|(t, rows)| t.fill(p, rows.clone(), &at, anti_sum));
    };
    let mut chunks = blocks.chunks(band);
    let (mut ready, mut next) = (Vec::new(), Vec::new());
    if let Some(chunk) = chunks.next() {
        fill(&mut ready, chunk);
    }
    loop {
        let chunk = chunks.next();
        rayon::join(
            || ready.iter().for_each(|t| acc.absorb(t)),
            || {
                if let Some(chunk) = chunk {
                    fill(&mut next, chunk);
                }
            },
        );
        if chunk.is_none() {
            return acc.into_norms();
        }
        std::mem::swap(&mut ready, &mut next);
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

    /// The parallel sums equal the streamed ones (and MPFR's) bit for bit, for any block size
    /// and thread count, in both ways of adding the antisymmetric part.
    #[test]
    fn matrix_sums_equal_the_streamed_sums_at_any_block_size_and_thread_count() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        // every family of `value`, and values of one magnitude (where the order of the
        // additions shows in the last bits)
        for (p, family) in [(1, 0), (2, 0), (7, 0), (40, 0), (40, 1)] {
            let draw = |rng: &mut rand_chacha::ChaCha8Rng| if family == 0 { value(rng) } else { rng.gen::<f64>() - 0.5 };
            let mut m: Vec<f64> = (0..p * p).map(|_| draw(&mut rng)).collect();
            for k in 0..p * p / 3 {
                let (i, j) = (k % p, (k * 7) % p);
                m[j * p + i] = m[i * p + j]; // some pairs equal
            }
            let at = |i: usize, j: usize| m[i * p + j];
            for anti_sum in [AntiSum::EachEntry, AntiSum::Doubled] {
                let (mut s64, mut mp_sums) = (Norms64::new(anti_sum), Norms::new(anti_sum));
                for i in 0..p {
                    s64.diag(at(i, i));
                    mp_sums.diag(&mp(at(i, i)));
                    for j in i + 1..p {
                        let equal = at(i, j).to_bits() == at(j, i).to_bits();
                        s64.pair(at(i, j), at(j, i), equal);
                        mp_sums.pair(&mp(at(i, j)), &mp(at(j, i)), equal);
                    }
                }
                let want = s64.into_norms();
                let key = |n: &Norms| {
                    let a = n.clone().asymmetry();
                    (n.fro(), a.rel_fro, a.max_abs, a.pairs_differing)
                };
                assert_eq!(key(&want), key(&mp_sums));
                for threads in [1, 2, 3] {
                    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                    for block in [1, 5, 64, 1 << 16] {
                        let got = pool.install(|| matrix_sums(p, at, anti_sum, block));
                        assert_eq!(key(&got), key(&want), "p {p}, {anti_sum:?}, {threads} threads, block {block}");
                    }
                }
            }
        }
    }
}
