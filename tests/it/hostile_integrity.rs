//! Issue #14 (integrity of result files, export/merge/rerun): hostile inputs to every reader of
//! result files. Each case runs the `clairaut` binary in a sandbox folder and asserts a
//! documented exit status (README "Exit codes"), the file and the reason named on one line of
//! stderr (or, for `status`, on its listing), no panic, and no file written or changed anywhere
//! in the sandbox but in the folder the command was asked to write.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ciborium::Value as Cbor;
use clairaut::results::{digest, ResultFile};

use crate::common::{clairaut, write};

/// Two cells, fast.
const TWO: &str = r#"
name = "two"
[base]
layers = [2, 2, 1]
activations = ["tanh", "identity"]
n = 2
methods = ["rev-rev"]
[sweep]
precisions = [["f32"], ["f64"]]
"#;

/// The two result files of [`TWO`], swept once: (name, bytes), sorted by name.
fn good() -> &'static [(String, Vec<u8>)] {
    static G: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    G.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let exp = write(dir.path(), "two.toml", TWO);
        let out = dir.path().join("out");
        clairaut().arg("sweep").arg(&exp).arg("--out").arg(&out).assert().success();
        let files = clairaut::results::files_in(&out).unwrap();
        files.iter().map(|f| (f.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(f).unwrap())).collect()
    })
}

/// A sandbox: `two.toml`, and `out/` holding the two good result files.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let s = Sandbox { dir: tempfile::tempdir().unwrap() };
        write(s.root(), "two.toml", TWO);
        s.fill("out", good());
        s
    }
    fn root(&self) -> &Path {
        self.dir.path()
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }
    /// Writes result files into the folder `rel` (created).
    fn fill(&self, rel: &str, files: &[(String, Vec<u8>)]) {
        std::fs::create_dir_all(self.path(rel)).unwrap();
        for (name, bytes) in files {
            std::fs::write(self.path(rel).join(name), bytes).unwrap();
        }
    }
    /// Every file under the sandbox with its bytes.
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(d: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    out.insert(p.join("(folder)"), Vec::new());
                    walk(&p, out);
                } else {
                    out.insert(p.clone(), std::fs::read(&p).unwrap_or_default());
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.root(), &mut out);
        out
    }
}

/// What a case expects.
struct Expect<'a> {
    /// The exit status.
    code: i32,
    /// Folders (relative to the sandbox) the command may write in; nothing else may change.
    writes: &'a [&'a str],
    /// Strings the one error line (exit 2) or the output (other statuses) must contain.
    says: &'a [&'a str],
}

/// Runs `clairaut ARGS` in the sandbox (paths relative to it) and checks [`Expect`]. Returns
/// stdout and stderr.
fn case(s: &Sandbox, args: &[&str], e: Expect) -> (String, String) {
    let before = s.snapshot();
    let out = clairaut().current_dir(s.root()).args(args).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
    let what = format!("{args:?}:\nstdout: {stdout}\nstderr: {stderr}");
    assert_eq!(out.status.code(), Some(e.code), "{what}");
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{what}");
    let text = if e.code == 2 {
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
        assert_eq!(errors.len(), 1, "{what}");
        if args[0] != "sweep" {
            // the time estimate printed before the work (issue 16) is not an error line
            let lines = stderr.lines().filter(|l| !(l.starts_with(&format!("{}: ", args[0])) && l.contains(" estimated "))).count();
            assert_eq!(lines, 1, "one line on stderr: {what}");
        }
        errors[0].to_string()
    } else {
        format!("{stdout}{stderr}")
    };
    for x in e.says {
        assert!(text.contains(x), "`{x}` not in {what}");
    }
    let after = s.snapshot();
    let allowed = |p: &Path| e.writes.iter().any(|w| p.starts_with(s.path(w)));
    for (p, bytes) in &after {
        if before.get(p) != Some(bytes) {
            assert!(allowed(p), "{} written: {what}", p.display());
        }
    }
    for p in before.keys() {
        assert!(after.contains_key(p) || allowed(p), "{} removed: {what}", p.display());
    }
    (stdout, stderr)
}

/// A result file as a CBOR map.
fn value(bytes: &[u8]) -> Cbor {
    ciborium::from_reader(bytes).unwrap()
}

fn encode(v: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).unwrap();
    out
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.into())
}

