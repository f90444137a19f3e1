//! Cross-mode agreement and symmetry on the generated test set (every activation × loss).

use clairaut::hessian::Method;
use clairaut::analysis::metrics::asymmetry;
use clairaut::order::Order;
use crate::common::*;
use rug::Float;

#[test]
fn exact_modes_agree_at_mp256_and_the_truth_is_symmetric() {
    let problems = generated_problems();
    assert!(problems.len() >= 50);
    let ctx = mp_ctx(256);
    for pr in &problems {
        let name = format!("{:?} {:?} {}", pr.spec.layers, pr.spec.activations, pr.spec.loss.name());
        let fr = hessian::<Float>(pr, Method::FwdRev, Order::Sequential, &ctx);
        let a = asymmetry(&fr);
        assert!(
            a.rel_fro.is_zero() || a.rel_fro < Float::with_val(64, 1) >> 250u32,
            "{name}: fwd-rev asymmetry {}",
            a.rel_fro
        );
        let fr = to_floats(&fr);
        for method in [Method::RevRev, Method::FwdFwd] {
            let h = to_floats(&hessian::<Float>(pr, method, Order::Sequential, &ctx));
            let bits = agreeing_bits(&fr, &h);
            assert!(bits >= 240.0, "{name}: {method} agrees with fwd-rev to {bits:.1} bits only");
        }
    }
}

#[test]
fn gauss_newton_equals_the_hessian_for_a_linear_model_with_mse() {
    // Identity activations: the network is bilinear in (W, a) but for one layer it is linear in
    // θ, so Jᵀ H_ℓ J is the whole Hessian.
    use clairaut::model::{Activation, Loss, Problem, Spec};
    let spec = Spec::new(vec![3, 2], vec![Activation::Identity], Loss::Mse);
    let pr = Problem::generate(&spec, 4, 7);
    let ctx = mp_ctx(128);
    let h = to_floats(&hessian::<Float>(&pr, Method::FwdRev, Order::Sequential, &ctx));
    let g = to_floats(&hessian::<Float>(&pr, Method::GaussNewton, Order::Sequential, &ctx));
    assert!(agreeing_bits(&h, &g) >= 120.0);
    // …and differs from it for a nonlinear network.
    let spec = Spec::new(vec![3, 2], vec![Activation::Tanh], Loss::Mse);
    let pr = Problem::generate(&spec, 4, 7);
    let h = to_floats(&hessian::<Float>(&pr, Method::FwdRev, Order::Sequential, &ctx));
    let g = to_floats(&hessian::<Float>(&pr, Method::GaussNewton, Order::Sequential, &ctx));
    assert!(agreeing_bits(&h, &g) < 20.0);
    // GGN is symmetric positive semidefinite in exact arithmetic: symmetric to working precision.
    let gm = hessian::<Float>(&pr, Method::GaussNewton, Order::Sequential, &ctx);
    assert!(asymmetry(&gm).rel_fro < Float::with_val(64, 1) >> 120u32);
}
