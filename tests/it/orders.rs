//! The reduction-shape orders `lanes:<w>`, `blocked:<b>`, `splitk:<k>` (issue 13, point 3):
//! bit for bit against an independent definition (`scripts/golden/orders.py`, exact rational
//! arithmetic rounded once per operation), their identities with `sequential`, the invariants of
//! the fast paths and emulations under them, and their use from the command line and TOML.

use clairaut::ad::{Dual, DualVec, HyperDual};
use clairaut::hessian::Method;
use clairaut::order::{dot, sum, Eval, KernelScratch, Order, Strided};
use clairaut::scalar::hw::HwCtx;
use clairaut::scalar::precision::Arith;
use clairaut::scalar::{IeeeFormat, MathLib, MpCtx, Precision, Scalar};
use rand::{Rng, SeedableRng};
use rug::Float;

use crate::common::*;

/// `(dot(a, b), sum(a))` in `order` (a, b non-empty).
fn reduce<S: Scalar>(order: Order, a: &[S], b: &[S], ctx: &S::Ctx) -> (S, S) {
    let n = a.len();
    let eval = Eval::new(order, [n]);
    let mut ks = KernelScratch::new(&a[0], n);
    let (mut d, mut s) = (a[0].clone(), a[0].clone());
    dot(&mut d, Strided::contiguous(a), Strided::contiguous(b), &eval, &mut ks, ctx);
    sum(&mut s, Strided::contiguous(a), &eval, &mut ks, ctx);
    (d, s)
}

