//! The dot product of a precision policy, on `f64` values of the run's format.
//!
//! One **pass** over the terms `k = idx(0), idx(1), …` of two converted input vectors:
//! `p_k = a_k·b_k` exactly (inputs of at most 24 significand bits: a product fits `f64`'s 53,
//! and f32's exponent range squared fits `f64`'s), or rounded to `acc` under `prod=rounded`;
//! `acc = round_acc(p_first)`, then `acc = round_acc(acc + p_k)` — one rounding of the exact
//! sum (TwoSum + [`Fmt::round_sum`]); under `promote=K` every K consecutive terms form a group
//! with a fresh accumulator, and the groups are added into an f32 master
//! (`master = round_f32(master + group)`), the first group initializing it.
//!
//! **Reduction shapes** ([`Shape`]: the orders `lanes:<w>`, `blocked:<b>`, `splitk:<k>`,
//! `pairwise`) partition the terms as the uniform orders do (`crate::scalar::order`'s table):
//! every **part** — a lane, a block, a split-K part, a leaf of the pairwise tree — is one pass
//! as above (its own accumulator in `acc`: its first product rounded to `acc`, then one
//! rounding per term; under `promote=K` its own groups of K of its terms and its own f32
//! master), and the parts' results are **combined in the accumulator's format** in the shape's
//! pattern (lanes folded in halves, blocks and parts added in order, the tree's nodes
//! `S(lo,mid) + S(mid,hi)`), each addition one rounding to `acc` — or to f32 under
//! `promote=K`, where a part's result is its f32 master: partial results leave the tensor
//! core in f32, as the FP8 recipe promotes them (DeepSeek-V3 §3.3.2), and cuBLAS's split-K
//! reduces f32 partials. A pairwise leaf of two terms `(k, k+1)` is a pass over `k+1` then
//! `k`, which is the uniform order's `fma(a_k, b_k, a_{k+1}·b_{k+1})` under `prod=exact` and
//! its `a_k·b_k + a_{k+1}·b_{k+1}` under `prod=rounded`. So `f32-f32-f32` is uniform f32 with
//! `fma` in every shape (its parts are the same FMA chains, its combinations the same f32
//! additions), and `f32-f32-f32,prod=rounded` uniform f32 without. A part with no terms is
//! absent (no addition). The term-by-term orders (`sequential`, `reversed`, `shuffled`) are one
//! part, [`Shape::Terms`], in the order `idx`; the shapes take the terms in index order.
//!
//! Under `scale=tensor` (FP8 current scaling, [`scale_exponent`]) each input vector is
//! multiplied by its power of two `2^ka`, `2^kb` before the conversion to `mul`, and the
//! accumulated result by `2^−(ka+kb)` rounded to f32 (cuBLASLt's f32 epilogue `D = α·acc` with
//! `α = scale_inv_a·scale_inv_b`; exact unless it leaves f32's normal range), before `out`.
//!
//! The split algorithms run several passes and combine them in f32 exactly as XLA's
//! `dot_algorithm_rewriter.cc` does (see [`super::policy::Passes`]); a NaN of the low-order
//! partial sum becomes +0 before `hi·hi` is added (XLA's `ReplaceNaNWithZeros`: an infinite
//! input gives `∞·0` in the low products). The result is converted to `out` (to nearest even,
//! or stochastically: the random bits are a SplitMix64 hash of the seed, the exact result, the
//! length and the first and last operands — a function of the operation alone, so results
//! are the same at any thread count).

use rug::float::Round;
use rug::Float;

use super::format::{exponent, pow2, Conv, Fmt};
use super::policy::{Fields, Passes, Prod, Rounding};

/// Reusable buffers of the split algorithms (one per worker).
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    pieces: Vec<f64>,
}

