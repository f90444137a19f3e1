//! Issue #4: sweeps are deterministic at any thread count and under sharding, resume after
//! SIGKILL without losing or corrupting cells, reject bad files with one-line errors, rerun the
//! committed reference results bit for bit, and export stable tables.

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;
use clairaut::results::ResultFile;

use crate::common::{bin, deterministic, expect_error};


fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const SMALL: &str = r#"
name = "small"
[base]
layers = [2, 3, 2]
activations = ["tanh", "identity"]
n = 3
methods = ["rev-rev", "fwd-rev", "fd-grad-central"]
[sweep]
precisions = [["f32"], ["f64"], ["binary16"]]
orders = [["sequential"], ["pairwise"]]
"#;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "cbor")).collect();
    v.sort();
    v
}

fn sweep(exp: &Path, out: &Path, extra: &[&str]) {
    Command::new(bin()).arg("sweep").arg(exp).arg("--out").arg(out).args(extra).assert().success();
}

#[test]
fn thread_counts_and_shards_give_identical_result_files() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("small.toml");
    std::fs::write(&exp, SMALL).unwrap();
    let (a, b) = (dir.path().join("t1"), dir.path().join("t2"));
    sweep(&exp, &a, &["--threads", "1"]);
    sweep(&exp, &b, &["--threads", "2"]);
    let da = deterministic(&a);
    assert_eq!(da.len(), 6);
    assert_eq!(da, deterministic(&b));
    // the files differ only in provenance: same bytes once provenance is set aside
    let (s0, s1, m) = (dir.path().join("s0"), dir.path().join("s1"), dir.path().join("merged"));
    sweep(&exp, &s0, &["--shard", "0/2"]);
    sweep(&exp, &s1, &["--shard", "1/2"]);
    assert_eq!(files(&s0).len() + files(&s1).len(), 6);
    Command::new(bin()).args(["merge", "--out"]).arg(&m).arg(&s0).arg(&s1).assert().success();
    assert_eq!(da, deterministic(&m));
    Command::new(bin()).arg("status").arg(&exp).arg("--out").arg(&m).assert().success();
    Command::new(bin()).arg("status").arg(&exp).arg("--out").arg(&s0).assert().code(3);
}

#[test]
fn without_a_terminal_progress_is_plain_log_lines() {
    // stderr is a pipe here: no progress bar, no escape sequences, the plain lines (the last
    // always) — the bar itself is tested in `sweep`'s unit tests
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("small.toml");
    std::fs::write(&exp, SMALL).unwrap();
    let out = Command::new(bin()).arg("sweep").arg(&exp).arg("--out").arg(dir.path().join("o")).output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains('\x1b') && !stderr.contains('\r'), "{stderr:?}");
    let last = stderr.lines().last().unwrap();
    assert!(last.starts_with("[6/6] cell ") && last.contains(" done in ") && last.ends_with("ETA 0.0 s"), "{stderr}");
    assert!(stderr.lines().all(|l| l.starts_with("sweep small: 6 cells") || l.starts_with('[')), "{stderr}");
}

#[test]
fn killed_sweeps_resume_without_losing_or_corrupting_cells() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("kill.toml");
    std::fs::write(
        &exp,
        r#"
name = "kill"
[base]
layers = [3, 6, 2]
activations = ["gelu", "identity"]
n = 6
methods = ["fwd-rev", "rev-rev", "fd-grad-central"]
precisions = ["f32", "f64", "mp:113"]
[sweep]
data_seed = { range = [1, 16] }
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    // kill at several points (pseudo-random delays from a fixed LCG, so the test is repeatable)
    let mut state = 12345u64;
    let mut kills = 0;
    for _ in 0..5 {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let delay = 100 + (state >> 33) % 400;
        let mut child = Std::new(bin()).arg("sweep").arg(&exp).arg("--out").arg(&out).args(["--threads", "2"]).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
        // whatever is there is complete and valid (atomic writes)
        for f in files(&out) {
            ResultFile::read(&f).unwrap_or_else(|e| panic!("corrupt after kill: {e}"));
        }
    }
    assert!(kills >= 1, "the sweep was never killed: make it longer");
    sweep(&exp, &out, &[]);
    assert_eq!(files(&out).len(), 16);
    // no temporary files left behind that look like results
    Command::new(bin()).arg("status").arg(&exp).arg("--out").arg(&out).assert().success();
    // and the resumed results equal a clean run
    let clean = dir.path().join("clean");
    sweep(&exp, &clean, &[]);
    assert_eq!(deterministic(&out), deterministic(&clean));
}

