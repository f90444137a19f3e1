//! `clairaut bench --table`: Clairaut's Hessian time per problem × precision × method, beside
//! the peers' times (JAX, TensorFlow, mpmath) read from a `scripts/peers/bench-peers.py` JSON of the
//! same run, with the ratios, the Hessian-to-gradient cost ratio and the MPFR efficiency.
//!
//! * `T_H` is the wall time of the Hessian on `--table-threads` workers (default: all cores, as
//!   the peers use) — the figure compared with the peers'; the median of repeated runs when one
//!   takes less than `HESSIAN_MIN_S` (0.5 s).
//! * cost ratio = `T_H1 / (P × T_grad)`, both single-threaded (`T_H1` the Hessian measured
//!   again on one thread, median as `T_H`; `T_grad` one gradient at the same precision, the
//!   mean of repeated calls).
//! * MPFR efficiency (MPFR precisions) = `Σ_k n_k · t_k / T_H1`, with `n_k` the MPFR operations
//!   of kind k the Hessian performs (counted in a third run, untimed, so that counting costs
//!   nothing in `T_H1`) and `t_k` the time one such operation takes at that precision in a
//!   tight allocation-free loop ([`opcount::tight_loop_ns`]).
//! * MPFR floor (MPFR precisions) = `Σ_k n_k · t_k / threads` over the kinds without a zero
//!   operand: the counted operations that do arithmetic on the limbs, at their tight-loop
//!   prices, divided perfectly among the threads — the least time in which MPFR could produce
//!   these bits (each rounding is one step of the definition). `max×` = mpmath / floor, the
//!   largest ratio to the mpmath script an MPFR computation could reach on this machine.
//! * A cell whose estimated time (`P × T_grad × c / threads`, c = 6 for rev-rev, 1 otherwise,
//!   tripled for MPFR precisions' three runs) exceeds `--budget` seconds is reported as skipped
//!   with its estimate.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Value};

use super::bench::{BenchArgs, Timed, Timing};
use super::with_threads;
use crate::hessian::Method;
use crate::model::Problem;
use crate::scalar::opcount::{self, Op};
use crate::scalar::precision::Arith;
use crate::scalar::{MathLib, Precision};

/// A Hessian shorter than this is repeated until this many seconds have passed and the median
/// run is reported (the peers report the median of repeated warm calls too).
const HESSIAN_MIN_S: f64 = 0.5;

/// The problems measured by default.
pub const DEFAULT_PROBLEMS: [&str; 4] = [
    "experiments/bench/p40-tanh-mse.json",
    "experiments/bench/p500-tanh-mse.json",
    "experiments/bench/p2000-gelu-mse.json",
    "experiments/bench/p5000-tanh-ce.json",
];

/// A peer's median time for `problem` (matched by file name) and `dtype`.
fn peer_time(peers: &Value, problem: &str, dtype: &str, peer: &str, method_prefix: &str) -> Option<f64> {
    let name = |p: &str| std::path::Path::new(p).file_name().map(|f| f.to_string_lossy().into_owned());
    peers["results"].as_array()?.iter().find_map(|r| {
        let ok = name(r["problem"].as_str()?) == name(problem)
            && r["dtype"].as_str()? == dtype
            && r["peer"].as_str()? == peer
            && r["method"].as_str().unwrap_or("").contains(method_prefix);
        if ok { r["median_s"].as_f64() } else { None }
    })
}

fn list<T: std::str::FromStr<Err = String>>(option: &str, s: &str) -> Result<Vec<T>, crate::Error> {
    s.split(',').map(|x| super::parse_option(option, x.trim())).collect()
}

fn fmt_s(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), |v| format!("{v:.3e}"))
}

