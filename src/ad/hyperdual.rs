//! Hyper-dual numbers `v + e1·ε₁ + e2·ε₂ + d·ε₁ε₂` (ε₁² = ε₂² = 0): forward-over-forward.
//!
//! Evaluating the loss on `HyperDual<R>` with θ's `e1` part set to e_i and `e2` part to e_j
//! gives `∂²L/∂θ_i∂θ_j` in `d`, one Hessian entry per evaluation (`fwd-fwd`). The entries
//! (i, j) and (j, i) swap the roles of ε₁ and ε₂, so they round differently: this method can
//! show asymmetry although each entry is exact up to rounding.
//!
//! # Roundings
//! * add/sub: one per component.
//! * `set_mul`: `v = a.v·b.v`; `e1 = a.v·b.e1 + a.e1·b.v` and `e2` likewise (as in [`super::Dual`]);
//!   `d = a.v·b.d + a.e1·b.e2 + a.e2·b.e1 + a.d·b.v` — under `no-fma` four rounded products
//!   summed left to right; under `fma` `fma(a.v,b.d, fma(a.e1,b.e2, fma(a.e2,b.e1, a.d·b.v)))`.
//! * `set_mul_add` (fused): each component's chain continues into `c`.
//! * `set_fun`: `v = f(a.v)`, `e1 = f′·a.e1`, `e2 = f′·a.e2`,
//!   `d = f′·a.d + f″·(a.e1·a.e2)` (`fma`: the first product fused).
//! * exact sums: one correctly rounded sum per component.

use crate::scalar::order::{PolicyDot, PolicyScratch, Strided};
use crate::scalar::{Fun, Real, Scalar};

/// A hyper-dual number over the format `R`.
#[derive(Clone, Debug, PartialEq)]
pub struct HyperDual<R> {
    /// Value.
    pub v: R,
    /// ε₁ part.
    pub e1: R,
    /// ε₂ part.
    pub e2: R,
    /// ε₁ε₂ part (the mixed second derivative).
    pub d: R,
}

/// `out = x·y + z·w` in the dual-tangent style of [`super::Dual`], `scratch` receiving `z·w`.
#[inline(always)]
fn cross<R: Real>(out: &mut R, scratch: &mut R, x: &R, y: &R, z: &R, w: &R, ctx: &R::RCtx) {
    scratch.set_mul(z, w, ctx);
    if R::fma(ctx) {
        out.set_mul_add(x, y, scratch, ctx);
    } else {
        out.set_mul(x, y, ctx);
        out.add_assign(scratch, ctx);
    }
}

impl<R: Real> Scalar for HyperDual<R> {
    type Real = R;
    type Ctx = R::RCtx;

