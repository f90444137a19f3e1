//! What a Hessian computation (or an analysis made of several) will cost before it runs: the
//! estimated peak memory and the refusal of work that would not fit in the available memory,
//! and the estimated time ([`hessian_seconds`], [`analysis_seconds`]).
//!
//! Per entry, a matrix costs [`EntryBytes`] (packed as its lines are computed for MPFR formats);
//! the workers add their own state ([`work_estimate`]). Sizes from untrusted input are checked
//! first ([`Dims::checked`]); the estimates are `f64`, so they never overflow. The estimates are upper bounds of the
//! typical case, not measurements: they decide whether to refuse a run (`--force` overrides).
//!
//! **Time.** A Hessian by method m at precision q costs about
//! `c(m, q) · L_m(P) · T_grad(q) / threads` seconds: `T_grad(q)` is the price of one loss and
//! gradient of *this* problem in format q, measured when the estimate is made
//! ([`gradient_seconds`], a few ms); `L_m(P)` the method's work count — P lines for the methods
//! that build H a line at a time from gradient-like passes, P² for `fwd-fwd` (one hyper-dual
//! evaluation per entry) and the loss differences (`fd-loss-*`: four losses per entry); and
//! `c(m, q)` a constant per method and kind of arithmetic (hardware f32/f64, or MPFR and the
//! emulated formats), measured on the development machine ([`TIME_FACTORS`], with the command
//! that measures them). An estimate is an order of magnitude (within a factor of about 2 to 3),
//! not a promise: the progress bars' ETA corrects it as the work goes.

use std::path::Path;
use std::time::Instant;

use super::{EntryBytes, Method};
use crate::ad::{LaneDot, WithReal};
use crate::error::Error;
use crate::model::{InputMode, Problem};
use crate::order::{Eval, Order};
use crate::scalar::matmul::PrecisionPolicy;
use crate::scalar::precision::Arith;
use crate::scalar::{IeeeFormat, MathLib, Precision};

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

    /// The sizes of an MLP of widths `layers` (at least one) with the bias flags `bias` (one per
    /// layer; a layer without a flag has a bias) on `n` samples, or `None` when P or Σ d_l
    /// overflows a `u64` ([`crate::limits::checked_num_params_with`]).
    pub fn checked(layers: &[usize], bias: &[bool], n: u64) -> Option<Dims> {
        let params = crate::limits::checked_num_params_with(layers, bias)?;
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
        // tape: ~6 nodes per (sample, parameter); each sweep worker keeps an adjoint and a stamp
        // per node, or in lanes (`rev_rev::in_lanes`: f32, f64 and the narrow formats) 64 bytes
        // of adjoints and 8 of lane mask and stamp
        Method::RevRev => {
            let narrow = matches!(precision, Precision::Ieee(f) if f == IeeeFormat::BINARY16 || f == IeeeFormat::BFLOAT16);
            let worker = if is_hardware(precision) || narrow { 72.0 } else { v + 4.0 };
            6.0 * n * p * ((v + 16.0) + threads as f64 * worker)
        }
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
    /// Number of precision policies (every one counted at every precision: an upper bound,
    /// since a policy's cells at precisions it cannot run at are skipped).
    pub policies: usize,
    /// Hessians at truth precision that the role attribution adds to each (method, precision,
    /// order, FMA) group of cells, over its policies: [`role_runs`].
    pub role_runs: usize,
    /// Bits of the truth.
    pub truth_bits: u32,
    /// Extra bits of the certifying recomputation.
    pub check_extra: u32,
    /// Whether the spectra of the symmetric parts are computed.
    pub spectrum: bool,
    /// Whether every cell's matrix is kept to the end.
    pub keep_matrices: bool,
}

