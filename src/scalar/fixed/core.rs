//! The arithmetic of [`Fixed`]: correctly rounded (nearest-even) primitives on significands of
//! `L` 64-bit limbs, each returning exactly what MPFR returns at the same precision.
//!
//! A finite nonzero value is `±0.m · 2^e` with `m` an `L`-limb fraction whose top bit is set
//! (MPFR's convention: ½ ≤ 0.m < 1) and whose bits below the precision `p` are zero — exactly
//! MPFR's significand of `⌈p/64⌉` limbs, placed at the top of `L` limbs.
//!
//! Every primitive forms its **exact** result as a wider integer `W · 2^k` plus a *sticky* flag
//! ("a positive amount below W's last bit"), then rounds once ([`round`]):
//! - `a · b`: the exact `2L`-limb product (schoolbook, 128-bit partial products).
//! - `a ± b` (and `a·b + c`, whose exact product takes the place of an operand): both operands
//!   are aligned in a frame with one carry limb above the wider operand and at least one
//!   guard limb below it; what the smaller operand loses below the frame is only ever nonzero
//!   when the exponents differ by more than 64 bits, and then it is kept as the sticky flag —
//!   for an effective subtraction the frame subtracts one more unit and sets sticky, so the
//!   frame plus a fraction in (0, 1) is the exact difference. The larger operand's magnitude
//!   then exceeds the smaller's by a factor ≥ 4, the result keeps at least its top bit − 1,
//!   and the rounding position lies ≥ 62 bits above the frame's last bit: rounding the frame
//!   with the sticky flag is rounding the exact value.
//! - `a / b`: Knuth's long division (Algorithm D) of `0.a · 2^(64(L+1))` by `0.b` gives a
//!   quotient of at least `64(L+1) − 1 ≥ p + 63` bits; the remainder's being nonzero is the
//!   sticky flag.
//! - [`round`] keeps the top `p` bits of `W`, looks at the next bit and at everything below
//!   (and sticky), and rounds half to even; a carry out of the top renormalizes. At the full
//!   precision `p = 64·L` ([`round_full`]) the one discarded limb is the round bit and the
//!   bits below it.
//!
//! Signed zeros follow MPFR (IEEE 754): an exact zero sum of nonzero terms is +0; `(−0) + (−0)`
//! is −0; a product's (and quotient's) sign is the exclusive or of its factors'. Infinities
//! and NaNs, and results whose exponent leaves MPFR's current exponent range, are not handled
//! here: the caller computes those few cases in MPFR itself (the result is then MPFR's by
//! construction).

use gmp_mpfr_sys::mpfr;
use rug::Float;

/// Most limbs a [`Fixed`] may have (320 bits).
pub const MAX_LIMBS: usize = 5;
/// The widest intermediate: an exact product (2·MAX_LIMBS limbs) plus the adder's carry and
/// guard limbs.
const WIDE: usize = 2 * MAX_LIMBS + 2;

/// What a [`Fixed`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// ±0 (the sign in [`Fixed::neg`]).
    Zero,
    /// A finite nonzero number.
    Finite,
    /// ±∞ (never produced here: the caller's MPFR fallback handles it).
    Inf,
    /// NaN, with MPFR's sign bit (never produced here).
    NaN,
}

/// A binary floating-point number with an `L`-limb significand (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fixed<const L: usize> {
    /// Significand, least significant limb first; top bit set when finite.
    pub m: [u64; L],
    /// MPFR exponent: |x| = 0.m · 2^e.
    pub e: i64,
    /// Sign (also of zeros, infinities and NaNs).
    pub neg: bool,
    /// Precision in bits (the bits of `m` below it are zero).
    pub prec: u32,
    /// Zero, finite, infinite or NaN.
    pub kind: Kind,
}

impl<const L: usize> Fixed<L> {
    /// +0.
    pub const ZERO: Self = Fixed { m: [0; L], e: 0, neg: false, prec: 0, kind: Kind::Zero };

    /// ±0 of precision `prec` with sign `neg`.
    #[inline(always)]
    pub fn zero(neg: bool, prec: u32) -> Self {
        Fixed { neg, prec, ..Self::ZERO }
    }

    /// Whether this is ±∞ or NaN.
    #[inline(always)]
    pub fn is_special(&self) -> bool {
        matches!(self.kind, Kind::Inf | Kind::NaN)
    }

    /// `−self`
    #[inline(always)]
    pub fn negated(mut self) -> Self {
        self.neg = !self.neg;
        self
    }
}

