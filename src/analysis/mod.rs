//! Attribution of every Hessian error and asymmetry to its causes.
//!
//! For a Hessian `H = H(m, p, o; q)` computed by method m at precision p in order o, where
//! `q` are the problem's inputs rounded to p, and `T(·)` the certified truth at given inputs,
//! the total error telescopes exactly:
//!
//! ```text
//! H − T = [H(m,p,o;q) − H(m,t,o;q)]   rounding       (same method, order and inputs; t = truth precision)
//!       + [H(m,t,o;q) − T(q)]         approximation  (the method at truth precision vs the exact Hessian)
//!       + [T(q) − T]                  input quantization
//! ```
//!
//! Finite-difference methods use at truth precision the very steps h_j they used at p, so the
//! approximation part is their truncation error and the rounding part everything the p-bit
//! arithmetic adds (θ_j ⊕ h_j rounded included). Each part is reported relative to ‖T‖_F, whole
//! (`total` = ‖part‖_F/‖T‖_F) and antisymmetric (`antisym` = ‖part − partᵀ‖_F/‖T‖_F). The
//! `residual` is ‖(H − T) − Σ parts‖_F/‖T‖_F: the differences are formed at truth precision +
//! 64 bits, so it sits at the truth's rounding level. **Evaluation order** is reported beside
//! them as the spread of the rounding part across the requested orders at fixed (m, p, fma):
//! `max_{o′} ‖H(m,p,o) − H(m,p,o′)‖/‖T‖`, whole and antisymmetric. Since T and T(q) are
//! symmetric (to the truth's rounding), `H − Hᵀ` is exactly the antisymmetric part of rounding
//! plus that of approximation; `asym_dominant` names the larger.
//!
//! **Non-finite values** are never reported as a result: a truth with an entry NaN or ±∞ is not
//! certified ([`TruthSummary::nonfinite`]), and a row whose H, truth or parts are not finite has
//! `asym_dominant` = `"non-finite"` ([`cell::NON_FINITE`]) and is not certified, its H's
//! non-finite entries in [`Row::nonfinite`].
//!
//! A row under a precision policy also splits its rounding part by **role** (`mul`, `acc`,
//! `out`, `elementwise`), telescoping over runs at truth precision that degrade one role at a
//! time ([`roles`]; `Row::roles`).
//!
//! The folder: this file (the [`Request`], the pipeline [`analyze`] and the whole
//! [`Analysis`]), [`cell`] (one cell's computation and its metrics), [`roles`] (the role
//! attribution of a policy row), [`norms`] (the one exact
//! accumulator of Frobenius norms and asymmetry), [`truth`] (the certified truth), [`metrics`]
//! (asymmetry of a Hessian, metric formatting), [`kinks`] (the relu kink report), [`external`]
//! (Hessians computed elsewhere, each with its nearest configuration). The analysis
//! is recorded as [`crate::results::record::Analysis`] (`record::Analysis::of`).

use std::time::Instant;

use rug::Float;

use crate::hessian::fd::StepRule;
use crate::hessian::Method;
use crate::model::{InputMode, Problem};
use crate::order::Order;
use crate::packed::PackedMatrix;
use crate::scalar::precision::Arith;
use crate::scalar::matmul::PrecisionPolicy;
use crate::scalar::rules::Rules;
use crate::scalar::{MathLib, MpCtx, Precision};

pub mod cell;
pub mod external;
pub mod kinks;
pub mod metrics;
pub mod norms;
mod norms64;
pub mod roles;
pub mod truth;

pub use cell::{CellKey, Row, NON_FINITE};
pub use metrics::NonFinite;
pub use kinks::{Kink, KinkReport};
pub use norms::Part;
pub use roles::Roles;
pub use cell::Spectrum;

use cell::{CellContext, Computed, Quantized};
use truth::Truth;

