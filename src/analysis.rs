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

use std::time::Instant;

use rug::ops::NegAssign;
use rug::{Assign, Float};
use serde_json::{json, Value};

use crate::hessian::fd::{self, StepRule};
use crate::hessian::{self, Method, Options};
use crate::metrics::{self, Asymmetry};
use crate::model::mlp::{forward, Workspace};
use crate::model::problem::Inputs;
use crate::model::{Activation, InputMode, Problem};
use crate::order::{Eval, Order};
use crate::packed::PackedMatrix;
use crate::ad::{LaneDot, WithReal};
use crate::scalar::precision::Arith;
use crate::scalar::{MathLib, MpCtx, Precision, Real};
use crate::truth::{self, Truth};

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
    /// f32/f64 math library.
    pub math: MathLib,
    /// Finite-difference step rule.
    pub step: StepRule,
    /// Truth precision (None: [`truth::default_bits`]).
    pub truth_bits: Option<u32>,
    /// Extra bits of the certifying recomputation.
    pub check_extra: u32,
    /// |z| at or below this counts as a kink of a relu unit.
    pub kink_tol: f64,
    /// Compute the spectra of the symmetric parts (f64 eigenvalues).
    pub spectrum: bool,
    /// Keep the matrices (truth and every H) in the result.
    pub keep_matrices: bool,
}

/// One cause's share.
#[derive(Clone, Debug)]
pub struct Part {
    /// ‖part‖_F / ‖T‖_F
    pub total: Float,
    /// ‖part − partᵀ‖_F / ‖T‖_F
    pub antisym: Float,
}

/// Eigenvalues of the symmetric part, at f64.
#[derive(Clone, Debug)]
pub struct Spectrum {
    /// Smallest eigenvalue.
    pub min: f64,
    /// Largest eigenvalue.
    pub max: f64,
    /// max_k |λ_k(H) − λ_k(T)| / max_k |λ_k(T)| (eigenvalues sorted).
    pub shift_rel: f64,
}

/// The analysis of one (method, precision, order, fma) cell.
#[derive(Clone, Debug)]
pub struct Row {
    /// Method.
    pub method: Method,
    /// Precision.
    pub precision: Precision,
    /// Order.
    pub order: Order,
    /// FMA policy.
    pub fma: bool,
    /// Step rule (finite differences only).
    pub step: Option<String>,
    /// Smallest and largest step actually taken, |(θ_j ⊕ h_j) − θ_j| (finite differences only).
    pub step_actual: Option<(f64, f64)>,
    /// ‖H − T‖_F/‖T‖_F
    pub error_rel_fro: Float,
    /// max over T_ij ≠ 0 of |H_ij − T_ij|/|T_ij|
    pub error_max_rel: Float,
    /// Asymmetry figures of H.
    pub asym: Asymmetry,
    /// Significant bits per entry: min, median, and histogram (index = bits, capped at p).
    pub sigbits_min: u32,
    /// Median of significant bits.
    pub sigbits_median: u32,
    /// Histogram of significant bits (index = bits).
    pub sigbits_hist: Vec<u64>,
    /// Rounding part.
    pub rounding: Part,
    /// Approximation part.
    pub approximation: Part,
    /// Order spread.
    pub order_spread: Part,
    /// Input-quantization part.
    pub input: Part,
    /// ‖(H − T) − Σ parts‖/‖T‖.
    pub residual: Float,
    /// Which cause dominates the asymmetry: "rounding", "approximation" or "none".
    pub asym_dominant: &'static str,
    /// Whether the truth is certified for this precision.
    pub certified: bool,
    /// Spectrum of (H + Hᵀ)/2.
    pub spectrum: Option<Spectrum>,
    /// Seconds to compute H at p and at truth precision.
    pub seconds: f64,
}

/// A pre-activation of a relu unit within the tolerance of the kink.
#[derive(Clone, Debug)]
pub struct Kink {
    /// Sample.
    pub sample: usize,
    /// Layer (1-based).
    pub layer: usize,
    /// Unit.
    pub unit: usize,
    /// z at truth precision (nearest f64).
    pub z: f64,
}

