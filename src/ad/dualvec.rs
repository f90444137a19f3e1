//! Dual numbers with `K` tangents: `v + Σ_k t_k·ε_k` (ε_k·ε_l = 0), K columns per pass.
//!
//! Each tangent lane performs exactly the operations of [`super::Dual`] on its own tangent, in
//! the same order and with the same roundings, so lane k equals the `Dual` computation of
//! column k **bit for bit** (tested); the value is computed once for K columns instead of K
//! times, and the lanes' loops are plain arrays the compiler can vectorize for `f32`/`f64`.
//! The summation order under study is unchanged: lanes run *across columns*, never across the
//! terms of a sum.

use super::lanes::LaneDot;
use crate::scalar::order::{PolicyDot, PolicyScratch, Strided};
use crate::scalar::rules::{GradKernel, Lane};
use crate::scalar::{Fun, Real, Scalar};

/// A value with `K` tangent lanes.
///
/// The tangents come first in memory (`repr(C)`), so that for `f32`/`f64` they start at the
/// element's address and load as whole vectors.
#[derive(Clone, Debug, PartialEq)]
#[repr(C)]
pub struct DualVec<R, const K: usize> {
    /// Tangents, one per lane (column).
    pub t: [R; K],
    /// Value.
    pub v: R,
}

impl<R: LaneDot, const K: usize> Scalar for DualVec<R, K> {
    type Real = R;
    type Ctx = R::RCtx;

