//! Dual numbers `v + t·ε` (ε² = 0): forward mode, one tangent direction.
//!
//! Pushing the generic gradient code through `Dual<R>` with θ's tangent set to the basis vector
//! e_j yields `∇L(θ)` in the values and the Hessian column `H e_j` in the tangents
//! (forward-over-reverse).
//!
//! # Roundings
//! * add/sub: one per component.
//! * `set_mul`: `v = a.v·b.v`; `t = a.v·b.t + a.t·b.v` — under `no-fma` each product and the sum
//!   round (3 roundings), under `fma` `t = fma(a.v, b.t, a.t·b.v)` (2 roundings).
//! * `set_mul_add` / `mul_add_assign` (fused, `fma` policy only):
//!   `v = fma(a.v, b.v, c.v)`, `t = fma(a.v, b.t, fma(a.t, b.v, c.t))`.
//! * `set_div`: `v = a.v/b.v`, `t = (a.t − v·b.t)/b.v` (3 roundings; `fma`: the numerator fused).
//! * `set_fun`: `v = f(a.v)`, `t = f′(a.v)·a.t`.
//! * exact sums: each component is one correctly rounded sum (`t` of a dot product is the
//!   correctly rounded Σ (aᵢ.v·bᵢ.t + aᵢ.t·bᵢ.v) over all 2n products).

use crate::scalar::order::{PolicyDot, PolicyScratch, Strided};
use crate::scalar::rules::{GradKernel, Lane};
use crate::scalar::{Fun, Real, Scalar};

/// A dual number over the format `R`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dual<R> {
    /// Value.
    pub v: R,
    /// Tangent (directional derivative).
    pub t: R,
}

impl<R: Real> Dual<R> {
    /// `v + t·ε`.
    pub fn new(v: R, t: R) -> Self {
        Dual { v, t }
    }
}

impl<R: Real> Scalar for Dual<R> {
    type Real = R;
    type Ctx = R::RCtx;

