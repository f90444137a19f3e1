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
//! | `analysis` | the `analyze` JSON without timings (numbers as floats, tiny/huge as strings) |
//! | `provenance` | crate version, git commit + dirty flag, rustc, target, dependency versions, GMP and MPFR versions, CPU model, threads, start/end UTC, argv, timings |
//!
//! Everything except `provenance` is a function of the configuration: the same config gives
//! the same bytes at any thread count, on any machine with the same crate versions.

use std::path::Path;

use ciborium::Value as Cbor;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::error::Error;
use crate::experiment::CellConfig;

pub mod record;

/// Current schema version.
pub const SCHEMA: u32 = 1;

/// Build-time information (from `built`).
pub mod built_info {
    include!(concat!(env!("OUT_DIR"), "/built.rs"));
}

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
    /// The resolved problem.
    pub problem: Cbor,
    /// The analysis.
    pub analysis: Cbor,
    /// Where and how it was computed.
    pub provenance: Cbor,
    /// The matrices, when the configuration asks for them (`store_matrices`): `{truth: {bits,
    /// decimals: [P² strings]}, rows: [{method, precision, order, fma, p, f64: bytes (P²
    /// little-endian f64, row-major) | decimals: [P² strings]}]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrices: Option<Cbor>,
}

/// JSON → CBOR (integers stay integers, other numbers become f64).
pub fn json_to_cbor(v: &Json) -> Cbor {
    match v {
        Json::Null => Cbor::Null,
        Json::Bool(b) => Cbor::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Cbor::Integer(i.into()),
            (_, Some(u)) => Cbor::Integer(u.into()),
            _ => Cbor::Float(n.as_f64().expect("finite number")),
        },
        Json::String(s) => Cbor::Text(s.clone()),
        Json::Array(a) => Cbor::Array(a.iter().map(json_to_cbor).collect()),
        Json::Object(m) => Cbor::Map(m.iter().map(|(k, v)| (Cbor::Text(k.clone()), json_to_cbor(v))).collect()),
    }
}

/// CBOR → JSON (for exports).
pub fn cbor_to_json(v: &Cbor) -> Json {
    match v {
        Cbor::Null => Json::Null,
        Cbor::Bool(b) => Json::Bool(*b),
        Cbor::Integer(i) => {
            let i: i128 = (*i).into();
            serde_json::json!(i as i64)
        }
        Cbor::Float(f) => serde_json::json!(f),
        Cbor::Text(s) => Json::String(s.clone()),
        Cbor::Bytes(b) => Json::String(b.iter().map(|x| format!("{x:02x}")).collect()),
        Cbor::Array(a) => Json::Array(a.iter().map(cbor_to_json).collect()),
        Cbor::Map(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.as_text().map(str::to_string).unwrap_or_else(|| format!("{k:?}")), cbor_to_json(v)))
                .collect(),
        ),
        _ => Json::Null,
    }
}

/// A problem as CBOR with every number as its exact decimal text.
pub fn problem_to_cbor(problem: &crate::model::Problem) -> Cbor {
    fn texts(v: &Json) -> Cbor {
        match v {
            Json::Number(n) => Cbor::Text(n.to_string()),
            Json::Array(a) => Cbor::Array(a.iter().map(texts).collect()),
            other => json_to_cbor(other),
        }
    }
    let j = problem.to_json();
    Cbor::Map(
        j.as_object()
            .expect("an object")
            .iter()
            .map(|(k, v)| (Cbor::Text(k.clone()), if k == "layers" { json_to_cbor(v) } else { texts(v) }))
            .collect(),
    )
}

/// The problem stored by [`problem_to_cbor`].
pub fn problem_from_cbor(v: &Cbor, path: &Path) -> Result<crate::model::Problem, Error> {
    fn numbers(v: &Cbor, key: &str) -> Json {
        match v {
            Cbor::Text(s) if matches!(key, "x" | "y" | "params") => {
                Json::Number(s.parse().unwrap_or_else(|_| serde_json::Number::from(0)))
            }
            Cbor::Array(a) => Json::Array(a.iter().map(|x| numbers(x, key)).collect()),
            other => cbor_to_json(other),
        }
    }
    let obj: serde_json::Map<String, Json> = v
        .as_map()
        .ok_or_else(|| Error::Field { path: path.to_path_buf(), field: "problem".into(), message: "not a map".into() })?
        .iter()
        .map(|(k, v)| {
            let key = k.as_text().unwrap_or("").to_string();
            let val = numbers(v, &key);
            (key, val)
        })
        .collect();
    crate::model::Problem::parse(&Json::Object(obj).to_string(), path)
}

/// Looks a key up in a CBOR map.
pub fn get<'a>(v: &'a Cbor, key: &str) -> Option<&'a Cbor> {
    v.as_map()?.iter().find(|(k, _)| k.as_text() == Some(key)).map(|(_, v)| v)
}

