//! Every primitive of [`super::core`] against MPFR at the same precision: random operands of
//! random precisions and exponent gaps, and the hard cases on purpose — ties, carries out of
//! all-ones significands, total and partial cancellation, gaps at the limb boundaries and
//! around the precision, signed zeros.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rug::ops::AssignRound;
use rug::float::Round;
use rug::Float;

use super::core::*;

fn rounding(prec: u32) -> Rounding {
    Rounding { prec, emin: i64::from(rug::float::exp_min()), emax: i64::from(rug::float::exp_max()) }
}

/// A random `prec`-bit value with a significand of one of several shapes and exponent `e`.
fn value<const L: usize>(rng: &mut ChaCha8Rng, prec: u32, e: i64) -> Fixed<L> {
    let mut m = [0u64; L];
    match rng.gen_range(0..8) {
        0 => m.iter_mut().for_each(|w| *w = u64::MAX),      // all ones: carries
        1 => {}                                               // a power of two
        2 => m[0] = 1,                                        // the last bit (if kept)
        3 => m.iter_mut().for_each(|w| *w = u64::MAX >> rng.gen_range(0..64)),
        _ => m.iter_mut().for_each(|w| *w = rng.gen()),
    }
    m[L - 1] |= 1 << 63;
    // clear the bits below the precision
    let q = 64 * L as u32 - prec;
    for (i, w) in m.iter_mut().enumerate() {
        let lo = 64 * i as u32;
        if lo + 64 <= q {
            *w = 0;
        } else if lo < q {
            *w &= !((1u64 << (q - lo)) - 1);
        }
    }
    Fixed { m, e, neg: rng.gen_bool(0.5), prec, kind: Kind::Finite }
}

/// An exponent gap that often sits at an edge: limb boundaries, the precision, ±1.
fn gap(rng: &mut ChaCha8Rng, prec: u32) -> i64 {
    let p = i64::from(prec);
    match rng.gen_range(0..6) {
        0 => rng.gen_range(0..3),
        1 => 64 * rng.gen_range(0..7) + rng.gen_range(-2..3),
        2 => p + rng.gen_range(-2..3),
        3 => 2 * p + rng.gen_range(-2..3),
        4 => rng.gen_range(0..800),
        _ => rng.gen_range(0..130),
    }
    .max(0)
}

fn same<const L: usize>(got: Option<Fixed<L>>, want: &Float, what: &str) {
    let got = got.unwrap_or_else(|| panic!("{what}: no result (want {want})"));
    let back = to_mpfr(&got, want.prec());
    assert!(
        back.total_cmp(want) == std::cmp::Ordering::Equal && back.is_sign_negative() == want.is_sign_negative(),
        "{what}: got {back}, MPFR {want}"
    );
    assert_eq!(from_mpfr::<L>(want), got, "{what}: the representations differ");
}

