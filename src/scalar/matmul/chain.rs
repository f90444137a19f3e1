//! The policy dot of many tangent lanes at once, where the policy is an **f32 chain**: an f32
//! accumulator, no promotion, no scaling ([`is_f32_chain`]) — `f32-f32-f32`, `tf32-tf32-f32`
//! (`tf2-ampere`, `jax-gpu-default`), `bf16-bf16-f32` (`jax-tpu-default`,
//! `torch-autocast-bf16`), `f16-f16-f32`, the fp8 presets without promotion, and the split
//! algorithms `x3`/`x6` (each pass such a chain over the inputs' pieces, the passes combined
//! in f32: [`combine`]).
//!
//! Every input converted to `mul` is an f32 value (every format here lies inside f32), so one
//! step of the definition ([`super::kernel`]'s pass: the exact product added to the f32
//! accumulator with one rounding) is one hardware `fma` in f32, and under `prod=rounded` an
//! f32 product then an f32 sum; the first term is the product rounded once (an f32 `mul`). So
//! the pass is a chain of IEEE f32 operations — the same operations for every lane, which run
//! as one vector loop ([`chains`]). Results that are not finite are left to the definition
//! (the callers rerun such a lane), so the NaN payloads and overflows of the definition are
//! kept. Tested bit for bit against the definition (`tests/it/policy_lanes.rs`).
//!
//! The conversions are bit operations ([`BitConv`]: on `f64` bits, or straight on `f32` bits
//! for an `f32` run), branch-free and hoisted per rule, so they vectorize with the chains:
//! [`fused_passes`] reads each term's value and tangents from the caller, converts (or splits,
//! [`Plan`]) them in registers and runs every pass's chains in the same loop, with no buffer
//! between; an input the bit operations must decline (not finite, below the format's normal
//! range, rounded beyond its largest value) sends the whole dot to the definition. Where the
//! operands of a matrix product stay fixed while its dots are computed, each operand is
//! converted once for all of them instead ([`convert_operand`], then [`chains`]).

use super::format::{Conv, Fmt};
use super::kernel;
use super::policy::{Fields, Passes, Prod};

/// Whether `f` is an f32 chain (see the module doc).
pub fn is_f32_chain(f: &Fields) -> bool {
    !f.exact.acc && f.acc == Fmt::F32 && f.promote == 0 && !f.scale
}

/// The pieces of `x` each pass multiplies, converted to `f`'s `mul` format, as the f32s they
/// are: `x` itself (one pass), or XLA's split ([`kernel::split`]: 2 pieces for x3, 3 for x6;
/// the unused ones 0).
#[inline]
pub fn pieces(f: &Fields, x: f64) -> [f32; 3] {
    let (m, conv): (Fmt, Conv) = f.mul;
    let cv = |x: f64| m.convert(x, conv, f.sat) as f32;
    match f.passes {
        Passes::One => [cv(x), 0.0, 0.0],
        p => {
            let k = kernel::pieces_of(p);
            let s = kernel::split(m, x, k);
            [cv(s[0]), cv(s[1]), if k == 3 { cv(s[2]) } else { 0.0 }]
        }
    }
}

/// A one-pass policy's conversion of its inputs to `mul` on the bits, its parameters computed
/// once ([`BitConv::new`]): the magnitude's low bits (`53 − p` of an `f64`, `24 − p` of an
/// `f32`) rounded away by the conversion's rule as [`Fmt::convert`]'s fast path does —
/// `(mag + bias + (odd & the lowest kept bit)) & keep`, branch-free (nearest-even: `bias =
/// half − 1`, `odd = 1`; ties away: `bias = half`; truncation: `bias = 0`; `f32` inputs to
/// `mul = f32`: the identity). An input is *declined* (the caller then takes the definition)
/// where the general formula must see it: not finite, nonzero below the format's normal range,
/// or rounded beyond its largest value — so the saturating option (`sat`), which differs only
/// there, needs no case of its own. Every accepted result lies in `f32`'s normal range (every
/// format here does), so it is exactly an `f32`.
#[derive(Clone, Copy, Debug)]
pub struct BitConv {
    /// On `f64` bits: shift, bias, odd, keep mask, smallest normal and largest finite magnitude.
    wide: [u64; 6],
    /// The same on `f32` bits.
    narrow: [u32; 6],
}