/// The Hessians at truth precision that the role attribution of rows under `policies` adds
/// per (method, precision, order, FMA) ([`crate::analysis::roles`]): per non-uniform policy
/// its runs H₁, H₂, H₃ ([`PrecisionPolicy::role_chain`]), two where H₃ is provably H₂
/// ([`PrecisionPolicy::out_changes_nothing`]); none for `uniform`. An upper bound, as the
/// policies are: a policy's cells that cannot run are skipped with their role runs.
pub fn role_runs(policies: &[PrecisionPolicy]) -> usize {
    policies.iter().filter(|p| !p.is_uniform()).map(|p| if p.out_changes_nothing() { 2 } else { 3 }).sum()
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
///    and packed — with its workers ([`work_estimate`] at `threads`); under a policy with a
///    role attribution, its three runs at truth precision, packed ([`role_runs`]).
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
    let per_cell = (a.orders * a.fmas * a.policies) as f64;
    let all_h: f64 = a.methods.len() as f64 * a.precisions.iter().map(|&q| EntryBytes::of(q).packed).sum::<f64>() * per_cell;
    let spectrum = if a.spectrum { 24.0 } else { 0.0 };
    let mut peak = p2 * truth.max(quantized);
    for &m in a.methods {
        for &q in a.precisions {
            let (h, hi) = (EntryBytes::of(q), EntryBytes::of(Precision::Mp(tbits)));
            let kept = if a.keep_matrices { all_h } else { a.orders as f64 * h.packed };
            let next = h.packing().max(h.packed + hi.packing());
            let work = dims_work(pr, m, q, threads).max(dims_work(pr, m, Precision::Mp(tbits), threads));
            let roles = if a.role_runs > 0 { 3.0 * hi.packed } else { 0.0 };
            let group = 2.0 * t.packed + kept + hi.packed + 4.0 + spectrum + next + roles;
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

/// How a method's work grows with the number of parameters P ([`work_count`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Growth {
    /// P lines, each a gradient-like pass: `fwd-rev`, `rev-rev`, `gauss-newton`, `fd-grad-*`.
    Lines,
    /// One evaluation (or four losses) per entry: `fwd-fwd`, `fd-loss-*` — P² evaluations.
    Entries,
}

/// The time constants `c(m, q)` of the cost model (see the module doc), per method: seconds of a
/// Hessian in units of `L_m(P) · T_grad(q)` on one thread, for hardware formats (f32, f64) and
/// for MPFR and the emulated formats. Measured with `cargo test --release --lib
/// hessian::cost::tests::time_factors -- --ignored --nocapture` (one thread; the rounded mean
/// over two generated tanh problems, P = 108 and P = 316, N = 16; at P = 316 the `Entries`
/// methods only at f64) on the development machine, 2 cores of a shared virtual machine whose
/// load made single figures vary by up to 2×. The `Lines` methods reuse the primal pass and run K lanes at once,
/// hence factors below 1 gradient per line. The `Entries` methods' factors were measured again
/// after issue 17 point 3 (each entry from its seeds' layers up, the four-point schemes from
/// row tables and one triangle), the same way (`fwd-fwd` before its last step, which only made
/// it faster: an upper bound).
pub const TIME_FACTORS: [(Method, Growth, f64, f64); 9] = [
    (Method::FwdRev, Growth::Lines, 0.10, 0.25),
    (Method::RevRev, Growth::Lines, 1.5, 0.28),
    (Method::FwdFwd, Growth::Entries, 0.13, 0.06),
    (Method::GaussNewton, Growth::Lines, 0.03, 0.30),
    (Method::FdGradForward, Growth::Lines, 0.14, 0.36),
    (Method::FdGradCentral, Growth::Lines, 0.25, 0.70),
    (Method::FdGradCentral4, Growth::Lines, 0.50, 1.3),
    (Method::FdLoss4pt, Growth::Entries, 0.20, 0.13),
    (Method::FdLoss4ptAsPrinted, Growth::Entries, 0.10, 0.07),
];

/// Whether `q` runs on the hardware (f32, f64) rather than on MPFR or an emulation.
fn is_hardware(q: Precision) -> bool {
    matches!(q, Precision::F32 | Precision::F64)
}

/// The work count `L_m(P)` of a method: P or P² ([`Growth`]).
pub fn work_count(method: Method, p: usize) -> f64 {
    let p = p as f64;
    match time_factor(method).0 {
        Growth::Lines => p,
        Growth::Entries => p * p,
    }
}

/// The growth and the constants (hardware, MPFR) of `method` in [`TIME_FACTORS`].
fn time_factor(method: Method) -> (Growth, f64, f64) {
    let (_, g, hw, mp) = TIME_FACTORS.iter().copied().find(|f| f.0 == method).expect("every method has a factor");
    (g, hw, mp)
}

/// Estimated seconds of one Hessian by `method` at precision `q` with `p` parameters, on
/// `threads` workers, given `gradient_s`: one loss and gradient of the problem at `q`
/// ([`gradient_seconds`]).
pub fn hessian_seconds(method: Method, q: Precision, p: usize, gradient_s: f64, threads: usize) -> f64 {
    let (_, hw, mp) = time_factor(method);
    let c = if is_hardware(q) { hw } else { mp };
    c * work_count(method, p) * gradient_s / threads.max(1) as f64
}

/// What a method costs at P ≈ 300 at the truth's precision (mp:256, where an analysis spends its
/// time), relative to `fwd-rev`: the figure `--help` states.
pub fn relative_cost(method: Method) -> f64 {
    let at = |m: Method| time_factor(m).2 * work_count(m, 300);
    at(method) / at(Method::FwdRev)
}

/// Times one loss and gradient of a problem (inputs rounded first, outside the timing).
struct GradientTiming<'a> {
    problem: &'a Problem,
    min_s: f64,
}

impl WithReal for GradientTiming<'_> {
    type Output = Result<f64, Error>;
    fn run<R: LaneDot>(self, ctx: R::RCtx) -> Result<f64, Error> {
        let pr = self.problem;
        let inputs = pr.inputs::<R>(InputMode::Decimal, &ctx)?;
        let eval = Eval::new(Order::Sequential, pr.spec.sum_lengths(pr.n));
        // one call outside the timing: the first allocates and warms the caches
        std::hint::black_box(super::gradient(&pr.spec, pr.n, &inputs, &eval, &ctx));
        let start = Instant::now();
        let mut reps = 0u32;
        while reps < 2 || (start.elapsed().as_secs_f64() < self.min_s && reps < 1000) {
            std::hint::black_box(super::gradient(&pr.spec, pr.n, &inputs, &eval, &ctx));
            reps += 1;
        }
        Ok(start.elapsed().as_secs_f64() / f64::from(reps))
    }
}