/// The precision and exponent range the primitives round into.
#[derive(Clone, Copy, Debug)]
pub struct Rounding {
    /// Precision in bits, 1 ≤ p ≤ 64·L.
    pub prec: u32,
    /// MPFR's smallest exponent.
    pub emin: i64,
    /// MPFR's largest exponent.
    pub emax: i64,
}

/// `±(W + sticky) · 2^lsb` rounded to nearest-even at `r.prec` bits; `None` when `W = 0` and no
/// sticky (the caller decides the zero's sign) or when the exponent leaves MPFR's range.
#[inline(always)]
fn round<const L: usize>(neg: bool, w: &[u64], lsb: i64, sticky: bool, r: Rounding) -> Option<Fixed<L>> {
    let top = w.iter().rposition(|&x| x != 0)?;
    let t = 64 * top as i64 + 63 - i64::from(w[top].leading_zeros()); // W's top bit
    // buf[0..=L]: W shifted so that its top bit is bit 64(L+1) − 1, then rounded as such
    let mut buf = [0u64; MAX_LIMBS + 1];
    let sh = t - (64 * (L as i64 + 1) - 1);
    let mut sticky = sticky;
    if sh > 0 {
        let (ls, bs) = ((sh / 64) as usize, (sh % 64) as u32);
        sticky |= w[..ls.min(w.len())].iter().any(|&x| x != 0) || (bs > 0 && ls < w.len() && w[ls] << (64 - bs) != 0);
        for (j, o) in buf.iter_mut().enumerate().take(L + 1) {
            let lo = w.get(j + ls).copied().unwrap_or(0);
            let hi = w.get(j + ls + 1).copied().unwrap_or(0);
            *o = if bs == 0 { lo } else { (lo >> bs) | (hi << (64 - bs)) };
        }
    } else {
        let s = (-sh) as u64;
        let (ls, bs) = ((s / 64) as usize, (s % 64) as u32);
        for (j, o) in buf.iter_mut().enumerate().take(L + 1) {
            let get = |k: usize| if k < w.len() { w[k] } else { 0 };
            let hi = if j >= ls { get(j - ls) } else { 0 };
            let lo = if j > ls { get(j - ls - 1) } else { 0 };
            *o = if bs == 0 { hi } else { (hi << bs) | (lo >> (64 - bs)) };
        }
    }
    round_top(neg, &mut buf, t + lsb + 1, sticky, r)
}

/// `±0.buf · 2^e` (buf: `L + 1` limbs, least significant first, top bit of `buf[L]` set), plus
/// a positive amount below its last bit when `sticky`, rounded to nearest-even at `r.prec` bits.
/// The precision is at most `64·L`, so the round bit lies in `buf[0]` or above and `buf[0]`
/// never holds a kept bit.
#[inline(always)]
fn round_top<const L: usize>(neg: bool, buf: &mut [u64; MAX_LIMBS + 1], mut e: i64, sticky: bool, r: Rounding) -> Option<Fixed<L>> {
    debug_assert!(buf[L] >> 63 == 1);
    if r.prec == 64 * L as u32 {
        return round_full(neg, buf, e, sticky, r);
    }
    let q = 64 * (L as u32 + 1) - r.prec; // discarded low bits, ≥ 64
    let (rl, rb) = (((q - 1) / 64) as usize, (q - 1) % 64);
    let (kl, kb) = ((q / 64) as usize, q % 64);
    let half = buf[rl] >> rb & 1 == 1;
    let odd = buf[kl] >> kb & 1 == 1;
    // fixed-length loops (unrolled for a constant L): what lies below the round bit, and the
    // discarded bits cleared
    let mut below = sticky;
    for (i, x) in buf.iter_mut().enumerate().take(L + 1) {
        let w = *x;
        below |= (i < rl && w != 0) || (i == rl && w & ((1u64 << rb) - 1) != 0);
        *x = if i < kl { 0 } else if i == kl { w & !((1u64 << kb) - 1) } else { w };
    }
    if half && (below || odd) {
        let mut carry = 1u64 << kb;
        for x in buf.iter_mut().take(L + 1).skip(kl) {
            let (s, c) = x.overflowing_add(carry);
            *x = s;
            carry = c as u64;
        }
        if carry != 0 {
            // 0.111…1 rounded up to 1 = 0.1 · 2^1
            buf[L] = 1 << 63;
            e += 1;
        }
    }
    if e < r.emin || e > r.emax {
        return None;
    }
    let mut m = [0u64; L];
    m.copy_from_slice(&buf[1..=L]);
    Some(Fixed { m, e, neg, prec: r.prec, kind: Kind::Finite })
}

