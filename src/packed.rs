//! Compact, exact storage of MPFR numbers: no allocation per value.
//!
//! A `Vec<rug::Float>` spends about 80 bytes on a 256-bit number: the 32-byte `mpfr_t`, 32
//! bytes of limbs in their own heap block, and ~16 bytes of allocator header. [`PackedFloats`]
//! keeps a sequence of numbers of one precision in one flat `Vec<u64>`, each value in a fixed
//! number of words:
//!
//! | layout | words per value | used when |
//! |---|---|---|
//! | f64 | 1: the `f64` bit pattern | precision ≤ 53 and every value so far is exactly an `f64` |
//! | limbs | 1 + ⌈precision/64⌉: a header, then MPFR's limbs as they are | otherwise |
//!
//! The header word holds the kind (zero, regular, infinity, NaN) and the sign in its low bits
//! and, for a regular number, MPFR's exponent (which rug keeps within `i32`) in its high 32
//! bits. Unpacking gives back the same number at the same precision — value, sign of zero,
//! sign of NaN, every limb — so `pack → unpack` is the identity (tested exhaustively on the
//! special values and on random values at precisions 2 to 320).
//!
//! A sequence starts in the f64 layout when its precision allows it; the first value that is
//! not exactly an `f64` (an `mp:≤53` number beyond f64's exponent range, or one whose low bits
//! fall below 2^-1074) converts it to the limbs layout, exactly. The IEEE formats emulated in
//! MPFR (`binary32`, `binary64`, with subnormals and overflow) never leave the f64 layout. A
//! value of higher precision than the sequence's that is not exactly representable in it widens
//! the sequence (re-encoding what it holds), so pushing is exact for every value.
//!
//! [`PackedMatrix`] is a P × P matrix kept as groups of packed lines (rows or columns) — the
//! unit in which the parallel Hessian methods produce them — so each group is packed by the
//! worker that computed it and chooses its layout on its own.

use gmp_mpfr_sys::mpfr;
use rug::ops::AssignRound;
use rug::{Assign, Float};

// Limbs are copied as 64-bit words.
const _: () = assert!(std::mem::size_of::<gmp_mpfr_sys::gmp::limb_t>() == 8);

/// Largest precision whose values can all be `f64`s (given the exponent range).
const F64_PREC: u32 = 53;

const KIND_ZERO: u64 = 0;
const KIND_REGULAR: u64 = 1;
const KIND_INF: u64 = 2;
const KIND_NAN: u64 = 3;
const SIGN_BIT: u64 = 1 << 2;

/// Limbs of a precision.
fn limbs(prec: u32) -> usize {
    (prec as usize).div_ceil(64)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// One word per value: the `f64` bit pattern.
    F64,
    /// A header word, then the limbs.
    Limbs,
}

/// A sequence of MPFR numbers of one precision, packed without per-value allocation (see the
/// [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedFloats {
    prec: u32,
    layout: Layout,
    len: usize,
    words: Vec<u64>,
}

impl PackedFloats {
    /// An empty sequence of `prec`-bit numbers (`prec` ≥ 1).
    pub fn new(prec: u32) -> Self {
        Self::with_capacity(prec, 0)
    }

    /// An empty sequence with room for `n` values in the layout it starts in.
    pub fn with_capacity(prec: u32, n: usize) -> Self {
        let layout = if prec <= F64_PREC { Layout::F64 } else { Layout::Limbs };
        let mut s = PackedFloats { prec: prec.max(1), layout, len: 0, words: Vec::new() };
        s.words.reserve_exact(n * s.words_per_value());
        s
    }

