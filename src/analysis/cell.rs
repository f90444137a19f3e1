//! One cell of an analysis — a (method, precision, order, FMA) — computed and measured: H at the
//! working precision and at truth precision on the same rounded inputs (`CellContext::compute`),
//! then its row of metrics against the truth (`CellContext::metrics`): error, asymmetry,
//! significant bits, the attribution parts, spectrum; and the order spreads of a group of cells
//! that differ only in their order (`CellContext::spreads`). A row with anything non-finite
//! (its H, the truth, the parts of the attribution) names [`NON_FINITE`] as its dominant cause
//! and is not certified.

use std::time::Instant;

use rug::ops::NegAssign;
use rug::{Assign, Float};

use super::metrics::NonFinite;
use super::norms::{AntiSum, Asymmetry, Norms, Part};
use super::roles::{self, RoleRun, Roles};
use super::truth;
use super::Request;
use crate::hessian::fd::{self, StepRule};
use crate::hessian::{self, Method, Options};
use crate::model::problem::Inputs;
use crate::model::{InputMode, Problem};
use crate::scalar::matmul::PrecisionPolicy;
use crate::order::{Eval, Order};
use crate::packed::PackedMatrix;
use crate::ad::{LaneDot, WithReal};
use crate::scalar::precision::{Arith, MpKernel};
use crate::scalar::rules::Rules;
use crate::scalar::{MpCtx, Precision, Real};

/// The dominant cause of a row with something non-finite: its H, the truth, or a part of the
/// attribution has an entry NaN or ±∞ (the row is then not certified either).
pub const NON_FINITE: &str = "non-finite";

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
    /// Precision policy of the matrix products (H at truth precision is uniform: the rounding
    /// part holds every rounding the policy adds).
    pub policy: PrecisionPolicy,
    /// Whose derivative rules built the graph (H at truth precision too: the rounding part
    /// is the rounding of that graph).
    pub rules: Rules,
    /// The graph part, under framework rules: ‖H(rules) − H(clairaut)‖/‖T‖, same method,
    /// precision, order, FMA and policy (`None` under Clairaut's rules). Not one of the
    /// telescoping parts: it overlaps the rounding part.
    pub graph: Option<Part>,
    /// How the problem's numbers became inputs (the request's [`super::Request::inputs`]).
    pub inputs: InputMode,
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
    /// The rounding part split by role, under a precision policy ([`super::roles`]; `None`
    /// for `uniform`).
    pub roles: Option<Roles>,
    /// Which cause dominates the asymmetry: "rounding", "approximation" or "none" — or
    /// [`NON_FINITE`] when H, the truth or a part is not finite.
    pub asym_dominant: &'static str,
    /// Whether the truth is certified for this precision (and the row is finite).
    pub certified: bool,
    /// H's non-finite entries.
    pub nonfinite: NonFinite,
    /// Spectrum of (H + Hᵀ)/2.
    pub spectrum: Option<Spectrum>,
    /// Seconds to compute H at p and at truth precision.
    pub seconds: f64,
}

/// Eigenvalues of the symmetric part (H + Hᵀ)/2, at f64.
#[derive(Clone, Debug, PartialEq)]
pub struct Spectrum {
    /// Smallest eigenvalue.
    pub min: f64,
    /// Largest eigenvalue.
    pub max: f64,
    /// max_k |λ_k(H) − λ_k(T)| / max_k |λ_k(T)| (eigenvalues sorted).
    pub shift_rel: f64,
}

/// The problem's inputs rounded to `arith`'s format, then exactly at `bits` precision.
pub(super) struct Quantized<'a> {
    pub(super) problem: &'a Problem,
    pub(super) mode: InputMode,
    pub(super) bits: u32,
}

impl WithReal for Quantized<'_> {
    type Output = Result<Inputs<Float>, crate::Error>;
    fn run<R: LaneDot>(self, ctx: R::RCtx) -> Self::Output {
        let q = self.problem.inputs::<R>(self.mode, &ctx)?;
        let up = |v: &[R]| v.iter().map(|x| Float::with_val(self.bits, x.to_float())).collect();
        Ok(Inputs { x: up(&q.x), y: up(&q.y), theta: up(&q.theta) })
    }
}