fn hex(s: &serde_json::Value) -> u64 {
    u64::from_str_radix(s.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// The bits of a result as the golden file writes them, for binary32 or binary64.
fn float_bits(x: &Float, f32_format: bool) -> u64 {
    if f32_format {
        x.to_f32().to_bits() as u64
    } else {
        x.to_f64().to_bits()
    }
}

#[test]
fn shaped_orders_match_the_independent_definition_bit_for_bit() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/golden/orders.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    let results = doc["results"].as_array().unwrap();
    assert!(results.len() >= 1000, "the golden file holds {} results", results.len());
    let (mut differ_from_sequential, mut checked) = (0, 0);
    for r in results {
        let v = &vectors[r["vector"].as_u64().unwrap() as usize];
        let order: Order = r["order"].as_str().unwrap().parse().unwrap();
        assert_eq!(order.to_string(), r["order"].as_str().unwrap());
        let is_f32 = v["format"] == "f32";
        let a: Vec<u64> = v["a"].as_array().unwrap().iter().map(hex).collect();
        let b: Vec<u64> = v["b"].as_array().unwrap().iter().map(hex).collect();
        let (want_sum, want_dot) = (hex(&r["sum"]), [hex(&r["dot"][0]), hex(&r["dot"][1])]);
        for fma in [false, true] {
            let want = (want_dot[fma as usize], want_sum);
            let label = format!("vector {} ({}) {order} fma={fma}", r["vector"], v["format"]);
            // hardware format, its MPFR emulation, and the value part of the lifted scalars
            let (got, emulated, lifted) = if is_f32 {
                let (a, b): (Vec<f32>, Vec<f32>) = (a.iter().map(|&x| f32::from_bits(x as u32)).collect(), b.iter().map(|&x| f32::from_bits(x as u32)).collect());
                let ctx = HwCtx::<f32>::new(MathLib::CoreMath, fma);
                let (d, s) = reduce(order, &a, &b, &ctx);
                let (ma, mb) = (a.iter().map(|&x| Float::with_val(24, x)).collect::<Vec<_>>(), b.iter().map(|&x| Float::with_val(24, x)).collect::<Vec<_>>());
                let (md, ms) = reduce(order, &ma, &mb, &MpCtx::new(24, Some(IeeeFormat::BINARY32), fma));
                let lifted = lifted_values(order, &a, &b, &ctx).map(|(d, s)| (d.to_bits() as u64, s.to_bits() as u64));
                ((d.to_bits() as u64, s.to_bits() as u64), (float_bits(&md, true), float_bits(&ms, true)), lifted)
            } else {
                let (a, b): (Vec<f64>, Vec<f64>) = (a.iter().map(|&x| f64::from_bits(x)).collect(), b.iter().map(|&x| f64::from_bits(x)).collect());
                let ctx = HwCtx::<f64>::new(MathLib::CoreMath, fma);
                let (d, s) = reduce(order, &a, &b, &ctx);
                let (ma, mb) = (a.iter().map(|&x| Float::with_val(53, x)).collect::<Vec<_>>(), b.iter().map(|&x| Float::with_val(53, x)).collect::<Vec<_>>());
                let (md, ms) = reduce(order, &ma, &mb, &MpCtx::new(53, Some(IeeeFormat::BINARY64), fma));
                let lifted = lifted_values(order, &a, &b, &ctx).map(|(d, s)| (d.to_bits(), s.to_bits()));
                ((d.to_bits(), s.to_bits()), (float_bits(&md, false), float_bits(&ms, false)), lifted)
            };
            assert_eq!(got, want, "{label}: hardware (dot, sum) {got:x?} vs golden {want:x?}");
            assert_eq!(emulated, want, "{label}: MPFR emulation");
            for (k, l) in lifted.iter().enumerate() {
                assert_eq!(*l, want, "{label}: value part of lifted scalar #{k}");
            }
            checked += 1;
        }
        let seq = results.iter().find(|s| s["vector"] == r["vector"] && s["order"] == "sequential").unwrap();
        differ_from_sequential += (seq["dot"] != r["dot"]) as usize;
    }
    // not vacuous: the orders do change results
    assert!(differ_from_sequential > 100, "only {differ_from_sequential} results differ from sequential");
    assert!(checked >= 2000);
}

/// The value parts of `(dot, sum)` computed on `Dual`, `HyperDual` and `DualVec<_, 4>` carrying
/// `a`, `b` as values and other numbers as derivative parts: a lifted scalar's value undergoes
/// exactly the operations of the format.
fn lifted_values<R: clairaut::ad::LaneDot + Copy + From<f32>>(order: Order, a: &[R], b: &[R], ctx: &R::RCtx) -> [(R, R); 3] {
    let t = |x: &R, k: usize| -> R { if k % 2 == 0 { *x } else { R::from(0.5) } };
    let dual = |v: &[R]| v.iter().enumerate().map(|(k, x)| Dual { v: *x, t: t(x, k) }).collect::<Vec<_>>();
    let hyper = |v: &[R]| v.iter().enumerate().map(|(k, x)| HyperDual { v: *x, e1: t(x, k), e2: t(x, k + 1), d: R::from(0.25) }).collect::<Vec<_>>();
    let vec4 = |v: &[R]| v.iter().enumerate().map(|(k, x)| DualVec::<R, 4> { v: *x, t: std::array::from_fn(|j| t(x, k + j)) }).collect::<Vec<_>>();
    let (d1, s1) = reduce(order, &dual(a), &dual(b), ctx);
    let (d2, s2) = reduce(order, &hyper(a), &hyper(b), ctx);
    let (d3, s3) = reduce(order, &vec4(a), &vec4(b), ctx);
    [(d1.v, s1.v), (d2.v, s2.v), (d3.v, s3.v)]
}

/// Random operands with signed zeros, ones and cancelling pairs among them.
fn operands(rng: &mut impl Rng, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| match rng.gen_range(0..8) {
            0 => 0.0,
            1 => -0.0,
            2 => 1.0,
            _ => rng.gen_range(-4.0..4.0) * 2f64.powi(rng.gen_range(-20..20)),
        })
        .collect()
}

#[test]
fn lanes_1_blocked_at_least_n_and_splitk_1_are_sequential_bit_for_bit() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(31);
    let max = Order::MAX_PARAM;
    for case in 0..400 {
        let n = 1 + case % 37;
        let (a, b) = (operands(&mut rng, n), operands(&mut rng, n));
        let same = [Order::Lanes(1), Order::Blocked(n as u32), Order::Blocked(n as u32 + 3), Order::Blocked(max), Order::SplitK(1)];
        for fma in [false, true] {
            let ctx = HwCtx::<f64>::new(MathLib::CoreMath, fma);
            let bits = |(d, s): (f64, f64)| (d.to_bits(), s.to_bits());
            let seq = bits(reduce(Order::Sequential, &a, &b, &ctx));
            let a32: Vec<f32> = a.iter().map(|&x| x as f32).collect();
            let b32: Vec<f32> = b.iter().map(|&x| x as f32).collect();
            let ctx32 = HwCtx::<f32>::new(MathLib::CoreMath, fma);
            let seq32 = reduce(Order::Sequential, &a32, &b32, &ctx32);
            // a lifted scalar: every component
            let dv = |v: &[f64]| v.iter().zip(b.iter().rev()).map(|(x, y)| DualVec::<f64, 4> { v: *x, t: [*y, -*x, 0.0, -0.0] }).collect::<Vec<_>>();
            let seq_dv = reduce(Order::Sequential, &dv(&a), &dv(&b), &ctx);
            for o in same {
                assert_eq!(bits(reduce(o, &a, &b, &ctx)), seq, "{o} f64 n={n} fma={fma}");
                let r32 = reduce(o, &a32, &b32, &ctx32);
                assert_eq!((r32.0.to_bits(), r32.1.to_bits()), (seq32.0.to_bits(), seq32.1.to_bits()), "{o} f32 n={n} fma={fma}");
                let r = reduce(o, &dv(&a), &dv(&b), &ctx);
                let all = |(d, s): &(DualVec<f64, 4>, DualVec<f64, 4>)| -> Vec<u64> { [d, s].iter().flat_map(|x| std::iter::once(x.v).chain(x.t)).map(f64::to_bits).collect() };
                assert_eq!(all(&r), all(&seq_dv), "{o} DualVec n={n} fma={fma}");
            }
        }
    }
}

