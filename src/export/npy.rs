//! The stored matrices of results run with `store_matrices = true`, as NumPy `.npy` files
//! (P × P, f64, row-major): the truth (nearest f64) and each row's H, one file each, named
//! `<cell>-truth.npy` and `<cell>-<method>-<precision>-<order>-<fma|no-fma>.npy`.

use super::{ExportFile, Exporter};
use crate::error::Error;
use crate::results::{get, ResultFile};

/// The `.npy` exporter of stored matrices (results without them give no file).
#[derive(Clone, Copy, Debug, Default)]
pub struct Npy;

/// One stored matrix: its name, its row-major f64 values and its order P.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredMatrix {
    /// `<cell>-truth`, or `<cell>-<method>-<precision>-<order>-<fma|no-fma>` (`:` as `_`).
    pub name: String,
    /// P² values, row-major.
    pub values: Vec<f64>,
    /// P.
    pub p: usize,
}

fn from_decimals(v: &ciborium::Value) -> Vec<f64> {
    v.as_array().into_iter().flatten().filter_map(|x| x.as_text()).map(|t| t.parse::<f64>().unwrap_or(f64::NAN)).collect()
}

fn matrix(name: String, values: Vec<f64>) -> StoredMatrix {
    let p = (values.len() as f64).sqrt().round() as usize;
    StoredMatrix { name, values, p }
}

/// The stored matrices of a result (when `store_matrices` was set): the truth (nearest f64)
/// and each row's H.
pub fn stored_matrices(r: &ResultFile) -> Vec<StoredMatrix> {
    let Some(m) = &r.matrices else { return Vec::new() };
    let id = r.config.id();
    let mut out = Vec::new();
    if let Some(t) = get(m, "truth").and_then(|t| get(t, "decimals")) {
        out.push(matrix(format!("{id}-truth"), from_decimals(t)));
    }
    for row in get(m, "rows").and_then(|r| r.as_array()).into_iter().flatten() {
        let text = |k: &str| get(row, k).and_then(|v| v.as_text()).unwrap_or("").to_string();
        let fma = get(row, "fma").and_then(|v| v.as_bool()).unwrap_or(false);
        let name = format!("{id}-{}-{}-{}-{}", text("method"), text("precision").replace(':', "_"), text("order").replace(':', "_"), crate::scalar::FmaPolicy::from_fused(fma));
        let v: Vec<f64> = match (get(row, "f64"), get(row, "decimals")) {
            (Some(ciborium::Value::Bytes(b)), _) => b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect(),
            (_, Some(d)) => from_decimals(d),
            _ => continue,
        };
        out.push(matrix(name, v));
    }
    out
}

impl Exporter for Npy {
    fn export(&self, results: &[ResultFile]) -> Result<Vec<ExportFile>, Error> {
        let mut out = Vec::new();
        for r in results {
            for m in stored_matrices(r) {
                let p = m.p as u64;
                out.push(ExportFile { name: format!("{}.npy", m.name), bytes: crate::results::matrix::npy_bytes(&m.values, &[p, p]) });
            }
        }
        Ok(out)
    }
}