    #[inline(always)]
    fn real_ctx(ctx: &Self::Ctx) -> &R::RCtx {
        ctx
    }
    fn constant(c: &R, ctx: &Self::Ctx) -> Self {
        Dual { v: c.clone(), t: R::consts(ctx).zero.clone() }
    }
    #[inline]
    fn set_constant(&mut self, c: &R, ctx: &Self::Ctx) {
        self.v.set(c, ctx);
        self.t.set(&R::consts(ctx).zero, ctx);
    }
    #[inline(always)]
    fn value(&self) -> &R {
        &self.v
    }
    #[inline(always)]
    fn set(&mut self, a: &Self, ctx: &Self::Ctx) {
        self.v.set(&a.v, ctx);
        self.t.set(&a.t, ctx);
    }
    #[inline(always)]
    fn set_add(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.v.set_add(&a.v, &b.v, ctx);
        self.t.set_add(&a.t, &b.t, ctx);
    }
    #[inline(always)]
    fn set_sub(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.v.set_sub(&a.v, &b.v, ctx);
        self.t.set_sub(&a.t, &b.t, ctx);
    }
    #[inline(always)]
    fn set_mul(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        // `self.v` serves as scratch for the second product before it receives the value.
        self.v.set_mul(&a.t, &b.v, ctx);
        if R::fma(ctx) {
            self.t.set_mul_add(&a.v, &b.t, &self.v, ctx);
        } else {
            self.t.set_mul(&a.v, &b.t, ctx);
            self.t.add_assign(&self.v, ctx);
        }
        self.v.set_mul(&a.v, &b.v, ctx);
    }
    fn set_div(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.v.set_div(&a.v, &b.v, ctx);
        R::with_scratch(ctx, |[num, prod, ..]| {
            if R::fma(ctx) {
                prod.set_neg(&self.v, ctx);
                num.set_mul_add(prod, &b.t, &a.t, ctx);
            } else {
                prod.set_mul(&self.v, &b.t, ctx);
                num.set_sub(&a.t, prod, ctx);
            }
            self.t.set_div(num, &b.v, ctx);
        });
    }
    #[inline(always)]
    fn set_mul_add(&mut self, a: &Self, b: &Self, c: &Self, ctx: &Self::Ctx) {
        self.t.set_mul_add(&a.t, &b.v, &c.t, ctx);
        self.t.mul_add_assign(&a.v, &b.t, ctx);
        self.v.set_mul_add(&a.v, &b.v, &c.v, ctx);
    }
    #[inline(always)]
    fn set_neg(&mut self, a: &Self, ctx: &Self::Ctx) {
        self.v.set_neg(&a.v, ctx);
        self.t.set_neg(&a.t, ctx);
    }
    #[inline(always)]
    fn add_assign(&mut self, b: &Self, ctx: &Self::Ctx) {
        self.v.add_assign(&b.v, ctx);
        self.t.add_assign(&b.t, ctx);
    }
    #[inline(always)]
    fn mul_add_assign(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.t.mul_add_assign(&a.t, &b.v, ctx);
        self.t.mul_add_assign(&a.v, &b.t, ctx);
        self.v.mul_add_assign(&a.v, &b.v, ctx);
    }
    fn set_fun(&mut self, f: Fun, a: &Self, ctx: &Self::Ctx) {
        if f == Fun::Exp {
            self.v.set_exp(&a.v, ctx);
            self.t.set_mul(&self.v, &a.t, ctx);
            return;
        }
        // f′ goes into `self.v` as scratch first.
        self.v.set_fun_deriv(f, 1, &a.v, ctx);
        self.t.set_mul(&self.v, &a.t, ctx);
        self.v.set_fun_deriv(f, 0, &a.v, ctx);
    }
    fn set_fun_rule(&mut self, k: GradKernel, a: &Self, at: Lane, ctx: &Self::Ctx) {
        // the value as the framework computes it; the tangent its JVP rule k(value, ȧ)
        k.forward(&mut self.v, &a.v, ctx);
        let mut s = [self.v.clone(), self.v.clone()];
        k.eval(&mut self.t, k.operand(&a.v, &self.v), &a.t, at, &mut s, ctx);
    }
    fn set_grad_kernel(&mut self, k: GradKernel, y: &Self, dy: &Self, at: Lane, ctx: &Self::Ctx) {
        // the tangent by the framework's registered forward derivative where it has one
        // (PyTorch), else the derivative of the kernel's arithmetic
        if k.jvp(&mut self.t, (&y.v, &y.t), (&dy.v, &dy.t), at, ctx) {
            let mut s = [self.v.clone(), self.v.clone()];
            k.eval(&mut self.v, &y.v, &dy.v, at, &mut s, ctx);
        } else {
            let mut t = [self.clone(), self.clone()];
            k.eval(self, y, dy, at, &mut t, ctx);
        }
    }
    fn set_mul_contracted(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        // t = fma(a.t, b.v, a.v·b.t); `self.v` is scratch until the value is written last
        self.v.set_mul(&a.v, &b.t, ctx);
        self.t.set_mul_add(&a.t, &b.v, &self.v, ctx);
        self.v.set_mul(&a.v, &b.v, ctx);
    }
    #[inline(always)]
    fn set_fun_known(&mut self, a: &Self, d: [&R; 3], ctx: &Self::Ctx) {
        self.t.set_mul(d[1], &a.t, ctx);
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
        pd.dot2(&mut self.t, n, (|k| &a.get(k).v, |k| &b.get(k).t), (|k| &a.get(k).t, |k| &b.get(k).v), s, ctx);
    }
    fn set_dot_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = (&'a Self, &'a Self)> + Clone,
    {
        let tangent = terms
            .clone()
            .map(|(a, b)| (&a.v, &b.t))
            .chain(terms.clone().map(|(a, b)| (&a.t, &b.v)));
        self.t.set_dot_exact(tangent, ctx);
        self.v.set_dot_exact(terms.map(|(a, b)| (&a.v, &b.v)), ctx);
    }
    fn set_sum_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = &'a Self> + Clone,
    {
        self.t.set_sum_exact(terms.clone().map(|a| &a.t), ctx);
        self.v.set_sum_exact(terms.map(|a| &a.v), ctx);
    }
    fn detach(&mut self, ctx: &Self::Ctx) {
        self.t.set(&R::consts(ctx).zero, ctx);
    }
}
