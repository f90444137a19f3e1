//! Framework rules for the softmax cross-entropy, `gelu` and `silu` (issue 18): Clairaut under
//! `rules = tensorflow` (`rev-rev`) and `rules = pytorch` (`fwd-rev`) against the frameworks'
//! own Hessians committed in `tests/data/frameworks/{tf,torch}-{sigmoid-ce,gelu-silu,nobias}`
//! (written by `scripts/frameworks/tf_export.py` / `torch_export.py`, tensorflow-cpu 2.21 and
//! torch 2.15 on CPU; the command and versions in each folder's README/export.json) — an
//! independent source, never Clairaut's output.

use clairaut::hessian::Method;
use clairaut::scalar::rules::Rules;

use super::rules::{bitwise_equal, committed, f32ctx, f64ctx, ours};

/// The bitwise-equal counts (f32, f64) of `example` against framework `fw`'s Hessians.
fn counts(example: &str, fw: &str, method: Method, rules: Rules) -> (usize, usize) {
    let c32 = bitwise_equal(&ours::<f32>(example, method, rules, &f32ctx()), &committed(example, fw, "f32"));
    let c64 = bitwise_equal(&ours::<f64>(example, method, rules, &f64ctx()), &committed(example, fw, "f64"));
    (c32, c64)
}

#[test]
fn measure() {
    for ex in ["tf-sigmoid-ce", "tf-gelu-silu", "tf-nobias"] {
        eprintln!("{ex}: tensorflow {:?} clairaut {:?}", counts(ex, "tf", Method::RevRev, Rules::TensorFlow), counts(ex, "tf", Method::RevRev, Rules::Clairaut));
    }
}