/// Seconds of one loss and gradient of `problem` at `q` (sequential order, no FMA), on the
/// calling thread: the mean of calls repeated for about 10 ms (at least two).
pub fn gradient_seconds(problem: &Problem, q: Precision, math: MathLib) -> Result<f64, Error> {
    Arith { precision: q, math, fma: false }.dispatch(GradientTiming { problem, min_s: 0.01 })
}

/// Seconds per Hessian entry of one cell's metrics at the truth's 256 bits (the norms of every
/// part, significant bits, spreads), measured as [`TIME_FACTORS`]; scaled by bits / 256.
pub const METRICS_S_PER_ENTRY: f64 = 2.0e-6;

/// Seconds per P³ of the spectra of one cell (f64 eigenvalues of the symmetric parts).
pub const SPECTRUM_S_PER_P3: f64 = 2.0e-9;

/// Where an analysis is estimated to spend its time, in seconds on the requested threads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnalysisSeconds {
    /// The truth and its check.
    pub truth: f64,
    /// T(q) for each precision.
    pub quantized: f64,
    /// Per method, its cells: H at each precision and at truth precision, every order and FMA
    /// policy, with their metrics.
    pub methods: Vec<(Method, f64)>,
}

impl AnalysisSeconds {
    /// The whole analysis.
    pub fn total(&self) -> f64 {
        self.truth + self.quantized + self.methods.iter().map(|m| m.1).sum::<f64>()
    }
}

