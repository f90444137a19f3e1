//! `clairaut hessian`: compute one Hessian ([`hessian::Request`]), print its asymmetry, optionally
//! write it. A Hessian with an entry NaN or ±∞ is reported (how many, the first few) and, unless
//! `--allow-nonfinite` is given, exits with status [`EXIT_NONFINITE`] after printing and writing
//! it.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{parse_option, with_threads};
use crate::error::Error;
use crate::analysis::metrics::{self, Asymmetry, NonFinite};
use crate::hessian::{self, check_policy, Matrix, Request};
use crate::method::{Method, StepRule};
use crate::model::{InputMode, Problem};
use crate::order::Order;
use crate::results::matrix::{write_matrix, MatrixMeta};
use crate::scalar::precision::Arith;
use crate::scalar::matmul::PrecisionPolicy;
use crate::scalar::rules::Rules;
use crate::scalar::{MathLib, Precision, Real};

/// Exit status of `clairaut hessian` when H has an entry NaN or ±∞ (without `--allow-nonfinite`).
pub const EXIT_NONFINITE: i32 = 4;

/// Options of `clairaut hessian`.
#[derive(Debug, Args)]
#[command(after_help = "Exit status: 0 on success; 2 for bad input (files, options, sizes); 4 when H has an entry \
NaN or ±∞ (printed and written all the same), unless --allow-nonfinite is given; 1 for any other error.")]
pub struct HessianArgs {
    /// Problem file (JSON).
    #[arg(long, value_name = "FILE")]
    pub problem: PathBuf,
    /// The method (cost: the time relative to fwd-rev's at P ≈ 300 at mp:256).
    #[arg(long, value_name = "M", value_parser = super::analyze::method_parser(), default_value = "fwd-rev")]
    pub method: Method,
    /// f32, f64, mp:<bits>, binary16, bfloat16, binary32 or binary64.
    #[arg(long, value_name = "P", default_value = "f64")]
    pub precision: String,
    /// sequential, reversed, pairwise, kahan, exact, shuffled:<seed>, lanes:<w>, blocked:<b> or
    /// splitk:<k> (1 ≤ w, b, k ≤ 65536).
    #[arg(long, value_name = "O", default_value = "sequential")]
    pub order: String,
    /// Precision policy of the matrix products: uniform (every operation in --precision), a
    /// preset (tf32-tf32-f32, bf16-bf16-f32, tf2-ampere, torch-autocast-bf16, … — see the
    /// README) or a preset with overrides, e.g. bf16-bf16-f32,round=sr:7.
    #[arg(long, value_name = "POLICY", default_value = "uniform")]
    pub policy: String,
    /// Whose derivative rules build the graph: clairaut (Clairaut's own formulas), tensorflow
    /// (TensorFlow's registered gradients and CPU kernels; rev-rev), jax (jax.hessian; fwd-rev),
    /// pytorch (torch.func.hessian: fwd-rev; torch.autograd.functional.hessian: rev-rev);
    /// framework rules run at f32/f64.
    #[arg(long, value_name = "RULES", value_enum, default_value = "clairaut")]
    pub rules: Rules,
    /// Fuse multiply-adds in dot products.
    #[arg(long, overrides_with = "no_fma")]
    pub fma: bool,
    /// Round every product before adding it (default).
    #[arg(long = "no-fma")]
    pub no_fma: bool,
    /// f32/f64 math library: core-math (correctly rounded) or libm.
    #[arg(long, value_name = "LIB", value_enum, default_value = "core-math")]
    pub math: MathLib,
    /// How the file's numbers become working values: decimal (exact), binary64, binary32 or
    /// as-stored (the exact stored values).
    #[arg(long, value_name = "MODE", value_enum, default_value = "decimal")]
    pub inputs: InputMode,
    /// Read tensor files the problem names outside its folder.
    #[arg(long)]
    pub allow_outside: bool,
    /// Finite-difference step: optimal, fixed:<h> or relative:<h>.
    #[arg(long, value_name = "RULE", default_value = "optimal")]
    pub step: String,
    /// Worker threads (default: all cores). Results are identical at any count.
    #[arg(long, value_name = "N", value_parser = super::parse_threads)]
    pub threads: Option<usize>,
    /// Write the matrix (.json, .npy or .csv).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Run even if the memory estimate exceeds the available memory.
    #[arg(long)]
    pub force: bool,
    /// Exit 0 even when H has entries NaN or ±∞ (they are reported either way; without this
    /// option such a Hessian exits with status 4).
    #[arg(long)]
    pub allow_nonfinite: bool,
}