/// What to analyze.
#[derive(Clone, Debug)]
pub struct Request {
    /// The problem.
    pub problem: Problem,
    /// Methods.
    pub methods: Vec<Method>,
    /// Working precisions.
    pub precisions: Vec<Precision>,
    /// Summation orders.
    pub orders: Vec<Order>,
    /// FMA policies (`false` = no-fma).
    pub fmas: Vec<bool>,
    /// Precision policies of the matrix products (`[uniform]`: none). A cell whose policy
    /// cannot run with its method, precision or order ([`crate::hessian::check_policy`]) is
    /// not analyzed.
    pub policies: Vec<PrecisionPolicy>,
    /// Derivative rules (`[clairaut]`: Clairaut's own graph). A cell whose rules do not cover
    /// its method, precision, order or policy ([`crate::hessian::check_rules`]) is not analyzed.
    pub rules: Vec<Rules>,
    /// f32/f64 math library.
    pub math: MathLib,
    /// How the problem's numbers become inputs — of the truth and of every cell alike, so that
    /// the input-quantization part is the rounding of these inputs into each format (0 for a
    /// format that holds them all: binary32-pinned or float32-stored inputs at f32).
    pub inputs: InputMode,
    /// Finite-difference step rule.
    pub step: StepRule,
    /// Truth precision (None: [`truth::default_bits`]).
    pub truth_bits: Option<u32>,
    /// Extra bits of the certifying recomputation.
    pub check_extra: u32,
    /// How the truth is certified: two precisions (`point`) or a proven enclosure (`ball`,
    /// the two precisions kept as a cross-check; [`truth`]).
    pub truth_mode: truth::TruthMode,
    /// |z| at or below this counts as a kink of a relu unit.
    pub kink_tol: f64,
    /// Compute the spectra of the symmetric parts (f64 eigenvalues).
    pub spectrum: bool,
    /// Keep the matrices (truth and every H) in the result.
    pub keep_matrices: bool,
    /// External Hessians to analyze beside the cells ([`external`]; empty: none).
    pub externals: Vec<external::External>,
}

impl Request {
    /// The truth's precision in bits: the requested one, or [`truth::default_bits`] for the
    /// finest working precision.
    pub fn truth_bits(&self) -> u32 {
        let p_max = self.precisions.iter().chain(self.externals.iter().map(|e| &e.precision)).map(|q| q.bits()).max().unwrap_or(53);
        self.truth_bits.unwrap_or_else(|| truth::default_bits(p_max))
    }

    /// The sizes and counts the memory and time estimates of this analysis rest on.
    pub fn shape(&self) -> crate::hessian::cost::AnalysisShape<'_> {
        crate::hessian::cost::AnalysisShape {
            dims: crate::hessian::cost::Dims::of(&self.problem),
            methods: &self.methods,
            precisions: &self.precisions,
            orders: self.orders.len(),
            fmas: self.fmas.len(),
            policies: self.policies.len(),
            role_runs: crate::hessian::cost::role_runs(&self.policies),
            truth_bits: self.truth_bits(),
            check_extra: self.check_extra,
            spectrum: self.spectrum,
            keep_matrices: self.keep_matrices,
        }
    }
}

/// The truth's certification summary.
#[derive(Clone, Debug)]
pub struct TruthSummary {
    /// Truth precision.
    pub precision: Precision,
    /// Check precision.
    pub check_precision: Precision,
    /// How the truth is certified.
    pub mode: truth::TruthMode,
    /// Certified bits, min: agreeing bits (point mode) or proven bits (ball mode).
    pub certified_bits_min: u32,
    /// Certified bits, median.
    pub certified_bits_median: u32,
    /// Ball mode: the agreeing bits of the two-precision cross-check, min, and the entries
    /// where the check lies outside the enclosure (expected 0).
    pub cross_check: Option<(u32, usize)>,
    /// Certified for every requested precision.
    pub certified: bool,
    /// Agreeing bits needed by the finest requested precision.
    pub bits_needed: u32,
    /// The truth's non-finite entries (a truth with any is not certified).
    pub nonfinite: NonFinite,
}

/// Where the time of an analysis went (recorded as [`crate::results::record::Timings`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timings {
    /// Truth and its certification.
    pub truth_s: f64,
    /// T(q) for each precision.
    pub quantized_truths_s: f64,
    /// All cells (H at p and at truth precision), summed over the cells.
    pub cells_s: f64,
    /// Metrics, spectra and order spreads, summed over the cells (they overlap the next cell).
    pub metrics_s: f64,
}

/// The whole analysis.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Truth summary.
    pub truth: TruthSummary,
    /// One row per cell, in request order (method, precision, order, fma).
    pub rows: Vec<Row>,
    /// Kinks of relu units.
    pub kinks: KinkReport,
    /// Where the time went.
    pub timings: Timings,
    /// P.
    pub p: usize,
    /// The matrices, when the request asked for them: the truth and each row's H (exact values,
    /// packed), in row order.
    pub matrices: Option<(PackedMatrix, Vec<PackedMatrix>)>,
    /// One row per external Hessian of the request, in request order.
    pub externals: Vec<external::ExternalRow>,
}

