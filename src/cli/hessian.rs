//! `clairaut hessian`: compute one Hessian, print its asymmetry, optionally write it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::{parse_option, with_threads};
use crate::error::Error;
use crate::hessian::fd::StepRule;
use crate::hessian::{self, Method};
use crate::analysis::metrics::{self, Asymmetry};
use crate::model::{InputMode, Problem};
use crate::order::{Eval, Order};
use crate::results::matrix::{write_matrix, MatrixMeta};
use crate::ad::{LaneDot, WithReal};
use crate::scalar::precision::Arith;
use crate::scalar::{MathLib, Precision};

/// Options of `clairaut hessian`.
#[derive(Debug, Args)]
pub struct HessianArgs {
    /// Problem file (JSON).
    #[arg(long, value_name = "FILE")]
    pub problem: PathBuf,
    /// fwd-rev, rev-rev, fwd-fwd or gauss-newton.
    #[arg(long, value_name = "M", default_value = "fwd-rev")]
    pub method: String,
    /// f32, f64, mp:<bits>, binary16, bfloat16, binary32 or binary64.
    #[arg(long, value_name = "P", default_value = "f64")]
    pub precision: String,
    /// sequential, reversed, pairwise, kahan, exact or shuffled:<seed>.
    #[arg(long, value_name = "O", default_value = "sequential")]
    pub order: String,
    /// Fuse multiply-adds in dot products.
    #[arg(long, overrides_with = "no_fma")]
    pub fma: bool,
    /// Round every product before adding it (default).
    #[arg(long = "no-fma")]
    pub no_fma: bool,
    /// f32/f64 math library: core-math (correctly rounded) or libm.
    #[arg(long, value_name = "LIB", default_value = "core-math")]
    pub math: String,
    /// How the file's decimals become working values: decimal (exact), binary64 or binary32.
    #[arg(long, value_name = "MODE", default_value = "decimal")]
    pub inputs: String,
    /// Finite-difference step: optimal, fixed:<h> or relative:<h>.
    #[arg(long, value_name = "RULE", default_value = "optimal")]
    pub step: String,
    /// Worker threads (default: all cores). Results are identical at any count.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Write the matrix (.json, .npy or .csv).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Run even if the memory estimate exceeds the available memory.
    #[arg(long)]
    pub force: bool,
}

/// A fully validated request.
#[derive(Clone, Debug)]
pub struct HessianRequest {
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
}

impl HessianArgs {
    /// Validates every option before any work starts.
    pub fn validate(&self) -> Result<HessianRequest, Error> {
        let method: Method = parse_option("--method", &self.method)?;
        let precision: Precision = parse_option("--precision", &self.precision)?;
        let order: Order = parse_option("--order", &self.order)?;
        let step: StepRule = parse_option("--step", &self.step)?;
        let math: MathLib = parse_option("--math", &self.math)?;
        let inputs = InputMode::by_name(&self.inputs).ok_or_else(|| Error::Option {
            option: "--inputs".into(),
            message: format!("unknown input mode `{}` (expected decimal, binary64 or binary32)", self.inputs),
        })?;
        let problem = Problem::load(&self.problem)?;
        let arith = Arith { precision, math, fma: self.fma && !self.no_fma };
        Ok(HessianRequest { problem, method, arith, order, inputs, step })
    }
}

/// Estimated peak memory of a Hessian computation, in bytes: the matrix as it is built
/// ([`hessian::EntryBytes`]: packed as its lines are computed for MPFR formats) plus the
/// workers' state
/// ([`work_estimate`]). Writing it (`--out`) streams the file and adds nothing.
pub fn memory_estimate(problem: &Problem, method: Method, precision: Precision, threads: usize) -> f64 {
    let p = problem.spec.num_params() as f64;
    p * p * hessian::EntryBytes::of(precision).built + work_estimate(problem, method, precision, threads)
}

