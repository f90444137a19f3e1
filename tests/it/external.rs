//! External Hessians (`analyze --external`, `externals` in experiments): a Hessian saved by
//! `clairaut hessian --out` finds its own configuration; a perturbed copy is exactly as far as
//! its perturbation (counted here from the two files, bit by bit); the precision defaults to the
//! dtype; wrong shapes and dtypes are one clear line with exit status 2; experiments carry
//! externals into their result files and exports.

use std::path::{Path, PathBuf};

use crate::common::{clairaut, expect_error, write};

/// A problem with P = 78 (layers 3-8-4-2, N = 16): long enough sums that orders differ.
fn problem(dir: &Path) -> PathBuf {
    let p = dir.join("p.json");
    let args = ["generate", "--layers", "3,8,4,2", "--activations", "tanh,tanh,identity", "--n", "16", "--seed", "5", "--out"];
    clairaut().args(args).arg(&p).assert().success();
    p
}

/// Saves `clairaut hessian` of `p` (an `.npy` of f64 values) with the given options.
fn save(p: &Path, out: &Path, opts: &[&str]) {
    clairaut().arg("hessian").arg("--problem").arg(p).args(opts).arg("--out").arg(out).assert().success();
}

/// The entries of a square `.npy` file as f64 (read with npyz, independently of Clairaut).
fn read_npy(path: &Path) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap();
    let f = npyz::NpyFile::new(&bytes[..]).unwrap();
    match f.dtype() {
        npyz::DType::Plain(t) if t.to_string() == "<f4" => f.into_vec::<f32>().unwrap().into_iter().map(f64::from).collect(),
        _ => f.into_vec::<f64>().unwrap(),
    }
}

/// Writes `values` as an `.npy` file of element type `T` and shape `shape`.
fn write_npy<T: npyz::AutoSerialize + Copy>(path: &Path, values: &[T], shape: &[u64]) {
    use npyz::WriterBuilder;
    let mut out = Vec::new();
    let mut w = npyz::WriteOptions::<T>::new().default_dtype().shape(shape).writer(&mut out).begin_nd().unwrap();
    w.extend(values.iter().copied()).unwrap();
    w.finish().unwrap();
    std::fs::write(path, out).unwrap();
}

/// `analyze --json` of `p` with the given options, as JSON.
fn analyze(p: &Path, dir: &Path, opts: &[&str]) -> serde_json::Value {
    let json = dir.join("a.json");
    let out = clairaut().arg("analyze").arg("--problem").arg(p).args(opts).arg("--json").arg(&json).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap()
}

/// The nearest configuration of an external row as (method, precision, order, fma).
fn nearest(e: &serde_json::Value) -> (String, String, String, bool) {
    let r = &e["nearest"]["row"];
    let s = |k: &str| r[k].as_str().unwrap().to_string();
    (s("method"), s("precision"), s("order"), r["fma"].as_bool().unwrap())
}

#[test]
fn a_saved_hessian_finds_its_own_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let p = problem(dir.path());
    let (h32, h64) = (dir.path().join("rr32.npy"), dir.path().join("fr64.npy"));
    save(&p, &h32, &["--method", "rev-rev", "--precision", "f32", "--order", "lanes:8", "--fma"]);
    save(&p, &h64, &["--method", "fwd-rev", "--precision", "f64", "--order", "pairwise"]);
    let ext32 = format!("rr={},precision=f32", h32.display());
    let ext64 = format!("fr={}", h64.display());
    let a = analyze(&p, dir.path(), &["--methods", "fwd-rev,rev-rev", "--precisions", "f32", "--external", &ext32, "--external", &ext64]);
    let ext = a["externals"].as_array().unwrap();
    assert_eq!(ext.len(), 2);
    assert_eq!(nearest(&ext[0]), ("rev-rev".into(), "f32".into(), "lanes:8".into(), true));
    // the f64 file is analyzed at f64 (its dtype), though the grid has only f32
    assert_eq!(nearest(&ext[1]), ("fwd-rev".into(), "f64".into(), "pairwise".into(), false));
    for e in ext {
        let n = &e["nearest"];
        assert_eq!((n["equal_fraction"].as_f64(), n["max_ulp"].as_u64()), (Some(1.0), Some(0)), "{n}");
        assert_eq!((n["equal_entries"].as_u64(), n["entries"].as_u64()), (Some(78 * 78), Some(78 * 78)));
        // default search: 2 methods × 7 framework orders × 2 FMA × 1 policy
        assert_eq!((n["candidates"].as_u64(), n["search"].as_str()), (Some(28), Some("2 methods × 7 orders × 2 FMA × 1 policy")));
        assert_eq!(n["distance"]["total"].as_f64(), Some(0.0));
        // bit-identical to the nearest: the same error, asymmetry and significant bits
        for k in ["error_rel_fro", "asym_rel_fro", "sigbits_min", "sigbits_median"] {
            assert_eq!(e["row"][k], n["row"][k], "{k}");
        }
        // the input part is the one computed rows get at that precision, and the row's parts add up
        assert!(e["row"]["residual"].as_f64().unwrap() < 1e-60);
    }
    assert_eq!(ext[0]["row"]["attribution"]["input"], a["rows"][0]["attribution"]["input"]);
    assert_eq!(ext[1]["row"]["precision"], "f64");
    assert_eq!((ext[0]["name"].as_str(), ext[0]["file"].as_str()), (Some("rr"), h32.to_str()));
    assert_eq!(ext[0]["sha256"].as_str().unwrap().len(), 64);
}

