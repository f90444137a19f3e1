//! `fwd-fwd`: the loss on hyper-dual numbers, one Hessian entry per evaluation.
//!
//! Entry (i, j) is the ε₁ε₂ part of the loss with θ's ε₁ part e_i and ε₂ part e_j
//! ([`definition`]: a full pass per entry, the reference path). With the primal's table of
//! finite values, each entry evaluates only what its seeds reach ([`fast`]), bit for bit the
//! same (tested in `tests/it/cliff.rs`):
//!
//! * **The ε₁ and ε₂ parts are first-order tangents.** In every operation of [`HyperDual`] the
//!   ε₁ part reads only values and ε₁ parts, the ε₂ part only values and ε₂ parts, by the same
//!   operations; so the ε₂ part seeded with e_j equals the ε₁ part seeded with e_j, bit for
//!   bit, and neither depends on the other seed. Each parameter's tangents of every
//!   pre-activation are computed once ([`Seeds`], one pass per parameter, skipping the layers
//!   below its own as [`Workspace::tangents_from`] does).
//! * **The ε₁ε₂ part is +0 below the higher seed's layer m = max(l_i, l_j)** and, in layer m,
//!   in every unit that holds neither seed: each term of such a pre-activation's dot product
//!   has a factor that is a structural zero (θ's ε₁ε₂ parts, the ε parts of θ outside the seeds,
//!   an ε part that is still zero below its seed's layer), so with finite operands the dot
//!   product is ±0 in every order and policy, and adding the bias's +0 makes it +0 (round to
//!   nearest); the activations' ε₁ε₂ parts there are zeros too (the lift of a +0 and of a
//!   product with a +0 factor). The layer above m reads only those, and a zero of either sign
//!   does as well as the full pass's (see below), so they are kept as +0 between entries; when
//!   m is the last layer, the loss reads the whole layer, which is set from the table and the
//!   seeds' tangents through the same lift [`Scalar::set_fun_known`] a full pass applies
//!   (consecutive entries that share m and the seed below it share it: only the units the
//!   last entry changed are restored).
//! * **From layer m up only the ε₁ε₂ parts are computed**, as dot products of values of the
//!   format: above m every θ tangent is zero, so each term's ε₁ε₂ part is `a.d·W` plus terms
//!   that are zeros ((±0)·finite) — in layer m's seeded units, the ε part of the seed below m
//!   times the other seed's unit vector ([`Fast::seeded_units`]); the kernels of every order and policy are branch-free sums,
//!   products and fused products, which map values equal up to the signs of zeros to values
//!   equal up to the signs of zeros, so the dot product of the activations' ε₁ε₂ parts with
//!   W's values equals the full one but for the sign of a zero — which adding the bias's +0
//!   makes +0 in both. The values come from the table, the ε parts from the seeds' tangents,
//!   and the loss is evaluated on hyper-dual numbers ([`Workspace::resume_at`] past the last
//!   layer).
//!
//! Without a table, when a tangent is not finite, or when a layer has no bias (whose +0 the
//! zero-sign arguments above need), every entry is a full pass.

use std::sync::Arc;

use super::{per_worker, Matrix};
use crate::ad::HyperDual;
use crate::model::mlp::{forward, ActTable, Workspace};
use crate::model::problem::Inputs;
use crate::model::Spec;
use crate::order::{matmul, Eval, KernelScratch, Strided};
use crate::scalar::{Real, Scalar};

/// At most this many tangent values are kept for [`Seeds`] (f32/f64: 128 MiB), a quarter of
/// it for formats whose values own heap memory (MPFR); beyond, every entry is a full pass.
const MAX_SEED_VALUES: usize = 1 << 24;

/// Which of an entry's two seeds lies below its layer m, if one does: (1, i) or (2, j).
type Below = Option<(u8, usize)>;

pub(super) fn hessian<R: Real>(
    spec: &Spec,
    n: usize,
    inputs: &Inputs<R>,
    eval: &Eval,
    ctx: &R::RCtx,
    table: Option<Arc<ActTable<R>>>,
) -> Matrix<R> {
    // the zero-sign argument of the module docs needs each pre-activation's bias (+0 tangent)
    let biased = spec.bias.iter().all(|&b| b);
    if let Some(t) = table.as_ref().filter(|t| biased && !t.checked && t.finite) {
        if let Some(seeds) = Seeds::compute(spec, n, inputs, eval, ctx, t) {
            return fast(spec, n, inputs, eval, ctx, t, &seeds);
        }
    }
    definition(spec, n, inputs, eval, ctx, table)
}

