//! Hostile inputs of the confinement and message classes (issue 14, points 6 and 9): experiment
//! names that would place results elsewhere, data paths leaving the experiment's folder (absolute,
//! `..`, symbolic links; with and without `--allow-outside`), non-regular files (`/dev/zero`,
//! folders, FIFOs), binary garbage in TOML, JSON, CSV, `.npy` and CBOR files, syntax errors (whose
//! line and column are checked), and files whose content must not appear in a message.
//!
//! Each case runs the binary in a fresh temporary folder laid out as `exp/` (the experiment's
//! folder), `outside/` (files beside it, not inside it) and `cwd/` (the working directory), and
//! asserts: the documented exit status (README "Exit codes": 2 bad input, 3 `status` with missing
//! cells, 0 success); for a failure exactly one line on stderr, `error: …`, containing what the
//! case expects and none of what it must not echo; "panicked" never; and that no file appeared
//! (or vanished) anywhere but in the folder the case asked to write to.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::bin;

/// A file system object a case sets up, below the case's root folder.
enum Node {
    File(Vec<u8>),
    /// A symbolic link to this target ("{root}" replaced by the root folder).
    Link(&'static str),
    Fifo,
    Dir,
}

struct Case {
    label: &'static str,
    nodes: Vec<(String, Node)>,
    /// Arguments, "{root}" replaced by the root folder.
    args: Vec<String>,
    code: i32,
    has: Vec<&'static str>,
    lacks: Vec<&'static str>,
    /// The folder (relative to the root) where new files may appear, if any.
    writes: Option<&'static str>,
}

const PROBLEM: &str = r#"{"layers": [2, 1], "activations": ["tanh"], "loss": "mse", "x": [[0.5, -0.25], [1, 2]], "y": [[0.1], [0.2]], "params": [0.1, 0.2, 0.3]}"#;
const CSV: &str = "a,b,t\n1,2,3\n4,5,6\n";
/// A text that no message may show.
const SECRET: &str = "SECRET-7f3a";

fn experiment(name: &str, data: &str, extra: &str) -> String {
    format!("name = \"{name}\"\n[base]\nlayers = [2, 1]\nactivations = [\"tanh\"]\nn = 1\ndata = \"{data}\"\nmethods = [\"fwd-rev\"]\nprecisions = [\"f64\"]\nspectrum = false\n{extra}\n")
}

fn npy(data: &[f64], shape: &[u64]) -> Vec<u8> {
    use npyz::WriterBuilder;
    let mut out = Vec::new();
    let mut w = npyz::WriteOptions::<f64>::new().default_dtype().shape(shape).writer(&mut out).begin_nd().unwrap();
    w.extend(data.iter().copied()).unwrap();
    w.finish().unwrap();
    out
}

fn file(path: &str, text: impl Into<Vec<u8>>) -> (String, Node) {
    (path.to_string(), Node::File(text.into()))
}

fn exp(data: &str) -> (String, Node) {
    file("exp/e.toml", experiment("h", data, ""))
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// A case that must fail with status 2 and one line containing `has`.
fn bad(label: &'static str, nodes: Vec<(String, Node)>, a: &[&str], has: Vec<&'static str>) -> Case {
    // a sweep creates its output folder before its cells run (and fail): nothing else
    let writes = a.windows(2).find(|w| w[0] == "--out").map(|_| "exp/out");
    Case { label, nodes, args: args(a), code: 2, has, lacks: vec![], writes }
}

/// Every path below `dir` (links not followed).
fn tree(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if std::fs::symlink_metadata(&p).unwrap().is_dir() {
                stack.push(p.clone());
            }
            out.insert(p);
        }
    }
    out
}

fn set_up(root: &Path, nodes: &[(String, Node)]) {
    let r = root.to_str().unwrap();
    for d in ["exp", "outside", "cwd"] {
        std::fs::create_dir(root.join(d)).unwrap();
    }
    // beside the experiment's folder, for the cases that reach outside it
    std::fs::write(root.join("outside/d.csv"), CSV).unwrap();
    std::fs::write(root.join("outside/p.json"), PROBLEM).unwrap();
    std::fs::write(root.join("outside/x.npy"), npy(&[0.1, 0.2, 0.3, 0.4], &[2, 2])).unwrap();
    std::fs::write(root.join("outside/y.npy"), npy(&[0.5, 0.6], &[2])).unwrap();
    std::fs::write(root.join("outside/secret.csv"), format!("{SECRET},{SECRET}\n{SECRET},1\n")).unwrap();
    for (path, node) in nodes {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        match node {
            Node::File(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => std::fs::write(&p, text.replace("{root}", r)).unwrap(),
                Err(_) => std::fs::write(&p, bytes).unwrap(),
            },
            Node::Link(target) => std::os::unix::fs::symlink(target.replace("{root}", r), &p).unwrap(),
            Node::Fifo => assert!(Command::new("mkfifo").arg(&p).status().unwrap().success()),
            Node::Dir => std::fs::create_dir_all(&p).unwrap(),
        }
    }
}