#[test]
fn bad_result_files_and_experiments_get_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("small.toml");
    std::fs::write(&exp, SMALL).unwrap();
    let out = dir.path().join("out");
    sweep(&exp, &out, &[]);
    let fs = files(&out);
    let before: Vec<Vec<u8>> = fs.iter().map(|f| std::fs::read(f).unwrap()).collect();
    // truncated
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    let bytes = std::fs::read(&fs[0]).unwrap();
    std::fs::write(bad.join("trunc.cbor"), &bytes[..bytes.len() / 2]).unwrap();
    expect_error(Command::new(bin()).arg("rerun").arg(bad.join("trunc.cbor")), &["trunc.cbor", "not a complete CBOR"]);
    // corrupted: a flipped byte in the configuration breaks the hash (or the structure)
    let mut c = bytes.clone();
    let pos = c.windows(7).position(|w| w == b"layers\x82" || w == b"layers\x83").unwrap_or(c.len() / 3);
    c[pos + 2] ^= 0x01;
    std::fs::write(bad.join("flip.cbor"), &c).unwrap();
    expect_error(Command::new(bin()).arg("export").arg(&bad).arg("--format").arg("csv"), &["cbor"]);
    // newer schema
    let mut r = ResultFile::read(&fs[0]).unwrap();
    r.schema = 99;
    std::fs::remove_file(bad.join("flip.cbor")).unwrap();
    std::fs::remove_file(bad.join("trunc.cbor")).unwrap();
    r.write(&bad.join("new.cbor")).unwrap();
    expect_error(Command::new(bin()).arg("rerun").arg(bad.join("new.cbor")), &["new.cbor", "`schema`", "99", "newer"]);
    // experiments: unknown key, bad range, empty grid, unknown name
    for (text, expect) in [
        (SMALL.replace("n = 3", "n = 3\nbatch = 4"), vec!["batch", "unknown field"]),
        (SMALL.replace("[sweep]", "[sweep]\nn = { range = [8, 2] }"), vec!["sweep.n", "bad range"]),
        (
            SMALL.replace("[sweep]", "[sweep]\nexclude = [{ orders = [\"sequential\"] }, { orders = [\"pairwise\"] }]"),
            vec!["sweep", "empty"],
        ),
        (SMALL.replace("[sweep]", "[sweep]\nlayer = [[2, 2]]"), vec!["sweep.layer"]),
        (SMALL.replace("\"rev-rev\"", "\"rev-rev-rev\""), vec!["methods", "rev-rev-rev"]),
    ] {
        let e = dir.path().join("e.toml");
        std::fs::write(&e, &text).unwrap();
        let mut cmd = Command::new(bin());
        cmd.arg("sweep").arg(&e).arg("--out").arg(&out);
        let mut ex = vec!["e.toml"];
        ex.extend(expect);
        expect_error(&mut cmd, &ex);
    }
    // nothing in the results folder was damaged
    let after: Vec<Vec<u8>> = files(&out).iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert_eq!(before, after);
}