/// The definition: one full hyper-dual pass per entry (with the table, only the
/// transcendentals are read from it).
pub(super) fn definition<R: Real>(
    spec: &Spec,
    n: usize,
    inputs: &Inputs<R>,
    eval: &Eval,
    ctx: &R::RCtx,
    table: Option<Arc<ActTable<R>>>,
) -> Matrix<R> {
    let p = spec.num_params();
    let lift = |v: &[R]| -> Vec<HyperDual<R>> { v.iter().map(|c| HyperDual::constant(c, ctx)).collect() };
    let (x, y, theta0) = (lift(&inputs.x), lift(&inputs.y), lift(&inputs.theta));
    let c = R::consts(ctx);
    Matrix::from_par_lines(
        p,
        false,
        1,
        ctx,
        || {
            let mut ws = Workspace::new(spec, n, &x, ctx);
            ws.table = table.clone();
            (ws, theta0.clone())
        },
        |(ws, theta), i| {
            theta[i].e1.set(&c.one, ctx);
            let row = (0..p)
                .map(|j| {
                    theta[j].e2.set(&c.one, ctx);
                    forward(spec, n, theta, &y, eval, ws, ctx);
                    theta[j].e2.set(&c.zero, ctx);
                    ws.loss.d.clone()
                })
                .collect();
            theta[i].e1.set(&c.zero, ctx);
            vec![row]
        },
    )
}

/// Every parameter's first-order tangents of every pre-activation and activation: `z[p][l]`
/// and `a[p][l]` (N × d_l) for the layers l ≥ l_p of θ_p's layer (empty below, where the
/// pre-activations' are +0).
struct Seeds<R> {
    z: Vec<Vec<Vec<R>>>,
    a: Vec<Vec<Vec<R>>>,
}

impl<R: Real> Seeds<R> {
    /// One hyper-dual pass per parameter with its ε₁ part seeded (the ε₁ parts of a full
    /// pass, see the module docs); `None` when a tangent (of a pre-activation or an
    /// activation) is not finite, or when they would take more than [`MAX_SEED_VALUES`].
    fn compute(spec: &Spec, n: usize, inputs: &Inputs<R>, eval: &Eval, ctx: &R::RCtx, table: &Arc<ActTable<R>>) -> Option<Self> {
        let p = spec.num_params();
        let depth = spec.depth();
        let above = |l: usize| n * spec.layers[l..=depth].iter().sum::<usize>();
        let count: usize = 2 * (0..p).map(|q| above(spec.unit_of(q).0)).sum::<usize>();
        let limit = if std::mem::needs_drop::<R>() { MAX_SEED_VALUES / 4 } else { MAX_SEED_VALUES };
        if count > limit {
            return None;
        }
        let lift = |v: &[R]| -> Vec<HyperDual<R>> { v.iter().map(|c| HyperDual::constant(c, ctx)).collect() };
        let (x, y, theta0) = (lift(&inputs.x), lift(&inputs.y), lift(&inputs.theta));
        let c = R::consts(ctx);
        let init = || {
            let mut ws = Workspace::new(spec, n, &x, ctx);
            ws.table = Some(table.clone());
            (ws, theta0.clone())
        };
        let z = per_worker(p, init, |(ws, theta), q| {
            let (lq, uq) = spec.unit_of(q);
            theta[q].e1.set(&c.one, ctx);
            ws.tangents_from(lq, vec![uq]);
            forward(spec, n, theta, &y, eval, ws, ctx);
            theta[q].e1.set(&c.zero, ctx);
            let finite = (lq..=depth).all(|l| ws.z[l].iter().chain(&ws.a[l]).all(|v| v.e1.is_finite()));
            let keep = |v: &[Vec<HyperDual<R>>]| -> Vec<Vec<R>> {
                (0..=depth).map(|l| if l < lq { Vec::new() } else { v[l].iter().map(|v| v.e1.clone()).collect() }).collect()
            };
            finite.then(|| (keep(&ws.z), keep(&ws.a)))
        });
        let (z, a) = z.into_iter().collect::<Option<Vec<_>>>()?.into_iter().unzip();
        Some(Seeds { z, a })
    }

    /// θ_q's tangent of the k-th pre-activation of layer l, `None` where it is +0.
    #[inline]
    fn get(&self, q: usize, l: usize, k: usize) -> Option<&R> {
        self.z[q][l].get(k)
    }
}

/// One worker's state: its workspace and θ, the ε₁ε₂ parts of the activations as values of the
/// format (`ad[l]`, N × d_l: the operands of the upper layers' dot products), scratch, and what
/// its layers hold below the last entry's layer m — (m, the seed below m) — with the units of
/// layer m that entry changed.
struct State<R: Real> {
    ws: Workspace<HyperDual<R>>,
    theta: Vec<HyperDual<R>>,
    ad: Vec<Vec<R>>,
    unit: Vec<R>,
    ks_d: KernelScratch<R>,
    key: Option<(usize, Below)>,
    changed: [usize; 2],
}