impl BitConv {
    /// The conversion of a one-pass policy's inputs (`None` under split passes).
    pub fn new(f: &Fields) -> Option<BitConv> {
        (f.passes == Passes::One).then(|| BitConv::of(f.mul.0, f.mul.1))
    }

    /// The conversion to `m` by `conv`.
    pub fn of(m: Fmt, conv: Conv) -> BitConv {
        // (shift, bias, odd, keep) for `shift` discarded bits
        let params = |shift: u32| -> [u64; 4] {
            let half = if shift == 0 { 0 } else { 1u64 << (shift - 1) };
            let (bias, odd) = match conv {
                _ if shift == 0 => (0, 0),
                Conv::Rne => (half - 1, 1),
                Conv::Rna => (half, 0),
                Conv::Trunc => (0, 0),
            };
            [shift as u64, bias, odd, !((1u64 << shift) - 1)]
        };
        let p = m.precision() as u32;
        let [s, b, o, k] = params(53 - p);
        let wide = [s, b, o, k, ((1023 + m.emin()) as u64) << 52, m.max().to_bits()];
        let [s, b, o, k] = params(24 - p);
        let narrow = [s as u32, b as u32, o as u32, k as u32, ((127 + m.emin()) as u32) << 23, (m.max() as f32).to_bits()];
        BitConv { wide, narrow }
    }
}

/// A value a chain's inputs come in (`f32`, `f64`): converted by a [`BitConv`].
pub trait ChainInput: Copy {
    /// The value converted to `mul`, and `1` where it is declined (the value then is not to be
    /// used).
    fn conv(self, c: &BitConv) -> (f32, u32);
    /// `self − p` in the input's format (exact where the split takes it: `p` is `self`'s
    /// leading bits).
    fn minus(self, p: f32) -> Self;
}

/// [`ChainInput`] for a float type over its bits: `chain_input!(type, bits, params field)`.
macro_rules! chain_input {
    ($t:ty, $bits:ty, $params:ident) => {
        impl ChainInput for $t {
            #[inline(always)]
            fn conv(self, c: &BitConv) -> (f32, u32) {
                const SIGN: $bits = 1 << (<$bits>::BITS - 1);
                let [shift, bias, odd, keep, emin, max] = c.$params;
                let bits = self.to_bits();
                let mag = bits & !SIGN;
                let r = (mag + bias + ((mag >> shift) & odd)) & keep;
                let bad = ((mag != 0) & (mag < emin)) | (r > max);
                (<$t>::from_bits(r | (bits & SIGN)) as f32, bad as u32)
            }
            #[inline(always)]
            fn minus(self, p: f32) -> $t {
                self - p as $t
            }
        }
    };
}

chain_input!(f64, u64, wide);
chain_input!(f32, u32, narrow);

/// `xs` converted to `f`'s `mul` format, into `out` as f32s, by one branch-free loop over the
/// bits ([`BitConv`]). `false` (then `out` is to be discarded) when the policy has split
/// passes or any element is declined — the caller then converts element by element
/// ([`pieces`]).
pub fn convert_all(f: &Fields, xs: &[f64], out: &mut Vec<f32>) -> bool {
    let Some(c) = BitConv::new(f) else { return false };
    out.clear();
    out.resize(xs.len(), 0.0);
    let mut bad = 0u32;
    for (o, x) in out.iter_mut().zip(xs) {
        let (v, b) = x.conv(&c);
        *o = v;
        bad |= b;
    }
    bad == 0
}

