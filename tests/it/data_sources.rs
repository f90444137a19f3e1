//! Issue #4, data sources: CSV files give the same problem as the equivalent inline data and
//! `.npy` files their exact stored values (issue 15), their bytes are part of each cell's identity, `winequality` loads from
//! `linfa-datasets`, and bad files are one-line errors (exit status 2).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use clairaut::experiment::Experiment;
use clairaut::results::matrix::npy_bytes;
use clairaut::results::{problem_from_cbor, ResultFile};

use crate::common::{bin, expect_error};


fn experiment(data: &str, extra: &str) -> String {
    format!(
        r#"
[base]
layers = [2, 3, 1]
activations = ["tanh", "identity"]
n = 0
data = "{data}"
methods = ["rev-rev", "fwd-rev"]
precisions = ["f32", "f64", "binary16"]
{extra}
"#
    )
}

const INLINE: &str = r#"x = [[0.1, -2.0], [1.25, 0.3], [0.5, 7.0]]
y = [[0.5], [-0.75], [1.0]]"#;

/// The one result file of a one-cell sweep of `text` (written as `<name>.toml` in `dir`).
fn sweep_one(dir: &Path, name: &str, text: &str) -> (PathBuf, ResultFile) {
    let exp = dir.join(format!("{name}.toml"));
    std::fs::write(&exp, text).unwrap();
    let out = dir.join(format!("out-{name}"));
    Command::new(bin()).arg("sweep").arg(&exp).arg("--out").arg(&out).assert().success();
    let files: Vec<PathBuf> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let r = ResultFile::read(&files[0]).unwrap();
    (files[0].clone(), r)
}

/// Each decimal as its value correctly rounded to 4096 bits: equal for equal reals (these
/// decimals are short, so different reals differ at that precision).
fn values(v: &[String]) -> Vec<rug::Float> {
    v.iter().map(|s| rug::Float::with_val(4096, rug::Float::parse(s).unwrap())).collect()
}

fn analysis_without_name(r: &ResultFile) -> serde_json::Value {
    let mut a = serde_json::to_value(&r.analysis).unwrap();
    a.as_object_mut().unwrap().remove("problem");
    a
}