/// [`round_top`] at the full precision `p = 64·L`: `buf[0]` is exactly the discarded part
/// (its top bit the round bit), `buf[1..=L]` the kept significand.
#[inline(always)]
fn round_full<const L: usize>(neg: bool, buf: &[u64; MAX_LIMBS + 1], mut e: i64, sticky: bool, r: Rounding) -> Option<Fixed<L>> {
    let mut m = [0u64; L];
    m.copy_from_slice(&buf[1..=L]);
    let (half, below) = (buf[0] >> 63 == 1, sticky | (buf[0] << 1 != 0));
    if half && (below || m[0] & 1 == 1) {
        let mut carry = true;
        for w in m.iter_mut() {
            let (s, c) = w.overflowing_add(carry as u64);
            *w = s;
            carry = c;
        }
        if carry {
            // 0.111…1 rounded up to 1 = 0.1 · 2^1
            m[L - 1] = 1 << 63;
            e += 1;
        }
    }
    if e < r.emin || e > r.emax {
        return None;
    }
    Some(Fixed { m, e, neg, prec: r.prec, kind: Kind::Finite })
}

/// `a · b` of two finite nonzero values: the exact product's top `L + 1` limbs, normalized,
/// the rest as sticky.
#[inline(always)]
fn mul_finite<const L: usize>(a: &Fixed<L>, b: &Fixed<L>, r: Rounding) -> Option<Fixed<L>> {
    let p = mul_exact(&a.m, &b.m);
    let mut buf = [0u64; MAX_LIMBS + 1];
    let mut e = a.e + b.e;
    let mut sticky = false;
    if p[2 * L - 1] >> 63 == 1 {
        buf[..=L].copy_from_slice(&p[L - 1..2 * L]);
        for x in &p[..L - 1] {
            sticky |= *x != 0;
        }
    } else {
        let next = if L >= 2 { p[L - 2] } else { 0 };
        for i in 0..=L {
            let lo = if i == 0 { next } else { p[L - 2 + i] };
            buf[i] = (p[L - 1 + i] << 1) | (lo >> 63);
        }
        sticky = next << 1 != 0;
        if L >= 3 {
            for x in &p[..L - 2] {
                sticky |= *x != 0;
            }
        }
        e -= 1;
    }
    round_top(a.neg != b.neg, &mut buf, e, sticky, r)
}

/// `a + b` of two finite nonzero values (see the module docs): `x`, the operand of the larger
/// exponent, in limbs `1..=L` of an `L + 1`-limb frame, `y` shifted into it ([`align`]), a
/// carry bit above.
#[inline(always)]
fn add_finite<const L: usize>(a: &Fixed<L>, b: &Fixed<L>, r: Rounding) -> Option<Fixed<L>> {
    let (x, y) = if a.e >= b.e { (a, b) } else { (b, a) };
    let mut fx = [0u64; MAX_LIMBS + 1];
    fx[1..=L].copy_from_slice(&x.m);
    let (fy, sticky) = align(&y.m, (x.e - y.e) as u64);
    let mut e = x.e;
    if x.neg == y.neg {
        let mut carry = false;
        for i in 0..=L {
            let (s1, c1) = fx[i].overflowing_add(fy[i]);
            let (s2, c2) = s1.overflowing_add(carry as u64);
            fx[i] = s2;
            carry = c1 | c2;
        }
        let mut sticky = sticky;
        if carry {
            sticky |= fx[0] & 1 != 0;
            for i in 0..L {
                fx[i] = (fx[i] >> 1) | (fx[i + 1] << 63);
            }
            fx[L] = (fx[L] >> 1) | (1 << 63);
            e += 1;
        }
        return round_top(x.neg, &mut fx, e, sticky, r);
    }
    // effective subtraction: x − y − sticky (then + a fraction in (0, 1) when sticky)
    let mut borrow = sticky;
    for i in 0..=L {
        let (s1, b1) = fx[i].overflowing_sub(fy[i]);
        let (s2, b2) = s1.overflowing_sub(borrow as u64);
        fx[i] = s2;
        borrow = b1 | b2;
    }
    let mut neg = x.neg;
    if borrow {
        // |y| > |x| (equal exponents, so nothing was sticky): negate the frame
        debug_assert!(!sticky);
        let mut carry = true;
        for w in fx.iter_mut().take(L + 1) {
            let (s, c) = (!*w).overflowing_add(carry as u64);
            *w = s;
            carry = c;
        }
        neg = !neg;
    }
    // normalize: shift left until the top bit of fx[L] is set
    if fx[L] != 0 {
        // the common case: the top limb keeps a bit, a shift by less than 64
        let bs = fx[L].leading_zeros();
        for i in (1..=L).rev() {
            fx[i] = (fx[i] << bs) | ((fx[i - 1] >> (63 - bs)) >> 1);
        }
        fx[0] <<= bs;
        return round_top(neg, &mut fx, e - i64::from(bs), sticky, r);
    }
    let Some(top) = (0..=L).rev().find(|&i| fx[i] != 0) else {
        return if sticky { None } else { Some(Fixed::zero(false, r.prec)) }; // exact zero: +0
    };
    let lz = 64 * (L - top) as u32 + fx[top].leading_zeros();
    let (ls, bs) = ((lz / 64) as usize, lz % 64);
    for i in (0..=L).rev() {
        let hi = if i >= ls { fx[i - ls] } else { 0 };
        let lo = if i > ls { fx[i - ls - 1] } else { 0 };
        fx[i] = (hi << bs) | ((lo >> (63 - bs)) >> 1);
    }
    round_top(neg, &mut fx, e - i64::from(lz), sticky, r)
}

