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

use rayon::prelude::*;
use rug::ops::NegAssign;
use rug::{Assign, Float};
use serde_json::{json, Value};

use crate::hessian::fd::{self, StepRule};
use crate::hessian::{self, Matrix, Method, Options};
use crate::metrics::{self, Asymmetry};
use crate::model::mlp::{forward, Workspace};
use crate::model::problem::Inputs;
use crate::model::{Activation, InputMode, Problem};
use crate::order::{Eval, Order};
use crate::scalar::precision::{Arith, WithReal};
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
    /// All cells (H at p and at truth precision), wall clock.
    pub cells_s: f64,
    /// Metrics, spectra and order spreads.
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
    /// The matrices, when the request asked for them: the truth and each row's H (row-major,
    /// exact values), in row order.
    pub matrices: Option<(Vec<Float>, Vec<Vec<Float>>)>,
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
    type Output = Result<(Vec<Float>, Option<Vec<Float>>, Option<Vec<Float>>), crate::Error>;
    fn run<R: Real>(self, ctx: R::RCtx) -> Self::Output {
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
        Ok((floats(&h), steps, actual))
    }
}

fn floats<R: Real>(h: &Matrix<R>) -> Vec<Float> {
    (0..h.p).flat_map(|i| (0..h.p).map(move |j| (i, j))).map(|(i, j)| h.get(i, j).to_float()).collect()
}

