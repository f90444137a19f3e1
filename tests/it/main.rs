//! The integration tests, in one test binary (`cargo test --test it`): each file of `tests/it/`
//! is a module, so the crate and GMP/MPFR are linked once instead of once per file. Snapshots
//! live in `tests/it/snapshots/` (named `it__<module>__<name>.snap`); proptest's saved cases in
//! `tests/proptest-regressions/<module>.txt` (its default beside a crate root, here `tests/it/`).
//!
//! Two tests stay binaries of their own: `tests/slurm.rs` (a real SLURM, set up by
//! `scripts/slurm/slurm-local.sh`) and `tests/opcount.rs` (it counts every thread's MPFR
//! operations in its process, so no other test may run beside it).

mod common;

mod attribution;
mod ball;
mod bias;
mod bitflip;
mod bit_identity;
mod cliff;
mod cli;
mod data_sources;
mod example2_as_printed;
mod exporters;
mod external;
mod generated;
mod fuzz_parsers;
mod golden;
mod hostile_sizes;
mod load_checks;
mod frameworks;
mod hostile_paths;
mod import;
mod hostile_integrity;
mod integrity;
mod layering;
mod nonfinite;
mod policy;
mod policy_golden;
mod policy_orders;
mod policy_lanes;
mod orders;
mod progress;
mod rules;
mod rules_torch;
mod revrev_lanes;
mod rules_more;
mod rules_jax;
mod rules_jax_more;
mod rules_torch_rr;
mod rules_torch_rr_analyses;
mod rules_torch_more;
mod properties;
mod report;
mod sweep;
mod tf2_example;
mod exports16;
mod models;
mod roles;
mod mp_routing;
mod rules_jax_leaky;
mod rules_torch_ce;
mod rules_tf_more;