/// Kink report.
#[derive(Clone, Debug)]
pub struct KinkReport {
    /// Tolerance on |z|.
    pub tolerance: f64,
    /// The kinks found.
    pub kinks: Vec<Kink>,
    /// Number of Hessian entries whose exact value is undefined at a kink.
    pub flagged_entries: u64,
    /// Flag per entry, row-major (true: not defined).
    pub flagged: Vec<bool>,
}

/// The truth's certification summary.
#[derive(Clone, Debug)]
pub struct TruthSummary {
    /// Truth precision.
    pub precision: Precision,
    /// Check precision.
    pub check_precision: Precision,
    /// Agreeing bits, min.
    pub certified_bits_min: u32,
    /// Agreeing bits, median.
    pub certified_bits_median: u32,
    /// Certified for every requested precision.
    pub certified: bool,
    /// Agreeing bits needed by the finest requested precision.
    pub bits_needed: u32,
}

/// Where the time went.
#[derive(Clone, Debug, Default)]
pub struct Timings {
    /// Truth and its certification.
    pub truth_s: f64,
    /// T(q) for each precision.
    pub quantized_truths_s: f64,
    /// All cells (H at p and at truth precision), summed over the cells.
    pub cells_s: f64,
    /// Metrics, spectra and order spreads, summed over the cells (each cell's metrics run while
    /// the next cell is computed, so the two overlap).
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
    /// Timings.
    pub timings: Timings,
    /// P.
    pub p: usize,
    /// The matrices, when the request asked for them: the truth and each row's H (exact values,
    /// packed), in row order.
    pub matrices: Option<(PackedMatrix, Vec<PackedMatrix>)>,
}

/// The problem's inputs rounded to `arith`'s format, then exactly at `bits` precision.
struct Quantized<'a> {
    problem: &'a Problem,
    bits: u32,
}

impl WithReal for Quantized<'_> {
    type Output = Result<Inputs<Float>, crate::Error>;
    fn run<R: Real>(self, ctx: R::RCtx) -> Self::Output {
        let q = self.problem.inputs::<R>(InputMode::Decimal, &ctx)?;
        let up = |v: &[R]| v.iter().map(|x| Float::with_val(self.bits, x.to_float())).collect();
        Ok(Inputs { x: up(&q.x), y: up(&q.y), theta: up(&q.theta) })
    }
}

/// H at the working precision (exact values) and the steps it used (FD only).
struct Working<'a> {
    problem: &'a Problem,
    method: Method,
    order: Order,
    step: &'a StepRule,
}

impl WithReal for Working<'_> {
    type Output = Result<(PackedMatrix, Option<Vec<Float>>, Option<Vec<Float>>), crate::Error>;
    fn run<R: LaneDot>(self, ctx: R::RCtx) -> Self::Output {
        let pr = self.problem;
        let inputs = pr.inputs::<R>(InputMode::Decimal, &ctx)?;
        let eval = Eval::new(self.order, pr.spec.sum_lengths(pr.n));
        let opts = Options { step: self.step.clone(), ..Default::default() };
        let h = hessian::compute_with(self.method, &pr.spec, pr.n, &inputs, &eval, &ctx, &opts);
        let (steps, actual) = if self.method.is_finite_difference() {
            let bits = R::consts(&ctx).one.to_float().prec();
            let s = fd::steps(self.method, self.step, &inputs.theta, bits, &ctx);
            let actual = fd::actual_steps(&inputs.theta, &s, &ctx);
            (Some(s.iter().map(|x| x.to_float()).collect()), Some(actual))
        } else {
            (None, None)
        };
        Ok((h.into_packed(), steps, actual))
    }
}

/// ‖A‖_F, summed in row-major order.
fn fro(m: &PackedMatrix) -> Float {
    let mut a = NormAcc::new();
    let mut x = Float::new(64);
    for i in 0..m.p {
        for j in 0..m.p {
            m.get_into(i, j, &mut x);
            a.add_pair(&x, &x, true);
        }
    }
    a.whole.sqrt()
}

/// The entries nearest in `f64`, row-major.
fn f64s(m: &PackedMatrix) -> Vec<f64> {
    let mut x = Float::new(64);
    let mut v = Vec::with_capacity(m.p * m.p);
    for i in 0..m.p {
        for j in 0..m.p {
            m.get_into(i, j, &mut x);
            v.push(x.to_f64());
        }
    }
    v
}

