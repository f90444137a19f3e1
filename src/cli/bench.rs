//! `clairaut bench`: the cost of a Hessian in gradients, `T_hessian / (P × T_gradient)`, for
//! `fwd-rev` at `f64` and `mp:256` on a generated problem, single-threaded so the ratio measures
//! the method, not the cores. Ratios are measured in the same run; nothing is asserted.

use std::time::Instant;

use clap::Args;

use super::with_threads;
use crate::hessian::{self, Method};
use crate::model::{Activation, InputMode, Loss, Problem, Spec};
use crate::order::{Eval, Order};
use crate::scalar::precision::{Arith, WithReal};
use crate::scalar::{MathLib, Precision, Real};

/// Options of `clairaut bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A small problem (P ≈ 200) for a smoke run.
    #[arg(long)]
    pub quick: bool,
    /// Worker threads for the Hessian (default 1: the ratio is per core).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

struct Measure<'a> {
    problem: &'a Problem,
}

/// (gradient seconds, Hessian seconds)
impl WithReal for Measure<'_> {
    type Output = (f64, f64);
    fn run<R: Real>(self, ctx: R::RCtx) -> (f64, f64) {
        let pr = self.problem;
        let inputs = pr.inputs::<R>(InputMode::Decimal, &ctx).expect("generated inputs are finite");
        let eval = Eval::new(Order::Sequential, pr.spec.sum_lengths(pr.n));
        // gradient: repeat until 0.2 s have passed
        let t0 = Instant::now();
        let mut reps = 0u32;
        while reps < 3 || t0.elapsed().as_secs_f64() < 0.2 {
            std::hint::black_box(hessian::gradient(&pr.spec, pr.n, &inputs, &eval, &ctx));
            reps += 1;
        }
        let t_grad = t0.elapsed().as_secs_f64() / reps as f64;
        let t1 = Instant::now();
        std::hint::black_box(hessian::compute(Method::FwdRev, &pr.spec, pr.n, &inputs, &eval, &ctx));
        (t_grad, t1.elapsed().as_secs_f64())
    }
}

/// Runs `clairaut bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let (layers, n) = if args.quick { (vec![8, 16, 4], 16) } else { (vec![32, 48, 8], 64) };
    let spec = Spec {
        activations: vec![Activation::Gelu, Activation::Identity],
        layers,
        loss: Loss::Mse,
    };
    let problem = Problem::generate(&spec, n, 1);
    let p = spec.num_params();
    println!("problem: layers {:?}, gelu/identity, mse, N = {n}, P = {p}; fwd-rev, sequential, no-fma; {} thread(s) for the Hessian", spec.layers, args.threads);
    println!("{:<10} {:>14} {:>14} {:>22}", "precision", "gradient [s]", "Hessian [s]", "T_H / (P × T_grad)");
    for precision in [Precision::F64, Precision::Mp(256)] {
        let arith = Arith { precision, math: MathLib::CoreMath, fma: false };
        let (tg, th) = with_threads(Some(args.threads), || arith.dispatch(Measure { problem: &problem }))?;
        println!("{:<10} {:>14.6e} {:>14.4} {:>22.3}", precision.to_string(), tg, th, th / (p as f64 * tg));
    }
    Ok(())
}
