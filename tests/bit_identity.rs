//! The arithmetic layer's self-check: MPFR's `binary64` / `binary32` emulation gives exactly the
//! bits of hardware `f64` / `f32`, for every method, order and FMA policy (possible because every
//! primitive, transcendentals included, is correctly rounded on both sides); `binary16` and
//! `bfloat16` computed in `f64` give exactly the bits of their MPFR emulation. And results do
//! not depend on the number of threads.

mod common;

use clairaut::hessian::Method;
use clairaut::model::Problem;
use clairaut::order::Order;
use clairaut::scalar::precision::Arith;
use clairaut::scalar::{IeeeFormat, MathLib, Precision};
use common::*;

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
        differing += clairaut::metrics::asymmetry(&h).pairs_differing;
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

impl clairaut::scalar::precision::WithReal for SameBits<'_> {
    type Output = bool;
    fn run<R: clairaut::scalar::Real>(self, ctx: R::RCtx) -> bool {
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
    // the forward dot products whose tangents are structurally zero.
    let opts = |reuse_primal| clairaut::hessian::Options { reuse_primal, ..Default::default() };
    for pr in one_per_combination() {
        for method in Method::ALL {
            for precision in [Precision::F64, Precision::Mp(113), Precision::Ieee(IeeeFormat::BINARY16)] {
                for order in [Order::Sequential, Order::Kahan, Order::Exact] {
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