fn write_f32_npy(path: &Path, data: &[f32], shape: &[u64]) {
    use npyz::WriterBuilder;
    let mut out = Vec::new();
    {
        let mut w = npyz::WriteOptions::<f32>::new().default_dtype().shape(shape).writer(&mut out).begin_nd().unwrap();
        w.extend(data.iter().copied()).unwrap();
        w.finish().unwrap();
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn csv_and_npy_files_give_the_inline_problem() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // the same numbers written in several ways: a header, spaces, quotes, `+.5`, `3e-1`
    std::fs::write(d.join("d.csv"), "a, b, \"target\"\n0.1,-2,0.5\n1.25, 3e-1 ,-0.75\n\"+.5\",7.0,1\n").unwrap();
    std::fs::write(d.join("noheader.csv"), "0.5,0.1,-2\n-0.75,1.25,0.3\n1,0.5,7\n").unwrap();
    std::fs::write(d.join("x.npy"), npy_bytes(&[0.1, -2.0, 1.25, 0.3, 0.5, 7.0], &[3, 2])).unwrap();
    std::fs::write(d.join("y.npy"), npy_bytes(&[0.5, -0.75, 1.0], &[3])).unwrap();
    std::fs::write(d.join("xy.npy"), npy_bytes(&[0.1, -2.0, 0.5, 1.25, 0.3, -0.75, 0.5, 7.0, 1.0], &[3, 3])).unwrap();
    let (_, inline) = sweep_one(d, "inline", &experiment("inline", INLINE));
    let want_x = values(&problem_from_cbor(&inline.problem, Path::new("inline")).unwrap().x);
    let want_y = values(&problem_from_cbor(&inline.problem, Path::new("inline")).unwrap().y);
    let want_analysis = analysis_without_name(&inline);
    for (name, data, extra) in [
        ("csv", "csv:d.csv", ""),
        ("csv-y-first", "csv:noheader.csv", "y_columns = [0]"),
    ] {
        let (f, r) = sweep_one(d, name, &experiment(data, extra));
        let p = problem_from_cbor(&r.problem, &f).unwrap();
        assert_eq!(p.n, 3, "{name}");
        assert_eq!(values(&p.x), want_x, "{name}: x");
        assert_eq!(values(&p.y), want_y, "{name}: y");
        assert_eq!(analysis_without_name(&r), want_analysis, "{name}: the analysis");
        assert_eq!(r.config.data_sha256.as_deref().map(str::len), Some(64), "{name}");
        // rerun recomputes from the stored problem, bit for bit
        let rerun = Command::new(bin()).arg("rerun").arg(&f).output().unwrap();
        assert!(rerun.status.success() && String::from_utf8_lossy(&rerun.stdout).contains("bit-identical"), "{name}: {rerun:?}");
    }
    // .npy values are taken exactly as stored: the f64 nearest to 0.1, not 1/10 (so the inline
    // problem's analysis, whose truth sees 1/10, is not theirs); both layouts agree
    let stored = |v: &[String]| v.iter().map(|s| rug::Float::with_val(4096, s.parse::<f64>().unwrap())).collect::<Vec<_>>();
    let inline_p = problem_from_cbor(&inline.problem, Path::new("inline")).unwrap();
    let mut npy_analyses = Vec::new();
    for (name, data) in [("npy2", "npy:x.npy, y.npy"), ("npy1", "npy:xy.npy")] {
        let (f, r) = sweep_one(d, name, &experiment(data, ""));
        let p = problem_from_cbor(&r.problem, &f).unwrap();
        assert_eq!(p.x[0], "0.1000000000000000055511151231257827021181583404541015625", "{name}");
        assert_eq!((values(&p.x), values(&p.y)), (stored(&inline_p.x), stored(&inline_p.y)), "{name}");
        let rerun = Command::new(bin()).arg("rerun").arg(&f).output().unwrap();
        assert!(rerun.status.success() && String::from_utf8_lossy(&rerun.stdout).contains("bit-identical"), "{name}: {rerun:?}");
        npy_analyses.push(analysis_without_name(&r));
    }
    assert_eq!(npy_analyses[0], npy_analyses[1]);
    // CSV digits are kept as written (0.1 stays 1/10, not the f64 nearest to it)
    let (f, r) = sweep_one(d, "csv-text", &experiment("csv:d.csv", ""));
    let p = problem_from_cbor(&r.problem, &f).unwrap();
    assert_eq!(p.x, ["0.1", "-2", "1.25", "3e-1", "0.5", "7.0"]);
    assert_eq!(p.y, ["0.5", "-0.75", "1"]);
    // an f32 array: each value exactly as stored (0.1f32 = 0.100000001490116…, not 0.1)
    write_f32_npy(&d.join("x32.npy"), &[0.1, -2.0, 1.25, 0.3, 0.5, 7.0], &[3, 2]);
    write_f32_npy(&d.join("y32.npy"), &[0.5, -0.75, 1.0], &[3, 1]);
    let (f, r) = sweep_one(d, "npy32", &experiment("npy:x32.npy,y32.npy", ""));
    let p = problem_from_cbor(&r.problem, &f).unwrap();
    let f32s = |v: &[String]| v.iter().map(|s| rug::Float::with_val(4096, s.parse::<f32>().unwrap())).collect::<Vec<_>>();
    assert_eq!(p.x[0], "0.100000001490116119384765625");
    assert_eq!((values(&p.x), values(&p.y)), (f32s(&inline_p.x), f32s(&inline_p.y)));
    // `n` rows taken evenly, as for the real data sets
    let (f, r) = sweep_one(d, "csv-n2", &experiment("csv:d.csv", "").replace("n = 0", "n = 2"));
    let p = problem_from_cbor(&r.problem, &f).unwrap();
    assert_eq!((p.n, p.y.as_slice()), (2, ["0.5".to_string(), "-0.75".to_string()].as_slice()));
}

#[test]
fn a_changed_data_file_changes_the_cells_identity() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let exp = d.join("e.toml");
    std::fs::write(&exp, experiment("csv:d.csv", "")).unwrap();
    std::fs::write(d.join("d.csv"), "0.1,-2,0.5\n1.25,0.3,-0.75\n").unwrap();
    let a = Experiment::load(&exp, &[]).unwrap().cells.get(0).unwrap().clone();
    let out = d.join("out");
    Command::new(bin()).arg("sweep").arg(&exp).arg("--out").arg(&out).assert().success();
    Command::new(bin()).arg("status").arg(&exp).arg("--out").arg(&out).assert().code(0);
    std::fs::write(d.join("d.csv"), "0.1,-2,0.5\n1.25,0.3,-0.76\n").unwrap();
    let b = Experiment::load(&exp, &[]).unwrap().cells.get(0).unwrap().clone();
    assert_ne!(a.hash(), b.hash());
    assert_ne!(a.data_sha256, b.data_sha256);
    // the old result is not taken for the new data
    Command::new(bin()).arg("status").arg(&exp).arg("--out").arg(&out).assert().code(3);
    // same bytes, same identity
    std::fs::write(d.join("d.csv"), "0.1,-2,0.5\n1.25,0.3,-0.75\n").unwrap();
    assert_eq!(Experiment::load(&exp, &[]).unwrap().cells.get(0).unwrap().hash(), a.hash());
    // two .npy files: either file's bytes count
    std::fs::write(d.join("x.npy"), npy_bytes(&[0.1, -2.0], &[1, 2])).unwrap();
    std::fs::write(d.join("y.npy"), npy_bytes(&[0.5], &[1])).unwrap();
    std::fs::write(&exp, experiment("npy:x.npy,y.npy", "")).unwrap();
    let h1 = Experiment::load(&exp, &[]).unwrap().cells.get(0).unwrap().hash();
    std::fs::write(d.join("y.npy"), npy_bytes(&[0.25], &[1])).unwrap();
    assert_ne!(Experiment::load(&exp, &[]).unwrap().cells.get(0).unwrap().hash(), h1);
    // a pinned digest holds the data still
    let pin = Experiment::load(&exp, &[]).unwrap().cells.get(0).unwrap().data_sha256.clone().unwrap();
    std::fs::write(&exp, experiment("npy:x.npy,y.npy", &format!("data_sha256 = \"{pin}\""))).unwrap();
    assert_eq!(Experiment::load(&exp, &[]).unwrap().cells.get(0).unwrap().data_sha256.as_deref(), Some(pin.as_str()));
    // other sources are unchanged: no digest, the same identity as before this field existed
    std::fs::write(&exp, experiment("inline", INLINE)).unwrap();
    assert_eq!(Experiment::load(&exp, &[]).unwrap().cells.get(0).unwrap().data_sha256, None);
}

