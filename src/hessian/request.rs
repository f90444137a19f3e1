//! A validated request for one Hessian — problem, method, arithmetic, order, precision policy,
//! input conversion, step rule — and its computation in the request's format.
//!
//! The format is chosen at run time ([`Arith::dispatch`]), so the matrix exists only inside a
//! function generic over the format: what is done with it (its asymmetry, writing it to a file)
//! is a [`Sink`], called with the matrix in its own format.

use std::time::Instant;

use super::{compute_with, cost, Matrix, Method, Options};
use crate::error::Error;
use crate::method::StepRule;
use crate::model::{InputMode, Problem};
use crate::order::{Eval, Order};
use crate::ad::{LaneDot, WithReal};
use crate::scalar::precision::Arith;
use crate::scalar::matmul::PrecisionPolicy;
use crate::scalar::rules::Rules;
use crate::scalar::{Precision, Real};

/// A fully validated request for one Hessian.
#[derive(Clone, Debug)]
pub struct Request {
    /// The problem.
    pub problem: Problem,
    /// The method.
    pub method: Method,
    /// Arithmetic (format, math library, FMA).
    pub arith: Arith,
    /// Summation order.
    pub order: Order,
    /// Input conversion.
    pub inputs: InputMode,
    /// Finite-difference step rule.
    pub step: StepRule,
    /// Precision policy of the matmul-shaped dot products (`uniform`: none).
    pub policy: PrecisionPolicy,
    /// Whose derivative rules build the graph (default: Clairaut's).
    pub rules: Rules,
}

/// What is done with a computed Hessian, in its own format `R`.
pub trait Sink {
    /// What it returns.
    type Output;
    /// Takes the matrix `h` computed for `req` (format context `ctx`).
    fn take<R: Real>(self, req: &Request, h: Matrix<R>, ctx: &R::RCtx) -> Result<Self::Output, Error>;
}

/// A computed Hessian: what its [`Sink`] returned, and the time of the computation.
#[derive(Clone, Debug)]
pub struct Computed<T> {
    /// The sink's output.
    pub output: T,
    /// Wall-clock seconds of the computation (input conversion and the sink excluded).
    pub seconds: f64,
}

/// Whether `policy` can run with `method` at `precision` in `order`
/// ([`PrecisionPolicy::check_run`]); `rev-rev` is refused with a policy: its reverse sweep
/// accumulates adjoints node by node, not as the matrix products a policy describes.
pub fn check_policy(policy: &PrecisionPolicy, method: Method, precision: Precision, order: Order) -> Result<(), String> {
    if method == Method::RevRev && !policy.is_uniform() {
        return Err(format!(
            "policy {policy} is not implemented for rev-rev (its reverse sweep accumulates adjoints node by node, not as \
             matrix products); use fwd-rev, which is jax.hessian's composition"
        ));
    }
    policy.check_run(precision, order)
}

/// Whether `rules` cover `method` on `spec` ([`crate::model::rules::check`]), and run in
/// `precision` and `policy`, in any order: in `f32` or `f64` (the formats the frameworks' CPU kernels compute
/// in) with the `uniform` policy (a policy's element-wise format would not reach the
/// frameworks' kernels). Any order: the rules decide the element-wise formulas and the
/// loss gradient, the order the matrix products and batch sums around them — the reduction
/// shapes of the frameworks' CPU kernels (`lanes:<w>`, `blocked:<b>`) under their graphs
/// (issue 18, point 4).
pub fn check_rules(rules: Rules, method: Method, spec: &crate::model::Spec, precision: Precision, policy: &PrecisionPolicy) -> Result<(), String> {
    if rules.is_clairaut() {
        return Ok(());
    }
    crate::model::rules::check(rules, method, spec)?;
    if !matches!(precision, Precision::F32 | Precision::F64) {
        return Err(format!("rules {rules} run in f32 or f64 (the framework's formats), not {precision}"));
    }
    if !policy.is_uniform() {
        return Err(format!("rules {rules} run with the uniform policy (the framework kernels' element-wise formats are their own), not {policy}"));
    }
    Ok(())
}

impl Request {
    /// The [`Options`] of the computation (the step rule; every other option at its default).
    pub fn options(&self) -> Options {
        Options { step: self.step.clone(), ..Default::default() }
    }

    /// Estimated peak memory on `threads` workers, in bytes ([`cost::memory_estimate`]).
    pub fn memory_estimate(&self, threads: usize) -> f64 {
        cost::memory_estimate(&self.problem, self.method, self.arith.precision, threads)
    }

    /// Refuses the request if its memory estimate exceeds the available memory
    /// ([`cost::check_memory`]).
    pub fn check_memory(&self, threads: usize) -> Result<(), Error> {
        cost::check_memory(&self.problem, self.method, self.arith.precision, threads)
    }

    /// Computes the Hessian on the current rayon pool and hands it to `sink`.
    pub fn compute<S: Sink>(&self, sink: S) -> Result<Computed<S::Output>, Error> {
        self.arith.dispatch(Job { req: self, sink })
    }
}

struct Job<'a, S> {
    req: &'a Request,
    sink: S,
}

impl<S: Sink> WithReal for Job<'_, S> {
    type Output = Result<Computed<S::Output>, Error>;
    fn run<R: LaneDot>(self, ctx: R::RCtx) -> Self::Output {
        let req = self.req;
        let pr = &req.problem;
        let inputs = pr.inputs::<R>(req.inputs, &ctx)?;
        let eval = Eval::new(req.order, pr.spec.sum_lengths(pr.n)).with_policy(&req.policy).with_rules(req.rules);
        let t0 = Instant::now();
        let h = compute_with(req.method, &pr.spec, pr.n, &inputs, &eval, &ctx, &req.options());
        let seconds = t0.elapsed().as_secs_f64();
        Ok(Computed { output: self.sink.take(req, h, &ctx)?, seconds })
    }
}
