//! The **role attribution** of a row under a precision policy: its rounding part
//! `H − H(t)` split by the role of the dot products' arithmetic that causes it — `mul` (the
//! inputs' conversion), `acc` (the summation), `out` (the result's conversion), `elementwise`
//! (everything else, and the storage of every value in the run's format).
//!
//! The split telescopes over runs that degrade one role at a time, in that order, the roles
//! not yet degraded at the truth's precision ([`PrecisionPolicy::role_chain`] spells the
//! runs' policies): H₀ = H(t) (uniform at truth precision), H₁ (`mul` only), H₂ (`mul`, `acc`),
//! H₃ (`mul`, `acc`, `out`), all at truth precision on the same rounded inputs and order, and
//! H₄ = H itself; each part is `H_k − H_{k−1}`, so the parts sum to the rounding part
//! exactly, and the `residual` ‖(H − H(t)) − Σ parts‖/‖T‖ (the differences formed at truth
//! precision + 64 bits) sits at the truth's rounding level. A run that provably equals the
//! one before it is not computed ([`PrecisionPolicy::out_changes_nothing`]: H₃ = H₂, its part
//! exactly 0). Each part is whole and antisymmetric, as every part of the attribution
//! ([`Part`]); [`Roles::dominant`] and [`Roles::asym_dominant`] name the largest of each.
//! Finite-difference methods take, in every run, the steps they took at the working precision,
//! as H(t) does.

use rug::{Assign, Float};

use super::norms::{AntiSum, Norms, Part};
use super::NON_FINITE;
use crate::hessian::fd;
use crate::hessian::{self, Method};
use crate::model::problem::Inputs;
use crate::model::Spec;
use crate::order::{Eval, Order};
use crate::packed::PackedMatrix;
use crate::scalar::matmul::{PrecisionPolicy, ROLES};
use crate::scalar::MpCtx;

/// A row's rounding part split by role (see the module documentation).
#[derive(Clone, Debug)]
pub struct Roles {
    /// `H₁ − H₀`: the conversion of the dot products' inputs to `mul` (and `passes`' split).
    pub mul: Part,
    /// `H₂ − H₁`: their summation (`acc`, `prod`, `promote`, the combination of passes).
    pub acc: Part,
    /// `H₃ − H₂`: the conversion of their results to `out` (`round`, `sat`).
    pub out: Part,
    /// `H − H₃`: element-wise work and storage in the run's format.
    pub elementwise: Part,
    /// ‖(H − H₀) − Σ parts‖/‖T‖.
    pub residual: Float,
    /// The role with the largest part (whole), `none` when every part is 0, or
    /// [`NON_FINITE`].
    pub dominant: &'static str,
    /// The role with the largest antisymmetric part, `none` when every one is 0, or
    /// [`NON_FINITE`].
    pub asym_dominant: &'static str,
}

impl Roles {
    /// The parts in the order of [`ROLES`].
    pub fn parts(&self) -> [&Part; 4] {
        [&self.mul, &self.acc, &self.out, &self.elementwise]
    }
}

/// What a role run needs: the problem, the inputs rounded to the working precision (at truth
/// precision), the method's steps (finite differences) and the truth's context.
pub(super) struct RoleRun<'a> {
    pub(super) spec: &'a Spec,
    pub(super) n: usize,
    pub(super) q: &'a Inputs<Float>,
    pub(super) steps: Option<&'a [Float]>,
    pub(super) ctx: &'a MpCtx,
}

impl RoleRun<'_> {
    /// H₁, H₂ and H₃ (`None` when it equals H₂) of `policy` for `method` in `order`; `None`
    /// for `uniform`.
    pub(super) fn chain(&self, method: Method, order: Order, policy: &PrecisionPolicy) -> Option<(PackedMatrix, PackedMatrix, Option<PackedMatrix>)> {
        let [h1, h2, h3] = policy.role_chain()?;
        let run = |p: &PrecisionPolicy| {
            let eval = Eval::new(order, self.spec.sum_lengths(self.n)).with_policy(p);
            match self.steps {
                Some(s) => fd::hessian_with_steps(method, self.spec, self.n, self.q, &eval, self.ctx, s, true).into_packed(),
                None => hessian::compute(method, self.spec, self.n, self.q, &eval, self.ctx).into_packed(),
            }
        };
        Some((run(&h1), run(&h2), (!policy.out_changes_nothing()).then(|| run(&h3))))
    }
}

/// The role parts of H against its truth-precision runs `hhi` (H₀) and `chain` (H₁, H₂, H₃),
/// relative to ‖T‖ = `norm_t`, the differences formed at `wide` bits.
pub(super) fn parts(h: &PackedMatrix, hhi: &PackedMatrix, chain: &(PackedMatrix, PackedMatrix, Option<PackedMatrix>), norm_t: &Float, wide: u32) -> Roles {
    let (h1, h2, h3) = (&chain.0, &chain.1, chain.2.as_ref().unwrap_or(&chain.1));
    // H₀ … H₄
    let runs = [hhi, h1, h2, h3, h];
    let p = h.p;
    let mut acc: [Norms; 5] = std::array::from_fn(|_| Norms::new(AntiSum::EachEntry));
    let mut e: [[Float; 2]; 5] = std::array::from_fn(|_| [Float::new(wide), Float::new(wide)]);
    // the four parts and the residual, at (i, j) and (j, i)
    let mut d: [[Float; 2]; 5] = std::array::from_fn(|_| [Float::new(wide), Float::new(wide)]);
    for i in 0..p {
        for j in i..p {
            for (s, (a, b)) in [(i, j), (j, i)].into_iter().enumerate() {
                for (x, m) in e.iter_mut().zip(runs) {
                    m.get_into(a, b, &mut x[s]);
                }
                for k in 0..4 {
                    d[k][s].assign(&e[k + 1][s] - &e[k][s]);
                }
                // residual = (H − H₀) − Σ parts
                let [d0, d1, d2, d3, r] = &mut d;
                r[s].assign(&e[4][s] - &e[0][s]);
                for part in [&*d0, &*d1, &*d2, &*d3] {
                    r[s] -= &part[s];
                }
            }
            for (a, dd) in acc.iter_mut().zip(&d) {
                if i == j {
                    a.diag(&dd[0]);
                } else {
                    a.pair(&dd[0], &dd[1], false);
                }
            }
        }
    }
    let [mul, acc_, out, elementwise, residual] = acc.map(|a| a.relative(norm_t));
    let all = [&mul, &acc_, &out, &elementwise];
    let finite = all.iter().all(|q| q.total.is_finite() && q.antisym.is_finite());
    let largest = |f: fn(&Part) -> &Float| -> &'static str {
        if !finite {
            return NON_FINITE;
        }
        let (k, best) = all.iter().enumerate().fold((0, f(all[0])), |(k, b), (i, q)| if f(q) > b { (i, f(q)) } else { (k, b) });
        if best.is_zero() { "none" } else { ROLES[k] }
    };
    let (dominant, asym_dominant) = (largest(|q| &q.total), largest(|q| &q.antisym));
    Roles { mul, acc: acc_, out, elementwise, residual: residual.total, dominant, asym_dominant }
}