/// The truth at the exact inputs, packed, with its certification.
struct CertifiedTruth {
    matrix: PackedMatrix,
    check_bits: u32,
    min_bits: u32,
    median_bits: u32,
    nonfinite: NonFinite,
    cross_check: Option<(u32, usize)>,
}

impl CertifiedTruth {
    fn compute(req: &Request, inputs: &crate::model::problem::Inputs<Float>, tbits: u32) -> Result<CertifiedTruth, crate::Error> {
        let (spec, n) = (&req.problem.spec, req.problem.n);
        let truth = match req.truth_mode {
            truth::TruthMode::Point => Truth::compute(spec, n, inputs, tbits, req.check_extra),
            truth::TruthMode::Ball => {
                let exact = req.problem.inputs::<crate::scalar::interval::Interval>(req.inputs, &crate::scalar::interval::IvCtx::new(tbits))?;
                Truth::compute_ball(spec, n, &exact, inputs, tbits, req.check_extra)
            }
        };
        let (check_bits, min_bits, median_bits) = (truth.check_bits, truth.min_bits(), truth.median_bits());
        let cross_check = truth.ball.as_ref().map(|b| (truth.agreeing_min(), b.check_outside));
        let nonfinite = NonFinite::of(&truth.matrix);
        Ok(CertifiedTruth { matrix: truth.matrix.into_packed(), check_bits, min_bits, median_bits, nonfinite, cross_check })
    }
}

/// Every cell of the request, in request order (method, precision, policy, order, fma), less
/// those whose policy cannot run with their method, precision and order.
pub fn cells(req: &Request) -> Vec<CellKey> {
    let mut cells = Vec::new();
    for &m in &req.methods {
        for &prec in &req.precisions {
            for &policy in &req.policies {
                for &o in &req.orders {
                    if crate::hessian::check_policy(&policy, m, prec, o).is_err() {
                        continue;
                    }
                    for &rules in &req.rules {
                        if crate::hessian::check_rules(rules, m, &req.problem.spec, prec, &policy).is_err() {
                            continue;
                        }
                        for &fma in &req.fmas {
                            cells.push((m, prec, o, fma, policy, rules));
                        }
                    }
                }
            }
        }
    }
    cells
}

/// Refuses a request with a policy that runs in none of its cells (naming the reason for the
/// first combination), so that no requested policy is silently absent from the rows.
pub fn check_policies(policies: &[PrecisionPolicy], methods: &[Method], precisions: &[Precision], orders: &[Order]) -> Result<(), String> {
    for policy in policies {
        let combos = || methods.iter().flat_map(|&m| precisions.iter().flat_map(move |&p| orders.iter().map(move |&o| (m, p, o))));
        if !combos().any(|(m, p, o)| crate::hessian::check_policy(policy, m, p, o).is_ok()) {
            let (m, p, o) = combos().next().ok_or("no cells")?;
            return Err(crate::hessian::check_policy(policy, m, p, o).expect_err("refused"));
        }
    }
    Ok(())
}

/// Refuses a request with rules that run in none of its cells (naming the reason for the
/// first combination), so that no requested rules are silently absent from the rows.
pub fn check_rules(req: &Request) -> Result<(), String> {
    let spec = &req.problem.spec;
    for &rules in &req.rules {
        let combos = || req.methods.iter().flat_map(move |&m| req.precisions.iter().flat_map(move |&p| req.policies.iter().map(move |pol| (m, p, pol))));
        if !combos().any(|(m, p, pol)| crate::hessian::check_rules(rules, m, spec, p, pol).is_ok()) {
            let (m, p, pol) = combos().next().ok_or("no cells")?;
            return Err(crate::hessian::check_rules(rules, m, spec, p, pol).expect_err("refused"));
        }
    }
    Ok(())
}

/// The cells at precision `prec`, grouped by (method, fma, policy): each group holds its orders.
fn groups(cells: &[CellKey], prec: Precision) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (k, c) in cells.iter().enumerate().filter(|(_, c)| c.1 == prec) {
        match groups.iter_mut().find(|g| cells[g[0]].0 == c.0 && cells[g[0]].3 == c.3 && cells[g[0]].4 == c.4 && cells[g[0]].5 == c.5) {
            Some(g) => g.push(k),
            None => groups.push(vec![k]),
        }
    }
    groups
}

