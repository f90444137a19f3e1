//! The formats a precision policy converts to — f32, TF32, bfloat16, binary16, OCP FP8 (E4M3,
//! E5M2) and a 14-bit accumulator model — and the three conversions real hardware uses.
//!
//! Every value of every format here, and every product of two of them, is an `f64` value, so
//! a conversion is computed exactly on `f64` with bit operations and power-of-two scalings:
//! `x = m·q` with `q = 2^(e−p+1)` the format's quantum at `x`'s exponent `e` (clamped below at
//! `emin`, which gives the subnormals), `m = x/q` exact in `f64` (|m| < 2^p ≤ 2^24), rounded to
//! an integer by the mode, times `q` again — both scalings exact. No MPFR is needed and no
//! double rounding occurs: there is one rounding, of `m`.
//!
//! [`Fmt::round_sum`] rounds an exact sum `s + e` given as `f64` TwoSum pair (`s = fl(s+e)`):
//! `s` rounded to the format is correct unless `s` is exactly a midpoint of the format, where
//! the sign of `e` breaks the tie (a format value between `s` and `s+e` would be an `f64` value
//! nearer to `s+e` than `s`, which `s = fl(s+e)` excludes).

use std::fmt;
use std::str::FromStr;

/// A number format of a precision policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fmt {
    /// IEEE binary32: 24 significand bits, exponents −126..127.
    F32,
    /// NVIDIA TensorFloat-32: 11 significand bits, f32's exponent range.
    Tf32,
    /// bfloat16: 8 significand bits, f32's exponent range.
    Bf16,
    /// IEEE binary16: 11 significand bits, exponents −14..15, largest 65504.
    F16,
    /// OCP FP8 E4M3: 4 significand bits, exponents −6..8, largest 448, no infinities (an
    /// overflow is NaN, or ±448 when saturating).
    E4m3,
    /// OCP FP8 E5M2: 3 significand bits, exponents −14..15, largest 57344, IEEE-like.
    E5m2,
    /// A model of Hopper's FP8 tensor-core accumulator (reported to keep about 14 bits:
    /// DeepSeek-V3 technical report, §3.3.2): 14 significand bits, f32's exponent range.
    E8m13,
}

impl Fmt {
    /// Every format, in documentation order.
    pub const ALL: [Fmt; 7] = [Fmt::F32, Fmt::Tf32, Fmt::Bf16, Fmt::F16, Fmt::E4m3, Fmt::E5m2, Fmt::E8m13];

    /// Significand bits (with the hidden bit).
    pub fn precision(self) -> i32 {
        match self {
            Fmt::F32 => 24,
            Fmt::Tf32 | Fmt::F16 => 11,
            Fmt::Bf16 => 8,
            Fmt::E4m3 => 4,
            Fmt::E5m2 => 3,
            Fmt::E8m13 => 14,
        }
    }

    /// The exponent of the smallest normal number.
    pub fn emin(self) -> i32 {
        match self {
            Fmt::F32 | Fmt::Tf32 | Fmt::Bf16 | Fmt::E8m13 => -126,
            Fmt::F16 | Fmt::E5m2 => -14,
            Fmt::E4m3 => -6,
        }
    }

    /// The largest finite value.
    pub fn max(self) -> f64 {
        let p = self.precision();
        match self {
            // S.1111.111 is NaN: the largest is 1.110₂·2⁸
            Fmt::E4m3 => 448.0,
            _ => {
                let emax = match self {
                    Fmt::F16 | Fmt::E5m2 => 15,
                    _ => 127,
                };
                (2.0 - pow2(1 - p)) * pow2(emax)
            }
        }
    }

    /// Whether the format has infinities (all but E4M3).
    pub fn has_inf(self) -> bool {
        self != Fmt::E4m3
    }

    /// The quantum (spacing) of the format at `x` (finite): `2^(max(e, emin) − p + 1)`.
    fn quantum(self, x: f64) -> f64 {
        pow2(exponent(x).max(self.emin()) - self.precision() + 1)
    }

