//! Compensated kernels: Neumaier's sum (with the branch-free TwoSum) and, under `fma`,
//! Ogita–Rump–Oishi's `Dot2` (the products' errors recovered exactly with an FMA and added to
//! the correction) — the `kahan` order.

use super::Strided;
use crate::scalar::{Real, Scalar};

/// The `kahan` dot product of `a` and `b` (non-empty): `s` with a running correction `c`,
/// result `s + c`; under `fma` the correction also collects each product's exact error.
#[inline(always)]
pub(super) fn kahan_dot<S: Scalar>(
    out: &mut S,
    a: Strided<'_, S>,
    b: Strided<'_, S>,
    t: &mut [S; 7],
    fma: bool,
    ctx: &S::Ctx,
) {
    let n = a.len();
    let [s, c, p, t0, t1, t2, t3] = t;
    s.set_mul(a.get(0), b.get(0), ctx);
    if fma {
        t0.set_neg(s, ctx);
        c.set_mul_add(a.get(0), b.get(0), t0, ctx);
    } else {
        c.set(&S::constant(&S::Real::consts(S::real_ctx(ctx)).zero, ctx), ctx);
    }
    for k in 1..n {
        p.set_mul(a.get(k), b.get(k), ctx);
        two_sum_into(s, p, t0, t1, t2, t3, ctx);
        // t0 = rounding error of s + p
        if fma {
            t1.set_neg(p, ctx);
            t2.set_mul_add(a.get(k), b.get(k), t1, ctx); // exact product error
            t0.add_assign(t2, ctx);
        }
        c.add_assign(t0, ctx);
    }
    out.set_add(s, c, ctx);
}

/// The `kahan` sum of `a` (non-empty): Neumaier's `s` with a running correction `c`, result
/// `s + c`.
#[inline(always)]
pub(super) fn kahan_sum<S: Scalar>(out: &mut S, a: Strided<'_, S>, t: &mut [S; 7], ctx: &S::Ctx) {
    let n = a.len();
    let [s, c, _, t0, t1, t2, t3] = t;
    s.set(a.get(0), ctx);
    c.set(&S::constant(&S::Real::consts(S::real_ctx(ctx)).zero, ctx), ctx);
    for k in 1..n {
        two_sum_into(s, a.get(k), t0, t1, t2, t3, ctx);
        c.add_assign(t0, ctx);
    }
    out.set_add(s, c, ctx);
}

/// TwoSum: `s ← fl(s + x)` and `err ← (s + x) − fl(s + x)` exactly (no overflow assumed).
#[inline(always)]
fn two_sum_into<S: Scalar>(
    s: &mut S,
    x: &S,
    err: &mut S,
    t1: &mut S,
    t2: &mut S,
    t3: &mut S,
    ctx: &S::Ctx,
) {
    t3.set_add(s, x, ctx); // σ = fl(s + x)
    t1.set_sub(t3, s, ctx); // b′ = σ − s
    t2.set_sub(t3, t1, ctx); // a′ = σ − b′
    err.set_sub(s, t2, ctx); // δa = s − a′
    t2.set_sub(x, t1, ctx); // δb = x − b′
    err.add_assign(t2, ctx); // δa + δb
    s.set(t3, ctx);
}