/// Estimated seconds of an analysis on `threads` workers, following `analysis::analyze`: the
/// truth (`fwd-rev` at t bits and its check at t + check bits), T(q) per precision (`fwd-rev` at
/// t), then per (method, precision, order, fma) H at q and at t, and its metrics, and the role
/// attribution's runs at t ([`role_runs`]). `gradient_s(q)` is one gradient of the problem at
/// `q` ([`gradient_seconds`]).
pub fn analysis_seconds(a: &AnalysisShape<'_>, gradient_s: &dyn Fn(Precision) -> f64, threads: usize) -> AnalysisSeconds {
    let p = a.dims.params as usize;
    let (t, check) = (Precision::Mp(a.truth_bits), Precision::Mp(a.truth_bits + a.check_extra));
    let fwd_rev = |q: Precision| hessian_seconds(Method::FwdRev, q, p, gradient_s(q), threads);
    let truth = fwd_rev(t) + fwd_rev(check);
    let mut distinct: Vec<Precision> = Vec::new();
    for &q in a.precisions {
        if !distinct.contains(&q) {
            distinct.push(q);
        }
    }
    let quantized = distinct.len() as f64 * fwd_rev(t);
    let p2 = (p as f64).powi(2);
    let metrics = p2 * METRICS_S_PER_ENTRY * f64::from(a.truth_bits) / 256.0
        + if a.spectrum { SPECTRUM_S_PER_P3 * p2 * p as f64 } else { 0.0 };
    let per_cell = (a.orders * a.fmas * a.policies) as f64;
    let role_runs = (a.orders * a.fmas * a.role_runs) as f64;
    let methods = a
        .methods
        .iter()
        .map(|&m| {
            let at_t = hessian_seconds(m, t, p, gradient_s(t), threads);
            let s: f64 = distinct.iter().map(|&q| per_cell * (hessian_seconds(m, q, p, gradient_s(q), threads) + at_t + metrics) + role_runs * at_t).sum();
            (m, s)
        })
        .collect();
    AnalysisSeconds { truth, quantized, methods }
}