fn check(case: &Case) {
    let root = tempfile::tempdir().unwrap();
    let root = root.path().canonicalize().unwrap();
    set_up(&root, &case.nodes);
    let before = tree(&root);
    let r = root.to_str().unwrap();
    let args: Vec<String> = case.args.iter().map(|a| a.replace("{root}", r)).collect();
    let out = assert_cmd::Command::new(bin()).args(&args).current_dir(root.join("cwd")).timeout(Duration::from_secs(60)).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let label = case.label;
    assert_eq!(out.status.code(), Some(case.code), "{label}: {args:?}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{label}: {stderr}");
    // a sweep announces its grid before computing; every other line is the error
    let lines: Vec<&str> = stderr.lines().filter(|l| !(l.starts_with("sweep h: ") && l.ends_with(" cells"))).collect();
    if case.code == 2 {
        assert!(lines.len() == 1 && lines[0].starts_with("error: "), "{label}: not one error line: {stderr}");
    } else {
        assert!(!stderr.contains("error"), "{label}: {stderr}");
    }
    for h in &case.has {
        assert!(stderr.contains(&h.replace("{root}", r)), "{label}: `{h}` not in {stderr}");
    }
    for l in case.lacks.iter().chain([&SECRET]) {
        assert!(!stderr.contains(l), "{label}: `{l}` echoed in {stderr}");
    }
    // nothing appeared or vanished outside the folder the case writes to
    let after = tree(&root);
    assert!(before.difference(&after).next().is_none(), "{label}: files vanished");
    let allowed = case.writes.map(|w| root.join(w));
    for p in after.difference(&before) {
        assert!(allowed.as_ref().is_some_and(|a| p.starts_with(a)), "{label}: {} appeared", p.display());
    }
    if case.writes.is_none_or(|w| !w.starts_with("cwd")) {
        assert_eq!(std::fs::read_dir(root.join("cwd")).unwrap().count(), 0, "{label}: the working directory was written to");
    }
}

/// Experiment names that would send results outside `results/` (or hide them).
fn names() -> Vec<Case> {
    let named = |label, name: &str, has| {
        let text = format!("name = \"{name}\"\n[base]\nn = 1\n");
        bad(label, vec![file("exp/e.toml", text)], &["sweep", "{root}/exp/e.toml"], vec!["field `name`", has])
    };
    let mut v = vec![
        named("name ../", "../evil", "\"../evil\" contains a path separator"),
        named("name absolute", "/tmp/evil", "\"/tmp/evil\" contains a path separator"),
        named("name a/b", "a/b", "contains a path separator"),
        named("name backslash", "a\\\\b", "\"a\\\\b\" contains a path separator"),
        named("name ..", "..", "contains `..`"),
        named("name x..y", "x..y", "contains `..`"),
        named("name .", ".", "starts with `.`"),
        named("name .hidden", ".hidden", "starts with `.`"),
        named("name empty", "", "is empty"),
        named("name newline", "bad\\nname", "\"bad\\nname\" contains a control character"),
        named("name tab", "t\\tab", "contains a control character"),
        named("name escape", "e\\u001b[31m", "contains a control character"),
    ];
    v.push(bad("name from a hidden file name", vec![file("exp/.hidden.toml", "[base]\nn = 1\n")], &["sweep", "{root}/exp/.hidden.toml"], vec!["field `name`", "(taken from the file name) starts with `.`"]));
    let evil = file("exp/e.toml", experiment("../../evil", "generated", ""));
    v.push(bad("bad name with --out", vec![evil], &["sweep", "{root}/exp/e.toml", "--out", "{root}/exp/out"], vec!["field `name`"]));
    v.push(bad("bad name in status", vec![file("exp/e.toml", experiment("../x", "generated", ""))], &["status", "{root}/exp/e.toml"], vec!["field `name`"]));
    v.push(Case {
        label: "a good name writes results/<name> in the working directory only",
        nodes: vec![file("exp/e.toml", experiment("h", "generated", ""))],
        args: args(&["sweep", "{root}/exp/e.toml"]),
        code: 0,
        has: vec![],
        lacks: vec![],
        writes: Some("cwd/results"),
    });
    v
}