/// How a chain policy's inputs become the f32 pieces its passes multiply, on the bits
/// ([`fused_passes`]): one piece, the input converted to `mul` ([`BitConv`]); or XLA's split
/// ([`kernel::split`]): `hi` = the input truncated to `mul`, the rest (exact) converted —
/// tf32: as the pass converts any input; bf16: to nearest-even (two pieces), or truncated
/// again and its own rest to nearest-even (three) — each piece then converted by the pass
/// (the identity on a piece already in `mul`).
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// The pass's conversion.
    conv: BitConv,
    /// Truncation and nearest-even to `mul` (the split's).
    trunc: BitConv,
    rne: BitConv,
    /// Whether the rest of a 2-piece split is converted by the pass (tf32) rather than to
    /// nearest-even (bf16).
    tf32: bool,
    passes: Passes,
}

impl Plan {
    /// The plan of an f32 chain ([`is_f32_chain`]); `None` otherwise.
    pub fn new(f: &Fields) -> Option<Plan> {
        if !is_f32_chain(f) {
            return None;
        }
        let (m, conv) = f.mul;
        Some(Plan {
            conv: BitConv::of(m, conv),
            trunc: BitConv::of(m, Conv::Trunc),
            rne: BitConv::of(m, Conv::Rne),
            tf32: m == Fmt::Tf32,
            passes: f.passes,
        })
    }

    /// The pieces of `x` (`PIECES` = `self.pieces` of them), and `1` where one is declined.
    #[inline(always)]
    fn split<T: ChainInput, const PIECES: usize>(&self, x: T) -> ([f32; 3], u32) {
        if PIECES == 1 {
            let (v, bad) = x.conv(&self.conv);
            return ([v, 0.0, 0.0], bad);
        }
        let (hi, b0) = x.conv(&self.trunc);
        let rest = x.minus(hi);
        if PIECES == 2 {
            // a branch-free choice: the pass's conversion (tf32) or nearest-even (bf16)
            let (lo_pass, bp) = rest.conv(&self.conv);
            let (lo_rne, br) = rest.conv(&self.rne);
            let (lo, b1) = if self.tf32 { (lo_pass, bp) } else { (lo_rne, br) };
            return ([hi, lo, 0.0], b0 | b1);
        }
        let (mid, b1) = rest.conv(&self.trunc);
        let (lo, b2) = rest.minus(mid).conv(&self.rne);
        ([hi, mid, lo], b0 | b1 | b2)
    }
}

/// Every lane of `v` split into its pieces ([`Plan::split`]): piece `j` of lane `l` at
/// `[j][l]`; a declined lane's flag set in `bad`.
#[inline(always)]
fn split_lanes<T: ChainInput, const K: usize, const PIECES: usize>(plan: &Plan, v: &[T; K], bad: &mut [u32; K]) -> [[f32; K]; PIECES] {
    let mut out = [[0f32; K]; PIECES];
    for l in 0..K {
        let (p, b) = plan.split::<T, PIECES>(v[l]);
        for j in 0..PIECES {
            out[j][l] = p[j];
        }
        bad[l] |= b;
    }
    out
}

