//! The generic forward pass, loss and hand-written backward pass — written once, run on every
//! [`Scalar`] (formats and their `Dual`, `HyperDual` and tape lifts).
//!
//! Backward pass, with `G_l = ∂L/∂z_l` (N × d_l):
//! `G_L = ∂L/∂a_L ⊙ σ_L′(z_L)`; for l = L..1:
//! `∂L/∂W_l[i,j] = Σ_n a_{l−1}[n,i]·G_l[n,j]` (a dot product over the batch),
//! `∂L/∂b_l[j] = Σ_n G_l[n,j]` (a batch sum; none for a layer without a bias),
//! and, for l > 1, `G_{l−1}[n,i] = (Σ_j G_l[n,j]·W_l[i,j]) · σ′_{l−1}(z_{l−1}[n,i])`.
//! Every Σ is evaluated in the order under study ([`crate::order`]); each ⊙ is one product. The
//! three matrix products (`a·W`, `aᵀ·G`, `G·Wᵀ`) go through [`matmul`], which applies the
//! precision policy of `eval` ([`crate::scalar::matmul`]), if any.

use std::sync::Arc;

use rayon::prelude::*;

use super::loss::{loss_and_grad, LossScratch};
use super::rules;
use super::Spec;
use crate::order::{matmul, sum, Eval, KernelScratch, Strided};
use crate::scalar::{Fun, Real, Scalar};

/// Buffers of one evaluation, allocated once per worker and reused.
#[derive(Clone, Debug)]
pub struct Workspace<S: Scalar> {
    /// `z[l]` for l = 1..L (index 0 unused), N × d_l.
    pub z: Vec<Vec<S>>,
    /// `a[l]` for l = 0..L; `a[0]` holds the inputs.
    pub a: Vec<Vec<S>>,
    /// `G_l = ∂L/∂z_l`, N × d_l (index 0 unused).
    pub g: Vec<Vec<S>>,
    /// The loss.
    pub loss: S,
    /// The gradient ∂L/∂θ.
    pub grad: Vec<S>,
    /// Activation derivatives of the primal pass, reused instead of recomputed when set.
    pub table: Option<Arc<ActTable<S::Real>>>,
    /// Set by [`Workspace::from_table`]: the next [`forward`] starts at this layer and, there,
    /// recomputes only these units (the buffers below hold the table's point).
    partial: Option<(usize, [usize; 2])>,
    /// The lowest layer whose buffers may hold values of another point than the table's.
    stale_from: usize,
    /// Set by [`Workspace::tangents_from`]: below this layer, and in its units not listed, the
    /// next [`forward`] takes the table's pre-activations with zero tangents.
    tangents_from: Option<(usize, Vec<usize>)>,
    /// Set by [`Workspace::at_table_point`]: every pass evaluates at the table's point, so its
    /// dot products take their values from [`ActTable::dots`].
    values_known: bool,
    /// While [`ActTable::compute`] runs the primal: the dot products' values, recorded.
    record: Option<PrimalDots<S::Real>>,
    /// Per layer, intermediate nodes of an activation that framework rules compose of ops
    /// (`model::rules::activation`); empty otherwise.
    inner: Vec<Vec<S>>,
    tmp: [S; 2],
    ks: KernelScratch<S>,
    ls: LossScratch<S>,
}

impl<S: Scalar> Workspace<S> {
    /// Buffers for `spec` with a batch of `n`, the inputs `x` (N × d₀) copied in.
    pub fn new(spec: &Spec, n: usize, x: &[S], ctx: &S::Ctx) -> Self {
        let zero = S::constant(&S::Real::consts(S::real_ctx(ctx)).zero, ctx);
        let per_layer = |l: usize| vec![zero.clone(); n * spec.layers[l]];
        let max_len = spec.sum_lengths(n).into_iter().max().unwrap_or(1);
        let dl = spec.layers[spec.depth()];
        Workspace {
            z: (0..=spec.depth()).map(per_layer).collect(),
            a: std::iter::once(x.to_vec()).chain((1..=spec.depth()).map(per_layer)).collect(),
            g: (0..=spec.depth()).map(per_layer).collect(),
            loss: zero.clone(),
            grad: vec![zero.clone(); spec.num_params()],
            table: None,
            partial: None,
            stale_from: 1,
            tangents_from: None,
            values_known: false,
            record: None,
            inner: vec![Vec::new(); spec.depth() + 1],
            tmp: [zero.clone(), zero.clone()],
            ks: KernelScratch::new(&zero, max_len),
            ls: LossScratch::new(&zero, n, dl),
        }
    }
}

