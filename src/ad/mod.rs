//! Automatic differentiation scalars — the layer above the arithmetic ([`crate::scalar`]),
//! which it builds on and which knows nothing of it. Each is itself a
//! [`crate::scalar::Scalar`], so the generic model code runs on it unchanged: differentiation
//! modes are compositions, not rewrites.
//!
//! * [`Dual`] — forward mode (one tangent); [`DualVec`] — K tangents (K columns per pass);
//! * [`HyperDual`] — forward-over-forward (two tangents and their cross term);
//! * [`TapeVar`] — reverse mode on a recorded [`Tape`]; [`Sweep`] — one reverse sweep,
//!   [`LaneSweep`] — K sweeps in one walk of the tape, bit for bit K [`Sweep`]s;
//! * [`lanes`] — the dot-product kernels of [`DualVec`] per format ([`LaneDot`]: vector loops
//!   for `f32`/`f64`, lanes only for MPFR);
//! * [`dispatch`] — from a run-time [`Arith`](crate::scalar::precision::Arith) to code generic
//!   over the format ([`WithReal`]), which may use everything this layer gives a format.
//!
//! Layers, bottom-up: `scalar` (formats, elementary functions, orders) ← `ad` ← `model` ←
//! `hessian` ← analysis, results and the command line.

pub mod dispatch;
pub mod dual;
pub mod dualvec;
pub mod hyperdual;
pub mod lanes;
pub mod sweep_lanes;
pub mod tape;

pub use dispatch::WithReal;
pub use dual::Dual;
pub use dualvec::DualVec;
pub use hyperdual::HyperDual;
pub use lanes::LaneDot;
pub use sweep_lanes::LaneSweep;
pub use tape::{NodeId, Sweep, Tape, TapeCtx, TapeVar};