#[test]
fn absent_lanes_and_parts_keep_a_negative_zero() {
    // −0 + −0 = −0, but +0 + −0 = +0: an empty lane or part must not add a zero
    let ctx = HwCtx::<f64>::new(MathLib::CoreMath, false);
    let z = [-0.0f64; 3];
    let one = [1.0f64; 3];
    for o in [Order::Lanes(8), Order::Lanes(3), Order::Blocked(2), Order::SplitK(5), Order::SplitK(2)] {
        let (d, s) = reduce(o, &z, &one, &ctx);
        assert!(d == 0.0 && d.is_sign_negative() && s.is_sign_negative(), "{o}: {d} {s}");
    }
}

#[test]
fn the_horizontal_sum_folds_halves() {
    // 8 lanes, one term each: ((l0+l4) + (l2+l6)) + ((l1+l5) + (l3+l7)). With l0 = 2^53,
    // l7 = −2^53 and the others 1: (2^53 + 1 → 2^53, a tie to even) + 2, then + (2 + (1 − 2^53)),
    // = 5; lane by lane every 1 is lost against 2^53 and the sum is 0.
    let ctx = HwCtx::<f64>::new(MathLib::CoreMath, false);
    let big = 2f64.powi(53);
    let x = [big, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -big];
    let (_, s) = reduce(Order::Lanes(8), &x, &x, &ctx);
    let fold = ((big + 1.0) + (1.0 + 1.0)) + ((1.0 + 1.0) + (1.0 + -big));
    let lane_by_lane = x.iter().skip(1).fold(x[0], |acc, v| acc + v);
    assert_eq!(s.to_bits(), fold.to_bits());
    assert_ne!(fold, lane_by_lane, "the example must tell the two apart");
    // splitk:4 of 10 terms: parts of 3, 3, 3, 1; splitk:4 of 5 terms: 2, 2, 1 (the fourth absent)
    let t: Vec<f64> = (0..10).map(|k| if k == 0 { big } else { 1.0 }).collect();
    let (_, s) = reduce(Order::SplitK(4), &t, &t, &ctx);
    assert_eq!(s, ((big + 1.0 + 1.0) + 3.0) + 3.0 + 1.0);
    assert_eq!(reduce(Order::SplitK(4), &t[..5], &t[..5], &ctx).1, (big + 1.0) + 2.0 + 1.0);
}

#[test]
fn order_names_round_trip_and_bad_parameters_are_refused() {
    for o in [Order::Lanes(1), Order::Lanes(8), Order::Blocked(128), Order::SplitK(3), Order::Lanes(Order::MAX_PARAM)] {
        assert_eq!(o.to_string().parse::<Order>().unwrap(), o);
    }
    assert_eq!(Order::Lanes(8).to_string(), "lanes:8");
    for (bad, expect) in [
        ("lanes:0", "1..=65536"),
        ("blocked:0", "1..=65536"),
        ("splitk:65537", "1..=65536"),
        ("lanes:", "1..=65536"),
        ("lanes:+8", "1..=65536"),
        ("lanes:-1", "1..=65536"),
        ("lanes:x", "1..=65536"),
        ("lanes:08", "write `lanes:8`"),
        ("split:2", "unknown order"),
    ] {
        let e = bad.parse::<Order>().unwrap_err();
        assert!(e.contains(bad) && e.contains(expect), "{bad}: {e}");
    }
}

const SHAPED: [Order; 4] = [Order::Lanes(4), Order::Lanes(3), Order::Blocked(2), Order::SplitK(3)];

