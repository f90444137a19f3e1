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
    let table = reuse_primal.then(|| Arc::new(ActTable::checked(spec, n, &inputs.x, &inputs.theta, &inputs.y, eval, ctx)));
    let fd = Fd { spec, n, inputs, eval, ctx, h, table };
    match method {
        Method::FdLoss4pt | Method::FdLoss4ptAsPrinted => fd.loss_4pt(method == Method::FdLoss4ptAsPrinted),
        _ => fd.grad_diff(method),
    }
}

/// What every evaluation of one finite-difference Hessian shares: the problem at the base point,
/// the format's context, the steps, and (with `reuse_primal`) the base point's checked table.
struct Fd<'a, R: Real> {
    spec: &'a Spec,
    n: usize,
    inputs: &'a Inputs<R>,
    eval: &'a Eval,
    ctx: &'a R::RCtx,
    h: &'a [R],
    table: Option<Arc<ActTable<R>>>,
}

/// One worker's state: a workspace on the base point's table, its own copy of θ to perturb, and
/// two temporaries.
type FdState<R> = (Workspace<R>, Vec<R>, [R; 2]);

impl<R: Real> Fd<'_, R> {
    /// A fresh worker state (θ at the base point).
    fn state(&self) -> FdState<R> {
        let mut ws = Workspace::new(self.spec, self.n, &self.inputs.x, self.ctx);
        ws.table = self.table.clone();
        let theta0 = &self.inputs.theta;
        (ws, theta0.clone(), [theta0[0].clone(), theta0[0].clone()])
    }

    /// The loss at θ with θ_i ⊕ si·h_i, then θ_j ⊕ sj·h_j (from the moved θ_i when i = j);
    /// θ is back at the base point on return. With `row`, the checked table of the point
    /// θ ⊕ si·h_i·e_i (`row_table`), an entry whose θ_j lies in a higher layer than θ_i starts
    /// from that point's layers: only θ_j's unit and the layers above it are evaluated.
    #[allow(clippy::too_many_arguments)]
    fn loss_at(&self, ws: &mut Workspace<R>, theta: &mut [R], i: usize, si: i32, j: usize, sj: i32, row: Option<&Arc<ActTable<R>>>) -> R {
        let (spec, theta0, h, ctx) = (self.spec, &self.inputs.theta, self.h, self.ctx);
        perturb(theta, i, &theta0[i], &h[i], si, ctx);
        let moved_i = theta[i].clone();
        perturb(theta, j, if i == j { &moved_i } else { &theta0[j] }, &h[j], sj, ctx);
        let ((li, ui), (lj, uj)) = (spec.unit_of(i), spec.unit_of(j));
        match row.filter(|_| lj > li) {
            // the layers below θ_j's and its layer's other units are the row point's
            Some(t) => {
                ws.use_table(t);
                ws.from_table(lj, [uj, uj], ctx);
            }
            None => {
                let changed = match li.cmp(&lj) {
                    std::cmp::Ordering::Equal => (li, [ui, uj]),
                    std::cmp::Ordering::Less => (li, [ui, ui]),
                    std::cmp::Ordering::Greater => (lj, [uj, uj]),
                };
                if let Some(t) = &self.table {
                    ws.use_table(t);
                }
                ws.from_table(changed.0, changed.1, ctx);
            }
        }
        forward(spec, self.n, theta, &self.inputs.y, self.eval, ws, ctx);
        theta[i].set(&theta0[i], ctx);
        theta[j].set(&theta0[j], ctx);
        ws.loss.clone()
    }

    /// The checked table of the point θ ⊕ s·h_i·e_i (θ_i moved as [`Fd::loss_at`] moves it),
    /// when there is a base point's table and a parameter in a higher layer than θ_i's.
    fn row_table(&self, theta: &mut [R], i: usize, s: i32) -> Option<Arc<ActTable<R>>> {
        let (spec, inputs, ctx) = (self.spec, self.inputs, self.ctx);
        if self.table.is_none() || spec.unit_of(i).0 == spec.depth() {
            return None;
        }
        perturb(theta, i, &inputs.theta[i], &self.h[i], s, ctx);
        let t = ActTable::checked(spec, self.n, &inputs.x, theta, &inputs.y, self.eval, ctx);
        theta[i].set(&inputs.theta[i], ctx);
        Some(Arc::new(t))
    }

    /// `fd-loss-4pt` (or, with `as_printed`, `fd-loss-4pt-as-printed`), row by row. With the
    /// base point's table, only the upper triangle is computed, row i from the points
    /// θ ⊕ ±h_i·e_i ([`Fd::row_table`]), and mirrored: entry (j, i) is the same operations on
    /// the same losses as entry (i, j) (module docs), so the same bits. Without, every entry
    /// is computed from full passes (the reference path).
    fn loss_4pt(&self, as_printed: bool) -> Matrix<R> {
        let p = self.spec.num_params();
        let ctx = self.ctx;
        if self.table.is_none() {
            return Matrix::from_par_lines(p, false, 1, ctx, || self.state(), |(ws, theta, t), i| {
                let row = (0..p)
                    .map(|j| {
                        let mut loss = |si, sj| self.loss_at(ws, theta, i, si, j, sj, None);
                        let (pp, mm) = (loss(1, 1), loss(-1, -1));
                        let (pm, mp) = if as_printed { (pp.clone(), mm.clone()) } else { (loss(1, -1), loss(-1, 1)) };
                        self.loss_4pt_entry(t, as_printed, [&pp, &mm, &pm, &mp], i, j)
                    })
                    .collect();
                vec![row]
            });
        }
        let upper = Matrix::from_par_lines(p, false, 1, ctx, || self.state(), |(ws, theta, t), i| {
            // losses[k][j − i] for the sign pairs of `pairs`, grouped by θ_i's sign (one row
            // table each)
            let pairs: &[(i32, i32)] = if as_printed { &[(1, 1), (-1, -1)] } else { &[(1, 1), (1, -1), (-1, -1), (-1, 1)] };
            let mut losses: Vec<Vec<R>> = Vec::with_capacity(4);
            for si in [1, -1] {
                let row = self.row_table(theta, i, si);
                for &(_, sj) in pairs.iter().filter(|(s, _)| *s == si) {
                    losses.push((i..p).map(|j| self.loss_at(ws, theta, i, si, j, sj, row.as_ref())).collect());
                }
            }
            let zero = R::consts(ctx).zero.clone();
            let line = (0..p)
                .map(|j| {
                    if j < i {
                        return zero.clone();
                    }
                    let k = j - i;
                    let at = |q: usize| &losses[q][k];
                    let [pp, mm, pm, mp] = if as_printed { [at(0), at(1), at(0), at(1)] } else { [at(0), at(2), at(1), at(3)] };
                    self.loss_4pt_entry(t, as_printed, [pp, mm, pm, mp], i, j)
                })
                .collect();
            vec![line]
        });
        upper.mirror_upper(ctx)
    }

    /// Entry (i, j) of the four-point loss scheme from its losses `[L₊₊, L₋₋, L₊₋, L₋₊]` (the
    /// last two unused `as_printed`): its numerator over `4·(h_i·h_j)`.
    fn loss_4pt_entry(&self, [t1, t2]: &mut [R; 2], as_printed: bool, [pp, mm, pm, mp]: [&R; 4], i: usize, j: usize) -> R {
        let (h, ctx) = (self.h, self.ctx);
        let mut num = pp.clone();
        if as_printed {
            // ((L₊₊ + L₋₋) − L₊₊) − L₋₋, left to right as printed
            t1.set_add(pp, mm, ctx);
            t2.set_sub(t1, pp, ctx);
            num.set_sub(t2, mm, ctx);
        } else {
            t1.set_add(pp, mm, ctx);
            t2.set_add(pm, mp, ctx);
            num.set_sub(t1, t2, ctx);
        }
        t1.set_mul(&h[i], &h[j], ctx);
        t2.set_mul(&R::consts(ctx).two, t1, ctx);
        t1.set_mul(&R::consts(ctx).two, t2, ctx); // 4·(h_i·h_j)
        let mut e = num.clone();
        e.set_div(&num, t1, ctx);
        e
    }

    /// The gradient at θ with θ_j ⊕ s·h_j; θ is back at the base point on return.
    fn gradient_at(&self, ws: &mut Workspace<R>, theta: &mut [R], j: usize, s: i32) -> Vec<R> {
        let (theta0, ctx) = (&self.inputs.theta, self.ctx);
        let (layer, unit) = self.spec.unit_of(j);
        perturb(theta, j, &theta0[j], &self.h[j], s, ctx);
        ws.from_table(layer, [unit, unit], ctx);
        gradient(self.spec, self.n, theta, &self.inputs.y, self.eval, ws, ctx);
        let g = ws.grad.clone();
        theta[j].set(&theta0[j], ctx);
        g
    }

    /// A gradient-difference scheme (`fd-grad-*`), column by column.
    fn grad_diff(&self, method: Method) -> Matrix<R> {
        let g0 = (method == Method::FdGradForward).then(|| {
            let (mut ws, ..) = self.state();
            gradient(self.spec, self.n, &self.inputs.theta, &self.inputs.y, self.eval, &mut ws, self.ctx);
            ws.grad
        });
        let p = self.spec.num_params();
        Matrix::from_par_lines(p, true, 1, self.ctx, || self.state(), |(ws, theta, t), j| {
            let (num, den) = self.grad_diff_column(method, g0.as_deref(), ws, theta, t, j);
            vec![num.iter().map(|d| { let mut e = d.clone(); e.set_div(d, &den, self.ctx); e }).collect()]
        })
    }

    /// Column j of a gradient-difference scheme as (numerator per entry, denominator); `g0` is
    /// the base point's gradient (forward differences only).
    fn grad_diff_column(&self, method: Method, g0: Option<&[R]>, ws: &mut Workspace<R>, theta: &mut [R], [t1, t2]: &mut [R; 2], j: usize) -> (Vec<R>, R) {
        let (p, h, ctx) = (self.spec.num_params(), self.h, self.ctx);
        let mut g_at = |s: i32| self.gradient_at(ws, theta, j, s);
        let c = R::consts(ctx);
        match method {
            Method::FdGradForward => {
                let gp = g_at(1);
                let g0 = g0.expect("computed for forward differences");
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
        }
    }
}