impl<R: Real> Workspace<R> {
    /// Prepares the next [`forward`] at a θ that differs from the point of this workspace's
    /// [`ActTable::checked`] table only in parameters of `units` of `layer` (see
    /// [`Spec::unit_of`](super::Spec::unit_of)): the layers below and the other units of
    /// `layer` keep the table's pre-activations and activations — the values a full pass would
    /// compute, bit for bit — and only those units and the layers above are evaluated. Returns
    /// `false` (and changes nothing: the next pass is a full one) without such a table.
    pub fn from_table(&mut self, layer: usize, units: [usize; 2], ctx: &R::RCtx) -> bool {
        let Some(t) = self.table.clone().filter(|t| t.checked) else { return false };
        let zs = &t.z;
        for l in self.stale_from..=layer {
            for (k, (z, a)) in self.z[l].iter_mut().zip(&mut self.a[l]).enumerate() {
                z.set(&zs[l][k], ctx);
                a.set(&t.layers[l][k][0], ctx);
            }
        }
        self.stale_from = self.stale_from.max(layer + 1);
        self.partial = Some((layer, units));
        true
    }

    /// Makes `t` this workspace's table. A table other than the current one (another point:
    /// the finite-difference row tables) marks every layer's buffers as not its point's, so
    /// that the next [`Workspace::from_table`] copies them all from `t`.
    pub fn use_table(&mut self, t: &Arc<ActTable<R>>) {
        if !self.table.as_ref().is_some_and(|c| Arc::ptr_eq(c, t)) {
            self.table = Some(t.clone());
            self.stale_from = 1;
        }
    }
}

impl<S: Scalar> Workspace<S> {
    /// Declares that θ's tangents are zero except in parameters of `units` of `layer` (the
    /// seeds of forward-mode columns, see [`Spec::unit_of`](super::Spec::unit_of)). Below that
    /// layer, and in its other units, every pre-activation's tangent is then a sum of products
    /// with a zero factor, plus the bias's zero tangent: exactly +0 (round to nearest: a sum of
    /// zeros is +0 unless all are −0, and adding the bias's +0 makes it +0), given finite
    /// operands. The next [`forward`] skips those dot products and takes the table's
    /// pre-activations with +0 tangents — the same bits. A layer without a bias
    /// ([`Spec::has_bias`](super::Spec::has_bias)) has no +0 to add: its tangent may be −0 (all
    /// products −0), so its dot products are always evaluated. Returns `false` (nothing skipped)
    /// without an unchecked table of finite values.
    pub fn tangents_from(&mut self, layer: usize, units: Vec<usize>) -> bool {
        let ok = self.table.as_deref().is_some_and(|t| !t.checked && t.finite);
        if ok {
            self.tangents_from = Some((layer, units));
        }
        ok
    }

    /// Makes the next [`forward`] start at `layer` and, there, evaluate only `units`: the caller
    /// has put into the activations of the layer below and into the other units of `layer`
    /// (pre-activations and activations) the values a full pass would compute, bit for bit
    /// (the `fwd-fwd` entries, whose second-order parts are structurally zero below the
    /// higher of their two seeds' layers).
    pub fn resume_at(&mut self, layer: usize, units: [usize; 2]) {
        self.partial = Some((layer, units));
    }

    /// Declares that every pass of this workspace evaluates at the point of its (unchecked)
    /// table — θ's, the inputs' and the targets' values are the primal's, only derivative
    /// parts differ (`fwd-rev` and `gauss-newton` columns). The values of every quantity are
    /// then the primal's, bit for bit, and the dot products of [`forward`] and [`backward`]
    /// take theirs from [`ActTable::dots`] ([`dot_with_value`]) instead of recomputing them.
    /// Returns `false` (nothing changes) without such a table.
    pub fn at_table_point(&mut self) -> bool {
        self.values_known = self.table.as_deref().is_some_and(|t| t.dots.is_some());
        self.values_known
    }
}

