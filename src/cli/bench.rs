//! `clairaut bench`: the cost of a Hessian in gradients, `T_hessian / (P × T_gradient)`, for
//! `fwd-rev` at `f64` and `mp:256` on a generated problem, single-threaded so the ratio measures
//! the method, not the cores. Ratios are measured in the same run; nothing is asserted.

use std::time::Instant;

use clap::Args;

use super::with_threads;
use crate::hessian::{self, Method};
use crate::model::{Activation, InputMode, Loss, Problem, Spec};
use crate::order::{Eval, Order};
use crate::ad::{LaneDot, WithReal};
use crate::scalar::precision::Arith;
use crate::scalar::{MathLib, Precision};

/// Options of `clairaut bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A small problem (P ≈ 200) for a smoke run.
    #[arg(long)]
    pub quick: bool,
    /// Worker threads for the Hessian (default 1: the ratio is per core).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Scaling mode: thread counts to measure (e.g. 1,2,4,8,16) for fwd-rev at --precision on
    /// --problem, beside a tight allocation-free MPFR multiply-add loop per thread.
    #[arg(long, value_name = "T1,T2,..")]
    pub scaling: Option<String>,
    /// Scaling mode: measurements per thread count (Hessian and loop each); the fastest is
    /// reported — the one least disturbed by other load on the machine.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Problem for the scaling mode (default: generated, layers [32, 48, 8], gelu, N = 16).
    #[arg(long, value_name = "FILE")]
    pub problem: Option<std::path::PathBuf>,
    /// Precision for the scaling mode.
    #[arg(long, default_value = "mp:256")]
    pub precision: String,
    /// Table mode: Hessian time per problem × precision × method beside the peers' times, the
    /// cost in gradients and the MPFR efficiency (see `cli::bench_table`).
    #[arg(long)]
    pub table: bool,
    /// Table mode: problem files (default: experiments/bench/p40, p500, p2000, p5000).
    #[arg(long = "problems", value_name = "FILE", num_args = 1..)]
    pub problems: Vec<std::path::PathBuf>,
    /// Table mode: methods.
    #[arg(long, default_value = "fwd-rev,rev-rev,gauss-newton")]
    pub methods: String,
    /// Table mode: precisions.
    #[arg(long, default_value = "f32,f64,mp:128,mp:256,mp:1024")]
    pub precisions: String,
    /// Table mode: the peers' timings (JSON of scripts/peers/bench-peers.py from the same run).
    #[arg(long, value_name = "FILE")]
    pub peers: Option<std::path::PathBuf>,
    /// Table mode: skip a cell whose estimated time exceeds this many seconds.
    #[arg(long, default_value_t = 300.0)]
    pub budget: f64,
    /// Table mode: worker threads for the Hessian (default: all cores).
    #[arg(long = "table-threads", value_name = "N")]
    pub table_threads: Option<usize>,
    /// Table mode: write every figure as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<std::path::PathBuf>,
}

/// Seconds for `threads` workers to each run `iters` fused multiply-adds at `prec` bits, on
/// private, preallocated numbers: the machine's own parallel limit for MPFR work.
fn tight_loop(threads: usize, iters: u64, prec: u32) -> f64 {
    use rug::Float;
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for k in 0..threads {
            s.spawn(move || {
                let a = Float::with_val(prec, 1.000_001 + k as f64 * 1e-9);
                let b = Float::with_val(prec, 0.999_999);
                let mut acc = Float::with_val(prec, 0.5);
                for _ in 0..iters {
                    // acc = a·b + acc (one rounding), then keep it bounded: acc = acc·b
                    rug::ops::AddAssignRound::add_assign_round(&mut acc, &a * &b, rug::float::Round::Nearest);
                    rug::ops::MulAssignRound::mul_assign_round(&mut acc, &b, rug::float::Round::Nearest);
                }
                std::hint::black_box(acc);
            });
        }
    });
    t0.elapsed().as_secs_f64()
}