/// Human-readable seconds: `0.4 s`, `12 s`, `3 min 20 s`, `2 h 05 min`.
pub fn fmt_seconds(s: f64) -> String {
    if !s.is_finite() {
        return "?".into();
    }
    if s < 10.0 {
        return format!("{s:.1} s");
    }
    let s = s.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Activation, Loss, Spec};

    #[test]
    fn seconds_read_as_a_person_would_say_them() {
        assert_eq!(fmt_seconds(0.04), "0.0 s");
        assert_eq!(fmt_seconds(9.94), "9.9 s");
        assert_eq!(fmt_seconds(42.4), "42 s");
        assert_eq!(fmt_seconds(200.0), "3 min 20 s");
        assert_eq!(fmt_seconds(7500.0), "2 h 05 min");
        assert_eq!(fmt_seconds(f64::NAN), "?");
    }

    #[test]
    fn the_entry_methods_grow_as_p_squared_and_cost_more() {
        for m in Method::ALL {
            let ratio = work_count(m, 200) / work_count(m, 100);
            let expected = if matches!(m, Method::FwdFwd | Method::FdLoss4pt | Method::FdLoss4ptAsPrinted) { 4.0 } else { 2.0 };
            assert_eq!(ratio, expected, "{m}");
        }
        assert_eq!(relative_cost(Method::FwdRev), 1.0);
        // the observation: at P ≈ 300 these cost ~100× the line methods
        for m in [Method::FwdFwd, Method::FdLoss4pt] {
            assert!(relative_cost(m) > 50.0, "{m}: {}", relative_cost(m));
        }
        for m in [Method::RevRev, Method::GaussNewton, Method::FdGradCentral] {
            assert!(relative_cost(m) < 5.0, "{m}: {}", relative_cost(m));
        }
    }

    /// The role attribution's runs: 3 per policy, 2 where `out` changes nothing, 0 for
    /// `uniform`; each one more Hessian at truth precision per (order, FMA), in time and memory.
    #[test]
    fn role_runs_are_counted() {
        let pol = |s: &str| s.parse::<PrecisionPolicy>().unwrap();
        assert_eq!(role_runs(&[pol("uniform")]), 0);
        assert_eq!(role_runs(&[pol("tf2-ampere")]), 2);
        assert_eq!(role_runs(&[pol("torch-autocast-bf16")]), 3);
        let policies = [pol("uniform"), pol("tf2-ampere"), pol("torch-autocast-bf16")];
        assert_eq!(role_runs(&policies), 5);
        let dims = Dims { params: 100, n: 8, widths: 20, sample: 6 };
        let shape = |role_runs| AnalysisShape {
            dims,
            methods: &[Method::FwdRev],
            precisions: &[Precision::F32],
            // every cell's H kept: the cells' group, not the truth, is the peak of memory
            orders: 50,
            fmas: 1,
            policies: 3,
            role_runs,
            truth_bits: 256,
            check_extra: 64,
            spectrum: false,
            keep_matrices: true,
        };
        let price = |q: Precision| if matches!(q, Precision::Mp(_)) { 1e-3 } else { 1e-5 };
        let (without, with) = (analysis_seconds(&shape(0), &price, 1), analysis_seconds(&shape(5), &price, 1));
        let at_t = hessian_seconds(Method::FwdRev, Precision::Mp(256), 100, 1e-3, 1);
        let added = with.total() - without.total();
        assert!((added - 50.0 * 5.0 * at_t).abs() <= 1e-9 * added, "{added} vs {}", 250.0 * at_t);
        let t = EntryBytes::of(Precision::Mp(256)).packed;
        let grown = analysis_memory(&shape(5), 1) - analysis_memory(&shape(0), 1);
        assert!((grown - 3.0 * t * 1e4).abs() <= 1e-9 * grown, "{grown}");
    }

    #[test]
    fn a_gradient_is_timed_at_every_kind_of_format() {
        let spec = Spec::new(vec![3, 4, 2], vec![Activation::Tanh, Activation::Identity], Loss::Mse);
        let pr = Problem::generate(&spec, 4, 1);
        for q in ["f32", "f64", "binary16", "mp:256"] {
            let s = gradient_seconds(&pr, q.parse().unwrap(), MathLib::CoreMath).unwrap();
            assert!(s > 0.0 && s < 0.1, "{q}: {s}");
        }
    }

    /// Hessian seconds of `m` at `q`, one thread.
    struct HessianTiming<'a>(&'a Problem, Method);
    impl WithReal for HessianTiming<'_> {
        type Output = f64;
        fn run<R: LaneDot>(self, ctx: R::RCtx) -> f64 {
            let pr = self.0;
            let inputs = pr.inputs::<R>(InputMode::Decimal, &ctx).unwrap();
            let eval = Eval::new(Order::Sequential, pr.spec.sum_lengths(pr.n));
            let start = Instant::now();
            std::hint::black_box(super::super::compute(self.1, &pr.spec, pr.n, &inputs, &eval, &ctx));
            start.elapsed().as_secs_f64()
        }
    }

    /// Prints the measured `c(m, q)` of [`TIME_FACTORS`] (run it alone, in release mode).
    #[test]
    #[ignore = "a measurement: prints the constants of TIME_FACTORS"]
    fn time_factors() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        for (layers, acts) in [(vec![8, 8, 4], 2), (vec![8, 12, 12, 4], 3)] {
            let mut activations = vec![Activation::Tanh; acts];
            activations[acts - 1] = Activation::Identity;
            let pr = Problem::generate(&Spec::new(layers, activations, Loss::Mse), 16, 3);
            let p = pr.spec.num_params();
            for q in [Precision::F64, Precision::Mp(256)] {
                let grad = gradient_seconds(&pr, q, MathLib::CoreMath).unwrap();
                for m in Method::ALL {
                    if p > 200 && work_count(m, p) > p as f64 && !is_hardware(q) {
                        continue; // minutes: P = 108 measures these
                    }
                    let arith = Arith { precision: q, math: MathLib::CoreMath, fma: false };
                    let s = pool.install(|| arith.dispatch(HessianTiming(&pr, m)));
                    println!("P = {p} {q} {m}: T_H {s:.4} s, T_grad {grad:.3e} s, c = {:.3}", s / (work_count(m, p) * grad));
                }
            }
        }
    }
}
