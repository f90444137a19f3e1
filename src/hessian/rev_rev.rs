//! `rev-rev`: the generic gradient code recorded on a tape, then one reverse sweep per gradient
//! component — TensorFlow's `tape.jacobian(tape.gradient(loss, θ), θ)`. Under
//! `rules = tensorflow` the gradient code records TensorFlow's ops and the sweeps run them as
//! `jacobian`'s vectorized loop does ([`crate::model::rules::tensorflow`]).
//!
//! The hardware and narrow formats run [`LANES`] sweeps ([`WIDE_LANES`] for `f32`) in one walk
//! of the tape ([`LaneSweep`]: the adjoints of a node in contiguous lanes, a mask of the lanes
//! that reached it), bit for bit the sweeps one at a time ([`Sweep`], the definition, which
//! [`Options::vector_lanes`](super::Options::vector_lanes) `= false` runs and which the other
//! formats always run: MPFR's arithmetic dwarfs the walk, and `K` adjoints per node would cost
//! `K` times the memory), as do tapes with TensorFlow's cross-entropy nodes (`RuleNode::Xent`
//! reads which nodes of its row the sweep has reached). Measured in BENCHMARKS.md ("rev-rev in lanes").

use std::sync::Arc;

use super::Matrix;
use crate::ad::tape::RuleNode;
use crate::ad::{LaneSweep, NodeId, Sweep, Tape, TapeCtx, TapeVar};
use crate::model::mlp::{ActTable, backward, forward, Workspace};
use crate::model::problem::Inputs;
use crate::model::Spec;
use crate::order::Eval;
use crate::scalar::{Real, Scalar};

/// Sweeps per walk of the tape for `f64` and the narrow formats.
pub const LANES: usize = 8;
/// Sweeps per walk for `f32`.
pub const WIDE_LANES: usize = 16;

pub(super) fn hessian<R: Real>(
    spec: &Spec,
    n: usize,
    inputs: &Inputs<R>,
    eval: &Eval,
    ctx: &R::RCtx,
    table: Option<Arc<ActTable<R>>>,
    vector_lanes: bool,
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
    let outputs: Vec<NodeId> = ws.grad.iter().map(|g| g.idx).collect();
    let leaves: Vec<NodeId> = theta.iter().map(|t| t.idx).collect();
    drop(ws);
    let tape = tctx.tape.into_inner();
    let plain = !std::mem::needs_drop::<R>() && std::mem::size_of::<R>() <= 8;
    // a cross-entropy node (`rules = tensorflow`) reads which nodes of its row its sweep reached
    let xent = tape.rules.iter().any(|r| matches!(r, RuleNode::Xent { .. }));
    let vector_lanes = vector_lanes && !xent;
    match (vector_lanes && plain, std::mem::size_of::<R>()) {
        (true, 4) => in_lanes::<R, WIDE_LANES>(&tape, &outputs, &leaves, ctx),
        (true, _) => in_lanes::<R, LANES>(&tape, &outputs, &leaves, ctx),
        (false, _) => Matrix::from_par_lines(
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
        ),
    }
}

/// The rows `K` at a time, one [`LaneSweep`] walk each (the last block may have fewer).
fn in_lanes<R: Real, const K: usize>(tape: &Tape<R>, outputs: &[NodeId], leaves: &[NodeId], ctx: &R::RCtx) -> Matrix<R> {
    let p = outputs.len();
    Matrix::from_par_lines(
        p,
        false,
        K,
        ctx,
        || LaneSweep::<R, K>::new(tape, ctx),
        |sweep, block| {
            let rows = block * K..((block + 1) * K).min(p);
            sweep.run_rows(tape, &outputs[rows.clone()], rows.start, p, ctx);
            (0..rows.len()).map(|l| leaves.iter().map(|&j| sweep.adjoint(j, l, ctx)).collect()).collect()
        },
    )
}
