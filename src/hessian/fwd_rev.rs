//! `fwd-rev` (and `gauss-newton`): the generic gradient code on dual numbers, one column per
//! basis vector — [`LANES`] ([`WIDE_LANES`] for f32) columns per pass with [`DualVec`], whose dot
//! products run its format's lane kernels ([`LaneDot`]; bit-identical to one column per pass
//! with [`Dual`], which is kept as the reference path). With the primal's table, a pass
//! skips the forward dot products whose tangents are structurally zero: every unit below the
//! seeded parameters' layer and the unseeded units of that layer
//! ([`Workspace::tangents_from`]; bit-identical to the full pass, tested), and the dot
//! products take their values from the primal's ([`Workspace::at_table_point`]): MPFR computes
//! only the lanes.

use std::sync::Arc;

use super::Matrix;
use crate::ad::{Dual, DualVec, LaneDot};
use crate::model::mlp::{backward, detach_cache, forward, ActTable, Workspace};
use crate::model::problem::Inputs;
use crate::model::Spec;
use crate::scalar::order::Eval;
use crate::scalar::{Real, Scalar};

/// Columns processed per pass by the vector path: two 256-bit vectors of tangents for `f32`
/// ([`LaneDot::WIDE_LANES`]), two of `f64` (and 8 for every other format).
pub const LANES: usize = 8;
/// Columns per pass where [`LaneDot::WIDE_LANES`] is set.
pub const WIDE_LANES: usize = 16;

/// A dual scalar carrying one or more tangent lanes (columns).
pub(super) trait Lanes<R: Real>: Scalar<Real = R, Ctx = R::RCtx> + Sync {
    /// Number of lanes.
    const N: usize;
    /// Sets lane `k`'s tangent to `v`.
    fn seed(&mut self, k: usize, v: &R, ctx: &R::RCtx);
    /// Lane `k`'s tangent.
    fn tangent(&self, k: usize) -> &R;
}

impl<R: Real> Lanes<R> for Dual<R> {
    const N: usize = 1;
    fn seed(&mut self, _: usize, v: &R, ctx: &R::RCtx) {
        self.t.set(v, ctx);
    }
    fn tangent(&self, _: usize) -> &R {
        &self.t
    }
}

impl<R: LaneDot, const K: usize> Lanes<R> for DualVec<R, K> {
    const N: usize = K;
    fn seed(&mut self, k: usize, v: &R, ctx: &R::RCtx) {
        self.t[k].set(v, ctx);
    }
    fn tangent(&self, k: usize) -> &R {
        &self.t[k]
    }
}

/// Column j = tangent of ∇L with θ's tangent e_j; with `gauss_newton` the backward pass sees
/// the forward cache and θ as constants, giving `Jᵀ H_ℓ J e_j`.
#[allow(clippy::too_many_arguments)]
pub(super) fn hessian<R: LaneDot>(
    spec: &Spec,
    n: usize,
    inputs: &Inputs<R>,
    eval: &Eval,
    ctx: &R::RCtx,
    gauss_newton: bool,
    table: Option<Arc<ActTable<R>>>,
    vector_lanes: bool,
) -> Matrix<R> {
    if vector_lanes && R::WIDE_LANES {
        columns::<R, DualVec<R, WIDE_LANES>>(spec, n, inputs, eval, ctx, gauss_newton, table)
    } else if vector_lanes {
        columns::<R, DualVec<R, LANES>>(spec, n, inputs, eval, ctx, gauss_newton, table)
    } else {
        columns::<R, Dual<R>>(spec, n, inputs, eval, ctx, gauss_newton, table)
    }
}

fn columns<R: Real, S: Lanes<R>>(
    spec: &Spec,
    n: usize,
    inputs: &Inputs<R>,
    eval: &Eval,
    ctx: &R::RCtx,
    gauss_newton: bool,
    table: Option<Arc<ActTable<R>>>,
) -> Matrix<R> {
    let p = spec.num_params();
    let lift = |v: &[R]| -> Vec<S> { v.iter().map(|c| S::constant(c, ctx)).collect() };
    let (x, y, theta0) = (lift(&inputs.x), lift(&inputs.y), lift(&inputs.theta));
    let c = R::consts(ctx);
    Matrix::from_par_lines(
        p,
        true,
        S::N,
        ctx,
        || {
            let mut ws = Workspace::new(spec, n, &x, ctx);
            ws.table = table.clone();
            // θ's values are θ0's: every value is the primal's (gauss-newton's detached
            // backward pass too), so the dot products take theirs from the table
            ws.at_table_point();
            (ws, theta0.clone())
        },
        |(ws, theta), chunk| {
            let cols: Vec<usize> = (chunk * S::N..((chunk + 1) * S::N).min(p)).collect();
            for (k, &j) in cols.iter().enumerate() {
                theta[j].seed(k, &c.one, ctx);
            }
            // skip the structurally zero tangents below the seeds' layer (same bits)
            let layer = cols.iter().map(|&j| spec.unit_of(j).0).min().expect("a column");
            let units = cols.iter().map(|&j| spec.unit_of(j)).filter(|u| u.0 == layer).map(|u| u.1).collect();
            ws.tangents_from(layer, units);
            forward(spec, n, theta, &y, eval, ws, ctx);
            if gauss_newton {
                detach_cache(ws, ctx);
                backward(spec, n, &theta0, eval, ws, ctx);
            } else {
                backward(spec, n, theta, eval, ws, ctx);
            }
            for (k, &j) in cols.iter().enumerate() {
                theta[j].seed(k, &c.zero, ctx);
            }
            (0..cols.len()).map(|k| ws.grad.iter().map(|g| g.tangent(k).clone()).collect()).collect()
        },
    )
}