/// H at the working precision (exact values) and the steps it used (FD only).
struct Working<'a> {
    problem: &'a Problem,
    mode: InputMode,
    method: Method,
    order: Order,
    policy: PrecisionPolicy,
    rules: Rules,
    step: &'a StepRule,
}

impl WithReal for Working<'_> {
    type Output = Result<(PackedMatrix, Option<Vec<Float>>, Option<Vec<Float>>), crate::Error>;
    fn run<R: LaneDot>(self, ctx: R::RCtx) -> Self::Output {
        let pr = self.problem;
        let inputs = pr.inputs::<R>(self.mode, &ctx)?;
        let eval = Eval::new(self.order, pr.spec.sum_lengths(pr.n)).with_policy(&self.policy).with_rules(self.rules);
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
pub(super) fn fro(m: &PackedMatrix) -> Float {
    let mut a = Norms::new(AntiSum::EachEntry);
    let mut x = Float::new(64);
    for i in 0..m.p {
        for j in 0..m.p {
            m.get_into(i, j, &mut x);
            a.diag(&x);
        }
    }
    a.fro()
}

/// The entries nearest in `f64`, row-major.
pub(super) fn f64s(m: &PackedMatrix) -> Vec<f64> {
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

/// The eigenvalues of the symmetric part of a packed matrix, at f64, ascending; all NaN when an
/// entry is not finite at f64.
pub(super) fn eigenvalues(m: &PackedMatrix) -> Vec<f64> {
    let (v, p) = (f64s(m), m.p);
    if !v.iter().all(|x| x.is_finite()) {
        return vec![f64::NAN; p];
    }
    let m = faer::Mat::<f64>::from_fn(p, p, |i, j| 0.5 * (v[i * p + j] + v[j * p + i]));
    m.self_adjoint_eigenvalues(faer::Side::Lower).unwrap_or_default()
}

/// A cell of the request: method, precision, order, fma, precision policy, derivative rules.
pub type CellKey = (Method, Precision, Order, bool, PrecisionPolicy, Rules);

/// A computed cell: H at p, H at truth precision (exact values, packed), the role runs (under a
/// policy), the range of steps actually taken (finite differences), seconds.
pub(super) struct Computed {
    pub(super) h: PackedMatrix,
    pub(super) hhi: PackedMatrix,
    /// The role attribution's runs H₁, H₂, H₃ at truth precision, under a policy
    /// ([`super::roles`]).
    pub(super) chain: Option<(PackedMatrix, PackedMatrix, Option<PackedMatrix>)>,
    pub(super) actual: Option<(f64, f64)>,
    pub(super) seconds: f64,
    /// Under framework rules: H at p under Clairaut's rules (for the graph part).
    pub(super) base: Option<PackedMatrix>,
}

/// ‖H − H′‖ and ‖(H − H′) − (H − H′)ᵀ‖ relative to ‖T‖.
/// The differences are rounded to `wide` bits (truth precision + 64).
pub(super) fn spread(h: &PackedMatrix, other: &PackedMatrix, norm_t: &Float, wide: u32) -> Part {
    let mut a = Norms::new(AntiSum::EachEntry);
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
            if i == j {
                a.diag(&d[0]);
            } else {
                a.pair(&d[0], &d[1], false);
            }
        }
    }
    a.relative(norm_t)
}

/// The norms of one pass over the pairs of entries of H, T, H at truth precision and T(q):
/// total error, rounding, approximation, input and residual parts, and H's asymmetry.
struct PairNorms {
    parts: [Part; 5],
    asym: Asymmetry,
}

/// Significant bits of H against T (sorted), their histogram, max |H_ij − T_ij|/|T_ij|, and H's
/// non-finite entries.
struct EntryErrors {
    sorted_bits: Vec<u32>,
    hist: Vec<u64>,
    max_rel: Float,
    nonfinite: NonFinite,
}

