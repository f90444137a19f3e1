//! Issue 14, points 1 and 5: hostile sizes and values are refused up front. Huge widths, batch
//! sizes and grids, ranges near `i64::MAX`, files over their byte limit, thread counts, bits and
//! tolerances out of range, non-finite configuration values and bad names deep in a grid — each
//! exits 2 with exactly one line on stderr naming the option or field and the value, never
//! panics, and writes nothing. And a grid of 10^6 cells is counted, validated, swept (one
//! shard) and reported by `status` in bounded memory.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::common::{bin, clairaut, write};

/// A tiny problem file (P = 6).
const PROBLEM: &str = r#"{"layers": [2, 2], "activations": ["tanh"], "loss": "mse",
  "x": [[0.5, -0.25]], "y": [[0.1, 0.2]], "params": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}"#;

/// The base of the experiments below: one small, valid cell.
const BASE: &str = "[base]\nlayers = [2, 2]\nactivations = [\"tanh\"]\nn = 2\nmethods = [\"fwd-rev\"]\nprecisions = [\"f64\"]\n";

/// Runs `clairaut args…` and asserts a refusal: exit 2, exactly one line on stderr (an `error`
/// line), no panic, every string of `expect` in it; and that `out` (when given) was not created.
fn refused(args: &[OsString], expect: &[&str], out: Option<&Path>) {
    let output = clairaut().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{args:?}: not one line: {stderr}");
    assert!(lines[0].starts_with("error"), "{args:?}: {stderr}");
    for e in expect {
        assert!(stderr.contains(e), "{args:?}: `{e}` not in {stderr}");
    }
    if let Some(out) = out {
        assert!(!out.exists(), "{args:?}: {} was written", out.display());
    }
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// `sweep EXP --out DIR/out` and `status EXP --out DIR/out` on an experiment with `toml` after
/// the base, both refused with `expect`, nothing written.
fn grid_refused(toml: &str, expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let exp = write(dir.path(), "e.toml", &format!("{BASE}{toml}"));
    let out = dir.path().join("out");
    for cmd in ["sweep", "status"] {
        let args = vec![OsString::from(cmd), exp.clone().into(), "--out".into(), out.clone().into()];
        refused(&args, expect, Some(&out));
    }
}

#[test]
fn generate_refuses_sizes_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.json");
    let cases: &[(&[&str], &[&str])] = &[
        (&["--layers", "100000,100000"], &["--layers", "P = 10000100000", "estimated", "available"]),
        (&["--layers", "1000000,1000000,1000000"], &["--layers", "estimated", "available"]),
        (&["--layers", "2,2", "--n", "100000000000"], &["--n", "100000000000", "estimated", "available"]),
        (&["--layers", "2,2", "--n", "18446744073709551615"], &["--n", "18446744073709551615", "estimated"]),
        (&["--layers", "4294967296,4294967296"], &["--layers", "overflows"]),
        (&["--layers", "18446744073709551615,2"], &["--layers", "overflows"]),
        (&["--layers", "18446744073709551616,2"], &["--layers", "18446744073709551616"]),
        (&["--layers", "2,2", "--n", "0"], &["--n", "at least 1"]),
        (&["--layers", "3"], &["--layers", "two widths"]),
        (&["--layers", "0,2"], &["--layers", "`0`"]),
    ];
    for (extra, expect) in cases {
        let mut args = os(&["generate", "--activations", "tanh", "--out"]);
        args.push(out.clone().into());
        args.extend(os(extra));
        refused(&args, expect, Some(&out));
    }
}