/// Data paths leaving the experiment's folder, refused unless `--allow-outside`.
fn data_paths() -> Vec<Case> {
    let status = ["status", "{root}/exp/e.toml"];
    let allowed = ["status", "{root}/exp/e.toml", "--allow-outside"];
    let missing = |label, nodes| Case { label, nodes, args: args(&allowed), code: 3, has: vec![], lacks: vec![], writes: None };
    let outside = |label, data: &'static str, has| bad(label, vec![exp(data)], &status, vec!["e.toml:6:8: field `data`", has, "pass --allow-outside"]);
    vec![
        outside("csv absolute", "csv:{root}/outside/d.csv", "is an absolute path"),
        missing("csv absolute, allowed", vec![exp("csv:{root}/outside/d.csv")]),
        outside("csv ..", "csv:../outside/d.csv", "leads through `..`"),
        missing("csv .., allowed", vec![exp("csv:../outside/d.csv")]),
        outside("csv deep ..", "csv:a/../../outside/d.csv", "leads through `..`"),
        outside("csv /etc/passwd", "csv:/etc/passwd", "is an absolute path"),
        bad("csv link to a file outside", vec![exp("csv:d.csv"), ("exp/d.csv".into(), Node::Link("{root}/outside/d.csv"))], &status, vec!["resolves (through a symbolic link) to {root}/outside/d.csv"]),
        missing("csv link outside, allowed", vec![exp("csv:d.csv"), ("exp/d.csv".into(), Node::Link("{root}/outside/d.csv"))]),
        bad("csv in a linked folder outside", vec![exp("csv:o/d.csv"), ("exp/o".into(), Node::Link("{root}/outside"))], &status, vec!["symbolic link"]),
        Case { label: "csv .. that stays inside", nodes: vec![exp("csv:sub/../d.csv"), file("exp/d.csv", CSV), ("exp/sub".into(), Node::Dir)], args: args(&status), code: 3, has: vec![], lacks: vec![], writes: None },
        Case { label: "csv link that stays inside", nodes: vec![exp("csv:l.csv"), file("exp/d.csv", CSV), ("exp/l.csv".into(), Node::Link("d.csv"))], args: args(&status), code: 3, has: vec![], lacks: vec![], writes: None },
        outside("npy absolute", "npy:{root}/outside/x.npy,{root}/outside/y.npy", "is an absolute path"),
        bad("npy second file ..", vec![exp("npy:x.npy,../outside/y.npy"), file("exp/x.npy", npy(&[0.1, 0.2, 0.3, 0.4], &[2, 2]))], &status, vec!["leads through `..`"]),
        missing("npy outside, allowed", vec![exp("npy:../outside/x.npy,{root}/outside/y.npy")]),
        outside("problem absolute", "problem:{root}/outside/p.json", "is an absolute path"),
        outside("problem ..", "problem:../outside/p.json", "leads through `..`"),
        missing("problem .., allowed", vec![exp("problem:../outside/p.json")]),
        bad("problem link outside", vec![exp("problem:p.json"), ("exp/p.json".into(), Node::Link("../outside/p.json"))], &status, vec!["symbolic link"]),
        bad("--set data outside", vec![exp("generated")], &["status", "{root}/exp/e.toml", "--set", "data=\"csv:/etc/passwd\""], vec!["field `data`", "is an absolute path"]),
        bad("a swept data value outside", vec![file("exp/e.toml", experiment("h", "generated", "[sweep]\ndata = [\"generated\", \"csv:../outside/d.csv\"]"))], &status, vec!["field `data`", "leads through `..`"]),
        bad("an experiment in a subfolder reaching its parent", vec![file("exp/sub/e.toml", experiment("h", "csv:../d.csv", "")), file("exp/d.csv", CSV)], &["status", "{root}/exp/sub/e.toml"], vec!["leads through `..`"]),
        outside("secret outside, refused unread", "csv:../outside/secret.csv", "leads through `..`"),
        Case {
            label: "sweep with --allow-outside writes only under --out",
            nodes: vec![exp("problem:../outside/p.json")],
            args: args(&["sweep", "{root}/exp/e.toml", "--out", "{root}/exp/out", "--allow-outside"]),
            code: 0,
            has: vec![],
            lacks: vec![],
            writes: Some("exp/out"),
        },
        Case { writes: None, ..bad("sweep refuses before writing anything", vec![exp("problem:{root}/outside/p.json")], &["sweep", "{root}/exp/e.toml", "--out", "{root}/exp/out"], vec!["is an absolute path"]) },
    ]
}

