//! The matmul-shaped dot products of the model: under `uniform` exactly [`super::dot`]; under a
//! precision policy ([`crate::scalar::matmul`]) the policy's kernel, in this order's term order.

use super::kernels::dot_given;
use super::operands::{OperandKey, Operands};
use super::shaped::split_size;
use super::{Eval, KernelScratch, Order, Strided};
use crate::scalar::matmul::chain;
use crate::scalar::matmul::kernel::{self, Shape, Sum};
use crate::scalar::matmul::{Conv, Fields, Fmt, Passes, Rounding};
use crate::scalar::rules::Rules;
use crate::scalar::{Real, Scalar};

/// `out = Σ_k a_k·b_k` for a dot product of a matrix product (forward `a·W`, backward `G·Wᵀ`,
/// weight gradient `aᵀ·G`): [`super::dot`] (or [`super::dot_with_value`] when `value`, the
/// primal's result, is given) without a policy, [`Scalar::dot_policy`] with one.
pub fn matmul<S: Scalar>(
    out: &mut S,
    a: Strided<'_, S>,
    b: Strided<'_, S>,
    eval: &Eval,
    ks: &mut KernelScratch<S>,
    value: Option<&S::Real>,
    ctx: &S::Ctx,
) {
    match &eval.policy {
        // XLA's dot emitter under JAX's rules (`scalar::xla::dot`)
        None if eval.rules == Rules::Jax && eval.order == Order::Sequential && a.len() > 0 => {
            crate::scalar::xla::dot(out, a, b, &mut ks.t[0], value, ctx)
        }
        None => dot_given(out, a, b, eval, ks, value, ctx),
        Some(fields) => {
            let pd = PolicyDot { fields, eval };
            out.dot_policy(a, b, &pd, &mut ks.policy, value, ctx)
        }
    }
}

/// Whether a precision policy can take its terms in `order`: every order that sums products
/// in accumulators — the term-by-term orders (`sequential`, `reversed`, `shuffled`) and the
/// reduction shapes (`pairwise`, `lanes`, `blocked`, `splitk`: [`kernel::Shape`]); not
/// `kahan` (a compensated sum is no accumulator of a matrix unit) nor `exact` (a policy's
/// exact accumulation is `acc=exact`).
pub fn policy_accepts(order: Order) -> bool {
    !matches!(order, Order::Kahan | Order::Exact)
}

/// The policy kernel's shape of `order` for a dot of `n` terms (`splitk:<k>` is
/// `blocked:⌈n/k⌉`, as in the uniform order).
fn shape(order: Order, n: usize) -> Shape {
    match order {
        Order::Lanes(w) => Shape::Lanes(w as usize),
        Order::Blocked(b) => Shape::Blocked(b as usize),
        Order::SplitK(k) => Shape::Blocked(split_size(n, k as usize)),
        Order::Pairwise => Shape::Pairwise,
        // the other orders are term by term, or refused with a policy (`policy_accepts`)
        _ => Shape::Terms,
    }
}

/// A policy and the order of its terms: what [`Scalar::dot_policy`] computes with.
pub struct PolicyDot<'e> {
    fields: &'e Fields,
    eval: &'e Eval,
}

/// Buffers of policy dot products (one per worker, in [`KernelScratch`]).
#[derive(Clone, Debug, Default)]
pub struct PolicyScratch {
    a: Vec<f64>,
    b: Vec<f64>,
    kernel: kernel::Scratch,
    /// The converted pieces of the values and tangents of [`PolicyDot::tangents`], in term
    /// order: piece j of `a`, `b`, `ȧ`, `ḃ` at `3·array + j`.
    lanes: [Vec<f32>; 12],
    /// The values and tangents of [`PolicyDot::tangents`] as `f64`s, in term order (`a`, `b`,
    /// `ȧ`, `ḃ`).
    raw: [Vec<f64>; 4],
    /// The converted operands of [`PolicyDot::tangents_cached`].
    pub(super) operands: Operands,
}

