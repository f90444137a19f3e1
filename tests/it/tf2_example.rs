//! The TF2 article's Example 1 (../shared/reference/tf2-example-exact.json): every exact mode
//! against the independent SymPy/mpmath values shipped with the article's reference data.

use clairaut::hessian::Method;
use clairaut::model::{InputMode, Problem};
use clairaut::order::{Eval, Order};
use clairaut::scalar::Real;
use crate::common::*;
use rug::Float;
use std::path::Path;

fn reference() -> (Problem, serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tf2-example-exact.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    (Problem::parse(&text, &path).unwrap(), v)
}

#[test]
fn exact_modes_at_mp256_match_the_exact_values_to_240_bits() {
    let (problem, v) = reference();
    let exact = parse_matrix(&v["hessian_exact_decimal_inputs"], 400);
    for method in Method::EXACT {
        for order in [Order::Sequential, Order::Exact, Order::Pairwise] {
            let h = to_floats(&hessian::<Float>(&problem, method, order, &mp_ctx(256)));
            let bits = agreeing_bits(&exact, &h);
            assert!(bits >= 240.0, "{method} {order}: only {bits:.1} bits");
        }
    }
}

#[test]
fn exact_modes_at_f64_are_within_a_few_ulps_of_the_binary64_input_values() {
    let (problem, v) = reference();
    // f64 sees fl(0.1), …: compare with the exact Hessian at those inputs. The entries carry
    // cancellation (σ′² + (σ − y)·σ″ = 0.0317 − 0.0257 for the first output, on top of σ's own
    // three roundings amplified by 1 − s), so the bound is in ulps of the matrix, ε·‖T‖_F.
    // Measured (2026-11): at most 7.4 ε‖T‖_F (fwd-rev, entry (2,2)); bound 16.
    let exact = parse_matrix(&v["hessian_exact_binary64_inputs"], 400);
    let scale = f64::EPSILON * fro(&exact).to_f64();
    for method in Method::EXACT {
        for fma in [false, true] {
            let h = hessian::<f64>(&problem, method, Order::Sequential, &f64_ctx(fma));
            for (k, t) in exact.iter().enumerate() {
                let got = &h.get(k / 6, k % 6).into_owned();
                if t.is_zero() {
                    assert_eq!(*got, 0.0, "{method} fma={fma} entry {k} must be an exact zero");
                    continue;
                }
                let ulps = Float::with_val(64, got.to_float() - t).abs().to_f64() / scale;
                assert!(ulps <= 16.0, "{method} fma={fma} entry {k}: {got:e} vs {t}: {ulps:.2} ulps of ‖T‖");
            }
        }
    }
}

#[test]
fn input_quantization_is_visible_at_high_precision() {
    // Pinning the inputs to binary64 moves the mp:256 Hessian onto the binary64-input values.
    let (problem, v) = reference();
    let exact_b64 = parse_matrix(&v["hessian_exact_binary64_inputs"], 400);
    let ctx = mp_ctx(256);
    let inputs = problem.inputs::<Float>(InputMode::Binary64, &ctx).unwrap();
    let eval = Eval::new(Order::Sequential, problem.spec.sum_lengths(problem.n));
    let h = clairaut::hessian::compute(Method::FwdRev, &problem.spec, problem.n, &inputs, &eval, &ctx);
    assert!(agreeing_bits(&exact_b64, &to_floats(&h)) >= 240.0);
    let exact_dec = parse_matrix(&v["hessian_exact_decimal_inputs"], 400);
    let b = agreeing_bits(&exact_dec, &to_floats(&h));
    assert!(b < 60.0, "decimal and binary64 inputs should differ around 2^-53, got {b} bits");
    let _ = Real::to_f64(&*h.get(0, 0));
}