    /// Precision of the values (bits).
    pub fn prec(&self) -> u32 {
        self.prec
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// 64-bit words one value takes in the current layout.
    pub fn words_per_value(&self) -> usize {
        match self.layout {
            Layout::F64 => 1,
            Layout::Limbs => 1 + limbs(self.prec),
        }
    }

    /// Heap bytes held (capacity included).
    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    /// Appends `x` exactly.
    pub fn push(&mut self, x: &Float) {
        if x.prec() != self.prec && x.is_normal() {
            let mut y = Float::new(self.prec);
            if y.assign_round(x, rug::float::Round::Nearest) != std::cmp::Ordering::Equal {
                self.reencode(x.prec(), self.layout);
                return self.push(x);
            }
            return self.push(&y);
        }
        if self.layout == Layout::F64 {
            match f64_word(x) {
                Some(w) => {
                    self.words.push(w);
                    self.len += 1;
                    return;
                }
                None => self.reencode(self.prec, Layout::Limbs),
            }
        }
        self.push_limbs(x);
    }

    /// `x` (of this precision) in the limbs layout.
    fn push_limbs(&mut self, x: &Float) {
        debug_assert!(self.layout == Layout::Limbs && (x.prec() == self.prec || !x.is_normal()));
        let sign = if x.is_sign_negative() { SIGN_BIT } else { 0 };
        let n = limbs(self.prec);
        if x.is_normal() {
            let exp = x.get_exp().expect("a regular number has an exponent");
            self.words.push(KIND_REGULAR | sign | (u64::from(exp as u32) << 32));
            // SAFETY: a regular MPFR number of precision `prec` owns ⌈prec/64⌉ initialized
            // limbs at its significand pointer; they are only read, while `x` is borrowed.
            let d = unsafe {
                std::slice::from_raw_parts(mpfr::custom_get_significand(x.as_raw()) as *const u64, n)
            };
            self.words.extend_from_slice(d);
        } else {
            let kind = if x.is_nan() {
                KIND_NAN
            } else if x.is_infinite() {
                KIND_INF
            } else {
                KIND_ZERO
            };
            self.words.push(kind | sign);
            self.words.extend(std::iter::repeat_n(0, n));
        }
        self.len += 1;
    }

    /// Re-encodes every value at precision `prec` (≥ the current one) in `layout` (kept only
    /// where the precision allows it).
    fn reencode(&mut self, prec: u32, layout: Layout) {
        let prec = prec.max(self.prec);
        let mut out = PackedFloats::with_capacity(prec, self.len);
        if layout == Layout::Limbs || prec > F64_PREC {
            out.layout = Layout::Limbs;
            out.words = Vec::with_capacity(self.len * out.words_per_value());
        }
        let mut x = Float::new(prec);
        for k in 0..self.len {
            self.get_into(k, &mut x);
            out.push(&x);
        }
        *self = out;
    }

    /// Value `k` (a new number of this precision).
    ///
    /// # Panics
    /// If `k ≥ len`.
    pub fn get(&self, k: usize) -> Float {
        let mut x = Float::new(self.prec);
        self.get_into(k, &mut x);
        x
    }

    /// Value `k` into `out`, which takes this precision (no allocation when it has it).
    ///
    /// # Panics
    /// If `k ≥ len`.
    pub fn get_into(&self, k: usize, out: &mut Float) {
        assert!(k < self.len, "index {k} out of {} packed values", self.len);
        if out.prec() != self.prec {
            out.set_prec(self.prec);
        }
        match self.layout {
            Layout::F64 => {
                let f = f64::from_bits(self.words[k]);
                if f.is_nan() {
                    set_special(out, KIND_NAN, f.is_sign_negative());
                } else {
                    // exact: f is a value of this precision (or ±0, ±∞)
                    out.assign(f);
                }
            }
            Layout::Limbs => {
                let w = self.words_per_value();
                let v = &self.words[k * w..(k + 1) * w];
                let (kind, neg) = (v[0] & 3, v[0] & SIGN_BIT != 0);
                if kind != KIND_REGULAR {
                    set_special(out, kind, neg);
                    return;
                }
                let exp = (v[0] >> 32) as u32 as i32;
                let raw = out.as_raw_mut();
                // SAFETY: `out` has precision `prec`, so its significand holds exactly
                // ⌈prec/64⌉ limbs; they are overwritten with the limbs of a regular number of
                // the same precision (most significant bit set, unused low bits zero, as MPFR
                // stored them), and `mpfr_custom_init_set` then sets sign and exponent, keeping
                // `out`'s own significand pointer and precision.
                unsafe {
                    let d = mpfr::custom_get_significand(raw);
                    std::ptr::copy_nonoverlapping(v[1..].as_ptr(), d as *mut u64, w - 1);
                    let kind = if neg { -mpfr::REGULAR_KIND } else { mpfr::REGULAR_KIND };
                    mpfr::custom_init_set(raw, kind, mpfr::exp_t::from(exp), mpfr::prec_t::from(self.prec), d);
                }
            }
        }
    }

    /// Every value, in order.
    pub fn iter(&self) -> impl Iterator<Item = Float> + '_ {
        (0..self.len).map(|k| self.get(k))
    }
}