/// The map's entries edited by `f`, without a new digest.
fn edit(bytes: &[u8], f: impl FnOnce(&mut Vec<(Cbor, Cbor)>)) -> Vec<u8> {
    let mut v = value(bytes);
    f(v.as_map_mut().unwrap());
    encode(&v)
}

/// The map's entries edited by `f`, sealed with a correct digest (a forger, or a buggy writer).
fn reseal(bytes: &[u8], f: impl FnOnce(&mut Vec<(Cbor, Cbor)>)) -> Vec<u8> {
    let mut v = value(bytes);
    f(v.as_map_mut().unwrap());
    digest::seal(v)
}

fn set(m: &mut [(Cbor, Cbor)], key: &str, to: Cbor) {
    m.iter_mut().find(|(k, _)| k.as_text() == Some(key)).unwrap().1 = to;
}

/// Flips bit `bit` of the byte just after the first occurrence of `pattern`.
fn flip_after(bytes: &[u8], pattern: &[u8], bit: u8) -> Vec<u8> {
    let at = bytes.windows(pattern.len()).position(|w| w == pattern).unwrap() + pattern.len();
    let mut b = bytes.to_vec();
    b[at] ^= 1 << bit;
    b
}

/// Flips the lowest bit of the last byte of the number stored under `key` (a float).
fn flip_number(bytes: &[u8], key: &str) -> Vec<u8> {
    let pattern = [&[0x60 + key.len() as u8][..], key.as_bytes()].concat();
    let at = bytes.windows(pattern.len()).position(|w| w == pattern).unwrap() + pattern.len();
    let width = match bytes[at] {
        0xf9 => 2,
        0xfa => 4,
        0xfb => 8,
        h => panic!("`{key}` holds no float (header {h:#x})"),
    };
    let mut b = bytes.to_vec();
    b[at + width] ^= 1;
    b
}

/// One way a result file can be damaged: (what, the bytes, the label and field the readers
/// name, a part of the reason).
type Corruption = (&'static str, Vec<u8>, &'static str, &'static str, &'static str);

/// The ways a result file can be damaged.
fn corruptions() -> Vec<Corruption> {
    let g = &good()[0].1;
    let other_cell = &good()[1].1;
    let other_digest = value(other_cell).as_map().unwrap().iter().find(|(k, _)| k.as_text() == Some("digest")).unwrap().1.clone();
    let schema_at = g.windows(7).position(|w| w == b"schema\x02").unwrap() + 6;
    let c = "corrupt";
    vec![
        ("truncated to half", g[..g.len() / 2].to_vec(), c, "(file)", "not a complete CBOR result file: truncated"),
        ("last byte cut", g[..g.len() - 1].to_vec(), c, "(file)", "truncated"),
        ("empty", Vec::new(), c, "(file)", "empty file"),
        ("one trailing byte", [&g[..], &[0]].concat(), c, "(file)", "1 bytes of trailing garbage"),
        ("the file twice", [&g[..], &g[..]].concat(), c, "(file)", "trailing garbage"),
        ("a bit of the digest", flip_after(g, b"sha256:", 1), c, "digest", "does not match the file's content"),
        ("a bit of a stored metric", flip_number(g, "asym_pairs_fraction"), c, "digest", "does not match"),
        ("a letter of the experiment", flip_after(g, b"experimentctw", 0), c, "digest", "does not match"),
        ("a letter of the kind", flip_after(g, b"clairaut-", 2), c, "digest", "does not match"),
        ("a bit of the provenance", flip_after(g, b"rustc ", 3), c, "digest", "does not match"),
        ("a bit of a layer width", flip_after(g, b"layers\x83", 2), c, "digest", "does not match"),
        ("digest removed", edit(g, |m| m.retain(|(k, _)| k.as_text() != Some("digest"))), c, "digest", "missing"),
        ("digest of other content", edit(g, |m| set(m, "digest", other_digest)), c, "digest", "does not match"),
        ("digest not a text", edit(g, |m| set(m, "digest", Cbor::Integer(7.into()))), c, "digest", "not a text"),
        ("digest twice", edit(g, |m| { let d = m.last().unwrap().clone(); m.push(d) }), c, "digest", "more than once"),
        ("indefinite-length map", [&[0xbf][..], &g[1..], &[0xff]].concat(), c, "(file)", "not encoded as Clairaut writes it"),
        ("schema as a two-byte integer", [&g[..schema_at], &[0x18, 0x02], &g[schema_at + 1..]].concat(), c, "(file)", "not encoded as Clairaut writes it"),
        ("schema 1 without digest", edit(g, |m| { set(m, "schema", Cbor::Integer(1.into())); m.pop(); }), "old schema", "schema", "version 1 is older than this Clairaut's 2"),
        ("schema 0", reseal(g, |m| set(m, "schema", Cbor::Integer(0.into()))), c, "schema", "unsupported version 0"),
        ("schema as text", reseal(g, |m| set(m, "schema", text("2"))), c, "schema", "not a version number"),
        ("schema missing", reseal(g, |m| m.retain(|(k, _)| k.as_text() != Some("schema"))), c, "schema", "missing: not a Clairaut result file"),
        ("an array", encode(&Cbor::Array(vec![text("schema"), Cbor::Integer(2.into())])), c, "(file)", "not a CBOR map"),
        ("null", vec![0xf6], c, "(file)", "not a CBOR map"),
        ("a CBOR break byte", vec![0xff; 40], c, "(file)", "not a complete CBOR result file"),
        ("JSON text", b"{\"schema\": 2, \"kind\": \"clairaut-cell\"}".to_vec(), c, "(file)", "not a complete CBOR"),
        ("nested 100000 deep", [vec![0x81; 100_000], vec![0]].concat(), c, "(file)", "nested too deeply"),
        ("kind changed and resealed", reseal(g, |m| set(m, "kind", text("clairaut-other"))), c, "kind", "expected clairaut-cell"),
        ("config_hash changed and resealed", reseal(g, |m| set(m, "config_hash", text(&"0".repeat(64)))), c, "config_hash", "does not match the stored configuration"),
        ("analysis removed and resealed", reseal(g, |m| m.retain(|(k, _)| k.as_text() != Some("analysis"))), c, "analysis", "malformed"),
        ("analysis not a map, resealed", reseal(g, |m| set(m, "analysis", Cbor::Integer(3.into()))), c, "analysis", "malformed"),
        ("another cell's file under this name", other_cell.clone(), "foreign", "config", "the file name is not its configuration's id"),
    ]
}

