//! Multi-core scaling of `fwd-rev` beside the tight MPFR loop ([`super::pricer`]): for each
//! thread count t, the parallel efficiency of the Hessian `E(t) = T(t₀)·t₀ / (t·T(t))` and of
//! the loop with the same work per thread `E(t) = T(t₀) / T(t)` (t₀ the first count), and their
//! ratio — how much of the machine's own parallel limit for MPFR work the Hessian reaches. Each
//! time is the fastest of `repeat` measurements, the one least disturbed by other load.

use super::{pricer, time, Timed};
use crate::error::Error;
use crate::method::Method;
use crate::model::{Activation, Loss, Problem, Spec};
use crate::scalar::opcount::Op;
use crate::scalar::precision::Arith;
use crate::scalar::{MathLib, Precision};

/// Passes of the tight loop per thread and measurement: about ten million fused multiply-adds.
pub const LOOP_PASSES: u64 = 10_000;

/// The default problem: layers [32, 48, 8], gelu/identity, mse, N = 16, seed 1.
pub fn default_problem() -> Problem {
    let spec = Spec::new(vec![32, 48, 8], vec![Activation::Gelu, Activation::Identity], Loss::Mse);
    Problem::generate(&spec, 16, 1)
}

/// The figures of one thread count.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// Threads.
    pub threads: usize,
    /// The Hessian's seconds.
    pub hessian_s: f64,
    /// The Hessian's parallel efficiency.
    pub efficiency: f64,
    /// The tight loop's seconds.
    pub loop_s: f64,
    /// The tight loop's parallel efficiency.
    pub loop_efficiency: f64,
    /// `efficiency / loop_efficiency`.
    pub ratio: f64,
}

/// Measures `fwd-rev` on `problem` at `precision` (sequential order, no FMA) at each of
/// `threads` (counts ≥ 1), handing each row to `on_row` as soon as it is measured.
pub fn measure(problem: &Problem, precision: Precision, threads: &[usize], repeat: u32, mut on_row: impl FnMut(&Row)) -> Result<Vec<Row>, Error> {
    let arith = Arith { precision, math: MathLib::CoreMath, fma: false };
    let bits = precision.bits();
    pricer::parallel_seconds(Op::Fma, bits, 1, LOOP_PASSES / 10); // warm-up (frequency, page faults)
    let (mut h1, mut l1) = (0.0, 0.0);
    let mut rows = Vec::with_capacity(threads.len());
    for (k, &t) in threads.iter().enumerate() {
        let (mut hessian_s, mut loop_s) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..repeat.max(1) {
            hessian_s = hessian_s.min(time(problem, &arith, t, Timed::Hessian { method: Method::FwdRev, min_s: 0.0 })?.fastest);
            loop_s = loop_s.min(pricer::parallel_seconds(Op::Fma, bits, t, LOOP_PASSES));
        }
        if k == 0 {
            h1 = hessian_s * t as f64;
            l1 = loop_s;
        }
        let (efficiency, loop_efficiency) = (h1 / (t as f64 * hessian_s), l1 / loop_s);
        let row = Row { threads: t, hessian_s, efficiency, loop_s, loop_efficiency, ratio: efficiency / loop_efficiency };
        on_row(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// The processor's model name (`/proc/cpuinfo`), or an empty string.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_default()
}