#[test]
fn winequality_is_shipped_with_11_inputs_and_quality_over_10() {
    let (rows, x, y, d0, dl) = clairaut::experiment::dataset("winequality", 0).unwrap();
    assert_eq!((rows, d0, dl), (1599, 11, 1));
    assert_eq!((x.len(), y.len()), (1599 * 11, 1599));
    // the first wine: 7.4,0.7,0,1.9,0.076,11,34,0.9978,3.51,0.56,9.4 → quality 5
    let first: Vec<f64> = x[..11].iter().map(|s| s.parse().unwrap()).collect();
    assert_eq!(first, [7.4, 0.7, 0.0, 1.9, 0.076, 11.0, 34.0, 0.9978, 3.51, 0.56, 9.4]);
    assert_eq!(y[0], "5e-1");
    assert!(y.iter().all(|q| ["3e-1", "4e-1", "5e-1", "6e-1", "7e-1", "8e-1"].contains(&q.as_str())));
    // a cell on it
    let dir = tempfile::tempdir().unwrap();
    let text = experiment("winequality", "").replace("[2, 3, 1]", "[11, 2, 1]").replace("n = 0", "n = 4");
    let (f, r) = sweep_one(dir.path(), "wine", &text);
    let p = problem_from_cbor(&r.problem, &f).unwrap();
    assert_eq!((p.n, p.x.len(), p.y.len()), (4, 44, 4));
    assert_eq!(r.config.data_sha256, None);
    // the architecture must fit the set
    let e = dir.path().join("bad.toml");
    std::fs::write(&e, experiment("winequality", "")).unwrap();
    expect_error(Command::new(bin()).arg("sweep").arg(&e).arg("--out").arg(dir.path().join("o")), &["bad.toml", "layers", "11 inputs"]);
}

