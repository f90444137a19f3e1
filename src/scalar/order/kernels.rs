//! The sum and dot-product kernels: one loop per order, with the FMA policy of the context.

use super::compensated::{kahan_dot, kahan_sum};
use super::pairwise::{pairwise_dot, pairwise_reduce};
use super::shaped::{blocked_dot, blocked_sum, lanes_dot, lanes_sum, split_size};
use super::{Eval, KernelScratch, Order, Strided};
use crate::scalar::{Real, Scalar};

/// The `sequential`/`reversed`/`shuffled` dot product: the terms in the order `idx(0), idx(1),
/// …`, `out = a_{i₀}·b_{i₀}` and then, for each further term, `out = out + a_i·b_i` (the
/// product rounded first) under `no-fma` or `out = fma(a_i, b_i, out)` under `fma`. This is the
/// definition; [`Scalar::dot_in_order`] (which defaults to it) may arrange the same operations
/// for speed. `a` and `b` are non-empty and of equal length. The lanes, blocks and parts of
/// `lanes`/`blocked`/`splitk` call this definition directly.
#[inline(always)]
pub fn dot_in_order<S: Scalar>(
    out: &mut S,
    a: Strided<'_, S>,
    b: Strided<'_, S>,
    idx: impl Fn(usize) -> usize,
    tmp: &mut S,
    ctx: &S::Ctx,
) {
    let fma = S::Real::fma(S::real_ctx(ctx));
    let k0 = idx(0);
    out.set_mul(a.get(k0), b.get(k0), ctx);
    for k in 1..a.len() {
        let i = idx(k);
        if fma {
            out.mul_add_assign(a.get(i), b.get(i), ctx);
        } else {
            tmp.set_mul(a.get(i), b.get(i), ctx);
            out.add_assign(tmp, ctx);
        }
    }
}

/// [`dot`] when its value is known: `value` must be what [`dot`] gives for the values of `a`
/// and `b` (the primal pass's result of the same sum, as the model tabulates it).
/// In the term-by-term orders (`sequential`, `reversed`, `shuffled`) a scalar with derivative
/// parts may then compute only those ([`Scalar::dot_tangents_in_order`]); the other orders
/// compute everything. Either way the result is [`dot`]'s, bit for bit.
pub fn dot_with_value<S: Scalar>(
    out: &mut S,
    a: Strided<'_, S>,
    b: Strided<'_, S>,
    eval: &Eval,
    ks: &mut KernelScratch<S>,
    value: &S::Real,
    ctx: &S::Ctx,
) {
    dot_given(out, a, b, eval, ks, Some(value), ctx)
}

/// One term-by-term dot product in the order `idx`: [`Scalar::dot_in_order`], or
/// [`Scalar::dot_tangents_in_order`] when the value is given.
#[inline(always)]
fn term_by_term<S: Scalar>(
    out: &mut S,
    a: Strided<'_, S>,
    b: Strided<'_, S>,
    idx: impl Fn(usize) -> usize,
    tmp: &mut S,
    value: Option<&S::Real>,
    ctx: &S::Ctx,
) {
    match value {
        Some(v) => out.dot_tangents_in_order(a, b, idx, tmp, v, ctx),
        None => out.dot_in_order(a, b, idx, tmp, ctx),
    }
}

/// `out = Σ_k a_k·b_k` in the order of `eval`, with the FMA policy of the context.
pub fn dot<S: Scalar>(
    out: &mut S,
    a: Strided<'_, S>,
    b: Strided<'_, S>,
    eval: &Eval,
    ks: &mut KernelScratch<S>,
    ctx: &S::Ctx,
) {
    dot_given(out, a, b, eval, ks, None, ctx)
}

/// [`dot`], with the value given or not ([`dot_with_value`]).
pub(super) fn dot_given<S: Scalar>(
    out: &mut S,
    a: Strided<'_, S>,
    b: Strided<'_, S>,
    eval: &Eval,
    ks: &mut KernelScratch<S>,
    value: Option<&S::Real>,
    ctx: &S::Ctx,
) {
    let n = a.len();
    debug_assert_eq!(n, b.len());
    if n == 0 {
        *out = S::constant(&S::Real::consts(S::real_ctx(ctx)).zero, ctx);
        return;
    }
    let fma = S::Real::fma(S::real_ctx(ctx));
    match eval.order {
        // one monomorphic loop per order: the index map is not matched per term
        Order::Sequential => term_by_term(out, a, b, |k| k, &mut ks.t[0], value, ctx),
        Order::Reversed => term_by_term(out, a, b, |k| n - 1 - k, &mut ks.t[0], value, ctx),
        Order::Shuffled(_) => {
            let perm = eval.perm(n).expect("a permutation");
            term_by_term(out, a, b, |k| perm[k] as usize, &mut ks.t[0], value, ctx)
        }
        Order::Pairwise => {
            pairwise_dot(&mut ks.buf[..n], &mut ks.t[0], a, b, 0, fma, ctx);
            out.set(&ks.buf[0], ctx);
        }
        Order::Kahan => kahan_dot(out, a, b, &mut ks.t, fma, ctx),
        Order::Exact => {
            let (ai, bi) = (a.iter(), b.iter());
            out.set_dot_exact(ai.zip(bi), ctx);
        }
        Order::Lanes(w) => lanes_dot(out, a, b, w as usize, &mut ks.buf, &mut ks.t[0], ctx),
        Order::Blocked(size) => {
            let [tmp, part, ..] = &mut ks.t;
            blocked_dot(out, a, b, size as usize, part, tmp, ctx)
        }
        Order::SplitK(k) => {
            let [tmp, part, ..] = &mut ks.t;
            blocked_dot(out, a, b, split_size(n, k as usize), part, tmp, ctx)
        }
    }
}

