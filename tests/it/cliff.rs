//! Issue 17, point 3: `fwd-fwd` evaluated from each entry's higher seed layer up (tangents
//! computed once per parameter) and the four-point schemes from row tables, upper triangle only
//! — against their definitions (`reuse_primal: false`: a full pass per entry, every entry
//! computed), bit for bit, for every kind of format (f32, f64, MPFR, emulated binary16 and
//! bfloat16), orders, FMA policies, precision policies, activations (kinks included) and
//! losses, at several thread counts.

use clairaut::ad::{LaneDot, WithReal};
use clairaut::hessian::{compute_with, Method, Options};
use clairaut::model::{Activation, InputMode, Loss, Problem, Spec};
use clairaut::order::{Eval, Order};
use clairaut::scalar::matmul::PrecisionPolicy;
use clairaut::scalar::precision::Arith;
use clairaut::scalar::{IeeeFormat, MathLib, Precision};

use crate::common::*;

const METHODS: [Method; 3] = [Method::FwdFwd, Method::FdLoss4pt, Method::FdLoss4ptAsPrinted];

/// Deeper problems than `one_per_combination`'s (seeds in every layer, so every kind of
/// entry: both seeds in one layer, either one below the other), every activation and loss,
/// with and without bias-free layers.
fn problems() -> Vec<Problem> {
    let mut out: Vec<Problem> = generated_problems().into_iter().skip(2).step_by(8).collect(); // [2, 2, 2, 2]
    let shapes: [&[usize]; 3] = [&[3, 4, 3, 2], &[2, 3, 2, 3, 2], &[4, 2, 3]];
    for (k, act) in Activation::ALL.iter().enumerate() {
        let layers = shapes[k % shapes.len()];
        let depth = layers.len() - 1;
        let mut activations = vec![*act; depth];
        activations[depth - 1] = Activation::ALL[(k + 3) % Activation::ALL.len()];
        let spec = Spec::new(layers.to_vec(), activations, Loss::ALL[k % Loss::ALL.len()]);
        // every other problem has bias-free layers (the first, and every third)
        let spec = if k % 2 == 1 { spec.with_bias((0..depth).map(|l| l % 3 != 0).collect()) } else { spec };
        out.push(Problem::generate(&spec, 2 + k % 3, 7000 + k as u64));
    }
    out
}

/// The fast paths' matrix and the definition's, as exact values.
struct FastAndDefinition<'a> {
    problem: &'a Problem,
    method: Method,
    order: Order,
    policy: Option<&'a PrecisionPolicy>,
}

impl WithReal for FastAndDefinition<'_> {
    type Output = (Vec<rug::Float>, Vec<rug::Float>);
    fn run<R: LaneDot>(self, ctx: R::RCtx) -> Self::Output {
        let pr = self.problem;
        let inputs = pr.inputs::<R>(InputMode::Decimal, &ctx).unwrap();
        let mut eval = Eval::new(self.order, pr.spec.sum_lengths(pr.n));
        if let Some(p) = self.policy {
            eval = eval.with_policy(p);
        }
        let h = |reuse_primal| to_floats(&compute_with(self.method, &pr.spec, pr.n, &inputs, &eval, &ctx, &Options { reuse_primal, ..Default::default() }));
        (h(true), h(false))
    }
}

fn bits_identical(a: &[rug::Float], b: &[rug::Float]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x == y && x.is_sign_negative() == y.is_sign_negative()) || (x.is_nan() && y.is_nan()))
}

fn check(pr: &Problem, method: Method, order: Order, arith: Arith, policy: Option<&PrecisionPolicy>) {
    let (fast, def) = arith.dispatch(FastAndDefinition { problem: pr, method, order, policy });
    assert!(
        bits_identical(&fast, &def),
        "{method} {} {order} fma={} policy={policy:?} on {:?} {:?} {}",
        arith.precision,
        arith.fma,
        pr.spec.layers,
        pr.spec.activations,
        pr.spec.loss.name()
    );
}

#[test]
fn the_fast_paths_equal_the_definitions_in_every_format_order_and_fma_policy() {
    // every order in hardware formats; the order families (term by term, compensated) in MPFR
    // and the emulated formats
    let all = [Order::Sequential, Order::Pairwise, Order::Kahan, Order::Shuffled(5), Order::Lanes(3)];
    let some = [Order::Reversed, Order::Kahan];
    let runs: [(Precision, &[Order]); 5] = [
        (Precision::F32, &all),
        (Precision::F64, &all),
        (Precision::Mp(113), &some),
        (Precision::Ieee(IeeeFormat::BINARY16), &some),
        (Precision::Ieee(IeeeFormat::BFLOAT16), &[Order::Pairwise, Order::Exact]),
    ];
    for pr in problems() {
        for method in METHODS {
            for (precision, orders) in runs {
                for &order in orders {
                    for fma in [false, true] {
                        check(&pr, method, order, Arith { precision, math: MathLib::CoreMath, fma }, None);
                    }
                }
            }
        }
    }
}

#[test]
fn the_fast_paths_equal_the_definitions_under_precision_policies() {
    let mut ran = 0;
    for name in ["bf16-bf16-f32", "bf16-bf16-f32,round=sr:7"] {
        let policy = PrecisionPolicy::parse(name).unwrap();
        for pr in problems().iter().step_by(2) {
            for precision in [Precision::F32, Precision::F64, Precision::Ieee(IeeeFormat::BINARY16)] {
                for order in [Order::Sequential, Order::Shuffled(3)] {
                    if policy.check_run(precision, order).is_err() {
                        continue;
                    }
                    for method in METHODS {
                        check(pr, method, order, Arith { precision, math: MathLib::CoreMath, fma: false }, Some(&policy));
                        ran += 1;
                    }
                }
            }
        }
    }
    assert!(ran > 0, "no policy applied");
}

#[test]
fn the_fast_paths_give_the_same_bits_at_one_two_and_three_threads() {
    let pr = &problems()[5];
    for method in METHODS {
        for precision in [Precision::F64, Precision::Mp(128)] {
            let arith = Arith { precision, math: MathLib::CoreMath, fma: true };
            let run = |t| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(t)
                    .build()
                    .unwrap()
                    .install(|| arith.dispatch(FastAndDefinition { problem: pr, method, order: Order::Pairwise, policy: None }).0)
            };
            let one = run(1);
            assert!(bits_identical(&one, &run(2)) && bits_identical(&one, &run(3)), "{method} {precision}");
        }
    }
}

/// The comparison sees rounding: on these problems the definitions' bits change with the FMA
/// policy and with the order (so a fast path that evaluated anything differently — another
/// order of a sum, a fused product the definition rounds — would be caught).
#[test]
fn the_compared_bits_depend_on_order_and_fma() {
    for method in METHODS {
        let (mut by_fma, mut by_order) = (0, 0);
        for pr in problems() {
            let def = |order, fma| Arith { precision: Precision::F64, math: MathLib::CoreMath, fma }.dispatch(FastAndDefinition { problem: &pr, method, order, policy: None }).1;
            let base = def(Order::Sequential, false);
            by_fma += usize::from(!bits_identical(&base, &def(Order::Sequential, true)));
            by_order += usize::from(!bits_identical(&base, &def(Order::Reversed, false)));
        }
        assert!(by_fma > 0 && by_order > 0, "{method}: fma {by_fma}, order {by_order}");
    }
}