impl PolicyDot<'_> {
    /// `Σ a(k)·b(k)`, `k < n`, under the policy, as a value of the run's format `R` (the
    /// policy's `out` result, stored in `R`: one rounding of an exact sum under `acc=exact`,
    /// `out=exact`). `a(k)`, `b(k)` are values of `R`: exact `f64`s for hardware and narrow
    /// formats; MPFR values (a run at truth precision: the role attribution's) are converted
    /// exactly, through their value rounded to odd ([`kernel::round_odd`]) or, for split
    /// passes, their exact pieces ([`kernel::split_float`]).
    pub fn dot<'r, R: Real + 'r>(&self, n: usize, a: impl Fn(usize) -> &'r R, b: impl Fn(usize) -> &'r R, s: &mut PolicyScratch, ctx: &R::RCtx) -> R {
        s.a.clear();
        s.b.clear();
        let wide = n > 0 && a(0).exact_f64().is_none();
        let r = if wide && self.fields.passes != Passes::One {
            self.dot_split_wide(n, a, b, s)
        } else {
            if wide {
                s.a.extend((0..n).map(|k| kernel::round_odd(&a(k).to_float())));
                s.b.extend((0..n).map(|k| kernel::round_odd(&b(k).to_float())));
            } else {
                s.a.extend((0..n).map(|k| a(k).to_f64()));
                s.b.extend((0..n).map(|k| b(k).to_f64()));
            }
            match self.eval.order {
                Order::Reversed => kernel::dot_sum(self.fields, Shape::Terms, &s.a, &s.b, |k| n - 1 - k, &mut s.kernel),
                Order::Shuffled(_) => {
                    let perm = self.eval.perm(n).expect("a permutation");
                    kernel::dot_sum(self.fields, Shape::Terms, &s.a, &s.b, |k| perm[k] as usize, &mut s.kernel)
                }
                o => kernel::dot_sum(self.fields, shape(o, n), &s.a, &s.b, |k| k, &mut s.kernel),
            }
        };
        match r {
            Sum::Value(v) => R::from_f64(v, ctx),
            Sum::Exact(x) => R::from_float(&x, ctx),
        }
    }

    /// The split passes of a dot of MPFR values: their exact pieces, then [`kernel::dot_split`]
    /// in this order.
    fn dot_split_wide<'r, R: Real + 'r>(&self, n: usize, a: impl Fn(usize) -> &'r R, b: impl Fn(usize) -> &'r R, s: &mut PolicyScratch) -> Sum {
        let k = kernel::pieces_of(self.fields.passes);
        let m = self.fields.mul.0;
        let (x0, y0, x1, y1) = (a(0).to_float(), b(0).to_float(), a(n - 1).to_float(), b(n - 1).to_float());
        let key = [&x0, &y0, &x1, &y1].map(kernel::round_odd);
        for x in (0..n).map(&a).chain((0..n).map(&b)) {
            s.a.extend_from_slice(&kernel::split_float(m, &x.to_float(), k)[..k]);
        }
        let pieces = &s.a;
        match self.eval.order {
            Order::Reversed => kernel::dot_split(self.fields, Shape::Terms, n, pieces, key, |k| n - 1 - k),
            Order::Shuffled(_) => {
                let perm = self.eval.perm(n).expect("a permutation");
                kernel::dot_split(self.fields, Shape::Terms, n, pieces, key, |k| perm[k] as usize)
            }
            o => kernel::dot_split(self.fields, shape(o, n), n, pieces, key, |k| k),
        }
    }

    /// `out` = `given` (the primal's result of this dot, when known) or the policy dot of `a`,
    /// `b`: the value part of every scalar's [`Scalar::dot_policy`].
    pub fn value_into<'r, R: Real + 'r>(
        &self,
        out: &mut R,
        n: usize,
        a: impl Fn(usize) -> &'r R,
        b: impl Fn(usize) -> &'r R,
        given: Option<&R>,
        s: &mut PolicyScratch,
        ctx: &R::RCtx,
    ) {
        match given {
            Some(v) => out.set(v, ctx),
            None => *out = self.dot(n, a, b, s, ctx),
        }
    }

    /// Every tangent lane of a `K`-lane dual number's policy dot at once: `out[l] =
    /// pdot(a, ḃ_l) + pdot(ȧ_l, b)` (`at(i)[l]` = ȧ_l of term i), bit for bit [`PolicyDot::dot2`]
    /// lane by lane, where the policy is an f32 chain ([`chain::is_f32_chain`]) in a term-by-term
    /// order and the values are exact `f64`s (hardware formats): each value and tangent is
    /// converted (or split, under `x3`/`x6`) once, the lanes' chains run as one vector loop
    /// ([`chain::chains`]), and a lane whose chains are not finite is computed by `dot2`. `false` (nothing done) otherwise.
    pub fn tangents<'r, R: Real + 'r, const K: usize>(
        &self,
        out: &mut [R; K],
        n: usize,
        (a, b): (impl Fn(usize) -> &'r R + Copy, impl Fn(usize) -> &'r R + Copy),
        (at, bt): (impl Fn(usize) -> &'r [R; K] + Copy, impl Fn(usize) -> &'r [R; K] + Copy),
        s: &mut PolicyScratch,
        ctx: &R::RCtx,
    ) -> bool {
        let f = self.fields;
        if n == 0 || !chain::is_f32_chain(f) || a(0).exact_f64().is_none() {
            return false;
        }
        let perm = match self.eval.order {
            Order::Shuffled(_) => self.eval.perm(n),
            Order::Sequential | Order::Reversed => None,
            _ => return false,
        };
        let idx = |k: usize| match (&perm, self.eval.order) {
            (Some(p), _) => p[k] as usize,
            (None, Order::Reversed) => n - 1 - k,
            _ => k,
        };
        let mut lanes = std::mem::take(&mut s.lanes);
        let raw = &mut s.raw;
        raw.iter_mut().for_each(Vec::clear);
        for i in (0..n).map(idx) {
            raw[0].push(a(i).to_f64());
            raw[1].push(b(i).to_f64());
            raw[2].extend(at(i).iter().map(R::to_f64));
            raw[3].extend(bt(i).iter().map(R::to_f64));
        }
        let k = kernel::pieces_of(f.passes);
        // piece j of array q at 3·q + j: all at once where the bits allow, else one by one
        if !(0..4).all(|q| chain::convert_all(f, &raw[q], &mut lanes[3 * q])) {
            lanes.iter_mut().for_each(Vec::clear);
            for (q, xs) in raw.iter().enumerate() {
                for &x in xs {
                    let p = chain::pieces(f, x);
                    for (j, v) in p[..k].iter().enumerate() {
                        lanes[3 * q + j].push(*v);
                    }
                }
            }
        }
        // per pass (ja, jb): x = Σ a_ja·ḃ_jb, y = Σ ȧ_ja·b_jb
        let pairs = kernel::pass_pairs(f.passes);
        let (mut xs, mut ys) = ([[0f32; K]; 6], [[0f32; K]; 6]);
        for (q, &(ja, jb)) in pairs.iter().enumerate() {
            (xs[q], ys[q]) = chain::chains::<K>(chain::rounded(f), &lanes[ja], &lanes[3 + jb], &lanes[6 + ja], &lanes[9 + jb]);
        }
        s.lanes = lanes;
        self.finish_lanes(out, n, (&xs, &ys), (a, b), (at, bt), s, ctx);
        true
    }

    /// [`PolicyDot::tangents`] over operands converted once for every dot that reads them
    /// ([`chain::convert_operand`], kept in the scratch's scope: see [`super::operands`]);
    /// `keys` name the two operands' views. `false` (nothing done) outside a scope, beyond its
    /// budget, for an order other than `sequential`, a policy that is no f32 chain, or an
    /// input the bit conversion declines.
    pub fn tangents_cached<'r, R: Real + chain::ChainInput + 'r, const K: usize>(
        &self,
        out: &mut [R; K],
        n: usize,
        keys: [OperandKey; 2],
        get: impl Fn(usize) -> (&'r R, &'r R, &'r [R; K], &'r [R; K]) + Copy,
        s: &mut PolicyScratch,
        ctx: &R::RCtx,
    ) -> bool {
        let f = self.fields;
        if n == 0 || self.eval.order != Order::Sequential {
            return false;
        }
        let Some(plan) = chain::Plan::new(f) else { return false };
        let convert = |side: usize| {
            move |c: &mut super::operands::Converted| {
                let term = |i: usize| {
                    let (a, b, at, bt) = get(i);
                    if side == 0 { (*a, at) } else { (*b, bt) }
                };
                c.ok = chain::convert_operand::<R, K>(&plan, n, term, &mut c.v, &mut c.t);
            }
        };
        let Some(ia) = s.operands.get(0, keys[0], convert(0)) else { return false };
        let Some(ib) = s.operands.get(1, keys[1], convert(1)) else { return false };
        let (ca, cb) = s.operands.pair(ia, ib);
        if !(ca.ok && cb.ok) {
            return false;
        }
        let (mut xs, mut ys) = ([[0f32; K]; 6], [[0f32; K]; 6]);
        for (q, &(ja, jb)) in kernel::pass_pairs(f.passes).iter().enumerate() {
            (xs[q], ys[q]) = chain::chains::<K>(chain::rounded(f), &ca.v[ja], &cb.v[jb], &ca.t[ja], &cb.t[jb]);
        }
        let (a, b) = (move |i| get(i).0, move |i| get(i).1);
        let (at, bt) = (move |i| get(i).2, move |i| get(i).3);
        self.finish_lanes(out, n, (&xs, &ys), (a, b), (at, bt), s, ctx);
        true
    }

    /// [`PolicyDot::tangents`] reading the terms straight from the values and converting (or
    /// splitting) them on the way ([`chain::fused_passes`]), for an f32 chain whose values are `f32` or
    /// `f64` (`get(i)` = `(a, b, ȧ, ḃ)` of term `i`); `false` (nothing done) where that does not
    /// apply or an input must go to the definition's conversion.
    pub fn tangents_fused<'r, R: Real + chain::ChainInput + 'r, const K: usize>(
        &self,
        out: &mut [R; K],
        n: usize,
        get: impl Fn(usize) -> (&'r R, &'r R, &'r [R; K], &'r [R; K]) + Copy,
        s: &mut PolicyScratch,
        ctx: &R::RCtx,
    ) -> bool {
        let f = self.fields;
        let Some(plan) = chain::Plan::new(f).filter(|_| n > 0) else { return false };
        let term = |i: usize| {
            let (a, b, at, bt) = get(i);
            (*a, *b, at, bt)
        };
        let lanes = match self.eval.order {
            Order::Sequential => chain::fused_passes::<R, K>(&plan, chain::rounded(f), n, term),
            Order::Reversed => chain::fused_passes::<R, K>(&plan, chain::rounded(f), n, |k| term(n - 1 - k)),
            Order::Shuffled(_) => {
                let perm = self.eval.perm(n).expect("a permutation");
                chain::fused_passes::<R, K>(&plan, chain::rounded(f), n, |k| term(perm[k] as usize))
            }
            _ => None,
        };
        let Some((xs, ys)) = lanes else { return false };
        let (a, b) = (move |i| get(i).0, move |i| get(i).1);
        let (at, bt) = (move |i| get(i).2, move |i| get(i).3);
        self.finish_lanes(out, n, (&xs, &ys), (a, b), (at, bt), s, ctx);
        true
    }

    /// Every lane's result from its passes' chains (`xs[q][l]`, `ys[q][l]`: pass `q`'s two sums
    /// of lane `l`, the passes in [`kernel::pass_pairs`]'s order), combined ([`chain::combine`]),
    /// each converted to `out` ([`kernel::finish_value`], keyed by the first and last terms as
    /// the definition is) and added in `R`; a lane whose sums are not finite is computed by
    /// [`PolicyDot::dot2`].
    #[allow(clippy::too_many_arguments)]
    fn finish_lanes<'r, R: Real + 'r, const K: usize>(
        &self,
        out: &mut [R; K],
        n: usize,
        (xs, ys): (&[[f32; K]; 6], &[[f32; K]; 6]),
        (a, b): (impl Fn(usize) -> &'r R + Copy, impl Fn(usize) -> &'r R + Copy),
        (at, bt): (impl Fn(usize) -> &'r [R; K] + Copy, impl Fn(usize) -> &'r [R; K] + Copy),
        s: &mut PolicyScratch,
        ctx: &R::RCtx,
    ) {
        let f = self.fields;
        let np = kernel::pass_pairs(f.passes).len();
        // the common case, every lane at once: `out` to nearest-even, every sum finite and
        // converted on the bits
        if f.round == Rounding::Rne && !f.exact.out {
            let c = chain::BitConv::of(f.out, Conv::Rne);
            if let (Some(x), Some(y)) = (chain::combine_lanes(&c, xs, np), chain::combine_lanes(&c, ys, np)) {
                for (l, o) in out.iter_mut().enumerate() {
                    o.set_add(&R::from_f64(x[l] as f64, ctx), &R::from_f64(y[l] as f64, ctx), ctx);
                }
                return;
            }
        }
        // `out = f32` to nearest: a finite f32 sum is its own conversion
        let f32_out = f.out == Fmt::F32 && f.round == Rounding::Rne && !f.exact.out;
        let sums = |v: &[[f32; K]; 6], l: usize| chain::combine(&std::array::from_fn::<f32, 6, _>(|q| v[q][l])[..np]);
        let key = |p: &R, q: &R, r: &R, t: &R| [p.to_f64(), q.to_f64(), r.to_f64(), t.to_f64()];
        for (l, o) in out.iter_mut().enumerate() {
            let (Some(x), Some(y)) = (sums(xs, l), sums(ys, l)) else {
                self.dot2(o, n, (a, |k| &bt(k)[l]), (|k| &at(k)[l], b), s, ctx);
                continue;
            };
            let (xv, yv) = if f32_out {
                (x as f64, y as f64)
            } else {
                let xv = kernel::finish_value(f, x as f64, n, key(a(0), &bt(0)[l], a(n - 1), &bt(n - 1)[l]));
                (xv, kernel::finish_value(f, y as f64, n, key(&at(0)[l], b(0), &at(n - 1)[l], b(n - 1))))
            };
            o.set_add(&R::from_f64(xv, ctx), &R::from_f64(yv, ctx), ctx);
        }
    }

    /// `out = pdot(a₁, b₁) + pdot(a₂, b₂)`, the sum rounded once in `R`: a tangent of a
    /// product, as a framework's JVP of `dot_general` composes it.
    #[allow(clippy::too_many_arguments)]
    pub fn dot2<'r, R: Real + 'r>(
        &self,
        out: &mut R,
        n: usize,
        (a1, b1): (impl Fn(usize) -> &'r R, impl Fn(usize) -> &'r R),
        (a2, b2): (impl Fn(usize) -> &'r R, impl Fn(usize) -> &'r R),
        s: &mut PolicyScratch,
        ctx: &R::RCtx,
    ) {
        let x = self.dot(n, a1, b1, s, ctx);
        let y = self.dot(n, a2, b2, s, ctx);
        out.set_add(&x, &y, ctx);
    }
}