#[test]
fn thread_counts_are_bounded_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let problem = write(dir.path(), "p.json", PROBLEM);
    let exp = write(dir.path(), "e.toml", BASE);
    let out = dir.path().join("out");
    let (p, e, o) = (problem.to_str().unwrap(), exp.to_str().unwrap(), out.to_str().unwrap());
    let cases: &[(&[&str], &[&str])] = &[
        (&["hessian", "--problem", p, "--threads", "100000"], &["--threads", "100000", "4096"]),
        (&["hessian", "--problem", p, "--threads", "0"], &["--threads", "`0`"]),
        (&["hessian", "--problem", p, "--threads=-1"], &["--threads", "-1"]),
        (&["analyze", "--problem", p, "--threads", "100000"], &["--threads", "100000", "4096"]),
        (&["sweep", e, "--out", o, "--threads", "100000"], &["--threads", "100000", "4096"]),
        (&["sweep", e, "--out", o, "--threads", "18446744073709551616"], &["--threads", "18446744073709551616"]),
        (&["rerun", o, "--threads", "4097"], &["--threads", "4097", "4096"]),
        (&["bench", "table", "--threads", "100000"], &["--threads", "100000"]),
        (&["bench", "ratio", "--threads", "100000"], &["--threads", "100000"]),
        (&["bench", "scaling", "1,100000", "--repeat", "1"], &["THREADS", "1,100000", "4096"]),
        (&["sweep", e, "--out", o, "--shard", "18446744073709551616/2"], &["--shard", "18446744073709551616/2"]),
        (&["sweep", e, "--out", o, "--shard", "18446744073709551615/18446744073709551615"], &["--shard", "need 0 ≤ K < N"]),
    ];
    for (args, expect) in cases {
        let t = Instant::now();
        refused(&os(args), expect, Some(&out));
        eprintln!("{args:?}: refused in {:.2} s", t.elapsed().as_secs_f64());
    }
}

#[test]
fn numeric_options_out_of_range_are_refused_not_wrapped() {
    let dir = tempfile::tempdir().unwrap();
    let problem = write(dir.path(), "p.json", PROBLEM);
    let p = problem.to_str().unwrap();
    let cases: &[(&[&str], &[&str])] = &[
        (&["analyze", "--problem", p, "--check-extra", "4294967295"], &["--check-extra", "4294967295", "65536"]),
        (&["analyze", "--problem", p, "--check-extra", "65537"], &["--check-extra", "65537", "65536"]),
        (&["analyze", "--problem", p, "--check-extra", "4294967296"], &["--check-extra", "4294967296"]),
        (&["analyze", "--problem", p, "--check-extra=-1"], &["--check-extra", "-1"]),
        (&["analyze", "--problem", p, "--kink-tol", "nan"], &["--kink-tol", "NaN"]),
        (&["analyze", "--problem", p, "--kink-tol", "inf"], &["--kink-tol", "inf"]),
        (&["analyze", "--problem", p, "--kink-tol=-1"], &["--kink-tol", "-1"]),
        (&["bench", "table", "--budget", "nan"], &["--budget", "NaN"]),
        (&["bench", "table", "--budget", "0"], &["--budget", "`0`"]),
        (&["bench", "scaling", "1", "--repeat", "1000000"], &["--repeat", "1000000"]),
    ];
    for (args, expect) in cases {
        refused(&os(args), expect, None);
    }
}

#[test]
fn non_finite_configuration_values_are_refused_with_their_field() {
    let cases: &[(&str, &[&str])] = &[
        ("kink_tol = nan\n", &["`kink_tol`", "NaN is not a finite number"]),
        ("kink_tol = inf\n", &["`kink_tol`", "inf is not a finite number"]),
        ("kink_tol = -inf\n", &["`kink_tol`", "-inf is not a finite number"]),
        ("step_h = nan\n", &["`step_h`", "NaN"]),
        ("train_lr = inf\n", &["`train_lr`", "inf"]),
        ("weights = \"explicit\"\nparams = [0.1, 0.2, nan, 0.4, 0.5, 0.6]\n", &["`params[2]`", "NaN"]),
        ("data = \"inline\"\nx = [[0.5, 0.5], [1.0, -inf]]\ny = [[0.1, 0.2], [0.3, 0.4]]\n", &["`x[1][1]`", "-inf"]),
        ("[sweep]\nkink_tol = [1e-9, 1e-6, nan]\n", &["`sweep.kink_tol`", "NaN"]),
        ("[sweep]\nstep_h = [1e-3, -inf]\n", &["`sweep.step_h`", "-inf"]),
        ("[sweep]\ninclude = [{ kink_tol = inf }]\n", &["`sweep.include[0].kink_tol`", "inf"]),
        // values analyze refuses are refused by a sweep too
        ("kink_tol = -1.0\n", &["`kink_tol`", "-1", "≥ 0"]),
        ("check_extra = 4294967295\n", &["`check_extra`", "4294967295", "65536"]),
        ("[sweep]\ncheck_extra = [64, 65537]\n", &["`sweep.check_extra`", "65537"]),
    ];
    for (toml, expect) in cases {
        grid_refused(toml, expect);
    }
    // through --set as well
    let dir = tempfile::tempdir().unwrap();
    let exp = write(dir.path(), "e.toml", BASE);
    let out = dir.path().join("out");
    for (set, field) in [("kink_tol=nan", "`kink_tol`"), ("step_h=-inf", "`step_h`")] {
        let args = vec!["sweep".into(), exp.clone().into(), "--out".into(), out.clone().into(), "--set".into(), set.into()];
        refused(&args, &[field], Some(&out));
    }
}

