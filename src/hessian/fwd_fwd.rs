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
//!   nearest). So entry (i, j) sets the activations of layer m − 1 and the other units of
//!   layer m from the table and the seeds' tangents (their ε₁ε₂ parts through the same lift
//!   [`Scalar::set_fun_known`] a full pass applies to a +0), and runs the generic forward pass
//!   from layer m, only the seeded units there ([`Workspace::resume_at`]). Consecutive entries
//!   that share layer m and the seed below it share that state: only the units the last entry
//!   changed are restored.
//!
//! Without a table, or when a tangent is not finite, every entry is a full pass.

use std::sync::Arc;

use super::{per_worker, Matrix};
use crate::ad::HyperDual;
use crate::model::mlp::{forward, ActTable, Workspace};
use crate::model::problem::Inputs;
use crate::model::Spec;
use crate::order::Eval;
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
    if let Some(t) = table.as_ref().filter(|t| !t.checked && t.finite) {
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

/// Every parameter's first-order tangents of every pre-activation: `z[p][l]` (N × d_l) for the
/// layers l ≥ l_p of θ_p's layer (empty below, where they are +0).
struct Seeds<R> {
    z: Vec<Vec<Vec<R>>>,
}

impl<R: Real> Seeds<R> {
    /// One hyper-dual pass per parameter with its ε₁ part seeded (the ε₁ parts of a full
    /// pass, see the module docs); `None` when a tangent (of a pre-activation or an
    /// activation) is not finite, or when they would take more than [`MAX_SEED_VALUES`].
    fn compute(spec: &Spec, n: usize, inputs: &Inputs<R>, eval: &Eval, ctx: &R::RCtx, table: &Arc<ActTable<R>>) -> Option<Self> {
        let p = spec.num_params();
        let depth = spec.depth();
        let above = |l: usize| n * spec.layers[l..=depth].iter().sum::<usize>();
        let count: usize = (0..p).map(|q| above(spec.unit_of(q).0)).sum();
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
            finite.then(|| (0..=depth).map(|l| if l < lq { Vec::new() } else { ws.z[l].iter().map(|v| v.e1.clone()).collect() }).collect())
        });
        Some(Seeds { z: z.into_iter().collect::<Option<Vec<_>>>()? })
    }

    /// θ_q's tangent of the k-th pre-activation of layer l, `None` where it is +0.
    #[inline]
    fn get(&self, q: usize, l: usize, k: usize) -> Option<&R> {
        self.z[q][l].get(k)
    }
}

/// One worker's state: its workspace and θ, and what its layers below the last entry's
/// layer m hold — (m, the seed below m) — with the units of layer m that entry changed.
struct State<R: Real> {
    ws: Workspace<HyperDual<R>>,
    theta: Vec<HyperDual<R>>,
    key: Option<(usize, Below)>,
    changed: [usize; 2],
}

/// Every entry evaluated from its layer m up (module docs), row by row.
fn fast<R: Real>(spec: &Spec, n: usize, inputs: &Inputs<R>, eval: &Eval, ctx: &R::RCtx, table: &Arc<ActTable<R>>, seeds: &Seeds<R>) -> Matrix<R> {
    let p = spec.num_params();
    let lift = |v: &[R]| -> Vec<HyperDual<R>> { v.iter().map(|c| HyperDual::constant(c, ctx)).collect() };
    let (x, y, theta0) = (lift(&inputs.x), lift(&inputs.y), lift(&inputs.theta));
    let c = R::consts(ctx);
    let init = || {
        let mut ws = Workspace::new(spec, n, &x, ctx);
        ws.table = Some(table.clone());
        State { ws, theta: theta0.clone(), key: None, changed: [0, 0] }
    };
    Matrix::from_par_lines(p, false, 1, ctx, init, |st, i| {
        let (li, ui) = spec.unit_of(i);
        st.theta[i].e1.set(&c.one, ctx);
        let row = (0..p)
            .map(|j| {
                let (lj, uj) = spec.unit_of(j);
                let m = li.max(lj);
                let below = if li < m { Some((1, i)) } else if lj < m { Some((2, j)) } else { None };
                let units = [if li == m { ui } else { uj }, if lj == m { uj } else { ui }];
                let d_m = spec.layers[m];
                if st.key == Some((m, below)) {
                    // the last entry changed only its units of layer m (and the layers above)
                    for r in 0..n {
                        for u in st.changed {
                            set_node(&mut st.ws, table, seeds, m, r * d_m + u, below, ctx);
                        }
                    }
                } else {
                    for l in (m - 1).max(1)..=m {
                        for k in 0..n * spec.layers[l] {
                            set_node(&mut st.ws, table, seeds, l, k, below, ctx);
                        }
                    }
                    st.key = Some((m, below));
                }
                st.changed = units;
                st.theta[j].e2.set(&c.one, ctx);
                st.ws.resume_at(m, units);
                forward(spec, n, &st.theta, &y, eval, &mut st.ws, ctx);
                st.theta[j].e2.set(&c.zero, ctx);
                st.ws.loss.d.clone()
            })
            .collect();
        st.theta[i].e1.set(&c.zero, ctx);
        vec![row]
    })
}

/// The k-th pre-activation of layer l and its activation, as a full pass of an entry whose
/// layer m is l or l + 1 computes them outside the seeded units: the table's value, the
/// tangent of the seed below m (`below`; the other ε part is +0 there), ε₁ε₂ part +0, and the
/// activation through the table's derivatives.
#[allow(clippy::too_many_arguments)]
fn set_node<R: Real>(ws: &mut Workspace<HyperDual<R>>, table: &ActTable<R>, seeds: &Seeds<R>, l: usize, k: usize, below: Below, ctx: &R::RCtx) {
    let zero = &R::consts(ctx).zero;
    let z = &mut ws.z[l][k];
    z.v.set(&table.z[l][k], ctx);
    z.d.set(zero, ctx);
    let tangent = |part: u8| match below {
        Some((s, q)) if s == part => seeds.get(q, l, k).unwrap_or(zero),
        _ => zero,
    };
    z.e1.set(tangent(1), ctx);
    z.e2.set(tangent(2), ctx);
    let [f0, f1, f2] = &table.layers[l][k];
    ws.a[l][k].set_fun_known(z, [f0, f1, f2], ctx);
}