/// The significand `m` placed in limbs `1..=L` of an `L + 1`-limb frame and shifted right by
/// `d` bits: the frame's limbs, and whether nonzero bits fell below it. One load pattern for
/// every shift below the frame's width (no branch per limb); wider shifts leave only sticky.
#[inline(always)]
fn align<const L: usize>(m: &[u64; L], d: u64) -> ([u64; MAX_LIMBS + 1], bool) {
    let mut out = [0u64; MAX_LIMBS + 1];
    if d >= 64 * (L as u64 + 1) {
        return (out, true); // m ≠ 0
    }
    let (ls, bs) = ((d / 64) as usize, (d % 64) as u32);
    // frame limb j (limb 0 zero, zeros above limb L) lands in limb j − ls; read straight from
    // `m` (a scratch copy of the frame would be stored and reloaded at a variable offset,
    // which stalls store forwarding)
    let frame = |j: usize| m.get(j.wrapping_sub(1)).copied().unwrap_or(0);
    let mut lost = frame(ls) & ((1u64 << bs) - 1);
    for i in 1..L {
        lost |= if i < ls { m[i - 1] } else { 0 };
    }
    for (i, o) in out.iter_mut().enumerate().take(L + 1) {
        *o = (frame(i + ls) >> bs) | ((frame(i + ls + 1) << (63 - bs)) << 1);
    }
    (out, lost != 0)
}

/// The exact product of two `L`-limb significands (`2L` limbs, least significant first).
#[inline(always)]
fn mul_exact<const L: usize>(a: &[u64; L], b: &[u64; L]) -> [u64; WIDE] {
    let mut p = [0u64; WIDE];
    for (i, &ai) in a.iter().enumerate() {
        if ai == 0 {
            continue;
        }
        let mut carry = 0u128;
        for (j, &bj) in b.iter().enumerate() {
            let t = u128::from(ai) * u128::from(bj) + u128::from(p[i + j]) + carry;
            p[i + j] = t as u64;
            carry = t >> 64;
        }
        p[i + L] = carry as u64;
    }
    p
}

/// `a · b` (finite or zero operands).
#[inline]
pub fn mul<const L: usize>(a: &Fixed<L>, b: &Fixed<L>, r: Rounding) -> Option<Fixed<L>> {
    if a.is_special() || b.is_special() {
        return None;
    }
    let neg = a.neg != b.neg;
    if a.kind == Kind::Zero || b.kind == Kind::Zero {
        return Some(Fixed::zero(neg, r.prec));
    }
    mul_finite(a, b, r)
}

/// A magnitude as an adder operand: limbs (least significant first, top bit of the last set)
/// and the MPFR exponent of their top.
struct Operand<'a> {
    m: &'a [u64],
    e: i64,
    neg: bool,
}

