//! Issue 13 point 4, the role attribution: a policy row's rounding part split into `mul`,
//! `acc`, `out` and `elementwise` parts by telescoping runs at truth precision — the parts are
//! the differences of independently recomputed runs, they and the residual make up the
//! rounding part, a policy that degrades only `mul` puts (nearly) everything there, `uniform`
//! rows have none, and everything is bitwise deterministic; the runs' policies are policy
//! values with a canonical spelling; MPFR inputs are converted exactly. And claim (g)'s
//! committed results rerun bit for bit.

use std::path::{Path, PathBuf};

use clairaut::analysis::{analyze, Analysis, Request, Row};
use clairaut::hessian::fd::StepRule;
use clairaut::hessian::{self, Method};
use clairaut::model::problem::Inputs;
use clairaut::model::{InputMode, Problem};
use clairaut::order::{Eval, Order};
use clairaut::results::record;
use clairaut::scalar::hw::HwCtx;
use clairaut::scalar::matmul::kernel::{round_odd, split_float};
use clairaut::scalar::matmul::{Conv, Fmt, PrecisionPolicy};
use clairaut::scalar::{MathLib, MpCtx, Precision, Real};
use rug::float::Round;
use rug::Float;

use crate::common::{bin, one_per_combination};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn policy(text: &str) -> PrecisionPolicy {
    PrecisionPolicy::parse(text).unwrap()
}

fn request(problem: Problem, methods: &[Method], policies: &[&str]) -> Request {
    Request {
        problem,
        methods: methods.to_vec(),
        precisions: vec![Precision::F32],
        orders: vec![Order::Sequential],
        fmas: vec![false],
        policies: policies.iter().map(|p| policy(p)).collect(),
        rules: vec![clairaut::scalar::rules::Rules::Clairaut],
        math: MathLib::CoreMath,
        inputs: InputMode::Decimal,
        step: StepRule::Optimal,
        truth_bits: None,
        check_extra: 64,
        truth_mode: clairaut::analysis::truth::TruthMode::Point,
        kink_tol: 1e-9,
        spectrum: false,
        keep_matrices: false,
        externals: Vec::new(),
    }
}

/// A tanh network wide enough for the dot products to round (P = 67), and the article's.
fn problems() -> Vec<Problem> {
    let spec = clairaut::model::Spec::new(
        vec![4, 8, 3],
        vec![clairaut::model::Activation::Tanh, clairaut::model::Activation::Identity],
        clairaut::model::Loss::SoftmaxCrossEntropy,
    );
    vec![Problem::generate(&spec, 6, 17), Problem::load(&root().join("experiments/tf2-article/example1.json")).unwrap()]
}

fn f(x: &Float) -> f64 {
    x.to_f64()
}

/// H of `problem` at truth precision `bits` under `p` (uniform: H₀), on the inputs rounded to f32.
fn at_truth(problem: &Problem, method: Method, p: &PrecisionPolicy, bits: u32) -> Vec<Float> {
    let ctx32 = HwCtx::<f32>::new(MathLib::CoreMath, false);
    let q = problem.inputs::<f32>(InputMode::Decimal, &ctx32).unwrap();
    let up = |v: &[f32]| v.iter().map(|x| Float::with_val(bits, *x)).collect();
    let q = Inputs { x: up(&q.x), y: up(&q.y), theta: up(&q.theta) };
    let ctx = MpCtx::new(bits, None, false);
    let eval = Eval::new(Order::Sequential, problem.spec.sum_lengths(problem.n)).with_policy(p);
    let h = hessian::compute(method, &problem.spec, problem.n, &q, &eval, &ctx);
    (0..h.p * h.p).map(|k| h.get(k / h.p, k % h.p).into_owned()).collect()
}