/// A search over axes some of whose combinations cannot run (TensorFlow's rules implement
/// `rev-rev` only) says how many of them ran: the count of candidates is not the product of
/// the axes. Framework rules run in every order (issue 18, point 4).
#[test]
fn a_search_says_how_many_of_its_combinations_ran() {
    let dir = tempfile::tempdir().unwrap();
    let p = problem(dir.path());
    let h = dir.path().join("rr32.npy");
    save(&p, &h, &["--method", "rev-rev", "--precision", "f32"]);
    let ext = format!("rr={},precision=f32", h.display());
    let a = analyze(&p, dir.path(), &["--methods", "fwd-rev,rev-rev", "--precisions", "f32", "--rules", "clairaut,tensorflow", "--external", &ext]);
    let n = &a["externals"][0]["nearest"];
    // clairaut: 2 methods × 7 orders × 2 FMA; tensorflow: rev-rev × 7 orders × 2 FMA
    assert_eq!(
        (n["candidates"].as_u64(), n["search"].as_str()),
        (Some(42), Some("2 methods × 7 orders × 2 FMA × 1 policy × 2 rules; 42 of 56 combinations run"))
    );
    assert_eq!(n["equal_fraction"].as_f64(), Some(1.0));
}

/// Sign-magnitude integer of an f32's bits: consecutive f32 values differ by 1.
fn ordinal(x: f32) -> i64 {
    let m = i64::from(x.to_bits() & 0x7fff_ffff);
    if x.is_sign_negative() { -m } else { m }
}

#[test]
fn a_perturbed_hessian_is_as_far_as_its_perturbation() {
    let dir = tempfile::tempdir().unwrap();
    let p = problem(dir.path());
    let saved = dir.path().join("fr32.npy");
    save(&p, &saved, &["--method", "fwd-rev", "--precision", "f32", "--order", "pairwise"]);
    // as float32, three entries moved by 3, 1 and 100 ulps
    let mut h: Vec<f32> = read_npy(&saved).into_iter().map(|v| v as f32).collect();
    for (k, ulps) in [(0usize, 3i32), (78 * 5 + 7, -1), (78 * 10 + 2, 100)] {
        h[k] = f32::from_bits((h[k].to_bits() as i32 + ulps) as u32);
    }
    let moved = dir.path().join("moved.npy");
    write_npy(&moved, &h, &[78, 78]);
    // independently, from the two files: entries bitwise equal and the largest ulp distance
    let (a_vals, b_vals) = (read_npy(&saved), read_npy(&moved));
    let equal = a_vals.iter().zip(&b_vals).filter(|(a, b)| a.to_bits() == b.to_bits()).count() as u64;
    let max_ulp = a_vals.iter().zip(&b_vals).map(|(&a, &b)| (ordinal(a as f32) - ordinal(b as f32)).unsigned_abs()).max().unwrap();
    assert_eq!((equal, max_ulp), (78 * 78 - 3, 100));
    // no precision=: a `<f4` file is analyzed at f32
    let a = analyze(&p, dir.path(), &["--methods", "fwd-rev,rev-rev", "--precisions", "f64", "--orders", "sequential,pairwise", "--external", &format!("m={}", moved.display())]);
    let e = &a["externals"][0];
    assert_eq!(nearest(e), ("fwd-rev".into(), "f32".into(), "pairwise".into(), false));
    let n = &e["nearest"];
    assert_eq!((n["equal_entries"].as_u64(), n["max_ulp"].as_u64()), (Some(equal), Some(max_ulp)));
    assert_eq!(n["equal_fraction"].as_f64(), Some(equal as f64 / (78.0 * 78.0)));
    // the requested orders are searched as given; only no-fma requested: both FMA policies
    assert_eq!((n["candidates"].as_u64(), n["search"].as_str()), (Some(8), Some("2 methods × 2 orders × 2 FMA × 1 policy")));
    assert!(n["distance"]["total"].as_f64().unwrap() > 0.0);
    assert_eq!(e["row"]["precision"], "f32");
}

