//! Golden values from an independent tool: `scripts/golden/golden-mpmath.py` (hyper-dual numbers over
//! mpmath at 130 digits, cross-checked with SymPy) — see tests/data/golden/README.md for the
//! commands. Every exact mode at mp:256 must agree with them to ≥ 240 bits relative to ‖H‖,
//! and the loss and gradient to ≥ 240 bits.

use clairaut::hessian::{self as hs, Method};
use clairaut::model::{InputMode, Problem};
use clairaut::order::{Eval, Order};
use crate::common::*;
use rug::Float;
use std::path::Path;

fn golden_files() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden");
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".golden.json"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_exact_mode_matches_the_mpmath_golden_values() {
    let files = golden_files();
    assert!(files.len() >= 15, "golden set incomplete: {}", files.len());
    let ctx = mp_ctx(256);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let g: serde_json::Value = serde_json::from_str(&text).unwrap();
        let problem = Problem::parse(&text, &f).unwrap();
        let golden = parse_matrix(&g["hessian"], 400);
        for method in Method::EXACT {
            for order in [Order::Sequential, Order::Kahan] {
                let h = to_floats(&hessian::<Float>(&problem, method, order, &ctx));
                let bits = agreeing_bits(&golden, &h);
                assert!(bits >= 240.0, "{}: {method} {order}: {bits:.1} bits", f.display());
            }
        }
        // loss and gradient
        let inputs = problem.inputs::<Float>(InputMode::Decimal, &ctx).unwrap();
        let eval = Eval::new(Order::Sequential, problem.spec.sum_lengths(problem.n));
        let (loss, grad) = hs::gradient(&problem.spec, problem.n, &inputs, &eval, &ctx);
        let gl = Float::with_val(400, Float::parse(g["loss"].as_str().unwrap()).unwrap());
        assert!(agreeing_bits(&[gl], &[loss]) >= 240.0, "{}: loss", f.display());
        let gg: Vec<Float> = g["gradient"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| Float::with_val(400, Float::parse(s.as_str().unwrap()).unwrap()))
            .collect();
        assert!(agreeing_bits(&gg, &grad) >= 240.0, "{}: gradient", f.display());
    }
}