/// `x + y` of two nonzero finite operands (see the module docs for the frame).
#[inline(always)]
fn add_operands<const L: usize>(x: Operand<'_>, y: Operand<'_>, r: Rounding) -> Option<Fixed<L>> {
    let (x, y) = if x.e >= y.e { (x, y) } else { (y, x) };
    let n = x.m.len().max(y.m.len());
    let f = n + 2; // frame limbs: [guard ≥ 1 limb] [x top-aligned] [carry]
    let mut fx = [0u64; WIDE];
    let mut fy = [0u64; WIDE];
    fx[f - 1 - x.m.len()..f - 1].copy_from_slice(x.m);
    // y top-aligned at x's top, then shifted right by d
    let d = (x.e - y.e) as u64;
    let mut sticky = false;
    let ybase = f - 1 - y.m.len(); // y's lowest limb before the shift
    if d >= 64 * (f as u64 - 1) {
        sticky = true;
    } else {
        let (ls, bs) = ((d / 64) as usize, (d % 64) as u32);
        for (k, &limb) in y.m.iter().enumerate() {
            // limb lands at position ybase + k − ls (and the next lower one with bs > 0)
            let pos = (ybase + k) as isize - ls as isize;
            let hi = if bs == 0 { limb } else { limb >> bs };
            let lo = if bs == 0 { 0 } else { limb << (64 - bs) };
            if pos >= 0 {
                fy[pos as usize] |= hi;
            } else if hi != 0 {
                sticky = true;
            }
            if pos >= 1 {
                fy[pos as usize - 1] |= lo;
            } else if lo != 0 {
                sticky = true;
            }
        }
    }
    let lsb = x.e - 64 * (f as i64 - 1);
    let (fx, fy) = (&mut fx[..f], &fy[..f]);
    if x.neg == y.neg {
        let mut carry = false;
        for (a, &b) in fx.iter_mut().zip(fy) {
            let (s1, c1) = a.overflowing_add(b);
            let (s2, c2) = s1.overflowing_add(carry as u64);
            *a = s2;
            carry = c1 || c2;
        }
        return round(x.neg, fx, lsb, sticky, r);
    }
    // effective subtraction: x − y − sticky (then + a fraction in (0, 1) when sticky)
    let mut borrow = sticky;
    for (a, &b) in fx.iter_mut().zip(fy) {
        let (s1, b1) = a.overflowing_sub(b);
        let (s2, b2) = s1.overflowing_sub(borrow as u64);
        *a = s2;
        borrow = b1 || b2;
    }
    let mut neg = x.neg;
    if borrow {
        // |y| > |x| (equal exponents, so nothing was sticky): negate the frame
        debug_assert!(!sticky);
        let mut carry = true;
        for a in fx.iter_mut() {
            let (s, c) = (!*a).overflowing_add(carry as u64);
            *a = s;
            carry = c;
        }
        neg = !neg;
    }
    match round(neg, fx, lsb, sticky, r) {
        Some(v) => Some(v),
        // an exact zero: +0 when rounding to nearest; or out of range
        None if fx.iter().all(|&w| w == 0) && !sticky => Some(Fixed::zero(false, r.prec)),
        None => None,
    }
}

/// `a + b`; `None` for an infinite or NaN operand (so for every primitive below).
#[inline(always)]
pub fn add<const L: usize>(a: &Fixed<L>, b: &Fixed<L>, r: Rounding) -> Option<Fixed<L>> {
    if a.is_special() || b.is_special() {
        return None;
    }
    match (a.kind, b.kind) {
        (Kind::Zero, Kind::Zero) => Some(Fixed::zero(a.neg && b.neg, r.prec)),
        (Kind::Zero, _) => Some(*b),
        (_, Kind::Zero) => Some(*a),
        _ => add_finite(a, b, r),
    }
}

/// `a − b` (finite or zero operands).
#[inline(always)]
pub fn sub<const L: usize>(a: &Fixed<L>, b: &Fixed<L>, r: Rounding) -> Option<Fixed<L>> {
    add(a, &b.negated(), r)
}

/// `a · b + c` with one rounding (finite or zero operands).
#[inline]
pub fn fma<const L: usize>(a: &Fixed<L>, b: &Fixed<L>, c: &Fixed<L>, r: Rounding) -> Option<Fixed<L>> {
    if a.is_special() || b.is_special() || c.is_special() {
        return None;
    }
    let neg = a.neg != b.neg;
    if a.kind == Kind::Zero || b.kind == Kind::Zero {
        return add(&Fixed::zero(neg, r.prec), c, r);
    }
    let mut p = mul_exact(&a.m, &b.m);
    let mut e = a.e + b.e;
    if p[2 * L - 1] >> 63 == 0 {
        // normalize the product (its top bit is one of the top two)
        let mut carry = 0;
        for x in p[..2 * L].iter_mut() {
            let nc = *x >> 63;
            *x = (*x << 1) | carry;
            carry = nc;
        }
        e -= 1;
    }
    if c.kind == Kind::Zero {
        return round(neg, &p[..2 * L], e - 128 * L as i64, false, r);
    }
    add_operands(Operand { m: &p[..2 * L], e, neg }, Operand { m: &c.m, e: c.e, neg: c.neg }, r)
}

