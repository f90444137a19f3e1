//! The ball truth (`--truth-mode ball`): a proven enclosure of the exact Hessian in interval
//! arithmetic (`clairaut::scalar::interval`), checked against MPFR at much higher precision,
//! against the point truth (which must lie inside, on every committed experiment's problems)
//! and through the command line and experiment files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clairaut::analysis::truth::{self, Truth};
use clairaut::experiment::Experiment;
use clairaut::model::{Activation, InputMode, Loss, Problem, Spec};
use clairaut::scalar::interval::{Interval, IvCtx};
use clairaut::scalar::MpCtx;
use rug::Float;

use crate::common::{clairaut, expect_error, write};

/// Largest P whose problems are checked (the larger committed problems — `overhead-200`'s
/// P = 200 cells aside — are benchmarks; their cells' shapes are covered by the smaller ones).
const MAX_P: usize = 120;

/// Every committed experiment file.
fn experiment_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("experiments")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The ball truth of `req`'s problem as the analysis computes it (its inputs mode, truth
/// precision and check), with the bits its finest precision needs.
fn ball_of(req: &clairaut::analysis::Request) -> (Truth, u32) {
    let pr = &req.problem;
    let bits = req.truth_bits();
    let point = pr.inputs::<Float>(req.inputs, &MpCtx::new(bits, None, false)).unwrap();
    let exact = pr.inputs::<Interval>(req.inputs, &IvCtx::new(bits)).unwrap();
    let t = Truth::compute_ball(&pr.spec, pr.n, &exact, &point, bits, req.check_extra);
    let p_max = req.precisions.iter().map(|q| q.bits()).max().unwrap_or(53);
    (t, truth::bits_needed(p_max))
}

