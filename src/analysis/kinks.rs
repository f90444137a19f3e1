//! The kink report: relu and leaky_relu pre-activations within a tolerance of 0, where σ″ is a
//! Dirac delta (of weight 1 − α for leaky_relu:α) and the exact Hessian is not defined, and the
//! Hessian entries that this leaves undefined.

use rug::Float;

use crate::model::mlp::{forward, Workspace};
use crate::model::problem::Inputs;
use crate::model::Problem;
use crate::order::{Eval, Order};
use crate::scalar::MpCtx;

/// How many kinks the record lists (it counts them all).
pub const LISTED: usize = 100;

/// A pre-activation of a relu or leaky_relu unit within the tolerance of the kink.
#[derive(Clone, Debug)]
pub struct Kink {
    /// Sample.
    pub sample: usize,
    /// Layer (1-based).
    pub layer: usize,
    /// Unit.
    pub unit: usize,
    /// z at truth precision (nearest f64).
    pub z: f64,
}

/// Kink report.
#[derive(Clone, Debug)]
pub struct KinkReport {
    /// Tolerance on |z|.
    pub tolerance: f64,
    /// The kinks found.
    pub kinks: Vec<Kink>,
    /// Number of Hessian entries whose exact value is undefined at a kink.
    pub flagged_entries: u64,
    /// Flag per entry, row-major (true: not defined).
    pub flagged: Vec<bool>,
}

/// Relu and leaky_relu pre-activations within `tol` of 0, and the Hessian entries undefined there.
///
/// At a kink of unit k of layer l, σ″ is a Dirac delta, so ∂²L/∂θ_i∂θ_j is undefined for every
/// pair (i, j) of parameters that both move z_{l,k}: the unit's incoming weights and bias (if
/// its layer has one), and every parameter of the layers below.
pub fn kinks(pr: &Problem, inputs: &Inputs<Float>, ctx: &MpCtx, tol: f64) -> KinkReport {
    let spec = &pr.spec;
    let p = spec.num_params();
    let mut ws = Workspace::new(spec, pr.n, &inputs.x, ctx);
    forward(spec, pr.n, &inputs.theta, &inputs.y, &Eval::new(Order::Exact, spec.sum_lengths(pr.n)), &mut ws, ctx);
    let mut found = Vec::new();
    let mut flagged = vec![false; p * p];
    for l in 1..=spec.depth() {
        if !spec.activations[l - 1].has_kink() {
            continue;
        }
        let d = spec.layers[l];
        for (k, z) in ws.z[l].iter().enumerate() {
            if z.clone().abs() <= tol {
                let unit = k % d;
                found.push(Kink { sample: k / d, layer: l, unit, z: z.to_f64() });
                let din = spec.layers[l - 1];
                let mut params: Vec<usize> = (0..spec.w_offset(l)).collect();
                params.extend((0..din).map(|i| spec.w_offset(l) + i * d + unit));
                params.extend(spec.b_offset(l).map(|b0| b0 + unit));
                for &i in &params {
                    for &j in &params {
                        flagged[i * p + j] = true;
                    }
                }
            }
        }
    }
    KinkReport {
        tolerance: tol,
        flagged_entries: flagged.iter().filter(|&&f| f).count() as u64,
        kinks: found,
        flagged,
    }
}