/// `a / b` (finite or zero `a`, finite nonzero `b`; `b = 0` is the caller's MPFR case).
#[inline]
pub fn div<const L: usize>(a: &Fixed<L>, b: &Fixed<L>, r: Rounding) -> Option<Fixed<L>> {
    if a.is_special() || b.is_special() {
        return None;
    }
    let neg = a.neg != b.neg;
    match (a.kind, b.kind) {
        (_, Kind::Zero) => return None,
        (Kind::Zero, _) => return Some(Fixed::zero(neg, r.prec)),
        _ => {}
    }
    // u = 0.a · 2^(64(L+1)) as an integer of 2L + 1 limbs (plus Knuth's extra top limb)
    let mut u = [0u64; WIDE + 1];
    u[L + 1..2 * L + 1].copy_from_slice(&a.m);
    let mut q = [0u64; WIDE];
    let rem_nonzero = divrem(&mut u[..2 * L + 2], &b.m, &mut q[..L + 2]);
    // 0.a / 0.b = Q · 2^(−64(L+1)) (+ remainder)
    round(neg, &q[..L + 2], a.e - b.e - 64 * (L as i64 + 1), rem_nonzero, r)
}

/// Limbs of the long accumulator of [`LongAcc`]: a product's `2L` limbs may sit anywhere in
/// the `2L + 1` limbs below the largest one's top, plus one limb for carries.
const ACC: usize = 4 * MAX_LIMBS + 2;

/// An exact sum of products (or of values) in a fixed-point window anchored at the largest
/// term's exponent: the positive and the negative terms' magnitudes in two accumulators of
/// `4L + 2` limbs (so an addition's carry stops at the first limb that does not overflow, and
/// no borrow runs through a two's complement), subtracted once at the end. The sum is exact as
/// long as no term reaches below the window (exponent spread at most `64(2L + 1)` bits);
/// rounding it once is then the correctly rounded sum, as `mpfr_sum` returns it.
struct LongAcc {
    /// Sum of the positive terms' magnitudes, then (in [`LongAcc::round`]) the signed sum.
    pos: [u64; ACC],
    /// Sum of the negative terms' magnitudes.
    neg: [u64; ACC],
    n: usize,
    /// MPFR exponent of the window's top (bit `64(n − 1) − 1` of the accumulators).
    top: i64,
}

impl LongAcc {
    /// The empty sum of `L`-limb terms whose largest exponent is `top`.
    #[inline(always)]
    fn new<const L: usize>(top: i64) -> Self {
        LongAcc { pos: [0; ACC], neg: [0; ACC], n: 4 * L + 2, top }
    }

    /// Adds `±0.m · 2^e`; `false` when its bits reach below the window.
    #[inline(always)]
    fn add(&mut self, m: &[u64], e: i64, neg: bool) -> bool {
        // the term's lowest bit position in the window
        let low = 64 * (self.n as i64 - 1) - (self.top - e) - 64 * m.len() as i64;
        if low < 0 {
            return false;
        }
        let (ls, bs) = ((low / 64) as usize, (low % 64) as u32);
        let n = self.n;
        let acc = if neg { &mut self.neg[..n] } else { &mut self.pos[..n] };
        // the term's limbs shifted left by bs, added from limb ls on (the last one, m's top
        // bits shifted out, lies at most at limb n − 1: the term's top is at most the window's)
        let (mut carry, mut prev) = (false, 0u64);
        for (i, &w) in m.iter().chain(std::iter::once(&0)).enumerate() {
            let t = (w << bs) | ((prev >> (63 - bs)) >> 1);
            prev = w;
            let (s1, c1) = acc[ls + i].overflowing_add(t);
            let (s2, c2) = s1.overflowing_add(carry as u64);
            acc[ls + i] = s2;
            carry = c1 | c2;
        }
        let mut j = ls + m.len() + 1;
        while carry && j < n {
            acc[j] = acc[j].wrapping_add(1);
            carry = acc[j] == 0;
            j += 1;
        }
        true
    }

    /// The sum rounded once; `zero_neg` is the sign of an all-zero sum.
    fn round<const L: usize>(mut self, zero_neg: bool, r: Rounding) -> Option<Fixed<L>> {
        let n = self.n;
        let (a, b) = (&mut self.pos[..n], &self.neg[..n]);
        let mut borrow = false;
        for (x, &y) in a.iter_mut().zip(b) {
            let (s1, b1) = x.overflowing_sub(y);
            let (s2, b2) = s1.overflowing_sub(borrow as u64);
            *x = s2;
            borrow = b1 | b2;
        }
        let neg = a[n - 1] >> 63 == 1;
        if neg {
            let mut carry = true;
            for x in a.iter_mut() {
                let (s, c) = (!*x).overflowing_add(carry as u64);
                *x = s;
                carry = c;
            }
        }
        if a.iter().all(|&x| x == 0) {
            return Some(Fixed::zero(zero_neg, r.prec));
        }
        round(neg, a, self.top - 64 * (n as i64 - 1), false, r)
    }
}

