//! Precision policies under every summation order (issue 13): the reduction shapes
//! `lanes:<w>`, `blocked:<b>`, `splitk:<k>` and `pairwise` with the policy's accumulator —
//! against cases computed by hand and an independent exact reference written here (exact sums
//! of exact products in 400-bit MPFR, then one rounding per defined step with rug's own
//! round-to-nearest-even), `f32-f32-f32` ≡ uniform f32 in each shape, and thread-count
//! independence.

use clairaut::hessian::{Matrix, Method};
use clairaut::order::{dot, matmul, Eval, KernelScratch, Order, Strided};
use clairaut::scalar::hw::HwCtx;
use clairaut::scalar::matmul::PrecisionPolicy;
use clairaut::scalar::MathLib;
use rug::float::Round;
use rug::Float;

use crate::common::one_per_combination;
use crate::policy::h32;

const SHAPES: [&str; 12] = ["lanes:1", "lanes:2", "lanes:3", "lanes:4", "lanes:8", "blocked:1", "blocked:3", "blocked:7", "splitk:2", "splitk:3", "splitk:5", "pairwise"];

fn order(name: &str) -> Order {
    name.parse().unwrap()
}

/// The policy dot of `a`, `b` in `order`, through the model's matmul kernel on f32 values.
fn policy_dot(policy: &str, order: Order, a: &[f32], b: &[f32], fma: bool) -> f32 {
    let ctx = HwCtx::<f32>::new(MathLib::CoreMath, fma);
    let eval = Eval::new(order, [a.len()]).with_policy(&PrecisionPolicy::parse(policy).unwrap());
    let mut ks = KernelScratch::new(&0f32, a.len());
    let mut out = 0f32;
    matmul(&mut out, Strided::contiguous(a), Strided::contiguous(b), &eval, &mut ks, None, &ctx);
    out
}

/// The uniform f32 dot of `a`, `b` in `order`.
fn uniform_dot(order: Order, a: &[f32], b: &[f32], fma: bool) -> f32 {
    let ctx = HwCtx::<f32>::new(MathLib::CoreMath, fma);
    let eval = Eval::new(order, [a.len()]);
    let mut ks = KernelScratch::new(&0f32, a.len());
    let mut out = 0f32;
    dot(&mut out, Strided::contiguous(a), Strided::contiguous(b), &eval, &mut ks, &ctx);
    out
}

/// Random f32 values of magnitude in [1/4, 4), both signs (no subnormal in any format here).
fn vector(n: usize, seed: u64) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let m = 1.0 + (x >> 40) as f32 / (1u64 << 24) as f32;
            let e = ((x >> 8) % 4) as i32 - 2;
            let s = if x & 1 == 0 { 1.0 } else { -1.0 };
            s * m * 2f32.powi(e)
        })
        .collect()
}

// ---- the independent reference -------------------------------------------------------------

const WIDE: u32 = 400;

/// What the reference needs of a policy: significand bits of `mul`, of `acc`, rounded
/// products, the promotion interval (0: none).
#[derive(Clone, Copy)]
struct Ref {
    mul: u32,
    acc: u32,
    prod_rounded: bool,
    promote: usize,
}

/// `x` rounded to nearest even at `p` bits (every value here is far inside every exponent range).
fn rnd(p: u32, x: &Float) -> f64 {
    Float::with_val(p, x).to_f64()
}

fn wide(x: f64) -> Float {
    Float::with_val(WIDE, x)
}

/// One part: its terms in the given order, the accumulator rounding once per term, promoted to
/// an f32 master every `promote` terms.
fn part(r: Ref, terms: &[(f64, f64)]) -> f64 {
    let (mut acc, mut master, mut count) = (None::<f64>, None::<f64>, 0);
    for &(a, b) in terms {
        let mut p = wide(a) * b;
        if r.prod_rounded {
            p = wide(rnd(r.acc, &p));
        }
        acc = Some(rnd(r.acc, &(p + acc.unwrap_or(0.0))));
        count += 1;
        if count == r.promote {
            master = Some(match master {
                None => acc.unwrap(),
                Some(m) => rnd(24, &(wide(m) + acc.unwrap())),
            });
            (acc, count) = (None, 0);
        }
    }
    match (master, acc) {
        (Some(m), Some(a)) => rnd(24, &(wide(m) + a)),
        (Some(m), None) => m,
        (None, a) => a.unwrap(),
    }
}

/// Two parts' results added: in `acc`, or in f32 under promotion.
fn comb(r: Ref, x: f64, y: f64) -> f64 {
    rnd(if r.promote > 0 { 24 } else { r.acc }, &(wide(x) + y))
}

