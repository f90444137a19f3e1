//! Hessian methods, each a composition of the generic model code with an AD scalar:
//!
//! | method | composition | unit of parallel work |
//! |---|---|---|
//! | `fwd-rev` | gradient code on [`Dual`](crate::ad::Dual), θ tangent = e_j → column j | a column |
//! | `rev-rev` | gradient code on [`TapeVar`](crate::ad::TapeVar), one reverse sweep per gᵢ → row i | a row |
//! | `fwd-fwd` | loss on [`HyperDual`](crate::ad::HyperDual), (ε₁, ε₂) = (e_i, e_j) → entry (i, j) | a row |
//! | `gauss-newton` | as `fwd-rev`, with the backward pass's Jacobian factors detached → `Jᵀ H_ℓ J e_j` | a column |
//! | `fd-grad-forward`, `fd-grad-central`, `fd-grad-central4` | differences of the exact gradient ([`fd`]) | a column |
//! | `fd-loss-4pt` | second differences of the loss ([`fd`]) | a row |
//!
//! The generalized Gauss–Newton matrix `G = Jᵀ H_ℓ J` (J = ∂a_L/∂θ, H_ℓ = ∂²L/∂a_L²) is the
//! Hessian without the terms that involve second derivatives of the network itself
//! (σ″ and the bilinear W·a coupling); it equals the Hessian when the network is linear in θ.
//! Column j is computed exactly as `fwd-rev` computes `H e_j`, except that in the backward pass
//! the cached `z`, `a` and θ are constants: only the loss gradient's tangent `H_ℓ J e_j` flows.
//!
//! Parallel work units are independent and results are placed by index, so the matrix is
//! bit-identical at any thread count.

pub mod fd;
mod fwd_fwd;
pub mod fwd_rev;
mod rev_rev;

use std::fmt;
use std::str::FromStr;

use std::sync::Arc;

use crate::model::mlp::ActTable;
use crate::model::problem::Inputs;
use crate::model::Spec;
use crate::order::Eval;
use crate::scalar::Real;

/// A way to compute (or approximate) the Hessian.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// Forward-over-reverse: Hessian-vector products, one column per basis vector.
    FwdRev,
    /// Reverse-over-reverse: one reverse sweep per gradient component (a row).
    RevRev,
    /// Forward-over-forward: hyper-dual numbers, one entry per evaluation.
    FwdFwd,
    /// Generalized Gauss–Newton (an approximation).
    GaussNewton,
    /// Forward differences of the exact gradient.
    FdGradForward,
    /// Central differences of the exact gradient.
    FdGradCentral,
    /// Fourth-order central differences of the exact gradient.
    FdGradCentral4,
    /// Four-point second differences of the loss.
    FdLoss4pt,
}

impl Method {
    /// The exact differentiation modes.
    pub const EXACT: [Method; 3] = [Method::FwdRev, Method::RevRev, Method::FwdFwd];
    /// Every method.
    pub const ALL: [Method; 8] = [
        Method::FwdRev,
        Method::RevRev,
        Method::FwdFwd,
        Method::GaussNewton,
        Method::FdGradForward,
        Method::FdGradCentral,
        Method::FdGradCentral4,
        Method::FdLoss4pt,
    ];
    /// The finite-difference methods.
    pub const FINITE_DIFFERENCES: [Method; 4] =
        [Method::FdGradForward, Method::FdGradCentral, Method::FdGradCentral4, Method::FdLoss4pt];

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

/// A P × P matrix of a format.
#[derive(Clone, Debug)]
pub struct Matrix<R> {
    /// Dimension.
    pub p: usize,
    data: Vec<R>,
    col_major: bool,
}

impl<R: Real> Matrix<R> {
    /// From P rows (or columns, if `col_major`), each of length P.
    pub fn from_lines(p: usize, lines: Vec<Vec<R>>, col_major: bool) -> Self {
        debug_assert!(lines.len() == p && lines.iter().all(|l| l.len() == p));
        let mut data = Vec::with_capacity(p * p);
        for line in lines {
            data.extend(line);
        }
        Matrix { p, data, col_major }
    }

    /// Entry (i, j).
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> &R {
        if self.col_major {
            &self.data[j * self.p + i]
        } else {
            &self.data[i * self.p + j]
        }
    }

    /// Whether every entry is bitwise equal to `other`'s.
    pub fn bits_eq(&self, other: &Matrix<R>) -> bool {
        self.p == other.p
            && (0..self.p).all(|i| (0..self.p).all(|j| self.get(i, j).bits_eq(other.get(i, j))))
    }
}

/// Computes the Hessian of `problem` (in format `R`) with `method`, in parallel on the current
/// rayon pool.
pub fn compute<R: Real>(
    method: Method,
    spec: &Spec,
    n: usize,
    inputs: &Inputs<R>,
    eval: &Eval,
    ctx: &R::RCtx,
) -> Matrix<R> {
    compute_with(method, spec, n, inputs, eval, ctx, &Options::default())
}

/// Options of a Hessian computation.
#[derive(Clone, Debug)]
pub struct Options {
    /// Finite-difference step rule (ignored by the other methods).
    pub step: fd::StepRule,
    /// Tabulate the primal's activation derivatives once ([`ActTable`]) instead of recomputing
    /// them in every column/row/entry. Both give the same bits (tested); `false` is the
    /// straightforward path kept as the reference.
    pub reuse_primal: bool,
    /// `fwd-rev`/`gauss-newton`: process [`fwd_rev::LANES`] (`f32`: [`fwd_rev::WIDE_LANES`])
    /// columns per pass with vector tangents (bit-identical to one column per pass, tested;
    /// `false` is the reference path).
    pub vector_lanes: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { step: fd::StepRule::Optimal, reuse_primal: true, vector_lanes: true }
    }
}

/// [`compute`] with explicit [`Options`].
pub fn compute_with<R: Real>(
    method: Method,
    spec: &Spec,
    n: usize,
    inputs: &Inputs<R>,
    eval: &Eval,
    ctx: &R::RCtx,
    opts: &Options,
) -> Matrix<R> {
    if method.is_finite_difference() {
        let bits = R::consts(ctx).one.to_float().prec();
        let h = fd::steps(method, &opts.step, &inputs.theta, bits, ctx);
        return fd::hessian_with_steps(method, spec, n, inputs, eval, ctx, &h, opts.reuse_primal);
    }
    let table = opts
        .reuse_primal
        .then(|| Arc::new(ActTable::compute(spec, n, &inputs.x, &inputs.theta, &inputs.y, eval, ctx)));
    match method {
        Method::FwdRev => fwd_rev::hessian(spec, n, inputs, eval, ctx, false, table, opts.vector_lanes),
        Method::GaussNewton => fwd_rev::hessian(spec, n, inputs, eval, ctx, true, table, opts.vector_lanes),
        Method::RevRev => rev_rev::hessian(spec, n, inputs, eval, ctx, table),
        Method::FwdFwd => fwd_fwd::hessian(spec, n, inputs, eval, ctx, table),
        _ => unreachable!("finite differences handled above"),
    }
}

/// The loss and its gradient in format `R` (the primal computation every method builds on).
pub fn gradient<R: Real>(
    spec: &Spec,
    n: usize,
    inputs: &Inputs<R>,
    eval: &Eval,
    ctx: &R::RCtx,
) -> (R, Vec<R>) {
    let mut ws = crate::model::mlp::Workspace::new(spec, n, &inputs.x, ctx);
    crate::model::mlp::gradient(spec, n, &inputs.theta, &inputs.y, eval, &mut ws, ctx);
    (ws.loss, ws.grad)
}
