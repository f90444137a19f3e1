//! Framework rules: Clairaut under `rules = pytorch` against PyTorch's own Hessians, committed
//! in `tests/data/frameworks/torch-*` (written by `scripts/frameworks/torch_export.py` with
//! torch 2.15 on CPU: `torch.func.hessian` = `jacfwd(jacrev)`, our `fwd-rev`; the command and
//! versions in each folder's export.json) — an independent source: PyTorch's kernels and
//! `derivatives.yaml` formulas, never Clairaut's output.

use std::path::{Path, PathBuf};

use clairaut::ad::LaneDot;
use clairaut::hessian::{self, Method};
use clairaut::model::{InputMode, Problem};
use clairaut::order::{Eval, Order};
use clairaut::scalar::hw::HwCtx;
use clairaut::scalar::rules::Rules;
use clairaut::scalar::MathLib;

use crate::common::clairaut;

fn dir(example: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/frameworks").join(example)
}

/// The committed PyTorch Hessian `hessian-torch-<p>.npy` of `example`, as f64 values.
fn committed(example: &str, p: &str) -> Vec<f64> {
    let bytes = std::fs::read(dir(example).join(format!("hessian-torch-{p}.npy"))).unwrap();
    let arr = npyz::NpyFile::new(&bytes[..]).unwrap();
    match p {
        "f32" => arr.into_vec::<f32>().unwrap().into_iter().map(f64::from).collect(),
        _ => arr.into_vec::<f64>().unwrap(),
    }
}

/// Clairaut's `fwd-rev` Hessian of `example`'s problem (inputs as stored) under `rules`.
fn ours<R: LaneDot>(example: &str, rules: Rules, ctx: &R::RCtx) -> Vec<f64> {
    let pr = Problem::load(&dir(example).join("problem.json")).unwrap();
    let inputs = pr.inputs::<R>(InputMode::AsStored, ctx).unwrap();
    let eval = Eval::new(Order::Sequential, pr.spec.sum_lengths(pr.n)).with_rules(rules);
    let h = hessian::compute(Method::FwdRev, &pr.spec, pr.n, &inputs, &eval, ctx);
    let p = pr.spec.num_params();
    (0..p).flat_map(|i| (0..p).map(move |j| (i, j))).map(|(i, j)| h.get(i, j).to_f64()).collect()
}

/// How many entries agree bit for bit (f64 values: an f32 entry converts exactly).
fn bitwise_equal(a: &[f64], b: &[f64]) -> usize {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).filter(|(x, y)| x.to_bits() == y.to_bits()).count()
}

fn f32ctx() -> HwCtx<f32> {
    HwCtx::<f32>::new(MathLib::CoreMath, false)
}

fn f64ctx() -> HwCtx<f64> {
    HwCtx::<f64>::new(MathLib::CoreMath, false)
}

/// The bar for PyTorch: the article's Example 1 (2→2 sigmoid, mse, N = 1) under
/// `rules = pytorch`, 36 of 36 entries bitwise at f32 and f64; Clairaut's own rules and JAX's
/// (the same composition, `fwd-rev`, other formulas) do not.
#[test]
fn pytorch_rules_reproduce_the_article_example_bitwise() {
    let ex = "torch-article-example1";
    let t32 = committed(ex, "f32");
    let t64 = committed(ex, "f64");
    let counts = |r: Rules| (bitwise_equal(&ours::<f32>(ex, r, &f32ctx()), &t32), bitwise_equal(&ours::<f64>(ex, r, &f64ctx()), &t64));
    eprintln!("torch-article-example1: pytorch {:?}, clairaut {:?}, jax {:?}", counts(Rules::PyTorch), counts(Rules::Clairaut), counts(Rules::Jax));
    assert_eq!(counts(Rules::PyTorch), (36, 36));
}
