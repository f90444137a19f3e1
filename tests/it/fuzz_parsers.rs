//! Fuzzing the parsers of user files with proptest (issue 14): the problem JSON parser, the
//! experiment TOML (with `--set` values) and the CSV / `.npy` data readers get arbitrary text
//! and mutations of valid files (bytes flipped, cut, inserted, lines swapped); each must return
//! `Ok` or an `Err` whose message is one line — never panic. Case counts are bounded so the file
//! runs in a few seconds in release. Inputs that once failed are kept below as plain tests.

use std::path::Path;

use clairaut::experiment::config::parse_set;
use clairaut::experiment::data::{csv_table, npy_table};
use clairaut::experiment::Experiment;
use clairaut::model::Problem;
use proptest::prelude::*;

const PROBLEM: &str = r#"{"layers": [2, 3, 1], "activations": ["tanh", "identity"], "loss": "mse",
 "x": [[0.5, -0.25], [1e-3, 2.5E+2]], "y": [[0.1], [-7]],
 "params": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3]}"#;

const EXPERIMENT: &str = r#"name = "fuzz"
[base]
layers = [2, 3, 1]
activations = ["tanh", "identity"]
loss = "mse"
n = 4
data = "generated"
weights = "glorot"
methods = ["fwd-rev", "rev-rev"]
precisions = ["f32", "f64"]
step_h = 1e-6
[sweep]
n = [1, 2]
precisions = [["f32"], ["binary16"]]
exclude = [{ n = 1, precisions = ["f32"] }]
include = [{ n = 3 }]
"#;

const CSV: &str = "a,b,t\n1,2,3\n4.5,-6e1,+.5\n";

/// A result is fine when it is `Ok` or an error of one line.
fn one_line<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<(), TestCaseError> {
    if let Err(e) = r {
        let m = e.to_string();
        prop_assert!(!m.contains('\n') && !m.contains('\r'), "not one line: {m:?}");
        prop_assert!(!m.is_empty());
    }
    Ok(())
}

/// One edit of a byte string.
#[derive(Clone, Debug)]
enum Edit {
    Flip(usize, u8),
    Cut(usize),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Duplicate(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    // bytes the parsers care about, so insertions often still parse
    let interesting = prop::sample::select(b"[]{}\",:=.-+eE0123456789\n \\#'nulltrueinf\xff\x00".to_vec());
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, bit)| Edit::Flip(i, 1 << bit)),
        any::<usize>().prop_map(Edit::Cut),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), prop::collection::vec(prop_oneof![interesting, any::<u8>()], 1..6)).prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<usize>(), 1usize..40).prop_map(|(i, n)| Edit::Duplicate(i, n)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    for e in edits {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
        match e {
            Edit::Flip(i, mask) if !b.is_empty() => {
                let k = at(*i, b.len());
                b[k] ^= mask;
            }
            Edit::Cut(i) if !b.is_empty() => {
                b.remove(at(*i, b.len()));
            }
            Edit::Truncate(i) => b.truncate(at(*i, b.len() + 1)),
            Edit::Insert(i, bytes) => {
                let k = at(*i, b.len() + 1);
                b.splice(k..k, bytes.iter().copied());
            }
            Edit::Duplicate(i, n) if !b.is_empty() => {
                let k = at(*i, b.len());
                let piece: Vec<u8> = b[k..(k + n).min(b.len())].to_vec();
                b.splice(k..k, piece);
            }
            _ => {}
        }
    }
    b
}