    #[inline(always)]
    fn real_ctx(ctx: &Self::Ctx) -> &R::RCtx {
        ctx
    }
    fn constant(c: &R, ctx: &Self::Ctx) -> Self {
        DualVec { v: c.clone(), t: std::array::from_fn(|_| R::consts(ctx).zero.clone()) }
    }
    #[inline]
    fn set_constant(&mut self, c: &R, ctx: &Self::Ctx) {
        self.v.set(c, ctx);
        for t in &mut self.t {
            t.set(&R::consts(ctx).zero, ctx);
        }
    }
    #[inline(always)]
    fn value(&self) -> &R {
        &self.v
    }
    #[inline(always)]
    fn set(&mut self, a: &Self, ctx: &Self::Ctx) {
        self.v.set(&a.v, ctx);
        for k in 0..K {
            self.t[k].set(&a.t[k], ctx);
        }
    }
    #[inline(always)]
    fn set_add(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.v.set_add(&a.v, &b.v, ctx);
        for k in 0..K {
            self.t[k].set_add(&a.t[k], &b.t[k], ctx);
        }
    }
    #[inline(always)]
    fn set_sub(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.v.set_sub(&a.v, &b.v, ctx);
        for k in 0..K {
            self.t[k].set_sub(&a.t[k], &b.t[k], ctx);
        }
    }
    #[inline(always)]
    fn set_mul(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        // per lane as Dual: t = a.v·b.t + a.t·b.v, the second product rounded first; `self.v`
        // is scratch for it until the value is written last
        for k in 0..K {
            self.v.set_mul(&a.t[k], &b.v, ctx);
            if R::fma(ctx) {
                self.t[k].set_mul_add(&a.v, &b.t[k], &self.v, ctx);
            } else {
                self.t[k].set_mul(&a.v, &b.t[k], ctx);
                self.t[k].add_assign(&self.v, ctx);
            }
        }
        self.v.set_mul(&a.v, &b.v, ctx);
    }
    fn set_div(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.v.set_div(&a.v, &b.v, ctx);
        R::with_scratch(ctx, |[num, prod, ..]| {
            for k in 0..K {
                if R::fma(ctx) {
                    prod.set_neg(&self.v, ctx);
                    num.set_mul_add(prod, &b.t[k], &a.t[k], ctx);
                } else {
                    prod.set_mul(&self.v, &b.t[k], ctx);
                    num.set_sub(&a.t[k], prod, ctx);
                }
                self.t[k].set_div(num, &b.v, ctx);
            }
        });
    }
    #[inline(always)]
    fn set_mul_add(&mut self, a: &Self, b: &Self, c: &Self, ctx: &Self::Ctx) {
        for k in 0..K {
            self.t[k].set_mul_add(&a.t[k], &b.v, &c.t[k], ctx);
            self.t[k].mul_add_assign(&a.v, &b.t[k], ctx);
        }
        self.v.set_mul_add(&a.v, &b.v, &c.v, ctx);
    }
    #[inline(always)]
    fn set_neg(&mut self, a: &Self, ctx: &Self::Ctx) {
        self.v.set_neg(&a.v, ctx);
        for k in 0..K {
            self.t[k].set_neg(&a.t[k], ctx);
        }
    }
    #[inline(always)]
    fn add_assign(&mut self, b: &Self, ctx: &Self::Ctx) {
        self.v.add_assign(&b.v, ctx);
        for k in 0..K {
            self.t[k].add_assign(&b.t[k], ctx);
        }
    }
    #[inline(always)]
    fn mul_add_assign(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        for k in 0..K {
            self.t[k].mul_add_assign(&a.t[k], &b.v, ctx);
            self.t[k].mul_add_assign(&a.v, &b.t[k], ctx);
        }
        self.v.mul_add_assign(&a.v, &b.v, ctx);
    }
    fn set_fun_rule(&mut self, k: GradKernel, a: &Self, at: Lane, ctx: &Self::Ctx) {
        // per lane as Dual
        k.forward(&mut self.v, &a.v, ctx);
        let mut s = [self.v.clone(), self.v.clone()];
        for j in 0..K {
            k.eval(&mut self.t[j], k.operand(&a.v, &self.v), &a.t[j], at, &mut s, ctx);
        }
    }
    fn set_grad_kernel(&mut self, k: GradKernel, y: &Self, dy: &Self, at: Lane, ctx: &Self::Ctx) {
        // per lane as Dual: the registered forward derivative where the framework has one
        if !k.has_jvp() {
            let mut t = [self.clone(), self.clone()];
            k.eval(self, y, dy, at, &mut t, ctx);
            return;
        }
        let mut s = [self.v.clone(), self.v.clone()];
        for j in 0..K {
            k.jvp(&mut self.t[j], (&y.v, &y.t[j]), (&dy.v, &dy.t[j]), at, ctx);
        }
        k.eval(&mut self.v, &y.v, &dy.v, at, &mut s, ctx);
    }
    fn set_mul_contracted(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        // per lane as Dual: t = fma(a.t, b.v, a.v·b.t)
        for k in 0..K {
            self.v.set_mul(&a.v, &b.t[k], ctx);
            self.t[k].set_mul_add(&a.t[k], &b.v, &self.v, ctx);
        }
        self.v.set_mul(&a.v, &b.v, ctx);
    }
    fn set_fun(&mut self, f: Fun, a: &Self, ctx: &Self::Ctx) {
        if f == Fun::Exp {
            self.v.set_exp(&a.v, ctx);
            for k in 0..K {
                self.t[k].set_mul(&self.v, &a.t[k], ctx);
            }
            return;
        }
        self.v.set_fun_deriv(f, 1, &a.v, ctx);
        for k in 0..K {
            self.t[k].set_mul(&self.v, &a.t[k], ctx);
        }
        self.v.set_fun_deriv(f, 0, &a.v, ctx);
    }
    #[inline(always)]
    fn set_fun_known(&mut self, a: &Self, d: [&R; 3], ctx: &Self::Ctx) {
        for k in 0..K {
            self.t[k].set_mul(d[1], &a.t[k], ctx);
        }
        self.v.set(d[0], ctx);
    }
    fn dot_policy(
        &mut self,
        a: Strided<'_, Self>,
        b: Strided<'_, Self>,
        pd: &PolicyDot<'_>,
        s: &mut PolicyScratch,
        value: Option<&R>,
        ctx: &Self::Ctx,
    ) {
        let n = a.len();
        pd.value_into(&mut self.v, n, |k| &a.get(k).v, |k| &b.get(k).v, value, s, ctx);
        if R::policy_lanes(self, a, b, pd, s, ctx) {
            return;
        }
        for (l, t) in self.t.iter_mut().enumerate() {
            pd.dot2(t, n, (|k| &a.get(k).v, |k| &b.get(k).t[l]), (|k| &a.get(k).t[l], |k| &b.get(k).v), s, ctx);
        }
    }
    fn set_dot_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = (&'a Self, &'a Self)> + Clone,
    {
        for k in 0..K {
            let lane = terms
                .clone()
                .map(move |(a, b)| (&a.v, &b.t[k]))
                .chain(terms.clone().map(move |(a, b)| (&a.t[k], &b.v)));
            self.t[k].set_dot_exact(lane, ctx);
        }
        self.v.set_dot_exact(terms.map(|(a, b)| (&a.v, &b.v)), ctx);
    }
    fn set_sum_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = &'a Self> + Clone,
    {
        for k in 0..K {
            self.t[k].set_sum_exact(terms.clone().map(move |a| &a.t[k]), ctx);
        }
        self.v.set_sum_exact(terms.map(|a| &a.v), ctx);
    }
    fn detach(&mut self, ctx: &Self::Ctx) {
        for k in 0..K {
            self.t[k].set(&R::consts(ctx).zero, ctx);
        }
    }
    #[inline(always)]
    fn dot_in_order(
        &mut self,
        a: Strided<'_, Self>,
        b: Strided<'_, Self>,
        idx: impl Fn(usize) -> usize,
        tmp: &mut Self,
        ctx: &Self::Ctx,
    ) {
        R::dot_lanes(self, a, b, idx, tmp, ctx)
    }
    #[inline(always)]
    fn dot_tangents_in_order(
        &mut self,
        a: Strided<'_, Self>,
        b: Strided<'_, Self>,
        idx: impl Fn(usize) -> usize,
        tmp: &mut Self,
        value: &R,
        ctx: &Self::Ctx,
    ) {
        R::dot_lane_tangents(self, a, b, idx, tmp, value, ctx)
    }
}

