//! Lane kernels: the term-by-term dot product of `K`-lane dual numbers ([`DualVec`]), per format.
//!
//! [`DualVec`]'s `dot_in_order` and `dot_tangents_in_order` ([`Scalar`]'s) forward to its
//! format's [`LaneDot`]. The definition — the operations of
//! [`order::dot_in_order`] on `DualVec` — is the default;
//! a format may arrange the same operations for speed, bit for bit the same result:
//!
//! * `f32`/`f64` ([`hw`]): the lanes run as one vector loop (AVX intrinsics where the CPU has
//!   them, checked at run time), and `f32` carries [`LaneDot::WIDE_LANES`] columns per pass;
//! * MPFR ([`rug::Float`]) and its fixed-width twin ([`Fixed`]): given the value, only the
//!   lanes are computed ([`dot_tangents_definition`]);
//! * `binary16`/`bfloat16` ([`Narrow`]): the definition.
//!
//! These kernels mention dual numbers, so they live here rather than in the arithmetic layer,
//! which knows nothing of differentiation.
//!
//! [`Scalar`]: crate::scalar::Scalar

pub mod hw;

use rug::Float;

use super::dualvec::dot_tangents_definition;
use super::DualVec;
use crate::scalar::fixed::Fixed;
use crate::scalar::narrow::Narrow;
use crate::scalar::order::{self, PolicyDot, PolicyScratch, Strided};
use crate::scalar::Real;

/// A format's dot-product kernels for [`DualVec`] (speed only: every implementation gives the
/// bits of the definition, tested in `tests/it/bit_identity.rs`).
pub trait LaneDot: Real {
    /// Whether code that picks a lane count should take twice the usual number for this format
    /// (`f32`: as many bytes of tangents as `f64`'s 8 lanes, two 256-bit vectors). Speed only:
    /// every lane count gives the same bits.
    const WIDE_LANES: bool = false;

    /// [`Scalar::dot_in_order`](crate::scalar::Scalar::dot_in_order) of `K`-lane dual numbers:
    /// the definition by default; `f32` and `f64` run the lanes as one vector loop (see
    /// [`hw`]), bit for bit the same result.
    #[inline(always)]
    fn dot_lanes<const K: usize>(
        out: &mut DualVec<Self, K>,
        a: Strided<'_, DualVec<Self, K>>,
        b: Strided<'_, DualVec<Self, K>>,
        idx: impl Fn(usize) -> usize,
        tmp: &mut DualVec<Self, K>,
        ctx: &Self::RCtx,
    ) {
        order::dot_in_order(out, a, b, idx, tmp, ctx)
    }

    /// [`Scalar::dot_tangents_in_order`](crate::scalar::Scalar::dot_tangents_in_order) of
    /// `K`-lane dual numbers: by default the whole [`LaneDot::dot_lanes`] (for `f32`/`f64` the
    /// value rides along in the vector loop almost for free); MPFR computes only the lanes ([`dot_tangents_definition`]).
    #[inline(always)]
    fn dot_lane_tangents<const K: usize>(
        out: &mut DualVec<Self, K>,
        a: Strided<'_, DualVec<Self, K>>,
        b: Strided<'_, DualVec<Self, K>>,
        idx: impl Fn(usize) -> usize,
        tmp: &mut DualVec<Self, K>,
        value: &Self,
        ctx: &Self::RCtx,
    ) {
        let _ = value;
        Self::dot_lanes(out, a, b, idx, tmp, ctx)
    }

    /// The tangent lanes of [`Scalar::dot_policy`](crate::scalar::Scalar::dot_policy) of
    /// `K`-lane dual numbers at once ([`policy_tangents`]); `false` (nothing done) where the
    /// lanes are to be computed one by one, by the definition. `f32` and `f64` first reuse
    /// operands converted once per matrix product ([`PolicyDot::tangents_cached`]), else
    /// convert the terms in the vector loop itself ([`PolicyDot::tangents_fused`]). Speed only:
    /// every path gives the definition's bits (`tests/it/policy_lanes.rs`).
    #[inline(always)]
    fn policy_lanes<const K: usize>(
        out: &mut DualVec<Self, K>,
        a: Strided<'_, DualVec<Self, K>>,
        b: Strided<'_, DualVec<Self, K>>,
        pd: &PolicyDot<'_>,
        s: &mut PolicyScratch,
        ctx: &Self::RCtx,
    ) -> bool {
        policy_tangents(out, a, b, pd, s, ctx)
    }
}

/// [`PolicyDot::tangents`] of `K`-lane dual numbers: every format's way to all the lanes of a
/// policy dot at once (and the fallback of the faster ways of `f32`/`f64`).
#[inline(always)]
pub fn policy_tangents<R: Real, const K: usize>(
    out: &mut DualVec<R, K>,
    a: Strided<'_, DualVec<R, K>>,
    b: Strided<'_, DualVec<R, K>>,
    pd: &PolicyDot<'_>,
    s: &mut PolicyScratch,
    ctx: &R::RCtx,
) -> bool {
    pd.tangents(&mut out.t, a.len(), (|k| &a.get(k).v, |k| &b.get(k).v), (|k| &a.get(k).t, |k| &b.get(k).t), s, ctx)
}

/// [`LaneDot`] for a format whose primitives are dear enough that, given the value, only the
/// lanes are computed ([`dot_tangents_definition`]): `tangents_only!([generics] Type, "doc")`.
macro_rules! tangents_only {
    ([$($g:tt)*] $t:ty, $doc:literal) => {
        #[doc = $doc]
        impl<$($g)*> LaneDot for $t {
            #[inline(always)]
            fn dot_lane_tangents<const K: usize>(
                out: &mut DualVec<Self, K>,
                a: Strided<'_, DualVec<Self, K>>,
                b: Strided<'_, DualVec<Self, K>>,
                idx: impl Fn(usize) -> usize,
                tmp: &mut DualVec<Self, K>,
                value: &Self,
                ctx: &Self::RCtx,
            ) {
                dot_tangents_definition(out, a, b, idx, tmp, value, ctx)
            }
        }
    };
}

tangents_only!([] Float, "MPFR: at its prices the value's own product and sum per term are worth skipping when the primal has computed them.");
tangents_only!([const L: usize] Fixed<L>, "The fixed-width `mp:<bits>` (bit-identical to MPFR): as MPFR.");

/// Intervals (the ball truth): the definition.
impl LaneDot for crate::scalar::interval::Interval {}

/// `binary16`/`bfloat16`: the definition.
impl<const P: u32> LaneDot for Narrow<P> {}