/// Objects that are not regular files, refused before they are read.
fn non_regular() -> Vec<Case> {
    let fifo = |p: &str| (p.to_string(), Node::Fifo);
    vec![
        bad("status /dev/zero", vec![], &["status", "/dev/zero"], vec!["/dev/zero: is a character device, not a regular file"]),
        bad("status a folder", vec![], &["status", "{root}/exp"], vec!["is a folder, not a regular file"]),
        bad("status a FIFO", vec![fifo("exp/f.toml")], &["status", "{root}/exp/f.toml"], vec!["is a FIFO, not a regular file"]),
        bad("analyze /dev/zero", vec![], &["analyze", "--problem", "/dev/zero"], vec!["character device"]),
        bad("analyze a folder", vec![], &["analyze", "--problem", "{root}/exp"], vec!["is a folder"]),
        bad("analyze a FIFO", vec![fifo("exp/p.json")], &["analyze", "--problem", "{root}/exp/p.json"], vec!["is a FIFO"]),
        bad("hessian /dev/zero", vec![], &["hessian", "--problem", "/dev/zero"], vec!["character device"]),
        bad("csv: a FIFO", vec![exp("csv:d.csv"), fifo("exp/d.csv")], &["status", "{root}/exp/e.toml"], vec!["exp/d.csv: the data file is a FIFO"]),
        bad("csv: a folder", vec![exp("csv:sub"), ("exp/sub".into(), Node::Dir)], &["status", "{root}/exp/e.toml"], vec!["is a folder"]),
        bad("npy: a FIFO", vec![exp("npy:x.npy,y.npy"), fifo("exp/x.npy"), fifo("exp/y.npy")], &["status", "{root}/exp/e.toml"], vec!["x.npy: the data file is a FIFO"]),
        bad("problem: /dev/zero, allowed outside", vec![exp("problem:/dev/zero")], &["status", "{root}/exp/e.toml", "--allow-outside"], vec!["/dev/zero: is a character device"]),
        bad("problem: link to /dev/zero", vec![exp("problem:z.json"), ("exp/z.json".into(), Node::Link("/dev/zero"))], &["status", "{root}/exp/e.toml", "--allow-outside"], vec!["character device"]),
        Case { writes: None, ..bad("problem: a FIFO", vec![exp("problem:p.json"), fifo("exp/p.json")], &["sweep", "{root}/exp/e.toml", "--out", "{root}/exp/out"], vec!["is a FIFO"]) },
        bad("rerun /dev/zero", vec![], &["rerun", "/dev/zero"], vec!["character device"]),
        bad("rerun a FIFO result", vec![fifo("exp/r.cbor")], &["rerun", "{root}/exp/r.cbor"], vec!["is a FIFO"]),
    ]
}

