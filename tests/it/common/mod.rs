//! Helpers shared by the integration tests.
#![allow(dead_code)]

use clairaut::hessian::{self, Matrix, Method};
use clairaut::model::{Activation, InputMode, Loss, Problem, Spec};
use clairaut::order::{Eval, Order};
use clairaut::ad::{LaneDot, WithReal};
use clairaut::scalar::precision::Arith;
use clairaut::scalar::{hw::HwCtx, MathLib, MpCtx, Real};
use rug::Float;
use std::path::Path;

/// The generated test set: the first seven activations × the two mean losses, in four shapes each
/// (56 problems), small. (The later activations and losses — gelu_tanh, leaky_relu, the sum and
/// sparse losses — are tested in `models.rs`; this set, its seeds and indices stay as they were.)
pub fn generated_problems() -> Vec<Problem> {
    let shapes: [(&[usize], usize); 4] = [(&[2, 3, 2], 2), (&[3, 2, 2], 1), (&[2, 2, 2, 2], 3), (&[1, 3, 3], 2)];
    let mut out = Vec::new();
    let mut seed = 1000;
    for act in &Activation::ALL[..7] {
        let act = *act;
        for loss in &Loss::ALL[..2] {
            let loss = *loss;
            for (layers, n) in shapes {
                seed += 1;
                let depth = layers.len() - 1;
                // hidden layers use `act`; the output layer too, except every other shape keeps
                // it linear (the usual setup for cross-entropy)
                let mut activations = vec![act; depth];
                if seed % 2 == 0 {
                    activations[depth - 1] = Activation::Identity;
                }
                let spec = Spec::new(layers.to_vec(), activations, loss);
                out.push(Problem::generate(&spec, n, seed));
            }
        }
    }
    out
}

/// One problem per activation × loss (the first shape of each).
pub fn one_per_combination() -> Vec<Problem> {
    generated_problems().into_iter().step_by(4).collect()
}

pub fn f64_ctx(fma: bool) -> HwCtx<f64> {
    HwCtx::<f64>::new(MathLib::CoreMath, fma)
}

pub fn mp_ctx(bits: u32) -> MpCtx {
    MpCtx::new(bits, None, false)
}

/// The Hessian of `problem` in format R.
pub fn hessian<R: LaneDot>(problem: &Problem, method: Method, order: Order, ctx: &R::RCtx) -> Matrix<R> {
    let inputs = problem.inputs::<R>(InputMode::Decimal, ctx).unwrap();
    let eval = Eval::new(order, problem.spec.sum_lengths(problem.n));
    hessian::compute(method, &problem.spec, problem.n, &inputs, &eval, ctx)
}

/// Every entry converted exactly to MPFR, row-major.
pub fn to_floats<R: Real>(h: &Matrix<R>) -> Vec<Float> {
    (0..h.p).flat_map(|i| (0..h.p).map(move |j| (i, j))).map(|(i, j)| h.get(i, j).to_float()).collect()
}

/// Frobenius norm at 64 bits.
pub fn fro(a: &[Float]) -> Float {
    let mut s = Float::new(64);
    for x in a {
        s += Float::with_val(64, x * x);
    }
    s.sqrt()
}

/// −log2(max |a − b| / ‖a‖_F): bits of agreement relative to the norm (∞ if identical).
pub fn agreeing_bits(a: &[Float], b: &[Float]) -> f64 {
    let norm = fro(a);
    let mut worst = Float::new(64);
    for (x, y) in a.iter().zip(b) {
        let d = Float::with_val(64, x - y).abs();
        if d > worst {
            worst = d;
        }
    }
    if worst.is_zero() {
        return f64::INFINITY;
    }
    -(Float::with_val(64, worst / norm).log2().to_f64())
}

/// Runs a closure for a matrix type-erased to rows of `Float`.
pub struct Rows<'a> {
    pub problem: &'a Problem,
    pub method: Method,
    pub order: Order,
}

impl WithReal for Rows<'_> {
    type Output = Vec<Float>;
    fn run<R: LaneDot>(self, ctx: R::RCtx) -> Vec<Float> {
        to_floats(&hessian::<R>(self.problem, self.method, self.order, &ctx))
    }
}

/// The Hessian in an arithmetic, as exact MPFR values.
pub fn hessian_any(problem: &Problem, method: Method, order: Order, arith: Arith) -> Vec<Float> {
    arith.dispatch(Rows { problem, method, order })
}

/// Parses the decimal strings of a JSON matrix at `bits`.
pub fn parse_matrix(v: &serde_json::Value, bits: u32) -> Vec<Float> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter())
        .map(|s| Float::with_val(bits, Float::parse(s.as_str().unwrap()).unwrap()))
        .collect()
}

/// A folder's result files as (file name, bytes with provenance set aside), sorted by name: what
/// must be equal at any thread count, shard layout or machine (tests/it/sweep.rs, tests/slurm.rs).
pub fn deterministic(dir: &Path) -> Vec<(String, Vec<u8>)> {
    clairaut::results::files_in(dir)
        .unwrap()
        .iter()
        .map(|f| (f.file_name().unwrap().to_string_lossy().into_owned(), clairaut::results::ResultFile::read(f).unwrap().deterministic_bytes()))
        .collect()
}

/// Runs `cmd` and asserts a clean failure: exit status 2, no panic, exactly one `error` line,
/// containing every string of `expect`.
pub fn expect_error(cmd: &mut assert_cmd::Command, expect: &[&str]) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().filter(|l| l.starts_with("error")).count(), 1, "{stderr}");
    for e in expect {
        assert!(stderr.contains(e), "`{e}` not in {stderr}");
    }
}

/// The `clairaut` binary under test.
pub fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("clairaut")
}

/// A command running the `clairaut` binary under test.
pub fn clairaut() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("clairaut").unwrap()
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}
