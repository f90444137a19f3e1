//! `clairaut bench ratio | scaling | table | mp-kernel`: the options of each table and its printing; the
//! measurements are [`crate::perf`]'s. Times are measured in the same run; nothing is asserted.
//! Each first prints its estimated time on stderr ([`crate::hessian::cost`]); `table`, the
//! longest, then shows its progress ([`super::progress`]).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::parse_option;
use crate::error::Error;
use crate::method::Method;
use crate::model::Problem;
use crate::perf::table::{self, Cell, Peers, Table};
use crate::hessian::cost::{self, fmt_seconds};
use crate::perf::{kernel, ratio, scaling};
use crate::scalar::opcount::Op;
use crate::scalar::{MathLib, Precision};

/// Options of `clairaut bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The table to measure.
    #[command(subcommand)]
    pub what: BenchCommand,
}

/// The tables of `clairaut bench`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The Hessian's cost in gradients, T_H / (P × T_grad), fwd-rev at f64 and mp:256.
    Ratio(RatioArgs),
    /// Multi-core efficiency of fwd-rev beside a tight allocation-free MPFR loop per thread.
    Scaling(ScalingArgs),
    /// Hessian time per problem × precision × method beside the peers' times, the cost in
    /// gradients and the MPFR efficiency (see `perf::table`).
    Table(TableArgs),
    /// mp:<bits> on MPFR and on the fixed-width limbs, same run, same bits checked.
    ///
    /// The speed-up per order, and whether both Hessians agree bit for bit (`perf::kernel`).
    MpKernel(MpKernelArgs),
}

/// Options of `clairaut bench mp-kernel`.
#[derive(Debug, Args)]
pub struct MpKernelArgs {
    /// Problem file (default: experiments/bench/p500-tanh-mse.json).
    #[arg(long, value_name = "FILE", default_value = "experiments/bench/p500-tanh-mse.json")]
    pub problem: PathBuf,
    /// Precision in bits (2 … 320).
    #[arg(long, default_value_t = 256)]
    pub bits: u32,
    /// Method.
    #[arg(long, default_value = "fwd-rev")]
    pub method: String,
    /// Orders (sequential: what mp:<bits> cells run; exact: the truth's).
    #[arg(long, default_value = "sequential,exact")]
    pub orders: String,
    /// Worker threads (default 1: the speed-up per core).
    #[arg(long, default_value_t = 1, value_parser = super::parse_threads)]
    pub threads: usize,
    /// Repeat each Hessian until this many seconds have passed (at least 3 runs; the median).
    #[arg(long, default_value_t = 2.0)]
    pub min_seconds: f64,
}

/// Options of `clairaut bench ratio`.
#[derive(Debug, Args)]
pub struct RatioArgs {
    /// A small problem (P ≈ 200) for a smoke run.
    #[arg(long)]
    pub quick: bool,
    /// Worker threads for the Hessian (default 1: the ratio is per core).
    #[arg(long, default_value_t = 1, value_parser = super::parse_threads)]
    pub threads: usize,
}

/// Options of `clairaut bench scaling`.
#[derive(Debug, Args)]
pub struct ScalingArgs {
    /// Thread counts to measure, e.g. 1,2,4,8,16.
    #[arg(value_name = "THREADS")]
    pub threads: String,
    /// Measurements per thread count (Hessian and loop each); the fastest is reported — the one
    /// least disturbed by other load on the machine.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,
    /// Problem file (default: generated, layers [32, 48, 8], gelu, N = 16).
    #[arg(long, value_name = "FILE")]
    pub problem: Option<PathBuf>,
    /// Precision.
    #[arg(long, default_value = "mp:256")]
    pub precision: String,
}

