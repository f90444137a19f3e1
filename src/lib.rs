//! # Clairaut
//!
//! When a computed Hessian of a neural-network loss is not symmetric, or not right, *why*?
//! Clairaut computes the same MLP loss Hessian at `f32`, `f64`, emulated IEEE formats and MPFR
//! multi-precision, in three exact differentiation modes and every summation order, and
//! compares the results.
//!
//! Layout: [`scalar`] (formats), [`ad`] (dual, hyper-dual, tape scalars), [`order`] (summation
//! orders), [`model`] (MLP, losses, problem files), [`hessian`] (methods), [`metrics`],
//! [`output`] (matrix files), [`packed`] (compact exact storage of MPFR numbers), [`cli`] (the
//! `clairaut` command).

#![warn(missing_docs)]

pub mod ad;
pub mod analysis;
pub mod cli;
pub mod error;
pub mod experiment;
pub mod export;
pub mod hessian;
pub mod metrics;
pub mod method;
pub mod model;
pub mod order;
pub mod output;
pub mod packed;
pub mod perf;
pub mod plot;
pub mod report;
pub mod results;
pub mod scalar;
pub mod truth;

pub use error::Error;
