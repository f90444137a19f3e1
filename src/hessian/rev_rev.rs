//! `rev-rev`: the generic gradient code recorded on a tape, then one reverse sweep per gradient
//! component — TensorFlow's `tape.jacobian(tape.gradient(loss, θ), θ)`. Under
//! `rules = tensorflow` the gradient code records TensorFlow's ops and the sweeps run them as
//! `jacobian`'s vectorized loop does ([`crate::model::rules::tensorflow`]).

use std::sync::Arc;

use super::Matrix;
use crate::ad::{Sweep, TapeCtx, TapeVar};
use crate::model::mlp::{ActTable, backward, forward, Workspace};
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
    let tctx = TapeCtx::<R>::new(ctx.clone());
    let theta: Vec<TapeVar<R>> = inputs.theta.iter().map(|v| tctx.var(v)).collect();
    let x: Vec<TapeVar<R>> = inputs.x.iter().map(|v| TapeVar::constant(v, &tctx)).collect();
    let y: Vec<TapeVar<R>> = inputs.y.iter().map(|v| TapeVar::constant(v, &tctx)).collect();
    let mut ws = Workspace::new(spec, n, &x, &tctx);
    ws.table = table;
    forward(spec, n, &theta, &y, eval, &mut ws, &tctx);
    backward(spec, n, &theta, eval, &mut ws, &tctx);
    let outputs: Vec<u32> = ws.grad.iter().map(|g| g.idx).collect();
    let leaves: Vec<u32> = theta.iter().map(|t| t.idx).collect();
    drop(ws);
    let tape = tctx.tape.into_inner();
    Matrix::from_par_lines(
        p,
        false,
        1,
        ctx,
        || Sweep::new(&tape, ctx),
        |sweep, i| {
            // row i of p sweeps: where a framework's vectorized sweeps place its kernels' elements
            sweep.run_row(&tape, outputs[i], i, p, ctx);
            vec![leaves.iter().map(|&l| sweep.adjoint(l, ctx)).collect()]
        },
    )
}