/// What every cell's computation and metrics share.
pub(super) struct CellContext<'a> {
    pub(super) req: &'a Request,
    pub(super) tbits: u32,
    pub(super) norm_t: &'a Float,
    pub(super) t: &'a PackedMatrix,
    pub(super) t_eigs: Option<&'a [f64]>,
    pub(super) cert_min: u32,
    /// Whether every entry of the truth is finite.
    pub(super) t_finite: bool,
}

impl CellContext<'_> {
    /// H at p and at truth precision on the same inputs q.
    pub(super) fn compute(&self, (m, prec, o, fma, policy, rules): CellKey, q: &Inputs<Float>) -> Result<Computed, crate::Error> {
        let (req, tbits) = (self.req, self.tbits);
        let (spec, n) = (&req.problem.spec, req.problem.n);
        let start = Instant::now();
        let arith = Arith { precision: prec, math: req.math, fma };
        let (h, steps, actual) = arith.dispatch(Working { problem: &req.problem, mode: req.inputs, method: m, order: o, policy, rules, step: &req.step })?;
        let base = match rules.is_clairaut() {
            true => None,
            false => Some(self.working((m, prec, o, fma, policy, Rules::Clairaut))?),
        };
        let ctx = MpCtx::new(tbits, None, fma);
        let eval = Eval::new(o, spec.sum_lengths(n)).with_rules(rules);
        let h_t: Option<Vec<Float>> = steps.map(|s| s.iter().map(|x| Float::with_val(tbits, x)).collect());
        let hhi = match &h_t {
            Some(h_t) => fd::hessian_with_steps(m, spec, n, q, &eval, &ctx, h_t, true).into_packed(),
            None => hessian::compute_mp(m, spec, n, q, &eval, &ctx, MpKernel::current()).into_packed(),
        };
        let chain = RoleRun { spec, n, q, steps: h_t.as_deref(), ctx: &ctx }.chain(m, o, &policy);
        let actual = actual.map(|a| {
            let abs: Vec<f64> = a.iter().map(|x| x.to_f64().abs()).collect();
            (abs.iter().copied().fold(f64::INFINITY, f64::min), abs.iter().copied().fold(0.0, f64::max))
        });
        Ok(Computed { h, hhi, chain, actual, seconds: start.elapsed().as_secs_f64(), base })
    }

    /// H at the working precision only (exact values, packed): what the nearest-configuration
    /// search of an external Hessian compares ([`super::external`]).
    pub(super) fn working(&self, (m, prec, o, fma, policy, rules): CellKey) -> Result<PackedMatrix, crate::Error> {
        let arith = Arith { precision: prec, math: self.req.math, fma };
        Ok(arith.dispatch(Working { problem: &self.req.problem, mode: self.req.inputs, method: m, order: o, policy, rules, step: &self.req.step })?.0)
    }

    /// The order spread of each member of a (method, precision, fma) group: the largest
    /// ‖H(m,p,o) − H(m,p,o′)‖/‖T‖ over the other orders o′ of the group, whole and
    /// antisymmetric (each pair computed once: the norms of a difference and of its negation
    /// are the same numbers).
    pub(super) fn spreads(&self, members: &[(usize, &PackedMatrix)], cells: &[CellKey]) -> Vec<(usize, Part)> {
        let mut best: Vec<(usize, Part)> = members.iter().map(|&(k, _)| (k, Part::zero())).collect();
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

    /// ‖·‖ and ‖· − ·ᵀ‖ of total, rounding, approximation, input and residual, and the asymmetry
    /// of H, streamed over the pairs (i, j), (j, i) with preallocated numbers.
    fn pair_norms(&self, c: &Computed, tq: &PackedMatrix) -> PairNorms {
        let (p, t, h, hhi) = (c.h.p, self.t, &c.h, &c.hhi);
        let wide = self.tbits + 64;
        let mut acc: [Norms; 5] = std::array::from_fn(|_| Norms::new(AntiSum::EachEntry));
        let mut asym = Norms::new(AntiSum::Doubled);
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
                let [hij, hji] = &e[0];
                if i == j {
                    acc.iter_mut().zip(&d).for_each(|(a, dd)| a.diag(&dd[0]));
                    asym.diag(hij);
                } else {
                    acc.iter_mut().zip(&d).for_each(|(a, dd)| a.pair(&dd[0], &dd[1], false));
                    asym.pair(hij, hji, hij.bits_eq(hji));
                }
            }
        }
        PairNorms { parts: acc.map(|a| a.relative(self.norm_t)), asym: asym.asymmetry() }
    }

    /// Significant bits of each entry of H against T (capped at `cap`), the largest entrywise
    /// relative error, and H's non-finite entries, row-major.
    fn entry_errors(&self, h: &PackedMatrix, cap: u32) -> EntryErrors {
        let (p, t) = (h.p, self.t);
        let wide = self.tbits + 64;
        let mut bits: Vec<u32> = Vec::with_capacity(p * p);
        let mut max_rel = Float::new(64);
        let mut r = Float::new(64);
        let (mut hk, mut tk) = (Float::new(wide), Float::new(wide));
        let mut nonfinite = NonFinite::default();
        for i in 0..p {
            for j in 0..p {
                h.get_into(i, j, &mut hk);
                t.get_into(i, j, &mut tk);
                nonfinite.note(i, j, hk.is_finite());
                bits.push(truth::agreeing(&hk, &tk, cap));
                if !tk.is_zero() {
                    r.assign(&hk - &tk);
                    r /= &tk;
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
        EntryErrors { sorted_bits: bits, hist, max_rel, nonfinite }
    }

    /// The spectrum of (H + Hᵀ)/2 and its largest eigenvalue shift from T's, when asked.
    fn spectrum(&self, h: &PackedMatrix) -> Option<Spectrum> {
        self.t_eigs.map(|te| {
            let e = eigenvalues(h);
            let scale = te.iter().fold(0.0f64, |a, x| a.max(x.abs()));
            let shift = if e.iter().chain(te).any(|x| x.is_nan()) {
                f64::NAN
            } else {
                e.iter().zip(te).fold(0.0f64, |a, (x, y)| a.max((x - y).abs()))
            };
            Spectrum {
                min: e.first().copied().unwrap_or(0.0),
                max: e.last().copied().unwrap_or(0.0),
                shift_rel: if scale > 0.0 { shift / scale } else { shift },
            }
        })
    }

    /// The row of a computed cell, its order spread left at 0 (filled in by [`super::analyze`]).
    pub(super) fn metrics(&self, (m, prec, o, fma, policy, rules): CellKey, c: &Computed, tq: &PackedMatrix) -> Row {
        let PairNorms { parts: [total, rounding, approximation, input, resid], asym } = self.pair_norms(c, tq);
        let errors = self.entry_errors(&c.h, prec.bits());
        let finite = errors.nonfinite.is_empty() && self.t_finite && rounding.antisym.is_finite() && approximation.antisym.is_finite();
        let asym_dominant = if !finite {
            NON_FINITE
        } else if asym.pairs_differing == 0 {
            "none"
        } else if rounding.antisym >= approximation.antisym {
            "rounding"
        } else {
            "approximation"
        };
        let bits = &errors.sorted_bits;
        Row {
            method: m,
            precision: prec,
            order: o,
            fma,
            policy,
            rules,
            graph: c.base.as_ref().map(|b| spread(&c.h, b, self.norm_t, self.tbits + 64)),
            inputs: self.req.inputs,
            step: m.is_finite_difference().then(|| self.req.step.to_string()),
            step_actual: c.actual,
            error_rel_fro: total.total,
            error_max_rel: errors.max_rel,
            asym,
            sigbits_min: bits[0],
            sigbits_median: bits[bits.len() / 2],
            sigbits_hist: errors.hist,
            rounding,
            approximation,
            order_spread: Part::zero(),
            input,
            residual: resid.total,
            roles: c.chain.as_ref().map(|chain| roles::parts(&c.h, &c.hhi, chain, self.norm_t, self.tbits + 64)),
            asym_dominant,
            certified: finite && self.cert_min >= truth::bits_needed(prec.bits()),
            nonfinite: errors.nonfinite,
            spectrum: self.spectrum(&c.h),
            seconds: c.seconds,
        }
    }
}