fn check<const L: usize>(seed: u64, n: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..n {
        let prec = if rng.gen_bool(0.3) { 64 * rng.gen_range(1..=L as u32) } else { rng.gen_range(2..=64 * L as u32) };
        let r = rounding(prec);
        let e0 = rng.gen_range(-300..300);
        let a: Fixed<L> = value(&mut rng, prec, e0);
        let eb = e0 - gap(&mut rng, prec) * if rng.gen_bool(0.5) { 1 } else { -1 };
        let mut b: Fixed<L> = value(&mut rng, prec, eb);
        if rng.gen_bool(0.15) {
            // near cancellation: b = ±a with its last bits changed
            b = Fixed { neg: !a.neg, ..a };
            let q = 64 * L as u32 - prec;
            let (l, bit) = ((q / 64) as usize, q % 64);
            b.m[l] ^= (rng.gen_range(0..4u64)) << bit;
            b.m[L - 1] |= 1 << 63;
        }
        let ec = e0 + rng.gen_range(-200..200);
        let c: Fixed<L> = value(&mut rng, prec, ec);
        let [fa, fb, fc] = [&a, &b, &c].map(|x| to_mpfr(x, prec));
        assert_eq!(from_mpfr::<L>(&fa), a);
        let want = |src: &dyn Fn(&mut Float)| {
            let mut y = Float::new(prec);
            src(&mut y);
            y
        };
        let ctx = format!("L={L} p={prec} a={fa} b={fb} c={fc}");
        assert_eq!(cmp(&a, &b), fa.partial_cmp(&fb), "cmp {fa} {fb}");
        assert_eq!(cmp(&a, &a.negated()), fa.partial_cmp(&-fa.clone()), "cmp {fa} −{fa}");
        same(add(&a, &b, r), &want(&|y| { y.assign_round(&fa + &fb, Round::Nearest); }), &format!("add {ctx}"));
        same(sub(&a, &b, r), &want(&|y| { y.assign_round(&fa - &fb, Round::Nearest); }), &format!("sub {ctx}"));
        same(mul(&a, &b, r), &want(&|y| { y.assign_round(&fa * &fb, Round::Nearest); }), &format!("mul {ctx}"));
        same(div(&a, &b, r), &want(&|y| { y.assign_round(&fa / &fb, Round::Nearest); }), &format!("div {ctx}"));
        same(fma(&a, &b, &c, r), &want(&|y| { y.assign_round(&fa * &fb + &fc, Round::Nearest); }), &format!("fma {ctx}"));
        // fma with c ≈ −a·b: cancellation of the exact product
        let mut pc = Float::new(prec);
        pc.assign_round(&fa * &fb, Round::Nearest);
        let pc = -pc;
        let c2 = from_mpfr::<L>(&pc);
        same(fma(&a, &b, &c2, r), &want(&|y| { y.assign_round(&fa * &fb + &pc, Round::Nearest); }), &format!("fma-cancel {ctx}"));
    }
}

#[test]
fn every_primitive_equals_mpfr() {
    check::<1>(1, 60_000);
    check::<2>(2, 60_000);
    check::<3>(3, 40_000);
    check::<4>(4, 40_000);
    check::<5>(5, 40_000);
}

#[test]
fn signed_zeros_and_exact_cancellation() {
    let r = rounding(200);
    let one = from_mpfr::<4>(&Float::with_val(200, 1.5));
    let (pz, nz) = (Fixed::<4>::zero(false, 200), Fixed::<4>::zero(true, 200));
    let is = |x: Option<Fixed<4>>, neg: bool| {
        let x = x.unwrap();
        assert!(x.kind == Kind::Zero && x.neg == neg, "{x:?}");
    };
    is(add(&nz, &nz, r), true);
    is(add(&pz, &nz, r), false);
    is(add(&nz, &pz, r), false);
    is(sub(&nz, &pz, r), true);
    is(sub(&one, &one, r), false);
    is(add(&one.negated(), &one, r), false);
    is(mul(&nz, &one, r), true);
    is(mul(&nz, &one.negated(), r), false);
    is(div(&nz, &one, r), true);
    // fma: a zero product plus a zero
    is(fma(&nz, &one, &nz, r), true);
    is(fma(&pz, &one, &nz, r), false);
    is(fma(&one, &one.negated(), &from_mpfr(&Float::with_val(200, 2.25)), r), false);
    assert_eq!(fma(&pz, &one, &one, r), Some(one));
    assert!(div(&one, &pz, r).is_none(), "division by zero is MPFR's case");
}

#[test]
fn results_outside_mpfrs_exponent_range_are_left_to_mpfr() {
    let r = Rounding { prec: 64, emin: -10, emax: 10 };
    let big = from_mpfr::<1>(&Float::with_val(64, 512.0)); // 2^9: exponent 10
    assert!(mul(&big, &big, r).is_none());
    assert!(add(&big, &big, r).is_none());
    let small = from_mpfr::<1>(&Float::with_val(64, 1.0 / 1024.0)); // exponent −9
    assert!(mul(&small, &small, r).is_none());
    assert!(mul(&big, &small, r).is_some());
}

