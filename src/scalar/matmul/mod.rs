//! Precision policies: how the **matmul-shaped dot products** of the computation — forward
//! `a·W`, backward `G·Wᵀ`, the weight gradient `aᵀ·G`, and the same products in every tangent
//! pass — are computed on real ML hardware, where a precision is not one uniform format.
//!
//! A policy ([`PrecisionPolicy`]) is `uniform` (every operation in the run's format and
//! summation order: Clairaut's behaviour without policies) or a preset
//! ([`policy::PRESETS`]: XLA's `DotAlgorithmPreset`s and the framework defaults) with
//! `,field=value` overrides. Its [`Fields`] say:
//!
//! | field | meaning |
//! |---|---|
//! | `mul=F[:rne\|rna\|trunc]` | the format the inputs are converted to, and the conversion |
//! | `prod=exact\|rounded` | products exact (tensor cores, FMA chains) or rounded to `acc` |
//! | `acc=F\|exact` | the accumulator's format (`exact`: summed without rounding) |
//! | `promote=K` | partial sums of K terms added into an f32 master (the FP8 recipe); 0: off |
//! | `passes=1\|x3\|x6` | XLA's split algorithms |
//! | `out=F\|exact` | the format of the dot's result (`exact`: not converted) |
//! | `elementwise=run\|F` | the format of element-wise work (must be the run's precision) |
//! | `round=rne\|sr:SEED` | conversion to `out`: nearest-even or reproducible stochastic |
//! | `sat=on\|off` | saturating conversions (FP8) |
//! | `scale=off\|tensor` | FP8 current scaling: each input vector of a dot scaled by a power of two into the format's range, the result scaled back |
//!
//! Formats `F` ([`Fmt`]): `f32`, `tf32`, `bf16`, `f16`, `e4m3`, `e5m2`, `e8m13`. The terms are
//! taken in the run's summation order (`sequential`, `reversed`, `shuffled:<seed>`: the order
//! of the K dimension). Everything is computed exactly with bit operations on `f64` (see
//! [`format`]); [`kernel`] is the definition, [`chain`] its lanes at once where the policy is an
//! f32 chain (bit for bit the definition). A lifted (derivative-carrying) dot is composed
//! as frameworks compose it: the value is one policy dot, a tangent `Σ a·ḃ + ȧ·b` is two
//! policy dots added in the run's format (JAX's `dot_general` JVP rule).

pub mod chain;
pub mod format;
pub mod kernel;
pub mod policy;

pub use format::{Conv, Fmt};
pub use policy::{Exact, Fields, Passes, PrecisionPolicy, Prod, Rounding, PRESETS, ROLES};
