//! `clairaut analyze`: every requested Hessian against the certified truth, with the attribution
//! of its error and asymmetry (see [`crate::analysis`]). Non-finite values (NaN, ±∞) in the truth
//! or in a row's H are reported, one line each, after the table.

use std::path::PathBuf;

use clap::Args;

use super::{parse_option, with_threads};
use crate::analysis::metrics::fmt_metric;
use crate::analysis::{self, truth, Analysis, Request};
use crate::error::Error;
use crate::hessian::fd::StepRule;
use crate::hessian::Method;
use crate::model::Problem;
use crate::order::Order;
use crate::scalar::{FmaPolicy, MathLib, Precision};

/// Options of `clairaut analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Problem file (JSON).
    #[arg(long, value_name = "FILE")]
    pub problem: PathBuf,
    /// Comma-separated methods.
    #[arg(long, value_name = "M1,M2,..", value_enum, value_delimiter = ',', default_value = "fwd-rev,rev-rev,fwd-fwd,gauss-newton,fd-grad-central,fd-loss-4pt")]
    pub methods: Vec<Method>,
    /// Comma-separated precisions.
    #[arg(long, value_name = "P1,P2,..", default_value = "f32,f64")]
    pub precisions: String,
    /// Comma-separated orders.
    #[arg(long, value_name = "O1,O2,..", default_value = "sequential")]
    pub orders: String,
    /// Comma-separated FMA policies (no-fma, fma).
    #[arg(long = "fma-policies", value_name = "F1,F2", value_enum, value_delimiter = ',', default_value = "no-fma")]
    pub fma_policies: Vec<FmaPolicy>,
    /// Truth precision, mp:<bits> (default mp:256, raised to 2p+74 for the finest precision p).
    #[arg(long, value_name = "PREC")]
    pub truth: Option<String>,
    /// Extra bits of the certifying recomputation (0 to 65536).
    #[arg(long, value_name = "BITS", default_value_t = truth::DEFAULT_CHECK_EXTRA, value_parser = super::parse_check_extra)]
    pub check_extra: u32,
    /// Finite-difference step: optimal, fixed:<h> or relative:<h>.
    #[arg(long, value_name = "RULE", default_value = "optimal")]
    pub step: String,
    /// f32/f64 math library: core-math or libm.
    #[arg(long, value_name = "LIB", value_enum, default_value = "core-math")]
    pub math: MathLib,
    /// |z| at or below which a relu pre-activation counts as a kink.
    #[arg(long, value_name = "TOL", default_value_t = 1e-9)]
    pub kink_tol: f64,
    /// Skip the eigenvalues of the symmetric parts.
    #[arg(long)]
    pub no_spectrum: bool,
    /// Write the analysis as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = super::parse_threads)]
    pub threads: Option<usize>,
    /// Run even if the memory estimate exceeds the available memory.
    #[arg(long)]
    pub force: bool,
}

/// Estimated peak memory of an analysis, in bytes ([`crate::hessian::cost::analysis_memory`]).
pub fn memory_estimate(req: &Request, threads: usize) -> f64 {
    let p_max = req.precisions.iter().map(|q| q.bits()).max().unwrap_or(53);
    let shape = crate::hessian::cost::AnalysisShape {
        dims: crate::hessian::cost::Dims::of(&req.problem),
        methods: &req.methods,
        precisions: &req.precisions,
        orders: req.orders.len(),
        fmas: req.fmas.len(),
        truth_bits: req.truth_bits.unwrap_or_else(|| truth::default_bits(p_max)),
        check_extra: req.check_extra,
        spectrum: req.spectrum,
        keep_matrices: req.keep_matrices,
    };
    crate::hessian::cost::analysis_memory(&shape, threads)
}

fn list<T: std::str::FromStr<Err = String>>(option: &str, s: &str) -> Result<Vec<T>, Error> {
    let v: Vec<T> = s.split(',').map(|x| parse_option(option, x.trim())).collect::<Result<_, _>>()?;
    if v.is_empty() {
        return Err(Error::Option { option: option.into(), message: "empty list".into() });
    }
    Ok(v)
}

impl AnalyzeArgs {
    /// Validates every option before any work starts.
    pub fn validate(&self) -> Result<Request, Error> {
        let methods = self.methods.clone();
        let precisions: Vec<Precision> = list("--precisions", &self.precisions)?;
        let orders: Vec<Order> = list("--orders", &self.orders)?;
        let fmas: Vec<bool> = self.fma_policies.iter().map(|f| f.fused()).collect();
        let truth_bits = match &self.truth {
            None => None,
            Some(t) => match parse_option::<Precision>("--truth", t)? {
                Precision::Mp(b) => Some(b),
                other => {
                    return Err(Error::Option {
                        option: "--truth".into(),
                        message: format!("`{other}`: the truth must be an MPFR precision mp:<bits>"),
                    })
                }
            },
        };
        // the same checks as an experiment's check_extra and kink_tol (crate::experiment::check)
        crate::limits::check_kink_tol(self.kink_tol).map_err(|message| Error::Option { option: "--kink-tol".into(), message })?;
        crate::limits::check_extra_bits(self.check_extra).map_err(|message| Error::Option { option: "--check-extra".into(), message })?;
        let step: StepRule = parse_option("--step", &self.step)?;
        let problem = Problem::load(&self.problem)?;
        Ok(Request {
            problem,
            methods,
            precisions,
            orders,
            fmas,
            math: self.math,
            step,
            truth_bits,
            check_extra: self.check_extra,
            kink_tol: self.kink_tol,
            spectrum: !self.no_spectrum,
            keep_matrices: false,
        })
    }
}

