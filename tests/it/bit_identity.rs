//! The arithmetic layer's self-check: MPFR's `binary64` / `binary32` emulation gives exactly the
//! bits of hardware `f64` / `f32`, for every method, order and FMA policy (possible because every
//! primitive, transcendentals included, is correctly rounded on both sides); `binary16` and
//! `bfloat16` computed in `f64` give exactly the bits of their MPFR emulation; `mp:<bits>` in
//! fixed-width limbs gives exactly MPFR's bits. And results do not depend on the number of
//! threads.

use clairaut::hessian::Method;
use clairaut::model::Problem;
use clairaut::order::Order;
use clairaut::scalar::precision::Arith;
use clairaut::scalar::{IeeeFormat, MathLib, Precision};
use crate::common::*;

fn orders() -> Vec<Order> {
    vec![Order::Sequential, Order::Reversed, Order::Pairwise, Order::Kahan, Order::Exact, Order::Shuffled(7)]
}

fn bits_identical(a: &[rug::Float], b: &[rug::Float]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            (x == y && x.is_sign_negative() == y.is_sign_negative()) || (x.is_nan() && y.is_nan())
        })
}

/// Every problem of `one_per_combination` × method × order × FMA policy: `a` and `b` give the
/// same bits.
fn check(label: &str, a: impl Fn(&Problem, Method, Order, bool) -> Vec<rug::Float>, b: impl Fn(&Problem, Method, Order, bool) -> Vec<rug::Float>) {
    for pr in one_per_combination() {
        for method in Method::ALL {
            for order in orders() {
                for fma in [false, true] {
                    assert!(
                        bits_identical(&a(&pr, method, order, fma), &b(&pr, method, order, fma)),
                        "{label}: {method} {order} fma={fma} on {:?} {:?} {}",
                        pr.spec.layers,
                        pr.spec.activations,
                        pr.spec.loss.name()
                    );
                }
            }
        }
    }
}

/// The Hessian at `precision` through the run-time dispatch.
fn at(precision: Precision) -> impl Fn(&Problem, Method, Order, bool) -> Vec<rug::Float> {
    move |pr, method, order, fma| hessian_any(pr, method, order, Arith { precision, math: MathLib::CoreMath, fma })
}

#[test]
fn binary64_emulation_equals_f64_bit_for_bit() {
    check("f64 vs binary64", at(Precision::F64), at(Precision::Ieee(IeeeFormat::BINARY64)));
}

#[test]
fn binary32_emulation_equals_f32_bit_for_bit() {
    check("f32 vs binary32", at(Precision::F32), at(Precision::Ieee(IeeeFormat::BINARY32)));
}

#[test]
fn binary16_and_bfloat16_in_f64_equal_their_mpfr_emulation_bit_for_bit() {
    // `binary16`/`bfloat16` run in f64 (`scalar::narrow`); the MPFR emulation is the reference.
    for fmt in [IeeeFormat::BINARY16, IeeeFormat::BFLOAT16] {
        let mpfr = |pr: &Problem, method, order, fma| {
            let ctx = clairaut::scalar::MpCtx::new(fmt.prec, Some(fmt), fma);
            to_floats(&hessian::<rug::Float>(pr, method, order, &ctx))
        };
        check(fmt.name, at(Precision::Ieee(fmt)), mpfr);
    }
}

#[test]
fn mp_in_fixed_limbs_equals_mpfr_bit_for_bit() {
    // `scalar::fixed` (4 or 5 limbs) against MPFR, the reference: 200 bits cut a limb, 256
    // fill four, 320 five.
    use clairaut::scalar::fixed::{Fixed, FixedCtx};
    for bits in [200, 256, 320] {
        let fixed = |pr: &Problem, method, order, fma| match bits {
            ..=256 => to_floats(&hessian::<Fixed<4>>(pr, method, order, &FixedCtx::new(bits, fma))),
            _ => to_floats(&hessian::<Fixed<5>>(pr, method, order, &FixedCtx::new(bits, fma))),
        };
        let mpfr = |pr: &Problem, method, order, fma| {
            let ctx = clairaut::scalar::MpCtx::new(bits, None, fma);
            to_floats(&hessian::<rug::Float>(pr, method, order, &ctx))
        };
        check(&format!("mp:{bits}"), fixed, mpfr);
    }
}

