//! Names of the Hessian methods and the finite-difference step rules — the vocabulary the
//! command line, configurations, result files and exporters share, kept apart from the engine
//! ([`crate::hessian`]) so that naming a method imports no Hessian code. Only the scalar layer
//! is below this module.
//!
//! | method | what it computes |
//! |---|---|
//! | `fwd-rev`, `rev-rev`, `fwd-fwd` | the Hessian, exactly up to rounding, in three differentiation modes |
//! | `gauss-newton` | the generalized Gauss–Newton matrix `Jᵀ H_ℓ J` (an approximation) |
//! | `fd-grad-forward`, `fd-grad-central`, `fd-grad-central4` | differences of the exact gradient |
//! | `fd-loss-4pt` | second differences of the loss |
//! | `fd-loss-4pt-as-printed` | the TF2 article's Example 2 formula as printed (its rounding residue) |
//!
//! A finite-difference method takes a step rule (ε = 2^(1−bits), the spacing of the working
//! format at 1): `fixed:<h>` (h_j = h), `relative:<h>` (h_j = h·max(1, |θ_j|), one rounding),
//! `optimal` (h_j = ε^(1/k)·max(1, |θ_j|) with k = [`optimal_root`]: 2 for forward, 3 for
//! central, 5 for fourth-order central gradient differences, 4 for second differences of the
//! loss; ε^(1/k) correctly rounded into the format). Each h_j is a value of the working format
//! ([`steps`]); the step actually taken, `(θ_j ⊕ h_j) − θ_j`, can differ from it and is
//! reported by [`actual_steps`]. The schemes themselves are in [`crate::hessian::fd`].

use std::fmt;
use std::str::FromStr;

use rug::ops::Pow;
use rug::Float;

use crate::scalar::Real;

/// A way to compute (or approximate) the Hessian.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Method {
    /// Forward-over-reverse: Hessian-vector products, one column per basis vector.
    #[value(name = "fwd-rev")]
    FwdRev,
    /// Reverse-over-reverse: one reverse sweep per gradient component (a row).
    #[value(name = "rev-rev")]
    RevRev,
    /// Forward-over-forward: hyper-dual numbers, one entry per evaluation.
    #[value(name = "fwd-fwd")]
    FwdFwd,
    /// Generalized Gauss–Newton (an approximation).
    #[value(name = "gauss-newton")]
    GaussNewton,
    /// Forward differences of the exact gradient.
    #[value(name = "fd-grad-forward")]
    FdGradForward,
    /// Central differences of the exact gradient.
    #[value(name = "fd-grad-central")]
    FdGradCentral,
    /// Fourth-order central differences of the exact gradient.
    #[value(name = "fd-grad-central4")]
    FdGradCentral4,
    /// Four-point second differences of the loss.
    #[value(name = "fd-loss-4pt")]
    FdLoss4pt,
    /// The TF2 article's Example 2 formula as printed, `((L₊₊ + L₋₋) − L₊₊) − L₋₋` over
    /// `4·(h_i·h_j)`: zero in exact arithmetic, its rounding residue otherwise
    /// ([`crate::hessian::fd`]).
    #[value(name = "fd-loss-4pt-as-printed")]
    FdLoss4ptAsPrinted,
}

impl Method {
    /// The exact differentiation modes.
    pub const EXACT: [Method; 3] = [Method::FwdRev, Method::RevRev, Method::FwdFwd];
    /// Every method.
    pub const ALL: [Method; 9] = [
        Method::FwdRev,
        Method::RevRev,
        Method::FwdFwd,
        Method::GaussNewton,
        Method::FdGradForward,
        Method::FdGradCentral,
        Method::FdGradCentral4,
        Method::FdLoss4pt,
        Method::FdLoss4ptAsPrinted,
    ];
    /// The finite-difference methods.
    pub const FINITE_DIFFERENCES: [Method; 5] =
        [Method::FdGradForward, Method::FdGradCentral, Method::FdGradCentral4, Method::FdLoss4pt, Method::FdLoss4ptAsPrinted];

    /// Canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Method::FwdRev => "fwd-rev",
            Method::RevRev => "rev-rev",
            Method::FwdFwd => "fwd-fwd",
            Method::GaussNewton => "gauss-newton",
            Method::FdGradForward => "fd-grad-forward",
            Method::FdGradCentral => "fd-grad-central",
            Method::FdGradCentral4 => "fd-grad-central4",
            Method::FdLoss4pt => "fd-loss-4pt",
            Method::FdLoss4ptAsPrinted => "fd-loss-4pt-as-printed",
        }
    }

    /// Whether the method is exact (up to rounding) rather than an approximation.
    pub fn is_exact(self) -> bool {
        Self::EXACT.contains(&self)
    }

    /// Whether the method takes a finite-difference step.
    pub fn is_finite_difference(self) -> bool {
        Self::FINITE_DIFFERENCES.contains(&self)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| {
            format!(
                "unknown method `{s}` (expected {})",
                Self::ALL.map(|m| m.name()).join(", ")
            )
        })
    }
}