#[test]
fn nan_inf_and_minus_inf_never_share_a_cell_id() {
    // the three used to serialize as `null`, one cell id for three configurations: now none
    // is a configuration, and finite values keep their distinct ids
    let path = Path::new("e.toml");
    let parse = |kink: &str| clairaut::experiment::Experiment::parse(&format!("{BASE}kink_tol = {kink}\n"), path, &[]);
    for bad in ["nan", "inf", "-inf", "+inf", "-nan"] {
        assert!(parse(bad).is_err(), "{bad}");
    }
    let ids: Vec<String> = ["0.0", "1e-9", "1e-6", "1e300"].iter().map(|k| parse(k).unwrap().cells.get(0).unwrap().id()).collect();
    for (i, a) in ids.iter().enumerate() {
        assert!(!ids[i + 1..].contains(a), "{ids:?}");
    }
}

#[test]
fn bad_names_deep_in_a_grid_are_found_before_any_cell_runs() {
    let many = |good: &str, bad: &str| format!("[{}, {bad}]", vec![good; 40].join(", "));
    let cases: Vec<(String, Vec<&str>)> = vec![
        (format!("[sweep]\nmethods = {}\n", many("[\"fwd-rev\"]", "[\"fwd-rev\", \"newton\"]")), vec!["`sweep.methods`", "newton"]),
        (format!("[sweep]\nprecisions = {}\n", many("[\"f64\"]", "[\"mp:1\"]")), vec!["`sweep.precisions`", "mp:1"]),
        (format!("[sweep]\norders = {}\n", many("[\"sequential\"]", "[\"sideways\"]")), vec!["`sweep.orders`", "sideways"]),
        (format!("[sweep]\nfma = {}\n", many("[\"no-fma\"]", "[\"maybe\"]")), vec!["`sweep.fma`", "maybe"]),
        (format!("[sweep]\nactivations = {}\n", many("[\"tanh\"]", "[\"swish2\"]")), vec!["`sweep.activations`", "swish2"]),
        ("[sweep]\nloss = [\"mse\", \"hinge\"]\n".into(), vec!["`sweep.loss`", "hinge"]),
        ("[sweep]\nmath = [\"core-math\", \"fastmath\"]\n".into(), vec!["`sweep.math`", "fastmath"]),
        ("[sweep]\ntruth = [\"auto\", \"mp:256\", \"f64\"]\n".into(), vec!["`sweep.truth`", "f64"]),
        ("[sweep]\nstep_rule = [\"optimal\", \"golden\"]\n".into(), vec!["`sweep.step_rule`", "golden"]),
        ("[sweep]\ndata = [\"generated\", \"nowhere\"]\n".into(), vec!["`sweep.data`", "nowhere"]),
        ("[sweep]\nweights = [\"glorot\", \"random\"]\n".into(), vec!["`sweep.weights`", "random"]),
        ("step_rule = \"fixed\"\n[sweep]\nstep_h = [1e-3, -1e-3]\n".into(), vec!["`sweep.step_h`", "-0.001"]),
        ("[sweep]\nn = [8, 4, 0]\n".into(), vec!["`sweep.n`", "at least 1"]),
        ("[sweep]\nlayers = [[2, 2], [2, 3, 2], [2, 0]]\n".into(), vec!["`sweep.layers`", "[2, 0]"]),
        ("[sweep]\nlayers = [[2, 2], [2, 3, 2]]\nactivations = [[\"tanh\"], [\"tanh\", \"relu\", \"relu\"]]\n".into(), vec!["`sweep.activations`", "3 given"]),
        ("[sweep]\nn = [2, 3]\ninclude = [{ methods = [\"fwd-rev\", \"bogus\"] }]\n".into(), vec!["`sweep.include[0].methods`", "bogus"]),
    ];
    for (toml, expect) in &cases {
        grid_refused(toml, expect);
    }
}

