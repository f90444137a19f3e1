//! `rules = jax` against `jax.hessian` (`jacfwd(jacrev)`) on tiny problems (N ≤ 4 rows, widths
//! ≤ 4): the committed JAX Hessians `tests/data/frameworks/jax-tiny-*` (written by
//! `scripts/frameworks/jax_export.py` with jax 0.10.2 on CPU, listed in
//! `scripts/frameworks/make-examples.sh`; the command and versions in each folder's
//! README/export.json) — an independent source: XLA's kernels and JAX's JVP rules, never
//! Clairaut's output. Every entry bit for bit at f32 and f64 where reached; elsewhere the
//! bitwise-equal fraction pinned from below, so that a regression shows.

use clairaut::hessian::Method;
use clairaut::scalar::rules::Rules;

use crate::rules::{bitwise_equal, committed, f32ctx, f64ctx, ours};

/// Four tiny problems with different activations and losses, each reproduced in all entries
/// at f32 and at f64: 2→2→1 tanh/sigmoid mse (9 parameters), 1→2→1 sigmoid/identity mse (7),
/// 2→2→2 sigmoid/identity `mse:sum` (12), 1→1→1 tanh/tanh `mse:sum` (4), all N = 1. Their dot
/// products have up to two terms; XLA's CPU dot fuses the second (`scalar::xla::dot`), and
/// without that (Clairaut's own rules, its plain `sequential` dot) fewer entries agree on the
/// problems with two-term dots.
#[test]
fn jax_rules_reproduce_four_tiny_problems_bitwise() {
    for (ex, p) in [("jax-tiny-tanh-sigmoid", 9), ("jax-tiny-sigmoid-identity", 7), ("jax-tiny-sigmoid-identity-sum", 12), ("jax-tiny-tanh-sum", 4)] {
        let (j32, j64) = (committed(ex, "jax", "f32"), committed(ex, "jax", "f64"));
        assert_eq!(j64.len(), p * p, "{ex}");
        let a32 = bitwise_equal(&ours::<f32>(ex, Method::FwdRev, Rules::Jax, &f32ctx()), &j32);
        let a64 = bitwise_equal(&ours::<f64>(ex, Method::FwdRev, Rules::Jax, &f64ctx()), &j64);
        assert_eq!((a32, a64), (p * p, p * p), "{ex}: f32 {a32}, f64 {a64} of {}", p * p);
        let c32 = bitwise_equal(&ours::<f32>(ex, Method::FwdRev, Rules::Clairaut, &f32ctx()), &j32);
        let c64 = bitwise_equal(&ours::<f64>(ex, Method::FwdRev, Rules::Clairaut, &f64ctx()), &j64);
        eprintln!("{ex}: rules clairaut f32 {c32}, f64 {c64} of {}", p * p);
        assert!(c32 < p * p || c64 < p * p, "{ex}: Clairaut's own graph already equal");
    }
}
