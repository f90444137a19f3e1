//! Issue 15, points 1 and 2: problems whose `x`, `y`, `params` and `reference_loss` name
//! tensors in `.safetensors`, `.npz` and `.npy` files (tests/data/import, written by
//! `scripts/golden/import_fixtures.py`, whose `golden.json` holds every value as Python's exact
//! decimal), and the `as-stored` / pinned input modes of `analyze`, experiments and result rows.

use std::path::{Path, PathBuf};

use clairaut::analysis::{self, Request};
use clairaut::hessian::Method;
use clairaut::input::Access;
use clairaut::model::import::{exact_decimal, Dtype};
use clairaut::model::{InputMode, Problem};
use clairaut::order::Order;
use clairaut::scalar::{IeeeFormat, MathLib, Precision};

use crate::common::{bin, clairaut, expect_error, f64_ctx, hessian, write};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import")
}

fn load(name: &str) -> Problem {
    Problem::load(&data().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn golden() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(data().join("golden.json")).unwrap()).unwrap()
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

/// A problem file of `text` parsed as if it lay in tests/data/import (its tensor files there).
fn parse(text: &str) -> Result<Problem, String> {
    Problem::parse_with(text, &data().join("inline-test.json"), Access::Confined).map_err(|e| e.to_string())
}

const HEAD: &str = r#""layers": [3, 4, 4, 2], "activations": ["tanh", "tanh", "identity"], "loss": "mse",
    "x": {"file": "batch.safetensors", "tensor": "x"}, "y": {"file": "batch.safetensors", "tensor": "y"}"#;

#[test]
fn a_torch_file_and_its_keras_twin_give_the_identical_problem() {
    let torch = load("problem-torch.json");
    for twin in ["problem-keras.json", "problem-flax.json", "problem-flat.json"] {
        let other = load(twin);
        assert_eq!((&other.x, &other.y, &other.params), (&torch.x, &torch.y, &torch.params), "{twin}");
        let a = hessian::<f64>(&torch, Method::FwdRev, Order::Sequential, &f64_ctx(false));
        let b = hessian::<f64>(&other, Method::FwdRev, Order::Sequential, &f64_ctx(false));
        assert!(a.bits_eq(&b), "{twin}: the f64 Hessians differ");
        let ctx32 = clairaut::scalar::hw::HwCtx::<f32>::new(MathLib::CoreMath, false);
        let a = hessian::<f32>(&torch, Method::RevRev, Order::Pairwise, &ctx32);
        let b = hessian::<f32>(&other, Method::RevRev, Order::Pairwise, &ctx32);
        assert!(a.bits_eq(&b), "{twin}: the f32 Hessians differ");
    }
}

#[test]
fn every_value_is_bit_exact_against_the_python_golden() {
    let g = golden();
    let torch = load("problem-torch.json");
    // θ in Clairaut order, transposed from torch's (out, in) by numpy
    assert_eq!(torch.params, strings(&g["theta_exact"]));
    assert_eq!(torch.x, strings(&g["x"]["exact"]));
    assert_eq!(torch.y, strings(&g["y"]["exact"]));
    // every value is an f32's, and its exact decimal (not the shortest one)
    assert!(torch.params.iter().all(|s| exact_decimal(s.parse::<f32>().unwrap() as f64) == *s));
    assert!(torch.x.iter().any(|s| s.len() > 12), "exact decimals of f32 values are long");
    // float16 weights and bfloat16 inputs
    let half = load("problem-f16.json");
    assert_eq!(half.params, strings(&g["theta_f16_exact"]));
    assert_eq!(half.x, strings(&g["x_bf16_exact"]));
    // the recorded losses: f32 (numpy's own float32 evaluation) and f64
    let r = torch.reference_loss.as_ref().unwrap();
    assert_eq!((r.dtype, exact_decimal(r.stored)), (Dtype::F32, g["loss32"]["exact"].as_str().unwrap().to_string()));
    assert!(r.ulps <= 8.0, "Clairaut's f32 loss is {} ulp from numpy's", r.ulps);
    let r = load("problem-keras.json").reference_loss.unwrap();
    assert_eq!((r.dtype, exact_decimal(r.stored)), (Dtype::F64, g["loss64"]["exact"].as_str().unwrap().to_string()));
    assert!(r.ulps <= 8.0, "Clairaut's f64 loss is {} ulp from numpy's", r.ulps);
    // read at every precision, a stored value is exactly itself
    let inputs = torch.inputs::<clairaut::scalar::narrow::Binary16>(InputMode::AsStored, &clairaut::scalar::narrow::NarrowRCtx::new(IeeeFormat::BINARY16, false));
    assert!(inputs.is_ok());
}

#[test]
fn bad_tensor_files_are_one_line_errors_naming_file_tensor_and_shapes() {
    let cases: [(&str, &[&str]); 9] = [
        (r#""params": {"file": "model-wrongshape.safetensors", "layout": "torch"}"#, &["model-wrongshape.safetensors", "`0.weight`", "shape (3, 4), expected (4, 3) for layer 1"]),
        (r#""params": {"file": "bad-dtype.safetensors", "layout": "torch"}"#, &["bad-dtype.safetensors", "`0.weight`", "dtype I32: expected F16, BF16, F32 or F64"]),
        (r#""params": {"file": "model-torch.safetensors", "layout": "keras"}"#, &["`0.weight`", "not a kernel or bias tensor of layout keras (a PyTorch weight: use layout torch)"]),
        (r#""params": {"file": "model-keras.safetensors", "layout": "torch"}"#, &["`dense_10/kernel`", "use layout keras or flax"]),
        (r#""params": {"file": "model-torch.safetensors"}"#, &["`params.layout`", "missing: torch (W is (out, in))"]),
        (r#""params": {"file": "model-torch.safetensors", "layout": "tf"}"#, &["`params.layout`", "unknown layout \"tf\""]),
        (r#""params": {"file": "../golden/x.safetensors", "layout": "torch"}"#, &["`params.file`", "leads through `..`", "--allow-outside"]),
        (r#""params": {"file": "model-flat.npy", "layout": "flat"}, "reference_loss": {"file": "batch.safetensors", "tensor": "nope"}"#, &["batch.safetensors", "`reference_loss`", "no tensor `nope`"]),
        (r#""params": {"file": "model-flat.npy", "layout": "flat", "tensor": "t"}"#, &["`params.tensor`", "an .npy file holds one array"]),
    ];
    for (member, expect) in cases {
        let e = parse(&format!("{{{HEAD}, {member}}}")).unwrap_err();
        assert_eq!(e.lines().count(), 1, "{e}");
        for x in expect {
            assert!(e.contains(x), "{member}: {e:?} lacks {x:?}");
        }
    }
    // a shape that does not fit the layers: the batch's x against a 4-wide input layer
    let e = parse(&format!("{{{}, \"params\": {{\"file\": \"model-torch.safetensors\", \"layout\": \"torch\"}}}}", HEAD.replace("[3, 4, 4, 2]", "[4, 4, 4, 2]"))).unwrap_err();
    assert!(e.contains("batch.safetensors") && e.contains("`x`") && e.contains("shape (5, 3), expected (N, 4)"), "{e}");
    // every shape fits, but the network is not the framework's: the reference loss says so
    let e = Problem::load(&data().join("problem-wrong-layout.json")).unwrap_err().to_string();
    assert!(e.contains("problem-wrong-layout.json: field `reference_loss`: the mapped network does not reproduce the framework's loss"), "{e}");
    assert!(e.contains("batch.safetensors, tensor `loss32`") && e.contains("`layout`") && e.lines().count() == 1, "{e}");
    // and on the command line: exit status 2, one line
    let mut cmd = clairaut();
    cmd.args(["hessian", "--problem"]).arg(data().join("problem-wrong-layout.json"));
    expect_error(&mut cmd, &["problem-wrong-layout", "check `layout`"]);
}

/// The request of an analysis of `pr` at `precisions` with input mode `inputs`.
fn request(pr: Problem, precisions: &[Precision], inputs: InputMode) -> Request {
    Request {
        problem: pr,
        methods: vec![Method::FwdRev],
        precisions: precisions.to_vec(),
        orders: vec![Order::Sequential],
        fmas: vec![false],
        policies: vec![clairaut::scalar::matmul::PrecisionPolicy::Uniform],
        rules: vec![clairaut::scalar::rules::Rules::Clairaut],
        math: MathLib::CoreMath,
        inputs,
        step: clairaut::method::StepRule::Optimal,
        truth_bits: None,
        check_extra: 64,
        truth_mode: clairaut::analysis::truth::TruthMode::Point,
        kink_tol: 1e-9,
        spectrum: false,
        keep_matrices: false,
        externals: Vec::new(),
    }
}

fn input_part(pr: &Problem, prec: Precision, inputs: InputMode) -> rug::Float {
    let a = analysis::analyze(&request(pr.clone(), &[prec], inputs)).unwrap();
    a.rows[0].input.total.clone()
}

#[test]
fn the_input_part_of_a_float32_stored_model_at_f32_is_exactly_zero() {
    let torch = load("problem-torch.json");
    for mode in [InputMode::AsStored, InputMode::Decimal, InputMode::Binary32] {
        assert!(input_part(&torch, Precision::F32, mode).is_zero(), "{mode:?}");
    }
    // narrower formats do round the stored values
    assert!(!input_part(&torch, Precision::Ieee(IeeeFormat::BINARY16), InputMode::AsStored).is_zero());
    // the trap: the same model written with the shortest decimal of each f32 (what Python's
    // repr of a float32 writes) is another model at the truth unless the inputs are pinned
    let shortest = |v: &[String]| v.iter().map(|s| format!("{}", s.parse::<f32>().unwrap())).collect::<Vec<_>>().join(", ");
    let widths = torch.spec.layers.clone();
    let rows = |v: &[String], w: usize| v.chunks(w).map(|r| format!("[{}]", shortest(r))).collect::<Vec<_>>().join(", ");
    let text = format!(
        r#"{{"layers": {widths:?}, "activations": ["tanh", "tanh", "identity"], "loss": "mse", "x": [{}], "y": [{}], "params": [{}]}}"#,
        rows(&torch.x, widths[0]),
        rows(&torch.y, widths[3]),
        shortest(&torch.params)
    );
    let json = Problem::parse(&text, Path::new("shortest.json")).unwrap();
    assert_ne!(json.x, torch.x);
    assert!(!input_part(&json, Precision::F32, InputMode::Decimal).is_zero(), "shortest f32 decimals are not the f32 values");
    assert!(input_part(&json, Precision::F32, InputMode::Binary32).is_zero(), "binary32 pins them to the f32 values");
}

#[test]
fn analyze_inputs_are_recorded_in_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("a.json");
    let out = clairaut()
        .args(["analyze", "--methods", "fwd-rev", "--precisions", "f32", "--inputs", "as-stored", "--problem"])
        .arg(data().join("problem-torch.json"))
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains("inputs: as-stored") && stdout.contains("reference loss (f32): file 0."), "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let row = &v["rows"][0];
    assert_eq!(row["inputs"], "as-stored");
    assert_eq!(row["attribution"]["input"]["total"], 0.0);
    // the default is not written: rows without a mode read as decimal
    clairaut().args(["analyze", "--methods", "fwd-rev", "--precisions", "f32", "--problem"]).arg(data().join("problem-torch.json")).arg("--json").arg(&json).assert().success();
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(v["rows"][0].get("inputs").is_none());
    // hessian takes as-stored too
    clairaut().args(["hessian", "--precision", "f32", "--inputs", "as-stored", "--problem"]).arg(data().join("problem-flat.json")).assert().success();
}

#[test]
fn experiment_inputs_are_taken_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let toml = |inputs: &str| {
        format!(
            "[base]\nlayers = [2, 2, 1]\nactivations = [\"tanh\", \"identity\"]\nn = 2\ndata = \"inline\"\nx = [[0.1, 0.2], [0.3, -0.7]]\ny = [[0.5], [0.25]]\nweights = \"glorot\"\nmethods = [\"fwd-rev\"]\nprecisions = [\"f32\"]\n{inputs}\n"
        )
    };
    let exp = write(dir.path(), "e.toml", &toml("inputs = \"binary32\""));
    let out = dir.path().join("out");
    clairaut().arg("sweep").arg(&exp).arg("--out").arg(&out).assert().success();
    let files: Vec<PathBuf> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).collect();
    let r = clairaut::results::ResultFile::read(&files[0]).unwrap();
    assert_eq!(r.config.inputs, "binary32");
    assert_eq!(r.analysis.rows[0].inputs, "binary32");
    assert_eq!(serde_json::to_value(&r.analysis.rows[0].attribution.input.total).unwrap(), 0.0);
    let rerun = std::process::Command::new(bin()).arg("rerun").arg(&files[0]).output().unwrap();
    assert!(rerun.status.success() && String::from_utf8_lossy(&rerun.stdout).contains("bit-identical"), "{rerun:?}");
    // the default is not part of the configuration: the id of a cell without `inputs` is unchanged
    let plain = clairaut::experiment::Experiment::parse(&toml(""), Path::new("p.toml"), &[]).unwrap();
    let explicit = clairaut::experiment::Experiment::parse(&toml("inputs = \"decimal\""), Path::new("p.toml"), &[]).unwrap();
    assert_eq!(plain.cells.get(0).unwrap().hash(), explicit.cells.get(0).unwrap().hash());
    let bad = write(dir.path(), "bad.toml", &toml("inputs = \"exact\""));
    let mut cmd = clairaut();
    cmd.arg("sweep").arg(&bad).arg("--out").arg(dir.path().join("o2"));
    expect_error(&mut cmd, &["bad.toml", "`inputs`", "expected decimal, binary64, binary32 or as-stored"]);
}