/// `Σ aᵢ·bᵢ` correctly rounded (MPFR's `mpfr_dot`: exact products, one rounding of their
/// exact sum); `None` for a special operand or terms spread too widely for the window (the
/// caller's MPFR case). An exact zero is −0 only when every product is −0 (and there is at
/// least one), as `mpfr_sum` rounds to nearest.
pub fn dot_exact<'a, const L: usize, I>(terms: I, r: Rounding) -> Option<Fixed<L>>
where
    I: Iterator<Item = (&'a Fixed<L>, &'a Fixed<L>)> + Clone,
{
    let (mut top, mut all_neg_zero, mut any) = (i64::MIN, true, false);
    for (a, b) in terms.clone() {
        if a.is_special() || b.is_special() {
            return None;
        }
        any = true;
        if a.kind == Kind::Zero || b.kind == Kind::Zero {
            all_neg_zero &= a.neg != b.neg;
        } else {
            all_neg_zero = false;
            top = top.max(a.e + b.e);
        }
    }
    let mut acc = LongAcc::new::<L>(top);
    if top != i64::MIN {
        for (a, b) in terms {
            if a.kind == Kind::Finite && b.kind == Kind::Finite {
                let p = mul_exact(&a.m, &b.m);
                if !acc.add(&p[..2 * L], a.e + b.e, a.neg != b.neg) {
                    return None;
                }
            }
        }
    }
    acc.round(any && all_neg_zero, r)
}

/// `Σ aᵢ` correctly rounded (MPFR's `mpfr_sum`); `None` as for [`dot_exact`].
pub fn sum_exact<'a, const L: usize, I>(terms: I, r: Rounding) -> Option<Fixed<L>>
where
    I: Iterator<Item = &'a Fixed<L>> + Clone,
{
    let (mut top, mut all_neg_zero, mut any) = (i64::MIN, true, false);
    for a in terms.clone() {
        if a.is_special() {
            return None;
        }
        any = true;
        if a.kind == Kind::Zero {
            all_neg_zero &= a.neg;
        } else {
            all_neg_zero = false;
            top = top.max(a.e);
        }
    }
    let mut acc = LongAcc::new::<L>(top);
    if top != i64::MIN {
        for a in terms {
            if a.kind == Kind::Finite && !acc.add(&a.m, a.e, a.neg) {
                return None;
            }
        }
    }
    acc.round(any && all_neg_zero, r)
}

/// The order of `a` and `b` as real numbers (±0 equal, ±∞ at the ends); `None` with a NaN.
pub fn cmp<const L: usize>(a: &Fixed<L>, b: &Fixed<L>) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    if a.kind == Kind::NaN || b.kind == Kind::NaN {
        return None;
    }
    // sign: −1, 0, +1
    let sign = |x: &Fixed<L>| if x.kind == Kind::Zero { 0 } else if x.neg { -1 } else { 1 };
    let (sa, sb) = (sign(a), sign(b));
    if sa != sb || sa == 0 {
        return Some(sa.cmp(&sb));
    }
    // same sign, both nonzero: compare magnitudes (∞ above every finite value)
    let mag = match (a.kind, b.kind) {
        (Kind::Inf, Kind::Inf) => Ordering::Equal,
        (Kind::Inf, _) => Ordering::Greater,
        (_, Kind::Inf) => Ordering::Less,
        _ => a.e.cmp(&b.e).then_with(|| a.m.iter().rev().cmp(b.m.iter().rev())),
    };
    Some(if sa < 0 { mag.reverse() } else { mag })
}

/// Whether `L` limbs hold a precision of `prec` bits.
pub fn fits<const L: usize>(prec: u32) -> bool {
    (1..=64 * L as u32).contains(&prec) && L <= MAX_LIMBS
}

