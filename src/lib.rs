//! # Clairaut
//!
//! When a computed Hessian of a neural-network loss is not symmetric, or not right, *why*?
//! Clairaut computes the same MLP loss Hessian at `f32`, `f64`, emulated IEEE formats and MPFR
//! multi-precision, in three exact differentiation modes and every summation order, and
//! compares the results.
//!
//! Layout: [`scalar`] (formats), [`ad`] (dual, hyper-dual, tape scalars), [`order`] (summation
//! orders), [`model`] (MLP, losses, problem files), [`hessian`] (methods), [`packed`] (compact
//! exact storage of MPFR numbers), [`analysis`] (the certified truth, each cell's metrics and
//! the attribution of its error: pipeline, cell, norms, truth, metrics, kinks), [`results`]
//! (the typed result records, result files, provenance, matrix files, atomic writes),
//! [`experiment`] (sweeps), [`cli`] (the `clairaut` command).

#![warn(missing_docs)]

pub mod ad;
pub mod analysis;
pub mod cli;
pub mod error;
pub mod experiment;
pub mod export;
pub mod hessian;
pub mod model;
pub mod order;
pub mod packed;
pub mod plot;
pub mod report;
pub mod results;
pub mod scalar;

pub use error::Error;