/// The analysis JSON without its timing fields (they belong to provenance).
pub fn strip_timings(analysis: &mut Json) -> Json {
    let timings = analysis.as_object_mut().and_then(|m| m.remove("timings")).unwrap_or(Json::Null);
    let mut secs = Vec::new();
    if let Some(rows) = analysis.get_mut("rows").and_then(Json::as_array_mut) {
        for r in rows {
            if let Some(s) = r.as_object_mut().and_then(|m| m.remove("seconds")) {
                secs.push(s);
            }
        }
    }
    serde_json::json!({ "stages": timings, "rows_s": secs })
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a system time.
pub fn utc(t: std::time::SystemTime) -> String {
    let secs = t.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // civil-from-days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn cstr(p: *const std::os::raw::c_char) -> String {
    // SAFETY: GMP/MPFR return static NUL-terminated version strings.
    unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Provenance of a computation.
pub fn provenance(start: std::time::SystemTime, end: std::time::SystemTime, timings: Json) -> Json {
    serde_json::json!({
        "crate_version": built_info::PKG_VERSION,
        "git_commit": built_info::GIT_COMMIT_HASH,
        "git_dirty": built_info::GIT_DIRTY,
        "rustc": built_info::RUSTC_VERSION,
        "target": built_info::TARGET,
        "profile": built_info::PROFILE,
        "dependencies": built_info::DEPENDENCIES.iter().map(|(n, v)| format!("{n} {v}")).collect::<Vec<_>>(),
        "gmp": cstr(unsafe { gmp_mpfr_sys::gmp::version }),
        "mpfr": cstr(unsafe { gmp_mpfr_sys::mpfr::get_version() }),
        "cpu": cpu_model(),
        "threads": rayon::current_num_threads(),
        "start_utc": utc(start),
        "end_utc": utc(end),
        "argv": std::env::args().collect::<Vec<_>>(),
        "timings": timings,
    })
}

/// The result files (`*.cbor`) of a folder, sorted by name.
pub fn files_in(dir: &Path) -> Result<Vec<std::path::PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Io { path: dir.to_path_buf(), message: e.to_string() })?;
    let mut files: Vec<std::path::PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "cbor")).collect();
    files.sort();
    Ok(files)
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
        crate::output::write_atomic(path, &self.to_bytes())
    }

    /// Reads and validates a result file.
    pub fn read(path: &Path) -> Result<ResultFile, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::Io { path: path.to_path_buf(), message: e.to_string() })?;
        let bad = |field: &str, message: String| Error::Field { path: path.to_path_buf(), field: field.into(), message };
        let raw: Cbor = ciborium::from_reader(&bytes[..]).map_err(|e| bad("(file)", format!("not a complete CBOR result file: {e}")))?;
        match get(&raw, "schema").and_then(|s| s.as_integer()).map(i128::from) {
            Some(s) if s == SCHEMA as i128 => {}
            Some(s) if s > SCHEMA as i128 => {
                return Err(bad("schema", format!("version {s} is newer than this Clairaut's {SCHEMA}; upgrade Clairaut")))
            }
            Some(s) => return Err(bad("schema", format!("unsupported version {s}"))),
            None => return Err(bad("schema", "missing: not a Clairaut result file".into())),
        }
        let file: ResultFile = raw.deserialized().map_err(|e| bad("(file)", format!("malformed result file: {e}")))?;
        if file.kind != "clairaut-cell" {
            return Err(bad("kind", format!("\"{}\" (expected clairaut-cell)", file.kind)));
        }
        if file.config.hash() != file.config_hash {
            return Err(bad("config_hash", "does not match the stored configuration (file edited or corrupt)".into()));
        }
        Ok(file)
    }

    /// The analysis as its typed record.
    pub fn analysis_record(&self) -> Result<record::Analysis, String> {
        self.analysis.deserialized().map_err(|e| format!("malformed `analysis`: {e}"))
    }

    /// The provenance as its typed record.
    pub fn provenance_record(&self) -> Result<record::Provenance, String> {
        self.provenance.deserialized().map_err(|e| format!("malformed `provenance`: {e}"))
    }

    /// The bytes that must be identical between reruns: everything but `provenance`.
    pub fn deterministic_bytes(&self) -> Vec<u8> {
        let mut c = self.clone();
        c.provenance = Cbor::Null;
        c.to_bytes()
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
            let file = ResultFile::read(&f).unwrap();
            let analysis = file.analysis_record().unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let provenance = file.provenance_record().unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let mut again = file.clone();
            again.analysis = Cbor::serialized(&analysis).unwrap();
            again.provenance = Cbor::serialized(&provenance).unwrap();
            assert!(again.to_bytes() == std::fs::read(&f).unwrap(), "{}: typed records do not reproduce the bytes", f.display());
        }
    }

    #[test]
    fn utc_formatting() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_764_115_200 + 3_661);
        assert_eq!(super::utc(t), "2025-11-26T01:01:01Z");
        assert_eq!(super::utc(std::time::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_709_164_800);
        assert_eq!(super::utc(leap), "2024-02-29T00:00:00Z");
    }
}