/// Options of `clairaut bench table`.
#[derive(Debug, Args)]
pub struct TableArgs {
    /// Problem files (default: those listed in experiments/bench/problems.txt).
    #[arg(long = "problems", value_name = "FILE", num_args = 1..)]
    pub problems: Vec<PathBuf>,
    /// Methods.
    #[arg(long, default_value = "fwd-rev,rev-rev,gauss-newton")]
    pub methods: String,
    /// Precisions.
    #[arg(long, default_value = "f32,f64,mp:128,mp:256,mp:1024")]
    pub precisions: String,
    /// The peers' timings (JSON of bench-peers.py from the same run).
    #[arg(long, value_name = "FILE")]
    pub peers: Option<PathBuf>,
    /// Skip a cell whose estimated time exceeds this many seconds.
    #[arg(long, default_value_t = 300.0)]
    pub budget: f64,
    /// Worker threads for the Hessian (default: all cores).
    #[arg(long, value_name = "N", value_parser = super::parse_threads)]
    pub threads: Option<usize>,
    /// Write every figure as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// Runs `clairaut bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.what {
        BenchCommand::Ratio(a) => run_ratio(&a),
        BenchCommand::Scaling(a) => run_scaling(&a),
        BenchCommand::Table(a) => run_table(&a),
        BenchCommand::MpKernel(a) => run_mp_kernel(&a),
    }
}

fn run_mp_kernel(args: &MpKernelArgs) -> anyhow::Result<()> {
    let problem = Problem::load(&args.problem)?;
    let method: Method = parse_option("--method", &args.method)?;
    let orders: Vec<crate::order::Order> = args.orders.split(',').map(|o| parse_option("--orders", o.trim())).collect::<Result<_, _>>()?;
    println!(
        "mp:{} {method} on {} (P = {}), {} thread(s): MPFR and the fixed-width limbs, median of runs over {} s",
        args.bits,
        args.problem.display(),
        problem.spec.num_params(),
        args.threads,
        args.min_seconds
    );
    let rows = crate::perf::on_threads(args.threads, || kernel::measure(&problem, method, args.bits, &orders, args.min_seconds))??;
    println!("{:<12} {:>10} {:>10} {:>14} {:>10}", "order", "MPFR [s]", "fixed [s]", "MPFR / fixed", "same bits");
    for r in rows {
        println!("{:<12} {:>10.4} {:>10.4} {:>13.2}× {:>10}", r.order.to_string(), r.mpfr_s, r.fixed_s, r.mpfr_s / r.fixed_s, if r.same_bits { "yes" } else { "NO" });
    }
    Ok(())
}

fn run_ratio(args: &RatioArgs) -> anyhow::Result<()> {
    let problem = ratio::problem(args.quick);
    let spec = &problem.spec;
    println!(
        "problem: layers {:?}, gelu/identity, mse, N = {}, P = {}; fwd-rev, sequential, no-fma; {} thread(s) for the Hessian",
        spec.layers,
        problem.n,
        spec.num_params(),
        args.threads
    );
    let estimate: f64 = ratio::PRECISIONS
        .iter()
        .map(|&q| {
            let g = cost::gradient_seconds(&problem, q, MathLib::CoreMath).unwrap_or(0.0);
            0.2 + cost::hessian_seconds(Method::FwdRev, q, spec.num_params(), g, args.threads)
        })
        .sum();
    eprintln!("estimate: {}", fmt_seconds(estimate));
    println!("{:<10} {:>14} {:>14} {:>22}", "precision", "gradient [s]", "Hessian [s]", "T_H / (P × T_grad)");
    for precision in ratio::PRECISIONS {
        let r = ratio::measure(&problem, precision, args.threads)?;
        println!("{:<10} {:>14.6e} {:>14.4} {:>22.3}", precision.to_string(), r.gradient_s, r.hessian_s, r.ratio);
    }
    Ok(())
}

