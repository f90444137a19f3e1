//! Evaluation orders: how every sum and dot product of the model is evaluated.
//!
//! For a sum `s = Σ_{k<n} x_k` (or a dot product with `x_k = a_k·b_k`):
//!
//! | order | evaluation |
//! |---|---|
//! | `sequential` | `((x₀ + x₁) + x₂) + …` in index order |
//! | `reversed` | the same from the last index to the first |
//! | `shuffled:<seed>` | the same in a fixed pseudo-random permutation of the indices (see [`Eval`]) |
//! | `pairwise` | balanced tree: `S(lo,hi) = S(lo,mid) + S(mid,hi)`, `mid = lo + ⌊(hi−lo)/2⌋` |
//! | `kahan` | Neumaier's compensated sum: `s` with a running correction `c`, result `s + c` |
//! | `exact` | the correctly rounded value of the exact sum (MPFR `sum`/`dot`): one rounding |
//!
//! **FMA policy** (dot products only; sums have no products): under `no-fma` every product is
//! rounded before it is added. Under `fma`:
//! * sequential / reversed / shuffled: `acc = fma(a_k, b_k, acc)` after `acc = a₀·b₀`;
//! * pairwise: a leaf pair `(k, k+1)` is `fma(a_k, b_k, a_{k+1}·b_{k+1})`;
//! * kahan: the product errors are recovered exactly with `fma(a_k, b_k, −p_k)` and added to the
//!   correction, which is Ogita–Rump–Oishi's `Dot2` (compensated dot, as if in twice the
//!   working precision);
//! * exact: no effect.
//!
//! Neumaier's algorithm is implemented with the branch-free TwoSum (Knuth), which yields the same
//! error term as Neumaier's branch (both are the exact rounding error), so lifted scalars
//! (`Dual`, `HyperDual`) get a compensated sum of *each component* independently.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::scalar::{Real, Scalar};

/// A summation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Order {
    /// Natural index order.
    Sequential,
    /// Reverse index order.
    Reversed,
    /// Balanced binary tree.
    Pairwise,
    /// Neumaier compensated summation (Dot2 under `fma`).
    Kahan,
    /// Correctly rounded.
    Exact,
    /// Sequential in a seeded pseudo-random permutation.
    Shuffled(u64),
}

impl Order {
    /// The orders without a parameter, plus `shuffled:0` as a representative.
    pub const ALL: [Order; 6] = [
        Order::Sequential,
        Order::Reversed,
        Order::Pairwise,
        Order::Kahan,
        Order::Exact,
        Order::Shuffled(0),
    ];
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Order::Sequential => f.write_str("sequential"),
            Order::Reversed => f.write_str("reversed"),
            Order::Pairwise => f.write_str("pairwise"),
            Order::Kahan => f.write_str("kahan"),
            Order::Exact => f.write_str("exact"),
            Order::Shuffled(seed) => write!(f, "shuffled:{seed}"),
        }
    }
}

impl FromStr for Order {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "sequential" => Order::Sequential,
            "reversed" => Order::Reversed,
            "pairwise" => Order::Pairwise,
            "kahan" => Order::Kahan,
            "exact" => Order::Exact,
            _ => match s.strip_prefix("shuffled:") {
                Some(seed) => Order::Shuffled(seed.parse().map_err(|_| {
                    format!("the seed of `{s}` must be an integer in 0..2^64")
                })?),
                None => {
                    return Err(format!(
                        "unknown order `{s}` (expected sequential, reversed, pairwise, kahan, \
                         exact or shuffled:<seed>)"
                    ))
                }
            },
        })
    }
}

/// An evaluation order with the permutations it needs, shared read-only by all workers.
///
/// `shuffled:<seed>` permutes each sum of length n by the permutation drawn for `(seed, n)`:
/// a Fisher–Yates shuffle driven by ChaCha8 keyed with `seed` and `n` (little-endian) and
/// unbiased integers by rejection — this crate's own transform, so the permutations never change
/// with a `rand` upgrade. All sums of the same length use the same permutation.
#[derive(Clone, Debug)]
pub struct Eval {
    /// The order.
    pub order: Order,
    perms: HashMap<usize, Vec<u32>>,
}

impl Eval {
    /// The order, with permutations for every sum length in `lengths` (`shuffled` only).
    pub fn new(order: Order, lengths: impl IntoIterator<Item = usize>) -> Self {
        let mut perms = HashMap::new();
        if let Order::Shuffled(seed) = order {
            for n in lengths {
                perms.entry(n).or_insert_with(|| permutation(seed, n));
            }
        }
        Eval { order, perms }
    }

    #[inline(always)]
    fn index(&self, perm: Option<&[u32]>, n: usize, k: usize) -> usize {
        match self.order {
            Order::Reversed => n - 1 - k,
            Order::Shuffled(_) => perm.expect("permutation prepared")[k] as usize,
            _ => k,
        }
    }

    fn perm(&self, n: usize) -> Option<&[u32]> {
        match self.order {
            Order::Shuffled(_) => Some(
                self.perms
                    .get(&n)
                    .unwrap_or_else(|| panic!("no permutation prepared for sums of length {n}")),
            ),
            _ => None,
        }
    }
}