/// Every entry evaluated from its layer m up (module docs), row by row.
fn fast<R: Real>(spec: &Spec, n: usize, inputs: &Inputs<R>, eval: &Eval, ctx: &R::RCtx, table: &Arc<ActTable<R>>, seeds: &Seeds<R>) -> Matrix<R> {
    let p = spec.num_params();
    let lift = |v: &[R]| -> Vec<HyperDual<R>> { v.iter().map(|c| HyperDual::constant(c, ctx)).collect() };
    let (x, y, theta0) = (lift(&inputs.x), lift(&inputs.y), lift(&inputs.theta));
    let c = R::consts(ctx);
    let max_len = spec.sum_lengths(n).into_iter().max().unwrap_or(1);
    let init = || {
        let mut ws = Workspace::new(spec, n, &x, ctx);
        ws.table = Some(table.clone());
        let ad = spec.layers.iter().map(|d| vec![c.zero.clone(); n * d]).collect();
        let widest = n * spec.layers.iter().max().copied().unwrap_or(1);
        let unit = vec![c.zero.clone(); widest];
        State { ws, theta: theta0.clone(), ad, unit, ks_d: KernelScratch::new(&c.zero, max_len), key: None, changed: [0, 0] }
    };
    let f = Fast { spec, n, inputs, eval, ctx, table, seeds, y: &y };
    Matrix::from_par_lines(p, false, 1, ctx, init, |st, i| vec![(0..p).map(|j| f.entry(st, i, j)).collect()])
}

/// What every entry of the fast path shares.
struct Fast<'a, R: Real> {
    spec: &'a Spec,
    n: usize,
    inputs: &'a Inputs<R>,
    eval: &'a Eval,
    ctx: &'a R::RCtx,
    table: &'a ActTable<R>,
    seeds: &'a Seeds<R>,
    y: &'a [HyperDual<R>],
}