#[test]
fn committed_reference_results_rerun_bit_identically() {
    let mut cmd = Command::new(bin());
    cmd.arg("rerun");
    let mut n = 0;
    let mut dirs: Vec<PathBuf> = ["tf2-example", "precision-ladder", "fd-step-sweep", "width-depth", "activation-loss", "order-fma", "iris"]
        .iter()
        .map(|e| root().join("results").join(e))
        .collect();
    // the TF2-article study's results, cited by its report
    for e in ["example1", "example2", "example2-as-printed", "claim-a-exact", "claim-b-where", "claim-c-size", "claim-d-fd", "claim-e-mathlib", "claim-f-precision"] {
        dirs.push(root().join("results/tf2-article").join(e));
    }
    for d in dirs {
        n += files(&d).len();
        cmd.arg(d);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert_eq!(stdout.matches("bit-identical").count(), n);
}

#[test]
fn exports_match_their_snapshots() {
    let d = root().join("results/precision-ladder");
    let export = |fmt: &str| {
        let out = Command::new(bin()).arg("export").arg(&d).args(["--format", fmt]).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    // insta snapshots in tests/it/snapshots/ (review a change with `cargo insta review`)
    insta::assert_snapshot!("precision-ladder.md", export("md"));
    insta::assert_snapshot!("precision-ladder.csv", export("csv"));
    insta::assert_snapshot!("precision-ladder.tex", export("tex"));
    // the CSV is tidy: header + one row per cell × method × precision × order
    let csv = export("csv");
    // the fixed columns lead; the cells' configuration keys follow (issue 16)
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with(&format!("{},", clairaut::export::COLUMNS.join(","))), "{header}");
    assert!(header.split(',').any(|h| h == "math"), "{header}");
    assert_eq!(csv.lines().count(), 1 + 8 * 2);
    let json = Command::new(bin()).arg("export").arg(&d).args(["--format", "json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 16);
}

/// A small well-formedness check: every element opened is closed, in order.
fn well_formed(xml: &str) -> bool {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        let Some(j) = rest[i..].find('>') else { return false };
        let tag = &rest[i + 1..i + j];
        rest = &rest[i + j + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            if stack.pop().as_deref() != Some(name.trim()) {
                return false;
            }
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().unwrap_or("").to_string());
        }
    }
    stack.is_empty()
}

#[test]
fn svg_figures_are_valid_xml_with_the_expected_series() {
    let dir = tempfile::tempdir().unwrap();
    for (results, figure, expect) in [
        ("precision-ladder", "error-asymmetry-vs-precision.svg", vec!["<title>rev-rev error</title>", "<title>fwd-rev asymmetry</title>"]),
        ("fd-step-sweep", "fd-error-vs-step.svg", vec!["<title>fd-grad-central f64</title>", "<title>fd-loss-4pt f64</title>", "ε^(1/3) (fd-grad-central)"]),
        ("width-depth", "asymmetry-vs-size.svg", vec!["<title>rev-rev f32</title>", "<title>fwd-rev f64</title>"]),
    ] {
        let out = dir.path().join(results);
        Command::new(bin()).arg("export").arg(root().join("results").join(results)).args(["--format", "svg", "--out"]).arg(&out).assert().success();
        let svg = std::fs::read_to_string(out.join(figure)).unwrap();
        assert!(svg.starts_with("<?xml") && well_formed(&svg), "{figure} is not well-formed");
        for e in expect {
            assert!(svg.contains(e), "{figure}: `{e}` missing");
        }
        insta::assert_snapshot!(figure, svg);
    }
    assert!(!well_formed("<svg><g></svg>"));
}

#[test]
fn stored_matrices_export_to_npy_and_heat_maps() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("m.toml");
    std::fs::write(&exp, SMALL.replace("n = 3", "n = 3\nstore_matrices = true")).unwrap();
    let out = dir.path().join("out");
    sweep(&exp, &out, &[]);
    let r = ResultFile::read(&files(&out)[0]).unwrap();
    assert!(r.matrices.is_some());
    // every stored matrix exports as a P × P .npy (f64), the truth included
    let npy = dir.path().join("npy");
    Command::new(bin()).arg("export").arg(&out).args(["--format", "npy", "--out"]).arg(&npy).assert().success();
    let mut names: Vec<String> = std::fs::read_dir(&npy).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert!(names.iter().any(|n| n.ends_with("-truth.npy")));
    assert!(names.iter().any(|n| n.contains("-rev-rev-f32-")));
    for n in &names {
        let bytes = std::fs::read(npy.join(n)).unwrap();
        let arr = npyz::NpyFile::new(&bytes[..]).unwrap();
        let p = arr.shape()[0];
        assert_eq!(arr.shape(), &[p, p]);
    }
    let svg = dir.path().join("svg");
    Command::new(bin()).arg("export").arg(&out).args(["--format", "svg", "--out"]).arg(&svg).assert().success();
    let heat: Vec<_> = std::fs::read_dir(&svg).unwrap().map(|e| e.unwrap().path()).filter(|p| p.to_string_lossy().contains("heatmap-")).collect();
    assert!(!heat.is_empty(), "an asymmetric f32 Hessian gets a heat map");
    assert!(well_formed(&std::fs::read_to_string(&heat[0]).unwrap()));
    // and the file still reruns bit-identically, matrices included
    let o = Command::new(bin()).arg("rerun").arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}
