//! Issue #14, point 4: non-finite results are never reported as success. An overflowing problem
//! (x = 1e300 times a weight 1e10 overflows f64; the truth, in MPFR, stays finite) makes
//! `hessian` name its NaN/±∞ entries and exit 4 unless `--allow-nonfinite`; `analyze` marks the
//! overflowing rows "non-finite" and not certified; `sweep` writes the cell and warns.

use std::path::PathBuf;

use crate::common::{clairaut, write};

/// Finite at the truth's precision, overflowing (∞, then NaN) in f64 and f32.
const OVERFLOW: &str = r#"{"layers": [2, 2], "activations": ["identity"], "loss": "mse",
  "x": [[1e300, 2.0]], "y": [[0.5, 0.5]], "params": [1e10, 0.2, 0.3, 0.4, 0.5, 0.6]}"#;


#[test]
fn hessian_names_the_non_finite_entries_and_exits_4_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "overflow.json", OVERFLOW);
    let h = dir.path().join("h.json");
    let out = clairaut().args(["hessian", "--problem"]).arg(&file).arg("--out").arg(&h).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(4), "{stdout}{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected: {stderr}");
    assert!(stderr.contains("non-finite") && stderr.contains("--allow-nonfinite"), "{stderr}");
    // the asymmetry is not claimed to be 0; the count and the first indices are on one line
    assert!(stdout.contains("max |H_ij−H_ji|: not finite"), "{stdout}");
    assert!(stdout.contains("‖H−Hᵀ‖_F/‖H‖_F: not finite"), "{stdout}");
    let line = stdout.lines().find(|l| l.starts_with("non-finite: ")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains(" of 36 entries non-finite") && line.contains("first at (0, 0)"), "{line}");
    // nothing computed is lost: the matrix is written all the same
    assert!(h.exists());

    // accepted with --allow-nonfinite, still reported; in every format, MPFR emulations included
    // (each with inputs it can represent whose products overflow it)
    for (precision, x, w) in [("f64", "1e300", "1e10"), ("f32", "1e30", "1e10"), ("bfloat16", "1e30", "1e10"), ("binary16", "300", "300")] {
        let text = OVERFLOW.replace("1e300", x).replace("1e10", w);
        let file = write(dir.path(), &format!("{precision}.json"), &text);
        let out = clairaut().args(["hessian", "--allow-nonfinite", "--precision", precision, "--problem"]).arg(&file).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{precision}: {stdout}");
        assert!(stdout.contains("entries non-finite (NaN or ±∞)"), "{precision}: {stdout}");
    }
    // in MPFR the same problem is finite: exit 0, no report, the figures as numbers
    let out = clairaut().args(["hessian", "--precision", "mp:128", "--problem"]).arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("non-finite") && !stdout.contains("not finite"), "{stdout}");
}

#[test]
fn hessian_help_documents_the_exit_status() {
    let out = clairaut().args(["hessian", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--allow-nonfinite") && help.contains("Exit status") && help.contains("4 when H has an entry"), "{help}");
}

#[test]
fn analyze_marks_non_finite_rows_and_never_certifies_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "overflow.json", OVERFLOW);
    let json = dir.path().join("a.json");
    let out = clairaut()
        .args(["analyze", "--methods", "fwd-rev,rev-rev", "--precisions", "f64,mp:100", "--problem"])
        .arg(&file)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("non-finite H: fwd-rev f64 sequential no-fma: ") && stdout.contains("first at (0, 0)"), "{stdout}");
    let a: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rows = a["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for r in rows {
        let overflowed = r["precision"] == "f64";
        assert_eq!(r["asym_dominant"] == "non-finite", overflowed, "{r}");
        assert_eq!(r["certified"], !overflowed, "{r}");
    }
    // the truth (MPFR) is finite here, and certified as such
    assert_eq!(a["truth"]["certified"], true, "{}", a["truth"]);
}

#[test]
fn sweep_writes_a_non_finite_cell_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "overflow.json", OVERFLOW);
    let exp = write(
        dir.path(),
        "nf.toml",
        r#"
name = "nf"
[base]
data = "problem:overflow.json"
weights = "problem"
methods = ["fwd-rev"]
precisions = ["f64", "mp:100"]
orders = ["sequential"]
"#,
    );
    let out_dir = dir.path().join("o");
    let out = clairaut().arg("sweep").arg(&exp).arg("--out").arg(&out_dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.starts_with("warning: cell ")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains("1 of 2 rows non-finite"), "{stderr}");
    let files: Vec<PathBuf> = std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "cbor")).collect();
    assert_eq!(files.len(), 1);
    let f = clairaut::results::ResultFile::read(&files[0]).unwrap();
    let marks: Vec<(&str, bool)> = f.analysis.rows.iter().map(|r| (r.asym_dominant.as_str(), r.certified)).collect();
    assert_eq!(marks[0], ("non-finite", false));
    assert_ne!(marks[1].0, "non-finite");
}