/// Streaming Frobenius norms of a matrix and of its antisymmetric part `A − Aᵀ`, fed one pair
/// of entries `(A_ij, A_ji)` at a time (64-bit MPFR, nothing allocated per entry).
struct NormAcc {
    whole: Float,
    anti: Float,
    tmp: Float,
}

impl NormAcc {
    fn new() -> Self {
        let z = || Float::new(metrics::METRIC_PREC);
        NormAcc { whole: z(), anti: z(), tmp: z() }
    }

    /// Adds `a = A_ij` and `b = A_ji` (`diag`: i = j, `b` ignored).
    fn add_pair(&mut self, a: &Float, b: &Float, diag: bool) {
        self.tmp.assign(a * a);
        self.whole += &self.tmp;
        if !diag {
            self.tmp.assign(b * b);
            self.whole += &self.tmp;
            self.tmp.assign(a - b);
            self.tmp.square_mut();
            self.anti += &self.tmp;
            self.anti += &self.tmp;
        }
    }

    /// Both norms relative to `norm_t`.
    fn part(&self, norm_t: &Float) -> Part {
        let rel = |x: &Float| {
            let r = x.clone().sqrt();
            if norm_t.is_zero() { r } else { r / norm_t }
        };
        Part { total: rel(&self.whole), antisym: rel(&self.anti) }
    }
}

fn eigenvalues(v: &[f64], p: usize) -> Vec<f64> {
    let m = faer::Mat::<f64>::from_fn(p, p, |i, j| 0.5 * (v[i * p + j] + v[j * p + i]));
    m.self_adjoint_eigenvalues(faer::Side::Lower).unwrap_or_default()
}

/// A cell of the request: method, precision, order, fma.
type CellKey = (Method, Precision, Order, bool);

/// A computed cell: H at p, H at truth precision (exact values, packed), the range of steps
/// actually taken (finite differences), seconds.
struct Computed {
    h: PackedMatrix,
    hhi: PackedMatrix,
    actual: Option<(f64, f64)>,
    seconds: f64,
}