/// How the finite-difference step is chosen.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StepRule {
    /// h_j = h (decimal text, rounded once into the format).
    Fixed(String),
    /// h_j = h·max(1, |θ_j|).
    Relative(String),
    /// h_j = ε^(1/k)·max(1, |θ_j|), k as the scheme needs.
    Optimal,
}

impl fmt::Display for StepRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepRule::Fixed(h) => write!(f, "fixed:{h}"),
            StepRule::Relative(h) => write!(f, "relative:{h}"),
            StepRule::Optimal => f.write_str("optimal"),
        }
    }
}

impl FromStr for StepRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "optimal" {
            return Ok(StepRule::Optimal);
        }
        let (kind, h) = s.split_once(':').ok_or_else(|| {
            format!("unknown step rule `{s}` (expected optimal, fixed:<h> or relative:<h>)")
        })?;
        let ok = matches!(h.parse::<f64>(), Ok(v) if v.is_finite() && v > 0.0)
            && Float::parse(h).is_ok();
        if !ok {
            return Err(format!("step `{s}`: h must be a positive finite decimal number"));
        }
        match kind {
            "fixed" => Ok(StepRule::Fixed(h.to_string())),
            "relative" => Ok(StepRule::Relative(h.to_string())),
            _ => Err(format!("unknown step rule `{s}` (expected optimal, fixed:<h> or relative:<h>)")),
        }
    }
}

/// The exponent k of the optimal step ε^(1/k) of a finite-difference method.
pub fn optimal_root(method: Method) -> Option<u32> {
    match method {
        Method::FdGradForward => Some(2),
        Method::FdGradCentral => Some(3),
        Method::FdGradCentral4 => Some(5),
        Method::FdLoss4pt | Method::FdLoss4ptAsPrinted => Some(4),
        _ => None,
    }
}

/// The nominal steps h_j in the working format.
pub fn steps<R: Real>(method: Method, rule: &StepRule, theta: &[R], bits: u32, ctx: &R::RCtx) -> Vec<R> {
    let c = R::consts(ctx);
    let base = match rule {
        StepRule::Fixed(h) | StepRule::Relative(h) => R::parse_decimal(h, ctx),
        StepRule::Optimal => {
            let k = optimal_root(method).expect("a finite-difference method");
            // ε^(1/k) = 2^((1 − bits)/k), correctly rounded (computed with 64 guard bits)
            let e = Float::with_val(bits + 64, 1i32 - bits as i32) / k;
            let v = Float::with_val(bits + 64, 2).pow(&e);
            R::from_float(&v, ctx)
        }
    };
    theta
        .iter()
        .map(|t| match rule {
            StepRule::Fixed(_) => base.clone(),
            StepRule::Relative(_) | StepRule::Optimal => {
                let mut a = t.clone();
                a.set_abs(t, ctx);
                if a.gt(&c.one) {
                    let mut h = a.clone();
                    h.set_mul(&base, &a, ctx);
                    h
                } else {
                    base.clone()
                }
            }
        })
        .collect()
}

/// The steps actually taken, `(θ_j ⊕ h_j) − θ_j` (exact: computed in MPFR).
pub fn actual_steps<R: Real>(theta: &[R], h: &[R], ctx: &R::RCtx) -> Vec<Float> {
    theta
        .iter()
        .zip(h)
        .map(|(t, hj)| {
            let mut moved = t.clone();
            moved.set_add(t, hj, ctx);
            let (a, b) = (moved.to_float(), t.to_float());
            Float::with_val(a.prec().max(b.prec()) + 64, &a - &b)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn the_command_line_and_the_configs_spell_methods_alike() {
        for m in Method::ALL {
            assert_eq!(m.to_possible_value().map(|v| v.get_name().to_string()), Some(m.name().to_string()));
            assert_eq!(m.name().parse::<Method>(), Ok(m));
            assert_eq!(<Method as ValueEnum>::from_str(m.name(), false), Ok(m));
        }
        assert_eq!(Method::value_variants(), Method::ALL);
        assert!("newton".parse::<Method>().unwrap_err().contains("fd-loss-4pt"));
    }

    #[test]
    fn step_rules_read_back_as_written() {
        for s in ["optimal", "fixed:1e-4", "relative:0.001"] {
            assert_eq!(s.parse::<StepRule>().map(|r| r.to_string()), Ok(s.to_string()));
        }
        assert!("fixed:-1".parse::<StepRule>().is_err() && "h:1".parse::<StepRule>().is_err());
        assert_eq!(Method::FINITE_DIFFERENCES.map(optimal_root), [Some(2), Some(3), Some(5), Some(4), Some(4)]);
        assert!(Method::EXACT.iter().all(|&m| optimal_root(m).is_none()));
    }
}