/// Estimated memory of the workers of a Hessian computation besides the matrix, in bytes.
pub fn work_estimate(problem: &Problem, method: Method, precision: Precision, threads: usize) -> f64 {
    let p = problem.spec.num_params() as f64;
    let n = problem.n as f64;
    let v = precision.bytes_per_value() as f64;
    let units = n * problem.spec.layers.iter().sum::<usize>() as f64;
    match method {
        // tape: ~6 nodes per (sample, parameter); each sweep worker keeps an adjoint per node
        Method::RevRev => 6.0 * n * p * ((v + 16.0) + threads as f64 * (v + 4.0)),
        m if m.is_finite_difference() => threads as f64 * 6.0 * v * (p + 8.0 * units),
        _ => threads as f64 * 4.0 * v * (p + 8.0 * units),
    }
}

/// Refuses a computation whose memory estimate exceeds the available memory.
pub fn check_memory(problem: &Problem, method: Method, precision: Precision, threads: usize) -> Result<(), Error> {
    let need = memory_estimate(problem, method, precision, threads);
    let what = format!("P = {}: the {method} Hessian at {precision} needs", problem.spec.num_params());
    super::refuse_if_too_large(&problem.source, need, &what)
}

/// Result of one Hessian computation.
#[derive(Clone, Debug)]
pub struct HessianReport {
    /// Asymmetry figures.
    pub asymmetry: Asymmetry,
    /// Wall-clock seconds of the computation (input conversion excluded).
    pub seconds: f64,
}

struct Job<'a> {
    req: &'a HessianRequest,
    out: Option<&'a Path>,
}

impl WithReal for Job<'_> {
    type Output = Result<HessianReport, Error>;
    fn run<R: LaneDot>(self, ctx: R::RCtx) -> Self::Output {
        let req = self.req;
        let pr = &req.problem;
        let inputs = pr.inputs::<R>(req.inputs, &ctx)?;
        let eval = Eval::new(req.order, pr.spec.sum_lengths(pr.n));
        let t0 = Instant::now();
        let opts = hessian::Options { step: req.step.clone(), ..Default::default() };
        let h = hessian::compute_with(req.method, &pr.spec, pr.n, &inputs, &eval, &ctx, &opts);
        let seconds = t0.elapsed().as_secs_f64();
        if let Some(path) = self.out {
            let meta = MatrixMeta {
                method: req.method.to_string(),
                precision: req.arith.precision.to_string(),
                order: req.order.to_string(),
                fma: req.arith.fma,
            };
            write_matrix(path, &h, &meta, &ctx)?;
        }
        Ok(HessianReport { asymmetry: metrics::asymmetry(&h), seconds })
    }
}

/// Computes the Hessian of a validated request (writing it to `out` if given).
pub fn compute(req: &HessianRequest, out: Option<&Path>) -> Result<HessianReport, Error> {
    req.arith.dispatch(Job { req, out })
}

/// Runs `clairaut hessian`.
pub fn run(args: HessianArgs) -> anyhow::Result<()> {
    let req = args.validate()?;
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    if !args.force {
        check_memory(&req.problem, req.method, req.arith.precision, threads)?;
    }
    let report = with_threads(args.threads, || compute(&req, args.out.as_deref()))??;
    let spec = &req.problem.spec;
    let p = spec.num_params();
    let a = &report.asymmetry;
    println!(
        "problem: {} (P = {p}, N = {}, layers {:?}, {}, {})",
        req.problem.source.display(),
        req.problem.n,
        spec.layers,
        spec.activations.iter().map(|a| a.name()).collect::<Vec<_>>().join("/"),
        spec.loss.name()
    );
    println!(
        "method {}, precision {}, order {}, {}, math {}, inputs {}, threads {threads}",
        req.method,
        req.arith.precision,
        req.order,
        if req.arith.fma { "fma" } else { "no-fma" },
        req.arith.math.name(),
        req.inputs.name()
    );
    println!("P: {p}");
    println!("asymmetry ‖H−Hᵀ‖_F/‖H‖_F: {}", metrics::fmt_metric(&a.rel_fro));
    println!("asymmetry max |H_ij−H_ji|: {}", metrics::fmt_metric(&a.max_abs));
    println!(
        "pairs i<j with H_ij ≠ H_ji bitwise: {} of {} ({:.4})",
        a.pairs_differing,
        p * p.saturating_sub(1) / 2,
        a.pairs_fraction
    );
    println!("time: {:.6} s", report.seconds);
    if let Some(out) = &args.out {
        println!("wrote {}", out.display());
    }
    Ok(())
}
