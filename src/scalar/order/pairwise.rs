//! The `pairwise` order's balanced trees: `S(lo,hi) = S(lo,mid) + S(mid,hi)`,
//! `mid = lo + ⌊(hi−lo)/2⌋`; under `fma` a leaf pair of products is one FMA.

use super::Strided;
use crate::scalar::Scalar;

/// Pairwise tree over products, result in `buf[0]`. `base` is the index of `buf[0]` in a/b.
pub(super) fn pairwise_dot<S: Scalar>(
    buf: &mut [S],
    tmp: &mut S,
    a: Strided<'_, S>,
    b: Strided<'_, S>,
    base: usize,
    fma: bool,
    ctx: &S::Ctx,
) {
    let n = buf.len();
    match n {
        1 => buf[0].set_mul(a.get(base), b.get(base), ctx),
        2 if fma => {
            tmp.set_mul(a.get(base + 1), b.get(base + 1), ctx);
            buf[0].set_mul_add(a.get(base), b.get(base), tmp, ctx);
        }
        _ => {
            let mid = n / 2;
            let (lo, hi) = buf.split_at_mut(mid);
            pairwise_dot(lo, tmp, a, b, base, fma, ctx);
            pairwise_dot(hi, tmp, a, b, base + mid, fma, ctx);
            lo[0].add_assign(&hi[0], ctx);
        }
    }
}

/// Pairwise tree over `buf` in place, result in `buf[0]`.
pub(super) fn pairwise_reduce<S: Scalar>(buf: &mut [S], ctx: &S::Ctx) {
    let n = buf.len();
    if n > 1 {
        let mid = n / 2;
        let (lo, hi) = buf.split_at_mut(mid);
        pairwise_reduce(lo, ctx);
        pairwise_reduce(hi, ctx);
        lo[0].add_assign(&hi[0], ctx);
    }
}