/// How the terms of a policy dot are grouped into parts, and the parts combined (see the
/// module doc): the policy counterparts of the uniform orders' reduction shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// One part: every term, in the order `idx` (`sequential`, `reversed`, `shuffled`).
    Terms,
    /// `lanes:<w>`: lane j takes the terms j, j+w, j+2w, …; the lanes are folded in halves.
    Lanes(usize),
    /// `blocked:<b>` (and `splitk:<k>` with b = ⌈n/k⌉): blocks of b consecutive terms, the
    /// last shorter, added in block order.
    Blocked(usize),
    /// `pairwise`: the balanced tree `S(lo,hi) = S(lo,mid) + S(mid,hi)`, `mid = lo + ⌊(hi−lo)/2⌋`,
    /// with leaves of one or two terms.
    Pairwise,
}

/// A policy dot's result, ready to be stored in the run's format: a value of `out` (or of the
/// accumulator, under `out=exact`), or the exact sum (`acc=exact` and `out=exact`).
#[derive(Clone, Debug, PartialEq)]
pub enum Sum {
    /// An `f64` value.
    Value(f64),
    /// The exact sum, as an MPFR number of [`EXACT_BITS`].
    Exact(Float),
}

/// The precision of an exact sum (`acc=exact`): every product of two values of the formats
/// here is a multiple of 2⁻²⁹⁸ (the square of f32's smallest subnormal) below 2²⁵⁶ in
/// magnitude, so a sum of fewer than 2⁸⁰ of them is exact at 640 bits.
pub const EXACT_BITS: u32 = 640;

/// `Σ a_k·b_k` under the policy `f`, the terms in the order `idx` (a permutation of
/// `0..a.len()`); `a` and `b` hold values of the run's format, of equal length. An empty dot
/// is +0. An exact sum (`acc=exact`, `out=exact`) is returned as its nearest `f64` (a
/// convenience of tests; [`dot_sum`] keeps it).
pub fn dot(f: &Fields, a: &[f64], b: &[f64], idx: impl Fn(usize) -> usize + Copy, s: &mut Scratch) -> f64 {
    dot_shaped(f, Shape::Terms, a, b, idx, s)
}

/// [`dot`] in the reduction shape `shape` (`idx` is the order of the terms under
/// [`Shape::Terms`] and ignored otherwise: the shapes take the terms in index order).
pub fn dot_shaped(f: &Fields, shape: Shape, a: &[f64], b: &[f64], idx: impl Fn(usize) -> usize + Copy, s: &mut Scratch) -> f64 {
    match dot_sum(f, shape, a, b, idx, s) {
        Sum::Value(v) => v,
        Sum::Exact(x) => x.to_f64(),
    }
}

/// [`dot_shaped`], with the exact sum of `acc=exact` kept as a [`Sum::Exact`]. The inputs may
/// also be MPFR values rounded to odd at `f64` ([`round_odd`]) under `passes=1`: the
/// conversion to `mul` (at most 24 bits) of such a value is that of the MPFR value.
pub fn dot_sum(f: &Fields, shape: Shape, a: &[f64], b: &[f64], idx: impl Fn(usize) -> usize + Copy, s: &mut Scratch) -> Sum {
    let n = a.len();
    debug_assert_eq!(n, b.len());
    if n == 0 {
        return Sum::Value(0.0);
    }
    let key = [a[0], b[0], a[n - 1], b[n - 1]];
    let (m, conv) = f.mul;
    let cv = |x: f64| m.convert(x, conv, f.sat);
    // scale=tensor: 2^ka, 2^kb exact scalings (1 without), undone by 2^−(ka+kb)
    let (ka, kb) = if f.scale { (scale_exponent(m, a), scale_exponent(m, b)) } else { (0, 0) };
    let (sa, sb) = (pow2(ka), pow2(kb));
    match f.passes {
        Passes::One if f.exact.acc => {
            let sum = exact_pass(n, idx, |i| cv(a[i] * sa), |i| cv(b[i] * sb), Float::with_val(EXACT_BITS, 0));
            finish_exact(f, sum * pow2(-(ka + kb)), key)
        }
        Passes::One => {
            let r = shaped_pass(f, shape, n, idx, |i| cv(a[i] * sa), |i| cv(b[i] * sb));
            finish(f, if f.scale { Fmt::F32.convert(r * pow2(-(ka + kb)), Conv::Rne, false) } else { r }, n, key)
        }
        Passes::X3 | Passes::X6 => {
            let k = pieces_of(f.passes);
            let mut pieces = std::mem::take(&mut s.pieces);
            pieces.clear();
            for x in a.iter().chain(b) {
                let p = split(m, *x, k);
                pieces.extend_from_slice(&p[..k]);
            }
            let r = dot_split(f, shape, n, &pieces, key, idx);
            s.pieces = pieces;
            r
        }
    }
}

