//! `mp:<bits>` routed through the fixed-width limbs (`MpKernel::Fixed`, the default up to 320
//! bits) gives exactly the Hessians of the MPFR path (`MpKernel::Mpfr`, or
//! `CLAIRAUT_MP_KERNEL=mpfr`): whole Hessians through the run-time dispatch at several
//! precisions (a limb cut, full limbs, five limbs), every method, several orders, FMA on and
//! off, with precision policies and framework rules; the truth's routed Hessian
//! (`hessian::compute_mp`), which falls back to MPFR for inputs wider than the precision; and
//! the CLI's choice of kernel.

use clairaut::ad::{LaneDot, WithReal};
use clairaut::hessian::{self, Method};
use clairaut::model::{InputMode, Problem};
use clairaut::order::{Eval, Order};
use clairaut::scalar::matmul::PrecisionPolicy;
use clairaut::scalar::precision::{Arith, MpKernel};
use clairaut::scalar::rules::Rules;
use clairaut::scalar::{MathLib, MpCtx, Precision};
use rug::Float;

use crate::common::*;

fn same_bits(a: &[Float], b: &[Float]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.total_cmp(y).is_eq() && x.is_sign_negative() == y.is_sign_negative())
}

/// A Hessian with a policy and rules, and the name of the type that computed it.
struct Run<'a> {
    problem: &'a Problem,
    method: Method,
    order: Order,
    policy: &'a PrecisionPolicy,
    rules: Rules,
}

impl WithReal for Run<'_> {
    type Output = (Vec<Float>, &'static str);
    fn run<R: LaneDot>(self, ctx: R::RCtx) -> Self::Output {
        let pr = self.problem;
        let inputs = pr.inputs::<R>(InputMode::Decimal, &ctx).unwrap();
        let eval = Eval::new(self.order, pr.spec.sum_lengths(pr.n)).with_policy(self.policy).with_rules(self.rules);
        (to_floats(&hessian::compute(self.method, &pr.spec, pr.n, &inputs, &eval, &ctx)), std::any::type_name::<R>())
    }
}

fn run(pr: &Problem, bits: u32, method: Method, order: Order, fma: bool, policy: &str, rules: Rules, kernel: MpKernel) -> (Vec<Float>, &'static str) {
    let policy = PrecisionPolicy::parse(policy).unwrap();
    let arith = Arith { precision: Precision::Mp(bits), math: MathLib::CoreMath, fma };
    arith.dispatch_on(kernel, Run { problem: pr, method, order, policy: &policy, rules })
}

#[test]
fn routed_mp_hessians_equal_the_mpfr_path_bit_for_bit() {
    let problems = one_per_combination();
    for bits in [65, 200, 256, 320] {
        for (i, pr) in problems.iter().enumerate().filter(|(i, _)| i % 3 == bits as usize % 3) {
            for method in Method::ALL {
                for (order, fma) in [(Order::Sequential, false), (Order::Exact, true), (Order::Pairwise, true), (Order::Kahan, false)] {
                    let (fixed, ty) = run(pr, bits, method, order, fma, "uniform", Rules::Clairaut, MpKernel::Fixed);
                    let (mpfr, ty_mp) = run(pr, bits, method, order, fma, "uniform", Rules::Clairaut, MpKernel::Mpfr);
                    assert!(ty.contains("Fixed<") && ty_mp.contains("Float"), "{ty} / {ty_mp}");
                    assert!(same_bits(&fixed, &mpfr), "mp:{bits} {method} {order} fma={fma} on problem {i}");
                }
            }
        }
    }
}

#[test]
fn routed_mp_hessians_with_policies_and_rules_equal_the_mpfr_path() {
    let problems = one_per_combination();
    for (policy, rules) in [("bf16-bf16-f32", Rules::Clairaut), ("f32-f32-f32,out=bf16", Rules::Clairaut), ("uniform", Rules::Jax), ("uniform", Rules::PyTorch), ("uniform", Rules::TensorFlow)] {
        for pr in problems.iter().step_by(5) {
            for method in [Method::FwdRev, Method::RevRev] {
                for fma in [false, true] {
                    let fixed = run(pr, 256, method, Order::Sequential, fma, policy, rules, MpKernel::Fixed).0;
                    let mpfr = run(pr, 256, method, Order::Sequential, fma, policy, rules, MpKernel::Mpfr).0;
                    assert!(same_bits(&fixed, &mpfr), "{policy} {rules:?} {method} fma={fma}");
                }
            }
        }
    }
}