    #[inline(always)]
    fn real_ctx(ctx: &Self::Ctx) -> &R::RCtx {
        ctx
    }
    fn constant(c: &R, ctx: &Self::Ctx) -> Self {
        let z = &R::consts(ctx).zero;
        HyperDual { v: c.clone(), e1: z.clone(), e2: z.clone(), d: z.clone() }
    }
    #[inline(always)]
    fn value(&self) -> &R {
        &self.v
    }
    fn set(&mut self, a: &Self, ctx: &Self::Ctx) {
        self.v.set(&a.v, ctx);
        self.e1.set(&a.e1, ctx);
        self.e2.set(&a.e2, ctx);
        self.d.set(&a.d, ctx);
    }
    fn set_add(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.v.set_add(&a.v, &b.v, ctx);
        self.e1.set_add(&a.e1, &b.e1, ctx);
        self.e2.set_add(&a.e2, &b.e2, ctx);
        self.d.set_add(&a.d, &b.d, ctx);
    }
    fn set_sub(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.v.set_sub(&a.v, &b.v, ctx);
        self.e1.set_sub(&a.e1, &b.e1, ctx);
        self.e2.set_sub(&a.e2, &b.e2, ctx);
        self.d.set_sub(&a.d, &b.d, ctx);
    }
    fn set_mul(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        // `self.v` is scratch until the end.
        if R::fma(ctx) {
            self.v.set_mul(&a.d, &b.v, ctx);
            self.d.set_mul_add(&a.e2, &b.e1, &self.v, ctx);
            self.d.mul_add_assign(&a.e1, &b.e2, ctx);
            self.d.mul_add_assign(&a.v, &b.d, ctx);
        } else {
            self.d.set_mul(&a.v, &b.d, ctx);
            self.v.set_mul(&a.e1, &b.e2, ctx);
            self.d.add_assign(&self.v, ctx);
            self.v.set_mul(&a.e2, &b.e1, ctx);
            self.d.add_assign(&self.v, ctx);
            self.v.set_mul(&a.d, &b.v, ctx);
            self.d.add_assign(&self.v, ctx);
        }
        cross(&mut self.e1, &mut self.v, &a.v, &b.e1, &a.e1, &b.v, ctx);
        cross(&mut self.e2, &mut self.v, &a.v, &b.e2, &a.e2, &b.v, ctx);
        self.v.set_mul(&a.v, &b.v, ctx);
    }
    fn set_div(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        // a/b = a · (1/b), with 1/b lifted through f(x) = 1/x: f′ = −1/x², f″ = 2/x³.
        let mut recip = b.clone();
        R::with_scratch(ctx, |[f0, f1, f2, t]| {
            let c = R::consts(ctx);
            f0.set_div(&c.one, &b.v, ctx); // 1/x
            t.set_mul(f0, f0, ctx);
            f1.set_neg(t, ctx); // −1/x²
            f2.set_mul(t, f0, ctx);
            t.set_mul(&c.two, f2, ctx); // 2/x³
            lift(&mut recip, b, f0, f1, t, ctx);
        });
        self.set_mul(a, &recip, ctx);
    }
    fn set_mul_add(&mut self, a: &Self, b: &Self, c: &Self, ctx: &Self::Ctx) {
        self.d.set_mul_add(&a.d, &b.v, &c.d, ctx);
        self.d.mul_add_assign(&a.e2, &b.e1, ctx);
        self.d.mul_add_assign(&a.e1, &b.e2, ctx);
        self.d.mul_add_assign(&a.v, &b.d, ctx);
        self.e1.set_mul_add(&a.e1, &b.v, &c.e1, ctx);
        self.e1.mul_add_assign(&a.v, &b.e1, ctx);
        self.e2.set_mul_add(&a.e2, &b.v, &c.e2, ctx);
        self.e2.mul_add_assign(&a.v, &b.e2, ctx);
        self.v.set_mul_add(&a.v, &b.v, &c.v, ctx);
    }
    fn set_neg(&mut self, a: &Self, ctx: &Self::Ctx) {
        self.v.set_neg(&a.v, ctx);
        self.e1.set_neg(&a.e1, ctx);
        self.e2.set_neg(&a.e2, ctx);
        self.d.set_neg(&a.d, ctx);
    }
    fn add_assign(&mut self, b: &Self, ctx: &Self::Ctx) {
        self.v.add_assign(&b.v, ctx);
        self.e1.add_assign(&b.e1, ctx);
        self.e2.add_assign(&b.e2, ctx);
        self.d.add_assign(&b.d, ctx);
    }
    fn mul_add_assign(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.d.mul_add_assign(&a.d, &b.v, ctx);
        self.d.mul_add_assign(&a.e2, &b.e1, ctx);
        self.d.mul_add_assign(&a.e1, &b.e2, ctx);
        self.d.mul_add_assign(&a.v, &b.d, ctx);
        self.e1.mul_add_assign(&a.e1, &b.v, ctx);
        self.e1.mul_add_assign(&a.v, &b.e1, ctx);
        self.e2.mul_add_assign(&a.e2, &b.v, ctx);
        self.e2.mul_add_assign(&a.v, &b.e2, ctx);
        self.v.mul_add_assign(&a.v, &b.v, ctx);
    }
    fn set_fun(&mut self, f: Fun, a: &Self, ctx: &Self::Ctx) {
        let (mut f0, mut f1, mut f2) = (a.v.clone(), a.v.clone(), a.v.clone());
        f0.set_fun_deriv(f, 0, &a.v, ctx);
        f1.set_fun_deriv(f, 1, &a.v, ctx);
        f2.set_fun_deriv(f, 2, &a.v, ctx);
        lift(self, a, &f0, &f1, &f2, ctx);
    }
    fn set_fun_known(&mut self, a: &Self, d: [&R; 3], ctx: &Self::Ctx) {
        lift(self, a, d[0], d[1], d[2], ctx);
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
        pd.dot2(&mut self.e1, n, (|k| &a.get(k).v, |k| &b.get(k).e1), (|k| &a.get(k).e1, |k| &b.get(k).v), s, ctx);
        pd.dot2(&mut self.e2, n, (|k| &a.get(k).v, |k| &b.get(k).e2), (|k| &a.get(k).e2, |k| &b.get(k).v), s, ctx);
        // d = ((a·ḋ + ȧ₁·ḃ₂) + ȧ₂·ḃ₁) + ḋa·b: the second-order part of the product rule
        let mut first = pd.dot(n, |k| &a.get(k).v, |k| &b.get(k).d, s, ctx);
        let cross = [
            pd.dot(n, |k| &a.get(k).e1, |k| &b.get(k).e2, s, ctx),
            pd.dot(n, |k| &a.get(k).e2, |k| &b.get(k).e1, s, ctx),
            pd.dot(n, |k| &a.get(k).d, |k| &b.get(k).v, s, ctx),
        ];
        for c in &cross {
            first.add_assign(c, ctx);
        }
        self.d.set(&first, ctx);
    }
    fn set_dot_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = (&'a Self, &'a Self)> + Clone,
    {
        let t = terms.clone();
        self.d.set_dot_exact(
            t.clone()
                .map(|(a, b)| (&a.v, &b.d))
                .chain(t.clone().map(|(a, b)| (&a.e1, &b.e2)))
                .chain(t.clone().map(|(a, b)| (&a.e2, &b.e1)))
                .chain(t.clone().map(|(a, b)| (&a.d, &b.v))),
            ctx,
        );
        self.e1.set_dot_exact(
            t.clone().map(|(a, b)| (&a.v, &b.e1)).chain(t.clone().map(|(a, b)| (&a.e1, &b.v))),
            ctx,
        );
        self.e2.set_dot_exact(
            t.clone().map(|(a, b)| (&a.v, &b.e2)).chain(t.clone().map(|(a, b)| (&a.e2, &b.v))),
            ctx,
        );
        self.v.set_dot_exact(terms.map(|(a, b)| (&a.v, &b.v)), ctx);
    }
    fn set_sum_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = &'a Self> + Clone,
    {
        self.v.set_sum_exact(terms.clone().map(|a| &a.v), ctx);
        self.e1.set_sum_exact(terms.clone().map(|a| &a.e1), ctx);
        self.e2.set_sum_exact(terms.clone().map(|a| &a.e2), ctx);
        self.d.set_sum_exact(terms.map(|a| &a.d), ctx);
    }
    fn detach(&mut self, ctx: &Self::Ctx) {
        let z = &R::consts(ctx).zero;
        self.e1.set(z, ctx);
        self.e2.set(z, ctx);
        self.d.set(z, ctx);
    }
}

/// `out = f(a)` from `f0 = f(a.v)`, `f1 = f′(a.v)`, `f2 = f″(a.v)` (module docs give roundings).
fn lift<R: Real>(out: &mut HyperDual<R>, a: &HyperDual<R>, f0: &R, f1: &R, f2: &R, ctx: &R::RCtx) {
    // d = f′·a.d + f″·(a.e1·a.e2); `out.v` and `out.e2` are scratch until set.
    out.v.set_mul(&a.e1, &a.e2, ctx);
    out.e2.set_mul(f2, &out.v, ctx);
    if R::fma(ctx) {
        out.d.set_mul_add(f1, &a.d, &out.e2, ctx);
    } else {
        out.d.set_mul(f1, &a.d, ctx);
        out.d.add_assign(&out.e2, ctx);
    }
    out.e1.set_mul(f1, &a.e1, ctx);
    out.e2.set_mul(f1, &a.e2, ctx);
    out.v.set(f0, ctx);
}
