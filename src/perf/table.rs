//! The benchmark table: Clairaut's Hessian time per problem × precision × method, beside the
//! peers' times (JAX, TensorFlow, mpmath) read from a `bench-peers.py` JSON of the same run,
//! with the ratios, the Hessian-to-gradient cost ratio and the MPFR efficiency.
//!
//! * `T_H` is the wall time of the Hessian on the table's threads (default: all cores, as the
//!   peers use) — the figure compared with the peers'; the median of repeated runs when one
//!   takes less than [`HESSIAN_MIN_S`].
//! * cost ratio = `T_H1 / (P × T_grad)`, both single-threaded (`T_H1` the Hessian measured
//!   again on one thread, median as `T_H`; `T_grad` one gradient at the same precision, the
//!   mean of repeated calls).
//! * MPFR efficiency (MPFR precisions) = `Σ_k n_k · t_k / T_H1`, with `n_k` the MPFR operations
//!   of kind k the Hessian performs (counted in a third run, untimed, so that counting costs
//!   nothing in `T_H1`) and `t_k` the time one such operation takes at that precision in the
//!   tight allocation-free loop ([`pricer::price_ns`]).
//! * MPFR floor (MPFR precisions) = `Σ_k n_k · t_k / threads` over the kinds without a zero
//!   operand: the counted operations that do arithmetic on the limbs, at their tight-loop
//!   prices, divided perfectly among the threads — the least time in which MPFR could produce
//!   these bits (each rounding is one step of the definition). `max×` = mpmath / floor, the
//!   largest ratio to the mpmath script an MPFR computation could reach on this machine.
//! * A cell whose estimated time (`P × T_grad × c / threads`, c = 6 for rev-rev, 1 otherwise,
//!   tripled for MPFR precisions' three runs, doubled otherwise) exceeds the budget is reported
//!   as skipped with its estimate.
//!
//! The problems measured by default are listed in one file, [`PROBLEM_LIST`], which the
//! scripts (`bench-table.sh`, `bench-peers.py`) read too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::{pricer, time, Timed};
use crate::error::Error;
use crate::method::Method;
use crate::model::Problem;
use crate::scalar::opcount::{self, Counts, Op};
use crate::scalar::precision::Arith;
use crate::scalar::{MathLib, Precision};

/// A Hessian shorter than this many seconds is repeated until this many seconds have passed
/// and the median run is reported (the peers report the median of repeated warm calls too).
pub const HESSIAN_MIN_S: f64 = 0.5;

/// The file listing the problems measured by default, one path per line (relative to the
/// repository root; `#` starts a comment).
pub const PROBLEM_LIST: &str = "experiments/bench/problems.txt";

/// The problems listed in `list` (a file in the format of [`PROBLEM_LIST`]).
pub fn read_problem_list(list: &Path) -> Result<Vec<PathBuf>, Error> {
    let text = std::fs::read_to_string(list).map_err(|e| Error::Io { path: list.to_path_buf(), message: e.to_string() })?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect())
}

/// The peers' timings: a `bench-peers.py` JSON, or none.
#[derive(Clone, Debug, Default)]
pub struct Peers(Value);

impl Peers {
    /// Reads a `bench-peers.py` JSON.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io { path: path.to_path_buf(), message: e.to_string() })?;
        serde_json::from_str(&text).map(Peers).map_err(|e| Error::Json { path: path.to_path_buf(), message: e.to_string() })
    }

    /// A peer's median time for `problem` (matched by file name), `dtype` and a method whose
    /// name contains `method_prefix`.
    pub fn time(&self, problem: &str, dtype: &str, peer: &str, method_prefix: &str) -> Option<f64> {
        let name = |p: &str| Path::new(p).file_name().map(|f| f.to_string_lossy().into_owned());
        self.0["results"].as_array()?.iter().find_map(|r| {
            let ok = name(r["problem"].as_str()?) == name(problem)
                && r["dtype"].as_str()? == dtype
                && r["peer"].as_str()? == peer
                && r["method"].as_str().unwrap_or("").contains(method_prefix);
            if ok { r["median_s"].as_f64() } else { None }
        })
    }
}

/// What to measure.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Problem files.
    pub problems: Vec<PathBuf>,
    /// Methods.
    pub methods: Vec<Method>,
    /// Precisions.
    pub precisions: Vec<Precision>,
    /// The peers' timings.
    pub peers: Peers,
    /// Skip a cell whose estimated time exceeds this many seconds.
    pub budget: f64,
    /// Worker threads for `T_H`.
    pub threads: usize,
}