    /// `x` (any `f64`) converted to this format with the mode `conv`. An overflow gives ±∞
    /// (E4M3: NaN), or ±max under `sat` or `trunc`; ±∞ stays ±∞ unless `sat` (then ±max); NaN
    /// stays NaN.
    #[inline]
    pub fn convert(self, x: f64, conv: Conv, sat: bool) -> f64 {
        match self.round_bits(x, |mag, low, half| match conv {
            Conv::Rne => low > half || (low == half && mag & (half << 1) != 0),
            Conv::Rna => low >= half,
            Conv::Trunc => false,
        }) {
            Some(r) => r,
            None => self.convert_general(x, conv, sat),
        }
    }

    /// The fast path of [`Fmt::convert`] and [`Fmt::round_sum`]: `x` rounded to this format's
    /// precision on its bits, for a finite `x` whose exponent is at least `emin` and whose
    /// rounded magnitude is at most `max` (then the quantum is `x`'s own and no overflow or
    /// zero can occur: the general formula's `m = x/q` is `x`'s significand with the exponent
    /// moved, so rounding `m` to an integer is rounding away the low `52 − (p − 1)` bits), and
    /// for ±0 (which stays itself, as in the general formula); `up(magnitude bits, discarded
    /// bits, half)` says whether to round the magnitude up. `None` otherwise (the general
    /// formula decides).
    #[inline(always)]
    fn round_bits(self, x: f64, up: impl Fn(u64, u64, u64) -> bool) -> Option<f64> {
        const SIGN: u64 = 1 << 63;
        let bits = x.to_bits();
        let mag = bits & !SIGN;
        if mag == 0 {
            // ±0 stays ±0 (the general formula: m = 0, the zero takes x's sign)
            return Some(x);
        }
        let e = (mag >> 52) as i32 - 1023;
        // e = 1024: ∞ or NaN; below emin (f64 subnormals included): the general path
        if e < self.emin() || e > 1023 {
            return None;
        }
        let shift = 53 - self.precision() as u32;
        let half = 1u64 << (shift - 1);
        let low = mag & ((half << 1) - 1);
        let trunc = mag - low;
        // a carry out of the significand moves into the exponent: the next binade's value
        let r = f64::from_bits(if up(mag, low, half) { trunc + (half << 1) } else { trunc });
        (r <= self.max()).then(|| f64::from_bits(r.to_bits() | (bits & SIGN)))
    }

    /// [`Fmt::convert`] by the general formula (every `x`; the module doc's scaling).
    fn convert_general(self, x: f64, conv: Conv, sat: bool) -> f64 {
        if x.is_nan() {
            return x;
        }
        if x.is_infinite() {
            return self.overflow(x, sat);
        }
        let q = self.quantum(x);
        let m = x / q;
        let r = match conv {
            Conv::Rne => m.round_ties_even(),
            Conv::Rna => m.round(),
            Conv::Trunc => m.trunc(),
        } * q;
        if conv == Conv::Trunc && r.abs() > self.max() {
            // toward zero never overflows: the largest finite value
            return self.max().copysign(x);
        }
        self.finish(r, x, sat)
    }

    /// The correctly rounded (to nearest, ties to even) value of the exact sum `s + e`, where
    /// `s = fl₆₄(s + e)` (a TwoSum pair; `e = 0` for an exact `s`).
    #[inline]
    pub fn round_sum(self, s: f64, e: f64, sat: bool) -> f64 {
        // a midpoint goes to e's side: away from zero when e has s's sign
        let away = e != 0.0 && (e > 0.0) == (s > 0.0);
        match self.round_bits(s, |mag, low, half| low > half || (low == half && if e != 0.0 { away } else { mag & (half << 1) != 0 })) {
            Some(r) => r,
            None => self.round_sum_general(s, e, sat),
        }
    }

    /// [`Fmt::round_sum`] by the general formula.
    fn round_sum_general(self, s: f64, e: f64, sat: bool) -> f64 {
        if !s.is_finite() {
            return self.convert(s, Conv::Rne, sat);
        }
        let q = self.quantum(s);
        let m = s / q;
        let fl = m.floor();
        let r = if e != 0.0 && m - fl == 0.5 {
            // s is a midpoint: the exact sum lies on e's side of it
            if e > 0.0 { fl + 1.0 } else { fl }
        } else {
            m.round_ties_even()
        } * q;
        self.finish(r, s, sat)
    }