/// One operand of a matrix product converted once for every dot that reads it (each pass's
/// chains then run over the pieces: [`chains`]): `term(i)` is the value and the tangent lanes
/// of term `i`, in summation order; piece `j` of the values goes to `v[j]` (`n` of them), of
/// the tangents to `t[j]` (term-major, `n·K`), split and converted as [`fused_passes`] does.
/// `false` when an input is declined (the buffers are then not to be used).
pub fn convert_operand<'t, T: ChainInput + 't, const K: usize>(
    plan: &Plan,
    n: usize,
    term: impl Fn(usize) -> (T, &'t [T; K]),
    v: &mut [Vec<f32>; 3],
    t: &mut [Vec<f32>; 3],
) -> bool {
    match plan.passes {
        Passes::One => convert_body::<T, K, 1>(plan, n, term, v, t),
        Passes::X3 => convert_body::<T, K, 2>(plan, n, term, v, t),
        Passes::X6 => convert_body::<T, K, 3>(plan, n, term, v, t),
    }
}

/// The loop of [`convert_operand`] for `PIECES` pieces.
#[inline(always)]
fn convert_body<'t, T: ChainInput + 't, const K: usize, const PIECES: usize>(
    plan: &Plan,
    n: usize,
    term: impl Fn(usize) -> (T, &'t [T; K]),
    v: &mut [Vec<f32>; 3],
    t: &mut [Vec<f32>; 3],
) -> bool {
    v.iter_mut().chain(t.iter_mut()).for_each(Vec::clear);
    let mut bad = [0u32; K];
    let mut bad_values = 0u32;
    for i in 0..n {
        let (x, xt) = term(i);
        let (p, b) = plan.split::<T, PIECES>(x);
        bad_values |= b;
        let tp = split_lanes::<T, K, PIECES>(plan, xt, &mut bad);
        for j in 0..PIECES {
            v[j].push(p[j]);
            t[j].extend_from_slice(&tp[j]);
        }
    }
    bad_values == 0 && bad.iter().all(|&b| b == 0)
}

/// The chains of every pass of every lane of a dual number's dot (as [`chains`] per pass),
/// reading the terms straight from the caller's values and splitting/converting them on the
/// way ([`Plan`]): `term(k)` is the `k`-th term in summation order, `(a, b, ȧ, ḃ)`; the result
/// `(x, y)`, pass `q`'s sums of lane `l` at `[q][l]`, the passes in [`kernel::pass_pairs`]'s
/// order. `None` when an input is declined (nothing is then usable; the caller takes the
/// definition). `n ≥ 1` terms.
#[inline(always)]
pub fn fused_passes<'t, T: ChainInput + 't, const K: usize>(
    plan: &Plan,
    rounded: bool,
    n: usize,
    term: impl Fn(usize) -> (T, T, &'t [T; K], &'t [T; K]),
) -> Option<([[f32; K]; 6], [[f32; K]; 6])> {
    #[cfg(target_arch = "x86_64")]
    if !rounded && std::arch::is_x86_feature_detected!("fma") && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has the features the function is compiled for (checked above)
        return unsafe { fused_fma::<T, K>(plan, n, term) };
    }
    match (rounded, plan.passes) {
        (false, Passes::One) => fused_body::<T, K, false, 1, 1>(plan, n, term),
        (false, Passes::X3) => fused_body::<T, K, false, 2, 3>(plan, n, term),
        (false, Passes::X6) => fused_body::<T, K, false, 3, 6>(plan, n, term),
        (true, Passes::One) => fused_body::<T, K, true, 1, 1>(plan, n, term),
        (true, Passes::X3) => fused_body::<T, K, true, 2, 3>(plan, n, term),
        (true, Passes::X6) => fused_body::<T, K, true, 3, 6>(plan, n, term),
    }
}

/// [`fused_passes`] compiled with FMA and AVX2 (products exact).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fused_fma<'t, T: ChainInput + 't, const K: usize>(
    plan: &Plan,
    n: usize,
    term: impl Fn(usize) -> (T, T, &'t [T; K], &'t [T; K]),
) -> Option<([[f32; K]; 6], [[f32; K]; 6])> {
    match plan.passes {
        Passes::One => fused_body::<T, K, false, 1, 1>(plan, n, term),
        Passes::X3 => fused_body::<T, K, false, 2, 3>(plan, n, term),
        Passes::X6 => fused_body::<T, K, false, 3, 6>(plan, n, term),
    }
}

