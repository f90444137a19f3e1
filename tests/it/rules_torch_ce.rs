//! `rules = pytorch` for the softmax cross-entropy (`nn.CrossEntropyLoss()` with probability
//! targets, mean and `reduction="sum"`, under `fwd-rev` = `torch.func.hessian`), `leaky_relu`
//! (`nn.LeakyReLU()`, slope 0.01) and `softplus` (`nn.Softplus()`), these under `fwd-rev` and
//! `rev-rev` (`torch.autograd.functional.hessian`), against PyTorch's own Hessians committed in
//! `tests/data/frameworks/torch-tiny-{ce,ce-sum,leaky-relu,leaky-relu-ce,softplus}` and
//! `torch-rr-tiny-{leaky-relu,softplus}` (written by `scripts/frameworks/torch_export.py` with torch 2.15
//! on CPU; the command in each folder's export.json) — an independent source, never Clairaut's
//! output. The bitwise-equal counts are pinned from below and must beat Clairaut's own rules
//! (`exp` and `log` inside `_log_softmax`'s CPU kernel are Sleef's vectorized ones, and
//! `torch.exp`'s, not correctly rounded: measured on random rows, about 3% of f64 `exp` values
//! differ from the correctly rounded ones Clairaut uses).

use clairaut::scalar::rules::Rules;

use super::rules::{assert_rules_refused, dir};
use super::rules_torch_more::{agree, check};

/// The softmax cross-entropy under `fwd-rev`, pinned from below (measured): 2→2→3
/// tanh/identity (mean, N = 1) f32 183 and f64 126 of 225 (Clairaut's own rules 38/38);
/// 2→2→3 sigmoid/identity (`reduction="sum"`, N = 2) 199 and 166 (87/118); `leaky_relu` before
/// it (2→3→2, mean, N = 1) 263 and 148 of 289 (155/87). Not every entry: the kernels' Sleef
/// `exp`/`log` (module docs) and the products of three terms (`mm` through the 3-class output
/// layer), whose order is not PyTorch's.
#[test]
fn pytorch_rules_reproduce_the_softmax_cross_entropy_under_fwd_rev() {
    check(&[("torch-tiny-ce", 183, 126, 225), ("torch-tiny-ce-sum", 199, 166, 225), ("torch-tiny-leaky-relu-ce", 263, 148, 289)]);
}

/// `leaky_relu` (2→3→1, pre-activations of both signs, mse, N = 1) under both methods: every
/// entry at f32 and f64. Clairaut's own rules reach the same here (a piecewise-linear
/// activation has no second-derivative term on a one-output problem), so this pins the
/// PyTorch rules themselves; the cross-entropy problem above shows them ahead.
#[test]
fn pytorch_rules_reproduce_leaky_relu_under_both_methods() {
    for ex in ["torch-tiny-leaky-relu", "torch-rr-tiny-leaky-relu"] {
        let (a32, a64, n) = agree(ex, Rules::PyTorch);
        eprintln!("{ex}: rules pytorch f32 {a32}, f64 {a64} of {n}");
        assert_eq!((n, a32, a64), (169, 169, 169), "{ex}");
    }
}

/// `softplus` (2→2→1, mse, N = 1) under both methods: every entry at f32 and f64 (Clairaut's
/// own rules: 43/39 and 46/39 of 81).
#[test]
fn pytorch_rules_reproduce_softplus_under_both_methods() {
    check(&[("torch-tiny-softplus", 81, 81, 81), ("torch-rr-tiny-softplus", 81, 81, 81)]);
}

/// The cross-entropy under `rev-rev` stays refused, naming the loss (exit 2).
#[test]
fn pytorch_rules_refuse_the_cross_entropy_under_rev_rev() {
    assert_rules_refused(&dir("torch-tiny-ce").join("problem.json"), &["--method", "rev-rev", "--rules", "pytorch"], "softmax_cross_entropy under fwd-rev");
}
