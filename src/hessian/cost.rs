//! What a Hessian computation (or an analysis made of several) will cost before it runs: the
//! estimated peak memory and the refusal of work that would not fit in the available memory.
//!
//! Per entry, a matrix costs [`EntryBytes`] (packed as its lines are computed for MPFR formats);
//! the workers add their own state ([`work_estimate`]). The estimates are upper bounds of the
//! typical case, not measurements: they decide whether to refuse a run (`--force` overrides).

use std::path::Path;

use super::{EntryBytes, Method};
use crate::error::Error;
use crate::model::Problem;
use crate::scalar::Precision;

/// Estimated peak memory of a Hessian computation, in bytes: the matrix as it is built
/// ([`EntryBytes::built`]: packed as its lines are computed for MPFR formats) plus the workers'
/// state ([`work_estimate`]). Writing it (`--out`) streams the file and adds nothing.
pub fn memory_estimate(problem: &Problem, method: Method, precision: Precision, threads: usize) -> f64 {
    let p = problem.spec.num_params() as f64;
    p * p * EntryBytes::of(precision).built + work_estimate(problem, method, precision, threads)
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
    refuse_if_too_large(&problem.source, need, &what)
}

/// The shape of an analysis, as far as its memory depends on it (see [`analysis_memory`]).
#[derive(Clone, Copy, Debug)]
pub struct AnalysisShape<'a> {
    /// The problem.
    pub problem: &'a Problem,
    /// The methods.
    pub methods: &'a [Method],
    /// The working precisions.
    pub precisions: &'a [Precision],
    /// Number of summation orders.
    pub orders: usize,
    /// Number of FMA policies.
    pub fmas: usize,
    /// Bits of the truth.
    pub truth_bits: u32,
    /// Extra bits of the certifying recomputation.
    pub check_extra: u32,
    /// Whether the spectra of the symmetric parts are computed.
    pub spectrum: bool,
    /// Whether every cell's matrix is kept to the end.
    pub keep_matrices: bool,
}

/// Estimated peak memory of an analysis, in bytes, following the order of work of
/// `analysis::analyze` (every matrix packed once built; per entry, [`EntryBytes`]):
///
/// 1. the truth T (`fwd-rev`, exact order, t bits), its check at t + check bits beside it, and
///    the agreeing bits (4 bytes per entry); then T packed;
/// 2. per precision, T(q) built beside T, then packed;
/// 3. per (method, precision, fma): T, T(q), H of each order, H at truth precision of the cell
///    whose metrics run (and their 4-byte significant bits, 24 bytes of `f64` spectrum work),
///    and the next cell being computed — H built and packed, then H at truth precision built
///    and packed — with its workers ([`work_estimate`] at `threads`).
///
/// With `keep_matrices`, every cell's H stays to the end.
pub fn analysis_memory(a: &AnalysisShape<'_>, threads: usize) -> f64 {
    let pr = a.problem;
    let p2 = (pr.spec.num_params() as f64).powi(2);
    let tbits = a.truth_bits;
    let t = EntryBytes::of(Precision::Mp(tbits));
    let check = EntryBytes::of(Precision::Mp(tbits + a.check_extra));
    let truth = (t.built + check.built + 4.0).max(t.built + 4.0 + t.packed);
    let quantized = t.packed + t.packing();
    let per_cell = (a.orders * a.fmas) as f64;
    let all_h: f64 = a.methods.len() as f64 * a.precisions.iter().map(|&q| EntryBytes::of(q).packed).sum::<f64>() * per_cell;
    let spectrum = if a.spectrum { 24.0 } else { 0.0 };
    let mut peak = p2 * truth.max(quantized);
    for &m in a.methods {
        for &q in a.precisions {
            let (h, hi) = (EntryBytes::of(q), EntryBytes::of(Precision::Mp(tbits)));
            let kept = if a.keep_matrices { all_h } else { a.orders as f64 * h.packed };
            let next = h.packing().max(h.packed + hi.packing());
            let work = work_estimate(pr, m, q, threads).max(work_estimate(pr, m, Precision::Mp(tbits), threads));
            let group = 2.0 * t.packed + kept + hi.packed + 4.0 + spectrum + next;
            peak = peak.max(p2 * group + work);
        }
    }
    peak
}

/// Available memory in bytes (`MemAvailable` of /proc/meminfo), if known.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Refuses (with the estimate) work needing `need` bytes when that exceeds the available
/// memory; `what` describes the work, e.g. "P = 6: the fwd-rev Hessian at f64 needs".
pub fn refuse_if_too_large(path: &Path, need: f64, what: &str) -> Result<(), Error> {
    match available_memory() {
        Some(avail) if need > avail as f64 => Err(Error::TooLarge {
            path: path.to_path_buf(),
            message: format!("{what} an estimated {}, more than the {} available", fmt_bytes(need), fmt_bytes(avail as f64)),
        }),
        _ => Ok(()),
    }
}

/// Human-readable bytes.
pub fn fmt_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut x = b;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < UNITS.len() {
        x /= 1024.0;
        u += 1;
    }
    format!("{x:.1} {}", UNITS[u])
}