/// Each corruption of the first cell's file, read by `status`, `export` (with and without
/// `--allow-foreign`), `rerun`, `merge` and `sweep`: 31 corruptions × 6 commands = 186 cases.
#[test]
fn every_corruption_is_reported_by_every_reader() {
    let name = &good()[0].0;
    let mut cases = 0;
    for (what, bytes, label, field, reason) in corruptions() {
        let s = Sandbox::new();
        std::fs::write(s.path("out").join(name), &bytes).unwrap();
        let file = format!("out/{name}");
        let listed = format!("{label}: {file}: field `{field}`: ");
        let error = format!("{file}: field `{field}`: ");
        let (stdout, _) = case(&s, &["status", "two.toml", "--out", "out"], Expect { code: 3, writes: &[], says: &["1 of 2 cells complete", &listed, reason] });
        assert!(stdout.lines().count() == 2, "{what}: {stdout}");
        case(&s, &["export", "out", "--format", "csv"], Expect { code: 2, writes: &[], says: &[&error, reason] });
        let allowed = if label == "foreign" { 0 } else { 2 };
        case(&s, &["export", "out", "--format", "md", "--allow-foreign"], Expect { code: allowed, writes: &[], says: &[] });
        case(&s, &["rerun", "out"], Expect { code: 2, writes: &[], says: &[&error, reason] });
        case(&s, &["merge", "--out", "merged", "out"], Expect { code: 2, writes: &[], says: &[&error, reason] });
        assert!(!s.path("merged").exists(), "{what}: a refused merge created its folder");
        let tag = if label == "old schema" { "schema1" } else { "corrupt" };
        let moved = format!("{label}: {file}: ");
        let to = format!("; moved to {file}.{tag}-1 and recomputed");
        case(&s, &["sweep", "two.toml", "--out", "out"], Expect { code: 0, writes: &["out"], says: &[&moved, reason, &to] });
        assert_eq!(std::fs::read(s.path(&format!("{file}.{tag}-1"))).unwrap(), bytes, "{what}: moved aside as it was");
        case(&s, &["status", "two.toml", "--out", "out"], Expect { code: 0, writes: &[], says: &["2 of 2 cells complete"] });
        cases += 6;
    }
    assert!(cases >= 180, "{cases}");
}