/// Runs the analysis on the current rayon pool.
///
/// Memory is kept to what the metrics need at each moment ([`crate::cli::analyze::memory_estimate`]):
/// every matrix is packed ([`PackedMatrix`]); the precisions are taken one at a time, with
/// their T(q); within a precision, the cells of one (method, fma) — its orders — one after the
/// other, each cell's metrics running while the next cell is computed; H at truth precision is
/// dropped after its cell's metrics, and H itself after the order spreads of its (method,
/// precision, fma). Every figure is the same, bit for bit, as when all matrices were kept.
pub fn analyze(req: &Request) -> Result<Analysis, crate::Error> {
    let pr = &req.problem;
    let (spec, n) = (&pr.spec, pr.n);
    let p = spec.num_params();
    let p_max = req.precisions.iter().map(|q| q.bits()).max().unwrap_or(53);
    let tbits = req.truth_bits.unwrap_or_else(|| truth::default_bits(p_max));
    let mut timings = Timings::default();

    // Truth at the exact inputs, certified.
    let t0 = Instant::now();
    let tctx = MpCtx::new(tbits, None, false);
    let exact_inputs = pr.inputs::<Float>(InputMode::Decimal, &tctx)?;
    let (t_mat, check_bits, cert_min, cert_median) = {
        let truth = Truth::compute(spec, n, &exact_inputs, tbits, req.check_extra);
        let (check_bits, min, median) = (truth.check_bits, truth.min_bits(), truth.median_bits());
        (truth.matrix.into_packed(), check_bits, min, median)
    };
    let norm_t = fro(&t_mat);
    timings.truth_s = t0.elapsed().as_secs_f64();
    let t_eigs = req.spectrum.then(|| eigenvalues(&f64s(&t_mat), p));

    let mut cells: Vec<CellKey> = Vec::new();
    for &m in &req.methods {
        for &prec in &req.precisions {
            for &o in &req.orders {
                for &fma in &req.fmas {
                    cells.push((m, prec, o, fma));
                }
            }
        }
    }
    let mut rows: Vec<Option<Row>> = cells.iter().map(|_| None).collect();
    let mut kept: Vec<Option<PackedMatrix>> = cells.iter().map(|_| None).collect();
    let mut done: Vec<Precision> = Vec::new();
    let cx = CellContext { req, tbits, norm_t: &norm_t, t: &t_mat, t_eigs: t_eigs.as_deref(), cert_min };
    for &prec in &req.precisions {
        if done.contains(&prec) {
            continue;
        }
        done.push(prec);
        // T(q): the exact Hessian at the inputs rounded to this precision
        let t1 = Instant::now();
        let arith = Arith { precision: prec, math: req.math, fma: false };
        let q = arith.dispatch(Quantized { problem: pr, bits: tbits })?;
        let tq = truth::exact_hessian(spec, n, &q, tbits).into_packed();
        timings.quantized_truths_s += t1.elapsed().as_secs_f64();
        // the cells of each (method, fma) at this precision: its orders
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (k, c) in cells.iter().enumerate().filter(|(_, c)| c.1 == prec) {
            match groups.iter_mut().find(|g| cells[g[0]].0 == c.0 && cells[g[0]].3 == c.3) {
                Some(g) => g.push(k),
                None => groups.push(vec![k]),
            }
        }
        // H of the cells whose metrics are done, by group, until the group is complete
        let mut hs: Vec<Vec<(usize, PackedMatrix)>> = groups.iter().map(|_| Vec::new()).collect();
        let mut pending: Option<(usize, usize, Computed)> = None;
        let queue = groups.iter().enumerate().flat_map(|(g, ks)| ks.iter().map(move |&k| (g, k)));
        for next in queue.map(Some).chain([None]) {
            // a cell's metrics (and, when it completes its group, the group's order spreads)
            // while the next cell is computed
            let current = pending.take();
            let (finished, computed) = rayon::join(
                || {
                    current.map(|(g, k, c)| {
                        let start = Instant::now();
                        let row = cx.metrics(cells[k], &c, &tq);
                        let spreads = (hs[g].len() + 1 == groups[g].len()).then(|| {
                            let mut members: Vec<(usize, &PackedMatrix)> = hs[g].iter().map(|(k, h)| (*k, h)).collect();
                            members.push((k, &c.h));
                            cx.spreads(&members, &cells)
                        });
                        (g, k, row, c.h, spreads, start.elapsed().as_secs_f64())
                    })
                },
                || next.map(|(g, k)| cx.compute(cells[k], &q).map(|c| (g, k, c))).transpose(),
            );
            if let Some((g, k, row, h, spreads, secs)) = finished {
                timings.metrics_s += secs;
                rows[k] = Some(row);
                hs[g].push((k, h));
                if let Some(spreads) = spreads {
                    for (k, part) in spreads {
                        rows[k].as_mut().expect("metrics computed").order_spread = part;
                    }
                    for (k, h) in std::mem::take(&mut hs[g]) {
                        if req.keep_matrices {
                            kept[k] = Some(h);
                        }
                    }
                }
            }
            pending = computed?;
            if let Some((.., c)) = &pending {
                timings.cells_s += c.seconds;
            }
        }
    }

    let kinks = kinks(pr, &exact_inputs, &tctx, req.kink_tol);
    let needed = truth::bits_needed(p_max);
    Ok(Analysis {
        truth: TruthSummary {
            precision: Precision::Mp(tbits),
            check_precision: Precision::Mp(check_bits),
            certified_bits_min: cert_min,
            certified_bits_median: cert_median,
            certified: cert_min >= needed,
            bits_needed: needed,
        },
        rows: rows.into_iter().map(|r| r.expect("every cell analyzed")).collect(),
        kinks,
        timings,
        p,
        matrices: req.keep_matrices.then(|| (t_mat, kept.into_iter().map(|h| h.expect("kept")).collect())),
    })
}

/// ‖H − H′‖ and ‖(H − H′) − (H − H′)ᵀ‖ relative to ‖T‖.
/// The differences are rounded to `wide` bits (truth precision + 64).
fn spread(h: &PackedMatrix, other: &PackedMatrix, norm_t: &Float, wide: u32) -> Part {
    let mut a = NormAcc::new();
    let mut x: [Float; 4] = std::array::from_fn(|_| Float::new(wide));
    let mut d = [Float::new(wide), Float::new(wide)];
    for i in 0..h.p {
        for j in i..h.p {
            let [h1, h2, o1, o2] = &mut x;
            h.get_into(i, j, h1);
            h.get_into(j, i, h2);
            other.get_into(i, j, o1);
            other.get_into(j, i, o2);
            d[0].assign(&*h1 - &*o1);
            d[1].assign(&*h2 - &*o2);
            a.add_pair(&d[0], &d[1], i == j);
        }
    }
    a.part(norm_t)
}

