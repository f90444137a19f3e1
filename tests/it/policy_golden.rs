//! Precision policies (issue 13) against an independent definition: `scripts/golden/policy.py`
//! (exact rational arithmetic in pure Python, written from the policy definition and XLA's split
//! algorithms, not from Clairaut's code) wrote `tests/data/golden/policy_convert.json` (every
//! format × conversion mode × saturation, f32 and f64 inputs: ties, subnormals, overflow, ±0, ±inf,
//! NaN) and `tests/data/golden/policy_dots.json` (every preset and many overrides, n from 1 to 300,
//! both orders); see tests/data/golden/README.md for the command. Both are checked bit for bit; a NaN
//! golden (`"nan"`) accepts any NaN. Independently of the goldens, `f32-f32-f32` must be the plain
//! f32 FMA chain and `f32-f32-f32,prod=rounded` the plain multiply-then-add chain.

use clairaut::scalar::matmul::{Conv, Fmt, PrecisionPolicy};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::path::Path;

/// Every preset of the policy definition; each must have golden dot cases.
const PRESETS: [&str; 17] = [
    "f32-f32-f32", "tf32-tf32-f32", "tf32-tf32-f32-x3", "bf16-bf16-f32", "bf16-bf16-f32-x3", "bf16-bf16-f32-x6",
    "f16-f16-f32", "f16-f16-f16", "bf16-bf16-bf16", "e4m3-e4m3-f32", "e5m2-e5m2-f32", "tf2-ampere",
    "jax-gpu-default", "jax-tpu-default", "torch-default", "torch-autocast-bf16", "fp8-e4m3-promote128",
];

fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hex(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a hex string: {v}"));
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn f32_of(v: &Value) -> f32 {
    f32::from_bits(u32::try_from(hex(v)).unwrap_or_else(|_| panic!("not an f32 pattern: {v}")))
}

/// Panics with the first failures (and their count) when there are any.
fn report(what: &str, checked: usize, failures: &[String]) {
    if !failures.is_empty() {
        let shown = failures.iter().take(25).cloned().collect::<Vec<_>>().join("\n");
        panic!("{} of {checked} {what} differ from the goldens:\n{shown}", failures.len());
    }
}

#[test]
fn conversions_match_the_goldens_bit_for_bit() {
    let g = load("policy_convert.json");
    let groups = g["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 7 * 3 * 2, "every format × mode × sat");
    let (mut checked, mut failures) = (0, Vec::new());
    for group in groups {
        let (name, mode) = (group["format"].as_str().unwrap(), group["mode"].as_str().unwrap());
        let sat = group["sat"].as_bool().unwrap();
        name.parse::<Fmt>().unwrap_or_else(|e| panic!("format {name}: {e}"));
        mode.parse::<Conv>().unwrap_or_else(|e| panic!("mode {mode}: {e}"));
        let cases = group["cases"].as_array().unwrap();
        assert!(cases.len() >= 50, "{name} {mode} sat={sat}: {} cases", cases.len());
        for (i, c) in cases.iter().enumerate() {
            let (x, shown) = match c.get("x") {
                Some(x) => (f32_of(x) as f64, format!("f32 {}", x.as_str().unwrap())),
                None => (f64::from_bits(hex(&c["x64"])), format!("f64 {}", c["x64"].as_str().unwrap())),
            };
            let (fmt, conv): (Fmt, Conv) = (name.parse().unwrap(), mode.parse().unwrap()); // Copy or not
            let got = fmt.convert(x, conv, sat);
            let ok = match c["expected"].as_str().unwrap() {
                "nan" => got.is_nan(),
                _ => got.to_bits() == hex(&c["expected"]),
            };
            checked += 1;
            if !ok {
                failures.push(format!(
                    "{name} {mode} sat={sat} case {i}: input {shown} ({x:e}): expected {}, got {:#018x} ({got:e})",
                    c["expected"].as_str().unwrap(),
                    got.to_bits()
                ));
            }
        }
    }
    report("conversions", checked, &failures);
}

#[test]
fn policy_dots_match_the_goldens_bit_for_bit() {
    let g = load("policy_dots.json");
    let cases = g["cases"].as_array().expect("cases");
    assert!(cases.len() >= 400, "only {} dot cases", cases.len());
    for preset in PRESETS {
        assert!(cases.iter().any(|c| c["policy"] == preset), "no golden case for preset {preset}");
    }
    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let text = c["policy"].as_str().unwrap();
        let policy = PrecisionPolicy::parse(text).unwrap_or_else(|e| panic!("case {i}: policy {text}: {e}"));
        let a: Vec<f32> = c["a"].as_array().unwrap().iter().map(f32_of).collect();
        let b: Vec<f32> = c["b"].as_array().unwrap().iter().map(f32_of).collect();
        assert_eq!(a.len(), b.len(), "case {i}");
        let order = c["order"].as_str().unwrap();
        assert!(order == "sequential" || order == "reversed", "case {i}: order {order}");
        let got = policy.dot_f32(&a, &b, order == "reversed");
        let expected = c["expected"].as_str().unwrap();
        let ok = if expected == "nan" { got.is_nan() } else { u64::from(got.to_bits()) == hex(&c["expected"]) };
        if !ok {
            failures.push(format!(
                "case {i}: policy {text}, {order}, n={} ({}): expected {expected}, got {:#010x} ({got:e})",
                a.len(),
                c["kind"].as_str().unwrap_or("?"),
                got.to_bits()
            ));
        }
    }
    report("dot products", cases.len(), &failures);
}

/// A random f32 of random sign with exponent in `-20..=20` (a few exact zeros).
fn random_f32(rng: &mut ChaCha8Rng) -> f32 {
    if rng.gen_ratio(1, 40) {
        return if rng.gen() { 0.0 } else { -0.0 };
    }
    let mag = (1.0 + rng.gen::<f32>()) * 2f32.powi(rng.gen_range(-20..=20));
    if rng.gen() { mag } else { -mag }
}

#[test]
fn f32_preset_is_the_plain_f32_fma_chain_and_prod_rounded_the_plain_chain() {
    let fma = PrecisionPolicy::parse("f32-f32-f32").unwrap();
    let torch = PrecisionPolicy::parse("torch-default").unwrap();
    let plain = PrecisionPolicy::parse("f32-f32-f32,prod=rounded").unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    for trial in 0..2000 {
        let n = [1, 2, 3, 7, 16, 33, 100, 257][trial % 8];
        let a: Vec<f32> = (0..n).map(|_| random_f32(&mut rng)).collect();
        let b: Vec<f32> = (0..n).map(|_| random_f32(&mut rng)).collect();
        for reversed in [false, true] {
            let order: Vec<usize> = if reversed { (0..n).rev().collect() } else { (0..n).collect() };
            let mut chain = a[order[0]] * b[order[0]];
            let mut chain_plain = chain;
            for &k in &order[1..] {
                chain = a[k].mul_add(b[k], chain);
                chain_plain = chain_plain + a[k] * b[k];
            }
            let ctx = |got: f32, want: f32| format!("trial {trial}, n={n}, reversed={reversed}: got {:#010x}, chain {:#010x}", got.to_bits(), want.to_bits());
            let got = fma.dot_f32(&a, &b, reversed);
            assert_eq!(got.to_bits(), chain.to_bits(), "f32-f32-f32 {}", ctx(got, chain));
            let got = torch.dot_f32(&a, &b, reversed);
            assert_eq!(got.to_bits(), chain.to_bits(), "torch-default {}", ctx(got, chain));
            let got = plain.dot_f32(&a, &b, reversed);
            assert_eq!(got.to_bits(), chain_plain.to_bits(), "f32-f32-f32,prod=rounded {}", ctx(got, chain_plain));
        }
    }
}

#[test]
fn unknown_names_are_errors() {
    assert!("e3m4".parse::<Fmt>().is_err());
    assert!("nearest".parse::<Conv>().is_err());
    assert!(PrecisionPolicy::parse("tf32-tf32-f64").is_err());
    assert!(PrecisionPolicy::parse("tf32-tf32-f32,mul=tf32:up").is_err());
    for name in ["f32", "tf32", "bf16", "f16", "e4m3", "e5m2", "e8m13"] {
        assert!(name.parse::<Fmt>().is_ok(), "{name}");
    }
    for mode in ["rne", "rna", "trunc"] {
        assert!(mode.parse::<Conv>().is_ok(), "{mode}");
    }
}