/// Runs the table.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let problems: Vec<PathBuf> =
        if args.problems.is_empty() { DEFAULT_PROBLEMS.iter().map(PathBuf::from).collect() } else { args.problems.clone() };
    let methods: Vec<Method> = list("--methods", &args.methods)?;
    let precisions: Vec<Precision> = list("--precisions", &args.precisions)?;
    let peers: Value = match &args.peers {
        Some(f) => serde_json::from_str(&std::fs::read_to_string(f).map_err(|e| crate::Error::Io { path: f.clone(), message: e.to_string() })?)
            .map_err(|e| crate::Error::Json { path: f.clone(), message: e.to_string() })?,
        None => Value::Null,
    };
    let threads = args.table_threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    println!(
        "clairaut bench --table: sequential order, no-fma, {threads} thread(s) for the Hessian; peers from {}; budget {} s per cell",
        args.peers.as_ref().map_or("(none)".into(), |p| p.display().to_string()),
        args.budget
    );
    println!(
        "{:<16} {:>5} {:<9} {:<13} {:>10} {:>8} {:>7} {:>10} {:>10} {:>10} {:>9} {:>7}",
        "problem", "P", "precision", "method", "T_H [s]", "T_H1/PTg", "MPFReff", "JAX [s]", "TF [s]", "mpmath[s]", "ratio", "max×"
    );
    let mut rows = Vec::new();
    let mut loop_ns: BTreeMap<(u32, usize), f64> = BTreeMap::new();
    for path in &problems {
        let problem = Problem::load(path)?;
        let p = problem.spec.num_params();
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let pstr = path.to_string_lossy().into_owned();
        for &precision in &precisions {
            let arith = Arith { precision, math: MathLib::CoreMath, fma: false };
            let t_grad = with_threads(Some(1), || arith.dispatch(Timing { problem: &problem, what: Timed::Gradient { min_s: 0.3 } }))??.typical;
            let floats = |dtype| (peer_time(&peers, &pstr, dtype, "jax", ""), peer_time(&peers, &pstr, dtype, "tensorflow", ""), None);
            let (jax, tf, mpm) = match precision {
                Precision::F64 => floats("float64"),
                Precision::F32 => floats("float32"),
                // mpmath at 77 digits (≈ 256 bits), forward-over-reverse
                Precision::Mp(256) => (None, None, peer_time(&peers, &pstr, "float64", "mpmath", "forward-over-reverse")),
                _ => (None, None, None),
            };
            for &method in &methods {
                let is_mp = matches!(precision, Precision::Mp(_));
                let c = if method == Method::RevRev { 6.0 } else { 1.0 } * if is_mp { 3.0 } else { 2.0 };
                let estimate = p as f64 * t_grad * c / threads as f64;
                let mut row = json!({
                    "problem": pstr, "P": p, "precision": precision.to_string(), "method": method.name(),
                    "threads": threads, "gradient_s": t_grad, "estimate_s": estimate,
                    "jax_s": jax, "tensorflow_s": tf, "mpmath_fwd_rev_77_digits_s": mpm,
                });
                if estimate > args.budget {
                    println!("{stem:<16} {p:>5} {:<9} {:<13} skipped: estimated {estimate:.0} s > budget", precision.to_string(), method.name());
                    row["skipped"] = json!(true);
                    rows.push(row);
                    continue;
                }
                let run = |t: usize, min_s: f64| with_threads(Some(t), || arith.dispatch(Timing { problem: &problem, what: Timed::Hessian { method, min_s } }));
                let t_h_runs = run(threads, HESSIAN_MIN_S)??;
                let t_h1_runs = if threads == 1 { t_h_runs } else { run(1, HESSIAN_MIN_S)?? };
                let (t_h, t_h1) = (t_h_runs.typical, t_h1_runs.typical);
                // one run, so that the counts are one Hessian's
                let counts = if is_mp { Some(opcount::count_ops(|| run(1, 0.0)).1) } else { None };
                let cost = t_h1 / (p as f64 * t_grad);
                // Σ n_k·t_k over every counted kind (efficiency), and over the kinds without a zero
                // operand divided among the threads: the floor of an MPFR computation of these bits
                let priced = counts.map(|c| {
                    let (mut all_ns, mut nonzero_ns) = (0.0, 0.0);
                    for (k, &op) in Op::ALL.iter().enumerate().filter(|(k, _)| c[*k] > 0) {
                        let ns = *loop_ns.entry((precision.bits(), k)).or_insert_with(|| opcount::tight_loop_ns(op, precision.bits(), 0.3));
                        all_ns += c[k] as f64 * ns;
                        if !op.has_zero_operand() {
                            nonzero_ns += c[k] as f64 * ns;
                        }
                    }
                    (all_ns * 1e-9 / t_h1, nonzero_ns * 1e-9 / threads as f64)
                });
                let efficiency = priced.map(|(e, _)| e);
                let floor_s = priced.map(|(_, f)| f);
                let ceiling = mpm.zip(floor_s).map(|(m, f)| m / f);
                let faster_peer = match (jax, tf) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                let ratio = faster_peer.map(|f| t_h / f).or(mpm.map(|m| m / t_h));
                let ratio_s = match (faster_peer, mpm) {
                    (Some(_), _) => format!("{:.2}", ratio.unwrap_or(f64::NAN)),
                    (None, Some(_)) => format!("{:.0}×", ratio.unwrap_or(f64::NAN)),
                    _ => "–".into(),
                };
                println!(
                    "{stem:<16} {p:>5} {:<9} {:<13} {t_h:>10.3e} {cost:>8.2} {:>7} {:>10} {:>10} {:>10} {ratio_s:>9} {:>7}",
                    precision.to_string(),
                    method.name(),
                    efficiency.map_or_else(|| "–".into(), |e| format!("{:.0}%", 100.0 * e)),
                    fmt_s(jax),
                    fmt_s(tf),
                    fmt_s(mpm),
                    ceiling.map_or_else(|| "–".into(), |c| format!("{c:.0}×"))
                );
                row["hessian_s"] = json!(t_h);
                row["hessian_1_thread_s"] = json!(t_h1);
                row["hessian_1_thread_fastest_s"] = json!(t_h1_runs.fastest);
                row["cost_in_gradients"] = json!(cost);
                row["mpfr_efficiency"] = json!(efficiency);
                row["mpfr_ops"] = json!(counts.map(|c| Op::ALL.iter().zip(c).filter(|(_, n)| *n > 0).map(|(o, n)| (o.name(), n)).collect::<BTreeMap<_, _>>()));
                row["ratio_to_faster_peer"] = json!(faster_peer.map(|f| t_h / f));
                row["speedup_vs_mpmath"] = json!(mpm.map(|m| m / t_h));
                row["mpfr_floor_s"] = json!(floor_s);
                row["max_speedup_vs_mpmath_with_mpfr"] = json!(ceiling);
                rows.push(row);
            }
        }
    }
    println!("ratio: T_H / faster of JAX and TF at the same dtype (≤ 1 is the target); for mp:256, mpmath (77 digits, forward-over-reverse) / T_H");
    println!(
        "max×: mpmath / the MPFR floor — the Hessian's MPFR operations without a zero operand at their tight-loop prices, shared \
         perfectly among the {threads} thread(s): the largest ratio any computation of these bits with MPFR could reach here"
    );
    println!("MPFR tight-loop prices [ns/op]: {}", loop_ns.iter().map(|((b, k), ns)| format!("{} @{b}: {ns:.1}", Op::ALL[*k].name())).collect::<Vec<_>>().join(", "));
    if let Some(out) = &args.json {
        let doc = json!({
            "threads": threads,
            "peers_file": args.peers.as_ref().map(|p| p.display().to_string()),
            "tight_loop_ns": loop_ns.iter().map(|((b, k), ns)| json!({"bits": b, "op": Op::ALL[*k].name(), "ns": ns})).collect::<Vec<_>>(),
            "rows": rows,
        });
        crate::results::write_atomic(out, serde_json::to_string_pretty(&doc)?.as_bytes())?;
        println!("wrote {}", out.display());
    }
    Ok(())
}