#[test]
fn the_mp_kernel_is_fixed_up_to_320_bits_unless_mpfr_is_asked_for() {
    assert_eq!(MpKernel::parse(None), Ok(MpKernel::Fixed));
    assert_eq!(MpKernel::parse(Some("fixed")), Ok(MpKernel::Fixed));
    assert_eq!(MpKernel::parse(Some("mpfr")), Ok(MpKernel::Mpfr));
    let err = MpKernel::parse(Some("gmp")).unwrap_err();
    assert!(err.contains("CLAIRAUT_MP_KERNEL") && err.contains("gmp"), "{err}");
    let limbs = |k: MpKernel| [2, 64, 65, 256, 257, 320, 321, 1024].map(|b| k.limbs(b));
    assert_eq!(limbs(MpKernel::Fixed), [Some(4), Some(4), Some(4), Some(4), Some(5), Some(5), None, None]);
    assert_eq!(limbs(MpKernel::Mpfr), [None; 8]);
}

#[test]
fn wider_precisions_and_the_mpfr_kernel_run_on_mpfr() {
    let pr = &one_per_combination()[0];
    let ty = |bits, kernel| run(pr, bits, Method::FwdRev, Order::Sequential, false, "uniform", Rules::Clairaut, kernel).1;
    assert!(ty(256, MpKernel::Fixed).contains("Fixed<4>"));
    assert!(ty(257, MpKernel::Fixed).contains("Fixed<5>"));
    assert!(ty(321, MpKernel::Fixed).contains("Float"));
    assert!(ty(256, MpKernel::Mpfr).contains("Float"));
}

#[test]
fn the_routed_truth_hessian_equals_mpfr_and_falls_back_for_wide_inputs() {
    for pr in one_per_combination().iter().step_by(4) {
        for bits in [120, 256, 320] {
            let ctx = MpCtx::new(bits, None, false);
            let eval = Eval::new(Order::Exact, pr.spec.sum_lengths(pr.n));
            // inputs at `bits` (routed), and at bits + 40 (wider than the limbs' precision:
            // MPFR reads them exactly, so the route falls back)
            for ibits in [bits, bits + 40] {
                let inputs = pr.inputs::<Float>(InputMode::Decimal, &MpCtx::new(ibits, None, false)).unwrap();
                let a = hessian::compute_mp(Method::FwdRev, &pr.spec, pr.n, &inputs, &eval, &ctx, MpKernel::Fixed);
                let b = hessian::compute(Method::FwdRev, &pr.spec, pr.n, &inputs, &eval, &ctx);
                assert!(same_bits(&to_floats(&a), &to_floats(&b)), "mp:{bits}, inputs at {ibits} bits");
            }
        }
    }
}

#[test]
fn the_cli_runs_mp_on_either_kernel_with_the_same_output_and_refuses_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let problem = write(dir.path(), "p.json", r#"{"layers": [2, 3, 2], "activations": ["tanh", "sigmoid"], "loss": "mse",
      "x": [[1.0, 2.0], [-0.5, 0.25]], "y": [[0.5, 0.5], [0.1, 0.9]],
      "params": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, -0.7, 0.8, 0.9, -0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17]}"#);
    let out = |kernel: &str, method: &str| {
        let path = dir.path().join(format!("{kernel}-{method}.json"));
        let run = clairaut().env("CLAIRAUT_MP_KERNEL", kernel).args(["hessian", "--method", method, "--precision", "mp:256", "--problem"]).arg(&problem).arg("--out").arg(&path).output().unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        j["hessian"].clone()
    };
    for method in ["fwd-rev", "rev-rev"] {
        let (fixed, mpfr) = (out("fixed", method), out("mpfr", method));
        assert_eq!(fixed.as_array().map(Vec::len), Some(17));
        assert_eq!(fixed, mpfr, "{method}");
    }
    let bad = clairaut().env("CLAIRAUT_MP_KERNEL", "gmp").args(["hessian", "--precision", "mp:256", "--problem"]).arg(&problem).output().unwrap();
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{err}");
    assert!(err.contains("CLAIRAUT_MP_KERNEL") && err.contains("gmp") && err.trim_end().lines().count() == 1, "{err}");
}
