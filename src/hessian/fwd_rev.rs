//! `fwd-rev` (and `gauss-newton`): the generic gradient code on dual numbers, one column per
//! basis vector.

use rayon::prelude::*;

use std::sync::Arc;

use super::Matrix;
use crate::ad::Dual;
use crate::model::mlp::{ActTable, backward, detach_cache, forward, Workspace};
use crate::model::problem::Inputs;
use crate::model::Spec;
use crate::order::Eval;
use crate::scalar::{Real, Scalar};

/// Column j = tangent of ∇L with θ's tangent e_j; with `gauss_newton` the backward pass sees
/// the forward cache and θ as constants, giving `Jᵀ H_ℓ J e_j`.
pub(super) fn hessian<R: Real>(
    spec: &Spec,
    n: usize,
    inputs: &Inputs<R>,
    eval: &Eval,
    ctx: &R::RCtx,
    gauss_newton: bool,
    table: Option<Arc<ActTable<R>>>,
) -> Matrix<R> {
    let p = spec.num_params();
    let lift = |v: &[R]| -> Vec<Dual<R>> { v.iter().map(|c| Dual::constant(c, ctx)).collect() };
    let (x, y, theta0) = (lift(&inputs.x), lift(&inputs.y), lift(&inputs.theta));
    let c = R::consts(ctx);
    let columns: Vec<Vec<R>> = (0..p)
        .into_par_iter()
        .map_init(
            || {
                let mut ws = Workspace::new(spec, n, &x, ctx);
                ws.table = table.clone();
                (ws, theta0.clone())
            },
            |(ws, theta), j| {
                theta[j].t.set(&c.one, ctx);
                forward(spec, n, theta, &y, eval, ws, ctx);
                if gauss_newton {
                    detach_cache(ws, ctx);
                    backward(spec, n, &theta0, eval, ws, ctx);
                } else {
                    backward(spec, n, theta, eval, ws, ctx);
                }
                theta[j].t.set(&c.zero, ctx);
                ws.grad.iter().map(|g| g.t.clone()).collect()
            },
        )
        .collect();
    Matrix::from_lines(p, columns, true)
}