/// The shaped sum of already converted terms, written from the orders' table: lanes folded in
/// halves over a vector of present/absent lanes, blocks left to right, the pairwise tree.
fn shaped(r: Ref, order: &str, t: &[(f64, f64)]) -> f64 {
    let n = t.len();
    let (kind, param) = order.split_once(':').map_or((order, 0), |(k, p)| (k, p.parse::<usize>().unwrap()));
    match kind {
        "sequential" => part(r, t),
        "lanes" => {
            let mut lanes: Vec<Option<f64>> = (0..param)
                .map(|j| {
                    let mine: Vec<_> = t.iter().skip(j).step_by(param).copied().collect();
                    (!mine.is_empty()).then(|| part(r, &mine))
                })
                .collect();
            let mut width = param;
            while width > 1 {
                let h = width.div_ceil(2);
                for i in 0..width - h {
                    if let Some(y) = lanes[i + h] {
                        lanes[i] = Some(comb(r, lanes[i].unwrap(), y));
                    }
                }
                width = h;
            }
            lanes[0].unwrap()
        }
        "blocked" | "splitk" => {
            let size = if kind == "blocked" { param } else { n.div_ceil(param) };
            let mut parts = t.chunks(size).map(|c| part(r, c));
            let first = parts.next().unwrap();
            parts.fold(first, |x, y| comb(r, x, y))
        }
        "pairwise" => match n {
            1 => part(r, t),
            2 => part(r, &[t[1], t[0]]),
            _ => comb(r, shaped(r, order, &t[..n / 2]), shaped(r, order, &t[n / 2..])),
        },
        _ => unreachable!("{order}"),
    }
}

/// The reference policy dot: inputs rounded to `mul` (to nearest even), then [`shaped`].
fn reference(r: Ref, order: &str, a: &[f32], b: &[f32]) -> f64 {
    let cv = |x: f32| rnd(r.mul, &wide(x as f64));
    let t: Vec<(f64, f64)> = a.iter().zip(b).map(|(x, y)| (cv(*x), cv(*y))).collect();
    shaped(r, order, &t)
}

/// XLA's `BF16_BF16_F32_X3` as the reference composes it: `hi = trunc_bf16(x)`,
/// `lo = rne_bf16(x − hi)`; three shaped passes in f32, `(lo·hi + hi·lo) + hi·hi`.
fn reference_x3(order: &str, a: &[f32], b: &[f32]) -> f64 {
    let split = |x: f32| {
        let hi = Float::with_val_round(8, x, Round::Zero).0.to_f64();
        (hi, rnd(8, &(wide(x as f64) - hi)))
    };
    let (sa, sb): (Vec<_>, Vec<_>) = (a.iter().map(|x| split(*x)).collect(), b.iter().map(|x| split(*x)).collect());
    let r = Ref { mul: 8, acc: 24, prod_rounded: false, promote: 0 };
    let pass = |fa: fn(&(f64, f64)) -> f64, fb: fn(&(f64, f64)) -> f64| {
        let t: Vec<(f64, f64)> = sa.iter().zip(&sb).map(|(x, y)| (fa(x), fb(y))).collect();
        shaped(r, order, &t)
    };
    let (hi, lo): (fn(&(f64, f64)) -> f64, fn(&(f64, f64)) -> f64) = (|p| p.0, |p| p.1);
    let low = rnd(24, &(wide(pass(lo, hi)) + pass(hi, lo)));
    rnd(24, &(wide(low) + pass(hi, hi)))
}

// ---- the tests -------------------------------------------------------------------------------