/// A result file of a newer schema: never overwritten, refused by every reader.
#[test]
fn a_newer_schema_is_refused_and_never_overwritten() {
    let (name, g) = &good()[0];
    let s = Sandbox::new();
    let newer = reseal(g, |m| set(m, "schema", Cbor::Integer(3.into())));
    std::fs::write(s.path("out").join(name), &newer).unwrap();
    let file = format!("out/{name}");
    case(&s, &["status", "two.toml", "--out", "out"], Expect { code: 3, writes: &[], says: &[&format!("newer schema: {file}: schema 3")] });
    for args in [&["export", "out"][..], &["rerun", "out"], &["merge", "--out", "m", "out"]] {
        case(&s, args, Expect { code: 2, writes: &[], says: &[&file, "`schema`: version 3 is newer"] });
    }
    case(&s, &["sweep", "two.toml", "--out", "out"], Expect { code: 2, writes: &["out"], says: &["left untouched"] });
    assert_eq!(&std::fs::read(s.path(&file)).unwrap(), &newer);
}

/// Foreign files in a folder: refused by `export` (unless `--allow-foreign`), `merge`, `status`.
#[test]
fn foreign_files_are_refused_unless_allowed() {
    let (n0, g0) = &good()[0];
    let (n1, g1) = &good()[1];
    // the second file is another experiment's (same configuration, so same name)
    let s = Sandbox::new();
    std::fs::write(s.path("out").join(n1), reseal(g1, |m| set(m, "experiment", text("other")))).unwrap();
    let says = [n1.as_str(), "`experiment`: foreign: `other` is not `two`", "--allow-foreign"];
    case(&s, &["export", "out", "--format", "json"], Expect { code: 2, writes: &[], says: &says });
    let (csv, _) = case(&s, &["export", "out", "--allow-foreign"], Expect { code: 0, writes: &[], says: &[",two,", ",other,"] });
    assert_eq!(csv.lines().count(), 3);
    case(&s, &["merge", "--out", "m", "out"], Expect { code: 2, writes: &[], says: &[n1, "another experiment"] });
    case(&s, &["status", "two.toml", "--out", "out"], Expect { code: 3, writes: &[], says: &[&format!("foreign: out/{n1}: field `experiment`")] });
    // rerun recomputes it as a result of its own experiment: the edited name shows (exit 1)
    case(&s, &["rerun", &format!("out/{n1}")], Expect { code: 1, writes: &[], says: &["DIFFERS", "stored \"two#", "rerun \"other#"] });
    case(&s, &["sweep", "two.toml", "--out", "out"], Expect { code: 0, writes: &["out"], says: &[&format!("moved to out/{n1}.corrupt-1")] });
    case(&s, &["export", "out"], Expect { code: 0, writes: &[], says: &[] });
    // a copy under a name that is not its id: no duplicate rows unless asked for
    let s = Sandbox::new();
    std::fs::write(s.path("out/0123456789abcdef.cbor"), g0).unwrap();
    let says = ["0123456789abcdef.cbor", "`config`: foreign: the file name is not its configuration's id", n0.trim_end_matches(".cbor")];
    case(&s, &["export", "out"], Expect { code: 2, writes: &[], says: &says });
    case(&s, &["export", "out", "--format", "tex"], Expect { code: 2, writes: &[], says: &says });
    case(&s, &["export", "out", "--format", "svg", "--out", "figs"], Expect { code: 2, writes: &[], says: &says });
    assert!(!s.path("figs").exists());
    let (csv, _) = case(&s, &["export", "out", "--allow-foreign"], Expect { code: 0, writes: &[], says: &[] });
    assert_eq!(csv.lines().count(), 4, "{csv}");
    case(&s, &["rerun", "out"], Expect { code: 2, writes: &[], says: &["0123456789abcdef.cbor", "not its configuration's id"] });
    case(&s, &["merge", "--out", "m", "out"], Expect { code: 2, writes: &[], says: &["0123456789abcdef.cbor"] });
    // the same copy in a folder of its own
    let s = Sandbox::new();
    s.fill("lone", &[("notes.cbor".into(), g0.clone())]);
    case(&s, &["export", "lone"], Expect { code: 2, writes: &[], says: &["notes.cbor", "not its configuration's id"] });
    case(&s, &["export", "lone", "--format", "json", "--allow-foreign"], Expect { code: 0, writes: &[], says: &["\"experiment\": \"two\""] });
}