/// `x` (whose precision is at most 64·L bits) exactly.
pub fn from_mpfr<const L: usize>(x: &Float) -> Fixed<L> {
    let neg = x.is_sign_negative();
    if !x.is_normal() {
        let kind = if x.is_zero() {
            Kind::Zero
        } else if x.is_nan() {
            Kind::NaN
        } else {
            Kind::Inf
        };
        return Fixed { kind, neg, prec: x.prec(), ..Fixed::ZERO };
    }
    let n = limbs(x.prec());
    assert!(n <= L, "a {}-bit number in {L} limbs", x.prec());
    // SAFETY: a regular MPFR number of precision p owns ⌈p/64⌉ initialized limbs at its
    // significand pointer (most significant last, top bit set, unused low bits zero); they are
    // only read, while `x` is borrowed.
    let d = unsafe { std::slice::from_raw_parts(mpfr::custom_get_significand(x.as_raw()) as *const u64, n) };
    let mut m = [0u64; L];
    m[L - n..].copy_from_slice(d);
    let e = i64::from(x.get_exp().expect("a regular number has an exponent"));
    Fixed { m, e, neg, prec: x.prec(), kind: Kind::Finite }
}

/// `x` as an MPFR number of precision `prec` (which holds it: `x` was rounded to `prec` bits).
pub fn to_mpfr<const L: usize>(x: &Fixed<L>, prec: u32) -> Float {
    let mut out = Float::new(prec);
    let raw = out.as_raw_mut();
    let n = limbs(prec);
    // SAFETY: `out` has precision `prec`, so its significand holds ⌈prec/64⌉ limbs; they are
    // overwritten with the top limbs of `x` (top bit set; the bits below `prec` are zero, as
    // every value here was rounded to `prec` bits), and `mpfr_custom_init_set` then sets kind,
    // sign and exponent, keeping `out`'s own significand pointer and precision. A NaN carries
    // no sign in its kind, so its sign field is set directly.
    unsafe {
        let d = mpfr::custom_get_significand(raw);
        let kind = match x.kind {
            Kind::Zero => mpfr::ZERO_KIND,
            Kind::Inf => mpfr::INF_KIND,
            Kind::NaN => mpfr::NAN_KIND,
            Kind::Finite => {
                debug_assert!(n <= L && x.m[..L - n].iter().all(|&w| w == 0));
                std::ptr::copy_nonoverlapping(x.m[L - n..].as_ptr(), d as *mut u64, n);
                mpfr::REGULAR_KIND
            }
        };
        let exp = if x.kind == Kind::Finite { x.e as mpfr::exp_t } else { 0 };
        mpfr::custom_init_set(raw, if x.neg { -kind } else { kind }, exp, (*raw).prec, d);
        if x.kind == Kind::NaN {
            (*raw).sign = if x.neg { -1 } else { 1 };
        }
    }
    out
}

/// Limbs of a `prec`-bit MPFR significand.
fn limbs(prec: u32) -> usize {
    prec.div_ceil(64) as usize
}

/// Knuth's Algorithm D: `u ← u mod v`, `q = ⌊u / v⌋`, with `v` normalized (top bit set) and
/// `u` having one zero limb above its value; returns whether the remainder is nonzero.
fn divrem(u: &mut [u64], v: &[u64], q: &mut [u64]) -> bool {
    let n = v.len();
    let m = u.len() - 1 - n; // quotient limbs − 1
    debug_assert!(v[n - 1] >> 63 == 1 && u[u.len() - 1] == 0 && q.len() > m);
    let (v1, v2) = (u128::from(v[n - 1]), if n >= 2 { u128::from(v[n - 2]) } else { 0 });
    const B: u128 = 1 << 64;
    for j in (0..=m).rev() {
        let num = (u128::from(u[j + n]) << 64) | u128::from(u[j + n - 1]);
        let mut qhat = num / v1;
        let mut rhat = num % v1;
        let u2 = if n >= 2 { u128::from(u[j + n - 2]) } else { 0 };
        while qhat >= B || qhat * v2 > ((rhat << 64) | u2) {
            qhat -= 1;
            rhat += v1;
            if rhat >= B {
                break;
            }
        }
        // u[j..=j+n] −= qhat · v
        let mut carry: u128 = 0; // the product's high part plus the borrow
        for i in 0..n {
            let p = qhat * u128::from(v[i]) + carry;
            let (s, b) = u[i + j].overflowing_sub(p as u64);
            u[i + j] = s;
            carry = (p >> 64) + u128::from(b);
        }
        let (s, b) = u[j + n].overflowing_sub(carry as u64);
        u[j + n] = s;
        if b {
            // qhat was one too large: add v back
            qhat -= 1;
            let mut c = false;
            for i in 0..n {
                let (s1, c1) = u[i + j].overflowing_add(v[i]);
                let (s2, c2) = s1.overflowing_add(c as u64);
                u[i + j] = s2;
                c = c1 || c2;
            }
            u[j + n] = u[j + n].wrapping_add(c as u64);
        }
        q[j] = qhat as u64;
    }
    u[..n].iter().any(|&x| x != 0)
}