/// The loop of [`fused_passes`] for `PIECES` pieces and `NP` passes: each step splits the
/// term's inputs and takes, per pass and lane, the same IEEE operation as [`body`].
#[inline(always)]
fn fused_body<'t, T: ChainInput + 't, const K: usize, const ROUNDED: bool, const PIECES: usize, const NP: usize>(
    plan: &Plan,
    n: usize,
    term: impl Fn(usize) -> (T, T, &'t [T; K], &'t [T; K]),
) -> Option<([[f32; K]; 6], [[f32; K]; 6])> {
    let pairs = kernel::pass_pairs(plan.passes);
    let mut bad = [0u32; K];
    let mut bad_values = 0u32;
    let (mut x, mut y) = ([[0f32; K]; 6], [[0f32; K]; 6]);
    let (a0, b0, at0, bt0) = term(0);
    let ((ap, ba), (bp, bb)) = (plan.split::<T, PIECES>(a0), plan.split::<T, PIECES>(b0));
    bad_values |= ba | bb;
    let (atp, btp) = (split_lanes::<T, K, PIECES>(plan, at0, &mut bad), split_lanes::<T, K, PIECES>(plan, bt0, &mut bad));
    for q in 0..NP {
        let (ja, jb) = pairs[q];
        // the first term: the product rounded once
        x[q] = std::array::from_fn(|l| ap[ja] * btp[jb][l]);
        y[q] = std::array::from_fn(|l| atp[ja][l] * bp[jb]);
    }
    for k in 1..n {
        let (ak, bk, atk, btk) = term(k);
        let ((ap, ba), (bp, bb)) = (plan.split::<T, PIECES>(ak), plan.split::<T, PIECES>(bk));
        bad_values |= ba | bb;
        let (atp, btp) = (split_lanes::<T, K, PIECES>(plan, atk, &mut bad), split_lanes::<T, K, PIECES>(plan, btk, &mut bad));
        for q in 0..NP {
            let (ja, jb) = pairs[q];
            let (av, bv) = (ap[ja], bp[jb]);
            for l in 0..K {
                if ROUNDED {
                    x[q][l] = x[q][l] + av * btp[jb][l];
                    y[q][l] = y[q][l] + atp[ja][l] * bv;
                } else {
                    x[q][l] = av.mul_add(btp[jb][l], x[q][l]);
                    y[q][l] = atp[ja][l].mul_add(bv, y[q][l]);
                }
            }
        }
    }
    (bad_values == 0 && bad.iter().all(|&b| b == 0)).then_some((x, y))
}

/// The passes' chains combined as the definition combines them ([`kernel::pass_pairs`]): the
/// passes before the last added in f32 in order, then the last. `None` when a pass or a sum is
/// not finite (the definition's NaN rule and overflows are then the caller's to apply).
pub fn combine(results: &[f32]) -> Option<f32> {
    let (last, low) = results.split_last()?;
    let r = match low.split_first() {
        None => *last,
        Some((first, rest)) => rest.iter().fold(*first, |acc, x| acc + x) + last,
    };
    (r.is_finite() && results.iter().all(|x| x.is_finite())).then_some(r)
}

/// Every lane's passes combined as [`combine`] combines them (`v[q][l]`: pass `q` of lane `l`,
/// `np` passes) and converted to `out` to nearest-even on the bits (`out`: a [`BitConv`]; to
/// `f32` the identity), as `f32`s; `None` where a lane's passes or sum are not finite or its
/// conversion is declined (the caller then takes the general path, lane by lane). The lanes
/// run as one loop.
#[inline(always)]
pub fn combine_lanes<const K: usize>(out: &BitConv, v: &[[f32; K]; 6], np: usize) -> Option<[f32; K]> {
    let mut finite = true;
    let mut r = v[0];
    for l in 0..K {
        finite &= r[l].is_finite();
    }
    for p in &v[1..np] {
        for l in 0..K {
            finite &= p[l].is_finite();
            r[l] = r[l] + p[l];
        }
    }
    let mut bad = 0u32;
    for x in r.iter_mut() {
        finite &= x.is_finite();
        let (c, b) = x.conv(out);
        *x = c;
        bad |= b;
    }
    (finite && bad == 0).then_some(r)
}

/// The two f32 chains of every lane of a dual number's dot: `x[l] = Σ_i a[i]·bt[i][l]` and
/// `y[l] = Σ_i at[i][l]·b[i]`, the terms in the order given (`a`, `b` the converted values,
/// `at`, `bt` the converted tangents, term-major: `at[i·K + l]`), each accumulated as the
/// definition does (`rounded`: `prod=rounded`). `n ≥ 1` terms.
pub fn chains<const K: usize>(rounded: bool, a: &[f32], b: &[f32], at: &[f32], bt: &[f32]) -> ([f32; K], [f32; K]) {
    #[cfg(target_arch = "x86_64")]
    if !rounded && std::arch::is_x86_feature_detected!("fma") && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has the features the function is compiled for (checked above)
        return unsafe { chains_fma::<K>(a, b, at, bt) };
    }
    if rounded { body::<K, true>(a, b, at, bt) } else { body::<K, false>(a, b, at, bt) }
}

