//! Precision policies end to end (issue 13): `f32-f32-f32` against uniform f32, stochastic
//! rounding unbiased and thread-count invariant, every preset on every method but `rev-rev`,
//! and the command line (`hessian --policy`, `analyze --policies`, `policies = [...]`).

use clairaut::hessian::{self, Matrix, Method};
use clairaut::model::{InputMode, Problem};
use clairaut::order::{Eval, Order};
use clairaut::scalar::hw::HwCtx;
use clairaut::scalar::matmul::{PrecisionPolicy, PRESETS};
use clairaut::scalar::MathLib;

use crate::common::{one_per_combination, write};

fn clairaut(args: &[&str]) -> std::process::Output {
    crate::common::clairaut().args(args).output().unwrap()
}

/// The f32 Hessian of `problem` under `policy` (a preset or custom spelling), decimal inputs.
pub(crate) fn h32(problem: &Problem, method: Method, order: Order, policy: &str, fma: bool) -> Matrix<f32> {
    let ctx = HwCtx::<f32>::new(MathLib::CoreMath, fma);
    let inputs = problem.inputs::<f32>(InputMode::Decimal, &ctx).unwrap();
    let eval = Eval::new(order, problem.spec.sum_lengths(problem.n)).with_policy(&PrecisionPolicy::parse(policy).unwrap());
    hessian::compute(method, &problem.spec, problem.n, &inputs, &eval, &ctx)
}

/// Everything computed in the format itself (the finite-difference methods: losses and
/// gradients only) is bit for bit uniform f32 under `f32-f32-f32` (with `--fma`) and under
/// `f32-f32-f32,prod=rounded` (without): the policy kernel is the same FMA chain / rounded loop.
#[test]
fn f32_f32_f32_is_uniform_f32_for_values() {
    for problem in one_per_combination() {
        for method in [Method::FdGradCentral, Method::FdLoss4pt] {
            for order in [Order::Sequential, Order::Reversed, Order::Shuffled(5)] {
                for (policy, fma) in [("f32-f32-f32", true), ("f32-f32-f32,prod=rounded", false)] {
                    let a = h32(&problem, method, order, policy, fma);
                    let b = h32(&problem, method, order, "uniform", fma);
                    assert!(a.bits_eq(&b), "{} {method} {order} {policy}", problem.source.display());
                }
            }
        }
    }
}

/// A derivative-carrying method composes each tangent of a product as two policy dots (the
/// framework's JVP), where uniform arithmetic fuses them into one sum: under `f32-f32-f32` its
/// Hessian differs from uniform's only by that re-association — a few units in the last place.
#[test]
fn f32_f32_f32_tangents_differ_from_uniform_only_by_the_jvp_composition() {
    for problem in one_per_combination() {
        let a = h32(&problem, Method::FwdRev, Order::Sequential, "f32-f32-f32", true);
        let b = h32(&problem, Method::FwdRev, Order::Sequential, "uniform", true);
        let scale = (0..a.p * a.p).map(|k| b.get(k / a.p, k % a.p).abs()).fold(0f32, f32::max).max(f32::MIN_POSITIVE);
        for k in 0..a.p * a.p {
            let (x, y) = (*a.get(k / a.p, k % a.p), *b.get(k / a.p, k % a.p));
            assert!((x - y).abs() <= 64.0 * f32::EPSILON * scale, "{}: {x} vs {y}", problem.source.display());
        }
    }
}

/// Stochastic rounding: the mean over many seeds of a dot rounded to bf16 is the f32 result,
/// within 4 standard errors; and a whole Hessian is bit-identical at 1 and 2 threads.
#[test]
fn stochastic_rounding_is_unbiased_and_thread_count_invariant() {
    let a: Vec<f32> = (0..37).map(|k| ((k * 7919) % 1000) as f32 / 1000.0 - 0.41).collect();
    let b: Vec<f32> = (0..37).map(|k| ((k * 104_729) % 997) as f32 / 997.0 - 0.5).collect();
    let exact = PrecisionPolicy::parse("bf16-bf16-f32").unwrap().dot_f32(&a, &b, false) as f64;
    let seeds = 4000;
    let draws: Vec<f64> = (0..seeds)
        .map(|s| PrecisionPolicy::parse(&format!("bf16-bf16-f32,out=bf16,round=sr:{s}")).unwrap().dot_f32(&a, &b, false) as f64)
        .collect();
    let (lo, hi) = (draws.iter().copied().fold(f64::INFINITY, f64::min), draws.iter().copied().fold(f64::NEG_INFINITY, f64::max));
    assert!(lo < exact && exact < hi, "both neighbours drawn: {lo} {exact} {hi}");
    let mean = draws.iter().sum::<f64>() / seeds as f64;
    // a two-point distribution on [lo, hi]: σ ≤ (hi − lo)/2
    let se = (hi - lo) / 2.0 / (seeds as f64).sqrt();
    assert!((mean - exact).abs() < 4.0 * se, "mean {mean} vs {exact} (se {se})");

    let problem = &one_per_combination()[3];
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| h32(problem, Method::FwdRev, Order::Sequential, "bf16-bf16-f32,out=bf16,round=sr:11", false))
    };
    assert!(run(1).bits_eq(&run(2)));
    assert!(!run(1).bits_eq(&h32(problem, Method::FwdRev, Order::Sequential, "bf16-bf16-f32,out=bf16,round=sr:12", false)));
}