/// The `f64` word of `x` when `x` is exactly an `f64` (NaN: the quiet NaN with `x`'s sign).
fn f64_word(x: &Float) -> Option<u64> {
    if x.is_nan() {
        let nan = if x.is_sign_negative() { -f64::NAN } else { f64::NAN };
        return Some(nan.to_bits());
    }
    let f = x.to_f64();
    if x.is_normal() && !(f.is_finite() && f != 0.0 && *x == f) {
        return None;
    }
    // ±0 and ±∞ convert with their sign
    Some(f.to_bits())
}

/// Sets `out` (keeping its precision) to ±0, ±∞ or NaN with the given sign.
fn set_special(out: &mut Float, kind: u64, neg: bool) {
    let k = match kind {
        KIND_ZERO => mpfr::ZERO_KIND,
        KIND_INF => mpfr::INF_KIND,
        _ => mpfr::NAN_KIND,
    };
    let raw = out.as_raw_mut();
    // SAFETY: `mpfr_custom_init_set` with a non-regular kind only sets the sign and the
    // exponent field's special value; precision and significand pointer stay `out`'s own. The
    // NaN kind carries no sign, so a negative NaN's sign field is set directly (MPFR's sign of
    // a NaN, as `mpfr_signbit` reads it).
    unsafe {
        let d = mpfr::custom_get_significand(raw);
        let prec = (*raw).prec;
        mpfr::custom_init_set(raw, if neg { -k } else { k }, 0, prec, d);
        if k == mpfr::NAN_KIND {
            (*raw).sign = if neg { -1 } else { 1 };
        }
    }
}

/// A P × P matrix of MPFR numbers kept as groups of packed lines: rows, or columns when
/// `col_major`; group g holds lines `g·per_group ..` (the last group may hold fewer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedMatrix {
    /// Dimension.
    pub p: usize,
    col_major: bool,
    per_group: usize,
    groups: Vec<PackedFloats>,
}

impl PackedMatrix {
    /// From groups of `per_group` lines of length `p` each (the last group may be shorter).
    /// Returns `None` when the groups do not hold exactly P lines of P values.
    pub fn from_groups(p: usize, col_major: bool, per_group: usize, groups: Vec<PackedFloats>) -> Option<Self> {
        let per_group = per_group.max(1);
        let lines = |g: usize| per_group.min(p - g * per_group);
        let ok = groups.len() == p.div_ceil(per_group) && groups.iter().enumerate().all(|(g, s)| s.len() == lines(g) * p);
        ok.then_some(PackedMatrix { p, col_major, per_group, groups })
    }

    /// Packs the P² values of `entries` given in row-major order (`entries(i, j)` is entry
    /// (i, j)), one group per row.
    pub fn from_rows(p: usize, prec: u32, mut entries: impl FnMut(usize, usize) -> Float) -> Self {
        let groups = (0..p)
            .map(|i| {
                let mut g = PackedFloats::with_capacity(prec, p);
                for j in 0..p {
                    g.push(&entries(i, j));
                }
                g
            })
            .collect();
        PackedMatrix { p, col_major: false, per_group: 1, groups }
    }

    /// Whether lines are columns.
    pub fn col_major(&self) -> bool {
        self.col_major
    }

    fn locate(&self, i: usize, j: usize) -> (usize, usize) {
        let (line, pos) = if self.col_major { (j, i) } else { (i, j) };
        (line / self.per_group, (line % self.per_group) * self.p + pos)
    }

