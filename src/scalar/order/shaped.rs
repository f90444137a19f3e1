//! The reduction shapes of real kernels: `lanes:<w>` (w interleaved accumulators, as SIMD lanes,
//! then their horizontal sum), `blocked:<b>` (contiguous blocks of b terms) and `splitk:<k>`
//! (k contiguous parts, as cuBLAS/CUTLASS split-K) — see the table in [`super`].
//!
//! Every part (a lane, a block, a split) is a `sequential` sum or dot product of its terms —
//! [`dot_in_order`], the definition, under the context's FMA policy — and the parts' results are
//! then combined with plain additions (one rounding each). A part with no terms is absent: it
//! contributes no addition at all (not a `+0`, which would turn a `−0` sum into `+0`).
//! These kernels use only the generic [`Scalar`] operations, so every format and every lifted
//! scalar (dual, vector-dual, hyper-dual, tape) computes the same shape component by component.

use super::kernels::dot_in_order;
use super::Strided;
use crate::scalar::Scalar;

/// The `lanes:<w>` dot product (`a`, `b` non-empty, of equal length, `w ≥ 1`): lane j takes the
/// terms j, j+w, j+2w, … in that order (a sequential dot product, in `buf[j]`), then the lanes
/// are folded in halves ([`fold_halves`]). `buf` holds at least `min(w, n)` values.
pub(super) fn lanes_dot<S: Scalar>(
    out: &mut S,
    a: Strided<'_, S>,
    b: Strided<'_, S>,
    w: usize,
    buf: &mut [S],
    tmp: &mut S,
    ctx: &S::Ctx,
) {
    let n = a.len();
    let present = w.min(n);
    for (j, lane) in buf[..present].iter_mut().enumerate() {
        let len = lane_len(n, w, j);
        dot_in_order(lane, a.sub(j, w, len), b.sub(j, w, len), |k| k, tmp, ctx);
    }
    fold_halves(&mut buf[..present], w, ctx);
    out.set(&buf[0], ctx);
}

/// The `lanes:<w>` sum of `a` (non-empty): as [`lanes_dot`] with the terms themselves.
pub(super) fn lanes_sum<S: Scalar>(out: &mut S, a: Strided<'_, S>, w: usize, buf: &mut [S], ctx: &S::Ctx) {
    let n = a.len();
    let present = w.min(n);
    for (j, lane) in buf[..present].iter_mut().enumerate() {
        sequential_sum(lane, a.sub(j, w, lane_len(n, w, j)), ctx);
    }
    fold_halves(&mut buf[..present], w, ctx);
    out.set(&buf[0], ctx);
}

/// Number of terms of lane `j` (< n) among `n` terms dealt to `w` lanes: ⌈(n − j)/w⌉.
fn lane_len(n: usize, w: usize, j: usize) -> usize {
    (n - j).div_ceil(w)
}

/// The horizontal sum of `W` lanes, of which the first `lanes.len()` are present (the others
/// have no terms and are absent), result in `lanes[0]`: while `W > 1`, with `h = ⌈W/2⌉`,
/// `lane[i] ← lane[i] + lane[i+h]` for every `i < W − h` whose `lane[i+h]` is present (an absent
/// one leaves `lane[i]` as it is), then `W ← h`. For a power of two W this is the reduction of
/// Eigen's `predux` (each step adds the upper half of the vector onto the lower half).
fn fold_halves<S: Scalar>(lanes: &mut [S], width: usize, ctx: &S::Ctx) {
    let (mut width, mut present) = (width, lanes.len());
    while width > 1 {
        let h = width.div_ceil(2);
        // lane i + h is present iff i + h < present
        let (lo, hi) = lanes[..present].split_at_mut(h.min(present));
        for (x, y) in lo.iter_mut().zip(hi.iter()) {
            x.add_assign(y, ctx);
        }
        width = h;
        present = present.min(h);
    }
}

/// `out = ((a₀ + a₁) + a₂) + …` (`a` non-empty).
fn sequential_sum<S: Scalar>(out: &mut S, a: Strided<'_, S>, ctx: &S::Ctx) {
    out.set(a.get(0), ctx);
    for k in 1..a.len() {
        out.add_assign(a.get(k), ctx);
    }
}

/// The `blocked:<b>` dot product (`a`, `b` non-empty, `b ≥ 1`): each block of `size`
/// consecutive terms (the last one shorter) is a sequential dot product, and the block sums are
/// added in block order: `out = B₀`, then `out = out + B_i`. `splitk:<k>` is this with
/// `size = ⌈n/k⌉` ([`split_size`]).
pub(super) fn blocked_dot<S: Scalar>(
    out: &mut S,
    a: Strided<'_, S>,
    b: Strided<'_, S>,
    size: usize,
    part: &mut S,
    tmp: &mut S,
    ctx: &S::Ctx,
) {
    let n = a.len();
    let first = size.min(n);
    dot_in_order(out, a.sub(0, 1, first), b.sub(0, 1, first), |k| k, tmp, ctx);
    let mut start = first;
    while start < n {
        let len = size.min(n - start);
        dot_in_order(part, a.sub(start, 1, len), b.sub(start, 1, len), |k| k, tmp, ctx);
        out.add_assign(part, ctx);
        start += len;
    }
}

/// The `blocked:<b>` sum of `a` (non-empty): as [`blocked_dot`] with the terms themselves.
pub(super) fn blocked_sum<S: Scalar>(out: &mut S, a: Strided<'_, S>, size: usize, part: &mut S, ctx: &S::Ctx) {
    let n = a.len();
    let first = size.min(n);
    sequential_sum(out, a.sub(0, 1, first), ctx);
    let mut start = first;
    while start < n {
        let len = size.min(n - start);
        sequential_sum(part, a.sub(start, 1, len), ctx);
        out.add_assign(part, ctx);
        start += len;
    }
}

/// The part size of `splitk:<k>` for `n` terms: ⌈n/k⌉, as CUTLASS's `GemmUniversalBase` sizes
/// its K partitions (`gemm_k_size = ceil_div(K, split_k_slices)` with an alignment of one
/// element; the last partition takes the rest, and partitions past the end are absent).
pub(super) fn split_size(n: usize, k: usize) -> usize {
    n.div_ceil(k)
}
