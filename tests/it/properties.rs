//! Property tests on random problems (proptest): the arithmetic layer's bit-identity, symmetry
//! of the truth, and error shrinking as the precision grows.

use clairaut::hessian::Method;
use clairaut::model::{Activation, Loss, Problem, Spec};
use clairaut::order::Order;
use clairaut::scalar::precision::Arith;
use clairaut::scalar::{IeeeFormat, MathLib, Precision};
use crate::common::*;
use proptest::prelude::*;

fn problem(act: usize, loss: bool, width: usize, seed: u64) -> Problem {
    let spec = Spec::new(
        vec![2, width, 2],
        vec![Activation::ALL[act], Activation::Identity],
        if loss { Loss::Mse } else { Loss::SoftmaxCrossEntropy },
    );
    Problem::generate(&spec, 2, seed)
}

fn order(k: usize) -> Order {
    [Order::Sequential, Order::Reversed, Order::Pairwise, Order::Kahan, Order::Exact, Order::Shuffled(3)][k]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn binary64_equals_f64(act in 0usize..7, loss: bool, width in 1usize..4, seed in 0u64..1000, o in 0usize..6, fma: bool, m in 0usize..3) {
        let pr = problem(act, loss, width, seed);
        let method = Method::EXACT[m];
        let hw = hessian_any(&pr, method, order(o), Arith { precision: Precision::F64, math: MathLib::CoreMath, fma });
        let emu = hessian_any(&pr, method, order(o), Arith { precision: Precision::Ieee(IeeeFormat::BINARY64), math: MathLib::CoreMath, fma });
        prop_assert!(hw.iter().zip(&emu).all(|(a, b)| a == b && a.is_sign_negative() == b.is_sign_negative()));
    }

    #[test]
    fn truth_is_symmetric_and_error_shrinks_with_precision(act in 0usize..7, loss: bool, width in 1usize..4, seed in 0u64..1000) {
        let pr = problem(act, loss, width, seed);
        let t = hessian::<rug::Float>(&pr, Method::FwdRev, Order::Exact, &mp_ctx(256));
        prop_assert!(clairaut::analysis::metrics::asymmetry(&t).rel_fro < rug::Float::with_val(64, 1) >> 250u32);
        let t = to_floats(&t);
        let bits = |b: u32| agreeing_bits(&t, &to_floats(&hessian::<rug::Float>(&pr, Method::RevRev, Order::Sequential, &mp_ctx(b))));
        let (b64, b128) = (bits(64), bits(128));
        // (infinite when the Hessian is exact at both precisions, e.g. relu with identity output)
        prop_assert!(b128 > b64 + 40.0 || b128.is_infinite(), "{b64} → {b128}");
    }
}