/// Prints the attribution table.
pub fn print_table(a: &Analysis) {
    let t = &a.truth;
    println!(
        "truth: fwd-rev, exact order, {} checked at {}: agreeing bits min {} / median {} (need {}) — {}",
        t.precision,
        t.check_precision,
        t.certified_bits_min,
        t.certified_bits_median,
        t.bits_needed,
        if t.certified { "certified" } else { "NOT certified for every requested precision" }
    );
    println!(
        "kinks (relu, |z| ≤ {:e}): {} — {} Hessian entries undefined",
        a.kinks.tolerance,
        a.kinks.kinks.len(),
        a.kinks.flagged_entries
    );
    println!("all parts relative to ‖T‖_F; each as whole / antisymmetric");
    println!(
        "{:<17} {:<9} {:<12} {:<6} {:>10} {:>10} {:>21} {:>21} {:>21} {:>21} {:>9} {:>10}  {}",
        "method", "precision", "order", "fma", "error", "asym", "rounding", "approximation", "order", "input", "sigbits", "residual", "asym from"
    );
    for r in &a.rows {
        let pair = |p: &analysis::Part| format!("{} / {}", fmt_metric(&p.total), fmt_metric(&p.antisym));
        println!(
            "{:<17} {:<9} {:<12} {:<6} {:>10} {:>10} {:>21} {:>21} {:>21} {:>21} {:>9} {:>10}  {}{}",
            r.method.name(),
            r.precision.to_string(),
            r.order.to_string(),
            if r.fma { "fma" } else { "no" },
            fmt_metric(&r.error_rel_fro),
            fmt_metric(&r.asym.rel_fro),
            pair(&r.rounding),
            pair(&r.approximation),
            pair(&r.order_spread),
            pair(&r.input),
            format!("{}/{}", r.sigbits_min, r.sigbits_median),
            fmt_metric(&r.residual),
            r.asym_dominant,
            if r.certified { "" } else { " (truth not certified)" }
        );
    }
    print_nonfinite(a);
    let tm = &a.timings;
    println!(
        "time: truth {:.2} s, quantized truths {:.2} s, cells {:.2} s, metrics {:.2} s",
        tm.truth_s, tm.quantized_truths_s, tm.cells_s, tm.metrics_s
    );
}

/// One line for a truth with non-finite entries, one for each row whose H has some (a row
/// whose only non-finite values are in the truth or in its parts is marked in the table).
fn print_nonfinite(a: &Analysis) {
    if !a.truth.nonfinite.is_empty() {
        println!("non-finite truth (not certified): {}", a.truth.nonfinite);
    }
    for r in a.rows.iter().filter(|r| !r.nonfinite.is_empty()) {
        let fma = crate::scalar::FmaPolicy::from_fused(r.fma);
        println!("non-finite H: {} {} {} {fma}: {}", r.method.name(), r.precision, r.order, r.nonfinite);
    }
}

/// Runs `clairaut analyze`.
pub fn run(args: AnalyzeArgs) -> anyhow::Result<()> {
    let req = args.validate()?;
    let p = req.problem.spec.num_params();
    if !args.force {
        let what = format!("P = {p}: this analysis (fewer methods, precisions or orders would need less) needs");
        let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
        crate::hessian::cost::refuse_if_too_large(&req.problem.source, memory_estimate(&req, threads), &what)?;
    }
    println!("problem: {} (P = {p}, N = {})", req.problem.source.display(), req.problem.n);
    let analysis = with_threads(args.threads, || analysis::analyze(&req))??;
    print_table(&analysis);
    if let Some(path) = &args.json {
        let mut text = serde_json::to_vec_pretty(&crate::results::record::Analysis::of(&analysis, &req.problem)).expect("serializable");
        text.push(b'\n');
        crate::results::write_atomic(path, &text)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typical request at P = 4810 (issue #5: a full run at P ≈ 5,000 must fit in 24 GiB).
    #[test]
    fn an_analysis_at_p_5000_is_estimated_within_24_gib() {
        let args = AnalyzeArgs {
            problem: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("experiments/bench/p5000-tanh-ce.json"),
            methods: vec![Method::FwdRev, Method::RevRev, Method::GaussNewton, Method::FdGradCentral],
            precisions: "binary16,bfloat16,f32,f64".into(),
            orders: "sequential,pairwise".into(),
            fma_policies: vec![FmaPolicy::NoFma],
            truth: None,
            check_extra: truth::DEFAULT_CHECK_EXTRA,
            step: "optimal".into(),
            math: MathLib::CoreMath,
            kink_tol: 1e-9,
            no_spectrum: false,
            json: None,
            threads: None,
            force: false,
        };
        let req = args.validate().unwrap();
        assert_eq!(req.problem.spec.num_params(), 4810);
        let gib = |b: f64| b / (1u64 << 30) as f64;
        let need = memory_estimate(&req, 16);
        assert!(gib(need) < 24.0, "estimated {:.1} GiB", gib(need));
        assert!(gib(need) > 2.0, "estimated {:.1} GiB: at least T, T(q) and H at mp:256 are held", gib(need));
        eprintln!("P = 4810, typical analyze: {:.2} GiB", gib(need));
        let h = crate::hessian::cost::memory_estimate(&req.problem, Method::FwdRev, Precision::Mp(256), 16);
        assert!(gib(h) < 24.0);
        eprintln!("P = 4810, hessian fwd-rev mp:256: {:.2} GiB", gib(h));
    }
}