#[test]
fn hessians_in_the_identity_orders_equal_sequential_for_every_method_and_format() {
    // the whole model (dot products and sums of every pass, every lifted scalar, the tape)
    let precisions = [Precision::F64, Precision::F32, Precision::Mp(113), Precision::Ieee(IeeeFormat::BINARY16), Precision::Ieee(IeeeFormat::BFLOAT16)];
    let problems = one_per_combination();
    for pr in problems.iter().step_by(3) {
        for method in Method::ALL {
            for precision in precisions {
                for fma in [false, true] {
                    let arith = Arith { precision, math: MathLib::CoreMath, fma };
                    let seq = hessian_any(pr, method, Order::Sequential, arith);
                    for o in [Order::Lanes(1), Order::Blocked(Order::MAX_PARAM), Order::SplitK(1)] {
                        assert!(bits_identical(&hessian_any(pr, method, o, arith), &seq), "{method} {precision} {o} fma={fma}");
                    }
                }
            }
        }
    }
}

fn bits_identical(a: &[Float], b: &[Float]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x == y && x.is_sign_negative() == y.is_sign_negative()) || (x.is_nan() && y.is_nan()))
}

#[test]
fn emulations_agree_bit_for_bit_under_the_shaped_orders() {
    // as tests/it/bit_identity.rs for the other orders: binary64/binary32 in MPFR give the bits
    // of f64/f32, binary16/bfloat16 in f64 those of their MPFR emulation
    let problems = one_per_combination();
    let mut differ = 0;
    for pr in problems.iter().step_by(2) {
        for method in Method::ALL {
            for o in SHAPED {
                for fma in [false, true] {
                    let at = |precision| hessian_any(pr, method, o, Arith { precision, math: MathLib::CoreMath, fma });
                    let f64h = at(Precision::F64);
                    assert!(bits_identical(&f64h, &at(Precision::Ieee(IeeeFormat::BINARY64))), "{method} {o} fma={fma} f64");
                    let f32h = at(Precision::F32);
                    assert!(bits_identical(&f32h, &at(Precision::Ieee(IeeeFormat::BINARY32))), "{method} {o} fma={fma} f32");
                    for fmt in [IeeeFormat::BINARY16, IeeeFormat::BFLOAT16] {
                        let ctx = MpCtx::new(fmt.prec, Some(fmt), fma);
                        let mpfr = to_floats(&hessian::<Float>(pr, method, o, &ctx));
                        assert!(bits_identical(&at(Precision::Ieee(fmt)), &mpfr), "{method} {o} fma={fma} {}", fmt.name);
                    }
                    let seq = hessian_any(pr, method, Order::Sequential, Arith { precision: Precision::F32, math: MathLib::CoreMath, fma });
                    differ += !bits_identical(&f32h, &seq) as usize;
                }
            }
        }
    }
    assert!(differ > 0, "the shaped orders never changed an f32 Hessian: the test would be vacuous");
}

/// Whether two option sets give bitwise the same Hessian.
struct SameBits<'a> {
    problem: &'a clairaut::model::Problem,
    method: Method,
    order: Order,
    a: clairaut::hessian::Options,
    b: clairaut::hessian::Options,
}

impl clairaut::ad::WithReal for SameBits<'_> {
    type Output = bool;
    fn run<R: clairaut::ad::LaneDot>(self, ctx: R::RCtx) -> bool {
        let pr = self.problem;
        let inputs = pr.inputs::<R>(clairaut::model::InputMode::Decimal, &ctx).unwrap();
        let eval = Eval::new(self.order, pr.spec.sum_lengths(pr.n));
        let h = |o: &clairaut::hessian::Options| clairaut::hessian::compute_with(self.method, &pr.spec, pr.n, &inputs, &eval, &ctx, o);
        h(&self.a).bits_eq(&h(&self.b))
    }
}

