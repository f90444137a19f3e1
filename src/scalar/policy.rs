//! The rounding policies a context is built with, by name: the math library of `f32`/`f64`
//! transcendentals ([`MathLib`]) and whether sums of products fuse ([`FmaPolicy`]).
//!
//! Both are named on the command line and in experiment files; `FromStr` and `Display` use the
//! same names as clap's `ValueEnum`, and `FromStr`'s error is one line naming the value.

use std::fmt;
use std::str::FromStr;

/// Which math library provides `f32`/`f64` transcendentals (`exp`, `ln`, `ln_1p`, `tanh`, `erf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum MathLib {
    /// CORE-MATH: correctly rounded, hence identical on every platform and equal to MPFR.
    #[value(name = "core-math")]
    CoreMath,
    /// The `libm` crate (a port of musl): portable but not correctly rounded.
    #[value(name = "libm")]
    Libm,
}

impl MathLib {
    /// The canonical name used on the command line and in result files.
    pub fn name(self) -> &'static str {
        match self {
            MathLib::CoreMath => "core-math",
            MathLib::Libm => "libm",
        }
    }
}

impl FromStr for MathLib {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "core-math" => Ok(MathLib::CoreMath),
            "libm" => Ok(MathLib::Libm),
            other => Err(format!("unknown math library `{other}` (expected core-math or libm)")),
        }
    }
}

/// The FMA policy: whether a product and a sum (`a·b + c`, in dot products and in the
/// derivative rules of dual numbers) round once (`fma`) or twice (`no-fma`).
///
/// Contexts and result files keep it as a `bool` (`fma: true` is [`FmaPolicy::Fma`]); this is
/// its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum FmaPolicy {
    /// Every product is rounded before it is added.
    #[value(name = "no-fma")]
    NoFma,
    /// `a·b + c` is fused: one rounding.
    #[value(name = "fma")]
    Fma,
}

impl FmaPolicy {
    /// Both policies.
    pub const ALL: [FmaPolicy; 2] = [FmaPolicy::NoFma, FmaPolicy::Fma];

    /// The canonical name: `fma` or `no-fma`.
    pub fn name(self) -> &'static str {
        match self {
            FmaPolicy::NoFma => "no-fma",
            FmaPolicy::Fma => "fma",
        }
    }

    /// Whether products and sums fuse (the `fma` flag of a context).
    pub fn fused(self) -> bool {
        self == FmaPolicy::Fma
    }

    /// The policy of a context's `fma` flag.
    pub fn from_fused(fma: bool) -> Self {
        if fma {
            FmaPolicy::Fma
        } else {
            FmaPolicy::NoFma
        }
    }
}

impl fmt::Display for FmaPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FmaPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "fma" => Ok(FmaPolicy::Fma),
            "no-fma" => Ok(FmaPolicy::NoFma),
            other => Err(format!("unknown FMA policy `{other}` (expected fma or no-fma)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    #[test]
    fn names_agree_with_clap_and_round_trip() {
        for p in FmaPolicy::ALL {
            assert_eq!(p.to_string().parse::<FmaPolicy>().unwrap(), p);
            assert_eq!(p.to_possible_value().unwrap().get_name(), p.name());
            assert_eq!(FmaPolicy::from_fused(p.fused()), p);
        }
        assert!("fma".parse::<FmaPolicy>().unwrap().fused());
        assert!(!"no-fma".parse::<FmaPolicy>().unwrap().fused());
        assert_eq!("FMA".parse::<FmaPolicy>().unwrap_err(), "unknown FMA policy `FMA` (expected fma or no-fma)");
        for m in [MathLib::CoreMath, MathLib::Libm] {
            assert_eq!(m.name().parse::<MathLib>().unwrap(), m);
            assert_eq!(m.to_possible_value().unwrap().get_name(), m.name());
        }
    }
}