/// [`chains`] compiled with FMA and AVX2 (`f32::mul_add` is then one instruction per vector).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn chains_fma<const K: usize>(a: &[f32], b: &[f32], at: &[f32], bt: &[f32]) -> ([f32; K], [f32; K]) {
    body::<K, false>(a, b, at, bt)
}

/// The loop of [`chains`]: the lanes as arrays, each step the same IEEE operation per lane.
#[inline(always)]
fn body<const K: usize, const ROUNDED: bool>(a: &[f32], b: &[f32], at: &[f32], bt: &[f32]) -> ([f32; K], [f32; K]) {
    let n = a.len();
    debug_assert!(n >= 1 && b.len() == n && at.len() == n * K && bt.len() == n * K);
    let (at, bt) = (at.as_chunks::<K>().0, bt.as_chunks::<K>().0);
    let (mut x, mut y) = ([0f32; K], [0f32; K]);
    for l in 0..K {
        x[l] = a[0] * bt[0][l];
        y[l] = at[0][l] * b[0];
    }
    for (((&ai, &bi), ati), bti) in a.iter().zip(b).zip(at).zip(bt).skip(1) {
        for l in 0..K {
            if ROUNDED {
                x[l] = x[l] + ai * bti[l];
                y[l] = y[l] + ati[l] * bi;
            } else {
                x[l] = ai.mul_add(bti[l], x[l]);
                y[l] = ati[l].mul_add(bi, y[l]);
            }
        }
    }
    (x, y)
}