/// H of `problem` at f32 under `p`, exactly.
fn at_f32(problem: &Problem, method: Method, p: &PrecisionPolicy) -> Vec<Float> {
    let ctx = HwCtx::<f32>::new(MathLib::CoreMath, false);
    let inputs = problem.inputs::<f32>(InputMode::Decimal, &ctx).unwrap();
    let eval = Eval::new(Order::Sequential, problem.spec.sum_lengths(problem.n)).with_policy(p);
    let h = hessian::compute(method, &problem.spec, problem.n, &inputs, &eval, &ctx);
    (0..h.p * h.p).map(|k| h.get(k / h.p, k % h.p).to_float()).collect()
}

/// ‖a − b‖_F in f64 (enough for a ratio to 1e-9).
fn dist(a: &[Float], b: &[Float]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f(&Float::with_val(1024, x - y)).powi(2)).sum::<f64>().sqrt()
}

fn policy_row<'a>(a: &'a Analysis, p: &str) -> &'a Row {
    a.rows.iter().find(|r| r.policy.to_string() == p).unwrap()
}

/// The parts are the differences of the runs of `role_chain`, recomputed here, relative to
/// ‖T‖ (read as the rounding part's scale); the residual is at the truth's rounding level and
/// the rounding part is within the parts' sum (triangle inequality, the parts being its terms).
#[test]
fn parts_are_the_telescoping_runs_and_sum_to_the_rounding_part() {
    for (k, problem) in problems().into_iter().enumerate() {
        let methods: &[Method] = if k == 0 { &[Method::FwdRev] } else { &[Method::FwdRev, Method::FwdFwd, Method::FdGradCentral] };
        for &method in methods {
            for p in ["tf2-ampere", "torch-autocast-bf16", "tf32-tf32-f32-x3", "bf16-bf16-f32-x6,round=sr:3", "fp8-e4m3-promote128"] {
                let req = request(problem.clone(), &[method], &[p]);
                let bits = req.truth_bits();
                let a = analyze(&req).unwrap();
                let row = policy_row(&a, &policy(p).to_string());
                let roles = row.roles.as_ref().expect("a policy row has role parts");
                let tiny = Float::with_val(64, 1) >> (bits as i32 - 16);
                assert!(roles.residual <= tiny, "{p}: residual {}", roles.residual);
                let sum: f64 = roles.parts().iter().map(|q| f(&q.total)).sum::<f64>() + f(&roles.residual);
                assert!(f(&row.rounding.total) <= sum * (1.0 + 1e-12), "{p}: {} > {sum}", row.rounding.total);
                // the runs, recomputed from the policies' spelling (finite differences take
                // their working steps at truth precision: not recomputed here)
                let chain = policy(p).role_chain().unwrap();
                let spelled: Vec<PrecisionPolicy> = chain.iter().map(|c| policy(&c.to_string())).collect();
                assert_eq!(spelled, chain.to_vec());
                if method.is_finite_difference() {
                    continue;
                }
                let h0 = at_truth(&problem, method, &PrecisionPolicy::Uniform, bits);
                let runs: Vec<Vec<Float>> = spelled.iter().map(|c| at_truth(&problem, method, c, bits)).collect();
                let h = at_f32(&problem, method, &policy(p));
                let scale = dist(&h, &h0) / f(&row.rounding.total);
                let seq = [&h0, &runs[0], &runs[1], &runs[2], &h];
                for (k, part) in roles.parts().iter().enumerate() {
                    let want = dist(seq[k + 1], seq[k]) / scale;
                    let got = f(&part.total);
                    assert!((got - want).abs() <= 1e-9 * want.max(1e-300), "{p} {method} part {k}: {got:e} vs {want:e}");
                }
            }
        }
    }
}