#[test]
fn one_and_two_threads_give_identical_bits() {
    let pr = &generated_problems()[9];
    for method in Method::ALL {
        for precision in [Precision::F64, Precision::Mp(128)] {
            let arith = Arith { precision, math: MathLib::CoreMath, fma: false };
            let run = |t| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(t)
                    .build()
                    .unwrap()
                    .install(|| hessian_any(pr, method, Order::Pairwise, arith))
            };
            assert!(bits_identical(&run(1), &run(2)), "{method} {precision}");
        }
    }
}

#[test]
fn f64_hessians_are_not_all_trivially_symmetric() {
    // Guard against a vacuous bit-identity check: on this set, f64 rev-rev produces some
    // bitwise asymmetric pairs (if it never did, the comparison above would test little).
    let mut differing = 0;
    for pr in one_per_combination() {
        let h = hessian::<f64>(&pr, Method::RevRev, Order::Sequential, &f64_ctx(false));
        differing += clairaut::analysis::metrics::asymmetry(&h).pairs_differing;
    }
    assert!(differing > 0);
}

/// Whether two option sets give bitwise the same Hessian of `pr`.
struct SameBits<'a> {
    problem: &'a clairaut::model::Problem,
    method: Method,
    order: Order,
    a: clairaut::hessian::Options,
    b: clairaut::hessian::Options,
}

impl clairaut::ad::WithReal for SameBits<'_> {
    type Output = bool;
    fn run<R: clairaut::ad::LaneDot>(self, ctx: R::RCtx) -> bool {
        let pr = self.problem;
        let inputs = pr.inputs::<R>(clairaut::model::InputMode::Decimal, &ctx).unwrap();
        let eval = clairaut::order::Eval::new(self.order, pr.spec.sum_lengths(pr.n));
        let h = |o: &clairaut::hessian::Options| clairaut::hessian::compute_with(self.method, &pr.spec, pr.n, &inputs, &eval, &ctx, o);
        h(&self.a).bits_eq(&h(&self.b))
    }
}

#[test]
fn reusing_the_primal_activation_table_changes_no_bit() {
    // The optimized path (activation derivatives tabulated once) against the straightforward
    // one (recomputed per column/row/entry), for every method, at f64, mp:113 and binary16;
    // finite differences use the checked table (entries served only where z is unchanged) and
    // start each evaluation from the base point's layers; fwd-rev and gauss-newton also skip
    // the forward dot products whose tangents are structurally zero and take the dot products'
    // values from the primal's (MPFR then computes only the tangent lanes).
    let opts = |reuse_primal| clairaut::hessian::Options { reuse_primal, ..Default::default() };
    for pr in one_per_combination() {
        for method in Method::ALL {
            for precision in [Precision::F64, Precision::Mp(113), Precision::Ieee(IeeeFormat::BINARY16)] {
                for order in [Order::Sequential, Order::Shuffled(3), Order::Kahan, Order::Exact] {
                    for fma in [false, true] {
                        let arith = Arith { precision, math: MathLib::CoreMath, fma };
                        let same = arith.dispatch(SameBits { problem: &pr, method, order, a: opts(true), b: opts(false) });
                        assert!(same, "{method} {precision} {order} fma={fma}");
                    }
                }
            }
        }
    }
}

#[test]
fn vector_lanes_change_no_bit() {
    // fwd-rev and gauss-newton with 8 columns per pass (DualVec) against one column per pass
    // (Dual), for every order and FMA policy, in hardware and emulated formats.
    let opts = |vector_lanes| clairaut::hessian::Options { vector_lanes, ..Default::default() };
    for pr in one_per_combination() {
        for method in [Method::FwdRev, Method::GaussNewton] {
            for precision in [Precision::F64, Precision::F32, Precision::Mp(113), Precision::Ieee(IeeeFormat::BINARY16)] {
                for order in orders() {
                    for fma in [false, true] {
                        let arith = Arith { precision, math: MathLib::CoreMath, fma };
                        let same = arith.dispatch(SameBits { problem: &pr, method, order, a: opts(true), b: opts(false) });
                        assert!(same, "{method} {precision} {order} fma={fma}");
                    }
                }
            }
        }
    }
}