/// [`order::dot_in_order`](crate::scalar::order::dot_in_order) on `K`-lane dual numbers with the
/// value given: every lane performs exactly the operations that `dot_in_order` performs on it
/// through [`DualVec`]'s `set_mul`, `add_assign` and `mul_add_assign` (same operands, same order, same
/// FMA policy), and the value's own products and sums — one per term, recomputed by every pass
/// of `K` columns — are replaced by `value`, the primal's result of the same sum.
pub fn dot_tangents_definition<R: Real, const K: usize>(
    out: &mut DualVec<R, K>,
    a: Strided<'_, DualVec<R, K>>,
    b: Strided<'_, DualVec<R, K>>,
    idx: impl Fn(usize) -> usize,
    tmp: &mut DualVec<R, K>,
    value: &R,
    ctx: &R::RCtx,
) {
    let fma = R::fma(ctx);
    let (x, y) = (a.get(idx(0)), b.get(idx(0)));
    // first term: `out.set_mul(x, y)`, lane by lane (`out.v` is its scratch)
    for k in 0..K {
        out.v.set_mul(&x.t[k], &y.v, ctx);
        if fma {
            out.t[k].set_mul_add(&x.v, &y.t[k], &out.v, ctx);
        } else {
            out.t[k].set_mul(&x.v, &y.t[k], ctx);
            out.t[k].add_assign(&out.v, ctx);
        }
    }
    for i in 1..a.len() {
        let (x, y) = (a.get(idx(i)), b.get(idx(i)));
        for k in 0..K {
            if fma {
                // `out.mul_add_assign(x, y)`
                out.t[k].mul_add_assign(&x.t[k], &y.v, ctx);
                out.t[k].mul_add_assign(&x.v, &y.t[k], ctx);
            } else {
                // `tmp.set_mul(x, y); out.add_assign(tmp)`
                tmp.v.set_mul(&x.t[k], &y.v, ctx);
                tmp.t[k].set_mul(&x.v, &y.t[k], ctx);
                tmp.t[k].add_assign(&tmp.v, ctx);
                out.t[k].add_assign(&tmp.t[k], ctx);
            }
        }
    }
    out.v.set(value, ctx);
}
