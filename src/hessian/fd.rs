//! Finite-difference approximations of the Hessian, generic over every format.
//!
//! With `θ ⊕ s·h_j e_j` meaning θ with θ_j replaced by `θ_j + s·h_j` **rounded in the working
//! format** (the step is applied exactly as the scheme says, in that format), g the exact
//! gradient (the generic backprop) and L the loss:
//!
//! | method | column j / entry (i, j) | truncation | optimal h |
//! |---|---|---|---|
//! | `fd-grad-forward` | `(g(θ⊕h) − g(θ)) / h` | O(h) | ε^(1/2) |
//! | `fd-grad-central` | `(g(θ⊕h) − g(θ⊖h)) / (2h)` | O(h²) | ε^(1/3) |
//! | `fd-grad-central4` | `(8·(g(θ⊕h) − g(θ⊖h)) + (g(θ⊖2h) − g(θ⊕2h))) / (12h)` | O(h⁴) | ε^(1/5) |
//! | `fd-loss-4pt` | `((L₊₊ + L₋₋) − (L₊₋ + L₋₊)) / (4·(h_i·h_j))` | O(h²) | ε^(1/4) |
//! | `fd-loss-4pt-as-printed` | `(((L₊₊ + L₋₋) − L₊₊) − L₋₋) / (4·(h_i·h_j))` | — (zero in exact arithmetic) | ε^(1/4) (as `fd-loss-4pt`) |
//!
//! `L₊₋` is the loss at θ with θ_i ⊕ h_i, then θ_j ⊖ h_j. Since `L₊₋(i,j)` is the same point as
//! `L₋₊(j,i)` and the formula adds them commutatively, `fd-loss-4pt` is **bitwise symmetric** at
//! every precision; the gradient schemes are not (column j differences only θ_j).
//!
//! `fd-loss-4pt-as-printed` is the TF2 article's Example 2 exactly as printed: its code
//! evaluates `L₊₋` at the point of `L₊₊` and `L₋₊` at the point of `L₋₋`, so the numerator is
//! `((A + B) − A) − B`, left to right — no approximation of the Hessian at all, only the rounding
//! residue of the cancellation (kept to measure that residue, as the article's float64 run
//! would see it).
//!
//! The step rules and the steps h_j they give ([`StepRule`], [`steps`], [`actual_steps`]) are
//! names and formulas that need no Hessian code: they live in [`crate::method`] and are
//! re-exported here.

use std::sync::Arc;

use super::{Matrix, Method};
use crate::model::mlp::{forward, gradient, ActTable, Workspace};
use crate::model::problem::Inputs;
use crate::model::Spec;
use crate::order::Eval;
use crate::scalar::Real;

pub use crate::method::{actual_steps, optimal_root, steps, StepRule};

/// `θ_j ← θ_j ⊕ s·h` with `s ∈ {+1, −1, +2, −2}` (2h is exact).
fn perturb<R: Real>(theta: &mut [R], j: usize, base: &R, h: &R, s: i32, ctx: &R::RCtx) {
    let mut step = h.clone();
    if s.abs() == 2 {
        step.set_mul(&R::consts(ctx).two, h, ctx);
    }
    if s < 0 {
        let pos = step.clone();
        step.set_neg(&pos, ctx);
    }
    theta[j].set_add(base, &step, ctx);
}