/// Hand-computed: bf16 accumulation of 1 + 4·2⁻⁸ (b = 1). Adding 2⁻⁸ to 1 is a tie in bf16
/// (spacing 2⁻⁷ at 1) that rounds back to 1; two 2⁻⁸ together make 2⁻⁷, which survives.
#[test]
fn bf16_accumulation_by_hand_in_every_shape() {
    let e = 2f32.powi(-8);
    let a = [1.0, e, e, e];
    let b = [1.0; 4];
    for (o, want) in [
        ("sequential", 1.0),                  // ((1 + e) + e) + e: every addition a tie to 1
        ("reversed", 1.0 + 2f32.powi(-6)),    // (e + e) + e = 3e exact; 1 + 3e is a tie → 1 + 2⁻⁶ (even)
        ("lanes:2", 1.0 + 2f32.powi(-7)),     // lanes {1, e} → 1 and {e, e} → 2e; 1 + 2e
        ("lanes:3", 1.0),                     // lanes {1, e} → 1, {e}, {e}; fold: (1 + e) → 1, then 1 + e → 1
        ("lanes:4", 1.0 + 2f32.powi(-7)),     // (1 + e) → 1 and (e + e) = 2e; 1 + 2e
        ("blocked:2", 1.0 + 2f32.powi(-7)),   // blocks {1, e} → 1, {e, e} → 2e
        ("blocked:3", 1.0),                   // {1, e, e} → 1, {e}: 1 + e → 1
        ("splitk:2", 1.0 + 2f32.powi(-7)),    // parts of 2: as blocked:2
        ("pairwise", 1.0 + 2f32.powi(-7)),    // leaves e + 1 → 1 and e + e = 2e
    ] {
        let got = policy_dot("bf16-bf16-bf16", order(o), &a, &b, false);
        assert_eq!(got, want, "{o}");
    }
}

/// Hand-computed: `promote=2` with blocks. Each block keeps its own groups of 2 terms and its
/// own f32 master, and the blocks are combined in f32: blocked:3 of 1 + 4·2⁻⁸ is
/// {1, e | e} → f32(1 + e), {e, e} → 2e, then 1 + 3e exactly; without promotion the block
/// sums are bf16 values added in bf16: 1 and 2e → 1 + 2e.
#[test]
fn promotion_inside_blocks_by_hand() {
    let e = 2f32.powi(-8);
    let a = [1.0, e, e, e, e];
    let b = [1.0; 5];
    let promoted = "bf16-bf16-bf16,promote=2,out=f32";
    assert_eq!(policy_dot(promoted, order("blocked:3"), &a, &b, false), 1.0 + 3.0 * e);
    assert_eq!(policy_dot("bf16-bf16-bf16,out=f32", order("blocked:3"), &a, &b, false), 1.0 + 2.0 * e);
    // pairwise: leaf (e, 1) → 1 promoted; [e | e, e] → e + 2e = 3e in f32; then 1 + 3e
    assert_eq!(policy_dot(promoted, order("pairwise"), &a, &b, false), 1.0 + 3.0 * e);
    // lanes:2: lane 0 {1, e | e} → f32(1 + e), lane 1 {e, e} → 2e; 1 + 3e
    assert_eq!(policy_dot(promoted, order("lanes:2"), &a, &b, false), 1.0 + 3.0 * e);
}

/// Every shape, for policies whose accumulator, product rounding and promotion differ, equals
/// the independent reference on random vectors of many lengths.
#[test]
fn every_shape_matches_the_exact_reference() {
    let cases: [(&str, Ref); 6] = [
        ("bf16-bf16-bf16", Ref { mul: 8, acc: 8, prod_rounded: false, promote: 0 }),
        ("f16-f16-f16", Ref { mul: 11, acc: 11, prod_rounded: false, promote: 0 }),
        ("tf32-tf32-f32,mul=tf32,prod=rounded,acc=bf16,out=bf16", Ref { mul: 11, acc: 8, prod_rounded: true, promote: 0 }),
        ("fp8-e4m3-promote128,promote=3", Ref { mul: 4, acc: 14, prod_rounded: false, promote: 3 }),
        ("e5m2-e5m2-f32,acc=bf16,promote=4", Ref { mul: 3, acc: 8, prod_rounded: false, promote: 4 }),
        ("f32-f32-f32", Ref { mul: 24, acc: 24, prod_rounded: false, promote: 0 }),
    ];
    let mut differing = 0;
    for (policy, r) in cases {
        for n in [1, 2, 3, 5, 8, 13, 16, 29, 40] {
            let (a, b) = (vector(n, n as u64), vector(n, 1000 + n as u64));
            for o in SHAPES.into_iter().chain(["sequential"]) {
                let got = policy_dot(policy, order(o), &a, &b, false) as f64;
                let want = reference(r, o, &a, &b);
                assert_eq!(got.to_bits(), want.to_bits(), "{policy} {o} n={n}: {got:e} vs {want:e}");
                differing += usize::from(got != policy_dot(policy, Order::Sequential, &a, &b, false) as f64);
            }
        }
    }
    // the shapes are not sequential in disguise
    assert!(differing > 100, "{differing}");
}