fn check_exact<const L: usize>(seed: u64, n: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fallbacks = 0;
    for _ in 0..n {
        let prec = rng.gen_range(2..=64 * L as u32);
        let r = rounding(prec);
        let len = rng.gen_range(0..12);
        let spread = if rng.gen_bool(0.8) { 16 * L as i64 } else { 2000 };
        let mut xs: Vec<Fixed<L>> = Vec::new();
        let mut ys: Vec<Fixed<L>> = Vec::new();
        for k in 0..len {
            let pick = |rng: &mut ChaCha8Rng| -> Fixed<L> {
                if rng.gen_bool(0.15) {
                    Fixed::zero(rng.gen_bool(0.5), prec)
                } else {
                    let e = rng.gen_range(-spread..spread);
                    value(rng, prec, e)
                }
            };
            let (mut x, y) = (pick(&mut rng), pick(&mut rng));
            if k % 2 == 1 && rng.gen_bool(0.4) {
                // cancel the previous term exactly
                x = xs[k - 1].negated();
                ys.push(ys[k - 1]);
                xs.push(x);
                continue;
            }
            xs.push(x);
            ys.push(y);
        }
        let (fx, fy): (Vec<Float>, Vec<Float>) = (xs.iter().map(|x| to_mpfr(x, prec)).collect(), ys.iter().map(|x| to_mpfr(x, prec)).collect());
        let mut want = Float::new(prec);
        want.assign_round(Float::dot(fx.iter().zip(&fy)), Round::Nearest);
        match dot_exact(xs.iter().zip(&ys), r) {
            Some(v) => same(Some(v), &want, &format!("dot L={L} p={prec} {fx:?} {fy:?}")),
            None => {
                let es: Vec<i64> = xs.iter().zip(&ys).filter(|(a, b)| a.kind == Kind::Finite && b.kind == Kind::Finite).map(|(a, b)| a.e + b.e).collect();
                let wide = es.iter().max().unwrap() - es.iter().min().unwrap();
                assert!(wide > 64 * (2 * L as i64 + 1) - 2, "dot fell back with a spread of {wide} bits");
                fallbacks += 1;
            }
        }
        let mut want = Float::new(prec);
        want.assign_round(Float::sum(fx.iter()), Round::Nearest);
        match sum_exact(xs.iter(), r) {
            Some(v) => same(Some(v), &want, &format!("sum L={L} p={prec} {fx:?}")),
            None => {
                let es: Vec<i64> = xs.iter().filter(|a| a.kind == Kind::Finite).map(|a| a.e).collect();
                let wide = es.iter().max().unwrap() - es.iter().min().unwrap();
                assert!(wide > 64 * (3 * L as i64 + 1), "sum fell back with a spread of {wide} bits");
            }
        }
    }
    assert!(fallbacks < n / 2, "{fallbacks} fallbacks");
}

#[test]
fn exact_dots_and_sums_equal_mpfr() {
    check_exact::<1>(11, 20_000);
    check_exact::<2>(12, 20_000);
    check_exact::<4>(14, 20_000);
    check_exact::<5>(15, 20_000);
}

/// A `prec`-bit significand of one of the shapes that stress rounding and carries: a power of
/// two, all ones, the top and last kept bits, all ones but the last, every other bit.
fn shaped<const L: usize>(shape: usize, prec: u32) -> [u64; L] {
    let mut m = [0u64; L];
    let q = 64 * L as u32 - prec; // the last kept bit is bit q
    let set = |m: &mut [u64; L], bit: u32| m[(bit / 64) as usize] |= 1 << (bit % 64);
    for bit in q..64 * L as u32 {
        let on = match shape {
            1 => true,
            2 => bit == q,
            3 => bit != q,
            4 => (bit - q) % 2 == 1,
            _ => false,
        };
        if on {
            set(&mut m, bit);
        }
    }
    m[L - 1] |= 1 << 63;
    m
}

