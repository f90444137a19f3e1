//! Hessian methods, each a composition of the generic model code with an AD scalar:
//!
//! | method | composition | unit of parallel work |
//! |---|---|---|
//! | `fwd-rev` | gradient code on [`Dual`](crate::ad::Dual), θ tangent = e_j → column j | a column |
//! | `rev-rev` | gradient code on [`TapeVar`](crate::ad::TapeVar), one reverse sweep per gᵢ → row i | a row |
//! | `fwd-fwd` | loss on [`HyperDual`](crate::ad::HyperDual), (ε₁, ε₂) = (e_i, e_j) → entry (i, j) | a row |
//! | `gauss-newton` | as `fwd-rev`, with the backward pass's Jacobian factors detached → `Jᵀ H_ℓ J e_j` | a column |
//!
//! The generalized Gauss–Newton matrix `G = Jᵀ H_ℓ J` (J = ∂a_L/∂θ, H_ℓ = ∂²L/∂a_L²) is the
//! Hessian without the terms that involve second derivatives of the network itself
//! (σ″ and the bilinear W·a coupling); it equals the Hessian when the network is linear in θ.
//! Column j is computed exactly as `fwd-rev` computes `H e_j`, except that in the backward pass
//! the cached `z`, `a` and θ are constants: only the loss gradient's tangent `H_ℓ J e_j` flows.
//!
//! Parallel work units are independent and results are placed by index, so the matrix is
//! bit-identical at any thread count.

mod fwd_fwd;
mod fwd_rev;
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
}

impl Method {
    /// The exact differentiation modes.
    pub const EXACT: [Method; 3] = [Method::FwdRev, Method::RevRev, Method::FwdFwd];
    /// Every method.
    pub const ALL: [Method; 4] = [Method::FwdRev, Method::RevRev, Method::FwdFwd, Method::GaussNewton];

    /// Canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Method::FwdRev => "fwd-rev",
            Method::RevRev => "rev-rev",
            Method::FwdFwd => "fwd-fwd",
            Method::GaussNewton => "gauss-newton",
        }
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
        Matrix { p, data: lines.into_iter().flatten().collect(), col_major }
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
    compute_with(method, spec, n, inputs, eval, ctx, true)
}

/// [`compute`], choosing whether the primal's activation derivatives are tabulated once
/// ([`ActTable`]) or recomputed in every column/row/entry. Both give the same bits (tested);
/// `reuse_primal = false` is the straightforward path kept as the reference.
pub fn compute_with<R: Real>(
    method: Method,
    spec: &Spec,
    n: usize,
    inputs: &Inputs<R>,
    eval: &Eval,
    ctx: &R::RCtx,
    reuse_primal: bool,
) -> Matrix<R> {
    let table = reuse_primal
        .then(|| Arc::new(ActTable::compute(spec, n, &inputs.x, &inputs.theta, &inputs.y, eval, ctx)));
    match method {
        Method::FwdRev => fwd_rev::hessian(spec, n, inputs, eval, ctx, false, table),
        Method::GaussNewton => fwd_rev::hessian(spec, n, inputs, eval, ctx, true, table),
        Method::RevRev => rev_rev::hessian(spec, n, inputs, eval, ctx, table),
        Method::FwdFwd => fwd_fwd::hessian(spec, n, inputs, eval, ctx, table),
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
    crate::model::mlp::forward(spec, n, &inputs.theta, &inputs.y, eval, &mut ws, ctx);
    crate::model::mlp::backward(spec, n, &inputs.theta, eval, &mut ws, ctx);
    (ws.loss, ws.grad)
}