/// Forward pass and loss: fills `ws.z`, `ws.a`, `ws.loss`, and `ws.g[L] = ∂L/∂a_L`.
pub fn forward<S: Scalar>(
    spec: &Spec,
    n: usize,
    theta: &[S],
    y: &[S],
    eval: &Eval,
    ws: &mut Workspace<S>,
    ctx: &S::Ctx,
) {
    let depth = spec.depth();
    let (first, only) = ws.partial.take().map_or((1, None), |(l, u)| (l, Some(u)));
    ws.stale_from = ws.stale_from.min(first);
    let seeded = ws.tangents_from.take();
    let zero_tangent = |l: usize, j: usize| match &seeded {
        // a bias-free layer's tangent may be −0: not skipped (see `Workspace::tangents_from`)
        Some((ls, units)) => spec.has_bias(l) && (l < *ls || (l == *ls && !units.contains(&j))),
        None => false,
    };
    // the primal's dot-product values, when this pass runs at the table's point (a clone of
    // the `Arc`, so that they stay borrowed while the workspace's buffers are written)
    let shared = ws.table.clone();
    let known = shared.as_deref().and_then(|t| t.dots.as_ref()).filter(|_| ws.values_known);
    for l in first..=depth {
        let (din, dout) = (spec.layers[l - 1], spec.layers[l]);
        let (w0, b0) = (spec.w_offset(l), spec.b_offset(l));
        // this layer's products read θ and the previous layer's activations, which stay fixed
        ws.ks.fix_operands();
        let (prev, rest) = ws.a.split_at_mut(l);
        let (a_in, a_out) = (&prev[l - 1], &mut rest[0]);
        let z = &mut ws.z[l];
        for r in 0..n {
            let row = Strided::new(a_in, r * din, 1, din);
            for j in 0..dout {
                if l == first && only.is_some_and(|u| !u.contains(&j)) {
                    continue;
                }
                let zk = &mut z[r * dout + j];
                match ws.table.as_deref().filter(|_| zero_tangent(l, j)) {
                    Some(t) => zk.set_constant(&t.z[l][r * dout + j], ctx),
                    None => {
                        let col = Strided::new(theta, w0 + j, dout, din);
                        let value = known.map(|d| &d.zdot[l][r * dout + j]);
                        matmul(zk, row, col, eval, &mut ws.ks, value, ctx);
                        if let Some(rec) = &mut ws.record {
                            rec.zdot[l][r * dout + j] = zk.value().clone();
                        }
                        if let Some(b0) = b0 {
                            zk.add_assign(&theta[b0 + j], ctx);
                        }
                    }
                }
                if rules::activation(eval, spec.activations[l - 1], &mut a_out[r * dout + j], zk, r * dout + j, n * dout, &mut ws.inner[l], ctx) {
                    continue;
                }
                let act = Fun::Act(spec.activations[l - 1]);
                match ws.table.as_deref().and_then(|t| t.lookup(l, r * dout + j, zk)) {
                    Some([f0, f1, f2]) => a_out[r * dout + j].set_fun_known(zk, [f0, f1, f2], ctx),
                    None => a_out[r * dout + j].set_fun(act, zk, ctx),
                }
            }
        }
    }
    ws.ks.release_operands();
    loss_and_grad(
        spec.loss,
        &mut ws.loss,
        &mut ws.g[depth],
        &ws.a[depth],
        y,
        n,
        eval,
        &mut ws.ks,
        &mut ws.ls,
        ctx,
    );
}

/// Backward pass after [`forward`]: `ws.grad = ∂L/∂θ` (consumes `ws.g[L] = ∂L/∂a_L`).
pub fn backward<S: Scalar>(
    spec: &Spec,
    n: usize,
    theta: &[S],
    eval: &Eval,
    ws: &mut Workspace<S>,
    ctx: &S::Ctx,
) {
    let depth = spec.depth();
    let shared = ws.table.clone();
    let known = shared.as_deref().and_then(|t| t.dots.as_ref()).filter(|_| ws.values_known);
    // G_L = ∂L/∂a_L ⊙ σ′(z_L)
    let table = ws.table.as_deref().map(|t| (t, depth));
    if !rules::chain(eval, spec.activations[depth - 1], &mut ws.g[depth], &ws.a[depth], &ws.z[depth], &ws.inner[depth], &mut ws.tmp[0], ctx) {
        chain_activation(&mut ws.g[depth], &ws.z[depth], spec.activations[depth - 1], table, &mut ws.tmp, ctx);
    }
    for l in (1..=depth).rev() {
        let (din, dout) = (spec.layers[l - 1], spec.layers[l]);
        let (w0, b0) = (spec.w_offset(l), spec.b_offset(l));
        // this layer's products read θ, its activations and its G, which stay fixed
        ws.ks.fix_operands();
        let (g_prev, g_rest) = ws.g.split_at_mut(l);
        let g = &g_rest[0];
        let a_in = &ws.a[l - 1];
        for i in 0..din {
            for j in 0..dout {
                let col_a = Strided::new(a_in, i, din, n);
                let col_g = Strided::new(g, j, dout, n);
                let w = w0 + i * dout + j;
                matmul(&mut ws.grad[w], col_a, col_g, eval, &mut ws.ks, known.map(|d| &d.grad[w]), ctx);
            }
        }
        // ∂L/∂b_l: none for a bias-free layer
        for (j, b0) in (0..dout).filter_map(|j| b0.map(|b0| (j, b0))) {
            sum(&mut ws.grad[b0 + j], Strided::new(g, j, dout, n), eval, &mut ws.ks, ctx);
        }
        if l > 1 {
            let gp = &mut g_prev[l - 1];
            for r in 0..n {
                for i in 0..din {
                    let row_g = Strided::new(g, r * dout, 1, dout);
                    let row_w = Strided::new(theta, w0 + i * dout, 1, dout);
                    let k = r * din + i;
                    matmul(&mut gp[k], row_g, row_w, eval, &mut ws.ks, known.map(|d| &d.gdot[l - 1][k]), ctx);
                }
            }
            if let Some(rec) = &mut ws.record {
                rec.gdot[l - 1] = gp.iter().map(|v| v.value().clone()).collect();
            }
            let table = ws.table.as_deref().map(|t| (t, l - 1));
            if !rules::chain(eval, spec.activations[l - 2], gp, &ws.a[l - 1], &ws.z[l - 1], &ws.inner[l - 1], &mut ws.tmp[0], ctx) {
                chain_activation(gp, &ws.z[l - 1], spec.activations[l - 2], table, &mut ws.tmp, ctx);
            }
        }
    }
    ws.ks.release_operands();
}