/// The figures of a measured cell.
#[derive(Clone, Debug)]
pub struct Measured {
    /// `T_H` on the table's threads.
    pub hessian_s: f64,
    /// `T_H1`, one thread (median).
    pub hessian_1_thread_s: f64,
    /// The fastest one-thread run.
    pub hessian_1_thread_fastest_s: f64,
    /// `T_H1 / (P × T_grad)`.
    pub cost_in_gradients: f64,
    /// The MPFR operations of one Hessian (MPFR precisions).
    pub mpfr_ops: Option<Counts>,
    /// `Σ_k n_k · t_k / T_H1` (MPFR precisions).
    pub mpfr_efficiency: Option<f64>,
    /// The MPFR floor (MPFR precisions).
    pub mpfr_floor_s: Option<f64>,
    /// The faster of JAX and TensorFlow.
    pub faster_peer_s: Option<f64>,
}

/// One problem × precision × method.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The problem file, as given.
    pub problem: PathBuf,
    /// Parameters.
    pub p: usize,
    /// The precision.
    pub precision: Precision,
    /// The method.
    pub method: Method,
    /// `T_grad`, one thread (mean).
    pub gradient_s: f64,
    /// The estimated time of the cell's runs.
    pub estimate_s: f64,
    /// JAX's median time at the same dtype.
    pub jax_s: Option<f64>,
    /// TensorFlow's.
    pub tensorflow_s: Option<f64>,
    /// mpmath's (77 digits, forward-over-reverse; `mp:256` only).
    pub mpmath_s: Option<f64>,
    /// The figures, or `None` when the cell was skipped (over the budget).
    pub measured: Option<Measured>,
}

impl Cell {
    /// `T_H` / the faster peer, or for `mp:256` mpmath / `T_H`.
    pub fn ratio(&self) -> Option<f64> {
        let m = self.measured.as_ref()?;
        m.faster_peer_s.map(|f| m.hessian_s / f).or(self.mpmath_s.map(|x| x / m.hessian_s))
    }

    /// mpmath / the MPFR floor: the largest ratio to mpmath an MPFR computation could reach.
    pub fn max_speedup_vs_mpmath(&self) -> Option<f64> {
        self.mpmath_s.zip(self.measured.as_ref()?.mpfr_floor_s).map(|(m, f)| m / f)
    }
}

impl Cell {
    /// The cell as a row of the table's JSON (the keys of `results/bench/bench.json`).
    pub fn to_json(&self, threads: usize) -> Value {
        let mut row = json!({
            "problem": self.problem.to_string_lossy(), "P": self.p, "precision": self.precision.to_string(),
            "method": self.method.name(), "threads": threads, "gradient_s": self.gradient_s,
            "estimate_s": self.estimate_s, "jax_s": self.jax_s, "tensorflow_s": self.tensorflow_s,
            "mpmath_fwd_rev_77_digits_s": self.mpmath_s,
        });
        let Some(m) = &self.measured else {
            row["skipped"] = json!(true);
            return row;
        };
        row["hessian_s"] = json!(m.hessian_s);
        row["hessian_1_thread_s"] = json!(m.hessian_1_thread_s);
        row["hessian_1_thread_fastest_s"] = json!(m.hessian_1_thread_fastest_s);
        row["cost_in_gradients"] = json!(m.cost_in_gradients);
        row["mpfr_efficiency"] = json!(m.mpfr_efficiency);
        row["mpfr_ops"] = json!(m.mpfr_ops.map(|c| Op::ALL.iter().zip(c).filter(|(_, n)| *n > 0).map(|(o, n)| (o.name(), n)).collect::<BTreeMap<_, _>>()));
        row["ratio_to_faster_peer"] = json!(m.faster_peer_s.map(|f| m.hessian_s / f));
        row["speedup_vs_mpmath"] = json!(self.mpmath_s.map(|x| x / m.hessian_s));
        row["mpfr_floor_s"] = json!(m.mpfr_floor_s);
        row["max_speedup_vs_mpmath_with_mpfr"] = json!(self.max_speedup_vs_mpmath());
        row
    }
}

/// Every cell of a table, and the tight-loop prices they were charged at.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Worker threads for `T_H`.
    pub threads: usize,
    /// The cells, in the order measured (problem, then precision, then method).
    pub cells: Vec<Cell>,
    /// Nanoseconds per operation, by (bits, index into [`Op::ALL`]).
    pub loop_ns: BTreeMap<(u32, usize), f64>,
}

impl Table {
    /// The table as JSON (`peers_file`: where the peers' timings came from).
    pub fn to_json(&self, peers_file: Option<&str>) -> Value {
        json!({
            "threads": self.threads,
            "peers_file": peers_file,
            "tight_loop_ns": self.loop_ns.iter().map(|((b, k), ns)| json!({"bits": b, "op": Op::ALL[*k].name(), "ns": ns})).collect::<Vec<_>>(),
            "rows": self.cells.iter().map(|c| c.to_json(self.threads)).collect::<Vec<_>>(),
        })
    }