/// On the distinct problems of every committed experiment (P ≤ [`MAX_P`]; every distinct
/// problem of each file, up to 8 per file in grid order): the point truth lies inside the ball
/// (`compute_ball` panics otherwise), so does the check at `bits + check_extra`, and the proven
/// bits reach those the comparison needs — wherever the two-precision heuristic certifies it.
#[test]
fn the_ball_certifies_every_committed_experiment() {
    let mut checked = 0;
    for file in experiment_files() {
        let exp = Experiment::load(&file, &[]).unwrap();
        let mut seen = BTreeSet::new();
        for cell in exp.cells.iter() {
            let Ok((problem, req)) = clairaut::experiment::resolve(&cell, &file, &cell.id(), exp.access) else { continue };
            if problem.spec.num_params() > MAX_P || seen.len() >= 8 || !seen.insert(format!("{:?}{:?}{:?}{:?}{:?}", problem.spec, problem.x, problem.y, problem.params, req.inputs)) {
                continue;
            }
            let (t, needed) = ball_of(&req);
            let ball = t.ball.as_ref().unwrap();
            assert_eq!(ball.check_outside, 0, "{}: the check lies outside the enclosure", file.display());
            if t.agreeing_min() >= needed {
                assert!(t.min_bits() >= needed, "{} cell {}: proven {} < needed {} (agreeing {})", file.display(), cell.id(), t.min_bits(), needed, t.agreeing_min());
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked} problems");
}

/// The enclosure of a small problem of every activation and both mean losses, at 64 bits,
/// contains the Hessian at mp:2048 (an approximation of the exact one to ~2000 bits) on every
/// entry; the same enclosure with every upper bound moved down to its lower bound (a mutation:
/// an upper bound rounded down) misses it somewhere.
#[test]
fn the_enclosure_holds_the_exact_hessian_and_a_shrunk_one_does_not() {
    let mut acts = Activation::ALL.to_vec();
    acts.push(Activation::by_name("leaky_relu:0.2").unwrap());
    for (k, act) in acts.into_iter().enumerate() {
        for loss in [Loss::Mse, Loss::SoftmaxCrossEntropy] {
            let spec = Spec::new(vec![3, 4, 3], vec![act, Activation::Identity], loss);
            let problem = Problem::generate(&spec, 3, 40 + k as u64);
            let exact = problem.inputs::<Interval>(InputMode::Decimal, &IvCtx::new(64)).unwrap();
            let ball = truth::ball_hessian(&spec, problem.n, &exact, 64);
            let reference = truth::exact_hessian(&spec, problem.n, &problem.inputs::<Float>(InputMode::Decimal, &MpCtx::new(2048, None, false)).unwrap(), 2048);
            let p = spec.num_params();
            let mut missed = 0;
            for i in 0..p {
                for j in 0..p {
                    let (iv, v) = (ball.get(i, j), reference.float(i, j));
                    assert!(iv.contains(&v), "{act:?} {loss:?} ({i}, {j}): {v} not in [{}, {}]", iv.lo, iv.hi);
                    let shrunk = Interval { lo: iv.lo.clone(), hi: iv.lo.clone() };
                    missed += usize::from(!shrunk.contains(&v));
                }
            }
            assert!(missed > 0, "{act:?} {loss:?}: the mutation went unnoticed");
        }
    }
}

/// The proven bits of an entry from its radius: exact entries get the cap, an enclosure
/// containing 0 none, and `r / |lo|` = 2^-k exactly gives k.
#[test]
fn proven_bits_follow_the_relative_radius() {
    let f = |x: f64| Float::with_val(64, x);
    let iv = |lo: f64, hi: f64| Interval { lo: f(lo), hi: f(hi) };
    assert_eq!(truth::proven_bits(&f(1.5), &iv(1.5, 1.5), 256).1, 256);
    assert_eq!(truth::proven_bits(&f(0.0), &iv(0.0, 0.0), 256).1, 256);
    assert_eq!(truth::proven_bits(&f(0.0), &iv(-1e-30, 1e-30), 256).1, 0);
    // T = 1 in [1, 1 + 2^-20]: r = 2^-20, min |v| = 1 → 20 bits; a hair wider → 19
    let e = 2f64.powi(-20);
    assert_eq!(truth::proven_bits(&f(1.0), &iv(1.0, 1.0 + e), 256).1, 20);
    assert_eq!(truth::proven_bits(&f(1.0), &iv(1.0, 1.0 + e * 1.0001), 256).1, 19);
    assert_eq!(truth::proven_bits(&f(-1.0), &iv(-1.0 - e, -1.0), 256).1, 20);
    assert_eq!(truth::proven_bits(&f(1.0), &iv(1.0, 1.0 + e), 10).1, 10);
    assert_eq!(truth::proven_bits(&f(1.0), &iv(f64::NEG_INFINITY, 2.0), 256).1, 0);
}

fn tanh_problem(dir: &Path) -> PathBuf {
    let spec = Spec::new(vec![2, 3, 2], vec![Activation::Tanh, Activation::Identity], Loss::Mse);
    let problem = Problem::generate(&spec, 2, 7);
    let path = dir.join("p.json");
    std::fs::write(&path, serde_json::to_string(&problem.to_json()).unwrap()).unwrap();
    path
}

/// `analyze --truth-mode ball` says so and reports proven bits; the default (point) says
/// nothing of a mode and prints what it printed before; a bad mode is refused on one line.
#[test]
fn analyze_shows_the_truth_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = tanh_problem(dir.path());
    let run = |extra: &[&str]| {
        let out = clairaut().args(["analyze", "--methods", "fwd-rev", "--precisions", "f64", "--no-legend", "--problem"]).arg(&path).args(extra).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let ball = run(&["--truth-mode", "ball"]);
    assert!(ball.contains("truth mode ball (proven enclosure)") && ball.contains("proven bits of T: min "), "{ball}");
    assert!(ball.contains(": certified"), "{ball}");
    let point = run(&[]);
    assert!(point.contains("agreeing bits of T and its check") && !point.contains("truth mode"), "{point}");
    // the same output but for the measured times
    let untimed = |s: &str| s.lines().filter(|l| !l.starts_with("time:")).collect::<Vec<_>>().join("\n");
    assert_eq!(untimed(&point), untimed(&run(&["--truth-mode", "point"])));
    expect_error(clairaut().args(["analyze", "--truth-mode", "interval", "--problem"]).arg(&path), &["truth-mode", "interval"]);
}

/// `truth_mode` in an experiment: the default is not written (ids unchanged), `ball` changes
/// the id, and an unknown mode is refused naming the field.
#[test]
fn experiments_take_a_truth_mode() {
    let dir = tempfile::tempdir().unwrap();
    let base = "[base]\nlayers = [2, 2, 1]\nn = 2\nmethods = [\"fwd-rev\"]\nprecisions = [\"f64\"]\n";
    let id = |extra: &str| {
        let p = write(dir.path(), "e.toml", &format!("{base}{extra}"));
        Experiment::load(&p, &[]).unwrap().cells.get(0).unwrap().id()
    };
    assert_eq!(id(""), id("truth_mode = \"point\"\n"));
    assert_ne!(id(""), id("truth_mode = \"ball\"\n"));
    let p = write(dir.path(), "e.toml", &format!("{base}truth_mode = \"ball\"\n"));
    let exp = Experiment::load(&p, &[]).unwrap();
    let cell = exp.cells.get(0).unwrap();
    let (_, req) = clairaut::experiment::resolve(&cell, &p, &cell.id(), exp.access).unwrap();
    assert_eq!(req.truth_mode, truth::TruthMode::Ball);
    let bad = write(dir.path(), "bad.toml", &format!("{base}truth_mode = \"exact\"\n"));
    expect_error(clairaut().arg("sweep").arg(&bad).arg("--out").arg(dir.path().join("out")), &["truth_mode", "exact"]);
}
