//! `rules = pytorch` under `rev-rev` in analyses (issue 18): experiments and `analyze` run it
//! as any covered cell, and `--external`'s nearest-configuration search includes it. The rows'
//! Hessians are `clairaut hessian --rules pytorch --method rev-rev`'s bit for bit, and that
//! command's Hessian is `torch.autograd.functional.hessian`'s (`rules_torch_rr.rs`, against the
//! committed torch exports `tests/data/frameworks/torch-rr-*`); here the external is that
//! committed torch file, an independent source.

use std::path::Path;

use clairaut::results::ResultFile;

use super::rules::{bitwise_equal, cli_hessian, committed, dir};
use crate::common::clairaut;

/// The stored f64 values of the row at `k` of a result run with `store_matrices = true`.
fn stored(r: &ResultFile, k: usize) -> Vec<f64> {
    let rows = clairaut::results::get(r.matrices.as_ref().expect("matrices"), "rows").and_then(|v| v.as_array()).expect("rows");
    match clairaut::results::get(&rows[k], "f64") {
        Some(ciborium::Value::Bytes(b)) => b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect(),
        other => panic!("row {k}: {other:?}"),
    }
}

/// The committed experiment `example1-rules` (the report's framework-rules rows), swept again
/// with `store_matrices = true`: a pytorch × rev-rev row at f32 and f64 whose Hessian is
/// `clairaut hessian --rules pytorch --method rev-rev`'s bit for bit, with a graph part,
/// nonzero at f32 (where Clairaut's rules differ from PyTorch's: `rules_torch_rr.rs`); and
/// the committed result `results/tf2-article/example1-rules` holds the same rows.
#[test]
fn experiments_run_pytorch_rev_rev_as_clairaut_hessian_does() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let problem = tmp.path().join("example1.json");
    std::fs::copy(root.join("experiments/tf2-article/example1.json"), &problem).unwrap();
    let toml = std::fs::read_to_string(root.join("experiments/tf2-article/example1-rules.toml")).unwrap();
    assert!(toml.contains("\"pytorch\"") && toml.contains("\"rev-rev\""));
    let exp = tmp.path().join("e.toml");
    std::fs::write(&exp, toml.replace("[base]\n", "[base]\nstore_matrices = true\n")).unwrap();
    let out = tmp.path().join("out");
    let run = clairaut().arg("sweep").arg(&exp).arg("--out").arg(&out).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let files = clairaut::results::files_in(&out).unwrap();
    assert_eq!(files.len(), 1);
    let r = ResultFile::read(&files[0]).unwrap();
    let committed_dir = root.join("results/tf2-article/example1-rules");
    let kept: Vec<ResultFile> = clairaut::results::files_in(&committed_dir).unwrap().iter().map(|f| ResultFile::read(f).unwrap()).collect();
    let kept_rows: Vec<_> = kept.iter().flat_map(|f| f.analysis.rows.iter()).collect();
    let timeless = |row: &clairaut::results::record::Row| clairaut::results::record::Row { seconds: None, ..row.clone() };
    for p in ["f32", "f64"] {
        let k = r.analysis.rows.iter().position(|row| row.rules.as_deref() == Some("pytorch") && row.method == "rev-rev" && row.precision == p);
        let k = k.unwrap_or_else(|| panic!("no pytorch rev-rev row at {p}"));
        let row = &r.analysis.rows[k];
        let cli = cli_hessian(&problem, &["--method", "rev-rev", "--precision", p, "--rules", "pytorch"]);
        assert_eq!(cli.len(), 36);
        assert_eq!(bitwise_equal(&stored(&r, k), &cli), 36, "{p}");
        let graph = row.attribution.graph.as_ref().expect("graph part").total.to_f64();
        assert!(p != "f32" || graph > 0.0, "{p}: graph {graph}");
        let same = kept_rows.iter().find(|c| c.rules == row.rules && c.method == row.method && c.precision == row.precision);
        assert_eq!(same.map(|c| timeless(c)), Some(timeless(row)), "committed {p}");
    }
}

/// `analyze --rules clairaut,pytorch --methods rev-rev` writes a pytorch rev-rev row, and the
/// committed `torch.autograd.functional.hessian` of the article's example as `--external`
/// finds it as its nearest configuration, all 36 entries bitwise equal at f64 (Clairaut's own
/// rules, the other candidates, reach 27 of 36: `rules_torch_rr.rs`).
#[test]
fn the_external_search_finds_pytorch_rev_rev() {
    let ex = "torch-rr-article-example1";
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("a.json");
    let external = format!("torch={}", dir(ex).join("hessian-torch-f64.npy").display());
    let args = ["--inputs", "as-stored", "--methods", "rev-rev", "--precisions", "f64", "--rules", "clairaut,pytorch", "--external", &external];
    let run = clairaut().arg("analyze").arg("--problem").arg(dir(ex).join("problem.json")).args(args).arg("--json").arg(&json).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let rows = a["rows"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["rules"] == "pytorch" && r["method"] == "rev-rev"), "{rows:?}");
    let n = &a["externals"][0]["nearest"];
    assert_eq!((n["row"]["rules"].as_str(), n["row"]["method"].as_str()), (Some("pytorch"), Some("rev-rev")), "{n}");
    assert_eq!((n["equal_entries"].as_u64(), n["entries"].as_u64()), (Some(36), Some(36)), "{n}");
    assert_eq!(committed(ex, "torch", "f64").len(), 36);
}
