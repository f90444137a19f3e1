//! Issue #14 (integrity of result files): random single-bit flips in a result file are reported
//! as corrupt by every reader (`status`, `export`, `rerun`, the resume of `sweep`) or leave its
//! output identical; and a fuzz target for the CBOR result reader: arbitrary bytes, mutated
//! valid files and re-sealed mutated records all give a result or a clean error, never a panic.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ciborium::Value as Cbor;
use clairaut::experiment::Experiment;
use clairaut::export::{self, Format};
use clairaut::results::{digest, Defect, ResultFile};
use clairaut::sweep::{self, CellState};
use proptest::prelude::*;

use crate::common::{clairaut, write};

/// One cell, fast.
const ONE: &str = r#"
name = "one"
[base]
layers = [2, 2, 1]
activations = ["tanh", "identity"]
n = 2
methods = ["rev-rev"]
precisions = ["f32"]
"#;

/// The one cell's result file, swept once: (its name, its bytes).
fn fixture() -> &'static (String, Vec<u8>) {
    static F: OnceLock<(String, Vec<u8>)> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let exp = write(dir.path(), "one.toml", ONE);
        let out = dir.path().join("out");
        clairaut().arg("sweep").arg(&exp).arg("--out").arg(&out).assert().success();
        let file = clairaut::results::files_in(&out).unwrap().remove(0);
        (file.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&file).unwrap())
    })
}

/// A folder holding the experiment file and `out/` with the fixture's file as `bytes`:
/// (the tempdir, the experiment file, the result file's path).
fn folder(bytes: &[u8]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let exp = write(dir.path(), "one.toml", ONE);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let path = out.join(&fixture().0);
    std::fs::write(&path, bytes).unwrap();
    (dir, exp, path)
}

/// A deterministic stream of numbers (an LCG, so the flips are the same on every run).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// The CSV export of a folder, or the defect the reader reported.
fn csv_of(dir: &Path) -> Result<Vec<u8>, String> {
    let results = export::read_dir(dir).map_err(|e| e.to_string())?;
    Ok(Format::Csv.exporter().export(&results).map_err(|e| e.to_string())?.remove(0).bytes)
}

/// 300 seeded single-bit flips: for each, `status` (the cell's state), `export --format csv`,
/// `rerun`'s reading and the resume of `sweep` each report the file (as not complete, an error,
/// or moved aside) or give exactly the unflipped output. Here every flip is reported: the digest
/// covers every stored value, and a flip that keeps the value is not possible in canonical CBOR.
#[test]
fn every_reader_reports_a_flipped_bit_or_gives_the_unflipped_output() {
    let good = &fixture().1;
    let (_keep, exp_path, good_path) = folder(good);
    let exp = Experiment::load(&exp_path, &[]).unwrap();
    let cell = &exp.cells.get(0).unwrap();
    let want_csv = csv_of(good_path.parent().unwrap()).unwrap();
    let want = ResultFile::read(&good_path).unwrap().deterministic_bytes();
    let mut rng = Lcg(20261127);
    let mut reported = 0;
    for _ in 0..300 {
        let bit = rng.below(good.len() * 8);
        let mut bytes = good.clone();
        bytes[bit / 8] ^= 1 << (bit % 8);
        let (_dir, _, path) = folder(&bytes);
        // status
        let state = sweep::cell_state(&path, cell, &exp.name);
        // export
        let csv = csv_of(path.parent().unwrap());
        // rerun reads the file, verifies it, and compares what it recomputes with its content
        let rerun = ResultFile::read(&path).map(|r| r.deterministic_bytes());
        let all_report = state != CellState::Complete && csv.is_err() && rerun.is_err();
        let none_report = state == CellState::Complete && csv.as_ref().ok() == Some(&want_csv) && rerun.as_ref().ok() == Some(&want);
        assert!(all_report || none_report, "bit {bit}: state {state:?}, export {:?}, rerun {:?}", csv.err(), rerun.err());
        if all_report {
            reported += 1;
            // the message names the file and a reason on one line
            let message = csv.unwrap_err();
            assert!(message.contains(&*path.to_string_lossy()) && !message.contains('\n'), "{message}");
        }
    }
    assert_eq!(reported, 300, "a flip went unnoticed");
}

/// The resume of `sweep` moves a flipped file aside (never deleting it) and recomputes its cell;
/// the CLI readers report it with a documented exit status, one error line and no panic.
#[test]
fn the_commands_report_flipped_files_and_sweep_recomputes_them() {
    let (name, good) = fixture();
    let mut rng = Lcg(7);
    for _ in 0..8 {
        let bit = rng.below(good.len() * 8);
        let mut bytes = good.clone();
        bytes[bit / 8] ^= 1 << (bit % 8);
        let (_dir, exp, path) = folder(&bytes);
        let out = path.parent().unwrap();
        let status = clairaut().arg("status").arg(&exp).arg("--out").arg(out).output().unwrap();
        let stdout = String::from_utf8_lossy(&status.stdout);
        assert_eq!(status.status.code(), Some(3), "bit {bit}: {stdout}");
        assert!(stdout.contains("0 of 1 cells complete") && stdout.contains(&format!(": {}: ", path.display())), "{stdout}");
        for args in [&["export", "--format", "csv"][..], &["rerun"]] {
            let run = clairaut().args(args).arg(out).output().unwrap();
            let stderr = String::from_utf8_lossy(&run.stderr);
            assert_eq!(run.status.code(), Some(2), "bit {bit}, {args:?}: {stderr}");
            assert!(!stderr.contains("panicked") && stderr.lines().count() == 1 && stderr.contains(&*path.to_string_lossy()), "{stderr}");
        }
        let sweep = clairaut().arg("sweep").arg(&exp).arg("--out").arg(out).output().unwrap();
        let stderr = String::from_utf8_lossy(&sweep.stderr);
        if stdout.contains("newer schema: ") {
            // a flip of the schema version to a newer one: left untouched, the sweep fails
            assert_eq!(sweep.status.code(), Some(2), "{stderr}");
            assert_eq!(&std::fs::read(&path).unwrap(), &bytes);
            continue;
        }
        assert!(sweep.status.success(), "bit {bit}: {stderr}");
        assert!(stderr.contains(&format!("moved to {}.corrupt-1 and recomputed", path.display())), "{stderr}");
        assert_eq!(std::fs::read(out.join(format!("{name}.corrupt-1"))).unwrap(), bytes, "kept as it was");
        let (_d, _, good_path) = folder(good);
        assert_eq!(ResultFile::read(&path).unwrap().deterministic_bytes(), ResultFile::read(&good_path).unwrap().deterministic_bytes());
    }
}