    /// Entry (i, j) into `out` (which takes the entry's precision).
    ///
    /// # Panics
    /// If i or j ≥ P.
    pub fn get_into(&self, i: usize, j: usize, out: &mut Float) {
        assert!(i < self.p && j < self.p, "entry ({i}, {j}) of a {0} × {0} matrix", self.p);
        let (g, k) = self.locate(i, j);
        self.groups[g].get_into(k, out);
    }

    /// Entry (i, j).
    ///
    /// # Panics
    /// If i or j ≥ P.
    pub fn get(&self, i: usize, j: usize) -> Float {
        let mut x = Float::new(self.groups.first().map_or(F64_PREC, |g| g.prec()));
        self.get_into(i, j, &mut x);
        x
    }

    /// Every entry in row-major order.
    pub fn row_major(&self) -> impl Iterator<Item = Float> + '_ {
        (0..self.p).flat_map(move |i| (0..self.p).map(move |j| self.get(i, j)))
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.groups.iter().map(|g| g.heap_bytes() + std::mem::size_of::<PackedFloats>()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rug::float::Special;
    use rug::ops::NegAssign;

    /// Same precision, same value, same signs (of zero and of NaN).
    fn identical(a: &Float, b: &Float) -> bool {
        a.prec() == b.prec()
            && a.is_sign_negative() == b.is_sign_negative()
            && (a.is_nan() && b.is_nan() || a.total_cmp(b) == std::cmp::Ordering::Equal)
    }

    fn specials(prec: u32) -> Vec<Float> {
        let mut v = Vec::new();
        for s in [Special::Zero, Special::NegZero, Special::Infinity, Special::NegInfinity, Special::Nan] {
            v.push(Float::with_val(prec, s));
        }
        let mut neg_nan = Float::with_val(prec, Special::Nan);
        // SAFETY: sets the sign of a NaN (no significand involved).
        unsafe { (*neg_nan.as_raw_mut()).sign = -1 };
        assert!(neg_nan.is_nan() && neg_nan.is_sign_negative());
        v.push(neg_nan);
        let (emin, emax) = (rug::float::exp_min(), rug::float::exp_max());
        for e in [emin, emin + 1, -1074, -1073, -1022, -1021, -1, 0, 1, 1024, 1025, emax - 1, emax] {
            for m in [0.5, 0.75, 0.999_999_999_999_999_9] {
                let mut x = Float::with_val(prec, m);
                x <<= e; // m·2^e: MPFR exponent e (or ∞ where m rounded up to 1)
                v.push(x.clone());
                x.neg_assign();
                v.push(x);
            }
        }
        // the largest significand: every bit set
        let mut all = Float::with_val(prec, 1);
        all -= Float::with_val(prec, 1) >> prec;
        v.push(all.clone());
        all.neg_assign();
        v.push(all);
        v.push(Float::with_val(prec, f64::MIN_POSITIVE / 8.0)); // an f64 subnormal
        v.push(Float::with_val(prec, f64::MAX));
        v
    }

    fn round_trip(values: &[Float], prec: u32) -> PackedFloats {
        let mut s = PackedFloats::new(prec);
        for x in values {
            s.push(x);
        }
        assert_eq!(s.len(), values.len());
        for (k, x) in values.iter().enumerate() {
            let y = s.get(k);
            assert!(identical(x, &y), "prec {prec}, value {k}: {x:?} came back as {y:?}");
            // into a number of another precision too
            let mut z = Float::new(prec + 7);
            s.get_into(k, &mut z);
            assert!(identical(x, &z), "prec {prec}, value {k} via get_into: {x:?} vs {z:?}");
        }
        s
    }

    #[test]
    fn special_values_round_trip_at_every_kind_of_precision() {
        for prec in [2, 8, 11, 24, 52, 53, 54, 63, 64, 65, 113, 127, 128, 129, 192, 256, 320, 1000] {
            round_trip(&specials(prec), prec);
        }
    }

    #[test]
    fn layouts_and_sizes() {
        // binary64-like values stay one word each
        let mut s = PackedFloats::new(53);
        for x in [0.1, -0.0, f64::INFINITY, f64::MIN_POSITIVE / 1024.0, f64::MAX] {
            s.push(&Float::with_val(53, x));
        }
        assert_eq!(s.words_per_value(), 1);
        // a 53-bit value below f64's range switches to limbs (exactly)
        let tiny = Float::with_val(53, 0.75) >> 1100;
        s.push(&tiny);
        assert_eq!(s.words_per_value(), 2);
        assert!(identical(&s.get(5), &tiny));
        assert_eq!(s.get(0), 0.1);
        assert!(s.get(1).is_zero() && s.get(1).is_sign_negative());
        // so does one whose low bits fall below 2^-1074
        let mut s = PackedFloats::new(53);
        let odd = Float::with_val(53, (1u64 << 52) + 1) >> 1100;
        s.push(&odd);
        assert_eq!(s.words_per_value(), 2);
        assert!(identical(&s.get(0), &odd));
        // 256 bits: a header and four limbs
        let mut s = PackedFloats::with_capacity(256, 10);
        for k in 0..10 {
            s.push(&Float::with_val(256, k));
        }
        assert_eq!(s.words_per_value(), 5);
        assert_eq!(s.heap_bytes(), 10 * 40);
    }

    #[test]
    fn other_precisions_are_stored_exactly() {
        // narrower values fit; a wider value that does not fit widens the sequence
        let mut s = PackedFloats::new(53);
        s.push(&Float::with_val(24, 0.1f32));
        let third = Float::with_val(200, 1) / 3u32;
        s.push(&third);
        assert_eq!(s.prec(), 200);
        assert_eq!(s.get(0), Float::with_val(24, 0.1f32));
        assert_eq!(s.get(1), third);
        // a wider value that fits does not widen
        let mut s = PackedFloats::new(64);
        s.push(&Float::with_val(300, 1.5));
        assert_eq!((s.prec(), s.get(0)), (64, Float::with_val(64, 1.5)));
    }

    fn any_float(prec: u32) -> impl Strategy<Value = Float> {
        (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>(), -2000i32..2000, any::<bool>()).prop_map(
            move |(a, b, c, d, e, exp, neg)| {
                // a random significand of `prec` bits (up to 320), with the top bit set
                let mut x = Float::with_val(prec, 0);
                for (k, w) in [a, b, c, d, e].into_iter().enumerate() {
                    x += Float::with_val(prec, w) >> (64 * (k as u32 + 1));
                }
                if x.is_zero() {
                    x += 0.5;
                }
                x <<= exp;
                if neg {
                    x.neg_assign();
                }
                x
            },
        )
    }

    proptest! {
        #[test]
        fn random_values_round_trip(
            (prec, values) in prop::sample::select(vec![2u32, 11, 24, 53, 64, 65, 113, 128, 256, 320])
                .prop_flat_map(|prec| (Just(prec), prop::collection::vec(any_float(prec), 1..40)))
        ) {
            round_trip(&values, prec);
        }
    }

    #[test]
    fn matrices_of_groups() {
        let p = 5;
        let value = |i: usize, j: usize| Float::with_val(113, (i * 10 + j) as f64) / 7u32;
        // columns in groups of 2: columns 0-1, 2-3, 4
        let groups = (0..3)
            .map(|g| {
                let mut s = PackedFloats::new(113);
                for j in 2 * g..(2 * g + 2).min(p) {
                    for i in 0..p {
                        s.push(&value(i, j));
                    }
                }
                s
            })
            .collect();
        let m = PackedMatrix::from_groups(p, true, 2, groups).expect("5 columns");
        let r = PackedMatrix::from_rows(p, 113, value);
        for i in 0..p {
            for j in 0..p {
                assert_eq!(m.get(i, j), value(i, j));
                assert_eq!(r.get(i, j), value(i, j));
            }
        }
        assert_eq!(r.row_major().collect::<Vec<_>>(), m.row_major().collect::<Vec<_>>());
        assert!(PackedMatrix::from_groups(p, true, 2, vec![PackedFloats::new(113)]).is_none());
    }
}