/// The split algorithm x3 runs each of its passes in the shape and combines them in f32.
#[test]
fn x3_passes_in_every_shape_match_the_reference() {
    for n in [1, 4, 7, 33] {
        let (a, b) = (vector(n, 7 * n as u64), vector(n, 77 + n as u64));
        for o in SHAPES {
            let got = policy_dot("bf16-bf16-f32-x3", order(o), &a, &b, false) as f64;
            assert_eq!(got.to_bits(), reference_x3(o, &a, &b).to_bits(), "{o} n={n}");
        }
    }
}

/// `f32-f32-f32` is uniform f32 with `fma` in every shape, and `f32-f32-f32,prod=rounded`
/// uniform f32 without: the same parts, the same f32 combinations.
#[test]
fn f32_f32_f32_is_uniform_f32_in_every_shape() {
    for n in [1, 2, 3, 6, 17, 64] {
        let (a, b) = (vector(n, 3 * n as u64), vector(n, 5 + n as u64));
        for o in SHAPES {
            let o = order(o);
            assert_eq!(policy_dot("f32-f32-f32", o, &a, &b, true).to_bits(), uniform_dot(o, &a, &b, true).to_bits(), "{o} n={n}");
            assert_eq!(policy_dot("f32-f32-f32,prod=rounded", o, &a, &b, false).to_bits(), uniform_dot(o, &a, &b, false).to_bits(), "{o} n={n}");
        }
    }
}

/// Whole Hessians: values (the finite-difference methods) under `f32-f32-f32` are uniform f32's
/// in every shape; a policy's Hessian follows the order (bf16 accumulation differs between
/// shapes); and stochastic rounding in a shape is the same at 1 and 2 threads.
#[test]
fn hessians_under_policies_in_every_shape() {
    let problems = one_per_combination();
    for problem in &problems[..4] {
        for o in ["lanes:4", "blocked:2", "splitk:3", "pairwise"] {
            let o = order(o);
            for (policy, fma) in [("f32-f32-f32", true), ("f32-f32-f32,prod=rounded", false)] {
                let a = h32(problem, Method::FdGradCentral, o, policy, fma);
                let b = h32(problem, Method::FdGradCentral, o, "uniform", fma);
                assert!(a.bits_eq(&b), "{} {o} {policy}", problem.source.display());
            }
        }
    }
    let problem = &problems[3];
    let seq = h32(problem, Method::FwdRev, Order::Sequential, "bf16-bf16-bf16", false);
    let shaped: Vec<Matrix<f32>> = ["lanes:2", "blocked:2", "pairwise"].map(|o| h32(problem, Method::FwdRev, order(o), "bf16-bf16-bf16", false)).into();
    assert!(shaped.iter().any(|h| !h.bits_eq(&seq)), "no shape changed a bf16-accumulated Hessian");
    for o in ["lanes:4", "splitk:3", "pairwise"] {
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| h32(problem, Method::FwdRev, order(o), "bf16-bf16-f32,out=bf16,round=sr:5", false))
        };
        let one = run(1);
        assert!(one.bits_eq(&run(2)), "{o}");
        assert!((0..one.p * one.p).all(|k| one.get(k / one.p, k % one.p).is_finite()), "{o}");
    }
}