/// `g ← g ⊙ σ′(z)`
fn chain_activation<S: Scalar>(
    g: &mut [S],
    z: &[S],
    act: super::Activation,
    table: Option<(&ActTable<S::Real>, usize)>,
    tmp: &mut [S; 2],
    ctx: &S::Ctx,
) {
    let [d, p] = tmp;
    for (k, (gk, zk)) in g.iter_mut().zip(z).enumerate() {
        match table.and_then(|(t, l)| t.lookup(l, k, zk)) {
            // σ‴ is not tabulated: only hyper-dual numbers read d[2], and they never run the
            // backward pass.
            Some([_, f1, f2]) => d.set_fun_known(zk, [f1, f2, f2], ctx),
            None => d.set_fun(Fun::ActD1(act), zk, ctx),
        }
        p.set_mul(gk, d, ctx);
        gk.set(p, ctx);
    }
}

/// `[σ(z), σ′(z), σ″(z)]` of every pre-activation of the primal forward pass, per layer
/// (index 0 unused). Every method's values equal the primal's bit for bit, so every column,
/// row or entry can reuse these instead of evaluating transcendentals again.
#[derive(Clone, Debug)]
pub struct ActTable<R> {
    /// `layers[l][k]` for the k-th entry of `z_l`.
    pub layers: Vec<Vec<[R; 3]>>,
    /// The tabulated pre-activations `z_l` (index 0 unused).
    pub z: Vec<Vec<R>>,
    /// A [`ActTable::checked`] table serves a pre-activation only when it equals the tabulated
    /// one bit for bit.
    pub checked: bool,
    /// Whether the inputs, θ, every z and every tabulated value are finite (then a product of
    /// any of them with a zero tangent is a zero: see [`Workspace::tangents_from`]).
    pub finite: bool,
    /// The values of the primal's dot products (an unchecked table only), for passes at the
    /// table's point ([`Workspace::at_table_point`]).
    pub dots: Option<PrimalDots<R>>,
}

/// The values of the dot products of the primal forward and backward passes — every one a
/// value that each `fwd-rev` column pass would otherwise recompute.
#[derive(Clone, Debug)]
pub struct PrimalDots<R> {
    /// `zdot[l][n·d_l + j] = Σ_i a_{l−1}[n,i]·W_l[i,j]`, before the bias (index 0 unused).
    pub zdot: Vec<Vec<R>>,
    /// `gdot[l][n·d_l + i] = Σ_j G_{l+1}[n,j]·W_{l+1}[i,j]`, before σ′ (l = 1..L−1).
    pub gdot: Vec<Vec<R>>,
    /// The gradient (its weight entries are dot products over the batch).
    pub grad: Vec<R>,
}

impl<R: Real> ActTable<R> {
    /// Runs the primal forward pass and tabulates the activations' derivatives; with
    /// `record_dots` also the primal backward pass, recording every dot product's value
    /// ([`ActTable::dots`], for passes at this point: `fwd-rev`, `gauss-newton`).
    #[allow(clippy::too_many_arguments)]
    pub fn compute(spec: &Spec, n: usize, x: &[R], theta: &[R], y: &[R], eval: &Eval, ctx: &R::RCtx, record_dots: bool) -> Self {
        Self::tabulate(spec, n, x, theta, y, eval, ctx, false, record_dots)
    }

