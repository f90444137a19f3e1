//! Result files: one CBOR file per sweep cell, written atomically.
//!
//! Schema version 1 (a CBOR map; field names are stable):
//!
//! | field | content |
//! |---|---|
//! | `schema` | 1 |
//! | `kind` | `"clairaut-cell"` |
//! | `experiment` | the experiment's name |
//! | `config` | the cell's resolved configuration ([`CellConfig`]) |
//! | `config_hash` | SHA-256 (hex) of its canonical JSON |
//! | `problem` | the resolved problem (decimal strings: exact inputs, exact θ) |
//! | `analysis` | the analysis ([`record::Analysis`], as `analyze --json` prints it) without timings (numbers as floats, tiny/huge as strings) |
//! | `provenance` | [`record::Provenance`]: crate version, git commit + dirty flag, rustc, target, dependency versions, GMP and MPFR versions, CPU model, threads, start/end UTC, argv, timings |
//!
//! Everything except `provenance` is a function of the configuration: the same config gives
//! the same bytes at any thread count, on any machine with the same crate versions.
//!
//! The folder: this file (the result file: reading, validation, writing, listing), [`record`]
//! (the typed analysis and provenance records: the schema), [`cbor`] (the problem as CBOR),
//! [`provenance`](mod@provenance) (build, machine and run information), [`matrix`] (matrix files and `.npy`),
//! [`atomic`] (atomic writes, used for every file Clairaut writes).

use std::path::Path;

use ciborium::Value as Cbor;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::experiment::CellConfig;

pub mod atomic;
pub mod cbor;
pub mod matrix;
pub mod provenance;
pub mod record;

pub use atomic::{write_atomic, write_atomic_with};
pub use cbor::{cbor_to_json, get, problem_from_cbor, problem_to_cbor};
pub use provenance::{built_info, provenance, utc};

/// Current schema version.
pub const SCHEMA: u32 = 1;

/// A cell's result file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResultFile {
    /// Schema version.
    pub schema: u32,
    /// Always "clairaut-cell".
    pub kind: String,
    /// Experiment name.
    pub experiment: String,
    /// Resolved configuration.
    pub config: CellConfig,
    /// Its hash.
    pub config_hash: String,
    /// The resolved problem ([`problem_to_cbor`]).
    pub problem: Cbor,
    /// The analysis, without timings (they are in the provenance).
    pub analysis: record::Analysis,
    /// Where and how it was computed.
    pub provenance: record::Provenance,
    /// The matrices, when the configuration asks for them (`store_matrices`): `{truth: {bits,
    /// decimals: [P² strings]}, rows: [{method, precision, order, fma, p, f64: bytes (P²
    /// little-endian f64, row-major) | decimals: [P² strings]}]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrices: Option<Cbor>,
}

/// The result files (`*.cbor`) of a folder, sorted by name.
pub fn files_in(dir: &Path) -> Result<Vec<std::path::PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Io { path: dir.to_path_buf(), message: e.to_string() })?;
    let mut files: Vec<std::path::PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "cbor")).collect();
    files.sort();
    Ok(files)
}

/// The first top-level field of a result file that does not decode into its type (`(file)` if
/// each does: then a field is missing or the whole is not a map).
fn malformed_field(raw: &Cbor) -> &'static str {
    fn decodes<T: serde::de::DeserializeOwned>(v: Option<&Cbor>) -> bool {
        v.is_some_and(|v| v.deserialized::<T>().is_ok())
    }
    let checks: [(&'static str, fn(Option<&Cbor>) -> bool); 7] = [
        ("kind", decodes::<String>),
        ("experiment", decodes::<String>),
        ("config", decodes::<CellConfig>),
        ("config_hash", decodes::<String>),
        ("analysis", decodes::<record::Analysis>),
        ("provenance", decodes::<record::Provenance>),
        ("matrices", |v| v.is_none() || decodes::<Cbor>(v)),
    ];
    checks.iter().find(|(name, ok)| !ok(get(raw, name))).map(|(name, _)| *name).unwrap_or("(file)")
}

impl ResultFile {
    /// Encodes to CBOR bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(self, &mut out).expect("in-memory CBOR");
        out
    }

    /// Writes atomically.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        crate::results::write_atomic(path, &self.to_bytes())
    }

    /// Reads and validates a result file.
    pub fn read(path: &Path) -> Result<ResultFile, Error> {
        let bytes = crate::input::read_regular(path)?;
        let bad = |field: &str, message: String| Error::Field { path: path.to_path_buf(), field: field.into(), message };
        let raw: Cbor = ciborium::from_reader(&bytes[..]).map_err(|e| bad("(file)", format!("not a complete CBOR result file: {}", crate::error::cbor_read(&e))))?;
        match get(&raw, "schema").and_then(|s| s.as_integer()).map(i128::from) {
            Some(s) if s == SCHEMA as i128 => {}
            Some(s) if s > SCHEMA as i128 => {
                return Err(bad("schema", format!("version {s} is newer than this Clairaut's {SCHEMA}; upgrade Clairaut")))
            }
            Some(s) => return Err(bad("schema", format!("unsupported version {s}"))),
            None => return Err(bad("schema", "missing: not a Clairaut result file".into())),
        }
        let file: ResultFile = raw.deserialized().map_err(|e| bad(malformed_field(&raw), format!("malformed: {}", crate::error::cbor_value(&e))))?;
        if file.kind != "clairaut-cell" {
            return Err(bad("kind", format!("\"{}\" (expected clairaut-cell)", file.kind)));
        }
        if file.config.hash() != file.config_hash {
            return Err(bad("config_hash", "does not match the stored configuration (file edited or corrupt)".into()));
        }
        Ok(file)
    }

    /// The bytes that must be identical between reruns: the file's CBOR with `provenance`
    /// replaced by `null`.
    pub fn deterministic_bytes(&self) -> Vec<u8> {
        let mut v = Cbor::serialized(self).expect("in-memory CBOR");
        if let Some(m) = v.as_map_mut() {
            for (k, x) in m.iter_mut() {
                if k.as_text() == Some("provenance") {
                    *x = Cbor::Null;
                }
            }
        }
        let mut out = Vec::new();
        ciborium::into_writer(&v, &mut out).expect("in-memory CBOR");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed_result_files() -> Vec<std::path::PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
        let mut files = Vec::new();
        for dir in std::fs::read_dir(&root).unwrap() {
            let dir = dir.unwrap().path();
            if dir.is_dir() {
                files.extend(files_in(&dir).unwrap());
            }
        }
        files
    }

    /// Every committed result file decodes into the typed records, and encoding those records
    /// again gives the file's bytes exactly: the records are schema 1, field for field.
    #[test]
    fn committed_results_decode_into_the_typed_records_and_encode_to_the_same_bytes() {
        let files = committed_result_files();
        assert!(files.len() >= 50, "{} committed result files", files.len());
        for f in files {
            // reading decodes `analysis` and `provenance` into their typed records
            let file = ResultFile::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert!(file.to_bytes() == std::fs::read(&f).unwrap(), "{}: typed records do not reproduce the bytes", f.display());
            // and the deterministic bytes are the stored bytes with provenance set to null
            let mut raw: Cbor = ciborium::from_reader(&std::fs::read(&f).unwrap()[..]).unwrap();
            for (k, x) in raw.as_map_mut().unwrap() {
                if k.as_text() == Some("provenance") {
                    *x = Cbor::Null;
                }
            }
            let mut want = Vec::new();
            ciborium::into_writer(&raw, &mut want).unwrap();
            assert!(file.deterministic_bytes() == want, "{}: deterministic bytes", f.display());
        }
    }
}