/// The scaling table: efficiency E(t) = T(1)/(t·T(t)) of the Hessian, and of the tight loop
/// (same work per thread: E(t) = T(1)/T(t)), and their ratio; each time the fastest of
/// `--repeat` measurements.
fn scaling(args: &BenchArgs, list: &str) -> anyhow::Result<()> {
    let threads: Vec<usize> = list
        .split(',')
        .map(|t| t.trim().parse::<usize>().ok().filter(|&v| v >= 1))
        .collect::<Option<_>>()
        .ok_or_else(|| crate::Error::Option { option: "--scaling".into(), message: format!("`{list}`: expected thread counts ≥ 1") })?;
    let precision: Precision = super::parse_option("--precision", &args.precision)?;
    let problem = match &args.problem {
        Some(p) => Problem::load(p)?,
        None => Problem::generate(
            &Spec { layers: vec![32, 48, 8], activations: vec![Activation::Gelu, Activation::Identity], loss: Loss::Mse },
            16,
            1,
        ),
    };
    let p = problem.spec.num_params();
    let arith = Arith { precision, math: MathLib::CoreMath, fma: false };
    println!(
        "scaling: fwd-rev at {precision}, P = {p}, N = {}; fastest of {} per thread count; cores available: {}; cpu: {}",
        problem.n,
        args.repeat,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())).unwrap_or_default()
    );
    println!("{:>7} {:>12} {:>12} {:>12} {:>12} {:>10}", "threads", "Hessian [s]", "efficiency", "loop [s]", "loop eff.", "ratio");
    let iters = 10_000_000u64;
    let bits = precision.bits();
    tight_loop(1, iters / 10, bits); // warm-up (frequency, page faults)
    let (mut h1, mut l1) = (0.0, 0.0);
    for &t in &threads {
        let (mut th, mut tl) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..args.repeat {
            let timing = Timing { problem: &problem, what: Timed::Hessian { method: Method::FwdRev, min_s: 0.0 } };
            th = th.min(with_threads(Some(t), || arith.dispatch(timing))??.fastest);
            tl = tl.min(tight_loop(t, iters, bits));
        }
        if t == threads[0] {
            h1 = th * t as f64;
            l1 = tl;
        }
        let (eh, el) = (h1 / (t as f64 * th), l1 / tl);
        println!("{t:>7} {th:>12.3} {eh:>12.3} {tl:>12.3} {el:>12.3} {:>10.3}", eh / el);
    }
    Ok(())
}

/// What [`Timing`] measures (sequential order): one gradient, repeated for at least `min_s`
/// seconds (the mean per call), or a Hessian by `method`, repeated until `min_s` seconds have
/// passed (at least once; the median run).
pub(super) enum Timed {
    /// `hessian::gradient`
    Gradient {
        /// Least total time of the repetitions.
        min_s: f64,
    },
    /// `hessian::compute`
    Hessian {
        /// The method.
        method: Method,
        /// Least total time of the repetitions (0: one run).
        min_s: f64,
    },
}

/// The time of a [`Timed`] computation: typical (the gradient's mean per call, the Hessian's
/// median run) and fastest (the least disturbed by other load; the gradient's mean again).
#[derive(Clone, Copy, Debug)]
pub(super) struct Seconds {
    /// Mean or median.
    pub typical: f64,
    /// Fastest run.
    pub fastest: f64,
}

/// Seconds of a [`Timed`] computation on a problem (its inputs rounded into the format first,
/// outside the timing).
pub(super) struct Timing<'a> {
    /// The problem.
    pub problem: &'a Problem,
    /// What to time.
    pub what: Timed,
}

impl WithReal for Timing<'_> {
    type Output = Result<Seconds, crate::Error>;
    fn run<R: LaneDot>(self, ctx: R::RCtx) -> Self::Output {
        let pr = self.problem;
        let inputs = pr.inputs::<R>(InputMode::Decimal, &ctx)?;
        let eval = Eval::new(Order::Sequential, pr.spec.sum_lengths(pr.n));
        let t0 = Instant::now();
        Ok(match self.what {
            Timed::Gradient { min_s } => {
                let mut reps = 0u32;
                while reps < 3 || t0.elapsed().as_secs_f64() < min_s {
                    std::hint::black_box(hessian::gradient(&pr.spec, pr.n, &inputs, &eval, &ctx));
                    reps += 1;
                }
                let mean = t0.elapsed().as_secs_f64() / f64::from(reps);
                Seconds { typical: mean, fastest: mean }
            }
            Timed::Hessian { method, min_s } => {
                let mut runs = Vec::new();
                while runs.is_empty() || t0.elapsed().as_secs_f64() < min_s {
                    let t = Instant::now();
                    std::hint::black_box(hessian::compute(method, &pr.spec, pr.n, &inputs, &eval, &ctx));
                    runs.push(t.elapsed().as_secs_f64());
                }
                runs.sort_by(f64::total_cmp);
                Seconds { typical: runs[runs.len() / 2], fastest: runs[0] }
            }
        })
    }
}

/// Runs `clairaut bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if let Some(list) = &args.scaling {
        return scaling(&args, list);
    }
    if args.table {
        return super::bench_table::run(&args);
    }
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
        let time = |what| with_threads(Some(args.threads), || arith.dispatch(Timing { problem: &problem, what }));
        let (tg, th) = (time(Timed::Gradient { min_s: 0.2 })??.typical, time(Timed::Hessian { method: Method::FwdRev, min_s: 0.0 })??.typical);
        println!("{:<10} {:>14.6e} {:>14.4} {:>22.3}", precision.to_string(), tg, th, th / (p as f64 * tg));
    }
    Ok(())
}
