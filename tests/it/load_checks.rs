//! Issue 14, the last gaps: an experiment's errors about values written in its TOML carry the
//! value's line and column (a wrong type in `[base]`, a bad name in `[sweep]`, in an `include`),
//! but not when the value came from `--set`; and every cell is checked against what its data
//! source holds when the experiment is loaded — a `csv:`/`npy:` file's columns against the
//! cell's `layers` and `y_columns`, a `problem:` file's network and batch against the memory —
//! so a bad cell deep in a grid is refused before any cell runs and nothing is written.

use std::path::Path;

use crate::common::{clairaut, write};

/// Runs `sweep` on `exp` with `extra` arguments into `dir/out`; asserts exit 2, one error line
/// on stderr, and that nothing was written; returns the line.
fn refused(dir: &Path, exp: &Path, extra: &[&str]) -> String {
    let out = dir.join("out");
    let output = clairaut().arg("sweep").arg(exp).arg("--out").arg(&out).args(extra).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "not one line: {stderr}");
    assert!(!out.exists(), "{} was created: {stderr}", out.display());
    lines[0].to_string()
}

const BASE: &str = "name = \"t\"\n[base]\nlayers = [2, 1]\nmethods = [\"fwd-rev\"]\nprecisions = [\"f64\"]\n";

#[test]
fn a_wrong_type_in_base_is_reported_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let exp = write(dir.path(), "e.toml", &format!("{BASE}n = \"three\"\n"));
    let line = refused(dir.path(), &exp, &[]);
    assert!(line.contains("e.toml:6:5: field `n`: invalid type: string \"three\""), "{line}");
}

#[test]
fn a_bad_name_in_base_and_in_the_sweep_is_reported_at_its_value() {
    let dir = tempfile::tempdir().unwrap();
    let exp = write(dir.path(), "e.toml", &format!("{BASE}loss = \"msee\"\n"));
    assert!(refused(dir.path(), &exp, &[]).contains("e.toml:6:8: field `loss`: unknown loss \"msee\""));
    let exp = write(dir.path(), "e.toml", &format!("{BASE}[sweep]\nn = [1, 2]\nloss = [\"mse\", \"nope\"]\n"));
    let line = refused(dir.path(), &exp, &[]);
    assert!(line.contains("e.toml:8:8: field `sweep.loss`: unknown loss \"nope\""), "{line}");
    let exp = write(dir.path(), "e.toml", &format!("{BASE}[sweep]\nn = [1, 2]\ninclude = [{{ loss = \"x\" }}]\n"));
    let line = refused(dir.path(), &exp, &[]);
    assert!(line.contains("e.toml:8:11: field `sweep.include[0].loss`: unknown loss \"x\""), "{line}");
}

#[test]
fn a_value_given_by_set_has_no_line_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let exp = write(dir.path(), "e.toml", &format!("{BASE}loss = \"mse\"\n"));
    let line = refused(dir.path(), &exp, &["--set", "loss=\"nope\""]);
    assert!(line.contains("e.toml: field `loss`: unknown loss \"nope\""), "{line}");
}

#[test]
fn data_file_columns_are_checked_for_every_cell_before_any_runs() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "d.csv", "a,b,c\n1,2,3\n4,5,6\n");
    // the first cell (layers [2, 1]) fits the file; the second does not
    let exp = write(dir.path(), "e.toml", &format!("{BASE}data = \"csv:d.csv\"\n[sweep]\nlayers = [[2, 1], [3, 1]]\n"));
    let line = refused(dir.path(), &exp, &[]);
    assert!(line.contains("d.csv: field `columns`: 3 columns: 2 inputs and 1 targets"), "{line}");
    assert!(line.contains("layers [3, 1] need d0 = 3"), "{line}");
    // and a y_columns out of the file, in an included cell
    let exp = write(dir.path(), "e.toml", &format!("{BASE}data = \"csv:d.csv\"\n[sweep]\nn = [1, 2]\ninclude = [{{ y_columns = [5] }}]\n"));
    let line = refused(dir.path(), &exp, &[]);
    assert!(line.contains("sweep.include[0].y_columns[0]") && line.contains("5 is not a column"), "{line}");
}

