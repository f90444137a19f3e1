//! # Clairaut
//!
//! When a computed Hessian of a neural-network loss is not symmetric, or not right, *why*?
//! Clairaut computes the same MLP loss Hessian at `f32`, `f64`, emulated IEEE formats and MPFR
//! multi-precision, in three exact differentiation modes and every summation order, and
//! compares the results.
//!
//! Layout, bottom-up — each layer builds on the ones before it (ARCHITECTURE.md):
//!
//! 1. [`scalar`] — the arithmetic: formats, elementary functions ([`scalar::elementary`]) and
//!    summation orders ([`scalar::order`]); it depends on nothing else in the crate
//!    (`tests/it/layering.rs`);
//!    [`limits`] — the documented limits on sizes from untrusted input, checked before memory
//!    is committed;
//! 2. [`ad`] — dual, hyper-dual and tape scalars, and the lane kernels of vector dual numbers;
//! 3. [`model`] — MLP, losses, problem files;
//! 4. [`method`] — method names and finite-difference step rules; [`hessian`] — the methods, a
//!    validated request and its cost (storing matrices with [`packed`], the compact exact
//!    storage of MPFR numbers, which depends on nothing in the crate);
//! 5. [`analysis`] — the certified truth, each cell's metrics and the attribution of its error;
//! 6. [`experiment`] — experiment files: configurations, data, a cell's problem and request;
//! 7. [`results`] — the typed result records, result files, provenance, matrix files, atomic
//!    writes; [`sweep`] — the runner: cells in parallel, resume, shards, merge;
//! 8. [`export`] — tables and figures from result files; [`study`] — studies of committed
//!    results (the TF2 article's claims); [`perf`] — benchmarks;
//! 9. [`cli`] — the `clairaut` command.
//!
//! Beside them, used by every layer above [`scalar`]: [`error`] (the one error type) and
//! [`input`] (reading the files a user names: regular files only).

#![warn(missing_docs)]

pub mod ad;
pub mod analysis;
pub mod cli;
pub mod error;
pub mod experiment;
pub mod export;
pub mod hessian;
pub mod input;
pub mod limits;
pub mod method;
pub mod model;
pub mod packed;
pub mod perf;
pub mod results;
pub mod scalar;
pub mod study;
pub mod sweep;

pub use error::Error;
/// Orders are part of the arithmetic layer; re-exported for brevity.
pub use scalar::order;