/// `tf32-tf32-f32` at f32 degrades `mul` to 11 bits and everything else only to f32's 24: the
/// `mul` part is (nearly) the whole rounding part and dominates error and asymmetry; with
/// `acc=exact,out=exact` nothing but `mul` and the element-wise f32 is degraded, and the `acc`
/// and `out` parts are exactly 0.
#[test]
fn a_policy_degrading_only_mul_attributes_everything_to_mul() {
    for problem in problems().into_iter().chain(one_per_combination().into_iter().take(4)) {
        let a = analyze(&request(problem.clone(), &[Method::FwdRev], &["tf32-tf32-f32", "tf32-tf32-f32,acc=exact,out=exact"])).unwrap();
        for row in &a.rows {
            let roles = row.roles.as_ref().unwrap();
            let share = f(&roles.mul.total) / f(&row.rounding.total);
            assert!(share > 0.99 && share < 1.01, "{}: mul is {share} of the rounding part", problem.source.display());
            assert_eq!(roles.dominant, "mul");
            if row.asym.pairs_differing > 0 && f(&row.rounding.antisym) > 0.0 {
                assert_eq!(roles.asym_dominant, "mul", "{}", problem.source.display());
            }
            if row.policy.to_string().contains("acc=exact") {
                assert!(roles.acc.total.is_zero() && roles.out.total.is_zero() && roles.acc.antisym.is_zero());
            }
        }
    }
}

/// `uniform` rows carry no role parts, in the analysis and in the record (no `roles` key: their
/// bytes are those of rows written before roles existed); policy rows carry them.
#[test]
fn uniform_rows_have_no_role_parts() {
    let req = request(problems().remove(0), &[Method::RevRev, Method::FwdRev], &["uniform", "torch-autocast-bf16"]);
    let a = analyze(&req).unwrap();
    assert_eq!(a.rows.len(), 3, "rev-rev runs only uniform");
    let rec = record::Analysis::of(&a, &req.problem);
    for (row, r) in a.rows.iter().zip(&rec.rows) {
        let json = serde_json::to_string(r).unwrap();
        assert_eq!(row.roles.is_some(), !row.policy.is_uniform());
        assert_eq!(json.contains("\"roles\""), !row.policy.is_uniform(), "{json}");
    }
    let r = rec.rows.iter().find(|r| r.roles.is_some()).unwrap();
    let roles = r.roles.as_ref().unwrap();
    assert!(["mul", "acc", "out", "elementwise"].contains(&roles.dominant.as_str()));
    let back: record::Row = serde_json::from_str(&serde_json::to_string(r).unwrap()).unwrap();
    assert_eq!(&back, r);
}

/// The same request gives the same record, bit for bit, at 1 and 2 threads and twice over.
#[test]
fn role_parts_are_bitwise_deterministic() {
    let req = request(problems().remove(0), &[Method::FwdRev], &["tf2-ampere", "bf16-bf16-f32,round=sr:9", "tf32-tf32-f32-x3"]);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut rec = pool.install(|| record::Analysis::of(&analyze(&req).unwrap(), &req.problem));
        rec.take_timings();
        serde_json::to_string(&rec).unwrap()
    };
    let one = run(1);
    assert!(one.contains("\"roles\""));
    assert_eq!(one, run(2));
    assert_eq!(one, run(2));
}

/// The runs' policies are policy values: `acc=exact` and `out=exact` parse, print canonically
/// and read back; `out_changes_nothing` holds where `out` holds every result.
#[test]
fn role_runs_are_spelled_as_policies() {
    let chain = policy("tf2-ampere").role_chain().unwrap().map(|p| p.to_string());
    assert_eq!(chain, ["tf2-ampere,acc=exact,out=exact,elementwise=run", "tf2-ampere,out=exact,elementwise=run", "tf2-ampere,elementwise=run"]);
    assert!(PrecisionPolicy::Uniform.role_chain().is_none());
    assert_eq!(policy("bf16-bf16-f32,out=exact,acc=exact").to_string(), "bf16-bf16-f32,acc=exact,out=exact");
    assert_eq!(policy("bf16-bf16-f32,acc=exact,acc=f32").to_string(), "bf16-bf16-f32");
    assert!(policy("tf2-ampere").out_changes_nothing());
    // saturation turns an infinite result into ±max: not nothing
    assert!(!policy("fp8-e4m3-promote128").out_changes_nothing());
    assert!(policy("fp8-e4m3-promote128,sat=off").out_changes_nothing());
    let own = policy("tf32-tf32-f32,acc=exact").role_chain().unwrap().map(|p| p.to_string());
    assert_eq!(own[1], "tf32-tf32-f32,acc=exact,out=exact", "a role the policy computes exactly stays exact");
    assert!(!policy("torch-autocast-bf16").out_changes_nothing());
    assert!(!policy("bf16-bf16-f32,round=sr:1").out_changes_nothing());
    assert!(!policy("bf16-bf16-bf16,acc=f32").out_changes_nothing());
    let e = PrecisionPolicy::parse("bf16-bf16-f32,acc=exakt").unwrap_err();
    assert!(e.contains("field `acc`") && e.contains("exakt"), "{e}");
}