/// A finite-difference Hessian with given steps `h` (one per parameter, values of the format).
/// With `reuse_primal`, every evaluation starts from a [`ActTable::checked`] table of the base
/// point: the layers below the perturbed parameters' units and the other units of their layer
/// keep the base point's values ([`Workspace::from_table`]), and the transcendentals of every
/// pre-activation that comes out bit-identical to the base point's are read from the table
/// (same bits as the full evaluation, tested); without, every evaluation is a full pass (the
/// reference path).
#[allow(clippy::too_many_arguments)]
pub fn hessian_with_steps<R: Real>(
    method: Method,
    spec: &Spec,
    n: usize,
    inputs: &Inputs<R>,
    eval: &Eval,
    ctx: &R::RCtx,
    h: &[R],
    reuse_primal: bool,
) -> Matrix<R> {
    let p = spec.num_params();
    let (theta0, y) = (&inputs.theta, &inputs.y);
    let table = reuse_primal.then(|| Arc::new(ActTable::checked(spec, n, &inputs.x, theta0, y, eval, ctx)));
    let init = || {
        let mut ws = Workspace::new(spec, n, &inputs.x, ctx);
        ws.table = table.clone();
        (ws, theta0.clone(), [theta0[0].clone(), theta0[0].clone()])
    };
    if matches!(method, Method::FdLoss4pt | Method::FdLoss4ptAsPrinted) {
        let as_printed = method == Method::FdLoss4ptAsPrinted;
        return Matrix::from_par_lines(p, false, 1, ctx, init, |(ws, theta, [t1, t2]), i| {
            let mut loss_at = |si: i32, j: usize, sj: i32| -> R {
                perturb(theta, i, &theta0[i], &h[i], si, ctx);
                let moved_i = theta[i].clone();
                perturb(theta, j, if i == j { &moved_i } else { &theta0[j] }, &h[j], sj, ctx);
                let ((li, ui), (lj, uj)) = (spec.unit_of(i), spec.unit_of(j));
                let changed = match li.cmp(&lj) {
                    std::cmp::Ordering::Equal => (li, [ui, uj]),
                    std::cmp::Ordering::Less => (li, [ui, ui]),
                    std::cmp::Ordering::Greater => (lj, [uj, uj]),
                };
                ws.from_table(changed.0, changed.1, ctx);
                forward(spec, n, theta, y, eval, ws, ctx);
                theta[i].set(&theta0[i], ctx);
                theta[j].set(&theta0[j], ctx);
                ws.loss.clone()
            };
            let row = (0..p)
                .map(|j| {
                    let (pp, mm) = (loss_at(1, j, 1), loss_at(-1, j, -1));
                    let mut num = pp.clone();
                    if as_printed {
                        // ((L₊₊ + L₋₋) − L₊₊) − L₋₋, left to right as printed
                        t1.set_add(&pp, &mm, ctx);
                        t2.set_sub(t1, &pp, ctx);
                        num.set_sub(t2, &mm, ctx);
                    } else {
                        let (pm, mp) = (loss_at(1, j, -1), loss_at(-1, j, 1));
                        t1.set_add(&pp, &mm, ctx);
                        t2.set_add(&pm, &mp, ctx);
                        num.set_sub(t1, t2, ctx);
                    }
                    t1.set_mul(&h[i], &h[j], ctx);
                    t2.set_mul(&R::consts(ctx).two, t1, ctx);
                    t1.set_mul(&R::consts(ctx).two, t2, ctx); // 4·(h_i·h_j)
                    let mut e = num.clone();
                    e.set_div(&num, t1, ctx);
                    e
                })
                .collect();
            vec![row]
        });
    }
    let g0 = (method == Method::FdGradForward).then(|| {
        let (mut ws, ..) = init();
        gradient(spec, n, theta0, y, eval, &mut ws, ctx);
        ws.grad
    });
    Matrix::from_par_lines(p, true, 1, ctx, init, |(ws, theta, [t1, t2]), j| {
        let (layer, unit) = spec.unit_of(j);
        let mut g_at = |s: i32| {
            perturb(theta, j, &theta0[j], &h[j], s, ctx);
            ws.from_table(layer, [unit, unit], ctx);
            gradient(spec, n, theta, y, eval, ws, ctx);
            let g = ws.grad.clone();
            theta[j].set(&theta0[j], ctx);
            g
        };
        let c = R::consts(ctx);
        let (num, den): (Vec<R>, R) = match method {
            Method::FdGradForward => {
                let gp = g_at(1);
                let g0 = g0.as_ref().expect("computed for forward differences");
                let num = gp.iter().zip(g0).map(|(a, b)| { let mut d = a.clone(); d.set_sub(a, b, ctx); d }).collect();
                (num, h[j].clone())
            }
            Method::FdGradCentral => {
                let (gp, gm) = (g_at(1), g_at(-1));
                let num = gp.iter().zip(&gm).map(|(a, b)| { let mut d = a.clone(); d.set_sub(a, b, ctx); d }).collect();
                let mut den = h[j].clone();
                den.set_mul(&c.two, &h[j], ctx);
                (num, den)
            }
            Method::FdGradCentral4 => {
                let (gp, gm, gp2, gm2) = (g_at(1), g_at(-1), g_at(2), g_at(-2));
                let eight = R::from_f64(8.0, ctx);
                let num = (0..p)
                    .map(|i| {
                        t1.set_sub(&gp[i], &gm[i], ctx);
                        t2.set_mul(&eight, t1, ctx);
                        t1.set_sub(&gm2[i], &gp2[i], ctx);
                        let mut d = t1.clone();
                        d.set_add(t2, t1, ctx);
                        d
                    })
                    .collect();
                let mut den = h[j].clone();
                den.set_mul(&R::from_f64(12.0, ctx), &h[j], ctx);
                (num, den)
            }
            _ => unreachable!("not a gradient-difference method"),
        };
        vec![num.iter().map(|d| { let mut e = d.clone(); e.set_div(d, &den, ctx); e }).collect()]
    })
}