/// The split passes of a dot (`passes=x3|x6`) on its inputs' pieces: piece j of a_i is
/// `pieces[k·i + j]`, of b_i `pieces[k·(n + i) + j]` (k = 2 for x3, 3 for x6), as [`split`]
/// or [`split_float`] make them; `key`: the first and last inputs (of `a`, `b`, `a`, `b`) as
/// `f64`s, the operation's identity for stochastic rounding. Every pass is summed in the
/// reduction shape `shape` (the terms in the order `idx` under [`Shape::Terms`]); the passes
/// are combined in f32 as in one part.
pub fn dot_split(f: &Fields, shape: Shape, n: usize, pieces: &[f64], key: [f64; 4], idx: impl Fn(usize) -> usize + Copy) -> Sum {
    let k = pieces_of(f.passes);
    let (m, conv) = f.mul;
    let cv = |x: f64| m.convert(x, conv, f.sat);
    let pairs = pass_pairs(f.passes);
    if f.exact.acc {
        let sum = pairs.iter().fold(Float::with_val(EXACT_BITS, 0), |acc, &(ja, jb)| exact_pass(n, idx, |i| cv(pieces[k * i + ja]), |i| cv(pieces[k * (n + i) + jb]), acc));
        return finish_exact(f, sum, key);
    }
    let d = |(ja, jb): (usize, usize)| shaped_pass(f, shape, n, idx, |i| cv(pieces[k * i + ja]), |i| cv(pieces[k * (n + i) + jb]));
    let (low, hi) = pairs.split_at(pairs.len() - 1);
    let low = low[1..].iter().fold(d(low[0]), |acc, &p| add_f32(acc, d(p)));
    finish(f, add_f32(if low.is_nan() { 0.0 } else { low }, d(hi[0])), n, key)
}

/// The number of pieces per input of `passes` (1, 2 or 3).
pub fn pieces_of(passes: Passes) -> usize {
    match passes {
        Passes::One => 1,
        Passes::X3 => 2,
        Passes::X6 => 3,
    }
}

/// The passes of `passes` as (piece of a, piece of b), in XLA's order of summation
/// (`dot_algorithm_rewriter.cc`): the passes before the last (`hi·hi`) are added in f32 from
/// left to right — x3 `lo·hi + hi·lo`, x6 `((((mid·mid + hi·lo) + lo·hi) + hi·mid) + mid·hi)`
/// — a NaN of that sum becomes +0, and `hi·hi` is added last. One pass: `[(0, 0)]`.
pub fn pass_pairs(passes: Passes) -> &'static [(usize, usize)] {
    match passes {
        Passes::One => &[(0, 0)],
        Passes::X3 => &[(1, 0), (0, 1), (0, 0)],
        Passes::X6 => &[(1, 1), (0, 2), (2, 0), (0, 1), (1, 0), (0, 0)],
    }
}