/// What every cell's computation and metrics share.
struct CellContext<'a> {
    req: &'a Request,
    tbits: u32,
    norm_t: &'a Float,
    t: &'a PackedMatrix,
    t_eigs: Option<&'a [f64]>,
    cert_min: u32,
}

impl CellContext<'_> {
    /// H at p and at truth precision on the same inputs q.
    fn compute(&self, (m, prec, o, fma): CellKey, q: &Inputs<Float>) -> Result<Computed, crate::Error> {
        let (req, tbits) = (self.req, self.tbits);
        let (spec, n) = (&req.problem.spec, req.problem.n);
        let start = Instant::now();
        let arith = Arith { precision: prec, math: req.math, fma };
        let (h, steps, actual) = arith.dispatch(Working { problem: &req.problem, method: m, order: o, step: &req.step })?;
        let ctx = MpCtx::new(tbits, None, fma);
        let eval = Eval::new(o, spec.sum_lengths(n));
        let hhi = match steps {
            Some(s) => {
                let h_t: Vec<Float> = s.iter().map(|x| Float::with_val(tbits, x)).collect();
                fd::hessian_with_steps(m, spec, n, q, &eval, &ctx, &h_t, true).into_packed()
            }
            None => hessian::compute(m, spec, n, q, &eval, &ctx).into_packed(),
        };
        let actual = actual.map(|a| {
            let abs: Vec<f64> = a.iter().map(|x| x.to_f64().abs()).collect();
            (abs.iter().copied().fold(f64::INFINITY, f64::min), abs.iter().copied().fold(0.0, f64::max))
        });
        Ok(Computed { h, hhi, actual, seconds: start.elapsed().as_secs_f64() })
    }

    /// The order spread of each member of a (method, precision, fma) group: the largest
    /// ‖H(m,p,o) − H(m,p,o′)‖/‖T‖ over the other orders o′ of the group, whole and
    /// antisymmetric (each pair computed once: the norms of a difference and of its negation
    /// are the same numbers).
    fn spreads(&self, members: &[(usize, &PackedMatrix)], cells: &[CellKey]) -> Vec<(usize, Part)> {
        let mut best: Vec<(usize, Part)> =
            members.iter().map(|&(k, _)| (k, Part { total: Float::new(64), antisym: Float::new(64) })).collect();
        for a in 0..members.len() {
            for b in a + 1..members.len() {
                let ((ka, ha), (kb, hb)) = (members[a], members[b]);
                if cells[ka].2 == cells[kb].2 {
                    continue;
                }
                let part = spread(ha, hb, self.norm_t, self.tbits + 64);
                for x in [a, b] {
                    let s = &mut best[x].1;
                    if part.total > s.total {
                        s.total = part.total.clone();
                    }
                    if part.antisym > s.antisym {
                        s.antisym = part.antisym.clone();
                    }
                }
            }
        }
        best
    }

    /// The row of a computed cell, its order spread left at 0 (filled in by [`analyze`]).
    fn metrics(&self, (m, prec, o, fma): CellKey, c: &Computed, tq: &PackedMatrix) -> Row {
        let (p, norm_t, t) = (c.h.p, self.norm_t, self.t);
        let (h, hhi) = (&c.h, &c.hhi);
        let wide = self.tbits + 64;
        // ‖·‖ and ‖· − ·ᵀ‖ of total, rounding, approximation, input and residual, streamed
        // over the pairs (i, j), (j, i) with preallocated numbers.
        let mut acc: [NormAcc; 5] = std::array::from_fn(|_| NormAcc::new());
        let mut asym = metrics::AsymmetryAcc::new();
        let mut d: [[Float; 2]; 5] = std::array::from_fn(|_| [Float::new(wide), Float::new(wide)]);
        // entries (i, j) and (j, i) of H, T, H at truth precision, T(q)
        let mut e: [[Float; 2]; 4] = std::array::from_fn(|_| [Float::new(wide), Float::new(wide)]);
        for i in 0..p {
            for j in i..p {
                for (s, (a, b)) in [(i, j), (j, i)].into_iter().enumerate() {
                    let [eh, et, ehi, etq] = &mut e;
                    h.get_into(a, b, &mut eh[s]);
                    t.get_into(a, b, &mut et[s]);
                    hhi.get_into(a, b, &mut ehi[s]);
                    tq.get_into(a, b, &mut etq[s]);
                    d[0][s].assign(&eh[s] - &et[s]);
                    d[1][s].assign(&eh[s] - &ehi[s]);
                    d[2][s].assign(&ehi[s] - &etq[s]);
                    d[3][s].assign(&etq[s] - &et[s]);
                    let [d0, d1, d2, d3, d4] = &mut d;
                    // residual = total − (rounding + approximation) − input
                    d4[s].assign(&d1[s] + &d2[s]);
                    d4[s].neg_assign();
                    d4[s] += &d0[s];
                    d4[s] -= &d3[s];
                }
                for (a, dd) in acc.iter_mut().zip(&d) {
                    a.add_pair(&dd[0], &dd[1], i == j);
                }
                let [hij, hji] = &e[0];
                if i == j {
                    asym.diag(hij);
                } else {
                    asym.pair(hij, hji, hij.bits_eq(hji));
                }
            }
        }
        let [total, rounding, approximation, input, resid] = acc.map(|a| a.part(norm_t));
        let asym = asym.finish();
        let asym_dominant = if asym.pairs_differing == 0 {
            "none"
        } else if rounding.antisym >= approximation.antisym {
            "rounding"
        } else {
            "approximation"
        };
        // significant bits and entrywise error
        let cap = prec.bits();
        let mut bits: Vec<u32> = Vec::with_capacity(p * p);
        let mut max_rel = Float::new(64);
        let mut r = Float::new(64);
        let [[hk, _], [tk, _], ..] = &mut e;
        for i in 0..p {
            for j in 0..p {
                h.get_into(i, j, hk);
                t.get_into(i, j, tk);
                bits.push(truth::agreeing(hk, tk, cap));
                if !tk.is_zero() {
                    r.assign(&*hk - &*tk);
                    r /= &*tk;
                    r.abs_mut();
                    if r > max_rel {
                        max_rel.assign(&r);
                    }
                }
            }
        }
        let mut hist = vec![0u64; cap as usize + 1];
        for &b in &bits {
            hist[b as usize] += 1;
        }
        bits.sort_unstable();
        let spectrum = self.t_eigs.map(|te| {
            let e = eigenvalues(&f64s(h), p);
            let scale = te.iter().fold(0.0f64, |a, x| a.max(x.abs()));
            let shift = e.iter().zip(te).fold(0.0f64, |a, (x, y)| a.max((x - y).abs()));
            Spectrum {
                min: e.first().copied().unwrap_or(0.0),
                max: e.last().copied().unwrap_or(0.0),
                shift_rel: if scale > 0.0 { shift / scale } else { shift },
            }
        });
        Row {
            method: m,
            precision: prec,
            order: o,
            fma,
            step: m.is_finite_difference().then(|| self.req.step.to_string()),
            step_actual: c.actual,
            error_rel_fro: total.total,
            error_max_rel: max_rel,
            asym,
            sigbits_min: bits[0],
            sigbits_median: bits[bits.len() / 2],
            sigbits_hist: hist,
            rounding,
            approximation,
            order_spread: Part { total: Float::new(64), antisym: Float::new(64) },
            input,
            residual: resid.total,
            asym_dominant,
            certified: self.cert_min >= truth::bits_needed(prec.bits()),
            spectrum,
            seconds: c.seconds,
        }
    }
}

