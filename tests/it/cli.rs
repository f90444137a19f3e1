//! End-to-end behaviour of the `clairaut` binary: outputs, and one-line errors (exit status 2,
//! no panic) for every kind of bad input.

use crate::common::{clairaut, write};

const EXAMPLE: &str = r#"{"layers": [2, 2], "activations": ["sigmoid"], "loss": "mse",
  "x": [[1.0, 2.0]], "y": [[0.5, 0.5]], "params": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}"#;


/// Runs `hessian` on `text` with extra args; asserts exit 2 and a one-line error containing
/// every string of `expect`.
fn expect_error(text: &str, args: &[&str], expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "problem.json", text);
    let out = clairaut()
        .args(["hessian", "--problem"])
        .arg(&file)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected: {stderr}");
    for e in expect {
        assert!(stderr.contains(e), "`{e}` not in: {stderr}");
    }
}

#[test]
fn malformed_json() {
    expect_error("{\"layers\": [2, 2],", &[], &["problem.json", "malformed JSON", "line"]);
}

#[test]
fn unknown_names_in_the_file() {
    expect_error(&EXAMPLE.replace("sigmoid", "swish"), &[], &["problem.json", "activations[0]", "swish"]);
    expect_error(&EXAMPLE.replace("\"mse\"", "\"mae\""), &[], &["problem.json", "`loss`", "mae"]);
    expect_error(&EXAMPLE.replace("\"loss\"", "\"lost\""), &[], &["`lost`", "unknown field"]);
}

#[test]
fn unknown_or_out_of_range_options() {
    expect_error(EXAMPLE, &["--method", "newton"], &["--method", "newton"]);
    expect_error(EXAMPLE, &["--precision", "f16"], &["--precision", "f16"]);
    expect_error(EXAMPLE, &["--precision", "mp:1"], &["--precision", "mp:1", "2 to 1048576"]);
    expect_error(EXAMPLE, &["--precision", "mp:1048577"], &["--precision", "mp:1048577"]);
    expect_error(EXAMPLE, &["--order", "random"], &["--order", "random"]);
    expect_error(EXAMPLE, &["--order", "shuffled:x"], &["--order", "shuffled:x"]);
    expect_error(EXAMPLE, &["--math", "glibc"], &["--math", "glibc"]);
    expect_error(EXAMPLE, &["--inputs", "float"], &["--inputs", "float"]);
    expect_error(EXAMPLE, &["--threads", "0"], &["--threads"]);
    expect_error(EXAMPLE, &["--out", "h.txt"], &["--out", "h.txt", "extension"]);
}

#[test]
fn mismatched_dimensions() {
    expect_error(&EXAMPLE.replace(", 0.6]", "]"), &[], &["`params`", "5 numbers", "P = 6"]);
    expect_error(&EXAMPLE.replace("[[1.0, 2.0]]", "[[1.0, 2.0, 3.0]]"), &[], &["`x[0]`", "width is 2"]);
    expect_error(&EXAMPLE.replace("[[0.5, 0.5]]", "[[0.5]]"), &[], &["`y[0]`", "width is 2"]);
    expect_error(&EXAMPLE.replace("[[0.5, 0.5]]", "[[0.5, 0.5], [1, 1]]"), &[], &["`y`", "2 rows", "has 1"]);
    expect_error(&EXAMPLE.replace("[\"sigmoid\"]", "[\"sigmoid\", \"tanh\"]"), &[], &["`activations`", "2 entries"]);
    expect_error(&EXAMPLE.replace("[2, 2]", "[2, 0]"), &[], &["`layers[1]`", "`0`"]);
}

#[test]
fn non_numeric_and_non_finite_numbers() {
    expect_error(&EXAMPLE.replace("0.3,", "\"0.3\","), &[], &["`params[2]`", "\"0.3\"", "not a number"]);
    expect_error(&EXAMPLE.replace("0.3,", "null,"), &[], &["`params[2]`", "null"]);
    expect_error(&EXAMPLE.replace("0.3,", "NaN,"), &[], &["malformed JSON"]);
    expect_error(&EXAMPLE.replace("2.0]]", "1e400]]"), &[], &["`x[0][1]`", "400", "not finite"]);
    // finite in f64, not in binary16
    expect_error(&EXAMPLE.replace("0.1,", "70000,"), &["--precision", "binary16"], &["`params[0]`", "70000"]);
}