impl HessianArgs {
    /// Validates every option before any work starts.
    pub fn validate(&self) -> Result<Request, Error> {
        let precision: Precision = parse_option("--precision", &self.precision)?;
        let order: Order = parse_option("--order", &self.order)?;
        let step: StepRule = parse_option("--step", &self.step)?;
        let policy: PrecisionPolicy = parse_option("--policy", &self.policy)?;
        check_policy(&policy, self.method, precision, order).map_err(|message| Error::Option { option: "--policy".into(), message })?;
        let access = if self.allow_outside { crate::input::Access::AllowOutside } else { crate::input::Access::Confined };
        let problem = Problem::load_with(&self.problem, access)?;
        hessian::check_rules(self.rules, self.method, &problem.spec, precision, &policy)
            .map_err(|message| Error::Option { option: "--rules".into(), message })?;
        let arith = Arith { precision, math: self.math, fma: self.fma && !self.no_fma };
        Ok(Request { problem, method: self.method, arith, order, inputs: self.inputs, step, policy, rules: self.rules })
    }
}

/// The asymmetry and the non-finite entries of a computed Hessian, after writing it to `out` if
/// given.
struct Summary<'a> {
    out: Option<&'a Path>,
}

impl hessian::Sink for Summary<'_> {
    type Output = (Asymmetry, NonFinite);
    fn take<R: Real>(self, req: &Request, h: Matrix<R>, ctx: &R::RCtx) -> Result<(Asymmetry, NonFinite), Error> {
        if let Some(path) = self.out {
            let meta = MatrixMeta {
                method: req.method.to_string(),
                precision: req.arith.precision.to_string(),
                order: req.order.to_string(),
                fma: req.arith.fma,
            };
            write_matrix(path, &h, &meta, ctx)?;
        }
        Ok((metrics::asymmetry(&h), NonFinite::of(&h)))
    }
}

/// Runs `clairaut hessian`.
pub fn run(args: HessianArgs) -> anyhow::Result<()> {
    let req = args.validate()?;
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    if !args.force {
        req.check_memory(threads)?;
    }
    let report = with_threads(args.threads, || req.compute(Summary { out: args.out.as_deref() }))??;
    let spec = &req.problem.spec;
    let p = spec.num_params();
    let (a, nonfinite) = &report.output;
    println!(
        "problem: {} (P = {p}, N = {}, layers {:?}{}, {}, {})",
        req.problem.source.display(),
        req.problem.n,
        spec.layers,
        if spec.all_bias() { String::new() } else { format!(" bias {:?}", spec.bias) },
        spec.activations.iter().map(|a| a.name()).collect::<Vec<_>>().join("/"),
        spec.loss.name()
    );
    println!(
        "method {}, precision {}, policy {}, order {}, {}, math {}, inputs {}, threads {threads}",
        req.method,
        req.arith.precision,
        req.policy,
        req.order,
        crate::scalar::FmaPolicy::from_fused(req.arith.fma),
        req.arith.math.name(),
        req.inputs.name()
    );
    if !req.rules.is_clairaut() {
        println!("rules: {}", req.rules);
    }
    println!("P: {p}");
    if let Some(r) = &req.problem.reference_loss {
        println!("{}", r.line());
    }
    // the figures of a matrix with NaN or ±∞ entries say nothing (NaN pairs are bitwise equal)
    let figure = |x| if nonfinite.is_empty() { metrics::fmt_metric(x) } else { "not finite".to_string() };
    println!("asymmetry ‖H−Hᵀ‖_F/‖H‖_F: {}", figure(&a.rel_fro));
    println!("asymmetry max |H_ij−H_ji|: {}", figure(&a.max_abs));
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
    if !nonfinite.is_empty() {
        println!("non-finite: {nonfinite}");
        if !args.allow_nonfinite {
            eprintln!("error: H has {} non-finite entries (NaN or ±∞); pass --allow-nonfinite to accept it", nonfinite.count);
            std::process::exit(EXIT_NONFINITE);
        }
    }
    Ok(())
}