/// Whether `f`'s products are rounded (`prod=rounded`).
pub fn rounded(f: &Fields) -> bool {
    f.prod == Prod::Rounded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::matmul::PrecisionPolicy;

    /// One-pass f32-chain policies covering every format and conversion rule (saturating or not).
    const CHAIN_ONE_PASS: [&str; 10] = [
        "f32-f32-f32",
        "tf32-tf32-f32",
        "bf16-bf16-f32",
        "f16-f16-f32",
        "e5m2-e5m2-f32",
        "e4m3-e4m3-f32",
        "e5m2-e5m2-f32,sat=off",
        "tf32-tf32-f32,mul=tf32:rne",
        "tf32-tf32-f32,mul=tf32:trunc",
        "bf16-bf16-f32,mul=e8m13:trunc",
    ];

    /// The conversion on `f32` bits equals the one on `f64` bits for every `f32` input: the
    /// same value where both accept, and they decline the same inputs (every `f32` bit pattern
    /// class: zeros, subnormals, normals near every rounding boundary, the largest, ∞, NaN).
    #[test]
    fn conversion_on_f32_bits_is_the_f64_one() {
        let mut z = 5u64;
        let mut xs: Vec<f32> = vec![0.0, -0.0, f32::MIN_POSITIVE, -f32::MIN_POSITIVE / 2.0, f32::MAX, -f32::MAX, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 448.0, 464.0, 57344.0, 65504.0, 65520.0];
        for i in 0..20000u32 {
            z = z.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let bits = (z >> 32) as u32;
            // random patterns, and patterns whose low bits sit at a rounding boundary
            xs.push(f32::from_bits(if i % 2 == 0 { bits } else { (bits & !0xffff) | [0x8000, 0x7fff, 0x1000, 0x0fff, 0x0800][i as usize % 5] }));
        }
        for name in CHAIN_ONE_PASS {
            let c = BitConv::new(PrecisionPolicy::parse(name).unwrap().fields().unwrap()).unwrap();
            for &x in &xs {
                let (n, nb) = x.conv(&c);
                let (w, wb) = (x as f64).conv(&c);
                assert_eq!(nb, wb, "{name} {x:e}");
                if nb == 0 {
                    assert_eq!(n.to_bits(), w.to_bits(), "{name} {x:e}");
                }
            }
        }
    }

    /// The lanes' passes combined and converted at once equal [`combine`] then
    /// [`Fmt::convert`] lane by lane wherever they claim the bits, for every pass count, every
    /// `out` format, and sums that overflow, are not finite, or land below the normal range;
    /// and they decline exactly when some lane is not finite or declined.
    #[test]
    fn combine_lanes_is_combine_then_convert() {
        let mut z = 3u64;
        let mut next = || {
            z = z.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let m = (z >> 40) as f32 / (1u32 << 24) as f32 - 0.5;
            match z % 97 {
                0 => f32::INFINITY,
                1 => f32::NAN,
                2 => 3e38,
                3 => 1e-41,
                4 => -0.0,
                _ => m * 2f32.powi((z % 61) as i32 - 30),
            }
        };
        for round in 0..3000 {
            let v: [[f32; 4]; 6] = std::array::from_fn(|_| std::array::from_fn(|_| next()));
            for np in [1, 3, 6] {
                let out = Fmt::ALL[round % Fmt::ALL.len()];
                let c = BitConv::of(out, Conv::Rne);
                let want: Vec<Option<f32>> = (0..4)
                    .map(|l| {
                        let r = combine(&std::array::from_fn::<f32, 6, _>(|q| v[q][l])[..np])?;
                        let (x, bad) = r.conv(&c);
                        (bad == 0).then(|| {
                            assert_eq!(x.to_bits(), (out.convert(r as f64, Conv::Rne, false) as f32).to_bits(), "{out:?} {r:e}");
                            x
                        })
                    })
                    .collect();
                match combine_lanes(&c, &v, np) {
                    Some(got) => assert!(want.iter().zip(got).all(|(w, g)| w.map(f32::to_bits) == Some(g.to_bits())), "{out:?} np={np}"),
                    None => assert!(want.iter().any(Option::is_none), "{out:?} np={np}"),
                }
            }
        }
    }

    /// The branch-free conversion equals [`Fmt::convert`] wherever it claims the bits (for each
    /// one-pass preset's `mul` and every conversion rule), and declines exactly the inputs the
    /// general formula must see: ∞, NaN, nonzero values below the normal range, overflows.
    #[test]
    fn convert_all_is_convert_where_it_accepts() {
        let mut z = 17u64;
        let mut xs = Vec::new();
        for i in 0..4000u64 {
            z = z.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let m = 1.0 + (z >> 12) as f64 / (1u64 << 52) as f64;
            let e = (i % 90) as i32 - 45;
            xs.push(if z & 1 == 0 { m } else { -m } * 2f64.powi(e));
        }
        xs.extend([0.0, -0.0, 1.0 + 2f64.powi(-11), 1.0 + 3.0 * 2f64.powi(-11), 1.0 + 2f64.powi(-8)]);
        // (the fp8 presets saturate: saturation differs from the plain conversion only on the
        // inputs declined anyway)
        for name in CHAIN_ONE_PASS {
            let f = *PrecisionPolicy::parse(name).unwrap().fields().unwrap();
            let mut out = Vec::new();
            let (m, conv) = f.mul;
            let ok: Vec<bool> = xs.iter().map(|&x| convert_all(&f, &[x], &mut out)).collect();
            for (x, ok) in xs.iter().zip(&ok) {
                let one = convert_all(&f, &[*x], &mut out);
                assert_eq!(one, *ok);
                if one {
                    assert_eq!(out[0].to_bits(), (m.convert(*x, conv, f.sat) as f32).to_bits(), "{name} {x:e}");
                } else {
                    // declined: below the normal range, or beyond the largest value (an
                    // overflow is ∞, or NaN in E4M3, which has no infinities)
                    let e = x.abs().log2().floor() as i32;
                    let r = m.convert(*x, conv, false);
                    assert!(e < m.emin() || r.abs() > m.max() || r.is_infinite() || r.is_nan(), "{name} {x:e}");
                }
            }
            let all = xs.iter().zip(&ok).filter(|p| *p.1).map(|p| *p.0).collect::<Vec<f64>>();
            assert!(convert_all(&f, &all, &mut out));
            for special in [f64::INFINITY, f64::NAN, 1e-300] {
                assert!(!convert_all(&f, &[1.0, special], &mut out), "{name} {special:e}");
            }
        }
    }
}
