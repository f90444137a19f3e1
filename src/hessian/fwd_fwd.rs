//! `fwd-fwd`: the loss on hyper-dual numbers, one Hessian entry per evaluation.

use std::sync::Arc;

use super::Matrix;
use crate::ad::HyperDual;
use crate::model::mlp::{ActTable, forward, Workspace};
use crate::model::problem::Inputs;
use crate::model::Spec;
use crate::order::Eval;
use crate::scalar::{Real, Scalar};

pub(super) fn hessian<R: Real>(
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