impl<R: Real> Fast<'_, R> {
    /// Entry (i, j): the layers below m and layer m's other units from the table and the seeds'
    /// tangents, layer m's seeded units and the layers above from their ε₁ε₂ parts' dot
    /// products, the loss on hyper-dual numbers.
    fn entry(&self, st: &mut State<R>, i: usize, j: usize) -> R {
        let (spec, n, ctx) = (self.spec, self.n, self.ctx);
        let ((li, ui), (lj, uj)) = (spec.unit_of(i), spec.unit_of(j));
        let m = li.max(lj);
        let below = if li < m { Some((1, i)) } else if lj < m { Some((2, j)) } else { None };
        let units = [if li == m { ui } else { uj }, if lj == m { uj } else { ui }];
        let (d_m, depth) = (spec.layers[m], spec.depth());
        if m < depth {
            // the layer above reads only the ε₁ε₂ parts of layer m, ±0 outside the seeded units:
            // +0 does as well (module docs), and `ad` holds +0 outside them between entries
            st.key = None;
        } else if st.key == Some((m, below)) {
            // the loss reads the whole last layer: the last entry changed only its units there
            for r in 0..n {
                for u in st.changed {
                    self.set_node(st, m, r * d_m + u, below);
                }
            }
        } else {
            for k in 0..n * d_m {
                self.set_node(st, m, k, below);
            }
            st.key = Some((m, below));
        }
        st.changed = units;
        self.seeded_units(st, m, units, i, j, below);
        for l in m + 1..=depth {
            self.upper_layer(st, l, i, j);
        }
        // the loss alone (no layer left to evaluate)
        st.ws.resume_at(depth + 1, [0, 0]);
        forward(spec, n, &st.theta, self.y, self.eval, &mut st.ws, ctx);
        let zero = &R::consts(ctx).zero;
        for (l, ad) in st.ad.iter_mut().enumerate().take(depth).skip(m) {
            for v in ad.iter_mut() {
                if l > m || !v.is_zero() {
                    v.set(zero, ctx);
                }
            }
        }
        st.ws.loss.d.clone()
    }

    /// Layer m's seeded units. Their ε parts are the seeds' tangents; in the ε₁ε₂ part of a
    /// term of their dot products at most one product is not a structural zero: the ε part of
    /// the seed below m times the other seed's θ tangent (1, in the row of that weight), or
    /// none when no seed lies below m or the seed in m is a bias. So, as above, the ε₁ε₂ part
    /// equals the dot product of the activations' ε parts of the seed below m with that unit
    /// vector (+0 without one), up to the sign of a zero that the bias's +0 removes.
    fn seeded_units(&self, st: &mut State<R>, m: usize, units: [usize; 2], i: usize, j: usize, below: Below) {
        let (spec, ctx) = (self.spec, self.ctx);
        let (din, dout) = (spec.layers[m - 1], spec.layers[m]);
        let w0 = spec.w_offset(m);
        let zero = &R::consts(ctx).zero;
        // the row of the weight the seed in m is, when the other seed lies below m
        let row = below.and_then(|(part, _)| {
            let q = if part == 1 { j } else { i };
            let off = q - w0;
            (off < din * dout).then_some(off / dout)
        });
        if let Some(t) = row {
            st.unit[t].set(&R::consts(ctx).one, ctx);
        }
        for &u in if units[0] == units[1] { &units[..1] } else { &units[..] } {
            for r in 0..self.n {
                let k = r * dout + u;
                let z = &mut st.ws.z[m][k];
                match row {
                    Some(_) => {
                        let q = below.map_or(i, |(part, _)| if part == 1 { i } else { j });
                        let e = Strided::new(&self.seeds.a[q][m - 1], r * din, 1, din);
                        matmul(&mut z.d, e, Strided::new(&st.unit, 0, 1, din), self.eval, &mut st.ks_d, None, ctx);
                        z.d.add_assign(zero, ctx);
                    }
                    None => z.d.set(zero, ctx),
                }
                z.v.set(&self.table.z[m][k], ctx);
                z.e1.set(self.seeds.get(i, m, k).unwrap_or(zero), ctx);
                z.e2.set(self.seeds.get(j, m, k).unwrap_or(zero), ctx);
                let [f0, f1, f2] = &self.table.layers[m][k];
                st.ws.a[m][k].set_fun_known(&st.ws.z[m][k], [f0, f1, f2], ctx);
                st.ad[m][k].set(&st.ws.a[m][k].d, ctx);
            }
        }
        if let Some(t) = row {
            st.unit[t].set(zero, ctx);
        }
    }

    /// Layer l > m: every θ tangent of the layer is zero, so each term's ε₁ε₂ part is
    /// `a.d·W.v` plus terms that are zeros ((±0)·finite, their sign aside); sums, products and
    /// fused products of values equal up to the signs of zeros are equal up to the signs of
    /// zeros, in every order (the kernels are branch-free) and policy, so the dot product of
    /// the ε₁ε₂ parts with W's values equals the full one but for the sign of a zero, which
    /// adding the bias's +0 makes +0 in both. The values are the table's and the ε parts the
    /// seeds' tangents.
    fn upper_layer(&self, st: &mut State<R>, l: usize, i: usize, j: usize) {
        let (spec, ctx) = (self.spec, self.ctx);
        let (din, dout) = (spec.layers[l - 1], spec.layers[l]);
        let w0 = spec.w_offset(l);
        let zero = &R::consts(ctx).zero;
        let (below, above) = st.ad.split_at_mut(l);
        let (ad_in, ad_out) = (&below[l - 1], &mut above[0]);
        let ws = &mut st.ws;
        for r in 0..self.n {
            for u in 0..dout {
                let k = r * dout + u;
                let z = &mut ws.z[l][k];
                let col = Strided::new(&self.inputs.theta, w0 + u, dout, din);
                matmul(&mut z.d, Strided::new(ad_in, r * din, 1, din), col, self.eval, &mut st.ks_d, None, ctx);
                z.d.add_assign(zero, ctx);
                z.v.set(&self.table.z[l][k], ctx);
                z.e1.set(self.seeds.get(i, l, k).unwrap_or(zero), ctx);
                z.e2.set(self.seeds.get(j, l, k).unwrap_or(zero), ctx);
                let [f0, f1, f2] = &self.table.layers[l][k];
                ws.a[l][k].set_fun_known(&ws.z[l][k], [f0, f1, f2], ctx);
                ad_out[k].set(&ws.a[l][k].d, ctx);
            }
        }
    }

    /// The k-th pre-activation of layer l and its activation, as a full pass of an entry whose
    /// layer m is l computes them outside the seeded units: the table's value, the tangent of
    /// the seed below m (`below`; the other ε part is +0 there), ε₁ε₂ part +0, and the
    /// activation through the table's derivatives.
    fn set_node(&self, st: &mut State<R>, l: usize, k: usize, below: Below) {
        let ctx = self.ctx;
        let zero = &R::consts(ctx).zero;
        let z = &mut st.ws.z[l][k];
        z.v.set(&self.table.z[l][k], ctx);
        z.d.set(zero, ctx);
        let tangent = |part: u8| match below {
            Some((s, q)) if s == part => self.seeds.get(q, l, k).unwrap_or(zero),
            _ => zero,
        };
        z.e1.set(tangent(1), ctx);
        z.e2.set(tangent(2), ctx);
        let [f0, f1, f2] = &self.table.layers[l][k];
        st.ws.a[l][k].set_fun_known(&st.ws.z[l][k], [f0, f1, f2], ctx);
    }
}
