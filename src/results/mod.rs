//! Result files: one CBOR file per sweep cell, written atomically.
//!
//! Schema version 2 (a CBOR map; field names are stable):
//!
//! | field | content |
//! |---|---|
//! | `schema` | 2 |
//! | `kind` | `"clairaut-cell"` |
//! | `experiment` | the experiment's name |
//! | `config` | the cell's resolved configuration ([`CellConfig`]) |
//! | `config_hash` | SHA-256 (hex) of its canonical JSON |
//! | `problem` | the resolved problem (decimal strings: exact inputs, exact θ) |
//! | `analysis` | the analysis ([`record::Analysis`], as `analyze --json` prints it) without timings (numbers as floats, tiny/huge as strings) |
//! | `provenance` | [`record::Provenance`]: crate version, git commit + dirty flag, rustc, target, dependency versions, GMP and MPFR versions, CPU model, threads, start/end UTC, argv, timings |
//! | `matrices` | only with `store_matrices` ([`ResultFile::matrices`]) |
//! | `digest` | `"sha256:<hex>"`: SHA-256 of the canonical CBOR of all the other fields ([`digest`]) |
//!
//! Everything except `provenance` (and so `digest`) is a function of the configuration: the
//! same config gives the same bytes at any thread count, on any machine with the same crate
//! versions. Schema 1 was the same map without `digest`; its files are reported as
//! [`Defect::OldSchema`] (recompute them with `clairaut sweep`).
//!
//! Every reader goes through [`ResultFile::read`] (or [`ResultFile::from_bytes`]), which checks
//! the digest ([`digest::verify`]): a damaged, truncated or edited file is an error naming the
//! file and the reason, never a result. Where a file sits is checked by
//! [`ResultFile::check_identity`] (its name is its configuration's id; its experiment is the
//! folder's).
//!
//! The folder: this file (the result file: reading, validation, writing, listing), [`record`]
//! (the typed analysis and provenance records: the schema), [`cbor`] (the problem as CBOR),
//! [`provenance`](mod@provenance) (build, machine and run information), [`matrix`] (matrix files and `.npy`),
//! [`atomic`] (atomic writes, used for every file Clairaut writes), [`digest`] (the digest and
//! the checks every reader runs).

use std::path::Path;

use ciborium::Value as Cbor;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::experiment::CellConfig;

pub mod atomic;
pub mod cbor;
pub mod digest;
pub mod matrix;
pub mod provenance;
pub mod record;

pub use atomic::{write_atomic, write_atomic_with};
pub use cbor::{cbor_to_json, get, problem_from_cbor, problem_to_cbor};
pub use digest::Defect;
pub use provenance::{built_info, provenance, utc};

/// Current schema version.
pub const SCHEMA: u32 = 2;

/// A cell's result file: its content. The `digest` is not a field: [`ResultFile::to_bytes`]
/// computes it from the content, and [`ResultFile::read`] checks it. A new field (here or in a
/// record) is covered by the digest as it is.
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
    /// Encodes to CBOR bytes, sealed with the digest of the content ([`digest::seal`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        digest::seal(Cbor::serialized(self).expect("in-memory CBOR"))
    }

    /// Writes atomically.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        crate::results::write_atomic(path, &self.to_bytes())
    }

    /// Reads and verifies a result file: an I/O error is [`Error::Io`], a [`Defect`] an
    /// [`Error::Field`] naming the file, the field and the reason.
    pub fn read(path: &Path) -> Result<ResultFile, Error> {
        let bytes = crate::input::read_regular(path)?;
        ResultFile::from_bytes(&bytes).map_err(|d| d.at(path))
    }

    /// Decodes and verifies the bytes of a result file: the digest and encoding
    /// ([`digest::verify`]), then the typed records, the kind and the configuration's hash. Any
    /// input gives a result or a [`Defect`], never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<ResultFile, Defect> {
        let raw = digest::verify(bytes)?;
        let file: ResultFile = raw.deserialized().map_err(|e| Defect::corrupt(malformed_field(&raw), format!("malformed: {}", crate::error::cbor_value(&e))))?;
        if file.kind != "clairaut-cell" {
            return Err(Defect::corrupt("kind", format!("\"{}\" (expected clairaut-cell)", file.kind)));
        }
        if file.config.hash() != file.config_hash {
            return Err(Defect::corrupt("config_hash", "does not match the stored configuration"));
        }
        Ok(file)
    }

    /// Whether the file at `path` sits where it belongs: its name is `<its config id>.cbor`,
    /// and (when given) its experiment is `experiment`. A file copied or renamed into another
    /// cell's name, or another experiment's result, is [`Defect::Foreign`].
    pub fn check_identity(&self, path: &Path, experiment: Option<&str>) -> Result<(), Defect> {
        let id = self.config.id();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name != format!("{id}.cbor") {
            let reason = format!("the file name is not its configuration's id ({id}.cbor): a result renamed or copied from another cell");
            return Err(Defect::Foreign { field: "config".into(), reason });
        }
        match experiment {
            Some(e) if e != self.experiment => {
                let reason = format!("`{}` is not `{e}`: a result of another experiment", self.experiment);
                Err(Defect::Foreign { field: "experiment".into(), reason })
            }
            _ => Ok(()),
        }
    }

    /// The bytes that must be identical between reruns: the content's CBOR (without the
    /// digest, which covers the provenance) with `provenance` replaced by `null`.
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
    /// again gives the file's bytes exactly, digest included: the records are schema 2, field
    /// for field.
    #[test]
    fn committed_results_decode_into_the_typed_records_and_encode_to_the_same_bytes() {
        let files = committed_result_files();
        assert!(files.len() >= 50, "{} committed result files", files.len());
        for f in files {
            // reading decodes `analysis` and `provenance` into their typed records
            let file = ResultFile::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert!(file.to_bytes() == std::fs::read(&f).unwrap(), "{}: typed records do not reproduce the bytes", f.display());
            // and the deterministic bytes are the stored bytes with provenance set to null and
            // without the digest
            let mut raw: Cbor = ciborium::from_reader(&std::fs::read(&f).unwrap()[..]).unwrap();
            raw.as_map_mut().unwrap().retain(|(k, _)| k.as_text() != Some("digest"));
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