/// The exponent k of the scale `2^k` of an input vector `xs` under `scale=tensor`: NVIDIA
/// Transformer Engine's current scaling with power-of-two scales (`Float8CurrentScaling`;
/// `compute_scale_from_amax` in `transformer_engine/common/recipe/recipe_common.cuh` with
/// `force_pow_2_scales` and ε = 0): `amax = max |x|` (NaNs ignored), `scale = fp8_max / amax`
/// rounded to f32 (`__fdiv_rn`; f32's largest value if that overflows), then its significand
/// dropped (`scale_bits & 0xFF800000`), i.e. `k = ⌊log₂ fl₃₂(fp8_max / amax)⌋`; `k = 0` when
/// amax is 0 or infinite (the vector is all zeros, or the scale would be meaningless). The
/// quotient is rounded to f32 exactly: `q = fl₆₄(max/amax)` and the sign of its exact remainder
/// `max − q·amax` (one FMA) break an f32 tie as [`Fmt::round_sum`] does. Scaling by `2^k` and
/// back is exact; the vector is the dot's operand — a row of A or a column of B of a matrix
/// product, the dot being all Clairaut's kernel sees (per-tensor scaling of the whole matrix
/// is the same where one vector holds the matrix's largest magnitude).
pub fn scale_exponent(m: Fmt, xs: &[f64]) -> i32 {
    let amax = xs.iter().fold(0.0f64, |acc, x| acc.max(x.abs()));
    if amax == 0.0 || amax.is_infinite() {
        return 0;
    }
    let max = m.max();
    let q = max / amax;
    let rem = (-q).mul_add(amax, max);
    let q32 = if q.is_finite() { Fmt::F32.round_sum(q, rem, false) } else { f64::INFINITY };
    if q32.is_finite() { exponent(q32) } else { exponent(f32::MAX as f64) }
}

/// The result `r` (before `out`) converted to `out`, to nearest even or stochastically (the
/// random bits a hash of the seed, `r`, `n` and the operation's first and last inputs), or
/// left as it is under `out=exact`.
fn finish(f: &Fields, r: f64, n: usize, key: [f64; 4]) -> Sum {
    if f.exact.out {
        return Sum::Value(r);
    }
    Sum::Value(match f.round {
        Rounding::Rne => f.out.convert(r, Conv::Rne, f.sat),
        Rounding::Stochastic(seed) => {
            let key = [r.to_bits(), n as u64, key[0].to_bits(), key[1].to_bits(), key[2].to_bits(), key[3].to_bits()];
            f.out.round_stochastic(r, key.into_iter().fold(splitmix(seed), |h, x| splitmix(h ^ x)), f.sat)
        }
    })
}

/// [`finish`] of a rounded result (every result but an exact sum's is a value).
pub(crate) fn finish_value(f: &Fields, r: f64, n: usize, key: [f64; 4]) -> f64 {
    match finish(f, r, n, key) {
        Sum::Value(v) => v,
        Sum::Exact(_) => unreachable!("finish converts a value"),
    }
}

/// An exact sum (`acc=exact`) kept (`out=exact`) or converted to `out` from its value rounded
/// to odd — exact for rounding to nearest (round-to-odd at 53 bits, then to at most 24), and
/// within 2⁻⁵³ relative of the exact probabilities for stochastic rounding.
fn finish_exact(f: &Fields, sum: Float, key: [f64; 4]) -> Sum {
    if f.exact.out {
        return Sum::Exact(sum);
    }
    // n only enters the stochastic key; the exact path hashes its length as 0
    finish(f, round_odd(&sum), 0, key)
}

/// `acc + Σ a(k)·b(k)` exactly (products of converted inputs are exact in `f64`; the sum at
/// [`EXACT_BITS`] is exact).
fn exact_pass(n: usize, idx: impl Fn(usize) -> usize, a: impl Fn(usize) -> f64, b: impl Fn(usize) -> f64, mut acc: Float) -> Float {
    for k in 0..n {
        let i = idx(k);
        acc += a(i) * b(i);
    }
    acc
}

