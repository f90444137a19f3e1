//! The layering of the crate, checked over its source (ARCHITECTURE.md):
//! - the arithmetic layer (`src/scalar/**`) depends on nothing else in the crate: no path in it —
//!   code, doc link or comment — names `crate::X` (or `$crate::X`) with `X` other than `scalar`,
//!   and no `super::…` chain climbs out of `src/scalar`;
//! - no two modules import each other, directly or through others. A module is a source file
//!   (`src/a/b.rs` or `src/a/b/mod.rs` is `a::b`); an import is any `crate::a::b::…` path in its
//!   code (comments excluded), attributed to the deepest module file the path names. A module
//!   may use its own ancestors' items (a child module is part of its parent).

use std::collections::{BTreeMap, BTreeSet};
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

/// The source without comments (line comments and doc comments; `//` inside strings is rare
/// enough here and only removes text).
fn code(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Every `crate::x::y::…` path in `text`, as its segments (braces end a path).
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        if i > 0 {
            let prev = text.as_bytes()[i - 1];
            if prev.is_ascii_alphanumeric() || prev == b'_' {
                continue; // e.g. `my_crate::`
            }
        }
        let rest = &text[i + "crate::".len()..];
        let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        out.push(path.split("::").filter(|s| !s.is_empty()).map(str::to_string).collect());
    }
    out
}

struct Crate {
    /// module → the source of its file
    modules: BTreeMap<Vec<String>, String>,
}

impl Crate {
    fn load() -> Crate {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut modules = BTreeMap::new();
        for f in files {
            let rel = f.strip_prefix(&src).expect("below src");
            if rel == Path::new("main.rs") {
                continue; // the binary: `clairaut::`, not `crate::`
            }
            let module = if rel == Path::new("lib.rs") { Vec::new() } else { module_path(rel) };
            modules.insert(module, code(&std::fs::read_to_string(&f).unwrap()));
        }
        Crate { modules }
    }

    /// The deepest module named by a prefix of `path`, through the crate root's re-exports
    /// (`pub use scalar::order;` makes `crate::order::…` a path into `scalar::order`).
    fn target(&self, path: &[String]) -> Vec<String> {
        let mut path = path.to_vec();
        if let Some(first) = path.first().cloned() {
            let reexport = "pub use ";
            for line in self.modules[&Vec::new()].lines().filter(|l| l.starts_with(reexport)) {
                let source: Vec<String> = line[reexport.len()..].trim_end_matches(';').split("::").map(str::to_string).collect();
                if source.last() == Some(&first) && source.len() > 1 {
                    path.splice(0..1, source);
                    break;
                }
            }
        }
        (0..=path.len()).rev().map(|k| path[..k].to_vec()).find(|m| self.modules.contains_key(m)).unwrap_or_default()
    }

    /// module → modules it imports (its own ancestors and itself excluded).
    fn imports(&self) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
        let mut g = BTreeMap::new();
        for (m, text) in &self.modules {
            let deps: BTreeSet<Vec<String>> =
                crate_paths(text).iter().map(|p| self.target(p)).filter(|t| !m.starts_with(t)).collect();
            g.insert(m.clone(), deps);
        }
        g
    }
}

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

/// Tarjan's strongly connected components; every component of more than one module is a cycle.
fn cycles(g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct State<'a> {
        g: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on: BTreeSet<&'a Vec<String>>,
        out: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Vec<String>) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on.insert(v);
        for w in s.g.get(v).into_iter().flatten() {
            let Some((w, _)) = s.g.get_key_value(w) else { continue };
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                s.out.push(comp);
            }
        }
    }
    let mut s = State { g, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), on: BTreeSet::new(), out: Vec::new() };
    for v in g.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn no_module_imports_one_that_imports_it() {
    let krate = Crate::load();
    let g = krate.imports();
    let found: Vec<String> = cycles(&g).iter().map(|c| c.iter().map(|m| name(m)).collect::<Vec<_>>().join(" ⇄ ")).collect();
    assert!(found.is_empty(), "import cycles between modules:\n{}", found.join("\n"));
}

/// The same at the level of the crate's top-level modules (`scalar`, `hessian`, `results`, …):
/// the layers of ARCHITECTURE.md.
#[test]
fn no_top_level_module_imports_one_that_imports_it() {
    let krate = Crate::load();
    let mut g: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (m, deps) in krate.imports() {
        let top = m.first().map(|t| vec![t.clone()]).unwrap_or_default();
        let entry = g.entry(top.clone()).or_default();
        entry.extend(deps.into_iter().filter_map(|d| d.first().map(|t| vec![t.clone()])).filter(|t| *t != top && !top.is_empty()));
    }
    let found: Vec<String> = cycles(&g).iter().map(|c| c.iter().map(|m| name(m)).collect::<Vec<_>>().join(" ⇄ ")).collect();
    assert!(found.is_empty(), "import cycles between top-level modules:\n{}", found.join("\n"));
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let m = |s: &str| vec![s.to_string()];
    let mut g = BTreeMap::new();
    g.insert(m("a"), BTreeSet::from([m("b")]));
    g.insert(m("b"), BTreeSet::from([m("c")]));
    g.insert(m("c"), BTreeSet::from([m("a")]));
    g.insert(m("d"), BTreeSet::from([m("a")]));
    assert_eq!(cycles(&g).len(), 1);
    g.insert(m("c"), BTreeSet::new());
    assert!(cycles(&g).is_empty());
}