/// Names with a quote, a comma and a line break are quoted in the CSV and read back as they were.
#[test]
fn csv_fields_with_quotes_commas_and_newlines_read_back() {
    let s = Sandbox::new();
    let weird = "my \"exp\", v2\nsecond line";
    let files: Vec<(String, Vec<u8>)> = good().iter().map(|(n, g)| (n.clone(), reseal(g, |m| set(m, "experiment", text(weird))))).collect();
    s.fill("out", &files);
    let (csv, _) = case(&s, &["export", "out", "--format", "csv"], Expect { code: 0, writes: &[], says: &["\"my \"\"exp\"\", v2\nsecond line\""] });
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let width = r.headers().unwrap().len();
    let col = r.headers().unwrap().iter().position(|h| h == "experiment").unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|row| &row[col] == weird && row.len() == width));
}

/// `merge`: everything is checked before anything is written; conflicts and foreign shards leave
/// the output folder as it was (or not created).
#[test]
fn merge_checks_everything_before_writing() {
    let (n0, g0) = &good()[0];
    let (n1, g1) = &good()[1];
    let changed = reseal(g0, |m| {
        let a = m.iter_mut().find(|(k, _)| k.as_text() == Some("analysis")).unwrap();
        set(a.1.as_map_mut().unwrap(), "p", Cbor::Integer(999.into()));
    });
    let s = Sandbox::new();
    s.fill("a", &[(n0.clone(), g0.clone()), (n1.clone(), g1.clone())]);
    s.fill("b", &[(n0.clone(), changed.clone())]);
    case(&s, &["merge", "--out", "m", "a", "b"], Expect { code: 2, writes: &[], says: &[&format!("b/{n0}"), &format!("differs from a/{n0}"), "nothing merged"] });
    assert!(!s.path("m").exists());
    // a conflict with a file already in the output folder: nothing written there
    s.fill("m", &[(n0.clone(), changed)]);
    case(&s, &["merge", "--out", "m", "a"], Expect { code: 2, writes: &[], says: &[&format!("m/{n0}"), "differs"] });
    // shards of two experiments
    let s = Sandbox::new();
    s.fill("a", &[(n0.clone(), g0.clone())]);
    s.fill("b", &[(n1.clone(), reseal(g1, |m| set(m, "experiment", text("other"))))]);
    case(&s, &["merge", "--out", "m", "a", "b"], Expect { code: 2, writes: &[], says: &[&format!("b/{n1}"), "`other` is not `two`"] });
    assert!(!s.path("m").exists());
    // nothing to merge
    std::fs::create_dir(s.path("e1")).unwrap();
    std::fs::create_dir(s.path("e2")).unwrap();
    case(&s, &["merge", "--out", "m", "e1", "e2"], Expect { code: 2, writes: &[], says: &["nothing to merge", "e1, e2"] });
    case(&s, &["merge", "--out", "m", "absent"], Expect { code: 2, writes: &[], says: &["absent"] });
    assert!(!s.path("m").exists());
    // a good merge: the files as they were, and again (already there): nothing new
    let (out, _) = case(&s, &["merge", "--out", "m", "a", "out"], Expect { code: 0, writes: &["m"], says: &["merged 2 cells"] });
    assert!(out.contains("into m"));
    case(&s, &["merge", "--out", "m", "out"], Expect { code: 0, writes: &[], says: &["merged 0 cells"] });
    for (n, g) in good() {
        assert_eq!(&std::fs::read(s.path("m").join(n)).unwrap(), g);
    }
}