#[test]
fn huge_sizes_and_ranges_in_a_grid_are_refused_before_anything_is_written() {
    let cases: &[(&str, &[&str])] = &[
        ("[sweep]\nlayers = [[2, 2], [100000, 100000]]\n", &["`sweep.layers`", "[100000, 100000]", "estimated", "available"]),
        ("[sweep]\nn = [8, 1000000000000000]\n", &["`sweep.n`", "N = 1000000000000000", "estimated"]),
        ("[sweep]\nlayers = [[4294967296, 4294967296]]\n", &["`sweep.layers`", "overflows"]),
        ("[sweep]\nn = { range = [1, 100000000] }\n", &["`sweep.n`", "100000000 values", "10000000"]),
        ("[sweep]\nn = { range = [9223372036854775800, 9223372036854775807] }\n", &["`sweep.n`", "9223372036854775800", "estimated"]),
        ("[sweep]\nn = { range = [-9223372036854775808, 9223372036854775807] }\n", &["`sweep.n`", "2^64 values"]),
        ("[sweep]\ndata_seed = { range = [0, 9223372036854775807, 1] }\n", &["`sweep.data_seed`", "9223372036854775808 values"]),
        ("[sweep]\nn = { range = [-9223372036854775808, 9223372036854775807, 9223372036854775807] }\n", &["`sweep.n`", "-9223372036854775808"]),
        ("[sweep]\ndata_seed = { range = [1, 10000000] }\nweights_seed = { range = [1, 10000000] }\n", &["`sweep`", "100000000000000 combinations", "10000000"]),
        ("[sweep]\ndata_seed = { range = [1, 1000] }\nweights_seed = { range = [1, 1000] }\nn = { range = [1, 1000] }\n", &["`sweep`", "1000000000 combinations"]),
        ("[sweep]\nstep_h = { log2 = [-2000, 0] }\n", &["`sweep.step_h`", "[-2000, 0]"]),
        ("[sweep]\nn = { range = [10, 1] }\n", &["`sweep.n`", "[10, 1]"]),
        ("[sweep]\nn = { range = [1, 10, 0] }\n", &["`sweep.n`", "[1, 10, 0]"]),
    ];
    for (toml, expect) in cases {
        let t = Instant::now();
        grid_refused(toml, expect);
        eprintln!("{toml:?}: refused in {:.2} s", t.elapsed().as_secs_f64());
    }
}

/// A sparse file of `len` bytes (nothing written: the size is checked before reading).
fn sparse(dir: &Path, name: &str, len: u64) -> PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p).unwrap().set_len(len).unwrap();
    p
}

#[test]
fn files_over_their_byte_limit_are_refused_before_reading() {
    use clairaut::limits::{MAX_DATA_BYTES, MAX_EXPERIMENT_BYTES, MAX_PROBLEM_BYTES};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let problem = sparse(dir.path(), "huge.json", MAX_PROBLEM_BYTES + 1);
    let over = format!("{} bytes is larger than a problem file may be ({MAX_PROBLEM_BYTES} bytes at most)", MAX_PROBLEM_BYTES + 1);
    for cmd in ["hessian", "analyze"] {
        refused(&[cmd.into(), "--problem".into(), problem.clone().into()], &["huge.json", &over], None);
    }
    let exp = sparse(dir.path(), "huge.toml", 1 << 40);
    for cmd in ["sweep", "status"] {
        refused(&[cmd.into(), exp.clone().into(), "--out".into(), out.clone().into()], &["huge.toml", "1099511627776 bytes", "experiment file", &MAX_EXPERIMENT_BYTES.to_string()], Some(&out));
    }
    sparse(dir.path(), "huge.csv", MAX_DATA_BYTES + 1);
    let e = write(dir.path(), "csv.toml", &format!("{BASE}data = \"csv:huge.csv\"\n"));
    refused(&["sweep".into(), e.into(), "--out".into(), out.clone().into()], &["huge.csv", "data file", &MAX_DATA_BYTES.to_string()], Some(&out));
}

