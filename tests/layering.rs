//! The arithmetic layer (`src/scalar/**`) depends on nothing else in the crate: no path in it —
//! code, doc link or comment — names `crate::X` (or `$crate::X`) with `X` other than `scalar`,
//! and no `super::…` chain climbs out of `src/scalar`.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The identifier that starts `s`.
fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The module a file is, as path segments below `src/`: `scalar/order/mod.rs` → `[scalar, order]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut segs: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
    let file = segs.pop().expect("a file name");
    if file != "mod.rs" {
        segs.push(file.trim_end_matches(".rs").to_string());
    }
    segs
}

/// The violations in one file's text, whose module path is `module` (below `src/`).
fn violations(text: &str, module: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        // `crate::X` and `$crate::X`, not `foo_crate::X`
        for (i, _) in line.match_indices("crate::") {
            let before = line[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let target = ident(&line[i + "crate::".len()..]);
            if target != "scalar" {
                found.push(format!("line {}: `crate::{target}`: {}", n + 1, line.trim()));
            }
        }
        // `super::super::…`: going up as many levels as the file is deep below `src/` leaves
        // `src/scalar` (inline modules only make this stricter than needed)
        for (i, _) in line.match_indices("super") {
            if line[..i].ends_with("super::") || line[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let ups = line[i..].split("::").take_while(|s| ident(s) == "super").count();
            if ups >= module.len() {
                found.push(format!("line {}: {ups} × `super` leaves src/scalar: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn the_arithmetic_layer_imports_nothing_from_the_rest_of_the_crate() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join("scalar"), &mut files);
    files.sort();
    assert!(files.len() > 5, "src/scalar/** found: {files:?}");
    let mut bad = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("below src");
        let text = std::fs::read_to_string(f).expect("readable source");
        for v in violations(&text, &module_path(rel)) {
            bad.push(format!("src/{}: {v}", rel.display()));
        }
    }
    assert!(bad.is_empty(), "src/scalar/** must not depend on the rest of the crate:\n{}", bad.join("\n"));
}

#[test]
fn the_check_finds_what_it_should() {
    let hw = ["scalar".to_string(), "hw".to_string()];
    let order = ["scalar".to_string(), "order".to_string(), "kernels".to_string()];
    assert!(violations("use crate::scalar::Real;\n$crate::scalar::Fun", &hw).is_empty());
    assert!(violations("use super::mpfr::IeeeFormat;", &hw).is_empty());
    assert!(violations("use super::super::Scalar;", &order).is_empty());
    assert!(violations("// see [`crate::scalar::order`]; my_crate::x", &hw).is_empty());
    assert_eq!(violations("use crate::ad::DualVec;", &hw).len(), 1);
    assert_eq!(violations("/// [`x`](crate::model::activation)", &hw).len(), 1);
    assert_eq!(violations("<Self as $crate::hessian::X>::f()", &hw).len(), 1);
    assert_eq!(violations("use super::super::order;", &hw).len(), 1);
    assert_eq!(violations("use super::super::super::model;", &order).len(), 1);
    assert_eq!(module_path(Path::new("scalar/order/mod.rs")), ["scalar", "order"]);
    assert_eq!(module_path(Path::new("scalar/hw.rs")), ["scalar", "hw"]);
}
