//! Integrity of result files (schema 2): the SHA-256 digest each file stores, and the checks
//! every reader runs on a file's bytes before trusting them ([`verify`]).
//!
//! A result file is one CBOR map. Its `digest` entry is `"sha256:<64 hex digits>"`, the SHA-256
//! of the canonical CBOR encoding (ciborium's, as Clairaut writes it) of the same map without the
//! `digest` entry — every other field, provenance included. So any change of a stored value
//! changes the digest; a change that breaks the CBOR structure is a decode error. A reader
//! requires, in this order:
//!
//! 1. the bytes are exactly one CBOR value (no trailing bytes), a map with a `schema`;
//! 2. the schema is this Clairaut's ([`Defect::NewerSchema`], [`Defect::OldSchema`] otherwise);
//! 3. the bytes are the canonical encoding of their value (as Clairaut writes them);
//! 4. the stored digest is that of the rest of the map.
//!
//! The digest is computed over whatever fields the map holds, so adding a field to a record
//! (e.g. to [`super::record::Row`]) needs nothing here. Which experiment and cell a file belongs to
//! is checked by [`super::ResultFile::check_identity`]: a file may be intact but foreign.

use ciborium::Value as Cbor;
use serde::ser::{SerializeMap, Serializer};
use sha2::{Digest, Sha256};

use super::SCHEMA;
use crate::error::Error;

/// The key of the digest entry.
pub const DIGEST_KEY: &str = "digest";

/// The digest's text starts with the algorithm's name and a colon.
pub const DIGEST_PREFIX: &str = "sha256:";

/// Why a result file cannot be used as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Defect {
    /// Written by a newer Clairaut (its schema version): not readable here, never overwritten.
    NewerSchema(u64),
    /// Written by an older Clairaut (its schema version), without a digest: recompute it.
    OldSchema(u64),
    /// Damaged, edited, truncated, or not a Clairaut result file: the field at fault and why.
    Corrupt {
        /// The top-level field at fault, or `(file)`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// Intact, but not where it belongs: another experiment's result, or a file whose name is
    /// not its configuration's id.
    Foreign {
        /// `experiment` or `config`.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

impl Defect {
    /// A corruption of `field`.
    pub fn corrupt(field: &str, reason: impl Into<String>) -> Defect {
        Defect::Corrupt { field: field.into(), reason: reason.into() }
    }

    /// The top-level field at fault (`schema` for a schema version).
    pub fn field(&self) -> &str {
        match self {
            Defect::NewerSchema(_) | Defect::OldSchema(_) => "schema",
            Defect::Corrupt { field, .. } | Defect::Foreign { field, .. } => field,
        }
    }

    /// What kind of defect, as listings name it: `newer schema`, `old schema`, `corrupt`,
    /// `foreign`.
    pub fn label(&self) -> &'static str {
        match self {
            Defect::NewerSchema(_) => "newer schema",
            Defect::OldSchema(_) => "old schema",
            Defect::Corrupt { .. } => "corrupt",
            Defect::Foreign { .. } => "foreign",
        }
    }

    /// What is wrong, in one line (without the path and field).
    pub fn reason(&self) -> String {
        match self {
            Defect::NewerSchema(v) => format!("version {v} is newer than this Clairaut's {SCHEMA}; upgrade Clairaut"),
            Defect::OldSchema(v) => {
                format!("version {v} is older than this Clairaut's {SCHEMA} (no digest): recompute it with `clairaut sweep` to upgrade")
            }
            Defect::Corrupt { reason, .. } | Defect::Foreign { reason, .. } => reason.clone(),
        }
    }

    /// As the library's error for the file at `path` (exit status 2): `<path>: field `<field>`:
    /// <reason>`, the reason of a corruption or foreign file prefixed with its [`label`](Self::label).
    pub fn at(&self, path: &std::path::Path) -> Error {
        let message = match self {
            Defect::Corrupt { .. } | Defect::Foreign { .. } => format!("{}: {}", self.label(), self.reason()),
            _ => self.reason(),
        };
        Error::field(path, self.field(), message)
    }
}

/// The CBOR encoding of `v` (as Clairaut writes it).
pub fn encode<T: serde::Serialize + ?Sized>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).expect("in-memory CBOR");
    out
}

/// The entries of a map but its digest, serialized as a map (borrowing, not copying).
struct Content<'a>(&'a [(Cbor, Cbor)]);

impl serde::Serialize for Content<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entries = || self.0.iter().filter(|(k, _)| k.as_text() != Some(DIGEST_KEY));
        let mut m = s.serialize_map(Some(entries().count()))?;
        for (k, v) in entries() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The digest text (`sha256:<hex>`) of a map's entries, its own digest entry left out.
pub fn digest_of(entries: &[(Cbor, Cbor)]) -> String {
    let hash = Sha256::digest(encode(&Content(entries)));
    let mut text = String::with_capacity(DIGEST_PREFIX.len() + 64);
    text.push_str(DIGEST_PREFIX);
    for b in hash {
        text.push_str(&format!("{b:02x}"));
    }
    text
}

/// Seals a map: appends (or replaces) its digest entry, and returns its bytes.
pub fn seal(mut v: Cbor) -> Vec<u8> {
    let map = v.as_map_mut().expect("a result file is a map");
    map.retain(|(k, _)| k.as_text() != Some(DIGEST_KEY));
    let digest = digest_of(map);
    map.push((Cbor::Text(DIGEST_KEY.into()), Cbor::Text(digest)));
    encode(&v)
}

