//! The cost of a Hessian in gradients, `T_hessian / (P × T_gradient)`, for `fwd-rev` at `f64`
//! and `mp:256` on a generated problem, the Hessian on a given number of threads (one by
//! default, so that the ratio measures the method, not the cores). Both times come from the
//! same run.

use super::{time, Timed};
use crate::error::Error;
use crate::method::Method;
use crate::model::{Activation, Loss, Problem, Spec};
use crate::scalar::precision::Arith;
use crate::scalar::{MathLib, Precision};

/// The precisions measured.
pub const PRECISIONS: [Precision; 2] = [Precision::F64, Precision::Mp(256)];

/// The generated problem: layers [32, 48, 8] and N = 64, or with `quick` [8, 16, 4] and
/// N = 16 (P ≈ 200, a smoke run); gelu/identity, mse, seed 1.
pub fn problem(quick: bool) -> Problem {
    let (layers, n) = if quick { (vec![8, 16, 4], 16) } else { (vec![32, 48, 8], 64) };
    let spec = Spec::new(layers, vec![Activation::Gelu, Activation::Identity], Loss::Mse);
    Problem::generate(&spec, n, 1)
}

/// The figures of one precision.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// The precision.
    pub precision: Precision,
    /// One gradient, single-threaded (the mean of calls repeated for 0.2 s).
    pub gradient_s: f64,
    /// One `fwd-rev` Hessian on the requested threads.
    pub hessian_s: f64,
    /// `hessian_s / (P × gradient_s)`.
    pub ratio: f64,
}

/// Measures `precision` on `problem` (sequential order, no FMA), both computations on
/// `threads` workers.
pub fn measure(problem: &Problem, precision: Precision, threads: usize) -> Result<Row, Error> {
    let arith = Arith { precision, math: MathLib::CoreMath, fma: false };
    let gradient_s = time(problem, &arith, threads, Timed::Gradient { min_s: 0.2 })?.typical;
    let hessian_s = time(problem, &arith, threads, Timed::Hessian { method: Method::FwdRev, min_s: 0.0 })?.typical;
    let p = problem.spec.num_params() as f64;
    Ok(Row { precision, gradient_s, hessian_s, ratio: hessian_s / (p * gradient_s) })
}
