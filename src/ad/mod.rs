//! Automatic differentiation scalars. Each is itself a [`crate::scalar::Scalar`], so the generic
//! model code runs on it unchanged: differentiation modes are compositions, not rewrites.
//!
//! * [`Dual`] — forward mode (one tangent); [`DualVec`] — K tangents (K columns per pass);
//! * [`HyperDual`] — forward-over-forward (two tangents and their cross term);
//! * [`TapeVar`] — reverse mode on a recorded [`Tape`].

pub mod dual;
pub mod dualvec;
pub mod hyperdual;
pub mod tape;

pub use dual::Dual;
pub use dualvec::DualVec;
pub use hyperdual::HyperDual;
pub use tape::{Sweep, Tape, TapeCtx, TapeVar};