/// A decode error of ciborium as one line, without debug text.
fn decode_error(e: &ciborium::de::Error<std::io::Error>) -> String {
    use ciborium::de::Error as E;
    match e {
        E::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => "truncated (ends inside a CBOR item)".into(),
        E::Io(io) => format!("read error: {io}"),
        E::Syntax(at) => format!("malformed CBOR at byte {at}"),
        E::Semantic(Some(at), m) => format!("at byte {at}: {m}"),
        E::Semantic(None, m) => m.clone(),
        E::RecursionLimitExceeded => "nested too deeply".into(),
    }
}

/// The schema version of a decoded map, checked against [`SCHEMA`].
fn check_schema(raw: &Cbor) -> Result<(), Defect> {
    let Some(map) = raw.as_map() else {
        return Err(Defect::corrupt("(file)", "not a CBOR map: not a Clairaut result file"));
    };
    let schema = map.iter().find(|(k, _)| k.as_text() == Some("schema")).map(|(_, v)| v);
    let Some(schema) = schema else {
        return Err(Defect::corrupt("schema", "missing: not a Clairaut result file"));
    };
    let version = schema.as_integer().and_then(|i| u64::try_from(i).ok());
    match version {
        Some(v) if v == u64::from(SCHEMA) => Ok(()),
        Some(v) if v > u64::from(SCHEMA) => Err(Defect::NewerSchema(v)),
        Some(1) => Err(Defect::OldSchema(1)),
        Some(v) => Err(Defect::corrupt("schema", format!("unsupported version {v}"))),
        None => Err(Defect::corrupt("schema", "not a version number")),
    }
}

/// Decodes the bytes of a result file and checks them (steps 1–4 of the module's doc): the
/// verified map, ready to decode into the typed records.
pub fn verify(bytes: &[u8]) -> Result<Cbor, Defect> {
    if bytes.is_empty() {
        return Err(Defect::corrupt("(file)", "empty file"));
    }
    let mut rest = bytes;
    let raw: Cbor = ciborium::from_reader(&mut rest)
        .map_err(|e| Defect::corrupt("(file)", format!("not a complete CBOR result file: {}", decode_error(&e))))?;
    check_schema(&raw)?;
    if !rest.is_empty() {
        return Err(Defect::corrupt("(file)", format!("{} bytes of trailing garbage after the CBOR value", rest.len())));
    }
    if encode(&raw) != bytes {
        return Err(Defect::corrupt("(file)", "not encoded as Clairaut writes it (damaged, or rewritten by another tool)"));
    }
    let map = raw.as_map().expect("checked by check_schema");
    let stored: Vec<&Cbor> = map.iter().filter(|(k, _)| k.as_text() == Some(DIGEST_KEY)).map(|(_, v)| v).collect();
    let stored = match stored[..] {
        [] => return Err(Defect::corrupt(DIGEST_KEY, "missing")),
        [Cbor::Text(t)] => t,
        [_] => return Err(Defect::corrupt(DIGEST_KEY, "not a text")),
        _ => return Err(Defect::corrupt(DIGEST_KEY, "present more than once")),
    };
    if *stored != digest_of(map) {
        return Err(Defect::corrupt(DIGEST_KEY, "does not match the file's content (the file was damaged or edited)"));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed() -> Vec<u8> {
        let text = |s: &str| Cbor::Text(s.into());
        seal(Cbor::Map(vec![(text("schema"), Cbor::Integer(SCHEMA.into())), (text("x"), Cbor::Float(0.5))]))
    }

    #[test]
    fn a_sealed_map_verifies_and_every_kind_of_damage_is_named() {
        let good = sealed();
        let raw = verify(&good).unwrap();
        assert_eq!(encode(&raw), good);
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(matches!(verify(&trailing), Err(Defect::Corrupt { reason, .. }) if reason.contains("1 bytes of trailing")));
        assert!(matches!(verify(&good[..good.len() - 3]), Err(Defect::Corrupt { reason, .. }) if reason.contains("truncated")));
        assert!(matches!(verify(b""), Err(Defect::Corrupt { reason, .. }) if reason == "empty file"));
        // 0.5 is stored as a half-precision float (0xf9 0x38 0x00): make it 0.75
        let at = good.windows(3).position(|w| w == [0xf9, 0x38, 0x00]).unwrap();
        let mut edited = good.clone();
        edited[at + 1] = 0x3a;
        assert_eq!(verify(&edited).unwrap_err().field(), DIGEST_KEY);
        // an unsealed map has no digest
        let bare = encode(&Cbor::Map(vec![(Cbor::Text("schema".into()), Cbor::Integer(SCHEMA.into()))]));
        assert!(matches!(verify(&bare), Err(Defect::Corrupt { field, .. }) if field == DIGEST_KEY));
        // deep nesting is a clean error, not a stack overflow
        let deep: Vec<u8> = std::iter::repeat_n(0x81u8, 100_000).chain([0x00]).collect();
        assert!(matches!(verify(&deep), Err(Defect::Corrupt { reason, .. }) if reason.contains("nested too deeply")));
    }

    #[test]
    fn schema_versions_are_told_apart() {
        let with = |v: u64| encode(&Cbor::Map(vec![(Cbor::Text("schema".into()), Cbor::Integer(v.into()))]));
        assert_eq!(verify(&with(1)), Err(Defect::OldSchema(1)));
        assert_eq!(verify(&with(7)), Err(Defect::NewerSchema(7)));
        assert!(matches!(verify(&with(0)), Err(Defect::Corrupt { field, .. }) if field == "schema"));
        assert_eq!(verify(&encode(&Cbor::Array(vec![]))).unwrap_err().field(), "(file)");
    }
}