fn fro(v: &[Float]) -> Float {
    let mut a = NormAcc::new();
    for x in v {
        a.add_pair(x, x, true);
    }
    a.whole.sqrt()
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

/// Runs the analysis on the current rayon pool.
pub fn analyze(req: &Request) -> Result<Analysis, crate::Error> {
    let pr = &req.problem;
    let (spec, n) = (&pr.spec, pr.n);
    let p = spec.num_params();
    let p_max = req.precisions.iter().map(|q| q.bits()).max().unwrap_or(53);
    let tbits = req.truth_bits.unwrap_or_else(|| truth::default_bits(p_max));
    let wide = tbits + 64;
    let mut timings = Timings::default();

    // Truth at the exact inputs, certified.
    let t0 = Instant::now();
    let tctx = MpCtx::new(tbits, None, false);
    let exact_inputs = pr.inputs::<Float>(InputMode::Decimal, &tctx)?;
    let truth = Truth::compute(spec, n, &exact_inputs, tbits, req.check_extra);
    let t_vals = floats(&truth.matrix);
    let norm_t = fro(&t_vals);
    timings.truth_s = t0.elapsed().as_secs_f64();

    // T(q) for each precision.
    let t1 = Instant::now();
    let quantized: Vec<(Precision, Inputs<Float>, Vec<Float>)> = req
        .precisions
        .par_iter()
        .map(|&prec| {
            let arith = Arith { precision: prec, math: req.math, fma: false };
            let q = arith.dispatch(Quantized { problem: pr, bits: tbits })?;
            let tq = floats(&truth::exact_hessian(spec, n, &q, tbits));
            Ok((prec, q, tq))
        })
        .collect::<Result<_, crate::Error>>()?;
    timings.quantized_truths_s = t1.elapsed().as_secs_f64();

    // Every cell: H at p and H at truth precision on the same inputs q.
    let t2 = Instant::now();
    let mut cells = Vec::new();
    for &m in &req.methods {
        for &prec in &req.precisions {
            for &o in &req.orders {
                for &fma in &req.fmas {
                    cells.push((m, prec, o, fma));
                }
            }
        }
    }
    type Cell = (Vec<Float>, Vec<Float>, Option<(f64, f64)>, f64);
    let computed: Vec<Cell> = cells
        .par_iter()
        .map(|&(m, prec, o, fma)| {
            let start = Instant::now();
            let arith = Arith { precision: prec, math: req.math, fma };
            let (h, steps, actual) = arith.dispatch(Working { problem: pr, method: m, order: o, step: &req.step })?;
            let q = &quantized.iter().find(|(x, ..)| *x == prec).expect("computed").1;
            let ctx = MpCtx::new(tbits, None, fma);
            let eval = Eval::new(o, spec.sum_lengths(n));
            let hhi = match steps {
                Some(s) => {
                    let h_t: Vec<Float> = s.iter().map(|x| Float::with_val(tbits, x)).collect();
                    floats(&fd::hessian_with_steps(m, spec, n, q, &eval, &ctx, &h_t, true))
                }
                None => floats(&hessian::compute(m, spec, n, q, &eval, &ctx)),
            };
            let actual = actual.map(|a| {
                let abs: Vec<f64> = a.iter().map(|x| x.to_f64().abs()).collect();
                (abs.iter().copied().fold(f64::INFINITY, f64::min), abs.iter().copied().fold(0.0, f64::max))
            });
            Ok((h, hhi, actual, start.elapsed().as_secs_f64()))
        })
        .collect::<Result<_, crate::Error>>()?;
    timings.cells_s = t2.elapsed().as_secs_f64();

    // Metrics.
    let t3 = Instant::now();
    let t_eigs = req.spectrum.then(|| eigenvalues(&t_vals.iter().map(|x| x.to_f64()).collect::<Vec<_>>(), p));
    let rows: Vec<Row> = cells
        .par_iter()
        .zip(&computed)
        .map(|(&(m, prec, o, fma), (h, hhi, actual, seconds))| {
            let tq = &quantized.iter().find(|(x, ..)| *x == prec).expect("computed").2;
            // ‖·‖ and ‖· − ·ᵀ‖ of total, rounding, approximation, input and residual, streamed
            // over the pairs (i, j), (j, i) with preallocated numbers.
            let mut acc: [NormAcc; 5] = std::array::from_fn(|_| NormAcc::new());
            let mut asym = metrics::AsymmetryAcc::new();
            let mut d: [[Float; 2]; 5] = std::array::from_fn(|_| [Float::new(wide), Float::new(wide)]);
            for i in 0..p {
                for j in i..p {
                    for (s, k) in [i * p + j, j * p + i].into_iter().enumerate() {
                        d[0][s].assign(&h[k] - &t_vals[k]);
                        d[1][s].assign(&h[k] - &hhi[k]);
                        d[2][s].assign(&hhi[k] - &tq[k]);
                        d[3][s].assign(&tq[k] - &t_vals[k]);
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
                    let (hij, hji) = (&h[i * p + j], &h[j * p + i]);
                    if i == j {
                        asym.diag(hij);
                    } else {
                        asym.pair(hij, hji, hij.bits_eq(hji));
                    }
                }
            }
            let [total, rounding, approximation, input, resid] = acc.map(|a| a.part(&norm_t));
            // order spread: other orders at the same (m, p, fma)
            let mut spread = Part { total: Float::new(64), antisym: Float::new(64) };
            for (k, &(m2, p2, o2, f2)) in cells.iter().enumerate() {
                if m2 == m && p2 == prec && f2 == fma && o2 != o {
                    let other = &computed[k].0;
                    let mut a = NormAcc::new();
                    for i in 0..p {
                        for j in i..p {
                            let (k1, k2) = (i * p + j, j * p + i);
                            d[0][0].assign(&h[k1] - &other[k1]);
                            d[0][1].assign(&h[k2] - &other[k2]);
                            a.add_pair(&d[0][0], &d[0][1], i == j);
                        }
                    }
                    let part_d = a.part(&norm_t);
                    if part_d.total > spread.total {
                        spread.total = part_d.total;
                    }
                    if part_d.antisym > spread.antisym {
                        spread.antisym = part_d.antisym;
                    }
                }
            }
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
            for k in 0..p * p {
                bits.push(truth::agreeing(&h[k], &t_vals[k], cap));
                if !t_vals[k].is_zero() {
                    r.assign(&h[k] - &t_vals[k]);
                    r /= &t_vals[k];
                    r.abs_mut();
                    if r > max_rel {
                        max_rel.assign(&r);
                    }
                }
            }
            let mut hist = vec![0u64; cap as usize + 1];
            for &b in &bits {
                hist[b as usize] += 1;
            }
            bits.sort_unstable();
            let spectrum = t_eigs.as_ref().map(|te| {
                let e = eigenvalues(&h.iter().map(|x| x.to_f64()).collect::<Vec<_>>(), p);
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
                step: m.is_finite_difference().then(|| req.step.to_string()),
                step_actual: *actual,
                error_rel_fro: total.total,
                error_max_rel: max_rel,
                asym,
                sigbits_min: bits[0],
                sigbits_median: bits[bits.len() / 2],
                sigbits_hist: hist,
                rounding,
                approximation,
                order_spread: spread,
                input,
                residual: resid.total,
                asym_dominant,
                certified: truth.certifies(prec.bits()),
                spectrum,
                seconds: *seconds,
            }
        })
        .collect();
    timings.metrics_s = t3.elapsed().as_secs_f64();

    let kinks = kinks(pr, &exact_inputs, &tctx, req.kink_tol);
    let needed = truth::bits_needed(p_max);
    Ok(Analysis {
        truth: TruthSummary {
            precision: Precision::Mp(tbits),
            check_precision: Precision::Mp(truth.check_bits),
            certified_bits_min: truth.min_bits(),
            certified_bits_median: truth.median_bits(),
            certified: truth.min_bits() >= needed,
            bits_needed: needed,
        },
        rows,
        kinks,
        timings,
        p,
        matrices: req.keep_matrices.then(|| (t_vals.clone(), computed.iter().map(|c| c.0.clone()).collect())),
    })
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