/// The `f64` nearest to `x` rounded to odd: toward zero, then the last bit set when that was
/// inexact. Rounding it once more to a format of at most 51 bits (to nearest, either tie rule,
/// or toward zero) gives the rounding of `x` itself (Boldo & Melquiond, *Emulation of FMA and
/// correctly rounded sums: proved algorithms using rounding to odd*, 2008); `f64`'s subnormals
/// (2⁻¹⁰⁷⁴) lie far below every format's quantum, and a value beyond `f64`'s range comes out
/// as ±`f64::MAX`, which overflows every format as `x` does. This is how the policy kernel
/// converts MPFR values (runs at truth precision) exactly.
pub fn round_odd(x: &Float) -> f64 {
    let t = x.to_f64_round(Round::Zero);
    if *x == t || x.is_nan() {
        t
    } else {
        f64::from_bits(t.to_bits() | 1)
    }
}

/// [`split`] of an MPFR value `x` (a run at truth precision), exactly: `hi = trunc(x)`, and
/// the remainders `x − hi` (and `x − hi − mid`) formed exactly in MPFR before their own
/// conversions (through [`round_odd`]); a tf32 `lo` piece is the remainder rounded to odd,
/// which the pass converts to tf32 as it converts any input.
pub fn split_float(m: Fmt, x: &Float, k: usize) -> [f64; 3] {
    let hi = m.convert(round_odd(x), Conv::Trunc, false);
    let rest = Float::with_val(x.prec(), x - hi);
    match (m, k) {
        (Fmt::Tf32, _) => [hi, round_odd(&rest), 0.0],
        (_, 2) => [hi, m.convert(round_odd(&rest), Conv::Rne, false), 0.0],
        _ => {
            let mid = m.convert(round_odd(&rest), Conv::Trunc, false);
            let rest2 = Float::with_val(x.prec(), &rest - mid);
            [hi, mid, m.convert(round_odd(&rest2), Conv::Rne, false)]
        }
    }
}

/// XLA's split of `x` into `k` = 2 or 3 pieces for a pass in format `m` (bf16 or tf32):
/// bf16: `hi = trunc(x)`, then (k = 2) `lo = rne(x − hi)` or (k = 3) `mid = trunc(x − hi)`,
/// `lo = rne(x − hi − mid)`; tf32 (k = 2): `hi = trunc(x)`, `lo = x − hi` (converted later by
/// the pass like any input). Every difference is exact.
pub(crate) fn split(m: Fmt, x: f64, k: usize) -> [f64; 3] {
    let hi = m.convert(x, Conv::Trunc, false);
    let rest = x - hi;
    match (m, k) {
        (Fmt::Tf32, _) => [hi, rest, 0.0],
        (_, 2) => [hi, m.convert(rest, Conv::Rne, false), 0.0],
        _ => {
            let mid = m.convert(rest, Conv::Trunc, false);
            [hi, mid, m.convert(rest - mid, Conv::Rne, false)]
        }
    }
}

/// One pass (`n ≥ 1` terms) in the reduction shape `shape`: its parts are [`pass`]es, their
/// results combined with [`combine`] (see the module doc).
fn shaped_pass(f: &Fields, shape: Shape, n: usize, idx: impl Fn(usize) -> usize, a: impl Fn(usize) -> f64, b: impl Fn(usize) -> f64) -> f64 {
    match shape {
        Shape::Terms => pass(f, n, idx, a, b),
        Shape::Lanes(w) => lanes(f, n, w.max(1), &a, &b),
        Shape::Blocked(size) => blocks(f, n, size.max(1), &a, &b),
        Shape::Pairwise => tree(f, 0, n, &a, &b),
    }
}

/// Two parts' results added: one rounding to `acc`, or to f32 (the master's format) under
/// `promote=K`.
#[inline]
fn combine(f: &Fields, x: f64, y: f64) -> f64 {
    if f.promote > 0 { add_f32(x, y) } else { add_in(f.acc, x, y) }
}