/// The vector kernel of `f32`/`f64` dual numbers with 4 to 16 lanes ([`LaneDot::dot_lanes`], reached
/// through `order::dot`) against the definition (`order::dot_in_order`, the generic
/// operation-by-operation loop) on random operands that include ±0, ±∞, NaN, subnormals and
/// values whose products overflow or underflow — for the three term-by-term orders and both
/// FMA policies. Every bit must agree, except that a NaN only has to be a NaN (IEEE 754 leaves
/// the sign and payload of an operation's NaN unspecified, and so does Rust).
///
/// [`LaneDot::dot_lanes`]: clairaut::ad::LaneDot::dot_lanes
#[test]
fn vector_dot_kernel_equals_its_definition_on_special_values() {
    use clairaut::ad::DualVec;
    use clairaut::order::{dot, dot_in_order, Eval, KernelScratch, Strided};
    use clairaut::scalar::hw::HwCtx;
    use rand::{Rng, SeedableRng};

    fn draw<R: Rng>(rng: &mut R) -> f64 {
        match rng.gen_range(0..12) {
            0 => 0.0,
            1 => -0.0,
            2 => f64::INFINITY,
            3 => f64::NEG_INFINITY,
            4 => f64::NAN,
            5 => f64::from_bits(rng.gen_range(1..1u64 << 52)) * if rng.gen() { 1.0 } else { -1.0 },
            6 => rng.gen_range(-1.0..1.0) * 1e300,
            7 => rng.gen_range(-1.0..1.0) * 1e-300,
            _ => rng.gen_range(-2.0..2.0),
        }
    }
    macro_rules! check_type {
        ($t:ty, $k:expr) => {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
            for fma in [false, true] {
                let ctx = HwCtx::<$t>::new(MathLib::CoreMath, fma);
                for case in 0..3000 {
                    let n = 1 + case % 9;
                    let mut vals = || -> Vec<DualVec<$t, $k>> {
                        (0..2 * n).map(|_| DualVec { v: draw(&mut rng) as $t, t: std::array::from_fn(|_| draw(&mut rng) as $t) }).collect()
                    };
                    let (a, b) = (vals(), vals());
                    for order in [Order::Sequential, Order::Reversed, Order::Shuffled(case as u64)] {
                        let eval = Eval::new(order, [n]);
                        let zero = DualVec { v: 0.0 as $t, t: [0.0 as $t; $k] };
                        let mut ks = KernelScratch::new(&zero, n);
                        // every other element: a strided view, as the backward pass reads columns
                        let (sa, sb) = (Strided::new(&a, 1, 2, n), Strided::new(&b, 0, 2, n));
                        let mut fast = zero.clone();
                        dot(&mut fast, sa, sb, &eval, &mut ks, &ctx);
                        let perm = clairaut::order::permutation(case as u64, n);
                        let idx = |k: usize| match order {
                            Order::Sequential => k,
                            Order::Reversed => n - 1 - k,
                            _ => perm[k] as usize,
                        };
                        let (mut def, mut tmp) = (zero.clone(), zero.clone());
                        dot_in_order(&mut def, sa, sb, idx, &mut tmp, &ctx);
                        let bits = |d: &DualVec<$t, $k>| -> Vec<u64> {
                            // NaN payloads and signs are not specified (IEEE 754, Rust): any NaN
                            std::iter::once(d.v).chain(d.t).map(|x| if x.is_nan() { 1 } else { x.to_bits() as u64 }).collect()
                        };
                        assert_eq!(bits(&fast), bits(&def), "{} {order} fma={fma} case {case}", stringify!($t));
                    }
                }
            }
        };
    }
    // the lane counts fwd-rev uses: 8 for f64, 16 for f32; and one vector of each
    check_type!(f64, 8);
    check_type!(f32, 16);
    check_type!(f64, 4);
    check_type!(f32, 8);
}