/// The fixture's result file as a CBOR map.
fn good_value() -> Cbor {
    ciborium::from_reader(&fixture().1[..]).unwrap()
}

/// Everything a reader does with a file that verifies: must not panic either.
fn read_all_the_way(bytes: &[u8]) -> Result<(), Defect> {
    let r = ResultFile::from_bytes(bytes)?;
    let path = Path::new("fuzz.cbor");
    let _ = r.check_identity(path, Some("one"));
    let _ = export::tidy::rows_at(&r, path);
    let _ = clairaut::results::problem_from_cbor(&r.problem, path);
    let _ = r.deterministic_bytes();
    Ok(())
}

/// A mutation of a byte string.
#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    let len = bytes.len();
    match *m {
        Mutation::Flip(i, b) if len > 0 => bytes[at(i, len)] ^= 1 << (b % 8),
        Mutation::Set(i, v) if len > 0 => bytes[at(i, len)] = v,
        Mutation::Insert(i, v) => bytes.insert(at(i, bytes.len() + 1), v),
        Mutation::Delete(i) if !bytes.is_empty() => {
            bytes.remove(at(i, bytes.len()));
        }
        Mutation::Truncate(i) => bytes.truncate(at(i, bytes.len() + 1)),
        _ => {}
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Mutation::Set(i, v)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Mutation::Insert(i, v)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// A random CBOR value, small and nested.
fn value() -> impl Strategy<Value = Cbor> {
    let leaf = prop_oneof![
        Just(Cbor::Null),
        any::<bool>().prop_map(Cbor::Bool),
        any::<i64>().prop_map(|i| Cbor::Integer(i.into())),
        any::<f64>().prop_map(Cbor::Float),
        "[a-z0-9:_-]{0,12}".prop_map(Cbor::Text),
        prop::collection::vec(any::<u8>(), 0..16).prop_map(Cbor::Bytes),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Cbor::Array),
            prop::collection::vec(("[a-z_]{1,10}".prop_map(Cbor::Text), inner), 0..6).prop_map(Cbor::Map),
        ]
    })
}

/// The names of a result file's fields, at every depth, to aim replacements at.
fn paths(v: &Cbor, at: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    let children: Vec<&Cbor> = match v {
        Cbor::Map(m) => m.iter().map(|(_, x)| x).collect(),
        Cbor::Array(a) => a.iter().collect(),
        _ => Vec::new(),
    };
    for (i, c) in children.into_iter().enumerate() {
        at.push(i);
        out.push(at.clone());
        paths(c, at, out);
        at.pop();
    }
}

fn at_path<'a>(v: &'a mut Cbor, path: &[usize]) -> &'a mut Cbor {
    path.iter().fold(v, |v, &i| match v {
        Cbor::Map(m) => &mut m[i].1,
        Cbor::Array(a) => &mut a[i],
        _ => unreachable!("a path of `paths`"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary bytes: a clean error (a valid result file by chance would be fine too).
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = read_all_the_way(&bytes);
    }

    /// A valid file with up to 8 random byte mutations: an error, or the file as it was.
    #[test]
    fn mutated_files_are_refused_or_unchanged(ms in prop::collection::vec(mutation(), 1..8)) {
        let good = &fixture().1;
        let mut bytes = good.clone();
        for m in &ms {
            mutate(&mut bytes, m);
        }
        if read_all_the_way(&bytes).is_ok() {
            prop_assert_eq!(&bytes, good);
        }
    }

    /// Any value anywhere in a valid file, re-sealed with a correct digest (as a forger or a
    /// buggy writer would): the typed decoding and every reader give a result or a clean error.
    #[test]
    fn resealed_records_with_random_values_never_panic(pick in any::<prop::sample::Index>(), v in value()) {
        let mut file = good_value();
        let mut all = Vec::new();
        paths(&file, &mut Vec::new(), &mut all);
        let target = pick.get(&all).clone();
        *at_path(&mut file, &target) = v;
        let sealed = digest::seal(file);
        match read_all_the_way(&sealed) {
            Ok(()) | Err(Defect::Corrupt { .. }) => {}
            Err(d) => prop_assert!(matches!(d, Defect::NewerSchema(_) | Defect::OldSchema(_)), "{d:?}"),
        }
    }
}