/// Relu pre-activations within `tol` of 0, and the Hessian entries undefined there.
///
/// At a kink of unit k of layer l, σ″ is a Dirac delta, so ∂²L/∂θ_i∂θ_j is undefined for every
/// pair (i, j) of parameters that both move z_{l,k}: the unit's incoming weights and bias, and
/// every parameter of the layers below.
pub fn kinks(pr: &Problem, inputs: &Inputs<Float>, ctx: &MpCtx, tol: f64) -> KinkReport {
    let spec = &pr.spec;
    let p = spec.num_params();
    let mut ws = Workspace::new(spec, pr.n, &inputs.x, ctx);
    forward(spec, pr.n, &inputs.theta, &inputs.y, &Eval::new(Order::Exact, spec.sum_lengths(pr.n)), &mut ws, ctx);
    let mut found = Vec::new();
    let mut flagged = vec![false; p * p];
    for l in 1..=spec.depth() {
        if spec.activations[l - 1] != Activation::Relu {
            continue;
        }
        let d = spec.layers[l];
        for (k, z) in ws.z[l].iter().enumerate() {
            if z.clone().abs() <= tol {
                let unit = k % d;
                found.push(Kink { sample: k / d, layer: l, unit, z: z.to_f64() });
                let din = spec.layers[l - 1];
                let mut params: Vec<usize> = (0..spec.w_offset(l)).collect();
                params.extend((0..din).map(|i| spec.w_offset(l) + i * d + unit));
                params.push(spec.b_offset(l) + unit);
                for &i in &params {
                    for &j in &params {
                        flagged[i * p + j] = true;
                    }
                }
            }
        }
    }
    KinkReport {
        tolerance: tol,
        flagged_entries: flagged.iter().filter(|&&f| f).count() as u64,
        kinks: found,
        flagged,
    }
}

