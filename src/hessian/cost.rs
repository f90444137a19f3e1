//! What a Hessian computation (or an analysis made of several) will cost before it runs: the
//! estimated peak memory and the refusal of work that would not fit in the available memory.
//!
//! Per entry, a matrix costs [`EntryBytes`] (packed as its lines are computed for MPFR formats);
//! the workers add their own state ([`work_estimate`]). Sizes from untrusted input are checked
//! first ([`Dims::checked`]); the estimates are `f64`, so they never overflow. The estimates are upper bounds of the
//! typical case, not measurements: they decide whether to refuse a run (`--force` overrides).

use std::path::Path;

use super::{EntryBytes, Method};
use crate::error::Error;
use crate::model::Problem;
use crate::scalar::Precision;

/// The sizes of a problem that its memory depends on, checked when they come from untrusted
/// input ([`Dims::checked`]): the estimates below are computed in `f64`, so they never
/// overflow (a huge size gives a huge or infinite estimate, refused).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dims {
    /// P, the number of parameters.
    pub params: u64,
    /// N, the batch size.
    pub n: u64,
    /// Σ d_l, the widths of all layers.
    pub widths: u64,
    /// d_0 + d_L, the numbers of one sample (inputs and targets).
    pub sample: u64,
}

impl Dims {
    /// The sizes of `problem`.
    pub fn of(problem: &Problem) -> Dims {
        let l = &problem.spec.layers;
        let (d0, dl) = (l[0] as u64, l[l.len() - 1] as u64);
        Dims { params: problem.spec.num_params() as u64, n: problem.n as u64, widths: l.iter().map(|&w| w as u64).sum(), sample: d0 + dl }
    }

    /// The sizes of an MLP of widths `layers` (at least one) on `n` samples, or `None` when P or
    /// Σ d_l overflows a `u64` ([`crate::limits::checked_num_params`]).
    pub fn checked(layers: &[usize], n: u64) -> Option<Dims> {
        let params = crate::limits::checked_num_params(layers)?;
        let widths = layers.iter().try_fold(0u64, |a, &w| a.checked_add(w as u64))?;
        let sample = (*layers.first()? as u64).checked_add(*layers.last()? as u64)?;
        Some(Dims { params, n, widths, sample })
    }

    /// Estimated memory of the problem itself, held as decimal text (inputs, targets, θ), and of
    /// its JSON: [`DECIMAL_BYTES`] per number.
    pub fn problem_bytes(&self) -> f64 {
        (self.params as f64 + self.n as f64 * self.sample as f64) * DECIMAL_BYTES
    }
}

/// Estimated bytes of one number held as decimal text: the `String` (24 bytes), its heap
/// buffer (~24 bytes), and its pretty-printed JSON (~30 bytes), rounded up.
pub const DECIMAL_BYTES: f64 = 100.0;

/// Estimated peak memory of a Hessian computation, in bytes: the matrix as it is built
/// ([`EntryBytes::built`]: packed as its lines are computed for MPFR formats) plus the workers'
/// state ([`work_estimate`]). Writing it (`--out`) streams the file and adds nothing.
pub fn memory_estimate(problem: &Problem, method: Method, precision: Precision, threads: usize) -> f64 {
    dims_memory(&Dims::of(problem), method, precision, threads)
}

/// [`memory_estimate`] from the problem's sizes.
pub fn dims_memory(d: &Dims, method: Method, precision: Precision, threads: usize) -> f64 {
    let p = d.params as f64;
    p * p * EntryBytes::of(precision).built + dims_work(d, method, precision, threads)
}

/// Estimated memory of the workers of a Hessian computation besides the matrix, in bytes.
pub fn work_estimate(problem: &Problem, method: Method, precision: Precision, threads: usize) -> f64 {
    dims_work(&Dims::of(problem), method, precision, threads)
}

/// [`work_estimate`] from the problem's sizes.
pub fn dims_work(d: &Dims, method: Method, precision: Precision, threads: usize) -> f64 {
    let p = d.params as f64;
    let n = d.n as f64;
    let v = precision.bytes_per_value() as f64;
    let units = n * d.widths as f64;
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
    /// The problem's sizes.
    pub dims: Dims,
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
    let pr = &a.dims;
    let p2 = (pr.params as f64).powi(2);
    let tbits = a.truth_bits;
    let t = EntryBytes::of(Precision::Mp(tbits));
    let check = EntryBytes::of(Precision::Mp(tbits.saturating_add(a.check_extra)));
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
            let work = dims_work(pr, m, q, threads).max(dims_work(pr, m, Precision::Mp(tbits), threads));
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