fn run_scaling(args: &ScalingArgs) -> anyhow::Result<()> {
    let list = &args.threads;
    let threads: Vec<usize> = list
        .split(',')
        .map(|t| t.trim().parse::<usize>().ok().filter(|&v| (1..=crate::limits::MAX_THREADS).contains(&v)))
        .collect::<Option<_>>()
        .ok_or_else(|| Error::Option { option: "THREADS".into(), message: format!("`{list}`: expected thread counts from 1 to {}", crate::limits::MAX_THREADS) })?;
    let precision: Precision = parse_option("--precision", &args.precision)?;
    let problem = match &args.problem {
        Some(p) => Problem::load(p)?,
        None => scaling::default_problem(),
    };
    println!(
        "scaling: fwd-rev at {precision}, P = {}, N = {}; fastest of {} per thread count; cores available: {}; cpu: {}",
        problem.spec.num_params(),
        problem.n,
        args.repeat,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        scaling::cpu_model()
    );
    let g = cost::gradient_seconds(&problem, precision, MathLib::CoreMath).unwrap_or(0.0);
    // each repetition: the Hessian, and the tight loop for about as long
    let estimate: f64 = threads
        .iter()
        .map(|&t| 2.0 * f64::from(args.repeat) * cost::hessian_seconds(Method::FwdRev, precision, problem.spec.num_params(), g, t))
        .sum();
    eprintln!("estimate: {}", fmt_seconds(estimate));
    println!("{:>7} {:>12} {:>12} {:>12} {:>12} {:>10}", "threads", "Hessian [s]", "efficiency", "loop [s]", "loop eff.", "ratio");
    scaling::measure(&problem, precision, &threads, args.repeat, |r| {
        println!(
            "{:>7} {:>12.3} {:>12.3} {:>12.3} {:>12.3} {:>10.3}",
            r.threads, r.hessian_s, r.efficiency, r.loop_s, r.loop_efficiency, r.ratio
        );
    })?;
    Ok(())
}

fn list<T: std::str::FromStr<Err = String>>(option: &str, s: &str) -> Result<Vec<T>, Error> {
    s.split(',').map(|x| parse_option(option, x.trim())).collect()
}

fn fmt_s(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), |v| format!("{v:.3e}"))
}

/// The row of a cell.
fn cell_line(c: &Cell) -> String {
    let stem = c.problem.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let (p, precision, method) = (c.p, c.precision.to_string(), c.method.name());
    let Some(m) = &c.measured else {
        return format!("{stem:<14} {p:>5} {precision:<9} {method:<12} skipped: estimated {:.0} s > budget", c.estimate_s);
    };
    let ratio_s = match (m.faster_peer_s, c.mpmath_s) {
        (Some(_), _) => format!("{:.2}", c.ratio().unwrap_or(f64::NAN)),
        (None, Some(_)) => format!("{:.0}×", c.ratio().unwrap_or(f64::NAN)),
        _ => "–".into(),
    };
    format!(
        "{stem:<14} {p:>5} {precision:<9} {method:<12} {:>9.3e} {:>6.2} {:>8} {:>9} {:>9} {:>10} {ratio_s:>7} {:>6}",
        m.hessian_s,
        m.cost_in_gradients,
        m.mpfr_efficiency.map_or_else(|| "–".into(), |e| format!("{:.0}%", 100.0 * e)),
        fmt_s(c.jax_s),
        fmt_s(c.tensorflow_s),
        fmt_s(c.mpmath_s),
        c.max_speedup_vs_mpmath().map_or_else(|| "–".into(), |x| format!("{x:.0}×"))
    )
}

/// The estimated seconds of each cell of a table (problem, precision, method in the order
/// measured): the Hessian repeated for [`table::HESSIAN_MIN_S`] on the threads and on one, the
/// MPFR operations counted once, the gradient timed; 0 for a cell the budget skips.
fn table_estimate(spec: &table::Spec) -> Result<Vec<f64>, Error> {
    let mut out = Vec::new();
    for path in &spec.problems {
        let problem = Problem::load(path)?;
        let p = problem.spec.num_params();
        for &q in &spec.precisions {
            let g = cost::gradient_seconds(&problem, q, MathLib::CoreMath)?;
            for &m in &spec.methods {
                let (t_h, t_h1) = (cost::hessian_seconds(m, q, p, g, spec.threads), cost::hessian_seconds(m, q, p, g, 1));
                let runs = t_h.max(table::HESSIAN_MIN_S) + if spec.threads > 1 { t_h1.max(table::HESSIAN_MIN_S) } else { 0.0 };
                let counted = if matches!(q, Precision::Mp(_)) { t_h1 } else { 0.0 };
                // the table's own rule (perf::table), with this T_grad
                let rule = p as f64 * g * if m == Method::RevRev { 6.0 } else { 1.0 } * if matches!(q, Precision::Mp(_)) { 3.0 } else { 2.0 };
                out.push(if rule / spec.threads as f64 > spec.budget { 0.0 } else { 0.3 + runs + counted });
            }
        }
    }
    Ok(out)
}