/// `lanes:<w>`: lane j (< min(w, n)) is a pass over the terms j, j+w, …; the lanes are folded
/// in halves as the uniform order folds them (`order::shaped`'s `fold_halves`): with widths
/// W₀ = w, W_{l+1} = ⌈W_l/2⌉ down to 1, lane i at level l+1 is lane i at level l plus lane
/// i + W_{l+1} when that lane has terms (i + W_{l+1} < min(W_l, n)).
fn lanes(f: &Fields, n: usize, w: usize, a: &impl Fn(usize) -> f64, b: &impl Fn(usize) -> f64) -> f64 {
    // w ≤ 2^16 in every order, but any w works: ⌈log₂ w⌉ + 1 ≤ 65 levels
    let mut widths = [0usize; 65];
    widths[0] = w;
    let mut levels = 0;
    while widths[levels] > 1 {
        widths[levels + 1] = widths[levels].div_ceil(2);
        levels += 1;
    }
    let lane = |j: usize| pass(f, (n - j).div_ceil(w), |k| j + k * w, a, b);
    folded(f, &widths[..=levels], n, 0, &lane)
}

/// The value of lane `i` after folding from `widths[0]` lanes down to `widths.last()`.
fn folded(f: &Fields, widths: &[usize], n: usize, i: usize, lane: &dyn Fn(usize) -> f64) -> f64 {
    match widths {
        [] | [_] => lane(i),
        [.., prev, h] => {
            let below = &widths[..widths.len() - 1];
            let x = folded(f, below, n, i, lane);
            if i + h < (*prev).min(n) { combine(f, x, folded(f, below, n, i + h, lane)) } else { x }
        }
    }
}

/// `blocked:<size>`: passes over blocks of `size` consecutive terms (the last shorter), added
/// in block order.
fn blocks(f: &Fields, n: usize, size: usize, a: &impl Fn(usize) -> f64, b: &impl Fn(usize) -> f64) -> f64 {
    let first = size.min(n);
    let mut r = pass(f, first, |k| k, a, b);
    let mut start = first;
    while start < n {
        let len = size.min(n - start);
        r = combine(f, r, pass(f, len, |k| start + k, a, b));
        start += len;
    }
    r
}

/// `pairwise` over the `n ≥ 1` terms from `lo`: a leaf of one term is a pass over it, of two
/// terms a pass over the second then the first (the uniform order's FMA leaf), else the two
/// halves' trees combined.
fn tree(f: &Fields, lo: usize, n: usize, a: &impl Fn(usize) -> f64, b: &impl Fn(usize) -> f64) -> f64 {
    match n {
        1 => pass(f, 1, |_| lo, a, b),
        2 => pass(f, 2, |k| lo + 1 - k, a, b),
        _ => {
            let mid = n / 2;
            combine(f, tree(f, lo, mid, a, b), tree(f, lo + mid, n - mid, a, b))
        }
    }
}

/// One pass: the converted inputs `a(i)`, `b(i)`, exact (or rounded) products, accumulation in
/// `acc` with promotion to an f32 master every `promote` terms.
#[inline]
fn pass(f: &Fields, n: usize, idx: impl Fn(usize) -> usize, a: impl Fn(usize) -> f64, b: impl Fn(usize) -> f64) -> f64 {
    let group = if f.promote == 0 { usize::MAX } else { f.promote as usize };
    let mut master: Option<f64> = None;
    let mut acc = 0.0;
    let mut count = 0;
    for k in 0..n {
        let i = idx(k);
        let mut p = a(i) * b(i);
        if f.prod == Prod::Rounded {
            p = f.acc.convert(p, Conv::Rne, false);
        }
        acc = if count == 0 { f.acc.round_sum(p, 0.0, false) } else { add_in(f.acc, acc, p) };
        count += 1;
        if count == group {
            master = Some(master.map_or(acc, |m| add_f32(m, acc)));
            count = 0;
        }
    }
    match master {
        Some(m) if count > 0 => add_f32(m, acc),
        Some(m) => m,
        None => acc,
    }
}