    /// Stochastic rounding of `x` (finite, or passed through): rounds up (toward +∞) with
    /// probability `(x − lo)/(hi − lo)` exactly, `lo ≤ x ≤ hi` the neighbours of `x`, using
    /// the 53 high bits of `u` as a uniform number in [0, 1).
    pub fn round_stochastic(self, x: f64, u: u64, sat: bool) -> f64 {
        if !x.is_finite() {
            return self.convert(x, Conv::Rne, sat);
        }
        let q = self.quantum(x);
        let m = x / q;
        let fl = m.floor();
        // m − fl < 1 has at most 53 significant bits: the comparison is exact
        let t = (u >> 11) as f64 * pow2(-53);
        let r = if t < m - fl { fl + 1.0 } else { fl } * q;
        self.finish(r, x, sat)
    }

    /// The rounded value `r` of `x`, with overflow and the sign of zero settled.
    fn finish(self, r: f64, x: f64, sat: bool) -> f64 {
        if r.abs() > self.max() {
            return self.overflow(x, sat);
        }
        // a zero result keeps the sign of x (IEEE: rounding never changes a sign)
        if r == 0.0 { 0.0f64.copysign(x) } else { r }
    }

    /// The value of an overflow of `x` (or of an infinite `x`).
    fn overflow(self, x: f64, sat: bool) -> f64 {
        if sat {
            self.max().copysign(x)
        } else if self.has_inf() {
            f64::INFINITY.copysign(x)
        } else {
            f64::NAN
        }
    }
}

/// `2^k` for −1074 ≤ k ≤ 1023, exactly.
pub(super) fn pow2(k: i32) -> f64 {
    if k >= -1022 {
        f64::from_bits(((k + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (k + 1074))
    }
}

/// `⌊log₂|x|⌋` of a finite non-zero `x` (−1023 for zero and `f64` subnormals: below every
/// format's `emin`, which is all that matters here).
pub(super) fn exponent(x: f64) -> i32 {
    ((x.to_bits() >> 52) & 0x7ff) as i32 - 1023
}

impl fmt::Display for Fmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fmt::F32 => "f32",
            Fmt::Tf32 => "tf32",
            Fmt::Bf16 => "bf16",
            Fmt::F16 => "f16",
            Fmt::E4m3 => "e4m3",
            Fmt::E5m2 => "e5m2",
            Fmt::E8m13 => "e8m13",
        })
    }
}

impl FromStr for Fmt {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Fmt::ALL.into_iter().find(|f| f.to_string() == s).ok_or_else(|| {
            format!("unknown format `{s}` (expected f32, tf32, bf16, f16, e4m3, e5m2 or e8m13)")
        })
    }
}

/// How a value is converted to a narrower format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Conv {
    /// Round to nearest, ties to even (IEEE's default; PTX `cvt.rn`).
    Rne,
    /// Round to nearest, ties away from zero (PTX `cvt.rna.tf32.f32`).
    Rna,
    /// Toward zero: the low bits dropped (PyTorch's description of TF32; XLA's split `hi`).
    Trunc,
}

impl fmt::Display for Conv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Conv::Rne => "rne",
            Conv::Rna => "rna",
            Conv::Trunc => "trunc",
        })
    }
}