    /// Measures every cell of `spec`, handing each to `on_cell` as soon as it is done.
    pub fn measure(spec: &Spec, mut on_cell: impl FnMut(&Cell)) -> Result<Table, Error> {
        let mut table = Table { threads: spec.threads, ..Default::default() };
        for path in &spec.problems {
            let problem = Problem::load(path)?;
            for &precision in &spec.precisions {
                let arith = Arith { precision, math: MathLib::CoreMath, fma: false };
                let gradient_s = time(&problem, &arith, 1, Timed::Gradient { min_s: 0.3 })?.typical;
                let peer = |dtype, peer, method| spec.peers.time(&path.to_string_lossy(), dtype, peer, method);
                let (jax_s, tensorflow_s, mpmath_s) = match precision {
                    Precision::F64 => (peer("float64", "jax", ""), peer("float64", "tensorflow", ""), None),
                    Precision::F32 => (peer("float32", "jax", ""), peer("float32", "tensorflow", ""), None),
                    // mpmath at 77 digits (≈ 256 bits), forward-over-reverse
                    Precision::Mp(256) => (None, None, peer("float64", "mpmath", "forward-over-reverse")),
                    _ => (None, None, None),
                };
                for &method in &spec.methods {
                    let p = problem.spec.num_params();
                    let is_mp = matches!(precision, Precision::Mp(_));
                    let c = if method == Method::RevRev { 6.0 } else { 1.0 } * if is_mp { 3.0 } else { 2.0 };
                    let estimate_s = p as f64 * gradient_s * c / spec.threads as f64;
                    let mut cell = Cell { problem: path.clone(), p, precision, method, gradient_s, estimate_s, jax_s, tensorflow_s, mpmath_s, measured: None };
                    if estimate_s <= spec.budget {
                        cell.measured = Some(table.measure_cell(&problem, &arith, &cell)?);
                    }
                    on_cell(&cell);
                    table.cells.push(cell);
                }
            }
        }
        Ok(table)
    }

    /// The figures of `cell` (its problem, precision, method, `T_grad` and peers known).
    fn measure_cell(&mut self, problem: &Problem, arith: &Arith, cell: &Cell) -> Result<Measured, Error> {
        let (precision, threads) = (cell.precision, self.threads);
        let run = |t: usize, min_s: f64| time(problem, arith, t, Timed::Hessian { method: cell.method, min_s });
        let t_h = run(threads, HESSIAN_MIN_S)?;
        let t_h1 = if threads == 1 { t_h } else { run(1, HESSIAN_MIN_S)? };
        // one run, so that the counts are one Hessian's
        let mpfr_ops = match precision {
            Precision::Mp(_) => {
                let (r, c) = opcount::count_ops(|| run(1, 0.0));
                r?;
                Some(c)
            }
            _ => None,
        };
        // Σ n_k·t_k over every counted kind (efficiency), and over the kinds without a zero
        // operand divided among the threads: the floor of an MPFR computation of these bits
        let priced = mpfr_ops.map(|c| {
            let (mut all_ns, mut nonzero_ns) = (0.0, 0.0);
            for (k, &op) in Op::ALL.iter().enumerate().filter(|(k, _)| c[*k] > 0) {
                let ns = *self.loop_ns.entry((precision.bits(), k)).or_insert_with(|| pricer::price_ns(op, precision.bits(), 0.3));
                all_ns += c[k] as f64 * ns;
                if !op.has_zero_operand() {
                    nonzero_ns += c[k] as f64 * ns;
                }
            }
            (all_ns * 1e-9 / t_h1.typical, nonzero_ns * 1e-9 / threads as f64)
        });
        let faster_peer_s = match (cell.jax_s, cell.tensorflow_s) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(Measured {
            hessian_s: t_h.typical,
            hessian_1_thread_s: t_h1.typical,
            hessian_1_thread_fastest_s: t_h1.fastest,
            cost_in_gradients: t_h1.typical / (cell.p as f64 * cell.gradient_s),
            mpfr_ops,
            mpfr_efficiency: priced.map(|(e, _)| e),
            mpfr_floor_s: priced.map(|(_, f)| f),
            faster_peer_s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_problem_list_names_the_committed_bench_problems() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let list = read_problem_list(&root.join(PROBLEM_LIST)).unwrap();
        assert_eq!(list.len(), 4);
        for p in list {
            assert!(root.join(&p).is_file(), "{}", p.display());
        }
    }
}