/// Garbage, syntax errors (line and column checked) and contents that must not be echoed.
fn garbage() -> Vec<Case> {
    let status = ["status", "{root}/exp/e.toml"];
    let analyze = ["analyze", "--problem", "{root}/exp/p.json"];
    let secret_json = |s: &str| file("exp/p.json", PROBLEM.replace(r#""tanh""#, s));
    let mut v = vec![
        bad("TOML not UTF-8", vec![file("exp/e.toml", b"name = \"x\"\n[base]\nn = \xff\xfe\n".to_vec())], &status, vec!["e.toml:3:5: not UTF-8 text"]),
        bad("TOML binary garbage", vec![file("exp/e.toml", b"\x00\x01\x02\x03garbage".to_vec())], &status, vec!["e.toml:1:", "malformed TOML"]),
        bad("TOML table header", vec![file("exp/e.toml", "name = \"x\"\n[base\nn = 3\n")], &status, vec!["e.toml:2:6: malformed TOML: invalid table header"]),
        bad("TOML double =", vec![file("exp/e.toml", "name = \"x\"\n[base]\nn = = 3\n")], &status, vec!["e.toml:3:", "malformed TOML"]),
        bad("TOML unterminated string", vec![file("exp/e.toml", format!("name = \"x\"\n[base]\ndata = \"{SECRET}\n"))], &status, vec!["e.toml:3:", "malformed TOML"]),
        bad("TOML name not a string", vec![file("exp/e.toml", "\nname = 3\n")], &status, vec!["e.toml:2:8: invalid type: integer `3`, expected a string"]),
        bad("TOML unknown top-level key", vec![file("exp/e.toml", "name = \"x\"\nnme = 3\n")], &status, vec!["e.toml:2:1: unknown field `nme`"]),
        bad("TOML field -3 names n", vec![file("exp/e.toml", "[base]\nn = -3\n")], &status, vec!["field `n`: invalid value: integer `-3`"]),
        bad("TOML deeply nested", vec![file("exp/e.toml", format!("a = {}{}", "[".repeat(5000), "]".repeat(5000)))], &status, vec!["malformed TOML"]),
        bad("JSON not UTF-8", vec![file("exp/p.json", b"{\"layers\": [2, 1],\n \"x\": \xc3\x28}".to_vec())], &analyze, vec!["p.json:2:7: not UTF-8 text"]),
        bad("JSON binary garbage", vec![file("exp/p.json", b"\x01\x02\x03".to_vec())], &analyze, vec!["p.json:1:1: malformed JSON"]),
        bad("JSON syntax error", vec![file("exp/p.json", "{\n  \"layers\": [2, 1],\n  oops\n}")], &analyze, vec!["p.json:3:3: malformed JSON: key must be a string"]),
        bad("JSON truncated", vec![file("exp/p.json", &PROBLEM[..40])], &analyze, vec!["p.json:1:", "malformed JSON: EOF while parsing"]),
        bad("JSON deeply nested", vec![file("exp/p.json", format!("{}{}", "[".repeat(5000), "]".repeat(5000)))], &analyze, vec!["malformed JSON: recursion limit exceeded"]),
        bad("JSON secret in layers", vec![file("exp/p.json", PROBLEM.replace("[2, 1]", &format!("[2, \"{SECRET} x\"]")))], &analyze, vec!["field `layers[1]`", "a string of 13 characters is not a width"]),
        bad("JSON secret activation", vec![secret_json(&format!("\"{SECRET}/x\""))], &analyze, vec!["field `activations[0]`", "unknown activation"]),
        bad("JSON secret key", vec![file("exp/p.json", PROBLEM.replace("\"loss\"", &format!("\"{SECRET} k\": 1, \"loss\"")))], &analyze, vec!["unknown field"]),
        bad("JSON secret as a number", vec![file("exp/p.json", PROBLEM.replace("0.1, 0.2", &format!("\"{SECRET} v\", 0.2")))], &analyze, vec!["field `params[0]`", "a string of 13 characters is not a number"]),
        bad("JSON secret loss object", vec![file("exp/p.json", PROBLEM.replace("\"mse\"", &format!("{{\"k\": \"{SECRET}\"}}")))], &analyze, vec!["field `loss`", "expected a string, got an object"]),
        bad("CSV binary garbage", vec![exp("csv:d.csv"), file("exp/d.csv", b"1,2,3\n\xff\xfe,\x00\n".to_vec())], &["sweep", "{root}/exp/e.toml", "--out", "{root}/exp/out"], vec!["d.csv: field `line 2`"]),
        bad("CSV secret text", vec![exp("csv:d.csv"), file("exp/d.csv", format!("1,2,3\n4,{SECRET},6\n"))], &["sweep", "{root}/exp/e.toml", "--out", "{root}/exp/out"], vec!["line 2, column 2", "not a finite decimal number (a text of 11 characters, not shown)"]),
        bad("CSV secret, allowed outside", vec![exp("csv:../outside/secret.csv")], &["sweep", "{root}/exp/e.toml", "--out", "{root}/exp/out", "--allow-outside"], vec!["secret.csv: field `line 2, column 1`", "not shown"]),
        bad("npy garbage", vec![exp("npy:x.npy,y.npy"), file("exp/x.npy", b"\x93NUMPY\x01\x00garbage".to_vec()), file("exp/y.npy", npy(&[1.0, 2.0], &[2]))], &["sweep", "{root}/exp/e.toml", "--out", "{root}/exp/out"], vec!["x.npy: field `header`"]),
        bad("npy header with a secret", vec![exp("npy:x.npy,y.npy"), file("exp/x.npy", npy_header(&format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({SECRET},), }}"))), file("exp/y.npy", npy(&[1.0, 2.0], &[2]))], &["sweep", "{root}/exp/e.toml", "--out", "{root}/exp/out"], vec!["x.npy: field `header`"]),
        bad("params of the wrong count", vec![file("exp/e.toml", experiment("h", "generated", "weights = \"explicit\"\nparams = [1.0, 2.0]"))], &["sweep", "{root}/exp/e.toml", "--out", "{root}/exp/out"], vec!["field `params`: has 2 numbers but layers [2, 1] need P = 3"]),
        bad("params not finite", vec![file("exp/e.toml", experiment("h", "generated", "weights = \"explicit\"\nparams = [1.0, 2.0, inf]"))], &["sweep", "{root}/exp/e.toml", "--out", "{root}/exp/out"], vec!["field `params[2]`: inf is not a finite number"]),
        bad("inline y not finite", vec![file("exp/e.toml", experiment("h", "inline", "x = [[1.0, 2.0]]\ny = [[nan]]"))], &["sweep", "{root}/exp/e.toml", "--out", "{root}/exp/out"], vec!["field `y[0][0]`: NaN is not a finite number"]),
        bad("inline y of the wrong width", vec![file("exp/e.toml", experiment("h", "inline", "x = [[1.0, 2.0]]\ny = [[1.0, 2.0]]"))], &["sweep", "{root}/exp/e.toml", "--out", "{root}/exp/out"], vec!["field `y[0]`: has 2 numbers but layers [2, 1] need 1"]),
        bad("CBOR garbage", vec![file("exp/r.cbor", b"\xff\xff\xff garbage".to_vec())], &["rerun", "{root}/exp/r.cbor"], vec!["r.cbor: field `(file)`: corrupt: not a complete CBOR result file"]),
        bad("CBOR a number", vec![file("exp/r.cbor", vec![0x18, 0x2a])], &["rerun", "{root}/exp/r.cbor"], vec!["r.cbor: field `(file)`: corrupt: not a CBOR map"]),
        bad("experiment file name with a newline", vec![], &["status", "{root}/exp/a\nb.toml"], vec!["a\\nb.toml: cannot read"]),
    ];
    let result = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/results/tf2-example/79f537b8c0f9f5f5.cbor")).unwrap();
    v.push(bad("CBOR truncated", vec![file("exp/r.cbor", result[..result.len() / 2].to_vec())], &["rerun", "{root}/exp/r.cbor"], vec!["not a complete CBOR result file"]));
    v
}

/// An `.npy` file with this header dict and no data.
fn npy_header(dict: &str) -> Vec<u8> {
    let mut h = dict.to_string();
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((h.len() as u16).to_le_bytes());
    out.extend(h.as_bytes());
    out
}

#[test]
fn hostile_paths_names_files_and_messages() {
    let cases: Vec<Case> = [names(), data_paths(), non_regular(), garbage()].into_iter().flatten().collect();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    let labels: BTreeSet<&str> = cases.iter().map(|c| c.label).collect();
    assert_eq!(labels.len(), cases.len(), "duplicate labels");
    for c in &cases {
        check(c);
    }
}

/// Debug text of CBOR decoding (ciborium prints its `Debug` form as its message) never reaches
/// the user.
#[test]
fn cbor_errors_are_text_not_debug() {
    let dir = tempfile::tempdir().unwrap();
    let result = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/results/tf2-example/79f537b8c0f9f5f5.cbor")).unwrap();
    for (k, bytes) in [result[..result.len() / 2].to_vec(), b"\xa1\x66schema\x01".to_vec(), vec![0xa2, 0x66, b's', b'c', b'h', b'e', b'm', b'a', 0x01, 0x64, b'k', b'i', b'n', b'd', 0x05]].into_iter().enumerate() {
        let f = dir.path().join(format!("{k}.cbor"));
        std::fs::write(&f, bytes).unwrap();
        let e = clairaut::results::ResultFile::read(&f).unwrap_err().to_string();
        for debug in ["Semantic(", "Syntax(", "Io(", "Custom(", "RecursionLimitExceeded", "Error {"] {
            assert!(!e.contains(debug), "{e}");
        }
        assert!(!e.contains('\n'), "{e}");
    }
}

/// The committed experiments keep their data beside them: each loads confined, unchanged.
#[test]
fn committed_experiments_load_confined() {
    let mut stack = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/experiments"))];
    let mut n = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                clairaut::experiment::Experiment::load(&p, &[]).unwrap_or_else(|e| panic!("{e}"));
                n += 1;
            }
        }
    }
    assert!(n >= 10, "{n} experiments");
}
