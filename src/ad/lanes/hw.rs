//! The `sequential`/`reversed`/`shuffled` dot product of `K`-lane dual numbers over `f32`/`f64`
//! ([`LaneDot::dot_lanes`] of `f32` and `f64`): the operations of
//! [`order::dot_in_order`](crate::scalar::order::dot_in_order) on [`DualVec`] — per lane
//! `t = a.v·b.t + a.t·b.v` (each product rounded, under `no-fma`) or `fma(a.v, b.t, a.t·b.v)`,
//! accumulated `t += …` or `t = fma(a.v, b.t, fma(a.t, b.v, t))` — written as one loop over
//! the terms with the lanes as vectors. The lanes are independent columns, so vectorizing
//! across them changes no rounding: every lane performs the same IEEE operations in the same
//! order as the definition (tested bit for bit, special values included, in
//! `tests/it/bit_identity.rs`). On x86-64 with AVX (and FMA, under the `fma` policy) — checked
//! at run time — the loop is written with AVX intrinsics (`Hw::avx_dot`); elsewhere it is a
//! plain array loop left to the compiler (`body`). IEEE operations give the same bits at every
//! vector width, and Rust never contracts a product and a sum by itself.
//!
//! Measured (BENCHMARKS.md): P = 1976 f64 fwd-rev on one thread 0.70 s → 0.19 s.

use std::ops::{Add, Mul};

use super::LaneDot;
use crate::ad::DualVec;
use crate::scalar::order::{PolicyDot, PolicyScratch, Strided};

#[inline(always)]
fn body<T: Hw, const K: usize, const FMA: bool>(
    out: &mut DualVec<T, K>,
    a: Strided<'_, DualVec<T, K>>,
    b: Strided<'_, DualVec<T, K>>,
    idx: impl Fn(usize) -> usize,
) {
    let i0 = idx(0);
    let (x, y) = (a.get(i0), b.get(i0));
    let mut t: [T; K] = std::array::from_fn(|l| {
        if FMA {
            x.v.fused(y.t[l], x.t[l] * y.v)
        } else {
            x.v * y.t[l] + x.t[l] * y.v
        }
    });
    let mut v = x.v * y.v;
    for k in 1..a.len() {
        let i = idx(k);
        let (x, y) = (a.get(i), b.get(i));
        if FMA {
            for l in 0..K {
                t[l] = x.v.fused(y.t[l], x.t[l].fused(y.v, t[l]));
            }
            v = x.v.fused(y.v, v);
        } else {
            // whole-array steps (broadcast values, lane vectors) keep the code simple for
            // the vectorizer; the operations per lane are those of the line below
            let (xv, yv) = (x.v, y.v);
            let p: [T; K] = std::array::from_fn(|l| xv * y.t[l]);
            let q: [T; K] = std::array::from_fn(|l| x.t[l] * yv);
            // t = t + (x.v·y.t + x.t·y.v)
            t = std::array::from_fn(|l| t[l] + (p[l] + q[l]));
            v = v + xv * yv;
        }
    }
    out.v = v;
    out.t = t;
}

#[inline(always)]
pub(super) fn dot<T: Hw, const K: usize>(
    out: &mut DualVec<T, K>,
    a: Strided<'_, DualVec<T, K>>,
    b: Strided<'_, DualVec<T, K>>,
    idx: impl Fn(usize) -> usize,
    fma: bool,
) {
    #[cfg(target_arch = "x86_64")]
    if T::avx_dot(out, a, b, &idx, fma) {
        return;
    }
    if fma {
        body::<T, K, true>(out, a, b, idx)
    } else {
        body::<T, K, false>(out, a, b, idx)
    }
}

/// `f32` and `f64` run the lanes as one vector loop ([`dot`]); `f32` carries
/// [`WIDE_LANES`](LaneDot::WIDE_LANES) columns per pass (as many bytes of tangents as `f64`'s 8).
macro_rules! hw_lane_dot {
    ($t:ty, $wide:expr) => {
        impl LaneDot for $t {
            const WIDE_LANES: bool = $wide;
            #[inline(always)]
            fn dot_lanes<const K: usize>(
                out: &mut DualVec<Self, K>,
                a: Strided<'_, DualVec<Self, K>>,
                b: Strided<'_, DualVec<Self, K>>,
                idx: impl Fn(usize) -> usize,
                _tmp: &mut DualVec<Self, K>,
                ctx: &Self::RCtx,
            ) {
                dot(out, a, b, idx, ctx.fma)
            }
            #[inline(always)]
            fn policy_lanes<const K: usize>(
                out: &mut DualVec<Self, K>,
                a: Strided<'_, DualVec<Self, K>>,
                b: Strided<'_, DualVec<Self, K>>,
                pd: &PolicyDot<'_>,
                s: &mut PolicyScratch,
                ctx: &Self::RCtx,
            ) -> bool {
                let get = |k: usize| {
                    let (x, y) = (a.get(k), b.get(k));
                    (&x.v, &y.v, &x.t, &y.t)
                };
                pd.tangents_cached(&mut out.t, a.len(), [a.key(), b.key()], get, s, ctx)
                    || pd.tangents_fused(&mut out.t, a.len(), get, s, ctx)
                    || super::policy_tangents(out, a, b, pd, s, ctx)
            }
        }
    };
}