#[test]
fn a_hessian_too_large_for_memory_is_refused_with_the_estimate() {
    // P = 1000·80 + 80 = 80,080: the f64 Hessian alone is 51 GB (twice this machine's memory).
    let p = 1000 * 80 + 80;
    let params = vec!["0"; p].join(",");
    let x = vec!["0"; 1000].join(",");
    let y = vec!["0"; 80].join(",");
    let text = format!(
        r#"{{"layers": [1000, 80], "activations": ["tanh"], "loss": "mse", "x": [[{x}]], "y": [[{y}]], "params": [{params}]}}"#
    );
    expect_error(&text, &[], &["P = 80080", "needs an estimated", "GiB", "--force"]);
    // analyze refuses too, before computing anything
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "big.json", &text);
    let out = clairaut().args(["analyze", "--problem"]).arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("P = 80080") && stderr.contains("estimated") && stderr.contains("--force"), "{stderr}");
}

#[test]
fn prints_the_asymmetry_figures_and_writes_every_matrix_format() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "p.json", EXAMPLE);
    for ext in ["json", "npy", "csv"] {
        let out_file = dir.path().join(format!("h.{ext}"));
        let out = clairaut()
            .args(["hessian", "--method", "rev-rev", "--precision", "f32", "--problem"])
            .arg(&file)
            .arg("--out")
            .arg(&out_file)
            .output()
            .unwrap();
        assert!(out.status.success());
        let stdout = String::from_utf8_lossy(&out.stdout);
        for s in ["P: 6", "‖H−Hᵀ‖_F/‖H‖_F", "max |H_ij−H_ji|", "bitwise", "time:"] {
            assert!(stdout.contains(s), "{s} missing in {stdout}");
        }
        assert!(out_file.exists());
    }
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("h.json")).unwrap()).unwrap();
    assert_eq!(j["method"], "rev-rev");
    assert_eq!(j["precision"], "f32");
    assert_eq!(j["order"], "sequential");
    assert_eq!(j["fma"], false);
    assert_eq!(j["p"], 6);
    // JSON strings round-trip to the same f32 values the CSV holds
    let csv = std::fs::read_to_string(dir.path().join("h.csv")).unwrap();
    let from_csv: Vec<f32> = csv.split([',', '\n']).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    let from_json: Vec<f32> = j["hessian"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|s| s.as_str().unwrap().parse::<f32>().unwrap()))
        .collect();
    assert_eq!(from_csv.len(), 36);
    assert!(from_csv.iter().zip(&from_json).all(|(a, b)| a.to_bits() == b.to_bits()));
    // the .npy holds the same values as f64
    let npy = std::fs::read(dir.path().join("h.npy")).unwrap();
    let arr = npyz::NpyFile::new(&npy[..]).unwrap();
    assert_eq!(arr.shape(), &[6, 6]);
    let vals: Vec<f64> = arr.into_vec().unwrap();
    assert!(vals.iter().zip(&from_json).all(|(a, b)| *a == *b as f64));
}

#[test]
fn mp_json_entries_round_trip_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "p.json", EXAMPLE);
    let out_file = dir.path().join("h.json");
    clairaut()
        .args(["hessian", "--precision", "mp:200", "--problem"])
        .arg(&file)
        .arg("--out")
        .arg(&out_file)
        .assert()
        .success();
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    let s = j["hessian"][0][0].as_str().unwrap();
    let v = rug::Float::with_val(200, rug::Float::parse(s).unwrap());
    // printing v again at the same digits gives the same string: the value survived
    assert_eq!(v.to_string_radix(10, Some(62)), s);
}

#[test]
fn thread_count_does_not_change_the_matrix_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "p.json", &EXAMPLE.replace("sigmoid", "tanh"));
    let mut outs = Vec::new();
    for t in ["1", "2"] {
        let out_file = dir.path().join(format!("h{t}.json"));
        clairaut()
            .args(["hessian", "--method", "rev-rev", "--order", "pairwise", "--threads", t, "--problem"])
            .arg(&file)
            .arg("--out")
            .arg(&out_file)
            .assert()
            .success();
        outs.push(std::fs::read(&out_file).unwrap());
    }
    assert_eq!(outs[0], outs[1]);
}