/// An empty folder for the experiments parsed here (one for all cases: creating one per case
/// costs more than the parsing).
fn empty_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// The experiment parser on `text`, as if read from a file in an empty folder (data paths
/// resolve there, and stay there).
fn parse_experiment(text: &str) -> Result<(), TestCaseError> {
    one_line(Experiment::parse(text, &empty_dir().join("fuzz.toml"), &[]))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn problem_parser_takes_any_text(text in ".{0,200}") {
        one_line(Problem::parse(&text, Path::new("p.json")))?;
    }

    #[test]
    fn problem_parser_takes_mutated_files(edits in prop::collection::vec(edit(), 1..5)) {
        let bytes = apply(PROBLEM, &edits);
        let text = String::from_utf8_lossy(&bytes);
        one_line(Problem::parse(&text, Path::new("p.json")))?;
    }

    #[test]
    fn experiment_parser_takes_any_text(text in ".{0,200}") {
        parse_experiment(&text)?;
    }

    #[test]
    fn experiment_parser_takes_mutated_files(edits in prop::collection::vec(edit(), 1..5)) {
        let bytes = apply(EXPERIMENT, &edits);
        parse_experiment(&String::from_utf8_lossy(&bytes))?;
        prop_assert_eq!(std::fs::read_dir(empty_dir()).unwrap().count(), 0, "the parser wrote a file");
    }

    #[test]
    fn set_values_take_any_text(text in ".{0,60}") {
        if let Ok(set) = parse_set(&text) {
            one_line(Experiment::parse(EXPERIMENT, &empty_dir().join("fuzz.toml"), &[set]))?;
        }
    }

    #[test]
    fn csv_reader_takes_mutated_files(edits in prop::collection::vec(edit(), 1..5)) {
        one_line(csv_table(Path::new("d.csv"), &apply(CSV, &edits)))?;
    }

    #[test]
    fn npy_reader_takes_mutated_files(edits in prop::collection::vec(edit(), 1..4)) {
        let valid = {
            use npyz::WriterBuilder;
            let mut out = Vec::new();
            let mut w = npyz::WriteOptions::<f64>::new().default_dtype().shape(&[2, 2]).writer(&mut out).begin_nd().unwrap();
            w.extend([0.1, 0.2, 0.3, 0.4]).unwrap();
            w.finish().unwrap();
            out
        };
        let text: String = valid.iter().map(|&b| b as char).collect();
        // edit the bytes (as Latin-1 characters, so every byte is one character)
        let bytes: Vec<u8> = String::from_utf8_lossy(&apply(&text, &edits)).chars().map(|c| c as u32 as u8).collect();
        one_line(npy_table(Path::new("x.npy"), &bytes))?;
    }
}

/// The valid inputs the mutations start from are valid: a mutation test of a file that never
/// parses would test nothing.
#[test]
fn the_seeds_parse() {
    let p = Problem::parse(PROBLEM, Path::new("p.json")).unwrap();
    assert_eq!(p.params.len(), 13);
    let dir = tempfile::tempdir().unwrap();
    let e = Experiment::parse(EXPERIMENT, &dir.path().join("fuzz.toml"), &[]).unwrap();
    assert_eq!(e.cells.len(), 4);
    assert_eq!(csv_table(Path::new("d.csv"), CSV.as_bytes()).unwrap().len(), 2);
}

/// Inputs kept as regression tests: deep nesting (a recursion limit, not a stack overflow),
/// control characters in keys and values, a byte-order mark, an empty file.
#[test]
fn hard_inputs_give_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let exp = |t: &str| Experiment::parse(t, &dir.path().join("e.toml"), &[]).map(|_| ()).map_err(|e| e.to_string());
    let prob = |t: &str| Problem::parse(t, Path::new("p.json")).map(|_| ()).map_err(|e| e.to_string());
    let deep = |open: &str, close: &str| format!("{}{}", open.repeat(100_000), close.repeat(100_000));
    for (what, r) in [
        ("deep TOML", exp(&format!("a = {}", deep("[", "]")))),
        ("deep TOML tables", exp(&format!("a = {}", deep("{b = ", "}")))),
        ("deep JSON", prob(&deep("[", "]"))),
        ("deep JSON objects", prob(&deep("{\"a\":", "}"))),
        ("TOML control key", exp("[base]\n\"a\\u0007\\n\" = 1\n")),
        ("TOML control name", exp("name = \"a\\nb\"\n")),
        ("TOML BOM", exp("\u{feff}name = [")),
        ("empty JSON", prob("")),
        ("JSON control key", prob("{\"a\\u0007\\n\": 1}")),
        ("JSON huge exponent width", prob(&PROBLEM.replace("[2, 3, 1]", "[2, 1e999999, 1]"))),
        ("JSON negative width", prob(&PROBLEM.replace("[2, 3, 1]", "[2, -3, 1]"))),
    ] {
        let e = r.expect_err(what);
        assert!(!e.contains('\n'), "{what}: {e}");
    }
    // an empty experiment is a valid one-cell experiment named after its file
    assert_eq!(Experiment::parse("", &dir.path().join("e.toml"), &[]).unwrap().name, "e");
    let e = prob(&PROBLEM.replace("[2, 3, 1]", "[2, -3, 1]")).unwrap_err();
    assert!(e.contains("field `layers[1]`: `-3` is not a width"), "{e}");
}