/// `rerun` of nothing fails; several invalid files are each listed and the first is named.
#[test]
fn rerun_of_nothing_or_of_invalid_files_fails() {
    let s = Sandbox::new();
    std::fs::create_dir(s.path("empty")).unwrap();
    std::fs::write(s.path("empty/notes.txt"), "not a result").unwrap();
    case(&s, &["rerun", "empty"], Expect { code: 2, writes: &[], says: &["no result files (*.cbor) to rerun in empty"] });
    std::fs::create_dir(s.path("empty2")).unwrap();
    case(&s, &["rerun", "empty", "empty2"], Expect { code: 2, writes: &[], says: &["empty, empty2"] });
    case(&s, &["rerun", "absent.cbor"], Expect { code: 2, writes: &[], says: &["absent.cbor", "No such file"] });
    case(&s, &["export", "empty"], Expect { code: 2, writes: &[], says: &["empty", "no result files"] });
    for (n, g) in good() {
        std::fs::write(s.path("out").join(n), &g[..g.len() - 2]).unwrap();
    }
    let (stdout, _) = case(&s, &["rerun", "out"], Expect { code: 2, writes: &[], says: &[&format!("out/{}", good()[0].0), "truncated", "and 1 more invalid files"] });
    assert_eq!(stdout.matches(": CORRUPT (not a complete CBOR result file: truncated").count(), 2, "{stdout}");
    // a folder named like a result file
    let s = Sandbox::new();
    std::fs::create_dir(s.path("out/0000000000000000.cbor")).unwrap();
    case(&s, &["export", "out"], Expect { code: 2, writes: &[], says: &["out/0000000000000000.cbor"] });
}

/// `sweep` never deletes: a second corruption of the same file goes to `.corrupt-2`, an old
/// schema's file to `.schema1-1`; then everything is complete and reruns bit-identically.
#[test]
fn sweep_moves_each_invalid_file_aside_under_a_new_name() {
    let (n0, g0) = &good()[0];
    let s = Sandbox::new();
    let file = format!("out/{n0}");
    for k in 1..=2 {
        std::fs::write(s.path(&file), &g0[..100]).unwrap();
        case(&s, &["sweep", "two.toml", "--out", "out"], Expect { code: 0, writes: &["out"], says: &[&format!("moved to {file}.corrupt-{k}")] });
    }
    let old = edit(g0, |m| {
        set(m, "schema", Cbor::Integer(1.into()));
        m.pop();
    });
    std::fs::write(s.path(&file), &old).unwrap();
    case(&s, &["status", "two.toml", "--out", "out"], Expect { code: 3, writes: &[], says: &[&format!("old schema: {file}: field `schema`: version 1 is older")] });
    case(&s, &["sweep", "two.toml", "--out", "out"], Expect { code: 0, writes: &["out"], says: &[&format!("moved to {file}.schema1-1")] });
    let r = ResultFile::read(&s.path(&file)).unwrap();
    assert_eq!(r.deterministic_bytes(), ResultFile::from_bytes(g0).unwrap().deterministic_bytes());
    let names: Vec<OsString> = std::fs::read_dir(s.path("out")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    case(&s, &["rerun", "out"], Expect { code: 0, writes: &[], says: &["bit-identical"] });
}

/// `report` reads the committed TF2-article results: a corrupt or foreign file among them is
/// refused with one line naming it, and nothing is written.
#[test]
fn report_refuses_corrupt_and_foreign_results() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exps = root.join("experiments/tf2-article");
    let first = clairaut::study::tf2::EXPERIMENTS[0];
    let committed = clairaut::results::files_in(&root.join("results/tf2-article").join(first)).unwrap();
    let (name, bytes) = (committed[0].file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&committed[0]).unwrap());
    let exps = exps.to_str().unwrap();
    for (file, content, says) in [
        (name.clone(), flip_after(&bytes, b"sha256:", 0), "field `digest`: corrupt: does not match the file's content"),
        (name.clone(), bytes[..bytes.len() - 5].to_vec(), "field `(file)`: corrupt: not a complete CBOR result file: truncated"),
        (name.clone(), reseal(&bytes, |m| set(m, "experiment", text("claim-x"))), "field `experiment`: foreign: `claim-x` is not"),
        ("0123456789abcdef.cbor".to_string(), bytes.clone(), "field `config`: foreign: the file name is not its configuration's id"),
    ] {
        let s = Sandbox::new();
        s.fill(&format!("tf2/{first}"), &[(file.clone(), content)]);
        if file != name {
            s.fill(&format!("tf2/{first}"), &[(name.clone(), bytes.clone())]);
        }
        let path = format!("tf2/{first}/{file}");
        case(&s, &["report", exps, "--out", "tf2"], Expect { code: 2, writes: &[], says: &[&path, says] });
    }
}