/// The fast paths on purpose: the full-limb rounding (`p = 64·L`) and the other multiples of
/// 64, every alignment shift class (within a limb, whole limbs, past the frame), ties (`b` half
/// an ulp of `a`, odd and even), carries out of all-ones significands into a new exponent,
/// cancellation of whole limbs, and exponents at the ends of the range.
fn check_shapes<const L: usize>() {
    let full = 64 * L as u32;
    let mut precs = vec![full, full - 1];
    if L > 1 {
        precs.push(full - 64);
    }
    for prec in precs {
        let p = i64::from(prec);
        let r = rounding(prec);
        let mut gaps: Vec<i64> = vec![0, 1, 2, 63, 64, 65, 127, 128, 129, p - 1, p, p + 1, p + 2, 2 * p, 2 * p + 1];
        gaps.extend((1..=L as i64 + 1).flat_map(|k| [64 * k - 1, 64 * k, 64 * k + 1]));
        let cases = (0..5).flat_map(|sa| (0..5).map(move |sb| (sa, sb)));
        let cases = cases.flat_map(|(sa, sb)| gaps.iter().flat_map(move |&g| [(false, false), (false, true), (true, false)].map(|(na, nb)| (sa, sb, g, na, nb))));
        for (sa, sb, g, na, nb) in cases {
            let a = Fixed::<L> { m: shaped(sa, prec), e: 7, neg: na, prec, kind: Kind::Finite };
            let b = Fixed::<L> { m: shaped(sb, prec), e: 7 - g, neg: nb, prec, kind: Kind::Finite };
            let c = Fixed::<L> { m: shaped((sa + sb) % 5, prec), e: 14 - g, neg: !na, prec, kind: Kind::Finite };
            let [fa, fb, fc] = [&a, &b, &c].map(|x| to_mpfr(x, prec));
            let ctx = format!("L={L} p={prec} a={fa} b={fb} c={fc}");
            let want = |v: rug::Float| {
                let mut y = Float::new(prec);
                y.assign_round(v, Round::Nearest);
                y
            };
            same(add(&a, &b, r), &want(Float::with_val(4 * prec, &fa + &fb)), &format!("add {ctx}"));
            same(add(&b, &a, r), &want(Float::with_val(4 * prec, &fb + &fa)), &format!("add (swapped) {ctx}"));
            same(sub(&a, &b, r), &want(Float::with_val(4 * prec, &fa - &fb)), &format!("sub {ctx}"));
            same(mul(&a, &b, r), &want(Float::with_val(4 * prec, &fa * &fb)), &format!("mul {ctx}"));
            let mut y = Float::new(prec);
            y.assign_round(&fa * &fb + &fc, Round::Nearest);
            same(fma(&a, &b, &c, r), &y, &format!("fma {ctx}"));
            // a product that is an exact tie: (0.1 + last bit) · 1.5
            let t = Fixed::<L> { m: shaped(2, prec), e: 1, neg: nb, prec, kind: Kind::Finite };
            let h = from_mpfr::<L>(&Float::with_val(prec, 1.5));
            let ft = to_mpfr(&t, prec);
            same(mul(&t, &h, r), &want(Float::with_val(4 * prec, &ft * 1.5)), &format!("mul tie p={prec}"));
        }
    }
    // exponents at the ends of the range: an all-ones value rounding up past emax, products
    // on both sides of the range
    let r = Rounding { prec: full, emin: -20, emax: 20 };
    let ones = Fixed::<L> { m: shaped(1, full), e: 20, neg: false, prec: full, kind: Kind::Finite };
    let tiny = Fixed::<L> { m: shaped(0, full), e: 20 - i64::from(full), neg: false, prec: full, kind: Kind::Finite };
    assert!(add(&ones, &tiny, r).is_none(), "a carry past emax is MPFR's case");
    assert_eq!(add(&ones.negated(), &tiny.negated(), r), None);
    let lowest = Fixed::<L> { m: shaped(0, full), e: -20, neg: true, prec: full, kind: Kind::Finite };
    assert_eq!(add(&lowest, &lowest, r).map(|v| (v.e, v.m)), Some((-19, shaped(0, full))));
    assert!(sub(&lowest, &Fixed { m: shaped(2, full), ..lowest }, r).is_none(), "a difference below emin is MPFR's case");
    let half = Fixed::<L> { m: shaped(0, full), e: 0, neg: false, prec: full, kind: Kind::Finite };
    assert!(mul(&lowest, &half, r).is_none());
    assert_eq!(mul(&ones, &half, r).map(|v| (v.e, v.m)), Some((19, shaped(1, full))));
}

#[test]
fn fast_paths_equal_mpfr_on_shaped_operands() {
    check_shapes::<1>();
    check_shapes::<2>();
    check_shapes::<3>();
    check_shapes::<4>();
    check_shapes::<5>();
}