fn table_spec(args: &TableArgs) -> Result<table::Spec, Error> {
    let problems = if args.problems.is_empty() { table::read_problem_list(table::PROBLEM_LIST.as_ref())? } else { args.problems.clone() };
    let methods: Vec<Method> = list("--methods", &args.methods)?;
    let precisions: Vec<Precision> = list("--precisions", &args.precisions)?;
    let peers = match &args.peers {
        Some(f) => Peers::load(f)?,
        None => Peers::default(),
    };
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    if threads == 0 {
        return Err(Error::Option { option: "--threads".into(), message: "must be at least 1".into() });
    }
    if !(args.budget.is_finite() && args.budget > 0.0) {
        return Err(Error::Option { option: "--budget".into(), message: format!("`{}` must be a positive number of seconds", args.budget) });
    }
    Ok(table::Spec { problems, methods, precisions, peers, budget: args.budget, threads })
}

/// What each column of `bench table` means (printed under it; see [`crate::perf::table`]).
pub const TABLE_LEGEND: [(&str, &str); 8] = [
    ("T_H [s]", "the Hessian's wall time on the table's threads (the median of repeated runs)"),
    ("grads", "its cost in gradients: T_H1 / (P × T_grad), both on one thread"),
    ("MPFR eff", "MPFR efficiency: the Hessian's MPFR operations at their tight-loop prices / T_H1"),
    ("JAX [s]", "JAX's Hessian time at the same dtype (the peers' file, same run; – none)"),
    ("TF [s]", "TensorFlow's, likewise"),
    ("mpmath [s]", "mpmath's forward-over-reverse at 77 digits (≈ 256 bits)"),
    ("ratio", "T_H / the faster of JAX and TF (≤ 1 is the target); for mp:256, mpmath / T_H"),
    ("max×", "mpmath / the MPFR floor (the operations without a zero operand at their tight-loop prices, shared perfectly among the threads): the largest ratio any MPFR computation of these bits could reach here"),
];

fn run_table(args: &TableArgs) -> anyhow::Result<()> {
    let spec = table_spec(args)?;
    let threads = spec.threads;
    println!("clairaut bench table: sequential order, no-fma, {threads} thread(s) for the Hessian");
    println!("peers from {}; budget {} s per cell", args.peers.as_ref().map_or("(none)".into(), |p| p.display().to_string()), args.budget);
    println!(
        "{:<14} {:>5} {:<9} {:<12} {:>9} {:>6} {:>8} {:>9} {:>9} {:>10} {:>7} {:>6}",
        "problem", "P", "precision", "method", "T_H [s]", "grads", "MPFR eff", "JAX [s]", "TF [s]", "mpmath [s]", "ratio", "max×"
    );
    let estimate = table_estimate(&spec)?;
    eprintln!("estimate: {} for {} cells", fmt_seconds(estimate.iter().sum()), estimate.len());
    let report = super::progress::Reporter::stderr("bench table", estimate.iter().sum());
    let mut k = 0;
    let table = Table::measure(&spec, |c| {
        report.println(&cell_line(c));
        report.advance(estimate.get(k).copied().unwrap_or(0.0), &format!("{} {} {}", c.p, c.precision, c.method));
        k += 1;
    });
    report.finish();
    let table = table?;
    for line in TABLE_LEGEND.iter().flat_map(|(name, text)| super::help::wrap(&format!("  {name:<10}  {text}"), 100).lines().map(String::from).collect::<Vec<_>>()) {
        println!("{line}");
    }
    let prices: Vec<String> = table.loop_ns.iter().map(|((b, k), ns)| format!("{} @{b}: {ns:.1}", Op::ALL[*k].name())).collect();
    for line in super::progress::wrap("MPFR tight-loop prices [ns/op]:", &prices, 100) {
        println!("{line}");
    }
    if let Some(out) = &args.json {
        let peers_file = args.peers.as_ref().map(|p| p.display().to_string());
        crate::results::write_atomic(out, serde_json::to_string_pretty(&table.to_json(peers_file.as_deref()))?.as_bytes())?;
        println!("wrote {}", out.display());
    }
    Ok(())
}
