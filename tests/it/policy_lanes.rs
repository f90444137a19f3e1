//! The lane-vectorized policy dot (`scalar::matmul::chain`, `PolicyDot::tangents`) against its
//! definition: a `K`-lane dual number's policy dot must give, lane by lane, the bits of the
//! one-tangent dual number's (`Dual`, which runs the definition `PolicyDot::dot2`), for every
//! preset and override, every term-by-term order and shape, f32 and f64 runs, operands with
//! zeros of both signs, subnormals, values that overflow the formats, infinities and NaNs.
//! Mutations that fail it (tried by hand): the first term as `fma(a, b, +0)` (a product −0
//! becomes +0), the lanes' chains without FMA, a skipped fallback of a non-finite lane.

use clairaut::ad::{Dual, DualVec, LaneDot};
use clairaut::order::{matmul, Eval, KernelScratch, Order, Strided};
use clairaut::scalar::hw::HwCtx;
use clairaut::scalar::matmul::{PrecisionPolicy, PRESETS};
use clairaut::scalar::MathLib;

/// A reproducible operand: mostly values of modest size, with zeros of both signs, f32
/// subnormals, values beyond f16/fp8 and f32 ranges, infinities and NaNs mixed in
/// (`specials`), or only values large enough that the f32 chains overflow while every input
/// converts (`Big`: the lanes' fallback from a chain that is not finite).
fn operand(z: &mut u64, specials: Mix) -> f64 {
    let specials = match specials {
        Mix::Plain => false,
        Mix::Specials => true,
        Mix::Big => return big(z),
    };
    *z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut x = *z;
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    let m = (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
    match (x % 64, specials) {
        (0, _) => 0.0,
        (1, _) => -0.0,
        (2, true) => 1e-42,
        (3, true) => 7e4 * m,
        (4, true) => 3e38 * (m + 0.6),
        (5, true) => f64::INFINITY,
        (6, true) => f64::NAN,
        _ => m * 2f64.powi((x % 21) as i32 - 10),
    }
}

/// The operands of a test: plain, with specials, or large.
#[derive(Clone, Copy, Debug)]
enum Mix {
    Plain,
    Specials,
    Big,
}

/// Magnitudes 2⁵⁰–2⁸⁰ of either sign: inside every 8-bit-exponent format, products beyond f32.
fn big(z: &mut u64) -> f64 {
    *z = z.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let m = 1.0 + (*z >> 12) as f64 / (1u64 << 52) as f64;
    let e = 50 + ((*z >> 3) % 31) as i32;
    if *z & 1 == 0 { m * 2f64.powi(e) } else { -m * 2f64.powi(e) }
}

/// A reproducible K-lane dual number: its value, then its lanes, each an [`operand`].
fn dual<R: LaneDot, const K: usize>(z: &mut u64, specials: Mix, ctx: &R::RCtx) -> DualVec<R, K> {
    let v = R::from_f64(operand(z, specials), ctx);
    DualVec { v, t: std::array::from_fn(|_| R::from_f64(operand(z, specials), ctx)) }
}

/// The dot of `a`, `b` (K-lane duals) under `policy` and `order`, and the same lane by lane
/// through one-tangent duals: the tangents (and values) must be the same bits.
fn check<R: LaneDot + Copy + Into<f64>, const K: usize>(ctx: &R::RCtx, policy: &str, order: Order, n: usize, seed: u64, specials: Mix) {
    let pol = PrecisionPolicy::parse(policy).unwrap();
    let eval = Eval::new(order, [n]).with_policy(&pol);
    let mut z = seed;
    let mut dv = || dual::<R, K>(&mut z, specials, ctx);
    let a: Vec<DualVec<R, K>> = (0..n).map(|_| dv()).collect();
    let b: Vec<DualVec<R, K>> = (0..n).map(|_| dv()).collect();
    let zero = R::from_f64(0.0, ctx);
    let mut ks = KernelScratch::new(&DualVec::<R, K> { v: zero, t: [zero; K] }, n);
    let mut out = DualVec::<R, K> { v: zero, t: [zero; K] };
    matmul(&mut out, Strided::contiguous(&a), Strided::contiguous(&b), &eval, &mut ks, None, ctx);
    let mut ks1 = KernelScratch::new(&Dual { v: zero, t: zero }, n);
    for l in 0..K {
        let a1: Vec<Dual<R>> = a.iter().map(|x| Dual { v: x.v, t: x.t[l] }).collect();
        let b1: Vec<Dual<R>> = b.iter().map(|x| Dual { v: x.v, t: x.t[l] }).collect();
        let mut one = Dual { v: zero, t: zero };
        matmul(&mut one, Strided::contiguous(&a1), Strided::contiguous(&b1), &eval, &mut ks1, None, ctx);
        let (got, want): (f64, f64) = (out.t[l].into(), one.t.into());
        assert_eq!(got.to_bits(), want.to_bits(), "{policy} {order} n={n} seed={seed} lane {l}: {got:e} vs {want:e}");
        let (gv, wv): (f64, f64) = (out.v.into(), one.v.into());
        assert_eq!(gv.to_bits(), wv.to_bits(), "{policy} {order} value");
    }
}

fn policies() -> Vec<String> {
    let mut v: Vec<String> = PRESETS.iter().map(|p| p.name.to_string()).collect();
    for o in [
        "bf16-bf16-f32,round=sr:7",
        "bf16-bf16-f32,out=bf16",
        "f32-f32-f32,prod=rounded",
        "tf32-tf32-f32,mul=tf32:trunc",
        "tf32-tf32-f32,mul=tf32:rne",
        "e4m3-e4m3-f32,sat=on",
        "e5m2-e5m2-f32,out=bf16,round=sr:3",
    ] {
        v.push(o.to_string());
    }
    v
}

#[test]
fn lanes_of_a_policy_dot_are_the_definition_bit_for_bit() {
    let orders: Vec<Order> = ["sequential", "reversed", "shuffled:3", "lanes:4", "pairwise"].iter().map(|o| o.parse().unwrap()).collect();
    let (c32, c64) = (HwCtx::<f32>::new(MathLib::CoreMath, true), HwCtx::<f64>::new(MathLib::CoreMath, true));
    for policy in policies() {
        for &order in &orders {
            for (i, n) in [1usize, 2, 3, 7, 33].into_iter().enumerate() {
                for (m, specials) in [Mix::Plain, Mix::Specials, Mix::Big].into_iter().enumerate() {
                    let seed = 1000 * i as u64 + m as u64;
                    check::<f32, 16>(&c32, &policy, order, n, seed, specials);
                    check::<f64, 8>(&c64, &policy, order, n, seed + 7, specials);
                    check::<f32, 3>(&c32, &policy, order, n, seed + 11, specials);
                }
            }
        }
    }
}

/// The dots of a matrix product `A·B` (rows of `A` with columns of `B`, a strided view) run in
/// a scope whose operands are converted once for all the dots that read them
/// (`KernelScratch::fix_operands`) against the same dots computed alone (the definition's bits,
/// tested above): every bit the same, for every policy, order, operand mix, f32 and f64 runs;
/// and after `A` changes in place (the same memory) a reopened scope uses the new values.
/// A scope that kept its conversions when reopened would fail round 1 (`A` changed in place, at
/// the same addresses); operands looked up under one another's key would fail round 0.
fn product<R: LaneDot + Copy + Into<f64>, const K: usize>(ctx: &R::RCtx, policy: &str, order: Order, seed: u64, specials: Mix) {
    let (m, n, p) = (3, 5, 4);
    let pol = PrecisionPolicy::parse(policy).unwrap();
    let eval = Eval::new(order, [n]).with_policy(&pol);
    let mut z = seed;
    let mut dv = || dual::<R, K>(&mut z, specials, ctx);
    let mut a: Vec<DualVec<R, K>> = (0..m * n).map(|_| dv()).collect();
    let b: Vec<DualVec<R, K>> = (0..n * p).map(|_| dv()).collect();
    let zero = R::from_f64(0.0, ctx);
    let zero_dv = DualVec::<R, K> { v: zero, t: [zero; K] };
    let (mut ks, mut alone) = (KernelScratch::new(&zero_dv, n), KernelScratch::new(&zero_dv, n));
    let bits = |x: &DualVec<R, K>| -> Vec<u64> { std::iter::once(&x.v).chain(&x.t).map(|&y| Into::<f64>::into(y).to_bits()).collect() };
    for round in 0..2 {
        ks.fix_operands();
        for i in 0..m {
            for j in 0..p {
                let (row, col) = (Strided::new(&a, i * n, 1, n), Strided::new(&b, j, p, n));
                let (mut got, mut want) = (zero_dv.clone(), zero_dv.clone());
                matmul(&mut got, row, col, &eval, &mut ks, None, ctx);
                matmul(&mut want, row, col, &eval, &mut alone, None, ctx);
                assert_eq!(bits(&got), bits(&want), "{policy} {order} seed={seed} {specials:?} round {round} entry ({i}, {j})");
            }
        }
        a.iter_mut().for_each(|x| *x = dv());
    }
    ks.release_operands();
}

#[test]
fn operands_converted_once_per_product_are_each_dots_bits() {
    let orders: Vec<Order> = ["sequential", "reversed", "lanes:4"].iter().map(|o| o.parse().unwrap()).collect();
    let (c32, c64) = (HwCtx::<f32>::new(MathLib::CoreMath, true), HwCtx::<f64>::new(MathLib::CoreMath, true));
    for policy in policies() {
        for &order in &orders {
            for (m, specials) in [Mix::Plain, Mix::Specials, Mix::Big].into_iter().enumerate() {
                let seed = 77 + m as u64;
                product::<f32, 16>(&c32, &policy, order, seed, specials);
                product::<f64, 8>(&c64, &policy, order, seed + 5, specials);
                product::<f32, 3>(&c32, &policy, order, seed + 9, specials);
            }
        }
    }
}