    /// A table for evaluations at points other than the primal's (finite differences): each
    /// entry is used only where the pre-activation equals the primal's bit for bit — σ is a
    /// function of z alone, so the values are the ones `set_fun` would compute — and evaluated
    /// afresh elsewhere. A perturbed θ_j changes one unit's pre-activations in its layer and
    /// those after it; every other unit's transcendentals come from the table.
    pub fn checked(spec: &Spec, n: usize, x: &[R], theta: &[R], y: &[R], eval: &Eval, ctx: &R::RCtx) -> Self {
        Self::tabulate(spec, n, x, theta, y, eval, ctx, true, false)
    }

    #[allow(clippy::too_many_arguments)]
    fn tabulate(spec: &Spec, n: usize, x: &[R], theta: &[R], y: &[R], eval: &Eval, ctx: &R::RCtx, keep_z: bool, record_dots: bool) -> Self {
        let mut ws = Workspace::new(spec, n, x, ctx);
        if record_dots {
            // the columns' passes run at this point: record the dot products' values
            let zeros = || ws.z.iter().map(|v| vec![R::consts(ctx).zero.clone(); v.len()]).collect::<Vec<_>>();
            ws.record = Some(PrimalDots { zdot: zeros(), gdot: zeros(), grad: Vec::new() });
        }
        forward(spec, n, theta, y, eval, &mut ws, ctx);
        // σ is the forward pass's activation (the same function of z, bit for bit); σ′ and σ″
        // of each entry are independent, so they are evaluated in parallel (placed by index:
        // the same table at any thread count)
        let layers: Vec<Vec<[R; 3]>> = ws
            .z
            .iter()
            .zip(&ws.a)
            .enumerate()
            .map(|(l, (zl, al))| {
                if l == 0 {
                    return Vec::new();
                }
                let f = Fun::Act(spec.activations[l - 1]);
                zl.par_iter()
                    .zip(al)
                    .map(|(z, a)| {
                        std::array::from_fn(|k| {
                            let mut v = a.clone();
                            if k > 0 {
                                v.set_fun_deriv(f, k as u8, z, ctx);
                            }
                            v
                        })
                    })
                    .collect()
            })
            .collect();
        let finite = x.iter().chain(theta).chain(ws.z.iter().flatten()).all(|v| v.is_finite())
            && layers.iter().flatten().all(|d: &[R; 3]| d.iter().all(|v| v.is_finite()));
        let mut table = ActTable { layers, z: Vec::new(), checked: keep_z, finite, dots: None };
        if ws.record.is_some() {
            // the primal's backward pass, σ′ from the table just built, records the rest
            ws.table = Some(Arc::new(table));
            backward(spec, n, theta, eval, &mut ws, ctx);
            table = ws.table.take().and_then(|t| Arc::try_unwrap(t).ok()).expect("the workspace holds the only reference");
            table.dots = ws.record.take().map(|r| PrimalDots { grad: ws.grad.clone(), ..r });
        }
        table.z = ws.z;
        table
    }

    /// The tabulated `[σ, σ′, σ″]` for the k-th pre-activation `z` of layer l, if it may be used.
    #[inline]
    pub fn lookup<S: Scalar<Real = R>>(&self, l: usize, k: usize, z: &S) -> Option<&[R; 3]> {
        if self.checked && !self.z[l][k].bits_eq(z.value()) {
            None
        } else {
            Some(&self.layers[l][k])
        }
    }
}

/// Forward pass, loss and backward pass: `ws.loss` and `ws.grad = ∂L/∂θ`.
pub fn gradient<S: Scalar>(spec: &Spec, n: usize, theta: &[S], y: &[S], eval: &Eval, ws: &mut Workspace<S>, ctx: &S::Ctx) {
    forward(spec, n, theta, y, eval, ws, ctx);
    backward(spec, n, theta, eval, ws, ctx);
}

/// Zeroes the derivative parts of the cached forward values (Gauss–Newton's backward pass
/// treats the network's Jacobian factors as constants).
pub fn detach_cache<S: Scalar>(ws: &mut Workspace<S>, ctx: &S::Ctx) {
    for v in ws.z.iter_mut().chain(ws.a.iter_mut()) {
        for s in v.iter_mut() {
            s.detach(ctx);
        }
    }
}