/// A metric as JSON: a number when it fits an `f64` (not flushed to 0), else a decimal string.
pub fn num(x: &Float) -> Value {
    let f = x.to_f64();
    if x.is_zero() || (f.is_normal() && f.is_finite()) {
        json!(f)
    } else {
        json!(x.to_string_radix(10, Some(6)))
    }
}

fn part_json(p: &Part) -> Value {
    json!({ "total": num(&p.total), "antisym": num(&p.antisym) })
}

impl Analysis {
    /// The documented JSON form (see the README's "analyze JSON" section).
    pub fn to_json(&self, problem: &Problem) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "method": r.method.name(),
                    "precision": r.precision.to_string(),
                    "order": r.order.to_string(),
                    "fma": r.fma,
                    "step": r.step,
                    "step_actual": r.step_actual.map(|(a, b)| json!({"min": a, "max": b})),
                    "error_rel_fro": num(&r.error_rel_fro),
                    "error_max_rel": num(&r.error_max_rel),
                    "asym_rel_fro": num(&r.asym.rel_fro),
                    "asym_max_abs": num(&r.asym.max_abs),
                    "asym_pairs_fraction": r.asym.pairs_fraction,
                    "sigbits_min": r.sigbits_min,
                    "sigbits_median": r.sigbits_median,
                    "sigbits_histogram": r.sigbits_hist,
                    "attribution": {
                        "rounding": part_json(&r.rounding),
                        "approximation": part_json(&r.approximation),
                        "order": part_json(&r.order_spread),
                        "input": part_json(&r.input),
                    },
                    "residual": num(&r.residual),
                    "asym_dominant": r.asym_dominant,
                    "certified": r.certified,
                    "spectrum": r.spectrum.as_ref().map(|s| json!({"min": s.min, "max": s.max, "shift_rel": s.shift_rel})),
                    "seconds": r.seconds,
                })
            })
            .collect();
        json!({
            "problem": problem.source.display().to_string(),
            "p": self.p,
            "truth": {
                "precision": self.truth.precision.to_string(),
                "check_precision": self.truth.check_precision.to_string(),
                "certified_bits_min": self.truth.certified_bits_min,
                "certified_bits_median": self.truth.certified_bits_median,
                "bits_needed": self.truth.bits_needed,
                "certified": self.truth.certified,
            },
            "kinks": {
                "tolerance": self.kinks.tolerance,
                "count": self.kinks.kinks.len(),
                "flagged_entries": self.kinks.flagged_entries,
                "units": self.kinks.kinks.iter().take(100).map(|k| json!({"sample": k.sample, "layer": k.layer, "unit": k.unit, "z": k.z})).collect::<Vec<_>>(),
            },
            "rows": rows,
            "timings": {
                "truth_s": self.timings.truth_s,
                "quantized_truths_s": self.timings.quantized_truths_s,
                "cells_s": self.timings.cells_s,
                "metrics_s": self.timings.metrics_s,
            },
        })
    }
}
