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

/// `xs` converted to `f`'s `mul` format, into `out` as f32s, by one branch-free loop over the
/// bits (vectorized by the compiler): the magnitude's low `53 − p` bits rounded away by the
/// conversion's rule, as [`Fmt::convert`]'s fast path does. `false` (then `out` is to be
/// discarded) when the policy has split passes or saturates, or any element needs the general
/// formula: not finite, nonzero below the format's normal range, or rounded beyond its largest
/// value — the caller then converts element by element ([`pieces`]).
pub fn convert_all(f: &Fields, xs: &[f64], out: &mut Vec<f32>) -> bool {
    const SIGN: u64 = 1 << 63;
    if f.passes != Passes::One || f.sat {
        return false;
    }
    let (m, conv) = f.mul;
    let shift = 53 - m.precision() as u32;
    let half = 1u64 << (shift - 1);
    let keep = !((half << 1) - 1);
    let emin_bits = ((1023 + m.emin()) as u64) << 52;
    let max_bits = m.max().to_bits();
    let mut bad = false;
    out.clear();
    out.extend(xs.iter().map(|&x| {
        let bits = x.to_bits();
        let mag = bits & !SIGN;
        let r = match conv {
            Conv::Rne => (mag + (half - 1) + ((mag >> shift) & 1)) & keep,
            Conv::Rna => (mag + half) & keep,
            Conv::Trunc => mag & keep,
        };
        bad |= (mag != 0 && mag < emin_bits) | (r > max_bits);
        f64::from_bits(r | (bits & SIGN)) as f32
    }));
    !bad
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
    let lanes = |v: &[f32], i: usize| -> [f32; K] { std::array::from_fn(|l| v[i * K + l]) };
    let (bt0, at0) = (lanes(bt, 0), lanes(at, 0));
    let mut x: [f32; K] = std::array::from_fn(|l| a[0] * bt0[l]);
    let mut y: [f32; K] = std::array::from_fn(|l| at0[l] * b[0]);
    for i in 1..n {
        let (ai, bi, bti, ati) = (a[i], b[i], lanes(bt, i), lanes(at, i));
        if ROUNDED {
            x = std::array::from_fn(|l| x[l] + ai * bti[l]);
            y = std::array::from_fn(|l| y[l] + ati[l] * bi);
        } else {
            x = std::array::from_fn(|l| ai.mul_add(bti[l], x[l]));
            y = std::array::from_fn(|l| ati[l].mul_add(bi, y[l]));
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
        // (the fp8 presets saturate: declined whole, the element-by-element path decides)
        assert!(!convert_all(PrecisionPolicy::parse("e5m2-e5m2-f32").unwrap().fields().unwrap(), &[1.0], &mut Vec::new()));
        for name in ["f32-f32-f32", "tf32-tf32-f32", "bf16-bf16-f32", "f16-f16-f32", "e5m2-e5m2-f32,sat=off", "tf32-tf32-f32,mul=tf32:rne", "tf32-tf32-f32,mul=tf32:trunc"] {
            let f = *PrecisionPolicy::parse(name).unwrap().fields().unwrap();
            let mut out = Vec::new();
            let (m, conv) = f.mul;
            let ok: Vec<bool> = xs.iter().map(|&x| convert_all(&f, &[x], &mut out)).collect();
            for (x, ok) in xs.iter().zip(&ok) {
                let one = convert_all(&f, &[*x], &mut out);
                assert_eq!(one, *ok);
                if one {
                    assert_eq!(out[0].to_bits(), (m.convert(*x, conv, false) as f32).to_bits(), "{name} {x:e}");
                } else {
                    // declined: below the normal range, or beyond the largest value
                    let e = x.abs().log2().floor() as i32;
                    assert!(e < m.emin() || m.convert(*x, conv, false).abs() > m.max() || m.convert(*x, conv, false).is_infinite(), "{name} {x:e}");
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
