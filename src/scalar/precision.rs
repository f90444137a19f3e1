//! Working precisions by name, and the arithmetic ([`Arith`]) a run-time choice names.
//!
//! Dispatch from an `Arith` to code generic over the format (`Arith::dispatch`) is defined by
//! the differentiation layer, whose lane kernels that code may use.

use std::fmt;
use std::str::FromStr;

use rug::Float;

use super::mpfr::{IeeeFormat, MAX_PREC, MIN_PREC};
use super::MathLib;

/// A working precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Precision {
    /// Hardware `f32`.
    F32,
    /// Hardware `f64`.
    F64,
    /// MPFR with this many bits and an unbounded exponent range (`mp:<bits>`).
    Mp(u32),
    /// An IEEE format emulated in MPFR.
    Ieee(IeeeFormat),
}

impl Precision {
    /// Significand bits (the hidden bit included).
    pub fn bits(self) -> u32 {
        match self {
            Precision::F32 => 24,
            Precision::F64 => 53,
            Precision::Mp(b) => b,
            Precision::Ieee(f) => f.prec,
        }
    }

    /// Unit roundoff exponent: ε = 2^(1−bits) is the spacing of numbers in [1, 2).
    pub fn epsilon(self) -> Float {
        Float::with_val(64, 1) >> (self.bits() - 1)
    }

    /// Bytes one value occupies in memory (for memory estimates).
    pub fn bytes_per_value(self) -> usize {
        match self {
            Precision::F32 => 4,
            Precision::F64 => 8,
            // mpfr_t header (32 bytes) + limbs + allocator overhead (~16 bytes)
            Precision::Mp(b) | Precision::Ieee(IeeeFormat { prec: b, .. }) => {
                32 + 8 * (b as usize).div_ceil(64) + 16
            }
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Precision::F32 => f.write_str("f32"),
            Precision::F64 => f.write_str("f64"),
            Precision::Mp(b) => write!(f, "mp:{b}"),
            Precision::Ieee(fmt) => f.write_str(fmt.name),
        }
    }
}

impl FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "f32" => return Ok(Precision::F32),
            "f64" => return Ok(Precision::F64),
            _ => {}
        }
        if let Some(f) = IeeeFormat::by_name(s) {
            return Ok(Precision::Ieee(f));
        }
        match s.strip_prefix("mp:") {
            Some(bits) => match bits.parse::<u64>() {
                Ok(b) if (MIN_PREC as u64..=MAX_PREC as u64).contains(&b) => Ok(Precision::Mp(b as u32)),
                _ => Err(format!(
                    "`{s}`: MPFR precision must be an integer number of bits from {MIN_PREC} to {MAX_PREC}"
                )),
            },
            None => Err(format!(
                "unknown precision `{s}` (expected f32, f64, mp:<bits>, binary16, bfloat16, binary32 or binary64)"
            )),
        }
    }
}

/// How every primitive rounds: the format, the math library (f32/f64) and the FMA policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Arith {
    /// The working precision.
    pub precision: Precision,
    /// Source of f32/f64 transcendentals.
    pub math: MathLib,
    /// Whether dot products fuse multiply-adds.
    pub fma: bool,
}

/// Which arithmetic runs `mp:<bits>` for 2 ≤ bits ≤ 320: the fixed-width limbs
/// ([`super::fixed`], bit-identical to MPFR and faster; the default) or MPFR itself. Wider
/// precisions and the emulated IEEE formats always run on MPFR. The environment variable
/// [`MpKernel::VAR`] (`fixed` or `mpfr`) chooses it for a whole process, e.g. to compare the
/// two; no number depends on the choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MpKernel {
    /// [`super::fixed::Fixed`] where the precision fits (the default).
    Fixed,
    /// MPFR ([`rug::Float`]) at every precision.
    Mpfr,
}

impl MpKernel {
    /// The environment variable that chooses the kernel: `fixed` (also when unset) or `mpfr`.
    pub const VAR: &'static str = "CLAIRAUT_MP_KERNEL";

    /// The kernel `value` of [`MpKernel::VAR`] names (`None`: unset).
    pub fn parse(value: Option<&str>) -> Result<MpKernel, String> {
        match value {
            None | Some("fixed") => Ok(MpKernel::Fixed),
            Some("mpfr") => Ok(MpKernel::Mpfr),
            Some(v) => Err(format!("{}=`{v}`: expected `fixed` or `mpfr`", MpKernel::VAR)),
        }
    }

    /// The kernel [`MpKernel::VAR`] chooses, or the error naming its bad value.
    pub fn from_env() -> Result<MpKernel, String> {
        let v = std::env::var_os(MpKernel::VAR);
        MpKernel::parse(v.as_ref().map(|v| v.to_str().unwrap_or("(not UTF-8)")))
    }

    /// This process's kernel ([`MpKernel::from_env`], read once; a bad value, which the CLI
    /// refuses at its start, counts as the default).
    pub fn current() -> MpKernel {
        static KERNEL: std::sync::OnceLock<MpKernel> = std::sync::OnceLock::new();
        *KERNEL.get_or_init(|| MpKernel::from_env().unwrap_or(MpKernel::Fixed))
    }

    /// The limbs of the [`super::fixed::Fixed`] that runs `mp:<bits>` under this kernel (4 or
    /// 5), or `None` when MPFR runs it.
    pub fn limbs(self, bits: u32) -> Option<usize> {
        match self {
            MpKernel::Fixed if super::fixed::fits(bits) => Some(if bits <= 256 { 4 } else { 5 }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in ["f32", "f64", "mp:2", "mp:256", "mp:1048576", "binary16", "bfloat16", "binary32", "binary64"] {
            assert_eq!(s.parse::<Precision>().unwrap().to_string(), s);
        }
        for bad in ["mp:1", "mp:0", "mp:1048577", "mp:x", "f16", "double"] {
            assert!(bad.parse::<Precision>().is_err(), "{bad}");
        }
    }
}
