//! # Clairaut
//!
//! When a computed Hessian of a neural-network loss is not symmetric, or not right, *why*?
//! Clairaut computes the same MLP loss Hessian at `f32`, `f64`, emulated IEEE formats and MPFR
//! multi-precision, in three exact differentiation modes and every summation order, and
//! compares the results.
//!
//! Layout, bottom-up — each layer builds on the ones before it:
//!
//! 1. [`scalar`] — the arithmetic: formats, elementary functions ([`scalar::elementary`]) and
//!    summation orders ([`scalar::order`]); it depends on nothing else in the crate
//!    (`tests/it/layering.rs`);
//! 2. [`ad`] — dual, hyper-dual and tape scalars, and the lane kernels of vector dual numbers;
//! 3. [`model`] — MLP, losses, problem files;
//! 4. [`hessian`] — the methods (storing matrices with [`packed`], the compact exact storage
//!    of MPFR numbers, which depends on nothing in the crate);
//! 5. [`metrics`], [`output`] (matrix files), the analysis, result files and reports, and
//!    [`cli`] (the `clairaut` command).

#![warn(missing_docs)]

pub mod ad;
pub mod analysis;
pub mod cli;
pub mod error;
pub mod experiment;
pub mod export;
pub mod hessian;
pub mod metrics;
pub mod model;
pub mod output;
pub mod packed;
pub mod results;
pub mod scalar;
pub mod study;
pub mod truth;

pub use error::Error;
/// Orders are part of the arithmetic layer; re-exported for brevity.
pub use scalar::order;