/// `round_fmt(x + y)`, one rounding of the exact sum.
#[inline]
fn add_in(fmt: Fmt, x: f64, y: f64) -> f64 {
    let s = x + y;
    if !s.is_finite() {
        return fmt.round_sum(s, 0.0, false);
    }
    // TwoSum (Knuth): s + e = x + y exactly
    let bb = s - x;
    let e = (x - (s - bb)) + (y - bb);
    fmt.round_sum(s, e, false)
}

/// `round_f32(x + y)`.
#[inline]
fn add_f32(x: f64, y: f64) -> f64 {
    add_in(Fmt::F32, x, y)
}

/// SplitMix64's finalizer (Steele, Lea, Flood 2014): a bijective 64-bit mix.
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::matmul::PrecisionPolicy;

    fn vectors(n: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let mut x = seed;
        let mut next = || {
            x = splitmix(x);
            let m = (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            m * 2f32.powi(((x >> 8) % 24) as i32 - 12)
        };
        ((0..n).map(|_| next()).collect(), (0..n).map(|_| next()).collect())
    }

    #[test]
    fn f32_f32_f32_is_the_fma_chain_and_rounded_products_the_plain_loop() {
        let fused = PrecisionPolicy::parse("f32-f32-f32").unwrap();
        let plain = PrecisionPolicy::parse("f32-f32-f32,prod=rounded").unwrap();
        for n in [1, 2, 3, 17, 300] {
            let (a, b) = vectors(n, n as u64);
            let chain = (1..n).fold(a[0] * b[0], |s, k| a[k].mul_add(b[k], s));
            let naive = (1..n).fold(a[0] * b[0], |s, k| s + a[k] * b[k]);
            assert_eq!(fused.dot_f32(&a, &b, false).to_bits(), chain.to_bits());
            assert_eq!(plain.dot_f32(&a, &b, false).to_bits(), naive.to_bits());
        }
    }

    #[test]
    fn bf16_products_in_f32_are_the_f32_sum_of_rounded_inputs() {
        // bf16 × bf16 is exact in f32, so the f32 accumulation is the plain f32 loop
        let p = PrecisionPolicy::parse("bf16-bf16-f32").unwrap();
        let bf = |x: f32| Fmt::Bf16.convert(x as f64, Conv::Rne, false) as f32;
        for n in [1, 5, 64] {
            let (a, b) = vectors(n, 7 + n as u64);
            let want = (0..n).rev().fold(None, |s: Option<f32>, k| Some(s.map_or(bf(a[k]) * bf(b[k]), |s| s + bf(a[k]) * bf(b[k]))));
            assert_eq!(p.dot_f32(&a, &b, true).to_bits(), want.unwrap().to_bits());
        }
    }

    #[test]
    fn splits_are_exact_and_x6_beats_x3_beats_one_pass() {
        let (a, b) = vectors(64, 3);
        let exact: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
        let err = |name: &str| (PrecisionPolicy::parse(name).unwrap().dot_f32(&a, &b, false) as f64 - exact).abs();
        let (e1, e3, e6) = (err("bf16-bf16-f32"), err("bf16-bf16-f32-x3"), err("bf16-bf16-f32-x6"));
        assert!(e3 < e1 && e6 <= e3, "{e1:e} {e3:e} {e6:e}");
        for x in a {
            let p = split(Fmt::Bf16, x as f64, 3);
            assert_eq!(p[0] + p[1] + p[2], x as f64);
            let p = split(Fmt::Tf32, x as f64, 2);
            assert_eq!(p[0] + p[1], x as f64);
        }
    }
}