/// The permutation of `0..n` used by `shuffled:<seed>`.
pub fn permutation(seed: u64, n: usize) -> Vec<u32> {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(n as u64).to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(key);
    let mut p: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let bound = (i + 1) as u64;
        let zone = u64::MAX - (u64::MAX % bound);
        let j = loop {
            let r = rng.next_u64();
            if r < zone {
                break (r % bound) as usize;
            }
        };
        p.swap(i, j);
    }
    p
}

/// A strided read-only view: element k is `data[start + k·stride]`, k < len.
pub struct Strided<'a, S> {
    data: &'a [S],
    start: usize,
    stride: usize,
    len: usize,
}

impl<S> Clone for Strided<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for Strided<'_, S> {}

impl<'a, S> Strided<'a, S> {
    /// `len` elements from `start` with step `stride`.
    #[inline(always)]
    pub fn new(data: &'a [S], start: usize, stride: usize, len: usize) -> Self {
        debug_assert!(len == 0 || start + (len - 1) * stride < data.len());
        Strided { data, start, stride, len }
    }
    /// A contiguous slice.
    #[inline(always)]
    pub fn contiguous(data: &'a [S]) -> Self {
        Strided { data, start: 0, stride: 1, len: data.len() }
    }
    /// Element k.
    #[inline(always)]
    pub fn get(&self, k: usize) -> &'a S {
        &self.data[self.start + k * self.stride]
    }
    /// Number of elements.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether empty.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    fn iter(&self) -> impl Iterator<Item = &'a S> + Clone + 'a {
        let (data, start, stride) = (self.data, self.start, self.stride);
        (0..self.len).map(move |k| &data[start + k * stride])
    }
}

/// Scratch memory of the kernels (allocated once per worker).
#[derive(Clone, Debug)]
pub struct KernelScratch<S> {
    t: [S; 7],
    buf: Vec<S>,
}

impl<S: Scalar> KernelScratch<S> {
    /// Scratch for sums of length up to `max_len`, initialized from `zero`.
    pub fn new(zero: &S, max_len: usize) -> Self {
        KernelScratch { t: std::array::from_fn(|_| zero.clone()), buf: vec![zero.clone(); max_len] }
    }
}

/// The `sequential`/`reversed`/`shuffled` dot product: the terms in the order `idx(0), idx(1),
/// …`, `out = a_{i₀}·b_{i₀}` and then, for each further term, `out = out + a_i·b_i` (the
/// product rounded first) under `no-fma` or `out = fma(a_i, b_i, out)` under `fma`. This is the
/// definition; [`Scalar::dot_in_order`] (which defaults to it) may arrange the same operations
/// for speed. `a` and `b` are non-empty and of equal length.
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
/// and `b` (the primal pass's result of the same sum, as [`crate::model::mlp`] tabulates it).
/// In the term-by-term orders a scalar with derivative parts may then compute only those
/// ([`Scalar::dot_tangents_in_order`]); the other orders compute everything. Either way the
/// result is [`dot`]'s, bit for bit.
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
fn dot_given<S: Scalar>(
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
        Order::Kahan => {
            let [s, c, p, t0, t1, t2, t3] = &mut ks.t;
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
        Order::Exact => {
            let (ai, bi) = (a.iter(), b.iter());
            out.set_dot_exact(ai.zip(bi), ctx);
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
        Order::Kahan => {
            let [s, c, _, t0, t1, t2, t3] = &mut ks.t;
            s.set(a.get(0), ctx);
            c.set(&S::constant(&S::Real::consts(S::real_ctx(ctx)).zero, ctx), ctx);
            for k in 1..n {
                two_sum_into(s, a.get(k), t0, t1, t2, t3, ctx);
                c.add_assign(t0, ctx);
            }
            out.set_add(s, c, ctx);
        }
        Order::Exact => out.set_sum_exact(a.iter(), ctx),
    }
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

/// Pairwise tree over products, result in `buf[0]`. `base` is the index of `buf[0]` in a/b.
fn pairwise_dot<S: Scalar>(
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
fn pairwise_reduce<S: Scalar>(buf: &mut [S], ctx: &S::Ctx) {
    let n = buf.len();
    if n > 1 {
        let mid = n / 2;
        let (lo, hi) = buf.split_at_mut(mid);
        pairwise_reduce(lo, ctx);
        pairwise_reduce(hi, ctx);
        lo[0].add_assign(&hi[0], ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_permutations_and_stable() {
        for n in [1, 2, 7, 100] {
            let mut p = permutation(42, n);
            p.sort();
            assert_eq!(p, (0..n as u32).collect::<Vec<_>>());
        }
        // Different lengths and seeds give different permutations.
        assert_ne!(permutation(1, 10), permutation(2, 10));
    }

    #[test]
    fn order_names_round_trip() {
        for o in Order::ALL.into_iter().chain([Order::Shuffled(u64::MAX)]) {
            assert_eq!(o.to_string().parse::<Order>().unwrap(), o);
        }
        assert!("shuffled:x".parse::<Order>().is_err());
        assert!("random".parse::<Order>().is_err());
    }

    fn sum_f64(xs: &[f64], order: Order, fma: bool) -> f64 {
        let ctx = crate::scalar::hw::HwCtx::<f64>::new(crate::scalar::MathLib::CoreMath, fma);
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
        let ctx = crate::scalar::hw::HwCtx::<f64>::new(crate::scalar::MathLib::CoreMath, true);
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