#[test]
fn the_table_shows_each_external_and_its_nearest_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let p = problem(dir.path());
    let h = dir.path().join("h.npy");
    save(&p, &h, &["--method", "rev-rev", "--precision", "f32", "--order", "lanes:8", "--fma"]);
    let out = clairaut()
        .args(["analyze", "--methods", "fwd-rev,rev-rev", "--precisions", "f32", "--problem"])
        .arg(&p)
        .arg("--external")
        .arg(format!("tf={},precision=f32", h.display()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.lines().any(|l| l.starts_with("ext:tf (rev-rev) ") && l.contains(" lanes:8 ") && l.contains(" fma ")), "{text}");
    assert!(text.contains("\n  nearest of 28 configurations (2 methods × 7 orders × 2 FMA × 1 policy): rev-rev f32 lanes:8 fma\n"), "{text}");
    assert!(text.contains("\n  6084/6084 entries bitwise equal (100.0%), max 0 ulp; ‖H − H_nearest‖/‖T‖ = 0\n"), "{text}");
    // lanes:8 and lanes:16 fold the same pairs when no sum has more than 16 terms (N = 16, widths ≤ 8)
    assert!(text.contains("\n  equally near (1):\n    rev-rev f32 lanes:16 fma\n"), "{text}");
    for line in text.lines() {
        assert!(line.chars().count() <= 120, "{line}");
    }
}

#[test]
fn wrong_shapes_dtypes_and_items_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = write(d, "p.json", r#"{"layers": [3, 4, 2], "activations": ["tanh", "identity"], "loss": "mse", "x": [[0.1, 0.2, 0.3]], "y": [[0.5, -0.5]],
        "params": [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 0.1, 0.2, -0.3, 0.01, 0.02, 0.03, 0.04, 0.5, -0.6, 0.7, 0.8, -0.9, 0.1, 0.2, 0.3, 0.05, -0.05]}"#);
    let run = |ext: &str, expect: &[&str]| {
        expect_error(clairaut().args(["analyze", "--methods", "fwd-rev", "--precisions", "f32", "--problem"]).arg(&p).arg("--external").arg(ext), expect)
    };
    let f = |name: &str| d.join(name).display().to_string();
    write_npy(&d.join("flat13.npy"), &[0.5f32; 26], &[2, 13]);
    run(&format!("x={}", f("flat13.npy")), &["flat13.npy", "field `shape`", "expected (26, 26) for P = 26 of layers [3, 4, 2], found (2, 13)"]);
    write_npy(&d.join("flat.npy"), &[0.5f64; 676], &[676]);
    run(&format!("x={}", f("flat.npy")), &["found (676,)", "the right number of entries (676)", "reshape it to (26, 26)"]);
    write_npy(&d.join("small.npy"), &[0.5f64; 25], &[5, 5]);
    run(&format!("x={}", f("small.npy")), &["found (5, 5)", "a Hessian of 5 parameters, not of this problem's 26"]);
    write_npy(&d.join("ints.npy"), &[1i64; 676], &[26, 26]);
    run(&format!("x={}", f("ints.npy")), &["ints.npy", "field `dtype`", "`<i8`", "expected little-endian float32 (`<f4`) or float64 (`<f8`)"]);
    // a header that claims more data than the file has
    write_npy(&d.join("full.npy"), &[0.5f64; 676], &[26, 26]);
    let full = std::fs::read(d.join("full.npy")).unwrap();
    std::fs::write(d.join("cut.npy"), &full[..full.len() - 8]).unwrap();
    run(&format!("x={}", f("cut.npy")), &["cut.npy", "field `data`", "needs 5408 bytes of data"]);
    // float64 values that are not float32 numbers, declared f32
    write_npy(&d.join("tenth.npy"), &[0.1f64; 676], &[26, 26]);
    run(&format!("x={},precision=f32", f("tenth.npy")), &["tenth.npy", "entry (0, 0) = 1e-1 is not a binary32 number"]);
    run(&format!("x={}", f("missing.npy")), &["missing.npy"]);
    // far larger than a (26, 26) float64 file: refused before it is read
    std::fs::File::create(d.join("big.npy")).unwrap().set_len(4 << 20).unwrap();
    run(&format!("x={}", f("big.npy")), &["big.npy", "4194304 bytes is larger than a Hessian file for P = 26"]);
    std::fs::write(d.join("text.npy"), "not numpy").unwrap();
    run(&format!("x={}", f("text.npy")), &["text.npy", "field `header`", "not a readable .npy file"]);
    run("x", &["option `--external`", "expected NAME=FILE.npy"]);
    run(&format!("x={},precision=mp:64", f("full.npy")), &["option `--external`", "IEEE format"]);
    run(&format!("x={},fast", f("full.npy")), &["option `--external`", "`fast` is not key=value"]);
    let twice = clairaut().args(["analyze", "--methods", "fwd-rev", "--problem"]).arg(&p).arg("--external").arg(format!("x={}", f("full.npy"))).arg("--external").arg(format!("x={}", f("full.npy"))).output().unwrap();
    assert_eq!(twice.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("the name `x` is given twice"));
    // rev-rev runs only the uniform policy
    let rev = clairaut().args(["analyze", "--methods", "rev-rev", "--problem"]).arg(&p).arg("--external").arg(format!("x={},policy=bf16-bf16-f32", f("full.npy"))).output().unwrap();
    assert_eq!(rev.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&rev.stderr).contains("no configuration of 1 method × 7 orders × 2 FMA × 1 policy runs at f64"));
}