#[test]
fn sizes_claimed_inside_files_are_checked_against_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // an .npy header claiming 2^40 × 2^40 values in a few bytes
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    let mut header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }".to_string();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    npy.extend((header.len() as u16).to_le_bytes());
    npy.extend(header.as_bytes());
    npy.extend([0u8; 16]);
    std::fs::write(dir.path().join("big.npy"), &npy).unwrap();
    let e = write(dir.path(), "npy.toml", &format!("{BASE}data = \"npy:big.npy\"\n"));
    // the array is read when its cell runs: the sweep's first line, then the error, no result
    let output = clairaut().arg("sweep").arg(&e).arg("--out").arg(&out).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("big.npy") && errors[0].contains("more than 2^64 values of <f8"), "{stderr}");
    assert_eq!(std::fs::read_dir(&out).map(|d| d.count()).unwrap_or(0), 0);
    // a problem file whose widths overflow, or whose x rows are far shorter than its widths
    let p = write(dir.path(), "wide.json", r#"{"layers": [16777216, 16777216], "activations": ["tanh"], "loss": "mse", "x": [[1]], "y": [[1]], "params": []}"#);
    refused(&["hessian".into(), "--problem".into(), p.into()], &["wide.json", "`x[0]`", "16777216"], None);
    let p = write(dir.path(), "deep.json", &format!(r#"{{"layers": [{}], "activations": ["tanh"], "loss": "mse", "x": [[1]], "y": [[1]], "params": []}}"#, vec!["16777216"; 70000].join(",")));
    let output = clairaut().args(["hessian", "--problem"]).arg(&p).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked") && stderr.lines().count() == 1, "{stderr}");
}

/// A grid of 10^6 cells (100 × 100 × 100 seeds and sizes): counted, validated, one shard of it
/// swept (2 cells), and `status` reports exactly those two complete and 999998 missing, under a
/// 1 GiB address-space limit (the grid held whole took 1.2 GB).
#[test]
fn a_million_cell_grid_is_swept_and_reported_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!("name = \"million\"\n{BASE}spectrum = false\n[sweep]\ndata_seed = {{ range = [1, 100] }}\nweights_seed = {{ range = [1, 100] }}\nn = {{ range = [1, 100] }}\n");
    let exp = write(dir.path(), "million.toml", &toml);
    let out = dir.path().join("out");
    let limited = |args: &str| {
        let script = format!("ulimit -v 1048576 && exec {} {args}", bin().display());
        std::process::Command::new("sh").arg("-c").arg(script).current_dir(dir.path()).output().unwrap()
    };
    let t = Instant::now();
    let sweep = limited("sweep million.toml --out out --threads 2 --shard 0/500000");
    eprintln!("sweep of shard 0/500000 of 10^6 cells: {:.1} s", t.elapsed().as_secs_f64());
    let stderr = String::from_utf8_lossy(&sweep.stderr);
    assert!(sweep.status.success(), "{stderr}");
    assert!(stderr.contains("sweep million: 1000000 cells, shard 0/500000"), "{stderr}");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2);
    let t = Instant::now();
    let status = limited("status million.toml --out out");
    eprintln!("status of 10^6 cells: {:.1} s", t.elapsed().as_secs_f64());
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert_eq!(status.status.code(), Some(3), "{}", String::from_utf8_lossy(&status.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "out: 2 of 1000000 cells complete");
    assert_eq!(lines.len(), 1 + 1000 + 1, "{}", &stdout[..500]);
    assert!(lines[1].starts_with("missing ") && lines[1000].starts_with("missing "));
    assert_eq!(lines[1001], "… and 998998 more cells missing (--all lists every one)");
    // the cells written are the grid's first (index 0) and its 500001st
    let exp = clairaut::experiment::Experiment::load(&exp, &[]).unwrap();
    assert_eq!(exp.cells.len(), 1_000_000);
    let first = exp.cells.get(0).unwrap();
    assert_eq!((first.data_seed, first.weights_seed, first.n), (1, 1, 1));
    assert!(out.join(format!("{}.cbor", first.id())).exists());
    let mid = exp.cells.iter().nth(500_000).unwrap();
    assert_eq!((mid.data_seed, mid.weights_seed, mid.n), (51, 1, 1));
    assert!(out.join(format!("{}.cbor", mid.id())).exists());
}

/// The lazy grid is the grid: its cells, in order, are those of the cartesian product less the
/// excluded, then the included that are not grid cells, each listed once.
#[test]
fn the_lazy_grid_holds_each_cell_once_in_grid_order() {
    // keys in name order (n, orders, step_h), the last fastest
    let toml = format!(
        "{BASE}[sweep]\nn = [2, 3, 2]\nstep_h = [1, 1.0, 0.5]\norders = [[\"sequential\"], [\"pairwise\"]]\n\
         exclude = [{{ n = 3, orders = [\"pairwise\"] }}]\n\
         include = [{{ n = 2, step_h = 0.5 }}, {{ n = 7 }}, {{ n = 7 }}, {{ n = 3, orders = [\"pairwise\"], step_h = 1.0 }}]\n"
    );
    let exp = clairaut::experiment::Experiment::parse(&toml, Path::new("e.toml"), &[]).unwrap();
    let cells: Vec<_> = exp.cells.iter().collect();
    let got: Vec<(usize, f64, String)> = cells.iter().map(|c| (c.n, c.step_h, c.orders[0].clone())).collect();
    let (s, p) = ("sequential".to_string(), "pairwise".to_string());
    let want = vec![
        // n = 2 listed twice and step_h = 1 and 1.0 (the same value) count once
        (2, 1.0, s.clone()), (2, 0.5, s.clone()), (2, 1.0, p.clone()), (2, 0.5, p.clone()),
        (3, 1.0, s.clone()), (3, 0.5, s.clone()),
        // included: n = 2, step_h = 0.5 with the base's order is a grid cell; n = 7 once (the
        // base's step_h); the excluded cell comes back through include
        (7, 1e-6, s.clone()), (3, 1.0, p.clone()),
    ];
    assert_eq!(got, want);
    assert_eq!(exp.cells.len(), want.len());
    let mut ids: Vec<String> = cells.iter().map(|c| c.id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), want.len());
}