hw_lane_dot!(f32, true);
hw_lane_dot!(f64, false);

/// `f32` or `f64`.
pub(super) trait Hw: Copy + Mul<Output = Self> + Add<Output = Self> {
    /// `a·b + c` with one rounding.
    fn fused(self, b: Self, c: Self) -> Self;
    /// The AVX (and FMA) kernel where the CPU has it and `K` is a whole number of vectors:
    /// computes `out` and returns `true`; otherwise returns `false` and changes nothing.
    #[cfg(target_arch = "x86_64")]
    fn avx_dot<const K: usize>(
        out: &mut DualVec<Self, K>,
        a: Strided<'_, DualVec<Self, K>>,
        b: Strided<'_, DualVec<Self, K>>,
        idx: &impl Fn(usize) -> usize,
        fma: bool,
    ) -> bool;
}

/// The x86-64 kernels, written with AVX intrinsics: per term, the values are broadcast and
/// the lanes' tangents are loaded as whole vectors (`W` lanes each), so every lane runs the
/// definition's operations — `vmulpd`/`vaddpd` (or `vfmadd`) are the IEEE operations of
/// `*`/`+` (`mul_add`) lane by lane.
#[cfg(target_arch = "x86_64")]
macro_rules! avx_kernel {
    ($t:ty, $w:expr, $vec:ty, $set1:ident, $loadu:ident, $storeu:ident, $mul:ident, $add:ident, $fmadd:ident) => {
        impl Hw for $t {
            #[inline(always)]
            fn fused(self, b: Self, c: Self) -> Self {
                self.mul_add(b, c)
            }
            #[inline(always)]
            fn avx_dot<const K: usize>(
                out: &mut DualVec<Self, K>,
                a: Strided<'_, DualVec<Self, K>>,
                b: Strided<'_, DualVec<Self, K>>,
                idx: &impl Fn(usize) -> usize,
                fma: bool,
            ) -> bool {
                const MAX_VECTORS: usize = 4;
                if K % $w != 0 || K / $w > MAX_VECTORS || !is_x86_feature_detected!("avx") {
                    return false;
                }
                if fma {
                    if !is_x86_feature_detected!("fma") {
                        return false;
                    }
                    // SAFETY: the CPU has AVX and FMA (checked above).
                    unsafe { kernel_fma::<K>(out, a, b, idx) };
                } else {
                    // SAFETY: the CPU has AVX (checked above).
                    unsafe { kernel::<K>(out, a, b, idx) };
                }
                return true;

                /// `no-fma` (needs AVX).
                #[target_feature(enable = "avx")]
                fn kernel<const K: usize>(
                    out: &mut DualVec<$t, K>,
                    a: Strided<'_, DualVec<$t, K>>,
                    b: Strided<'_, DualVec<$t, K>>,
                    idx: &impl Fn(usize) -> usize,
                ) {
                    // SAFETY: AVX is enabled here; `FMA = false` uses no FMA instruction.
                    unsafe { steps::<K, false>(out, a, b, idx) }
                }

                /// `fma` (needs AVX and FMA).
                #[target_feature(enable = "avx,fma")]
                fn kernel_fma<const K: usize>(
                    out: &mut DualVec<$t, K>,
                    a: Strided<'_, DualVec<$t, K>>,
                    b: Strided<'_, DualVec<$t, K>>,
                    idx: &impl Fn(usize) -> usize,
                ) {
                    // SAFETY: AVX and FMA are enabled here.
                    unsafe { steps::<K, true>(out, a, b, idx) }
                }

                /// The loop, inlined into the two kernels above (which enable the CPU
                /// features its intrinsics need). Per term, `no-fma`:
                /// `t = t + (x.v·y.t + x.t·y.v)`, `v = v + x.v·y.v`; `fma`: first
                /// `t = fma(x.v, y.t, x.t·y.v)`, then `t = fma(x.v, y.t, fma(x.t, y.v, t))`,
                /// `v = fma(x.v, y.v, v)`; the first term starts the sums.
                ///
                /// # Safety
                /// The CPU must have AVX, and FMA when `FMA`.
                #[inline(always)]
                unsafe fn steps<const K: usize, const FMA: bool>(
                    out: &mut DualVec<$t, K>,
                    a: Strided<'_, DualVec<$t, K>>,
                    b: Strided<'_, DualVec<$t, K>>,
                    idx: &impl Fn(usize) -> usize,
                ) {
                    use std::arch::x86_64::*;
                    let nv = K / $w;
                    let mut t: [$vec; MAX_VECTORS] = [$set1(0.0); MAX_VECTORS];
                    let (mut v, mut first) = (0.0, true);
                    for k in 0..a.len() {
                        let i = idx(k);
                        let (x, y) = (a.get(i), b.get(i));
                        let (xv, yv) = ($set1(x.v), $set1(y.v));
                        for c in 0..nv {
                            // SAFETY: c·W + W ≤ K: the loads stay inside the arrays.
                            let (xt, yt) = unsafe { ($loadu(x.t.as_ptr().add(c * $w)), $loadu(y.t.as_ptr().add(c * $w))) };
                            t[c] = match (FMA, first) {
                                (false, true) => $add($mul(xv, yt), $mul(xt, yv)),
                                (false, false) => $add(t[c], $add($mul(xv, yt), $mul(xt, yv))),
                                (true, true) => $fmadd(xv, yt, $mul(xt, yv)),
                                (true, false) => $fmadd(xv, yt, $fmadd(xt, yv, t[c])),
                            };
                        }
                        v = match (FMA, first) {
                            (_, true) => x.v * y.v,
                            (false, false) => v + x.v * y.v,
                            (true, false) => x.v.mul_add(y.v, v),
                        };
                        first = false;
                    }
                    for c in 0..nv {
                        // SAFETY: as above.
                        unsafe { $storeu(out.t.as_mut_ptr().add(c * $w), t[c]) };
                    }
                    out.v = v;
                }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
avx_kernel!(f64, 4, std::arch::x86_64::__m256d, _mm256_set1_pd, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_mul_pd, _mm256_add_pd, _mm256_fmadd_pd);
#[cfg(target_arch = "x86_64")]
avx_kernel!(f32, 8, std::arch::x86_64::__m256, _mm256_set1_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_mul_ps, _mm256_add_ps, _mm256_fmadd_ps);

#[cfg(not(target_arch = "x86_64"))]
impl Hw for f32 {
    #[inline(always)]
    fn fused(self, b: Self, c: Self) -> Self {
        self.mul_add(b, c)
    }
}
#[cfg(not(target_arch = "x86_64"))]
impl Hw for f64 {
    #[inline(always)]
    fn fused(self, b: Self, c: Self) -> Self {
        self.mul_add(b, c)
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::scalar::hw::HwCtx;
    use crate::scalar::order::dot_in_order;
    use crate::scalar::MathLib;

    /// The portable loop (what runs where the CPU has no AVX; on x86-64 with AVX the AVX
    /// kernel is checked in `tests/it/bit_identity.rs`) against the definition, special values
    /// included; a NaN only has to be a NaN.
    #[test]
    fn the_portable_loop_equals_the_definition() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let specials = [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 5e-324, 1e300, -1e-300];
        let mut draw = move || if rng.gen_bool(0.3) { specials[rng.gen_range(0..specials.len())] } else { rng.gen_range(-2.0..2.0) };
        let bits = |d: &DualVec<f64, 8>| -> Vec<u64> {
            std::iter::once(d.v).chain(d.t).map(|x| if x.is_nan() { 1 } else { x.to_bits() }).collect()
        };
        for fma in [false, true] {
            let ctx = HwCtx::<f64>::new(MathLib::CoreMath, fma);
            for case in 0..2000 {
                let n = 1 + case % 7;
                let mut vals = || -> Vec<DualVec<f64, 8>> {
                    (0..n).map(|_| DualVec { v: draw(), t: std::array::from_fn(|_| draw()) }).collect()
                };
                let (a, b) = (vals(), vals());
                let (sa, sb) = (Strided::contiguous(&a), Strided::contiguous(&b));
                let zero = DualVec { v: 0.0, t: [0.0; 8] };
                let (mut fast, mut def, mut tmp) = (zero.clone(), zero.clone(), zero);
                if fma {
                    body::<f64, 8, true>(&mut fast, sa, sb, |k| n - 1 - k);
                } else {
                    body::<f64, 8, false>(&mut fast, sa, sb, |k| n - 1 - k);
                }
                dot_in_order(&mut def, sa, sb, |k| n - 1 - k, &mut tmp, &ctx);
                assert_eq!(bits(&fast), bits(&def), "fma={fma} case {case}");
            }
        }
    }
}
