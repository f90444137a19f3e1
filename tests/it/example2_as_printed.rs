//! Issue #12: the TF2 article's Example 2 "as printed" is the engine's `fd-loss-4pt-as-printed`
//! method. At f64, sequential order, no FMA, core-math, step fixed:1e-6 and decimal inputs it
//! gives exactly the numbers the report computed before (the report's own float64 evaluation
//! is kept below as the reference), with and without the primal activation table.

use std::path::PathBuf;

use clairaut::hessian::fd::StepRule;
use clairaut::hessian::{compute_with, Method, Options};
use clairaut::model::mlp::{forward, Workspace};
use clairaut::model::{InputMode, Problem};
use clairaut::order::{Eval, Order};
use clairaut::scalar::hw::HwCtx;
use clairaut::scalar::MathLib;

/// The report's former `example2_as_printed`, unchanged but for also returning the entries
/// (row-major): Example 2's numerator exactly as printed, `((L₊₊ + L₋₋) − L₊₋) − L₋₊`, where the
/// printed code evaluates `L₊₋` at the same point as `L₊₊` and `L₋₊` at the same point as
/// `L₋₋`; evaluated in float64 like NumPy (θ ± ε·e_i then ± ε·e_j, divided by `4*epsilon**2`),
/// on the full θ. Returns (number of nonzero entries, max |entry|, P, entries).
fn reference(problem: &Problem, eps: f64) -> (usize, f64, usize, Vec<f64>) {
    let ctx = HwCtx::<f64>::new(MathLib::CoreMath, false);
    let inputs = problem.inputs::<f64>(InputMode::Decimal, &ctx).expect("finite");
    let (spec, n) = (&problem.spec, problem.n);
    let eval = Eval::new(Order::Sequential, spec.sum_lengths(n));
    let mut ws = Workspace::new(spec, n, &inputs.x, &ctx);
    let p = spec.num_params();
    let mut loss = |theta: &[f64]| {
        forward(spec, n, theta, &inputs.y, &eval, &mut ws, &ctx);
        ws.loss
    };
    let den = 4.0 * (eps * eps);
    let (mut nonzero, mut max) = (0, 0.0f64);
    let mut entries = Vec::with_capacity(p * p);
    for i in 0..p {
        for j in 0..p {
            let mut plus: Vec<f64> = inputs.theta.clone();
            plus[i] += eps;
            plus[j] += eps;
            let mut minus: Vec<f64> = inputs.theta.clone();
            minus[i] -= eps;
            minus[j] -= eps;
            let (a, b) = (loss(&plus), loss(&minus));
            let h = (((a + b) - a) - b) / den;
            if h != 0.0 {
                nonzero += 1;
            }
            max = max.max(h.abs());
            entries.push(h);
        }
    }
    (nonzero, max, p, entries)
}

fn example1() -> Problem {
    Problem::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("experiments/tf2-article/example1.json")).unwrap()
}

#[test]
fn the_method_reproduces_the_reports_former_float64_evaluation_bit_for_bit() {
    let problem = example1();
    let (nz, max, p, entries) = reference(&problem, 1e-6);
    assert_eq!(p, 6);
    assert!(nz > 0 && nz < p * p, "some rounding residue, most entries exactly zero: {nz}");
    let ctx = HwCtx::<f64>::new(MathLib::CoreMath, false);
    let inputs = problem.inputs::<f64>(InputMode::Decimal, &ctx).unwrap();
    let eval = Eval::new(Order::Sequential, problem.spec.sum_lengths(problem.n));
    for reuse_primal in [true, false] {
        let opts = Options { step: "fixed:1e-6".parse::<StepRule>().unwrap(), reuse_primal, ..Default::default() };
        let h = compute_with(Method::FdLoss4ptAsPrinted, &problem.spec, problem.n, &inputs, &eval, &ctx, &opts);
        for i in 0..p {
            for j in 0..p {
                let (got, want) = (*h.get(i, j), entries[i * p + j]);
                assert_eq!(got.to_bits(), want.to_bits(), "entry ({i}, {j}), reuse_primal = {reuse_primal}");
            }
        }
        let got_nz = (0..p * p).filter(|k| *h.get(k / p, k % p) != 0.0).count();
        let got_max = (0..p * p).map(|k| h.get(k / p, k % p).abs()).fold(0.0f64, f64::max);
        assert_eq!((got_nz, got_max.to_bits()), (nz, max.to_bits()));
    }
}

#[test]
fn the_method_is_named_and_takes_the_four_point_step() {
    let m: Method = "fd-loss-4pt-as-printed".parse().unwrap();
    assert_eq!(m, Method::FdLoss4ptAsPrinted);
    assert!(m.is_finite_difference() && !m.is_exact());
    assert_eq!(clairaut::hessian::fd::optimal_root(m), clairaut::hessian::fd::optimal_root(Method::FdLoss4pt));
}