/// Every preset runs with every method but rev-rev, gives a finite Hessian on a small tanh
/// problem, and changes it (a policy that does nothing would pass the other tests).
#[test]
fn every_preset_runs_with_every_method_and_changes_the_hessian() {
    let problem = &one_per_combination()[1];
    for preset in PRESETS.iter().filter(|p| !matches!(p.name, "f32-f32-f32" | "torch-default")) {
        for method in [Method::FwdRev, Method::FwdFwd, Method::GaussNewton, Method::FdGradCentral, Method::FdLoss4pt] {
            let h = h32(problem, method, Order::Sequential, preset.name, false);
            let u = h32(problem, method, Order::Sequential, "uniform", false);
            assert!((0..h.p * h.p).all(|k| h.get(k / h.p, k % h.p).is_finite()), "{} {method}", preset.name);
            assert!(!h.bits_eq(&u), "{} {method} equals uniform", preset.name);
        }
    }
}

#[test]
fn command_line_policies() {
    let dir = tempfile::tempdir().unwrap();
    let p = "experiments/tf2-article/example1.json";
    let out = clairaut(&["hessian", "--problem", p, "--precision", "f32", "--policy", "tf2-ampere"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("policy tf2-ampere"));
    for (args, needle) in [
        (vec!["--policy", "tf32"], "unknown policy `tf32`"),
        (vec!["--policy", "bf16-bf16-f32,acc=f64"], "field `acc`"),
        (vec!["--policy", "tf2-ampere", "--method", "rev-rev"], "not implemented for rev-rev"),
        (vec!["--policy", "tf2-ampere", "--precision", "f64"], "needs precision f32"),
        (vec!["--policy", "bf16-bf16-f32", "--precision", "mp:113"], "not precision mp:113"),
        (vec!["--policy", "bf16-bf16-f32", "--precision", "f32", "--order", "kahan"], "order kahan"),
    ] {
        let mut all = vec!["hessian", "--problem", p];
        all.extend(args);
        let out = clairaut(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {err}");
        assert!(err.contains(needle) && err.trim().lines().count() == 1, "{all:?}: {err}");
    }
    // analyze: a field=value item overrides the policy before it; rows of other precisions skip it
    let json = dir.path().join("a.json");
    let out = clairaut(&[
        "analyze", "--problem", p, "--methods", "fwd-rev", "--precisions", "f32,f64", "--policies",
        "uniform,bf16-bf16-f32,round=sr:3,tf2-ampere", "--json", json.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let rows: Vec<(String, String)> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["precision"].as_str().unwrap().to_string(), r["policy"].as_str().unwrap_or("uniform").to_string()))
        .collect();
    let want = [("f32", "uniform"), ("f32", "bf16-bf16-f32,round=sr:3"), ("f32", "tf2-ampere"), ("f64", "uniform"), ("f64", "bf16-bf16-f32,round=sr:3")];
    assert_eq!(rows, want.map(|(a, b)| (a.to_string(), b.to_string())));
    // experiment files
    write(dir.path(), "e.toml", "name = \"pol\"\n[base]\nlayers = [3, 4, 2]\nactivations = [\"tanh\", \"identity\"]\nn = 3\nmethods = [\"fwd-rev\"]\nprecisions = [\"f32\"]\npolicies = [\"uniform\", \"tf2-ampere\"]\n");
    let out = crate::common::clairaut().current_dir(dir.path()).args(["sweep", "e.toml", "--out", "res"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bad = write(dir.path(), "bad.toml", "name = \"bad\"\n[base]\npolicies = [\"bf16-bf16-f32,passes=x9\"]\n");
    let out = clairaut(&["sweep", bad.to_str().unwrap(), "--out", dir.path().join("b").to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("policies") && err.contains("passes"), "{err}");
}