/// `out = Σ_k a_k` in the order of `eval`.
pub fn sum<S: Scalar>(
    out: &mut S,
    a: Strided<'_, S>,
    eval: &Eval,
    ks: &mut KernelScratch<S>,
    ctx: &S::Ctx,
) {
    let n = a.len();
    if n == 0 {
        *out = S::constant(&S::Real::consts(S::real_ctx(ctx)).zero, ctx);
        return;
    }
    match eval.order {
        Order::Sequential | Order::Reversed | Order::Shuffled(_) => {
            let perm = eval.perm(n);
            out.set(a.get(eval.index(perm, n, 0)), ctx);
            for k in 1..n {
                out.add_assign(a.get(eval.index(perm, n, k)), ctx);
            }
        }
        Order::Pairwise => {
            for k in 0..n {
                ks.buf[k].set(a.get(k), ctx);
            }
            pairwise_reduce(&mut ks.buf[..n], ctx);
            out.set(&ks.buf[0], ctx);
        }
        Order::Kahan => kahan_sum(out, a, &mut ks.t, ctx),
        Order::Exact => out.set_sum_exact(a.iter(), ctx),
        Order::Lanes(w) => lanes_sum(out, a, w as usize, &mut ks.buf, ctx),
        Order::Blocked(size) => blocked_sum(out, a, size as usize, &mut ks.t[0], ctx),
        Order::SplitK(k) => blocked_sum(out, a, split_size(n, k as usize), &mut ks.t[0], ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::hw::HwCtx;
    use crate::scalar::order::{Eval, KernelScratch, Order, Strided};
    use crate::scalar::MathLib;

    fn sum_f64(xs: &[f64], order: Order, fma: bool) -> f64 {
        let ctx = HwCtx::<f64>::new(MathLib::CoreMath, fma);
        let eval = Eval::new(order, [xs.len()]);
        let mut ks = KernelScratch::new(&0.0, xs.len());
        let mut out = 0.0;
        sum(&mut out, Strided::contiguous(xs), &eval, &mut ks, &ctx);
        out
    }

    #[test]
    fn orders_differ_where_they_should() {
        // 1 + 2^-53 + 2^-53: sequential loses both halves, kahan and exact keep them.
        let e = f64::EPSILON / 2.0;
        let xs = [1.0, e, e];
        assert_eq!(sum_f64(&xs, Order::Sequential, false), 1.0);
        assert_eq!(sum_f64(&xs, Order::Reversed, false), 1.0 + 2.0 * e);
        assert_eq!(sum_f64(&xs, Order::Kahan, false), 1.0 + 2.0 * e);
        assert_eq!(sum_f64(&xs, Order::Exact, false), 1.0 + 2.0 * e);
        // pairwise: 1 + (e + e)
        assert_eq!(sum_f64(&xs, Order::Pairwise, false), 1.0 + 2.0 * e);
        // Neumaier handles the classic case Kahan fails: [1, 1e100, 1, -1e100] = 2.
        assert_eq!(sum_f64(&[1.0, 1e100, 1.0, -1e100], Order::Kahan, false), 2.0);
        assert_eq!(sum_f64(&[1.0, 1e100, 1.0, -1e100], Order::Exact, false), 2.0);
    }

    #[test]
    fn dot2_is_compensated() {
        let ctx = HwCtx::<f64>::new(MathLib::CoreMath, true);
        // (1+e)(1−e) − 1 = −e² exactly; a plain dot loses it, Dot2 keeps it.
        let e = 2f64.powi(-30);
        let a = [1.0 + e, -1.0];
        let b = [1.0 - e, 1.0];
        let mut ks = KernelScratch::new(&0.0, 2);
        let mut out = 0.0;
        dot(&mut out, Strided::contiguous(&a), Strided::contiguous(&b), &Eval::new(Order::Kahan, [2]), &mut ks, &ctx);
        assert_eq!(out, -e * e);
        dot(&mut out, Strided::contiguous(&a), Strided::contiguous(&b), &Eval::new(Order::Exact, [2]), &mut ks, &ctx);
        assert_eq!(out, -e * e);
    }
}