impl FromStr for Conv {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "rne" => Ok(Conv::Rne),
            "rna" => Ok(Conv::Rna),
            "trunc" => Ok(Conv::Trunc),
            _ => Err(format!("unknown conversion `{s}` (expected rne, rna or trunc)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bit-level fast paths of `convert` and `round_sum` equal the general formula on
    /// every format, mode and saturation, for values around every format's range (normal,
    /// subnormal, overflowing, ±0, ∞, NaN), midpoints of every format (built exactly) and
    /// every sign of the TwoSum error term. A mutation of a fast path (a tie rule, the carry,
    /// the `max` bound) fails it.
    #[test]
    fn fast_paths_equal_the_general_formula() {
        let mut z = 0x5eed_u64;
        let mut next = || {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^ (x >> 31)
        };
        let mut xs = vec![0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, f64::MIN_POSITIVE, 5e-324];
        for _ in 0..20_000 {
            let r = next();
            // exponents −160 … 160 (every format's range and beyond), random significands
            let e = (r % 321) as i32 - 160;
            let m = 1.0 + (next() >> 12) as f64 * pow2(-52);
            let x = if r & (1 << 40) != 0 { -m } else { m } * pow2(e);
            xs.push(x);
            for f in Fmt::ALL {
                // an exact midpoint of f (and its neighbours) near x, and values at f's max
                let q = f.quantum(x);
                let mid = ((x / q).trunc() + 0.5) * q;
                xs.extend([mid, f.max() * (1.0 + (next() >> 40) as f64 * pow2(-30)), -f.max()]);
            }
        }
        for &x in &xs {
            for f in Fmt::ALL {
                for sat in [false, true] {
                    for conv in [Conv::Rne, Conv::Rna, Conv::Trunc] {
                        let (a, b) = (f.convert(x, conv, sat), f.convert_general(x, conv, sat));
                        assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{f} {conv:?} {sat} {x:e}: {a:e} vs {b:e}");
                    }
                    for e in [0.0, -0.0, pow2(-80), -pow2(-80)] {
                        let e = e * x.abs().max(1e-300);
                        let (a, b) = (f.round_sum(x, e, sat), f.round_sum_general(x, e, sat));
                        assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{f} round_sum {sat} {x:e} {e:e}: {a:e} vs {b:e}");
                    }
                }
            }
        }
    }

    #[test]
    fn largest_values_and_ties() {
        assert_eq!(Fmt::F32.max(), f32::MAX as f64);
        assert_eq!(Fmt::F16.max(), 65504.0);
        assert_eq!(Fmt::E5m2.max(), 57344.0);
        assert_eq!(Fmt::Bf16.max(), f64::from(f32::from_bits(0x7f7f_0000)));
        let tie = 1.0 + pow2(-11);
        assert_eq!(Fmt::Tf32.convert(tie, Conv::Rna, false), 1.0 + pow2(-10));
        assert_eq!(Fmt::Tf32.convert(tie, Conv::Rne, false), 1.0);
        assert_eq!(Fmt::Tf32.convert(1.0 + 3.0 * pow2(-11), Conv::Trunc, false), 1.0 + pow2(-10));
        assert_eq!(Fmt::Bf16.convert(1.0 + pow2(-8), Conv::Rne, false), 1.0);
        assert!(Fmt::E4m3.convert(480.0, Conv::Rne, false).is_nan());
        assert_eq!(Fmt::E4m3.convert(480.0, Conv::Rne, true), 448.0);
        assert_eq!(Fmt::E4m3.convert(464.0, Conv::Rne, false), 448.0); // tie → even (1.110)
        assert_eq!(Fmt::F16.convert(65520.0, Conv::Rne, false), f64::INFINITY);
        assert_eq!(Fmt::F16.convert(65520.0, Conv::Trunc, false), 65504.0);
        assert_eq!(Fmt::F16.convert(-pow2(-25), Conv::Rne, false).to_bits(), (-0.0f64).to_bits());
        assert_eq!(Fmt::F16.convert(pow2(-24) * 1.5, Conv::Rne, false), pow2(-23)); // subnormal tie
    }

    #[test]
    fn f32_conversion_is_the_hardware_cast() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits((x & 0x800F_FFFF_FFFF_FFFF) | ((896 + (x >> 52) % 260) << 52));
            assert_eq!(Fmt::F32.convert(v, Conv::Rne, false).to_bits(), (v as f32 as f64).to_bits(), "{v:e}");
        }
    }

    #[test]
    fn round_sum_breaks_midpoint_ties_by_the_error_term() {
        let s = 1.0 + pow2(-24); // the f32 midpoint between 1 and 1 + 2⁻²³
        assert_eq!(Fmt::F32.round_sum(s, 0.0, false), 1.0);
        assert_eq!(Fmt::F32.round_sum(s, pow2(-80), false), 1.0 + pow2(-23));
        assert_eq!(Fmt::F32.round_sum(s, -pow2(-80), false), 1.0);
    }

    #[test]
    fn stochastic_rounding_probability_is_the_distance() {
        let x = 1.0 + pow2(-9); // a quarter of the way from 1 to the next bf16 (1 + 2⁻⁷)
        let n = 4096u64;
        let ups = (0..n)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .filter(|&u| Fmt::Bf16.round_stochastic(x, u, false) > x)
            .count();
        // the multiples of the golden ratio are equidistributed: within a few counts of n/4
        assert!((ups as i64 - n as i64 / 4).abs() < 16, "{ups}");
    }
}