/// What the pipeline has so far: a row and (with `keep_matrices`) an H per cell, and timings.
struct Outcome {
    rows: Vec<Option<Row>>,
    kept: Vec<Option<PackedMatrix>>,
    timings: Timings,
}

/// A cell whose metrics are done: its group and index, row, H, and — when it completed its
/// group — the group's order spreads; seconds of metrics.
struct Finished {
    g: usize,
    k: usize,
    row: Row,
    h: PackedMatrix,
    spreads: Option<Vec<(usize, Part)>>,
    seconds: f64,
}

/// A stage of [`analyze_observed`] that has just finished, in the order the analysis runs them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    /// The certified truth (T and its check).
    Truth,
    /// T(q) at this precision.
    Quantized(Precision),
    /// One cell's H at its precision and at truth precision: (method, precision, order, fma).
    Cell(Method, Precision, Order, bool),
}

/// Runs the analysis on the current rayon pool ([`analyze_observed`] without an observer).
pub fn analyze(req: &Request) -> Result<Analysis, crate::Error> {
    analyze_observed(req, &|_| {})
}

/// Runs the analysis on the current rayon pool, calling `observe` (on the calling thread) as
/// each [`Step`] finishes — for progress reports; it changes nothing computed.
///
/// Memory is kept to what the metrics need at each moment ([`crate::cli::analyze::memory_estimate`]):
/// every matrix is packed ([`PackedMatrix`]); the precisions are taken one at a time, with
/// their T(q); within a precision, the cells of one (method, fma) — its orders — one after the
/// other, each cell's metrics running while the next cell is computed; H at truth precision is
/// dropped after its cell's metrics, and H itself after the order spreads of its (method,
/// precision, fma). Every figure is the same, bit for bit, as when all matrices were kept.
pub fn analyze_observed(req: &Request, observe: &dyn Fn(Step)) -> Result<Analysis, crate::Error> {
    let pr = &req.problem;
    let p = pr.spec.num_params();
    let p_max = req.precisions.iter().chain(req.externals.iter().map(|e| &e.precision)).map(|q| q.bits()).max().unwrap_or(53);
    let tbits = req.truth_bits();
    let mut timings = Timings::default();

    // Truth at the exact inputs, certified.
    let t0 = Instant::now();
    let tctx = MpCtx::new(tbits, None, false);
    let exact_inputs = pr.inputs::<Float>(req.inputs, &tctx)?;
    let t = CertifiedTruth::compute(req, &exact_inputs, tbits)?;
    let norm_t = cell::fro(&t.matrix);
    timings.truth_s = t0.elapsed().as_secs_f64();
    let t_eigs = req.spectrum.then(|| cell::eigenvalues(&t.matrix));
    observe(Step::Truth);

    let cells = cells(req);
    let mut out = Outcome { rows: cells.iter().map(|_| None).collect(), kept: cells.iter().map(|_| None).collect(), timings };
    let cx = CellContext { req, tbits, norm_t: &norm_t, t: &t.matrix, t_eigs: t_eigs.as_deref(), cert_min: t.min_bits, t_finite: t.nonfinite.is_empty() };
    let mut ext_rows: Vec<Option<external::ExternalRow>> = req.externals.iter().map(|_| None).collect();
    let mut done: Vec<Precision> = Vec::new();
    // the grid's precisions, then those of external Hessians that the grid does not have
    for prec in req.precisions.iter().chain(req.externals.iter().map(|e| &e.precision)).copied() {
        if !done.contains(&prec) {
            done.push(prec);
            let grid = req.precisions.contains(&prec);
            let (q, tq) = quantized(&cx, prec, &mut out.timings)?;
            if grid {
                observe(Step::Quantized(prec));
                analyze_precision(&cx, &cells, prec, &q, &tq, &mut out, observe)?;
            }
            let t2 = Instant::now();
            external::at_precision(&cx, prec, &q, &tq, &mut ext_rows)?;
            out.timings.cells_s += t2.elapsed().as_secs_f64();
        }
    }

    let kinks = kinks::kinks(pr, &exact_inputs, &tctx, req.kink_tol);
    let needed = truth::bits_needed(p_max);
    Ok(Analysis {
        truth: TruthSummary {
            precision: Precision::Mp(tbits),
            check_precision: Precision::Mp(t.check_bits),
            mode: req.truth_mode,
            cross_check: t.cross_check,
            certified_bits_min: t.min_bits,
            certified_bits_median: t.median_bits,
            certified: t.min_bits >= needed && t.nonfinite.is_empty(),
            bits_needed: needed,
            nonfinite: t.nonfinite,
        },
        rows: out.rows.into_iter().map(|r| r.expect("every cell analyzed")).collect(),
        kinks,
        timings: out.timings,
        p,
        matrices: req.keep_matrices.then(|| (t.matrix, out.kept.into_iter().map(|h| h.expect("kept")).collect())),
        externals: ext_rows.into_iter().map(|r| r.expect("every external analyzed")).collect(),
    })
}