#[test]
fn vector_lanes_and_the_primal_table_change_no_bit_under_the_shaped_orders() {
    use clairaut::hessian::Options;
    let problems = one_per_combination();
    for pr in problems.iter().step_by(3) {
        for precision in [Precision::F64, Precision::F32, Precision::Mp(113), Precision::Ieee(IeeeFormat::BINARY16)] {
            for o in SHAPED {
                for fma in [false, true] {
                    let arith = Arith { precision, math: MathLib::CoreMath, fma };
                    for method in [Method::FwdRev, Method::GaussNewton] {
                        let lanes = |vector_lanes| Options { vector_lanes, ..Default::default() };
                        assert!(arith.dispatch(SameBits { problem: pr, method, order: o, a: lanes(true), b: lanes(false) }), "lanes {method} {precision} {o} fma={fma}");
                    }
                    for method in Method::ALL {
                        let table = |reuse_primal| Options { reuse_primal, ..Default::default() };
                        assert!(arith.dispatch(SameBits { problem: pr, method, order: o, a: table(true), b: table(false) }), "table {method} {precision} {o} fma={fma}");
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------- command line and experiments

const PROBLEM: &str = r#"{"layers": [3, 4, 2], "activations": ["tanh", "identity"], "loss": "mse",
  "x": [[0.1, -0.2, 0.3], [0.5, 0.25, -0.75], [1.5, -1.25, 0.125], [0.3, 0.7, -0.9], [2.0, 1.0, -1.0]],
  "y": [[0.5, -0.5], [1.0, 0.0], [0.25, 0.75], [0.0, 1.0], [-1.0, 0.5]],
  "params": [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 0.15, -0.25, 0.35,
             0.01, 0.02, -0.03, 0.04,
             0.5, -0.4, 0.3, -0.2, 0.1, 0.05, -0.15, 0.25, 0.0, 0.0]}"#;

#[test]
fn hessian_and_analyze_run_in_every_shaped_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "p.json", PROBLEM);
    for o in ["lanes:4", "lanes:8", "blocked:2", "splitk:3"] {
        for fma in ["--fma", "--no-fma"] {
            let out = clairaut().args(["hessian", "--problem"]).arg(&file).args(["--precision", "f32", "--order", o, fma]).output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{o}: {}", String::from_utf8_lossy(&out.stderr));
            assert!(stdout.contains(&format!("order {o}")), "{o}: {stdout}");
        }
    }
    let out = clairaut()
        .args(["analyze", "--problem"])
        .arg(&file)
        .args(["--methods", "fwd-rev,rev-rev", "--precisions", "f32", "--orders", "sequential,lanes:4,blocked:2,splitk:3", "--fma-policies", "no-fma,fma"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for o in ["lanes:4", "blocked:2", "splitk:3"] {
        // one row per method × FMA policy
        assert_eq!(stdout.lines().filter(|l| l.split_whitespace().any(|w| w == o)).count(), 4, "{o}: {stdout}");
    }
}

#[test]
fn bad_shaped_orders_get_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "p.json", PROBLEM);
    for (o, expect) in [("lanes:0", "1..=65536"), ("blocked:70000", "1..=65536"), ("lanes:08", "lanes:8")] {
        expect_error(clairaut().args(["hessian", "--problem"]).arg(&file).args(["--order", o]), &["--order", o, expect]);
        expect_error(clairaut().args(["analyze", "--problem"]).arg(&file).args(["--orders", &format!("sequential,{o}")]), &["--orders", o, expect]);
    }
}

const EXPERIMENT: &str = r#"
name = "shaped"
[base]
layers = [2, 3, 2]
activations = ["tanh", "identity"]
n = 5
methods = ["rev-rev", "fwd-rev"]
precisions = ["f32"]
orders = ["sequential", "lanes:8", "blocked:2", "splitk:2"]
"#;

#[test]
fn experiments_accept_the_shaped_orders() {
    let dir = tempfile::tempdir().unwrap();
    let exp = write(dir.path(), "shaped.toml", EXPERIMENT);
    let out = dir.path().join("out");
    clairaut().arg("sweep").arg(&exp).arg("--out").arg(&out).assert().success();
    let files: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "cbor")).collect();
    assert_eq!(files.len(), 1);
    let r = clairaut::results::ResultFile::read(&files[0]).unwrap();
    let orders: Vec<&str> = r.analysis.rows.iter().map(|row| row.order.as_str()).collect();
    assert_eq!(orders.iter().filter(|o| **o == "lanes:8").count(), 2, "{orders:?}");
    assert!(orders.contains(&"blocked:2") && orders.contains(&"splitk:2"));
    // the attribution's order part: the spread across the four orders is computed (finite, > 0
    // for some row at f32)
    use clairaut::results::record::Metric;
    assert!(r.analysis.rows.iter().any(|row| matches!(row.attribution.order.total, Metric::Value(x) if x > 0.0)), "{:?}", r.analysis.rows.iter().map(|row| &row.attribution.order).collect::<Vec<_>>());
    for (bad, expect) in [("\"lanes:0\"", "1..=65536"), ("\"splitk:007\"", "splitk:7")] {
        let e = write(dir.path(), "e.toml", &EXPERIMENT.replace("\"splitk:2\"", bad));
        expect_error(clairaut().arg("sweep").arg(&e).arg("--out").arg(dir.path().join("bad")), &["e.toml", "orders", expect]);
    }
}
