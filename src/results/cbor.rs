//! The problem in a result file, as CBOR: every number as its exact decimal text
//! ([`problem_to_cbor`], read back by [`problem_from_cbor`]), and the small CBOR ↔ JSON bridge
//! that conversion (and readers of the untyped parts of a result file) use.

use std::path::Path;

use ciborium::Value as Cbor;
use serde_json::Value as Json;

use crate::error::Error;
use crate::model::Problem;

/// JSON → CBOR (integers stay integers, other numbers become f64).
fn json_to_cbor(v: &Json) -> Cbor {
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

/// CBOR → JSON (byte strings become hex text).
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
pub fn problem_to_cbor(problem: &Problem) -> Cbor {
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
pub fn problem_from_cbor(v: &Cbor, path: &Path) -> Result<Problem, Error> {
    fn numbers(v: &Cbor, key: &str) -> Json {
        match v {
            // text that is not a number stays text, which the problem parser then refuses,
            // naming the field (it used to read as 0)
            Cbor::Text(s) if matches!(key, "x" | "y" | "params") => s.parse().map(Json::Number).unwrap_or_else(|_| Json::String(s.clone())),
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
    Problem::parse(&Json::Object(obj).to_string(), path)
}

/// Looks a key up in a CBOR map.
pub fn get<'a>(v: &'a Cbor, key: &str) -> Option<&'a Cbor> {
    v.as_map()?.iter().find(|(k, _)| k.as_text() == Some(key)).map(|(_, v)| v)
}