/// The inputs rounded to `prec` (q, at truth precision) and T(q), the exact Hessian at them.
fn quantized(cx: &CellContext, prec: Precision, timings: &mut Timings) -> Result<(crate::model::problem::Inputs<Float>, PackedMatrix), crate::Error> {
    let (req, tbits) = (cx.req, cx.tbits);
    let pr = &req.problem;
    let t1 = Instant::now();
    let arith = Arith { precision: prec, math: req.math, fma: false };
    let q = arith.dispatch(Quantized { problem: pr, mode: req.inputs, bits: tbits })?;
    let tq = truth::exact_hessian(&pr.spec, pr.n, &q, tbits).into_packed();
    timings.quantized_truths_s += t1.elapsed().as_secs_f64();
    Ok((q, tq))
}

/// The cells of one precision (`q`: its rounded inputs, `tq`: T(q)): each (method, fma)
/// group's cells one after the other, each cell's metrics (and, when it completes its group,
/// the group's order spreads) running while the next cell is computed.
fn analyze_precision(
    cx: &CellContext,
    cells: &[CellKey],
    prec: Precision,
    q: &crate::model::problem::Inputs<Float>,
    tq: &PackedMatrix,
    out: &mut Outcome,
    observe: &dyn Fn(Step),
) -> Result<(), crate::Error> {
    let req = cx.req;
    let groups = groups(cells, prec);
    // H of the cells whose metrics are done, by group, until the group is complete
    let mut hs: Vec<Vec<(usize, PackedMatrix)>> = groups.iter().map(|_| Vec::new()).collect();
    let mut pending: Option<(usize, usize, Computed)> = None;
    let queue = groups.iter().enumerate().flat_map(|(g, ks)| ks.iter().map(move |&k| (g, k)));
    for next in queue.map(Some).chain([None]) {
        let current = pending.take();
        let (finished, computed) = rayon::join(
            || current.map(|(g, k, c)| finish_cell(cx, cells, tq, &hs[g], groups[g].len(), (g, k, c))),
            || next.map(|(g, k)| cx.compute(cells[k], q).map(|c| (g, k, c))).transpose(),
        );
        if let Some(f) = finished {
            out.timings.metrics_s += f.seconds;
            out.rows[f.k] = Some(f.row);
            hs[f.g].push((f.k, f.h));
            if let Some(spreads) = f.spreads {
                for (k, part) in spreads {
                    out.rows[k].as_mut().expect("metrics computed").order_spread = part;
                }
                for (k, h) in std::mem::take(&mut hs[f.g]) {
                    if req.keep_matrices {
                        out.kept[k] = Some(h);
                    }
                }
            }
        }
        pending = computed?;
        if let Some((_, k, c)) = &pending {
            out.timings.cells_s += c.seconds;
            let (m, q, o, fma, ..) = cells[*k];
            observe(Step::Cell(m, q, o, fma));
        }
    }
    Ok(())
}

/// A computed cell's metrics, and its group's order spreads when it is the group's last cell
/// (`done`: the group's cells already measured, `size`: the group's size).
fn finish_cell(
    cx: &CellContext,
    cells: &[CellKey],
    tq: &PackedMatrix,
    done: &[(usize, PackedMatrix)],
    size: usize,
    (g, k, c): (usize, usize, Computed),
) -> Finished {
    let start = Instant::now();
    let row = cx.metrics(cells[k], &c, tq);
    let spreads = (done.len() + 1 == size).then(|| {
        let mut members: Vec<(usize, &PackedMatrix)> = done.iter().map(|(k, h)| (*k, h)).collect();
        members.push((k, &c.h));
        cx.spreads(&members, cells)
    });
    Finished { g, k, row, h: c.h, spreads, seconds: start.elapsed().as_secs_f64() }
}