/// The command line takes a policy in every shape; `kahan` and `exact` stay refused.
#[test]
fn command_line_policies_in_shapes() {
    let p = "experiments/tf2-article/example1.json";
    for o in ["lanes:8", "splitk:2", "pairwise"] {
        let out = crate::common::clairaut().args(["hessian", "--problem", p, "--precision", "f32", "--policy", "tf2-ampere", "--order", o]).output().unwrap();
        assert!(out.status.success(), "{o}: {}", String::from_utf8_lossy(&out.stderr));
    }
    for o in ["kahan", "exact"] {
        let out = crate::common::clairaut().args(["hessian", "--problem", p, "--precision", "f32", "--policy", "tf2-ampere", "--order", o]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{o}: {err}");
        assert!(err.contains(&format!("order {o} is not one of its orders")) && err.trim().lines().count() == 1, "{err}");
    }
}

/// FP8 current scaling (`scale=tensor`), by hand: values that underflow or saturate unscaled
/// survive scaled by the power of two that brings each input vector's amax under the format's
/// largest value, and the result is scaled back exactly.
#[test]
fn fp8_tensor_scaling_by_hand() {
    let p = |s: &str| PrecisionPolicy::parse(s).unwrap();
    let e = |k: i32| 2f32.powi(k);
    // e4m3's smallest subnormal is 2⁻⁹: 2⁻¹² and 3·2⁻¹² flush to 0. Scaled: amax 3·2⁻¹² gives
    // ⌊log₂(448/(3·2⁻¹²))⌋ = 19, so 128 and 384 (exact in e4m3); b = [1, 1] scales by 2⁸;
    // (128 + 384)·256 = 2¹⁷, times 2⁻²⁷: 2⁻¹⁰ — the exact 4·2⁻¹².
    let (a, b) = ([e(-12), 3.0 * e(-12)], [1.0, 1.0]);
    assert_eq!(p("e4m3-e4m3-f32").dot_f32(&a, &b, false), 0.0);
    assert_eq!(p("e4m3-e4m3-f32,scale=tensor").dot_f32(&a, &b, false), e(-10));
    // 1000 saturates to 448 unscaled: 448 + 0.5. Scaled by 2⁻² (448/1000 = 1.79·2⁻²): 250 → 256
    // (e4m3 spacing 16 there), 0.125; b by 2⁸; (256·256 + 0.125·256)·2⁻⁶ = 1024.5.
    let (a, b) = ([1000.0, 0.5], [1.0, 1.0]);
    assert_eq!(p("e4m3-e4m3-f32").dot_f32(&a, &b, false), 448.5);
    assert_eq!(p("e4m3-e4m3-f32,scale=tensor").dot_f32(&a, &b, false), 1024.5);
    // e5m2 (smallest subnormal 2⁻¹⁶): 2⁻²⁰·2⁻²⁰ is 0 unscaled; scaled by 2³⁵ each
    // (57344 = 1.75·2¹⁵), 2¹⁵·2¹⁵ = 2³⁰, times 2⁻⁷⁰: the exact 2⁻⁴⁰.
    let (a, b) = ([e(-20)], [e(-20)]);
    assert_eq!(p("e5m2-e5m2-f32").dot_f32(&a, &b, false), 0.0);
    assert_eq!(p("e5m2-e5m2-f32,scale=tensor").dot_f32(&a, &b, false), e(-40));
}

/// The scale's exponent is that of Transformer Engine's f32 quotient `fp8_max / amax` with its
/// significand dropped: a quotient just below 2 that rounds to 2.0 in f32 gives 2¹.
#[test]
fn fp8_scale_exponent_follows_the_f32_quotient() {
    use clairaut::scalar::matmul::kernel::scale_exponent;
    use clairaut::scalar::matmul::Fmt;
    // 448/(224·(1 + 2⁻²⁹)) = 2 − 2⁻²⁸ + …: rounds to 2 in f32 (spacing 2⁻²³ below 2)
    assert_eq!(scale_exponent(Fmt::E4m3, &[224.0 * (1.0 + 2f64.powi(-29)), -3.0]), 1);
    // 448/(224·(1 + 2⁻²⁰)) = 2 − 2⁻¹⁹ + …: stays below 2
    assert_eq!(scale_exponent(Fmt::E4m3, &[-224.0 * (1.0 + 2f64.powi(-20))]), 0);
    assert_eq!(scale_exponent(Fmt::E4m3, &[448.0]), 0);
    assert_eq!(scale_exponent(Fmt::E5m2, &[1.0, f64::NAN]), 15);
    assert_eq!(scale_exponent(Fmt::E4m3, &[0.0, -0.0]), 0);
    // canonical spelling, and the field only on fp8 inputs
    assert_eq!(PrecisionPolicy::parse("fp8-e4m3-promote128,scale=tensor").unwrap().to_string(), "fp8-e4m3-promote128,scale=tensor");
    let err = PrecisionPolicy::parse("bf16-bf16-f32,scale=tensor").unwrap_err();
    assert!(err.contains("scale=tensor scales fp8 inputs") && err.contains("not mul=bf16") && !err.contains('\n'), "{err}");
    assert!(PrecisionPolicy::parse("e4m3-e4m3-f32,scale=row").unwrap_err().contains("field `scale`: `row` is not off or tensor"));
}

/// Scaling runs in every shape and with promotion, and its Hessian differs from the unscaled
/// one where an operand's amax is far from the format's largest value.
#[test]
fn fp8_scaling_in_hessians() {
    let problem = &one_per_combination()[1];
    for o in ["sequential", "lanes:4", "splitk:2"] {
        let scaled = h32(problem, Method::FwdRev, order(o), "fp8-e4m3-promote128,scale=tensor", false);
        let plain = h32(problem, Method::FwdRev, order(o), "fp8-e4m3-promote128", false);
        assert!((0..scaled.p * scaled.p).all(|k| scaled.get(k / scaled.p, k % scaled.p).is_finite()), "{o}");
        assert!(!scaled.bits_eq(&plain), "{o}");
    }
}