#[test]
fn bench_smoke_runs_print_their_tables() {
    // `bench ratio --quick` (the cost in gradients) and a one-problem `bench table` with the peers'
    // committed timings: every figure is present and sane; no time is asserted.
    let out = clairaut().args(["bench", "ratio", "--quick"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("T_H / (P × T_grad)") && text.contains("mp:256"), "{text}");

    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    let out = clairaut()
        .args(["bench", "table", "--problems", "experiments/bench/p40-tanh-mse.json", "--precisions", "f64,mp:256"])
        .args(["--methods", "fwd-rev,gauss-newton", "--peers", "results/peers/peers-2026-11-26.json", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let threads = doc["threads"].as_f64().unwrap();
    for r in rows {
        assert!(r["hessian_s"].as_f64().unwrap() > 0.0 && r["cost_in_gradients"].as_f64().unwrap() > 0.0, "{r}");
        if r["precision"] == "f64" {
            // JAX's committed time for this problem, and the ratio to it
            assert!(r["jax_s"].as_f64().unwrap() > 0.0 && r["ratio_to_faster_peer"].as_f64().is_some(), "{r}");
            assert!(r["mpfr_efficiency"].is_null() && r["mpfr_floor_s"].is_null(), "{r}");
        } else {
            let ops = r["mpfr_ops"].as_object().unwrap();
            assert!(ops["mul"].as_u64().unwrap() > 1000 && ops["add/sub"].as_u64().unwrap() > 1000, "{r}");
            let e = r["mpfr_efficiency"].as_f64().unwrap();
            assert!(e > 0.0 && e.is_finite(), "{r}");
            // the MPFR floor prices a subset of the counted operations (those without a zero
            // operand) and shares them among the threads; max× is mpmath's committed time over it
            let floor = r["mpfr_floor_s"].as_f64().unwrap();
            let priced = e * r["hessian_1_thread_s"].as_f64().unwrap();
            assert!(floor > 0.0 && floor * threads <= priced * (1.0 + 1e-12), "{r}");
            let mpmath = r["mpmath_fwd_rev_77_digits_s"].as_f64().unwrap();
            let max = r["max_speedup_vs_mpmath_with_mpfr"].as_f64().unwrap();
            assert!((max - mpmath / floor).abs() <= 1e-9 * max, "{r}");
        }
    }

    // `bench scaling` on a small problem: one row per thread count, efficiency 1 at the first
    let out = clairaut()
        .args(["bench", "scaling", "1,2", "--repeat", "2", "--precision", "mp:64"])
        .args(["--problem", "experiments/bench/p40-tanh-mse.json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("fastest of 2 per thread count"), "{text}");
    let rows: Vec<Vec<f64>> = text
        .lines()
        .filter_map(|l| l.split_whitespace().map(|x| x.parse::<f64>().ok()).collect::<Option<Vec<f64>>>())
        .filter(|r| r.len() == 6)
        .collect();
    assert_eq!(rows.iter().map(|r| r[0]).collect::<Vec<_>>(), [1.0, 2.0], "{text}");
    assert_eq!((rows[0][2], rows[0][4], rows[0][5]), (1.0, 1.0, 1.0), "{text}");
    assert!(rows.iter().all(|r| r.iter().all(|x| x.is_finite() && *x > 0.0)), "{text}");
    // a bad count is a one-line error
    let out = clairaut().args(["bench", "scaling", "1,0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("THREADS"));
}

/// `clairaut --help` lists every exit status the binary uses, and `status --help` its own
/// (`status` exiting 3 on missing cells is run in tests/it/sweep.rs and data_sources.rs).
#[test]
fn help_lists_every_exit_code() {
    let out = clairaut().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for code in ["0  success", "1  any other failure", "2  bad input", "3  `status`: cells are missing", "4  `hessian` found non-finite entries"] {
        assert!(help.contains(code), "{code} not in: {help}");
    }
    let status = String::from_utf8(clairaut().args(["status", "--help"]).output().unwrap().stdout).unwrap();
    assert!(status.contains("0 every cell is complete, 3 cells are missing"), "{status}");
    // a usage error exits 2, as the list says
    assert_eq!(clairaut().arg("no-such-command").output().unwrap().status.code(), Some(2));
}
