//! Matrix files written by `clairaut hessian --out FILE`, chosen by extension:
//!
//! * `.json` — `{"method", "precision", "order", "fma", "p", "hessian": [[...]]}`; each entry is
//!   a decimal **string** that reads back to exactly the computed value: the shortest such
//!   string for `f32`, `f64` and the emulated formats, and `1 + ⌈bits·log10 2⌉` significant digits
//!   at `mp:<bits>`.
//! * `.npy` — `f64`, shape (P, P), C order (MPFR values rounded to nearest `f64`).
//! * `.csv` — P lines of P decimal strings as in `.json`.
//!
//! Files are written atomically ([`super::atomic`]). Also the in-memory `.npy` encoding
//! ([`npy_bytes`]) that exports and tests use.

use std::io::Write;
use std::path::Path;

use super::atomic::write_atomic_with;
use crate::error::Error;
use crate::hessian::Matrix;
use crate::scalar::Real;

/// What a matrix file says about how its matrix was computed.
#[derive(Clone, Debug)]
pub struct MatrixMeta {
    /// Method name.
    pub method: String,
    /// Precision name.
    pub precision: String,
    /// Order name.
    pub order: String,
    /// FMA policy.
    pub fma: bool,
}

/// The `.json` document of a matrix, serialized row by row as it is written (the same bytes
/// as the `serde_json::Value` of it, whose keys are sorted).
#[derive(serde::Serialize)]
#[serde(bound = "")]
struct JsonDoc<'a, R: Real> {
    fma: bool,
    hessian: Rows<'a, R>,
    method: &'a str,
    order: &'a str,
    p: usize,
    precision: &'a str,
}

/// The rows of a matrix as lists of decimal strings.
struct Rows<'a, R: Real> {
    h: &'a Matrix<R>,
    ctx: &'a R::RCtx,
}

/// Row `i` of a matrix as decimal strings.
struct Row<'a, R: Real> {
    rows: &'a Rows<'a, R>,
    i: usize,
}

impl<R: Real> serde::Serialize for Rows<'_, R> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.h.p))?;
        for i in 0..self.h.p {
            seq.serialize_element(&Row { rows: self, i })?;
        }
        seq.end()
    }
}

impl<R: Real> serde::Serialize for Row<'_, R> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (h, ctx) = (self.rows.h, self.rows.ctx);
        s.collect_seq((0..h.p).map(|j| h.get(self.i, j).to_decimal(ctx)))
    }
}

/// Writes `h` to `path` in the format its extension names, streaming it (no copy of the
/// matrix as text is held).
pub fn write_matrix<R: Real>(path: &Path, h: &Matrix<R>, meta: &MatrixMeta, ctx: &R::RCtx) -> Result<(), Error> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let p = h.p;
    match ext {
        "json" => write_atomic_with(path, |w| {
            let doc = JsonDoc {
                fma: meta.fma,
                hessian: Rows { h, ctx },
                method: &meta.method,
                order: &meta.order,
                p,
                precision: &meta.precision,
            };
            serde_json::to_writer_pretty(&mut *w, &doc)?;
            w.write_all(b"\n")
        }),
        "csv" => write_atomic_with(path, |w| {
            for i in 0..p {
                for j in 0..p {
                    if j > 0 {
                        w.write_all(b",")?;
                    }
                    w.write_all(h.get(i, j).to_decimal(ctx).as_bytes())?;
                }
                w.write_all(b"\n")?;
            }
            Ok(())
        }),
        "npy" => write_atomic_with(path, |w| {
            let data = (0..p).flat_map(|i| (0..p).map(move |j| (i, j))).map(|(i, j)| h.get(i, j).to_f64());
            write_npy(w, data, &[p as u64, p as u64])
        }),
        _ => Err(Error::Option {
            option: "--out".into(),
            message: format!("`{}`: unknown extension `{ext}` (expected .json, .npy or .csv)", path.display()),
        }),
    }
}

/// Writes an `.npy` file of `f64` in C order to `w`.
fn write_npy(w: &mut dyn Write, data: impl Iterator<Item = f64>, shape: &[u64]) -> std::io::Result<()> {
    use npyz::WriterBuilder;
    let mut npy = npyz::WriteOptions::<f64>::new().default_dtype().shape(shape).writer(w).begin_nd()?;
    npy.extend(data)?;
    npy.finish()
}

/// An `.npy` file of `f64` in C order.
pub fn npy_bytes(data: &[f64], shape: &[u64]) -> Vec<u8> {
    let mut out = Vec::new();
    write_npy(&mut out, data.iter().copied(), shape).expect("in-memory npy");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::MpCtx;
    use rug::Float;

    /// The streamed `.json` is byte for byte the pretty `serde_json::Value` of the matrix.
    #[test]
    fn streamed_json_equals_the_value() {
        let ctx = MpCtx::new(113, None, false);
        let lines: Vec<Vec<Float>> =
            (0..3).map(|i| (0..3).map(|j| Float::with_val(113, (i * 3 + j) as f64 - 4.0) / 7u32).collect()).collect();
        let h = Matrix::from_lines(3, lines, true);
        let meta = MatrixMeta { method: "rev-rev".into(), precision: "mp:113".into(), order: "pairwise".into(), fma: true };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.json");
        write_matrix(&path, &h, &meta, &ctx).unwrap();
        let rows: Vec<Vec<String>> = (0..3).map(|i| (0..3).map(|j| h.get(i, j).to_decimal(&ctx)).collect()).collect();
        let doc = serde_json::json!({
            "method": meta.method, "precision": meta.precision, "order": meta.order, "fma": meta.fma, "p": 3, "hessian": rows,
        });
        let mut want = serde_json::to_vec_pretty(&doc).unwrap();
        want.push(b'\n');
        assert_eq!(String::from_utf8(std::fs::read(&path).unwrap()).unwrap(), String::from_utf8(want).unwrap());
        // and .csv / .npy
        let csv = dir.path().join("h.csv");
        write_matrix(&csv, &h, &meta, &ctx).unwrap();
        let want: String = rows.iter().map(|r| r.join(",") + "\n").collect();
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), want);
        let npy = dir.path().join("h.npy");
        write_matrix(&npy, &h, &meta, &ctx).unwrap();
        let v: Vec<f64> = (0..9).map(|k| h.get(k / 3, k % 3).to_f64()).collect();
        assert_eq!(std::fs::read(&npy).unwrap(), npy_bytes(&v, &[3, 3]));
    }
}