#[test]
fn bad_data_files_get_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let i64_npy = {
        use npyz::WriterBuilder;
        let mut out = Vec::new();
        {
            let mut w = npyz::WriteOptions::<i64>::new().default_dtype().shape(&[3, 2]).writer(&mut out).begin_nd().unwrap();
            w.extend([1i64, 2, 3, 4, 5, 6]).unwrap();
            w.finish().unwrap();
        }
        out
    };
    let x = npy_bytes(&[0.1, -2.0, 1.25, 0.3, 0.5, 7.0], &[3, 2]);
    let y = npy_bytes(&[0.5, -0.75, 1.0], &[3]);
    let (inline_y_columns, inline_pin) = (format!("{INLINE}\ny_columns = [0]"), format!("{INLINE}\ndata_sha256 = \"00\""));
    // (data, files to write, extra keys, what the error line must contain)
    type Case<'a> = (&'a str, Vec<(&'a str, Vec<u8>)>, &'a str, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        ("csv:nope.csv", vec![], "", vec!["nope.csv", "cannot read"]),
        ("csv:d.csv", vec![("d.csv", b"a,b,c\n1,2,3\n4,abc,6\n".to_vec())], "", vec!["d.csv", "line 3, column 2", "not a finite decimal", "(a text of 3 characters, not shown)"]),
        ("csv:d.csv", vec![("d.csv", b"1,2,3\n4,5,nan\n".to_vec())], "", vec!["d.csv", "line 2, column 3", "`nan`"]),
        ("csv:d.csv", vec![("d.csv", b"1,2,3\n4,5\n".to_vec())], "", vec!["d.csv", "line 2", "2 fields, but line 1 has 3"]),
        ("csv:d.csv", vec![("d.csv", b"1,2,3,4\n5,6,7,8\n".to_vec())], "", vec!["d.csv", "`columns`", "4 columns", "layers [2, 3, 1]"]),
        ("csv:d.csv", vec![("d.csv", b"x,y,t\n".to_vec())], "", vec!["d.csv", "no data rows"]),
        ("csv:d.csv", vec![("d.csv", b"1,2,3\n".to_vec())], "y_columns = [3]", vec!["e.toml", "y_columns[0]", "3 is not a column", "d.csv"]),
        ("csv:d.csv", vec![("d.csv", b"1,2,3\n".to_vec())], "y_columns = [1, 1]", vec!["e.toml", "y_columns[1]", "twice"]),
        ("inline", vec![], &inline_y_columns, vec!["e.toml", "y_columns", "inline"]),
        ("npy:x.npy,y.npy", vec![("x.npy", i64_npy.clone()), ("y.npy", y.clone())], "", vec!["x.npy", "`dtype`", "`<i8`"]),
        ("npy:x.npy,y.npy", vec![("x.npy", npy_bytes(&[1.0; 8], &[2, 2, 2])), ("y.npy", y.clone())], "", vec!["x.npy", "`shape`", "[2, 2, 2]"]),
        ("npy:x.npy,y.npy", vec![("x.npy", npy_bytes(&[1.0; 9], &[3, 3])), ("y.npy", y.clone())], "", vec!["x.npy", "`shape`", "3 × 3", "need 2 inputs"]),
        ("npy:x.npy,y.npy", vec![("x.npy", x.clone()), ("y.npy", npy_bytes(&[1.0, 2.0], &[2]))], "", vec!["y.npy", "`shape`", "2 rows", "x.npy has 3"]),
        ("npy:x.npy,y.npy", vec![("x.npy", npy_bytes(&[0.1, f64::INFINITY, 1.0, 1.0], &[2, 2])), ("y.npy", npy_bytes(&[1.0, 2.0], &[2]))], "", vec!["x.npy", "[0][1]", "inf"]),
        ("npy:x.npy,y.npy", vec![("x.npy", x[..x.len() - 3].to_vec()), ("y.npy", y.clone())], "", vec!["x.npy", "`data`"]),
        ("npy:x.npy,y.npy", vec![("x.npy", b"hello".to_vec()), ("y.npy", y.clone())], "", vec!["x.npy", "`header`"]),
        ("npy:x.npy,y.npy", vec![("x.npy", x.clone()), ("y.npy", y.clone())], "y_columns = [0]", vec!["e.toml", "y_columns", "separate x and y"]),
        ("npy:a.npy,b.npy,c.npy", vec![], "", vec!["e.toml", "`data`", "npy:a.npy,b.npy,c.npy"]),
        ("npy:x.npy,y.npy", vec![("x.npy", x.clone()), ("y.npy", y.clone())], "data_sha256 = \"00\"", vec!["e.toml", "data_sha256", "00 is pinned"]),
        ("inline", vec![], &inline_pin, vec!["e.toml", "data_sha256", "csv:/npy: data only"]),
        ("tsv:d.tsv", vec![], "", vec!["e.toml", "`data`", "tsv:d.tsv"]),
    ];
    for (data, files, extra, expect) in cases {
        let sub = tempfile::tempdir_in(d).unwrap();
        for (name, bytes) in &files {
            std::fs::write(sub.path().join(name), bytes).unwrap();
        }
        let e = sub.path().join("e.toml");
        std::fs::write(&e, experiment(data, extra)).unwrap();
        let out = sub.path().join("out");
        expect_error(Command::new(bin()).arg("sweep").arg(&e).arg("--out").arg(&out), &expect);
        // nothing was written for the failed cell
        assert!(std::fs::read_dir(&out).map(|r| r.count()).unwrap_or(0) == 0, "{data} {extra}");
    }
}