/// An MPFR value rounded to odd at `f64`, then to a format, is that value rounded by MPFR
/// itself (to nearest even, toward zero); the split of an MPFR value keeps its exact remainder.
#[test]
fn mpfr_inputs_convert_exactly_through_round_to_odd() {
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    for _ in 0..20_000 {
        // 200-bit values near ties: a random 24-bit head, then a tail that is often a midpoint
        let head = Float::with_val(200, (next() >> 40) as f64 + 0.5 * (next() % 2) as f64);
        let tail = Float::with_val(200, Float::with_val(200, (next() >> 11) as f64) >> (80 + (next() % 60) as i32));
        let sign = if next() % 2 == 0 { 1 } else { -1 };
        let x = Float::with_val(200, (head + tail) * sign) >> ((next() % 40) as i32 - 20);
        for (fmt, bits) in [(Fmt::Bf16, 8), (Fmt::Tf32, 11), (Fmt::F32, 24)] {
            let near = Float::with_val_round(bits, &x, Round::Nearest).0;
            let zero = Float::with_val_round(bits, &x, Round::Zero).0;
            assert_eq!(fmt.convert(round_odd(&x), Conv::Rne, false), near.to_f64(), "{x} {fmt}");
            assert_eq!(fmt.convert(round_odd(&x), Conv::Trunc, false), zero.to_f64(), "{x} {fmt}");
        }
        let [hi, lo, _] = split_float(Fmt::Tf32, &x, 2);
        assert_eq!(hi, Float::with_val_round(11, &x, Round::Zero).0.to_f64());
        let rest = Float::with_val(200, &x - hi);
        assert_eq!(lo, round_odd(&rest));
        let [hi, mid, lo] = split_float(Fmt::Bf16, &x, 3);
        let rest = Float::with_val(200, &x - hi);
        let rest2 = Float::with_val(200, &rest - mid);
        assert_eq!(hi, Float::with_val_round(8, &x, Round::Zero).0.to_f64());
        assert_eq!(mid, Float::with_val_round(8, &rest, Round::Zero).0.to_f64());
        assert_eq!(lo, Float::with_val_round(8, &rest2, Round::Nearest).0.to_f64());
    }
}

/// Claim (g)'s committed results rerun bit-identically (as `tests/it/sweep.rs` reruns the
/// other experiments of the study).
#[test]
fn claim_g_results_rerun_bit_identically() {
    let dir = root().join("results/tf2-article/claim-g-policy");
    let n = std::fs::read_dir(&dir).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "cbor")).count();
    assert!(n >= 10);
    let out = std::process::Command::new(bin()).arg("rerun").arg(Path::new(&dir)).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert_eq!(stdout.matches("bit-identical").count(), n);
}

/// Claim (g)'s figure behind its verdict: TF32 and bf16 raise the asymmetry of true f32 by at
/// least two orders of magnitude in every cell; the section sits before the closing notes.
#[test]
fn claim_g_policies_raise_the_asymmetry_by_orders_of_magnitude() {
    std::env::set_current_dir(root()).unwrap();
    let (md, fig) = clairaut::study::tf2::generate(Path::new("experiments/tf2-article"), Path::new("results/tf2-article")).unwrap();
    assert!(fig.policy_ratio_min >= 100.0, "{}", fig.policy_ratio_min);
    let g = md.find("## (g) ").expect("the claim (g) section");
    assert!(g > md.find("## (f) ").unwrap() && g < md.find("## What would change the verdicts").unwrap());
}
