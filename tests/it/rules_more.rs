//! Framework rules for the softmax cross-entropy, `gelu` and `silu` (issue 18): Clairaut under
//! `rules = tensorflow` (`rev-rev`) against TensorFlow's own Hessians committed in
//! `tests/data/frameworks/tf-{sigmoid-ce,gelu-silu,nobias}` (written by
//! `scripts/frameworks/tf_export.py`, tensorflow-cpu 2.21 on CPU, nested `GradientTape`s; the
//! command and versions in each folder's README/export.json) — an independent source, never
//! Clairaut's output. None of these examples is reproduced bit for bit (N = 4 rows: batch sums
//! and matrix products of up to 4 terms in TensorFlow's kernels' orders, Eigen's packet-path
//! `exp`/`erfc`/`sigmoid` on the stacked sweeps, oneDNN's `float` softmax), so the fractions
//! are pinned from below (BENCHMARKS.md, "Framework rules") and compared with Clairaut's own
//! rules only where the comparison holds.

use std::path::Path;

use clairaut::hessian::Method;
use clairaut::scalar::rules::Rules;

use super::rules::{assert_rules_refused, bitwise_equal, committed, f32ctx, f64ctx, kernel_at, ours};
use crate::common::write;

/// The bitwise-equal counts (f32, f64) of TensorFlow's `example` under `rules` (`rev-rev`).
fn tf_counts(example: &str, rules: Rules) -> (usize, usize) {
    let c32 = bitwise_equal(&ours::<f32>(example, Method::RevRev, rules, &f32ctx()), &committed(example, "tf", "f32"));
    let c64 = bitwise_equal(&ours::<f64>(example, Method::RevRev, rules, &f64ctx()), &committed(example, "tf", "f64"));
    (c32, c64)
}

/// The counts of `example` (of `entries`) under `tensorflow` and under `clairaut`, printed,
/// with the `tensorflow` counts pinned from below at the measured `(f32, f64)`.
fn pinned(example: &str, entries: usize, measured: (usize, usize)) -> ((usize, usize), (usize, usize)) {
    let (t32, t64) = tf_counts(example, Rules::TensorFlow);
    let (c32, c64) = tf_counts(example, Rules::Clairaut);
    eprintln!("{example}: tensorflow f32 {t32}, f64 {t64}; clairaut f32 {c32}, f64 {c64} of {entries}");
    assert!(t32 >= measured.0 && t64 >= measured.1, "{example}: f32 {t32}, f64 {t64}");
    ((t32, t64), (c32, c64))
}

/// `tf-sigmoid-ce` (2→3→3 sigmoid/identity, softmax cross-entropy, N = 4, 441 entries): the
/// `SoftmaxCrossEntropyWithLogits` kernel's `backprop` and its registered second-order term
/// raise the bitwise fraction at both formats (measured 103 and 197 against 66 and 144 under
/// Clairaut's rules).
#[test]
fn tensorflow_cross_entropy_raises_the_bitwise_fraction() {
    let ((t32, t64), (c32, c64)) = pinned("tf-sigmoid-ce", 441, (103, 197));
    assert!(t32 > c32 && t64 > c64, "tensorflow ({t32}, {t64}) against clairaut ({c32}, {c64})");
}

/// `tf-gelu-silu` (2→4→2 gelu/silu, mse, N = 4, 484 entries): TensorFlow's `gelu` ops and
/// `silu`'s custom gradient raise the f64 fraction (measured 249 against 50); at f32 they do
/// not (100 against 127: Eigen's `float` packet paths for `erfc`, `exp` and `sigmoid` decide
/// more there than the graph), so only the f64 comparison is asserted.
#[test]
fn tensorflow_gelu_and_silu_raise_the_f64_fraction() {
    let ((_, t64), (_, c64)) = pinned("tf-gelu-silu", 484, (100, 249));
    assert!(t64 > c64, "f64: tensorflow {t64} against clairaut {c64}");
}

/// `tf-nobias` (2→3→3→2 tanh/gelu/identity, softmax cross-entropy, layers 1 and 3 without a
/// bias, N = 4, 576 entries): measured 87 and 107 against 85 and 0.
#[test]
fn tensorflow_rules_on_the_nobias_example() {
    let ((t32, t64), (c32, c64)) = pinned("tf-nobias", 576, (87, 107));
    assert!(t32 > c32 && t64 > c64, "tensorflow ({t32}, {t64}) against clairaut ({c32}, {c64})");
}

/// What stays refused gets one line naming `--rules` (exit 2): the sparse cross-entropy under
/// `tensorflow` (another kernel; `pytorch`'s refusals are `rules_torch`'s).
#[test]
fn what_stays_refused_is_refused_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden/sparse-softmax_cross_entropy.json");
    let text = std::fs::read_to_string(golden).unwrap().replace("\"gelu_tanh\"", "\"tanh\"");
    assert!(text.contains("\"tanh\""));
    let sparse = write(tmp.path(), "sparse.json", &text);
    assert_rules_refused(&sparse, &["--method", "rev-rev", "--rules", "tensorflow"], "sparse_softmax_cross_entropy");
}

/// `_ErfcGrad` and `silu`'s custom gradient at points where the operation order shows,
/// against TensorFlow 2.21 on CPU (`tf.GradientTape` of `tf.math.erfc` and `tf.nn.silu` on
/// 1-element f64 tensors: the scalar path).
#[test]
fn tensorflow_activation_gradients_match_tensorflow_at_single_points() {
    use clairaut::scalar::rules::GradKernel;
    let eval = kernel_at;
    // (g·(−2/√π))·exp(−x²); g·((−2/√π)·exp(−x²)) gives −0.4460419396620696
    assert_eq!(eval(GradKernel::ErfcGrad, -0.24836162209524854, 0.4204452380655215), -0.44604193966206956);
    // g·(s·(1 + x·(1 − s))); (g·s)·(1 + x·(1 − s)) gives −0.1830232172702143
    assert_eq!(eval(GradKernel::SwishGrad, -0.8019314252534474, -1.324358995628145), -0.18302321727021434);
    let mut fwd = 0.0f64;
    GradKernel::SwishGrad.forward(&mut fwd, &-0.8019314252534474, &f64ctx());
    assert_eq!(fwd, -0.2482880093991312, "tf.nn.silu's value");
    assert!(GradKernel::ErfcGrad.reads_input() && !GradKernel::SigmoidGrad.reads_input());
}