/// An `.npy` file of `f64` (C order) with `shape`.
fn npy(dir: &Path, name: &str, shape: &[u64]) {
    use npyz::WriterBuilder;
    let count: u64 = shape.iter().product();
    let mut bytes = Vec::new();
    let mut w = npyz::WriteOptions::<f64>::new().default_dtype().shape(shape).writer(&mut bytes).begin_nd().unwrap();
    w.extend((0..count).map(|k| k as f64 / 8.0)).unwrap();
    w.finish().unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn npy_shapes_are_checked_for_every_cell_before_any_runs() {
    let dir = tempfile::tempdir().unwrap();
    npy(dir.path(), "x.npy", &[4, 2]);
    npy(dir.path(), "y.npy", &[3, 1]);
    let exp = write(dir.path(), "e.toml", &format!("{BASE}data = \"npy:x.npy,y.npy\"\n"));
    let line = refused(dir.path(), &exp, &[]);
    assert!(line.contains("y.npy: field `shape`: 3 rows, but") && line.contains("x.npy has 4"), "{line}");
    npy(dir.path(), "y.npy", &[4, 1]);
    let exp = write(dir.path(), "e.toml", &format!("{BASE}data = \"npy:x.npy,y.npy\"\n[sweep]\nlayers = [[2, 1], [2, 2]]\n"));
    let line = refused(dir.path(), &exp, &[]);
    assert!(line.contains("y.npy: field `shape`: 4 × 1: layers [2, 2] need 2 targets per row"), "{line}");
}

#[test]
fn a_problem_file_too_large_to_analyze_is_refused_when_the_experiment_is_loaded() {
    let dir = tempfile::tempdir().unwrap();
    // P = 16 020 001: the problem file is small enough to read, its analysis far too large
    let widths = [2usize, 4000, 4000, 1];
    let p: usize = widths.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
    let params = vec!["0"; p].join(",");
    let problem = format!(r#"{{"layers": [2, 4000, 4000, 1], "activations": ["tanh", "tanh", "identity"], "loss": "mse", "x": [[1, 2]], "y": [[1]], "params": [{params}]}}"#);
    write(dir.path(), "big.json", &problem);
    let exp = write(dir.path(), "e.toml", "name = \"t\"\n[base]\ndata = \"problem:big.json\"\nprecisions = [\"mp:512\"]\nmethods = [\"fwd-rev\"]\n");
    let line = refused(dir.path(), &exp, &[]);
    assert!(line.contains("layers [2, 4000, 4000, 1], N = 1: P = 16020001: this cell's analysis needs an estimated"), "{line}");
}

#[test]
fn external_hessians_are_checked_against_every_cells_network_before_any_runs() {
    let dir = tempfile::tempdir().unwrap();
    // layers [2, 1]: P = 3; the file fits the first cell of the sweep, not the second (P = 4)
    npy(dir.path(), "h.npy", &[3, 3]);
    let exp = write(dir.path(), "e.toml", &format!("{BASE}externals = [\"fw=h.npy\"]\n[sweep]\nlayers = [[2, 1], [3, 1]]\n"));
    let line = refused(dir.path(), &exp, &[]);
    assert!(line.contains("h.npy: field `shape`: expected (4, 4) for P = 4 of layers [3, 1], found (3, 3)"), "{line}");
    // a file of the wrong shape for the only cell
    npy(dir.path(), "h.npy", &[2, 2]);
    let exp = write(dir.path(), "e.toml", &format!("{BASE}externals = [\"fw=h.npy\"]\n"));
    let line = refused(dir.path(), &exp, &[]);
    assert!(line.contains("expected (3, 3) for P = 3 of layers [2, 1], found (2, 2)"), "{line}");
}