#[test]
fn experiments_carry_externals_into_results_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let exp_dir = dir.path().join("exp");
    std::fs::create_dir(&exp_dir).unwrap();
    let p = problem(&exp_dir);
    save(&p, &exp_dir.join("h.npy"), &["--method", "rev-rev", "--precision", "f32", "--order", "lanes:8", "--fma"]);
    let base = "[base]\ndata = \"problem:p.json\"\nweights = \"problem\"\nmethods = [\"fwd-rev\", \"rev-rev\"]\nprecisions = [\"f32\"]\n";
    let toml = write(&exp_dir, "e.toml", &format!("{base}externals = [\"tf=h.npy,precision=f32\"]\n"));
    let res = dir.path().join("res");
    clairaut().arg("sweep").arg(&toml).arg("--out").arg(&res).assert().success();
    let files = clairaut::results::files_in(&res).unwrap();
    assert_eq!(files.len(), 1);
    let r = clairaut::results::ResultFile::read(&files[0]).unwrap();
    let e = &r.analysis.externals[0];
    assert_eq!((e.name.as_str(), e.file.as_str(), e.nearest.equal_fraction, e.nearest.max_ulp), ("tf", "h.npy", 1.0, Some(0)));
    assert_eq!((e.nearest.row.method.as_str(), e.nearest.row.order.as_str(), e.nearest.row.fma), ("rev-rev", "lanes:8", true));
    // timings are kept out of the result's analysis (reruns compare it bit for bit)
    assert!(e.row.seconds.is_none() && e.nearest.row.seconds.is_none());
    // a configuration without externals keeps the id it had: the key is not written
    let plain = clairaut::experiment::Experiment::parse(base, &exp_dir.join("e.toml"), &[]).unwrap();
    assert!(!serde_json::to_string(&plain.cells.get(0).unwrap()).unwrap().contains("externals"));
    assert_ne!(plain.cells.get(0).unwrap().id(), r.config.id());
    // exports: one more row, method external:NAME, with its nearest configuration
    let csv = clairaut().arg("export").arg(&res).output().unwrap();
    let csv = String::from_utf8_lossy(&csv.stdout);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    for k in ["nearest", "nearest_equal_fraction", "nearest_max_ulp", "external_file"] {
        assert!(header.contains(&k), "{k} not in {header:?}");
    }
    assert_eq!(csv.lines().count(), 1 + 2 + 1);
    let ext_line = csv.lines().find(|l| l.contains("external:tf")).unwrap_or_else(|| panic!("{csv}"));
    assert!(ext_line.contains("rev-rev f32 lanes:8 fma,1.0,0,"), "{ext_line}");
    let md = clairaut().arg("export").arg(&res).args(["--format", "md"]).output().unwrap();
    assert!(String::from_utf8_lossy(&md.stdout).contains("external:tf"));
    // rerun says why it cannot recompute a result with externals
    expect_error(clairaut().arg("rerun").arg(&files[0]), &["config.externals", "clairaut sweep"]);
    // files are confined to the experiment's folder, and checked before any cell runs
    let outside = write(&exp_dir, "o.toml", &format!("{base}externals = [\"tf=../h.npy\"]\n"));
    expect_error(clairaut().arg("sweep").arg(&outside).arg("--out").arg(dir.path().join("o")), &["o.toml", "field `externals[0]`", "outside the experiment file's folder"]);
    let missing = write(&exp_dir, "m.toml", &format!("{base}externals = [\"tf=nothere.npy\"]\n"));
    expect_error(clairaut().arg("sweep").arg(&missing).arg("--out").arg(dir.path().join("m")), &["nothere.npy"]);
    let bad = write(&exp_dir, "b.toml", &format!("{base}externals = [\"tf=h.npy,precision=mp:9\"]\n"));
    expect_error(clairaut().arg("sweep").arg(&bad).arg("--out").arg(dir.path().join("b")), &["b.toml", "field `externals[0]`", "IEEE format"]);
}