/// Every value a sweep accepts, `analyze` accepts, and the other way round.
#[test]
fn sweep_and_analyze_accept_the_same_values() {
    let dir = tempfile::tempdir().unwrap();
    let problem = write(dir.path(), "p.json", PROBLEM);
    let exp = write(dir.path(), "e.toml", &format!("{BASE}spectrum = false\n"));
    // (analyze options, the same as experiment overrides)
    let cases: &[(&[&str], &[&str])] = &[
        (&["--kink-tol", "0"], &["kink_tol=0.0"]),
        (&["--kink-tol=-1e-9"], &["kink_tol=-1e-9"]),
        (&["--kink-tol", "nan"], &["kink_tol=nan"]),
        (&["--check-extra", "0"], &["check_extra=0"]),
        (&["--check-extra", "65536"], &["check_extra=65536"]),
        (&["--check-extra", "65537"], &["check_extra=65537"]),
        (&["--precisions", "mp:1"], &["precisions=[\"mp:1\"]"]),
        (&["--precisions", "mp:2"], &["precisions=[\"mp:2\"]"]),
        (&["--precisions", "binary16"], &["precisions=[\"binary16\"]"]),
        (&["--orders", "shuffled:7"], &["orders=[\"shuffled:7\"]"]),
        (&["--orders", "shuffled:x"], &["orders=[\"shuffled:x\"]"]),
        (&["--truth", "mp:300"], &["truth=\"mp:300\""]),
        (&["--truth", "f64"], &["truth=\"f64\""]),
        (&["--step", "fixed:1e-3"], &["step_rule=\"fixed\"", "step_h=1e-3"]),
        (&["--step", "fixed:0"], &["step_rule=\"fixed\"", "step_h=0.0"]),
        (&["--methods", "fd-loss-4pt"], &["methods=[\"fd-loss-4pt\"]"]),
        (&["--methods", "fd-loss-5pt"], &["methods=[\"fd-loss-5pt\"]"]),
        (&["--fma-policies", "fma"], &["fma=[\"fma\"]"]),
        (&["--fma-policies", "fused"], &["fma=[\"fused\"]"]),
        (&["--math", "libm"], &["math=\"libm\""]),
        (&["--math", "glibc"], &["math=\"glibc\""]),
    ];
    for (opts, sets) in cases {
        let mut analyze = clairaut();
        analyze.arg("analyze").arg("--problem").arg(&problem).arg("--no-spectrum").args(*opts);
        for (option, default) in [("--precisions", "f64"), ("--methods", "fwd-rev")] {
            if !opts.contains(&option) {
                analyze.args([option, default]);
            }
        }
        let analyze = analyze.output().unwrap();
        let mut status = clairaut();
        status.arg("status").arg(&exp).arg("--out").arg(dir.path().join("none"));
        for s in *sets {
            status.args(["--set", s]);
        }
        let status = status.output().unwrap();
        // status: 3 (valid, missing) or 2 (refused); analyze: 0 or 2
        let (a, s) = (analyze.status.code(), status.status.code());
        assert!(matches!(a, Some(0 | 2)) && matches!(s, Some(2 | 3)), "{opts:?}: analyze {a:?}, status {s:?}");
        assert_eq!(a == Some(0), s == Some(3), "{opts:?} / {sets:?}: analyze {a:?} ({}), status {s:?} ({})", String::from_utf8_lossy(&analyze.stderr), String::from_utf8_lossy(&status.stderr));
    }
}
