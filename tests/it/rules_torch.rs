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
    // measured: Clairaut's rules 27 and 36, JAX's 27 and 27
    assert!(counts(Rules::Clairaut).0 < 36);
    let (j32, j64) = counts(Rules::Jax);
    assert!(j32 < 36 && j64 < 36);
}

/// The committed tanh example (3→4→2 tanh/tanh, mse, N = 5, 26 parameters): MKL's matrix
/// products, the `Vectorized` paths (Sleef's `tanh` on tensors of 16 doubles or 32 floats and
/// more) are not reproduced, so only a fraction agrees. Pinned from below (measured: f32 231
/// of 676 under `pytorch` against 213 under `clairaut`; f64 339 against 251), so that a
/// regression of the rules shows.
#[test]
fn pytorch_rules_on_the_tanh_example_keep_their_bitwise_fraction() {
    let ex = "torch-tanh";
    let t32 = committed(ex, "f32");
    let t64 = committed(ex, "f64");
    let a32 = bitwise_equal(&ours::<f32>(ex, Rules::PyTorch, &f32ctx()), &t32);
    let a64 = bitwise_equal(&ours::<f64>(ex, Rules::PyTorch, &f64ctx()), &t64);
    eprintln!("torch-tanh rules pytorch: f32 {a32}/676, f64 {a64}/676");
    assert!(a32 >= 231 && a64 >= 339, "f32 {a32}, f64 {a64}");
    assert!(a32 > bitwise_equal(&ours::<f32>(ex, Rules::Clairaut, &f32ctx()), &t32));
    assert!(a64 > bitwise_equal(&ours::<f64>(ex, Rules::Clairaut, &f64ctx()), &t64));
}

/// `--rules pytorch` on the command line reproduces the committed f32 Hessian, and refuses
/// what it does not cover (rev-rev, gelu, cross-entropy) with a one-line error naming
/// `--rules` (exit 2).
#[test]
fn the_pytorch_rules_option_computes_and_refuses_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("h.npy");
    let problem = dir("torch-article-example1").join("problem.json");
    let run = clairaut()
        .args(["hessian", "--method", "fwd-rev", "--precision", "f32", "--inputs", "as-stored", "--rules", "pytorch", "--problem"])
        .arg(&problem)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let bytes = std::fs::read(&out).unwrap();
    let vals: Vec<f64> = npyz::NpyFile::new(&bytes[..]).unwrap().into_vec::<f32>().unwrap().into_iter().map(f64::from).collect();
    assert_eq!(bitwise_equal(&vals, &committed("torch-article-example1", "f32")), 36);
    for (args, example, needle) in [
        (vec!["--method", "rev-rev"], "torch-article-example1", "fwd-rev only"),
        (vec!["--method", "fwd-rev"], "torch-gelu-silu", "gelu"),
        (vec!["--method", "fwd-rev"], "torch-sigmoid-ce", "softmax_cross_entropy"),
    ] {
        let r = clairaut().arg("hessian").args(&args).args(["--rules", "pytorch", "--problem"]).arg(dir(example).join("problem.json")).output().unwrap();
        assert_eq!(r.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains("--rules") && err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}
